"""``python -m mathgym.bench.grpo_run``: the measured GRPO run of issue 12 (SmolLM2 on MathQA).

Why a script here and not ``mathgym train --agent llm-grpo``: that entry point is not wired yet;
this drives the same trainer API (:class:`mathgym.agents.llm.grpo.trainer.GRPOTrainer`) it will
use, with checkpoints, ``--resume`` and a wall-clock stop, on a shared CPU machine.

What it does:

- the policy is ``--model`` (default the cached fp32 SmolLM2-135M-Instruct), trained with a
  LoRA adapter (``--full`` for full fine-tuning);
- the prompts are :class:`~mathgym.agents.llm.grpo.prompts.MathQAPrompts`: generated MathQA
  problems of ``--modules`` at ``--difficulties`` from the training seed ``TRAIN_SEED``, with
  every public benchmark question skipped (disjoint from every benchmark by construction), in
  the ``llm`` eval agent's own chat format, scored by the exact MathQA verifier;
- every ``--checkpoint-every`` steps an atomic checkpoint (``OUT/checkpoint.pt``); ``--resume``
  continues it; the run stops after ``--steps`` steps in total, or after the first step that
  ends past ``--stop-at`` (UTC ``HH:MM``), checkpointed either way;
- at the end it writes the merged model as a Hub-format directory ``OUT/model`` (what
  ``mathgym eval --agent llm --config model=OUT/model`` loads), the adapter ``OUT/adapter``
  with its sha256, the trainer's ``OUT/metrics.csv`` and ``OUT/metrics.png``, and
  ``OUT/run.json`` (config, steps, wall seconds summed over sessions, load averages).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The default curriculum: MathQA modules whose answers are short (booleans, integers), where
#: an untrained 135 M model is sometimes right, so GRPO's groups carry a signal.
DEFAULT_MODULES = (
    "numbers__is_prime", "numbers__is_factor", "arithmetic__add_or_sub", "arithmetic__mul",
    "arithmetic__div", "numbers__div_remainder", "numbers__gcd", "numbers__lcm",
    "algebra__linear_1d", "numbers__place_value", "numbers__round_number",
    "polynomials__evaluate",
)


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` atomically (temp file, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _deadline(text: str | None) -> dt.datetime | None:
    """``HH:MM`` (UTC) as the next such moment from now; None when not given."""
    if text is None:
        return None
    try:
        hour, minute = (int(x) for x in text.split(":"))
        now = dt.datetime.now(dt.UTC)
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError as exc:
        raise SystemExit(f"--stop-at must be HH:MM in UTC, e.g. 01:15, got {text!r}") from exc
    return when if when > now else when + dt.timedelta(days=1)


def code_fingerprint() -> dict[str, str]:
    """sha256 of the trainer's source files and the git HEAD, for run.json (the trainer is
    changing while runs are made; this says exactly which code a run used)."""
    import hashlib
    import subprocess

    import mathgym.agents.llm as llm

    root = Path(llm.__file__).parent
    out = {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()[:16]
           for f in sorted(root.rglob("*.py"))}
    try:
        out["git_head"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root,
                                         capture_output=True, text=True,
                                         check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out["git_head"] = "unknown"
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module doc)."""
    p = argparse.ArgumentParser(prog="python -m mathgym.bench.grpo_run")
    p.add_argument("--out", required=True, help="run folder (checkpoint, metrics, model)")
    p.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt")
    p.add_argument("--model", default="smollm2")
    p.add_argument("--preset", default="dr_grpo", choices=("dr_grpo", "dapo"))
    p.add_argument("--steps", type=int, default=200, help="total optimiser steps")
    p.add_argument("--stop-at", default=None, help="UTC HH:MM: stop after the step ending past it")
    p.add_argument("--checkpoint-every", type=int, default=1)
    p.add_argument("--prompts", type=int, default=4, help="prompts per step")
    p.add_argument("--group", type=int, default=8, help="completions per prompt (G)")
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=2e-4)
    p.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--modules", default=",".join(DEFAULT_MODULES),
                   help="comma-separated MathQA modules (default: the short-answer curriculum)")
    p.add_argument("--difficulties", default="1", help="comma-separated MathQA difficulties")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    for name in ("steps", "checkpoint_every", "prompts", "group", "max_new_tokens", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def build_config(args: argparse.Namespace) -> Any:
    """The trainer config of this run (recorded in run.json and the checkpoint)."""
    from mathgym.agents.llm.grpo.config import GRPOConfig

    return GRPOConfig.preset(
        args.preset, prompts_per_step=args.prompts, num_generations=args.group,
        max_new_tokens=args.max_new_tokens, learning_rate=args.learning_rate,
        lora=not args.full, lora_r=args.lora_r, lora_alpha=2 * args.lora_r,
        torch_threads=args.threads, seed=args.seed, micro_batch_size=16,
        guard_action="rollback").validate()


def main(argv: list[str] | None = None) -> int:
    """Train (or resume) until ``--steps`` or ``--stop-at``, then write the model and run.json."""
    import dataclasses

    args = parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.resume:
        raise SystemExit(f"{out} is not empty: pass --resume to continue that run, or a new --out")
    out.mkdir(parents=True, exist_ok=True)
    deadline = _deadline(args.stop_at)

    from mathgym.agents.llm.common.model import load_policy
    from mathgym.agents.llm.grpo.prompts import TRAIN_SEED, MathQAPrompts
    from mathgym.agents.llm.grpo.trainer import GRPOTrainer

    cfg = build_config(args)
    model, tokenizer = load_policy(args.model, device="cpu")
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    difficulties = [int(d) for d in args.difficulties.split(",")]
    prompts = MathQAPrompts(tokenizer, difficulties=difficulties, modules=modules)
    trainer = GRPOTrainer(cfg, model, tokenizer, prompts, out_dir=out, device="cpu")
    run_path = out / "run.json"
    run: dict[str, Any] = json.loads(run_path.read_text()) if run_path.exists() else {
        "sessions": [], "wall_seconds": 0.0}
    resumed = trainer.resume() if args.resume else False
    run.update({"command": [sys.executable, "-m", "mathgym.bench.grpo_run", *(argv or [])],
                "model": args.model, "config": dataclasses.asdict(cfg),
                "modules": modules, "difficulties": difficulties, "train_seed": TRAIN_SEED})
    session = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "resumed_at_step": trainer.step if resumed else 0,
               "loadavg_start": list(os.getloadavg()), "code": code_fingerprint()}
    run["sessions"].append(session)
    _write_json(run_path, run)

    t_last = time.perf_counter()
    if trainer.step == 0:
        trainer.save_checkpoint()  # the first rollback target
    while trainer.step < args.steps:
        stats = trainer.train_step()
        now = time.perf_counter()
        run["wall_seconds"] += now - t_last
        t_last = now
        if trainer.step % args.checkpoint_every == 0:
            trainer.save_checkpoint()
        session.update({"steps_to": trainer.step, "loadavg_last": list(os.getloadavg())})
        _write_json(run_path, run)
        print(f"step {trainer.step}: reward {stats['reward/mean']:.3f} "
              f"zero-std {stats['frac_zero_std']:.2f} len {stats['completion/mean_length']:.1f} "
              f"entropy {stats['entropy']:.3f} {stats['time/step']:.0f}s", flush=True)
        if deadline is not None and dt.datetime.now(dt.UTC) >= deadline:
            print(f"--stop-at {args.stop_at} reached after step {trainer.step}", flush=True)
            break
    trainer.save_checkpoint()
    sha = trainer.save_adapter(out / "adapter") if not args.full else None
    trainer.save_adapter(out / "model", merge=True,
                         meta={"base_model": args.model, "adapter_sha256": sha})
    trainer.plot()
    trainer.close()
    run.update({"steps": trainer.step, "samples": trainer.samples, "adapter_sha256": sha,
                "finished": trainer.step >= args.steps,
                "ended": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    _write_json(run_path, run)
    print(json.dumps({k: run[k] for k in ("steps", "samples", "wall_seconds", "adapter_sha256")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
