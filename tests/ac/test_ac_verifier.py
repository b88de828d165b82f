"""verify_ac_path: the known AK(2) solutions, failure reasons, and no numba/kernels import."""

from __future__ import annotations

import json
import subprocess
import sys

from mathgym.envs.ac.datasets import akbulut_kirby
from mathgym.envs.ac.presentation import Presentation
from mathgym.verifiers.ac import verify_ac_path

PATH_A = [11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2]
PATH_B = [4, 11, 2, 4, 11, 9, 0, 5, 7, 3, 11, 9, 2, 8, 9, 3, 0, 0, 3]


def test_known_paths_verify():
    a = verify_ac_path(akbulut_kirby(2), PATH_A, 7)
    assert a.ok and a.final == Presentation(((-2,), (1,))) and a.steps == 22 and a.reason == ""
    b = verify_ac_path("x^2 y^-3, x y x y^-1 x^-1 y^-1", PATH_B, 7)
    assert b.ok and b.final == Presentation(((1,), (2,)))


def test_failures_have_reasons():
    short = verify_ac_path(akbulut_kirby(2), PATH_A[:-1], 7)
    assert not short.ok and short.reason.startswith("does not end trivial")
    assert short.final.total_length > 2
    bad = verify_ac_path(akbulut_kirby(2), [4, 11, 12], 7)
    assert not bad.ok and "move 2 is 12, not a move id in 0..11" in bad.reason
    assert not verify_ac_path(akbulut_kirby(2), [4, True], 7).ok
    assert not verify_ac_path(akbulut_kirby(2), "4 11", 7).ok
    cap = verify_ac_path(akbulut_kirby(2), PATH_A, 5)
    assert not cap.ok and "bad start presentation" in cap.reason and cap.final is None
    # the cap matters: move 0 is a no-op on AK(2) at cap 7 but not at cap 36
    assert verify_ac_path(akbulut_kirby(2), [0], 7).final == akbulut_kirby(2)
    assert verify_ac_path(akbulut_kirby(2), [0], 36).final.lengths == (5, 11)
    assert verify_ac_path(akbulut_kirby(2), PATH_A, 36).ok


def test_inversion_moves_need_the_flag():
    assert not verify_ac_path("x^-1, y", [12], 3).ok
    res = verify_ac_path("x^-1, y", [12], 3, inversions=True)
    assert res.ok and res.final == Presentation(((1,), (2,)))


def test_verifier_imports_no_numba_or_kernels():
    probe = (
        "import sys, json; import mathgym.verifiers.ac as v;"
        "v.verify_ac_path('x^2 y^-3, x y x y^-1 x^-1 y^-1', [4, 11], 7);"
        "print(json.dumps([m for m in sys.modules if m == 'numba' or m.startswith('numba.')"
        " or m == 'mathgym.envs.ac.kernels']))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    assert json.loads(out.stdout) == []
