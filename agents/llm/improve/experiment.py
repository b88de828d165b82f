"""The experiment of issue 13: plain GRPO against learning from improved outputs, measured.

    python -m mathgym.agents.llm.improve.experiment --out runs/improve-exp \\
        --steps 24 --prompts 4 --group 8 --max-new-tokens 16 --few-shot 2 --evals 3
    python -m mathgym.agents.llm.improve.experiment --out runs/improve-exp ... --resume

Design note.

- **Methods** (:data:`METHODS`): ``plain`` (the ``dr_grpo`` preset, no improver), ``guided_none``
  / ``guided_token`` / ``guided_sequence`` (answer-guided product sampling, λ annealed linearly
  from ``--lambda-start`` to 1 over the whole run, with each off-policy correction) and
  ``critique`` (Critique-GRPO, the rule critic with the reference). Each method × seed is a
  ``mathgym train --agent llm-grpo`` run on the same split (``reasoning/mathqa-train-l<level>``),
  the same modules, the same model, ``few_shot`` and the same budget in training samples, so
  every method sees the same MathQAPrompts stream (problem k is the same problem in every
  run): only the improver differs.
- **Checkpoints as stages.** ``mathgym train`` keeps only its latest adapter, and its
  ``--resume`` refuses another budget. So a run of budget B is trained in ``--evals`` K stages
  of budgets b_1 < ... < b_K = B, each in its own folder ``stage-<b_k>``: stage 1 is a plain
  ``mathgym train``; stage k+1 starts as a copy of stage k's folder whose ``run.json`` differs
  only in ``budget`` and continues it with ``mathgym train --resume``. The trainer's resume is
  exact (kill -9 tested), so the last stage is the same run as one uninterrupted
  ``mathgym train --budget B`` (its metrics.csv equals that run's up to timing, tested), and
  every stage folder is a complete run whose adapter is the policy after b_k samples.
- **Held-out evaluation**: each stage's adapter, and once the untrained model (the point at 0
  samples, common to every method), by ``mathgym eval --agent llm`` on a fixed subset of
  ``reasoning/mathqa-l<level>`` (the first ``--heldout-per-module`` instances of each training
  module): pass@1, one sample per instance (greedy by default), the same ``few_shot`` chat,
  no hint (the eval agent has no access to answers; docs/improve.md). Wilson 95% intervals
  are on the instances pooled over seeds.
- **Curves against training samples** (the ``--budget`` unit, metrics.csv's ``samples``): the
  fraction of rewarded samples (``reward_task/mean``: for guided and critique runs the rows the
  improver replaced count, that is the point), held-out pass@1, token entropy and KL to the
  reference (logged by the trainer only when ``beta > 0``: pass ``--train-config beta=0.01``).
  Guided (``when=always``) and critique draw extra completions per step (the guided resample,
  the refinements); the summary lists each method's CPU seconds so the cost is in the open.
- **Summary**: the training samples each method needs to reach ``--target`` held-out pass@1
  (default: the untrained pass@1 + ``--target-gain``), linearly interpolated on the seed-pooled
  curve, and its ratio to ``plain``; "not reached" when it is not. ``summary.json``,
  ``summary.md``, ``curves.png`` and ``samples_to_target.png`` (Agg, docs-ready) go into OUT.
  Each method's final held-out outcomes are also *paired* with plain's, instance by instance
  within each seed (every method is evaluated on the same instances): the discordant counts
  and the exact McNemar p-value, a sharper test than overlapping intervals.
  ``--level 3`` (or 4) with no curriculum is the issue's "does guided learn a harder level where
  plain stays at 0": the table's ``rewarded`` and ``final pass@1`` columns answer it.
- **Resumable**: OUT/experiment.json holds the settings; ``--resume`` skips finished stages and
  evaluations, resumes an interrupted training stage with ``mathgym train --resume`` and an
  interrupted evaluation with ``mathgym eval --resume``, and refuses other settings (methods
  and seeds may be added). Without ``--resume`` an existing OUT is refused.
- **AC** (``--family ac``; the default family is ``reasoning``, everything above): methods
  ``plain`` and ``ac_search`` (:data:`AC_DEFAULT_METHODS`; the LM proposes a path, greedy search
  completes or shortens it, ``improve/search.py``) and the guided methods (the hint is the
  split's verified greedy path), trained on ``ac/train-quick`` (``envs/ac/training.py``:
  generated Miller–Schupp presentations, disjoint from every AC benchmark) and evaluated on all
  10 instances of ``ac/quick`` through ``mathgym eval --agent llm``, one greedy completion per
  instance (pass@1). The AC eval budget is :data:`AC_HELDOUT_BUDGET` search nodes, not 1: an
  AC attempt spends one node per move it plays, so budget 1 would stop every path after its
  first move. ``--level``, ``--modules``, ``--few-shot`` and ``--heldout-per-module`` are
  MathQA's: an AC experiment does not use them and leaves them out of its identity. A path of
  m moves takes about 3m tokens (``[3, 0, 11]``): give ``--max-new-tokens`` 48 or more.
  ``family`` enters experiment.json only when it is not ``reasoning``, so a reasoning
  experiment's identity (and its ``--resume``) is unchanged.
- **Scale by flags alone**: ``--device cuda``, ``--steps``, ``--prompts``, ``--group``,
  ``--max-new-tokens``, ``--modules``, ``--seeds``, ``--train-config dtype=bfloat16``; nothing
  here is CPU-specific.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bump when the layout or the meaning of the outputs changes (in experiment.json).
EXPERIMENT_VERSION = "1"
#: Method name -> the ``mathgym train`` config it adds to the common one (None: filled in by
#: :func:`method_config`, which knows the run's steps for the λ schedule).
METHODS: tuple[str, ...] = ("plain", "guided_none", "guided_token", "guided_sequence",
                            "critique")
#: Families the experiment runs: MathQA reasoning (the default) and AC.
FAMILIES: tuple[str, ...] = ("reasoning", "ac")
#: Methods of an AC experiment (``--family ac``); the first two are its default.
AC_METHODS: tuple[str, ...] = ("plain", "ac_search", "guided_none", "guided_token",
                               "guided_sequence")
AC_DEFAULT_METHODS: tuple[str, ...] = ("plain", "ac_search")
#: AC's training split and held-out benchmark.
AC_TRAIN_SPLIT = "ac/train-quick"
AC_HELDOUT = "ac/quick"
#: Search nodes per held-out AC attempt (ac/quick's default budget): one greedy completion,
#: whose every move played costs a node.
AC_HELDOUT_BUDGET = 10_000
#: ExperimentArgs fields an AC experiment does not use (left out of its identity).
_MATHQA_ONLY = ("level", "modules", "few_shot", "heldout_per_module")
#: Modules of the default run: short-answer level-1 modules.
DEFAULT_MODULES: tuple[str, ...] = ("arithmetic__add_or_sub", "arithmetic__mul")
#: Settings that may change between a run and its ``--resume``.
_RESUMABLE_CHANGES = ("methods", "seeds")


@dataclass
class ExperimentArgs:
    """Settings of one experiment (the flags of ``python -m ...improve.experiment``)."""

    out: str
    """output folder (experiment.json, runs/, base/, summary.*, *.png)"""
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    """methods to run, of: plain, guided_none, guided_token, guided_sequence, critique"""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """training seeds (mathgym train --seed)"""
    level: int = 1
    """difficulty: trains on reasoning/mathqa-train-l<level>, evaluates on mathqa-l<level>"""
    modules: list[str] = field(default_factory=lambda: list(DEFAULT_MODULES))
    """MathQA modules of training and of the held-out subset"""
    model: str = "smollm2"
    """the policy: 'smollm2' or a Hub-format model directory"""
    steps: int = 24
    """optimiser steps per run (budget = steps x prompts x group training samples)"""
    prompts: int = 4
    """prompts per step"""
    group: int = 8
    """completions per prompt (G)"""
    max_new_tokens: int = 16
    """completion cap, in training and in the held-out evaluation"""
    few_shot: int = 2
    """solved examples in every prompt (the llm agent's few_shot), training and evaluation"""
    evals: int = 3
    """held-out evaluations per run (the stages), evenly spaced in steps, the last at the end"""
    heldout_per_module: int = 16
    """held-out instances per module (the first ones of the benchmark: a fixed subset)"""
    eval_temperature: float = 0.0
    """temperature of the held-out pass@1 (0: greedy)"""
    lambda_start: float = 0.5
    """guided: λ at step 0, annealed linearly to 1 at the last step"""
    target: float | None = None
    """held-out pass@1 to reach; None: the untrained pass@1 + target_gain"""
    target_gain: float = 0.05
    """see target"""
    device: str = "auto"
    """auto | cpu | cuda[:N] (training and evaluation)"""
    train_config: list[str] = field(default_factory=list)
    """extra KEY=VALUE settings of every training run (GRPOConfig fields, e.g. beta=0.01)"""
    eval_config: list[str] = field(default_factory=list)
    """extra KEY=VALUE settings of the llm eval agent"""
    resume: bool = False
    """continue the experiment in OUT"""
    report: bool = False
    """only summarise what finished in OUT (the given methods and seeds; a seed is counted
    when its runs have a held-out evaluation): trains and evaluates nothing"""
    jobs: int = 1
    """method x seed runs trained and evaluated at once, each in its own process with
    cores // jobs torch threads (not part of the experiment's identity: any value gives the
    same runs when torch_threads is fixed; use --train-config torch_threads=1 with jobs 2)"""
    family: str = "reasoning"
    """reasoning (MathQA, the default) | ac (ac/train-quick, held-out ac/quick); only a
    non-default family enters the identity"""

    def validate(self) -> ExperimentArgs:
        """Raise ``ValueError`` naming the first bad setting."""
        from mathgym.envs.reasoning import MODULES

        if self.family not in FAMILIES:
            raise ValueError(f"--family {self.family!r}: give one of {FAMILIES}")
        known = AC_METHODS if self.family == "ac" else METHODS
        unknown = [m for m in self.methods if m not in known]
        if unknown or not self.methods:
            raise ValueError(f"--methods {unknown or self.methods}: give some of {known} "
                             f"(family {self.family})")
        if len(set(self.methods)) != len(self.methods) or len(set(self.seeds)) != len(self.seeds):
            raise ValueError("--methods and --seeds must not repeat an entry")
        if not self.seeds or any(s < 0 for s in self.seeds):
            raise ValueError(f"--seeds {self.seeds}: give one or more ints >= 0")
        if self.level not in (1, 2, 3, 4, 5):
            raise ValueError(f"--level {self.level}: give 1-5")
        bad = [m for m in self.modules if m not in MODULES]
        if bad or not self.modules:
            raise ValueError(f"--modules: unknown {bad or 'none given'}; known: {MODULES}")
        for name in ("steps", "prompts", "group", "max_new_tokens", "evals",
                     "heldout_per_module"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1")
        if self.group < 2:
            raise ValueError("--group must be >= 2 (GRPO's advantages are relative to a group)")
        if self.evals > self.steps:
            raise ValueError(f"--evals {self.evals} > --steps {self.steps}: at most one "
                             "evaluation per step")
        if not 0 <= self.lambda_start <= 1:
            raise ValueError(f"--lambda-start {self.lambda_start}: give a number in [0, 1]")
        if self.jobs < 1:
            raise ValueError(f"--jobs {self.jobs}: give 1 or more")
        if self.eval_temperature < 0:
            raise ValueError("--eval-temperature must be >= 0")
        for pair in self.train_config + self.eval_config:
            if "=" not in pair:
                raise ValueError(f"{pair!r}: expected KEY=VALUE")
        reserved = {"improver", "improver_options", "preset", "prompts_per_step",
                    "num_generations", "max_new_tokens", "few_shot", "model", "modules"}
        clash = sorted({p.split("=", 1)[0] for p in self.train_config} & reserved)
        if clash:
            raise ValueError(f"--train-config {clash}: set by the experiment's own flags")
        return self

    @property
    def batch(self) -> int:
        """Training samples per step."""
        return self.prompts * self.group

    def stage_steps(self) -> list[int]:
        """The steps after which a run is evaluated: K evenly spaced, the last = steps."""
        out = sorted({max(1, round(self.steps * k / self.evals))
                      for k in range(1, self.evals + 1)})
        return out

    def identity(self) -> dict[str, Any]:
        """What experiment.json records (everything but ``out`` and ``resume``)."""
        doc = dataclasses.asdict(self)
        for name in ("out", "resume", "jobs", "report"):
            doc.pop(name)
        if self.family == "reasoning":  # the identity of every experiment before AC
            doc.pop("family")
        else:
            for name in _MATHQA_ONLY:
                doc.pop(name)
        return {"version": EXPERIMENT_VERSION, **doc}


# ------------------------------------------------------------------ methods and commands
def method_config(method: str, args: ExperimentArgs) -> dict[str, Any]:
    """The ``mathgym train --config`` pairs of one method (on top of the common ones)."""
    if method == "plain":
        return {}
    if method.startswith("guided_"):
        correction = method.split("_", 1)[1]
        return {"improver": "guided", "improver_options": {
            "correction": correction, "clip": 2.0, "when": "always",
            "schedule": {"kind": "linear", "start": args.lambda_start, "end": 1.0,
                         "steps": args.steps}}}
    if method == "critique":
        return {"improver": "critique", "improver_options": {"critic": "rule_reference"}}
    if method == "ac_search":
        return {"improver": "ac_search", "improver_options": {
            "algorithm": "greedy", "max_nodes": 2000, "shorten": True}}
    raise ValueError(f"unknown method {method!r}; known: {METHODS} and {AC_METHODS}")


def _pairs(config: dict[str, Any]) -> list[str]:
    out = []
    for key, value in config.items():
        text = value if isinstance(value, str) else json.dumps(value)
        out += ["--config", f"{key}={text}"]
    return out


def train_argv(args: ExperimentArgs, method: str, seed: int, folder: Path, steps: int,
               resume: bool) -> list[str]:
    """The ``mathgym train`` command of one stage (argv without the program name)."""
    common = {"preset": "dr_grpo", "model": args.model, "modules": list(args.modules),
              "few_shot": args.few_shot, "prompts_per_step": args.prompts,
              "num_generations": args.group, "max_new_tokens": args.max_new_tokens}
    split = f"reasoning/mathqa-train-l{args.level}"
    if args.family == "ac":  # MathQA's modules and few_shot do not apply
        common = {k: v for k, v in common.items() if k not in ("modules", "few_shot")}
        split = AC_TRAIN_SPLIT
    argv = ["train", "--agent", "llm-grpo", "--benchmark",
            split, "--budget", str(steps * args.batch),
            "--seed", str(seed), "--out", str(folder), "--device", args.device,
            "--no-progress", *_pairs(common), *_pairs(method_config(method, args))]
    for pair in args.train_config:
        argv += ["--config", pair]
    return argv + (["--resume"] if resume else [])


def heldout_benchmark(args: ExperimentArgs) -> str:
    """The held-out benchmark id of the experiment's level (AC: ac/quick)."""
    if args.family == "ac":
        return AC_HELDOUT
    return f"reasoning/mathqa-l{args.level}"


def heldout_ids(args: ExperimentArgs) -> list[str]:
    """The fixed held-out subset: the first ``heldout_per_module`` instances of each module."""
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark(heldout_benchmark(args))
    if args.family == "ac":  # all of ac/quick
        return [i.id for i in bench.instances]
    out: list[str] = []
    for module in args.modules:
        ids = [i.id for i in bench.instances if i.data.get("module") == module]
        if not ids:
            raise ValueError(f"{bench.id} has no instance of module {module}")
        out += ids[: args.heldout_per_module]
    return out


def eval_argv(args: ExperimentArgs, policy: Path | None, folder: Path, ids: list[str],
              resume: bool) -> list[str]:
    """The ``mathgym eval`` command of one held-out evaluation (``policy`` None: untrained)."""
    config: dict[str, Any] = {"model": args.model, "device": args.device,
                              "few_shot": args.few_shot, "max_new_tokens": args.max_new_tokens,
                              "temperature": args.eval_temperature, "samples": 1}
    if policy is not None:
        if (policy / "adapter_config.json").is_file():
            config["adapter"] = str(policy)
        else:  # lora=false writes a whole model directory
            config["model"] = str(policy)
    budget = "1"
    if args.family == "ac":  # one completion; its moves cost a node each
        config.pop("few_shot")
        budget = str(AC_HELDOUT_BUDGET)
    argv = ["eval", "--benchmark", heldout_benchmark(args), "--agent", "llm", "--budget", budget,
            "--out", str(folder), "--no-progress", *_pairs(config)]
    for pair in args.eval_config:
        argv += ["--config", pair]
    return argv + ["--instances", *ids] + (["--resume"] if resume else [])


def _run(argv: list[str]) -> None:
    """One ``mathgym`` command in this process; a clear error when it fails."""
    from mathgym.cli import main

    code = main(argv)
    if code != 0:
        raise RuntimeError(f"`mathgym {' '.join(argv[:1])}` failed with exit code {code} (the "
                           f"error is printed above): mathgym {' '.join(argv)}")


def _forget_models() -> None:
    """Drop the llm agent's cached models: every stage's adapter is a new policy, and keeping
    them all would hold one model per evaluation in memory."""
    from mathgym.agents.llm import agent as llm_agent

    llm_agent._MODELS.clear()
    gc.collect()


# ------------------------------------------------------------------ stages
def _training(folder: Path) -> dict[str, Any] | None:
    path = folder / "training.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def stage_done(folder: Path, samples: int) -> bool:
    """Whether a stage folder holds a finished run of ``samples`` training samples, or one the
    trainer's guard stopped (it cannot go further)."""
    block = _training(folder)
    if block is None:
        return False
    return bool(block.get("stopped_by_guard")) or (
        bool(block.get("finished")) and block.get("training_samples") == samples)


def _start_from(previous: Path, folder: Path, budget: int) -> None:
    """Stage k+1 begins as a copy of stage k's folder with ``run.json``'s budget raised
    (nothing else differs, so ``mathgym train --resume`` accepts it). Copied into a temporary
    sibling and renamed, so an interrupted copy leaves nothing."""
    from mathgym.harness.outdir import LOCK_NAME
    from mathgym.harness.results import atomic_write_text, dumps

    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        shutil.copytree(previous, tmp, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(LOCK_NAME, "heldout", ".*.tmp*"))
        identity = json.loads((tmp / "run.json").read_text(encoding="utf-8"))
        identity["budget"] = budget
        atomic_write_text(tmp / "run.json", dumps(identity))
        (tmp / "training.json").unlink(missing_ok=True)  # written again by the next stage
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_folder(out: Path, method: str, seed: int) -> Path:
    """Folder of one method x seed (its stages are ``stage-<samples>`` inside)."""
    return out / "runs" / method / f"seed{seed}"


def train_run(args: ExperimentArgs, method: str, seed: int, log: Any = None) -> list[Path]:
    """Train one method x seed stage by stage (skipping finished stages); returns the stage
    folders that exist (fewer than planned when the guard stopped the run)."""
    root = run_folder(Path(args.out), method, seed)
    root.mkdir(parents=True, exist_ok=True)
    done: list[Path] = []
    previous: Path | None = None
    for steps in args.stage_steps():
        samples = steps * args.batch
        folder = root / f"stage-{samples}"
        if not stage_done(folder, samples):
            resume = (folder / "run.json").is_file()
            if not resume and previous is not None:
                _start_from(previous, folder, samples)
                resume = True
            if log:
                log(f"train {method} seed {seed} to {samples} samples"
                    f"{' (resumed)' if resume else ''}")
            _run(train_argv(args, method, seed, folder, steps, resume))
        done.append(folder)
        block = _training(folder) or {}
        if block.get("stopped_by_guard"):
            if log:
                log(f"{method} seed {seed}: stopped by the guard at {block.get('steps')} steps")
            break
        previous = folder
    return done


def evaluate(args: ExperimentArgs, policy: Path | None, folder: Path, ids: list[str],
             log: Any = None) -> Path:
    """The held-out evaluation into ``folder`` (skipped when its results.json exists)."""
    if not (folder / "results.json").is_file():
        if log:
            log(f"evaluate {policy or 'the untrained model'} on {len(ids)} held-out instances")
        _run(eval_argv(args, policy, folder, ids, (folder / "attempts.jsonl").is_file()))
        _forget_models()
    return folder


# ------------------------------------------------------------------ reading the results
def heldout_counts(folder: Path) -> tuple[int, int]:
    """(solved, instances) of a held-out evaluation folder (seed 0 records)."""
    from mathgym.bench.grpo_report import solved_by_instance

    solved = solved_by_instance(folder)
    return sum(solved.values()), len(solved)


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return sum(values) / len(values) if values else None


def samples_to_reach(points: list[tuple[int, float]], target: float) -> float | None:
    """The training samples at which a curve of (samples, pass@1) first reaches ``target``,
    linearly interpolated between points; None when it never does."""
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if y0 >= target:
            return float(x0)
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    if points and points[-1][1] >= target:
        return float(points[-1][0])
    return None


def mcnemar_p(only_a: int, only_b: int) -> float:
    """The exact two-sided McNemar p-value of paired binary outcomes: ``only_a`` instances
    solved by A and not by B, ``only_b`` the reverse. Under "A and B are equally good" each
    discordant instance is a fair coin, so p = min(1, 2 P[Bin(n, 1/2) <= min(a, b)])."""
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)


def paired_with(final: dict[int, dict[str, bool]],
                other: dict[int, dict[str, bool]]) -> dict[str, Any] | None:
    """Final held-out outcomes of a method paired with ``other``'s (plain's), instance by
    instance within each seed both finished: the discordant counts and McNemar's p. Paired,
    because every method is evaluated on the same instances per seed; None if no seed is
    shared."""
    seeds = sorted(set(final) & set(other))
    if not seeds:
        return None
    only_mine = sum(final[s][i] and not other[s].get(i, False) for s in seeds for i in final[s])
    only_other = sum(other[s][i] and not final[s].get(i, False) for s in seeds for i in other[s])
    return {"seeds": seeds, "only_this": only_mine, "only_plain": only_other,
            "mcnemar_p": mcnemar_p(only_mine, only_other)}


def collect(args: ExperimentArgs) -> dict[str, Any]:
    """Every curve and the summary from the finished folders (no training, no evaluation)."""
    from mathgym.agents.llm.grpo.metrics import read_metrics

    from mathgym.bench.grpo_report import solved_by_instance, wilson

    out = Path(args.out)
    finals: dict[str, dict[int, dict[str, bool]]] = {}
    base_k, base_n = heldout_counts(out / "base" / "heldout")
    methods: dict[str, Any] = {}
    for method in args.methods:
        per_seed = []
        for seed in args.seeds:
            stages = sorted(run_folder(out, method, seed).glob("stage-*"),
                            key=lambda p: int(p.name.split("-")[1]))
            stages = [s for s in stages if (s / "heldout" / "results.json").is_file()]
            if not stages:
                continue
            rows = read_metrics(stages[-1] / "metrics.csv")
            points = [(0, base_k, base_n)]
            for s in stages:
                k, n = heldout_counts(s / "heldout")
                points.append((int((_training(s) or {}).get("training_samples", 0)), k, n))
            per_seed.append({"seed": seed, "rows": rows, "points": points})
            finals.setdefault(method, {})[seed] = solved_by_instance(stages[-1] / "heldout")
        if not per_seed:
            continue
        # the seed-pooled held-out curve: the same stage in every seed, instances pooled
        xs = sorted({p[0] for s in per_seed for p in s["points"]})
        curve = []
        for x in xs:
            k = sum(p[1] for s in per_seed for p in s["points"] if p[0] == x)
            n = sum(p[2] for s in per_seed for p in s["points"] if p[0] == x)
            lo, hi = wilson(k, n)
            curve.append({"samples": x, "solved": k, "instances": n,
                          "pass@1": k / n if n else 0.0, "ci95": [lo, hi]})
        steps = sorted({r["step"] for s in per_seed for r in s["rows"]})
        series = []
        for step in steps:
            at = [r for s in per_seed for r in s["rows"] if r["step"] == step]
            series.append({"step": step, "samples": at[0]["samples"],
                           "rewarded": _mean([r.get("reward_task/mean") for r in at]),
                           "entropy": _mean([r.get("entropy") for r in at]),
                           "kl": _mean([r.get("kl") for r in at])})
        cpu = _mean([sum(r.get("time/cpu") or 0.0 for r in s["rows"]) for s in per_seed])
        methods[method] = {"seeds": [s["seed"] for s in per_seed], "heldout": curve,
                           "steps": series, "cpu_seconds_per_run": cpu,
                           "final_solved_per_seed": {str(s["seed"]): s["points"][-1][1]
                                                     for s in per_seed},
                           "rewarded_mean": _mean([p["rewarded"] for p in series])}
    base = base_k / base_n if base_n else 0.0
    target = args.target if args.target is not None else base + args.target_gain
    for info in methods.values():
        pts = [(c["samples"], c["pass@1"]) for c in info["heldout"]]
        info["samples_to_target"] = samples_to_reach(pts, target)
        info["final_pass@1"] = pts[-1][1]
    plain = methods.get("plain", {}).get("samples_to_target")
    for info in methods.values():
        mine = info["samples_to_target"]
        info["ratio_to_plain"] = (mine / plain if mine is not None and plain else None)
    for method, info in methods.items():
        info["paired_with_plain"] = (paired_with(finals[method], finals["plain"])
                                     if method != "plain" and "plain" in finals else None)
    return {"version": EXPERIMENT_VERSION, "settings": args.identity(),
            "heldout": {"benchmark": heldout_benchmark(args), "instances": base_n,
                        "untrained_pass@1": base, "untrained_ci95": list(wilson(base_k, base_n))},
            "target_pass@1": target, "methods": methods}


# ------------------------------------------------------------------ summary and plots
def markdown(summary: dict[str, Any]) -> str:
    """The summary table as Markdown."""
    h = summary["heldout"]
    s = summary["settings"]
    if s.get("family", "reasoning") == "ac":
        subset, shots = f"trained on {AC_TRAIN_SPLIT}", ""
    else:
        subset = f"{s['heldout_per_module']} per module of {', '.join(s['modules'])}"
        shots = f"few_shot {s['few_shot']}, "
    lines = [
        f"Held-out: {h['benchmark']}, {h['instances']} instances ({subset}), pass@1 at T = "
        f"{s['eval_temperature']}; "
        f"untrained {h['untrained_pass@1']:.3f} (95% CI {h['untrained_ci95'][0]:.3f}-"
        f"{h['untrained_ci95'][1]:.3f}). Target pass@1 {summary['target_pass@1']:.3f}. "
        f"Seeds {s['seeds']}, {s['steps']} steps x {s['prompts']} prompts x {s['group']} "
        f"samples, {shots}model {s['model']}.",
        "",
        "| method | rewarded samples (mean) | final pass@1 (95% CI) | final solved per seed | "
        "paired with plain: only this / only plain (McNemar p) | samples to target | "
        "ratio to plain | CPU s per run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, info in summary["methods"].items():
        last = info["heldout"][-1]
        reach = info["samples_to_target"]
        ratio = info["ratio_to_plain"]
        rew = info["rewarded_mean"]
        cpu = info["cpu_seconds_per_run"]
        per_seed = ", ".join(str(v) for v in info.get("final_solved_per_seed", {}).values())
        pair = info.get("paired_with_plain")
        paired = ("-" if pair is None else
                  f"{pair['only_this']} / {pair['only_plain']} ({pair['mcnemar_p']:.2f})")
        lines.append(
            f"| {name} | {'-' if rew is None else f'{rew:.3f}'} | {last['pass@1']:.3f} "
            f"({last['ci95'][0]:.3f}-{last['ci95'][1]:.3f}, {last['solved']}/"
            f"{last['instances']}) | {per_seed or '-'} | {paired} | "
            f"{'not reached' if reach is None else f'{reach:.0f}'} | "
            f"{'-' if ratio is None else f'{ratio:.2f}'} | "
            f"{'-' if cpu is None else f'{cpu:.0f}'} |")
    return "\n".join(lines) + "\n"


def _savefig(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)


def plot(summary: dict[str, Any], out: Path) -> list[Path]:
    """curves.png (rewarded fraction, held-out pass@1 with its CI, entropy, KL against the
    training samples) and samples_to_target.png; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    panels = [("fraction of rewarded samples", "rewarded"), ("held-out pass@1", None),
              ("token entropy", "entropy"), ("KL to reference", "kl")]
    for name, info in summary["methods"].items():
        for ax, (_, key) in zip(axes, panels, strict=True):
            if key is None:
                xs = [c["samples"] for c in info["heldout"]]
                ax.plot(xs, [c["pass@1"] for c in info["heldout"]], marker="o", label=name)
                ax.fill_between(xs, [c["ci95"][0] for c in info["heldout"]],
                                [c["ci95"][1] for c in info["heldout"]], alpha=0.15)
            else:
                pts = [(p["samples"], p[key]) for p in info["steps"] if p[key] is not None]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name)
    for ax, (title, key) in zip(axes, panels, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training samples", fontsize=9)
        ax.tick_params(labelsize=8)
        if key == "kl" and not ax.lines:
            ax.text(0.5, 0.5, "not logged (beta = 0)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=9)
    axes[1].axhline(summary["target_pass@1"], color="grey", lw=0.8, ls="--")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    curves = out / "curves.png"
    _savefig(fig, curves)

    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = list(summary["methods"])
    values = [summary["methods"][n]["samples_to_target"] for n in names]
    budget = summary["settings"]["steps"] * summary["settings"]["prompts"] * \
        summary["settings"]["group"]
    ax.bar(names, [budget if v is None else v for v in values],
           color=["lightgrey" if v is None else "C0" for v in values])
    for i, v in enumerate(values):
        ax.text(i, budget if v is None else v, "not reached" if v is None else f"{v:.0f}",
                ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("training samples", fontsize=9)
    ax.set_title(f"samples to held-out pass@1 {summary['target_pass@1']:.3f}", fontsize=10)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    bars = out / "samples_to_target.png"
    _savefig(fig, bars)
    return [curves, bars]


# ------------------------------------------------------------------ the driver
def _check_out(args: ExperimentArgs) -> None:
    from mathgym.harness.results import atomic_write_text, dumps

    out = Path(args.out)
    path = out / "experiment.json"
    want = json.loads(json.dumps(args.identity()))
    if path.is_file():
        if not args.resume:
            raise ValueError(f"{path} exists: pass --resume to continue that experiment, or "
                             "choose another --out")
        stored = json.loads(path.read_text(encoding="utf-8"))
        diff = sorted(k for k in set(stored) | set(want)
                      if k not in _RESUMABLE_CHANGES and stored.get(k) != want.get(k))
        if diff:
            raise ValueError(f"--resume with other settings than the experiment in {out} "
                             f"(differs in: {', '.join(diff)}); use the original flags")
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no experiment.json; choose another --out")
    atomic_write_text(path, dumps(want))


def run_pair(args: ExperimentArgs, method: str, seed: int, ids: list[str],
             log: Any = None) -> None:
    """Train one method x seed stage by stage and evaluate every stage on the held-out ids."""
    for stage in train_run(args, method, seed, log):
        evaluate(args, stage / "adapter", stage / "heldout", ids, log)


def _die_with_parent() -> None:
    """Worker initializer: on Linux, ask the kernel to kill this worker when the driver dies
    (``PR_SET_PDEATHSIG``), so a killed experiment leaves no orphan still training and holding
    its run folder's lock; elsewhere a no-op (the pool stops its workers on a clean exit)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PDEATHSIG


def _pair_worker(args: ExperimentArgs, method: str, seed: int, ids: list[str],
                 threads: int, verbose: bool) -> None:
    """One method x seed in a worker process (spawned: its own torch, its own thread count).
    Every folder it writes belongs to this pair alone, so workers never share a writer."""
    import torch

    torch.set_num_threads(threads)
    log = None
    if verbose:
        def log(text: str) -> None:
            print(f"[experiment {method}/seed{seed}] {text}", file=sys.stderr, flush=True)
    run_pair(args, method, seed, ids, log)


@contextlib.contextmanager
def _no_shadowing_paths() -> Iterator[None]:
    """Spawned workers import this module afresh with the driver's ``sys.path``. An entry that
    holds a folder named ``mathgym`` that is not the imported package (the parent of a clone
    named ``mathgym``, which pytest prepends when it runs the clone's tests) would make them
    import the clone's root instead; leave such entries out while the workers start."""
    import mathgym

    package = Path(mathgym.__file__).resolve().parent
    saved = list(sys.path)

    def shadows(entry: str) -> bool:
        found = Path(entry or ".") / "mathgym" / "__init__.py"
        return found.is_file() and found.resolve().parent != package

    sys.path[:] = [e for e in saved if not shadows(e)]
    try:
        yield
    finally:
        sys.path[:] = saved


def _run_parallel(args: ExperimentArgs, pairs: list[tuple[str, int]], ids: list[str],
                  verbose: bool) -> None:
    """Run the pairs ``args.jobs`` at a time; the first failure is raised once the others have
    stopped (each pair's folders stay resumable)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    context = multiprocessing.get_context("spawn")
    with _no_shadowing_paths(), ProcessPoolExecutor(max_workers=args.jobs, mp_context=context,
                             initializer=_die_with_parent) as pool:
        futures = [pool.submit(_pair_worker, args, method, seed, ids, threads, verbose)
                   for method, seed in pairs]
        errors = [f.exception() for f in futures]
    failed = [(pair, err) for pair, err in zip(pairs, errors, strict=True) if err is not None]
    if failed:
        (method, seed), err = failed[0]
        raise RuntimeError(f"{len(failed)} of {len(pairs)} runs failed; the first, {method} "
                           f"seed {seed}: {err} (rerun with --resume to continue)") from err


def run(args: ExperimentArgs, log: Any = None) -> dict[str, Any]:
    """The whole experiment: train, evaluate, summarise, plot. Returns the summary."""
    args.validate()
    out = Path(args.out)
    if args.report:
        if not (out / "experiment.json").is_file() or not args.resume:
            raise ValueError(f"--report summarises an existing experiment: give --resume and "
                             f"the OUT of one (no experiment.json in {out})")
        return _summarise(args)
    _check_out(args)
    ids = heldout_ids(args)
    evaluate(args, None, out / "base" / "heldout", ids, log)
    # seed-major: an interrupted experiment has compared every method on its first seeds
    pairs = [(method, seed) for seed in args.seeds for method in args.methods]
    if args.jobs == 1:
        for method, seed in pairs:
            run_pair(args, method, seed, ids, log)
    else:
        _run_parallel(args, pairs, ids, log is not None)
    return _summarise(args)


def _summarise(args: ExperimentArgs) -> dict[str, Any]:
    """summary.json, summary.md and the PNGs of the finished runs, written into OUT."""
    from mathgym.harness.results import atomic_write_text, dumps

    out = Path(args.out)
    summary = collect(args)
    atomic_write_text(out / "summary.json", dumps(summary))
    atomic_write_text(out / "summary.md", markdown(summary))
    plot(summary, out)
    return summary


def parse_args(argv: list[str] | None = None) -> ExperimentArgs:
    """``ExperimentArgs`` from the command line (every field is a flag)."""
    defaults = ExperimentArgs(out="")
    parser = argparse.ArgumentParser(
        prog="python -m mathgym.agents.llm.improve.experiment",
        description="Plain GRPO against guided sampling (each correction) and Critique-GRPO: "
                    "training runs, held-out pass@1 curves and the samples-to-target summary "
                    "(docs/improve.md, 'Running the experiment').")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--resume", action="store_true", help="continue the experiment in OUT")
    parser.add_argument("--report", action="store_true",
                        help="with --resume: only summarise the finished runs of the given "
                             "methods and seeds (no training, no evaluation)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="method x seed runs at once, one process each (default 1)")
    parser.add_argument("--methods", default=None,
                        help=f"comma-separated, of {','.join(METHODS)} (default: all); with "
                             f"--family ac of {','.join(AC_METHODS)} (default: "
                             f"{','.join(AC_DEFAULT_METHODS)})")
    parser.add_argument("--seeds", default=",".join(map(str, defaults.seeds)),
                        help="comma-separated training seeds")
    parser.add_argument("--modules", default=",".join(defaults.modules),
                        help="comma-separated MathQA modules")
    for f in dataclasses.fields(ExperimentArgs):
        if f.name in ("out", "resume", "jobs", "report", "methods", "seeds", "modules",
                      "train_config", "eval_config"):
            continue
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        kind = {"int": int, "float": float, "str": str}.get(
            type(default).__name__, float) if default is not None else float
        parser.add_argument(flag, type=kind, default=default,
                            help=f"(default {default!r})")
    parser.add_argument("--train-config", action="append", default=[], metavar="KEY=VALUE",
                        help="extra mathgym train setting of every run (repeatable)")
    parser.add_argument("--eval-config", action="append", default=[], metavar="KEY=VALUE",
                        help="extra llm eval agent setting (repeatable)")
    ns = parser.parse_args(argv)
    values = vars(ns)
    if ns.methods is None:
        ns.methods = ",".join(AC_DEFAULT_METHODS if ns.family == "ac" else defaults.methods)
    try:
        values["methods"] = [m.strip() for m in ns.methods.split(",") if m.strip()]
        values["seeds"] = [int(s) for s in ns.seeds.split(",") if s.strip()]
        values["modules"] = [m.strip() for m in ns.modules.split(",") if m.strip()]
    except ValueError as err:
        parser.error(f"--seeds: {err}")
    return ExperimentArgs(**values)


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 on success, 2 with one ``error:`` line on bad input."""
    try:
        args = parse_args(argv).validate()
        summary = run(args, log=lambda text: print(f"[experiment] {text}", file=sys.stderr,
                                                   flush=True))
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(markdown(summary), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
