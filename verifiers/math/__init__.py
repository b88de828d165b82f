"""Exact, safe answer checking for reasoning problems (``mathgym.verifiers.math``).

Model output is never executed: answers are parsed by our own whitelisted grammar
(``tokens.py``, ``grammar.py``) into sympy objects and compared according to the problem's
declared answer type (``compare.py``, ``equivalence.py``), inside persistent worker processes
with a hard per-check timeout (``pool.py``). See docs/verifier.md.

Public API::

    score(answer_text, problem) -> float               # 1.0 or 0.0
    check_problem(answer_text, problem) -> Verdict     # score, code, short critique
    check(answer_text, reference, answer_type, spec) -> Verdict
    score_many(answers, problems) -> list[float]       # batched
    check_many([(answer, reference, answer_type, spec), ...]) -> list[Verdict]
    trl_reward(completions, **columns) -> list[float]  # TRL reward_funcs
    compute_score(data_source, solution_str, ground_truth, extra_info) -> float   # verl
    extract_answer(text) -> str
    configure(workers=..., timeout=...), warm(), shutdown()

This module imports no sympy: only the workers do.
"""

from mathgym.verifiers.math.adapters import compute_score, trl_reward
from mathgym.verifiers.math.api import check, check_many, check_problem, score, score_many
from mathgym.verifiers.math.extract import extract_answer
from mathgym.verifiers.math.pool import configure, get_pool, shutdown
from mathgym.verifiers.math.verdict import CODES, Verdict


def warm() -> None:
    """Start the worker processes now (they import sympy once), e.g. before timing."""
    get_pool().warm()


__all__ = [
    "CODES",
    "Verdict",
    "check",
    "check_many",
    "check_problem",
    "compute_score",
    "configure",
    "extract_answer",
    "score",
    "score_many",
    "shutdown",
    "trl_reward",
    "warm",
]
