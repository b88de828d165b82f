"""The ProgSynth family of ``mathgym train``: DQN (or PPO) on generated program-synthesis
problems, disjoint from every benchmark's instances by seed.

The agent of Alok Singh's program-synthesis env (arXiv 2107.07373) is a DQN trained on
generated problems and tested on others. Here:

- **The training split** (``split="train"``, the default) is problem ``i`` of each of the
  benchmark's modules at the benchmark's difficulty in the problem stream ``TRAIN_SEED_BASE +
  --seed`` (:func:`training_problems`). Every public ProgSynth benchmark draws from stream
  :data:`~mathgym.envs.reasoning.benchmarks.BENCHMARK_SEED` (20250), which a training stream
  may never be (refused); the sealed ones from 63-bit seeds derived from a secret. A problem is
  a pure function of ``(module, difficulty, seed, index)`` hashed with SHA-256, so another seed
  is another problem stream; and any training problem whose question text equals a public
  benchmark instance's of the same module (small modules repeat questions across streams) is
  skipped, so not one training question is a benchmark question.
  ``split_per_module`` problems per module, interleaved by module (problem 0 of every module,
  then problem 1, ...), so the schedule's first pass sees every module early.
- **Observations**: :class:`~mathgym.envs.wrappers.progsynth_features.ProgSynthFeatures`
  (``question_features`` buckets), which ends with the action mask; the default DQN is
  therefore ``MaskedDQN`` (``action_mask=true``).
- ``split="benchmark"`` solves the benchmark's own instances while training instead (each
  solving action list verified and kept as a certificate), as for AC.

Only ``model.zip`` and ``training.json`` come out of the training split; ``mathgym eval
--agent sb3 --config checkpoint=OUT/model.zip`` then attempts the benchmark.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from mathgym.agents.rl.common.families import Family, Setup
from mathgym.agents.rl.common.solve_log import SolveLog

#: Training problem stream of run seed ``s``: ``TRAIN_SEED_BASE + s``.
TRAIN_SEED_BASE = 1_000_000


@dataclass
class ProgSynthEnvConfig:
    """The env side of a ProgSynth training run."""

    n_envs: int = 8
    """parallel envs (DummyVecEnv: one Python env each)"""
    split: str = "train"
    """'train': generated problems disjoint from every benchmark by seed; 'benchmark': solve
    the benchmark's instances while training"""
    split_per_module: int = 200
    """split="train": problems per module"""
    question_features: int = 256
    """hashed question-token buckets of ProgSynthFeatures"""
    p_unsolved: float = 0.75
    """after the first pass, probability that a reset draws an unsolved problem"""
    torch_threads: int = 1
    """torch CPU threads (fixed, so a resumed run computes what an uninterrupted one does)"""


def benchmark_shape(benchmark: Any) -> tuple[list[str], int, int]:
    """(modules in order of first appearance, difficulty, max_nodes) of a ProgSynth benchmark."""
    modules: list[str] = []
    for inst in benchmark.instances:
        if inst.data["module"] not in modules:
            modules.append(inst.data["module"])
    first = benchmark.instances[0].data
    return modules, int(first["difficulty"]), int(first.get("max_nodes", 10))


@functools.lru_cache(maxsize=1)
def public_questions() -> frozenset[tuple[str, str]]:
    """``(module, question)`` of every instance of every public ProgSynth benchmark."""
    from mathgym.envs.reasoning.benchmarks import BENCHMARKS

    out: set[tuple[str, str]] = set()
    for bid, factory in BENCHMARKS.items():
        if bid.startswith("reasoning/progsynth"):
            for inst in factory().instances:
                out.add((inst.data["module"], inst.data["question"]))
    return frozenset(out)


def training_problems(modules: list[str], difficulty: int, max_nodes: int, per_module: int,
                      seed: int) -> list[dict[str, Any]]:
    """The training split: reset options ``{"module", "difficulty", "seed", "index"}``.

    ``per_module`` problems of each module from stream ``TRAIN_SEED_BASE + seed``, skipping
    problems whose question is a public benchmark's and problems without a program of at most
    ``max_nodes`` nodes; interleaved by module.
    """
    from mathgym.envs.reasoning import generate
    from mathgym.envs.reasoning.benchmarks import BENCHMARK_SEED
    from mathgym.envs.reasoning.progsynth_graph import GraphBuilder

    stream = TRAIN_SEED_BASE + int(seed)
    if stream == BENCHMARK_SEED:
        raise ValueError(f"--seed {seed}: the training stream {stream} is the benchmarks' "
                         f"problem stream; choose another seed")
    taken = public_questions()
    per: list[list[dict[str, Any]]] = []
    for module in modules:
        rows: list[dict[str, Any]] = []
        index = 0
        while len(rows) < per_module:
            if index > 20 * per_module + 100:
                raise ValueError(f"{module}: could not draw {per_module} training problems "
                                 "distinct from the benchmarks' questions; lower "
                                 "split_per_module")
            p = generate(module, difficulty, stream, index)
            index += 1
            if (module, p.question) in taken:
                continue
            try:
                GraphBuilder(p, max_nodes)
            except ValueError:
                continue
            rows.append({"module": module, "difficulty": difficulty, "seed": stream,
                         "index": index - 1})
        per.append(rows)
    return [rows[i] for i in range(per_module) for rows in per]


def check(cfg: ProgSynthEnvConfig) -> None:
    if cfg.split_per_module < 1 or cfg.question_features < 1:
        raise ValueError("--config split_per_module and question_features must be >= 1")


def build(benchmark: Any, cfg: ProgSynthEnvConfig, seed: int) -> Setup:
    """``TrainingEpisodeVecEnv`` of ``ProgSynthFeatures(MathProgSynthEnv)`` over the split."""
    from mathgym.agents.rl.common.episode_env import TrainingEpisodeVecEnv
    from mathgym.agents.rl.common.schedule import SelectionSchedule
    from mathgym.envs.reasoning.progsynth_env import MathProgSynthEnv
    from mathgym.envs.wrappers.progsynth_features import ProgSynthFeatures

    modules, difficulty, max_nodes = benchmark_shape(benchmark)
    if cfg.split == "train":
        starts = training_problems(modules, difficulty, max_nodes, cfg.split_per_module, seed)
        log = SolveLog(None)
    else:
        starts = [{k: inst.data[k] for k in ("module", "difficulty", "seed", "index")}
                  for inst in benchmark.instances]
        log = SolveLog(benchmark)
    schedule = SelectionSchedule(len(starts), seed=seed, p_unsolved=cfg.p_unsolved)

    def make_env() -> Any:
        env = MathProgSynthEnv(modules=modules, difficulty=difficulty, max_nodes=max_nodes)
        return ProgSynthFeatures(env, n_features=cfg.question_features)

    vec = TrainingEpisodeVecEnv(make_env, cfg.n_envs, lambda j: dict(starts[j]), schedule, log)
    return Setup(vec, log, vec.state, vec.set_state)


#: DQN as it learns here (measured in docs/rl.md); MaskedDQN reads the mask the features end
#: with.
DQN_DEFAULTS = {"action_mask": True, "learning_rate": 5e-4, "buffer_size": 50_000,
                "learning_starts": 2_000, "batch_size": 128, "gamma": 0.95, "train_freq": 1,
                "target_update_interval": 2_000, "exploration_fraction": 0.25,
                "exploration_final_eps": 0.05}


def family() -> Family:
    return Family("progsynth", ProgSynthEnvConfig, ("train", "benchmark"), build, check,
                  learner_defaults={"sb3-dqn": DQN_DEFAULTS})
