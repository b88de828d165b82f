"""What ``mathgym train`` does differently per env family: one module per family.

The training loop (:mod:`mathgym.agents.rl.common.train`) is shared; a :class:`Family` says,
for the benchmarks of one env, which env settings a run has (its config dataclass), which
training splits exist, which learner defaults suit it, and how to build the training vector
env and its solve log (:meth:`Family.build`). One home per family:

- ``ac`` (``mathgym/AC-v0``): AC-Solver's protocol on the numba vector env;
- ``progsynth`` (``mathgym/MathProgSynth-v0``): a generated training split disjoint by seed;
- ``metamath`` (``mathgym/Metamath-v0``): solving while training behind the feature wrapper.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mathgym.agents.rl.common.solve_log import SolveLog


@dataclass
class Setup:
    """A built training env: the SB3 ``VecEnv``, its resumable state, the solve log."""

    venv: Any
    """the SB3 VecEnv the learner steps (VecMonitor is added by the loop)"""
    log: SolveLog
    """where solving episodes go; ``log.benchmark`` is None on a disjoint split"""
    state: Callable[[], dict[str, Any]]
    """the env's checkpoint state"""
    set_state: Callable[[dict[str, Any]], None]
    """continue from ``state()``"""


@dataclass
class Family:
    """One env family's part of ``mathgym train``."""

    name: str
    config_class: type
    """the env settings of a run (``--config`` keys besides the learner's)"""
    splits: tuple[str, ...]
    """values of ``split``; the first is the default"""
    build: Callable[[Any, Any, int], Setup]
    """``build(benchmark, env_cfg, seed)``"""
    check: Callable[[Any], None] = lambda cfg: None
    """raise ValueError naming a bad setting"""
    learner_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    """learner -> settings that replace the learner's dataclass defaults in this family"""
    certify_splits: tuple[str, ...] = ("benchmark",)
    """splits on which results.json certifies the benchmark's instances"""


#: benchmark env id -> module of its family (each has ``family() -> Family``).
FAMILY_MODULES: dict[str, str] = {
    "mathgym/AC-v0": "ac",
    "mathgym/MathProgSynth-v0": "progsynth",
    "mathgym/Metamath-v0": "metamath",
}


def family_for(benchmark: Any) -> Family:
    """The family of ``benchmark`` (by its env id); ValueError when training has none."""
    module = FAMILY_MODULES.get(getattr(benchmark, "env_id", None))
    if module is None:
        raise ValueError(
            f"mathgym train has no training env for {benchmark.full_id} (env "
            f"{benchmark.env_id!r}); it trains on the benchmarks of "
            f"{', '.join(sorted(FAMILY_MODULES))}")
    return importlib.import_module(f"{__name__}.{module}").family()
