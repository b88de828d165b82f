"""The module registry: name -> generator, and the pure ``generate`` entry point.

A generator is a function ``(rng: random.Random, difficulty: int) -> Draft``. Its random
numbers come only from ``rng``, which :func:`problem_rng` derives from a SHA-256 of
``(module, difficulty, seed, index)``, so a problem is a pure function of that tuple:
identical across processes, platforms and ``PYTHONHASHSEED`` values (Python's ``random.Random``
seeded with an int is fully specified).
"""

from __future__ import annotations

import difflib
import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mathgym.types import ANSWER_TYPES, Problem

#: Difficulty levels every module accepts.
DIFFICULTIES: tuple[int, ...] = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Draft:
    """What a generator returns; :func:`generate` adds the identifying tuple."""

    question: str
    answer: str
    answer_type: str
    spec: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModuleInfo:
    """A registered module: its generator, category and documented difficulty knobs."""

    name: str
    category: str
    func: Callable[[random.Random, int], Draft]
    knobs: str
    composed: bool


_REGISTRY: dict[str, ModuleInfo] = {}


def register(name: str, knobs: str, composed: bool = False) -> Callable:
    """Decorator registering a generator as ``<category>__<name>`` (category = its file)."""

    def wrap(func: Callable[[random.Random, int], Draft]) -> Callable:
        category = func.__module__.rsplit(".", 1)[-1]
        full = f"{category}__{name}"
        if full in _REGISTRY:
            raise ValueError(f"module {full!r} registered twice")
        _REGISTRY[full] = ModuleInfo(full, category, func, knobs, composed)
        return func

    return wrap


def _load_all() -> None:
    # Importing the category files runs their @register decorators.
    from mathgym.envs.reasoning.generators import (  # noqa: F401
        algebra,
        arithmetic,
        calculus,
        comparison,
        numbers,
        polynomials,
        probability,
    )


def module_infos() -> dict[str, ModuleInfo]:
    """All registered modules, sorted by name."""
    if not _REGISTRY:
        _load_all()
    return {name: _REGISTRY[name] for name in sorted(_REGISTRY)}


def problem_rng(module: str, difficulty: int, seed: int, index: int) -> random.Random:
    """The random stream of one problem: SHA-256 of the tuple, never ``hash()``."""
    key = f"mathgym.reasoning|{module}|{difficulty}|{seed}|{index}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:16], "big"))


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    return value


def generate(module: str, difficulty: int = 1, seed: int = 0, index: int = 0) -> Problem:
    """Problem number ``index`` of ``module`` at ``difficulty`` (1-5) in stream ``seed``.

    Pure: the same arguments give the same problem in every process.
    """
    infos = module_infos()
    if module not in infos:
        close = difflib.get_close_matches(module, list(infos), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown reasoning module {module!r}{hint} (see mathgym.envs.reasoning.MODULES)"
        )
    difficulty = _check_int("difficulty", difficulty)
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty}")
    seed = _check_int("seed", seed)
    index = _check_int("index", index)
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    draft = infos[module].func(problem_rng(module, difficulty, seed, index), difficulty)
    if draft.answer_type not in ANSWER_TYPES:  # pragma: no cover - programming error
        raise AssertionError(f"{module} produced answer_type {draft.answer_type!r}")
    return Problem(
        module=module,
        difficulty=difficulty,
        seed=seed,
        index=index,
        question=draft.question,
        answer=draft.answer,
        answer_type=draft.answer_type,
        spec=draft.spec,
        data=draft.data,
    )


#: The ``reset(options=...)`` keys of the reasoning envs.
RESET_OPTIONS: tuple[str, ...] = ("module", "difficulty", "seed", "index")


def episode_problem(
    env_name: str,
    options: dict[str, Any] | None,
    rng: Any,
    modules: Sequence[str],
    defaults: tuple[int, int, int | None],
    allowed: Sequence[str] | None = None,
) -> Problem:
    """The problem of one episode of a reasoning env.

    ``options`` (any of :data:`RESET_OPTIONS`) override the env's ``defaults`` (difficulty,
    seed, index). A missing module is drawn from ``modules`` and a missing index (default
    ``None``) from ``rng``, the env's seeded ``np_random``, in that order, so episodes are
    reproducible from the reset seed. ``allowed`` restricts an explicitly chosen module.
    """
    options = dict(options or {})
    unknown = set(options) - set(RESET_OPTIONS)
    if unknown:
        raise ValueError(
            f"{env_name}.reset: unknown options {sorted(unknown)}; use {', '.join(RESET_OPTIONS)}"
        )
    difficulty, seed, default_index = defaults
    module = options.get("module")
    if module is None:
        module = modules[int(rng.integers(len(modules)))]
    elif allowed is not None and module not in allowed:
        raise ValueError(f"{env_name}.reset: module {module!r} is not available in this env")
    index = options.get("index", default_index)
    if index is None:
        index = int(rng.integers(2**31))
    return generate(
        module, int(options.get("difficulty", difficulty)), int(options.get("seed", seed)),
        int(index),
    )
