"""Optional differential test against AC-Solver's own ``ACMove`` (skips when not installed).

AC-Solver lives in a throwaway venv (its pins conflict with ours): point
``MATHGYM_ACSOLVER_PYTHON`` at its interpreter, or install it at ``/tmp/acsolver-venv``:
``python3 -m venv /tmp/acsolver-venv && /tmp/acsolver-venv/bin/pip install --no-deps ac-solver
&& /tmp/acsolver-venv/bin/pip install numpy==1.24.3 gymnasium==0.28.1``.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import subprocess

import pytest
from ac_strategies import random_reduced_word
from mathgym.envs.ac import reference
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.presentation import Presentation

import mathgym.bench.acsolver_worker as worker

PYTHON = os.environ.get("MATHGYM_ACSOLVER_PYTHON", "/tmp/acsolver-venv/bin/python")


def _acsolver_available() -> bool:
    if not pathlib.Path(PYTHON).exists():
        return False
    probe = subprocess.run([PYTHON, "-c", "import importlib.util as u;"
                            "raise SystemExit(u.find_spec('ac_solver') is None)"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _acsolver_available(),
                                reason=f"AC-Solver not installed for {PYTHON}")


def _cases(n_walks: int, seed: int):
    rng = random.Random(seed)
    ms = miller_schupp()
    for w in range(n_walks):
        cap = rng.choice([7, 10, 18, 36])
        cyclic = w % 2 == 1
        if w % 3 == 0:
            rels = ms[rng.randrange(len(ms))].presentation.relators
            if max(map(len, rels)) > cap:
                rels = akbulut_kirby(2).relators
        else:  # random words, non-zero determinant so AC-Solver never meets an empty relator
            while True:
                rels = tuple(random_reduced_word(rng, 2, rng.randint(1, cap)) for _ in range(2))
                if reference.exponent_determinant(rels) != 0:
                    break
        for _ in range(60):
            move = rng.randrange(12)
            yield Presentation(rels).to_array(cap).tolist(), move, cyclic, rels, cap
            rels = reference.apply_move(rels, move, cap, cyclic)


def test_reference_matches_acsolver_acmove():
    cases = list(_cases(n_walks=120, seed=11))  # 7,200 moves
    request = {"cases": [[state, move, cyclic] for state, move, cyclic, _, _ in cases]}
    out = subprocess.run([PYTHON, worker.__file__, "moves"], input=json.dumps(request),
                         capture_output=True, text=True, timeout=300, check=True)
    results = json.loads(out.stdout)["results"]
    mismatches = []
    for (state, move, cyclic, rels, cap), theirs in zip(cases, results, strict=True):
        ours = Presentation(reference.apply_move(rels, move, cap, cyclic)).to_array(cap).tolist()
        if ours != theirs:
            mismatches.append((state, move, cyclic, ours, theirs))
    assert mismatches == []
