"""The Metamath family of ``mathgym train``: solving ``formal/metamath-*`` while training.

Metamath-v0 observes text; :class:`~mathgym.envs.wrappers.hashed_text.HashedTextFeatures`
makes it an array (hashed goal tokens and one slot per candidate label) and passes the
candidate mask on, so sb3-contrib's ``MaskablePPO`` picks only labels that unify with the goal.
The protocol is AC-Solver's: the envs start from the benchmark's theorems through the
selection schedule (first pass in order, then 75% unsolved), and every proof found while
training is checked by the benchmark's verifier (the episode's action list is replayed to
assemble the proof, which mathgym's kernel checks under the usage rule) and kept as that
theorem's certificate, its cost the run's env steps when it was found.

The training env is cheaper than the benchmark's: ``max_candidates`` (16) labels per goal,
not 64 (the candidate list is the first applicable labels in a fixed order, so the first 16
are the first 16 of the verifier's 64 and an index means the same label), and episodes of
``max_steps`` (8) steps: the easy theorems' set.mm proofs take at most 3 ``|-`` steps, while a
long random walk only opens goals. The env computes a candidate list after every step (tens of
ms), so Metamath trains at tens of env steps a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathgym.agents.rl.common.families import Family, Setup
from mathgym.agents.rl.common.solve_log import SolveLog


@dataclass
class MetamathEnvConfig:
    """The env side of a Metamath training run."""

    n_envs: int = 4
    """parallel envs (DummyVecEnv: one Python env each)"""
    split: str = "benchmark"
    """'benchmark': solve the benchmark's theorems while training (the only split)"""
    max_steps: int = 8
    """episode length (the benchmark env allows 64)"""
    max_candidates: int = 16
    """candidate labels per goal, the action count (at most 64, the verifier's)"""
    n_features: int = 1024
    """hashed text buckets of HashedTextFeatures"""
    candidate_features: int = 16
    """hashed buckets per candidate slot"""
    p_unsolved: float = 0.75
    """after the first pass, probability that a reset draws an unsolved theorem"""
    torch_threads: int = 1
    """torch CPU threads (fixed, so a resumed run computes what an uninterrupted one does)"""


def check(cfg: MetamathEnvConfig) -> None:
    from mathgym.envs.metamath.benchmarks import REPLAY_CANDIDATES

    if not 1 <= cfg.max_candidates <= REPLAY_CANDIDATES:
        raise ValueError(f"--config max_candidates={cfg.max_candidates}: must be in 1.."
                         f"{REPLAY_CANDIDATES} (the verifier replays indices into a list of "
                         f"{REPLAY_CANDIDATES})")
    if cfg.max_steps < 1 or cfg.n_features < 1 or cfg.candidate_features < 0:
        raise ValueError("--config max_steps and n_features must be >= 1, candidate_features "
                         ">= 0")


def build(benchmark: Any, cfg: MetamathEnvConfig, seed: int) -> Setup:
    """``TrainingEpisodeVecEnv`` of ``HashedTextFeatures(MetamathEnv)`` over the theorems."""
    from mathgym.agents.rl.common.episode_env import TrainingEpisodeVecEnv
    from mathgym.agents.rl.common.schedule import SelectionSchedule
    from mathgym.envs.metamath.benchmarks import database_path
    from mathgym.envs.metamath.env import MetamathEnv
    from mathgym.envs.wrappers.hashed_text import HashedTextFeatures

    labels = [inst.data["theorem"] for inst in benchmark.instances]
    log = SolveLog(benchmark)
    schedule = SelectionSchedule(len(labels), seed=seed, p_unsolved=cfg.p_unsolved)

    def make_env() -> Any:
        env = MetamathEnv(database=database_path(), max_steps=cfg.max_steps,
                          max_candidates=cfg.max_candidates)
        return HashedTextFeatures(env, n_features=cfg.n_features,
                                  candidate_features=cfg.candidate_features)

    vec = TrainingEpisodeVecEnv(make_env, cfg.n_envs, lambda j: {"theorem": labels[j]},
                                schedule, log)
    return Setup(vec, log, vec.state, vec.set_state)


#: PPO at Metamath's speed: short rollouts, several epochs (AC-Solver's 4 x 2000-step rollouts
#: would be minutes each here).
PPO_DEFAULTS = {"n_steps": 64, "num_minibatches": 4, "n_epochs": 4, "learning_rate": 3e-4,
                "anneal_lr": False, "target_kl": None}


def family() -> Family:
    return Family("metamath", MetamathEnvConfig, ("benchmark",), build, check,
                  learner_defaults={"sb3-ppo": PPO_DEFAULTS, "sb3-maskable-ppo": PPO_DEFAULTS})
