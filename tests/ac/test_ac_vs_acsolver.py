"""Optional differential test against AC-Solver's own ``ACMove`` (skips when not installed).

AC-Solver lives in its own venv (its pins conflict with ours): ``make setup`` installs it in
``.venv-acsolver``; or point ``MATHGYM_ACSOLVER_PYTHON`` at an interpreter, or install it at
``/tmp/acsolver-venv``:
``python3 -m venv /tmp/acsolver-venv && /tmp/acsolver-venv/bin/pip install --no-deps ac-solver
&& /tmp/acsolver-venv/bin/pip install numpy==1.24.3 gymnasium==0.28.1``.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import re
import subprocess

import numpy as np
import pytest
from ac_strategies import random_reduced_word
from mathgym.envs.ac import kernels, reference
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length
from mathgym.envs.ac.presentation import Presentation
from mathgym.verifiers.ac import verify_ac_path

import mathgym.bench.acsolver_worker as worker

#: `make setup` installs AC-Solver in the repository's .venv-acsolver (see the Makefile)
_MAKE_VENV = pathlib.Path(__file__).resolve().parents[2] / ".venv-acsolver" / "bin" / "python"
PYTHON = os.environ.get("MATHGYM_ACSOLVER_PYTHON") or (
    str(_MAKE_VENV) if _MAKE_VENV.exists() else "/tmp/acsolver-venv/bin/python")


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


def test_reference_and_kernel_match_acsolver_acmove():
    cases = list(_cases(n_walks=120, seed=11))  # 7,200 moves
    request = {"cases": [[state, move, cyclic] for state, move, cyclic, _, _ in cases]}
    out = subprocess.run([PYTHON, worker.__file__, "moves"], input=json.dumps(request),
                         capture_output=True, text=True, timeout=300, check=True)
    results = json.loads(out.stdout)["results"]
    mismatches = []
    for (state, move, cyclic, rels, cap), theirs in zip(cases, results, strict=True):
        ours = Presentation(reference.apply_move(rels, move, cap, cyclic)).to_array(cap).tolist()
        arr = np.array(state, dtype=np.int8)
        kernels.apply_move(arr, kernels.lengths_of(arr, 2, cap), move, 2, cap, cyclic)
        if ours != theirs or arr.tolist() != theirs:
            mismatches.append((state, move, cyclic, ours, arr.tolist(), theirs))
    assert mismatches == []


def _acsolver_data_dir() -> pathlib.Path:
    out = subprocess.run(
        [PYTHON, "-c", "import importlib.util as u;"
         "print(u.find_spec('ac_solver').submodule_search_locations[0])"],
        capture_output=True, text=True, timeout=60, check=True)
    return pathlib.Path(out.stdout.strip()) / "search" / "miller_schupp" / "data"


def _read_tuples(line: str) -> list[tuple[int, int]]:
    """``[(0, 7), (6, 7), ...]`` without evaluating anything."""
    return [(int(a), int(b)) for a, b in re.findall(r"\((-?\d+),\s*(-?\d+)\)", line)]


def test_published_greedy_paths_replay_on_reference():
    """AC-Solver's shipped greedy results: 533 MS presentations with their paths.

    The files store each path as ``[(0, total_length), (action + 1, total_length), ...]``
    (1-based move ids, first entry the start); every one must replay to a trivial
    presentation with the recorded total length after every move, at the MS cap, without
    cyclic reduction.
    """
    data = _acsolver_data_dir()
    solved = data / "greedy_solved_presentations.txt"
    paths = data / "greedy_search_paths.txt"
    if not solved.exists() or not paths.exists():
        pytest.skip(f"AC-Solver's published greedy data not found under {data}")
    presentations = [json.loads(line) for line in solved.read_text().splitlines() if line]
    all_paths = [_read_tuples(line) for line in paths.read_text().splitlines() if line]
    assert len(presentations) == len(all_paths) == 533
    for array, path in zip(presentations, all_paths, strict=True):
        cap = len(array) // 2
        rels = Presentation.from_array(array).relators
        assert path[0] == (0, sum(map(len, rels)))
        for action, total in path[1:]:
            rels = reference.apply_move(rels, action - 1, cap)
            assert sum(map(len, rels)) == total
        assert verify_ac_path(array, [a - 1 for a, _ in path[1:]], cap).ok
    # every published presentation is one of our 1190 MS presentations at its benchmark cap
    ours = {tuple(m.presentation.to_array(ms_max_relator_length(m.n)).tolist())
            for m in miller_schupp()}
    assert all(tuple(a) in ours for a in presentations)
