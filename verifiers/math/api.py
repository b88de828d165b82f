"""Public checking API: every check runs in the worker pool under a hard timeout.

* :func:`score` -- ``score(answer_text, problem) -> float`` in {0.0, 1.0}.
* :func:`check_problem` -- the full :class:`Verdict` (score, code, critique) for a Problem.
* :func:`check` -- the same without a Problem object: ``(answer, reference, type, spec)``.
* :func:`score_many` / :func:`check_many` -- batches, streamed to the workers (fast path for
  training loops and benchmarks).

Problems with the *problem* (unknown answer type, missing tolerance, an unparsable reference)
raise ValueError; problems with the *answer* are zero-score verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mathgym.verifiers.math.compare import validate_problem
from mathgym.verifiers.math.limits import MAX_TEXT_CHARS
from mathgym.verifiers.math.pool import get_pool
from mathgym.verifiers.math.verdict import Verdict, fail

#: One check request: (answer_text, reference, answer_type, spec).
CheckItem = tuple[str, str, str, "Mapping[str, Any] | None"]


def _request(answer: Any, reference: str, answer_type: str, spec: Any) -> dict | Verdict:
    spec = validate_problem(reference, answer_type, spec)
    if not isinstance(answer, str):
        return fail("parse_error", f"answer must be text, got {type(answer).__name__}")
    if len(answer) > MAX_TEXT_CHARS:
        return fail("limit", f"answer too large: more than {MAX_TEXT_CHARS} characters")
    return {"a": answer, "r": reference, "t": answer_type, "s": spec}


def check_many(items: Iterable[CheckItem], *, timeout: float | None = None) -> list[Verdict]:
    """Verdicts of ``(answer, reference, answer_type, spec)`` items, in order."""
    prepared = [_request(*item) for item in items]
    requests = [p for p in prepared if isinstance(p, dict)]
    verdicts = iter(get_pool().run(requests, timeout) if requests else [])
    out = [next(verdicts) if isinstance(p, dict) else p for p in prepared]
    for k, v in enumerate(out):
        if v.code == "bad_reference":
            raise ValueError(f"item {k}: {v.reason}; fix the problem's answer or spec")
    return out


def check(answer_text: str, reference: str, answer_type: str,
          spec: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Verdict:
    """Verdict of one answer against a reference of a declared type (hard timeout)."""
    return check_many([(answer_text, reference, answer_type, spec)], timeout=timeout)[0]


def check_problem(answer_text: str, problem: Any, *, timeout: float | None = None) -> Verdict:
    """Verdict of one answer to a :class:`mathgym.types.Problem`."""
    return check(answer_text, problem.answer, problem.answer_type, problem.spec,
                 timeout=timeout)


def score(answer_text: str, problem: Any, *, timeout: float | None = None) -> float:
    """1.0 when ``answer_text`` answers ``problem`` correctly, else 0.0 (see docs/verifier.md)."""
    return check_problem(answer_text, problem, timeout=timeout).score


def score_many(answers: Sequence[str], problems: Sequence[Any], *,
               timeout: float | None = None) -> list[float]:
    """Scores of ``answers[i]`` for ``problems[i]`` (one batch through the pool)."""
    if len(answers) != len(problems):
        raise ValueError(f"{len(answers)} answers for {len(problems)} problems; pass one each")
    items = [(a, p.answer, p.answer_type, p.spec) for a, p in zip(answers, problems,
                                                                  strict=True)]
    return [v.score for v in check_many(items, timeout=timeout)]
