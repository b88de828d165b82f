"""Shared types used by more than one of envs, agents, verifiers and leaderboards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Declared answer types of reasoning problems; the verifier compares by this type.
#: The comparison rule of each is documented in ``mathgym.verifiers.math``.
ANSWER_TYPES: tuple[str, ...] = (
    "integer",  # exact integer equality
    "rational",  # exact Rational equality (2/6 == 1/3)
    "decimal",  # |a - b| <= spec["tolerance"] (a rational string), nothing looser
    "expression",  # a - b == 0 proved exactly (cancel, simplify); never by numeric agreement
    "equation",  # solution set of an equation in spec["variables"]
    "solution",  # values of exactly spec["variables"], joined by ',' or 'and' (never 'or')
    "list",  # ordered list [..], (..) or bare; spec["element_type"] compares elements
    "unordered_list",  # multiset [..], {..} or bare (any order); spec["element_type"]
    "set",  # set {..} or bare, never [..]/(..) or nested; spec["element_type"]
    "tuple",  # ordered tuple (..) or bare, element-wise; spec["element_type"]
    "interval",  # (a, b), [a, b], (a, b], [a, b), ends may be -oo/oo; spec["element_type"]
    "boolean",  # True/False, yes/no
    "base_n",  # digits in base spec["base"] (2..36), case-insensitive
)


@dataclass(frozen=True)
class Problem:
    """One generated reasoning problem: a pure function of (module, difficulty, seed, index).

    ``answer`` is the reference answer as text in the verifier's grammar; ``spec`` holds the
    parameters of its answer type (tolerance, variables, base, element type); ``data`` holds
    JSON-ready structured facts of the problem for oracle solvers and program-synthesis envs.
    """

    module: str
    difficulty: int
    seed: int
    index: int
    question: str
    answer: str
    answer_type: str
    spec: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(
                f"unknown answer_type {self.answer_type!r}; expected one of {ANSWER_TYPES}"
            )
