"""The result of one check: a score, a machine-readable code and a short critique.

Kept free of sympy so the calling process (which only talks to the worker pool) stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Verdict codes. ``correct`` is the only one with score 1.
CODES: tuple[str, ...] = (
    "correct",  # equal under the answer type's rule
    "incorrect",  # well-formed answer of the right type, different value
    "wrong_type",  # e.g. a fraction where an integer is expected; feedback says what
    "undecided",  # equality could not be decided exactly within the limits (never accepted)
    "parse_error",  # not in the grammar; feedback names the problem and its position
    "limit",  # over a resource limit (length, digits, exponent, nesting)
    "empty",  # nothing to check
    "timeout",  # the worker exceeded the hard timeout and was restarted
    "crash",  # the worker died (e.g. out of memory) and was restarted
    "bad_reference",  # the *reference* answer is not valid for its type (a problem bug)
    "error",  # unexpected internal error while comparing (a verifier bug; please report)
)


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking one answer.

    ``score`` is 1.0 or 0.0 (sparse reward); ``code`` is one of :data:`CODES`; ``reason`` is a
    short critique safe to show a policy (it never reveals the reference answer), e.g.
    ``"incorrect"``, ``"expected an integer"``, ``"could not parse: unknown name 'the' at
    position 0 ..."``. ``ok``/``reason`` mirror the harness ``Verdict(ok, reason)``.
    """

    score: float
    code: str
    reason: str

    @property
    def ok(self) -> bool:
        return self.score == 1.0

    def to_json(self) -> dict:
        return {"score": self.score, "code": self.code, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict) -> Verdict:
        return cls(float(data["score"]), str(data["code"]), str(data["reason"]))


CORRECT = Verdict(1.0, "correct", "correct")
INCORRECT = Verdict(0.0, "incorrect", "incorrect")


def fail(code: str, reason: str) -> Verdict:
    """A zero-score verdict with ``code`` and critique ``reason``."""
    return Verdict(0.0, code, reason)
