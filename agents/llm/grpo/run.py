"""``mathgym train --agent llm-grpo``: the GRPO trainer behind the same command as the SB3
learners (docs/llm.md, "The trainer").

    mathgym train --agent llm-grpo --benchmark reasoning/mathqa-train-l1 --budget 3200 \\
        --config loss_type=dr_grpo --out runs/grpo            # 3200 completions = 200 steps
    mathgym train ... --out runs/grpo --resume                  # after a kill, even kill -9
    mathgym eval --benchmark reasoning/mathqa-l1 --agent llm \\
        --config adapter=runs/grpo/adapter --out runs/grpo-eval

**Training splits** (:data:`TRAINING_SPLITS`): ``reasoning/mathqa-train-l1`` ... ``-l5`` (one
difficulty, all modules) and ``reasoning/mathqa-train-mix`` (difficulties 1-3 in turn):
generated MathQA problems of :data:`~mathgym.agents.llm.grpo.prompts.TRAIN_SEED`, a problem
stream no benchmark uses, minus any problem whose question is a public benchmark question, so
they are disjoint from every benchmark's instances (tested). ``ac/train-quick``
(:data:`~mathgym.envs.ac.training.AC_TRAINING_SPLITS`): generated Miller–Schupp presentations
that greedy search solves within 2,000 nodes, disjoint from ac/quick, ac/ak and ac/ms1190
(``envs/ac/training.py``), prompted and scored by
:class:`~mathgym.agents.llm.grpo.ac_prompts.ACPrompts` (the llm agent's AC chat; reward 1 iff
the parsed path verifies); evaluate on ``ac/quick``. ``metamath/train-quick``
(:data:`~mathgym.envs.metamath.training.MM_TRAINING_SPLITS`): small train-split set.mm
theorems, each with a proof ``mm_search``'s first-goal search finds, disjoint from every
``formal/metamath-*`` instance by label and by statement (``envs/metamath/training.py``),
prompted and scored by :class:`~mathgym.agents.llm.grpo.metamath_prompts.MetamathPrompts`
(the llm agent's Metamath wording, the whole proof one action per line; reward 1 iff the
replayed lines give a proof the kernel accepts under the usage rule); evaluate on
``formal/metamath-*``. The MathQA settings ``modules`` and ``few_shot`` are refused on an AC
or Metamath split (the llm agent's AC and Metamath prompts have no few-shot examples).
Evaluation benchmarks are refused here with the training split to use instead: training on the
test set is not a thing this command does.

**Budget unit: training samples**, the completions of the batches trained on:
``prompts_per_step x num_generations`` per optimiser batch, so ``--budget`` must be a multiple
of it and the run takes ``budget / (P x G)`` steps (with dynamic sampling a step keeps at most
P x G completions and samples more; ``training.json`` records both counts).
``--checkpoint-every`` is in the same unit (default: every 10 steps' worth).

Writes OUT/run.json (the run's identity, checked on ``--resume``), OUT/checkpoint.pt
(everything to resume), OUT/adapter/ (the LoRA adapter with its sha256 and the training
samples, or the whole model with ``lora=false``; rewritten at each checkpoint), OUT/metrics.csv,
OUT/logs/ (TensorBoard), OUT/metrics.png, OUT/guard.jsonl (when the guard fired) and
OUT/training.json. One writer per --out (:class:`~mathgym.harness.outdir.OutDirLock`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

#: Bump when the run's behaviour changes (recorded in run.json and training.json).
RUN_VERSION = "1"
LEARNER = "llm-grpo"
#: Training split id -> difficulties of its problem stream.
TRAINING_SPLITS: dict[str, tuple[int, ...]] = {
    **{f"reasoning/mathqa-train-l{d}": (d,) for d in range(1, 6)},
    "reasoning/mathqa-train-mix": (1, 2, 3),
}
#: --config keys that are not GRPOConfig fields.
RUN_KEYS = {"model": "smollm2", "modules": None, "system_prompt": None, "few_shot": 0}


def split_for(benchmark: str) -> tuple[int, ...]:
    """The difficulties of a training split; a clear error for anything else."""
    if benchmark in TRAINING_SPLITS:
        return TRAINING_SPLITS[benchmark]
    from mathgym.envs.ac.training import AC_TRAINING_SPLITS
    from mathgym.envs.metamath.training import MM_TRAINING_SPLITS

    hint = ""
    if benchmark.startswith("ac/") and benchmark not in AC_TRAINING_SPLITS:
        hint = (f"; {benchmark} is an evaluation benchmark: train on the AC training split "
                f"{', '.join(AC_TRAINING_SPLITS)} and evaluate with mathgym eval --benchmark "
                f"{benchmark} --agent llm --config adapter=OUT/adapter")
    if benchmark.startswith(("formal/metamath", "metamath/")):
        what = ("an evaluation benchmark" if benchmark.startswith("formal/")
                else "not a Metamath training split")
        hint = (f"; {benchmark} is {what}: train on the Metamath training split "
                f"{', '.join(MM_TRAINING_SPLITS)} and evaluate with mathgym eval --benchmark "
                "formal/metamath-easy --agent llm --config adapter=OUT/adapter")
    if benchmark.startswith("reasoning/mathqa-l") and benchmark[-1:].isdigit():
        hint = (f"; {benchmark} is an evaluation benchmark: train on its training split "
                f"reasoning/mathqa-train-l{benchmark[-1]} and evaluate with mathgym eval "
                f"--benchmark {benchmark} --agent llm --config adapter=OUT/adapter")
    raise ValueError(f"--benchmark {benchmark!r} is not a training split of llm-grpo (splits: "
                     f"{', '.join([*TRAINING_SPLITS, *AC_TRAINING_SPLITS, *MM_TRAINING_SPLITS])}"
                     f"){hint}")


def ac_split_for(benchmark: str) -> Any:
    """The AC training split of ``benchmark`` (an ``envs.ac.training.ACSplit``), or None when
    it is not one (MathQA splits, and errors, are :func:`split_for`'s)."""
    from mathgym.envs.ac.training import AC_TRAINING_SPLITS

    return AC_TRAINING_SPLITS.get(benchmark)


def mm_split_for(benchmark: str) -> Any:
    """The Metamath training split of ``benchmark`` (an ``envs.metamath.training
    .MetamathSplit``), or None when it is not one (errors are :func:`split_for`'s)."""
    from mathgym.envs.metamath.training import MM_TRAINING_SPLITS

    return MM_TRAINING_SPLITS.get(benchmark)


def _check_ac_run(run: dict[str, Any], benchmark: str, family: str = "AC") -> None:
    """MathQA-only settings on an AC (or Metamath) split are errors, not silently ignored."""
    if run["modules"] is not None:
        raise ValueError(f"--config modules: MathQA modules do not apply to the {family} split "
                         f"{benchmark}; drop it")
    if run["few_shot"]:
        raise ValueError(f"--config few_shot={run['few_shot']}: the llm agent's {family} prompt "
                         f"has no few-shot examples, so the {family} split {benchmark} takes "
                         "none (training and evaluation prompts must agree); drop it or set 0")


def build_config(overrides: dict[str, Any], seed: int) -> tuple[Any, dict[str, Any]]:
    """``(GRPOConfig, run settings)`` from --config pairs; unknown keys and wrong types named."""
    from mathgym.agents.llm.grpo.config import GRPOConfig

    fields = {f.name: f for f in dataclasses.fields(GRPOConfig)}
    run = dict(RUN_KEYS)
    grpo: dict[str, Any] = {}
    preset = overrides.get("preset")
    for key, value in overrides.items():
        if key == "preset":
            continue
        if key in RUN_KEYS:
            run[key] = value
        elif key in fields:
            grpo[key] = value
        else:
            raise ValueError(f"--config {key}: not a setting of {LEARNER}; its settings are "
                             f"preset, {', '.join(sorted(RUN_KEYS))}, "
                             f"{', '.join(sorted(fields))}")
    if "seed" in grpo:
        raise ValueError("--config seed: use --seed")
    defaults = GRPOConfig()
    for key, value in grpo.items():
        _check_type(key, value, getattr(defaults, key))
    grpo["seed"] = seed
    cfg = GRPOConfig.preset(preset, **grpo) if preset else GRPOConfig(**grpo)
    if not isinstance(run["model"], str) or not run["model"]:
        raise ValueError(f"--config model={run['model']!r}: give 'smollm2' or a model directory")
    shots = run["few_shot"]
    if isinstance(shots, bool) or not isinstance(shots, int) or not 0 <= shots <= 8:
        raise ValueError(f"--config few_shot={shots!r}: give 0-8 solved examples per prompt (the "
                         "llm agent's few_shot; evaluate with the same value)")
    return cfg.validate(), run


def _check_type(key: str, value: Any, default: Any) -> None:
    if value is None or default is None:
        return
    kind = type(default)
    ok = {bool: isinstance(value, bool),
          int: isinstance(value, int) and not isinstance(value, bool),
          float: isinstance(value, int | float) and not isinstance(value, bool),
          str: isinstance(value, str), list: isinstance(value, list)}.get(kind, True)
    if not ok:
        raise ValueError(f"--config {key}={value!r}: expected a {kind.__name__} like the "
                         f"default {default!r}")


def _finite(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
            for k, v in stats.items()}


def training_block(trainer: Any, run: dict[str, Any], benchmark: str, sha: str | None,
                   finished: bool, stopped: str | None) -> dict[str, Any]:
    """The content of training.json."""
    last = trainer.history[-1] if trainer.history else {}
    return {
        "learner": LEARNER, "version": RUN_VERSION, "split": benchmark,
        "model": run["model"], "adapter_sha256": sha, "lora": trainer.config.lora,
        "steps": trainer.step, "training_samples": trainer.samples,
        "sampled_completions": trainer.sampled, "rollbacks": trainer.rollbacks,
        "finished": finished, "stopped_by_guard": stopped,
        "guard_events": trainer.events, "last": _finite(last),
    }


def _check_out(out: Path, run_file: Path, identity: dict[str, Any], resume: bool) -> None:
    """Refuse a folder holding another run (or this one without --resume); write run.json."""
    from mathgym.harness.results import atomic_write_text, dumps

    if run_file.exists() and not resume:
        raise ValueError(f"{run_file} already exists: pass --resume to continue that run, "
                         "or choose another --out")
    if resume and run_file.exists():
        stored = json.loads(run_file.read_text(encoding="utf-8"))
        want = json.loads(json.dumps(identity))
        diff = sorted(k for k in set(stored) | set(want) if stored.get(k) != want.get(k))
        if diff:
            raise ValueError(f"--resume with other settings than the run in {out} (differs "
                             f"in: {', '.join(diff)}); use the original command or another "
                             "--out")
    elif (out / "checkpoint.pt").exists() or (out / "results.json").exists():
        raise ValueError(f"{out} holds another run's files; choose another --out")
    else:
        atomic_write_text(run_file, dumps(identity))


def train_llm(args: Any) -> dict[str, Any]:
    """Run (or resume) one ``llm-grpo`` training run; returns the final training block.

    ``args``: a :class:`~mathgym.agents.rl.common.train.TrainArgs`.
    """
    from mathgym.agents.llm.common.model import load_policy
    from mathgym.agents.llm.grpo.prompts import MathQAPrompts
    from mathgym.agents.llm.grpo.trainer import GRPOTrainer, GuardStop
    from mathgym.agents.rl.common.device import resolve_device

    from mathgym.harness.outdir import OutDirLock
    from mathgym.harness.results import atomic_write_text, dumps

    ac_split = ac_split_for(args.benchmark)
    mm_split = mm_split_for(args.benchmark)
    difficulties = split_for(args.benchmark) if ac_split is None and mm_split is None else ()
    cfg, run = build_config(dict(args.config), args.seed)
    if ac_split is not None:
        _check_ac_run(run, args.benchmark)
    if mm_split is not None:
        _check_ac_run(run, args.benchmark, "Metamath")
    batch = cfg.prompts_per_step * cfg.num_generations
    budget = args.budget
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < batch \
            or budget % batch:
        raise ValueError(f"--budget {budget!r}: give training samples (completions), a positive "
                         f"multiple of prompts_per_step x num_generations = {batch}, e.g. "
                         f"{batch * 100} for 100 steps")
    steps = budget // batch
    every = args.checkpoint_every if args.checkpoint_every is not None else 10 * batch
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"--checkpoint-every {every!r}: give training samples >= 1")
    every_steps = max(1, every // batch)
    resolve_device(args.device)  # a clear error before anything is loaded
    out = Path(args.out)
    identity = {"benchmark": args.benchmark, "learner": LEARNER, "version": RUN_VERSION,
                "config": {**dataclasses.asdict(cfg), **run}, "budget": budget,
                "seed": args.seed, "difficulties": list(difficulties)}
    if ac_split is not None or mm_split is not None:  # records its split's generator instead
        identity.pop("difficulties")
        identity["split"] = (ac_split or mm_split).describe()

    # Under torchrun only rank 0 owns --out (lock, run.json, outputs); the others train.
    main = int(os.environ.get("RANK", "0")) == 0
    lock = OutDirLock(out).acquire() if main else None
    try:
        run_file = out / "run.json"
        if main:
            _check_out(out, run_file, identity, args.resume)
        model, tokenizer = load_policy(run["model"], device=args.device)
        if mm_split is not None:
            from mathgym.agents.llm.grpo.metamath_prompts import MetamathPrompts

            prompts: Any = MetamathPrompts(tokenizer, mm_split,
                                           system_prompt=run["system_prompt"])
        elif ac_split is None:
            prompts = MathQAPrompts(tokenizer, difficulties=difficulties,
                                    modules=run["modules"], system_prompt=run["system_prompt"],
                                    few_shot=run["few_shot"])
        else:
            from mathgym.agents.llm.grpo.ac_prompts import ACPrompts

            prompts = ACPrompts(tokenizer, ac_split, system_prompt=run["system_prompt"])
        trainer = GRPOTrainer(cfg, model, tokenizer, prompts, out, device=args.device)
        if args.resume:
            trainer.resume()
        sha: list[str | None] = [None]

        def save_outputs() -> None:
            sha[0] = trainer.save_adapter(out / "adapter", meta={
                "base_model": run["model"], "split": args.benchmark, "seed": args.seed})
            if main:
                block = training_block(trainer, run, args.benchmark, sha[0], False, None)
                atomic_write_text(out / "training.json", dumps(block))

        bar = None
        if args.progress and main:
            from tqdm import tqdm

            bar = tqdm(total=steps, initial=trainer.step, unit="step", file=sys.stderr,
                       desc=f"{LEARNER} {args.benchmark}")
        stopped = None
        try:
            while trainer.step < steps:
                stats = trainer.train_step()
                if bar is not None:
                    bar.n = trainer.step
                    bar.set_postfix(reward=f"{stats['reward/mean']:.3f}")
                if trainer.step % every_steps == 0 or trainer.step == steps:
                    trainer.save_checkpoint()
                    save_outputs()
        except GuardStop as stop:
            stopped = str(stop)
        finally:
            if bar is not None:
                bar.close()
        trainer.save_checkpoint()
        save_outputs()
        if trainer.history:
            trainer.plot()
        trainer.close()
        block = training_block(trainer, run, args.benchmark, sha[0], stopped is None, stopped)
        if main:
            atomic_write_text(out / "training.json", dumps(block))
        return block
    finally:
        if lock is not None:
            lock.release()
