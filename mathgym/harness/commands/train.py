"""``mathgym train``: train a learner on a benchmark, solving it while training (docs/rl.md).

The GRPO trainer for language models (``--agent llm-grpo``, docs/llm.md) runs behind the same
command on a training split (``reasoning/mathqa-train-l1`` ...), with the budget in training
samples (completions); see :mod:`mathgym.agents.llm.grpo.run`.

Example (AC-Solver's PPO on the 1190 Miller-Schupp presentations)::

    mathgym train --benchmark ac/ms1190 --agent sb3-ppo --budget 40000000 --seed 0 \\
        --out runs/ppo
    mathgym train ... --out runs/ppo --resume            # after a kill, even kill -9
    mathgym train ... --config split=random --out runs/ppo-split   # train, then
    mathgym eval --benchmark ac/ms1190 --agent sb3 --config checkpoint=runs/ppo-split/model.zip \\
        --budget 2000 --out runs/ppo-split-eval                     # evaluate

A plug-in learner (``mathgym.harness.learners.register_learner``, called by a module listed in
``MATHGYM_EXTRA_MODULES``) runs behind the same command: ``--agent NAME`` with ``--benchmark``,
``--budget``, ``--seed``, ``--out``, ``--config`` and ``--resume`` (docs/tutorial.md step 3).

The SB3 learners write OUT/results.json (one record per instance: the shortest path found while
training and the env steps spent when it was found), OUT/checkpoint.pt (all needed to resume),
OUT/model.zip (the SB3 model, what ``--agent sb3`` loads), OUT/training.json, OUT/logs/
(SB3's CSV and TensorBoard logs). Errors (unknown names, bad config, an --out in use or
holding another run) print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from mathgym.harness.commands import os_error_line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", required=True, help="e.g. ac/ms1190")
    parser.add_argument("--agent", required=True, metavar="LEARNER",
                        help="learner: sb3-ppo, sb3-maskable-ppo, sb3-dqn, llm-grpo, "
                             "ac-expert-iteration, or one a MATHGYM_EXTRA_MODULES plug-in "
                             "registers")
    parser.add_argument("--budget", type=int, required=True,
                        help="training env steps (summed over the envs); llm-grpo: training "
                             "samples (completions)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--config", action="append", metavar="KEY=VALUE",
                        help="learner or env setting (repeatable); VALUE is JSON or text")
    parser.add_argument("--config-json", help="settings as one JSON object")
    parser.add_argument("--resume", action="store_true",
                        help="continue the (killed) run in --out from its last checkpoint")
    parser.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                        help="env steps between checkpoints (default: 200000); llm-grpo: "
                             "training samples (default: 10 steps' worth)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.commands.evaluate import parse_config
    from mathgym.harness.learners import BUILTIN_LEARNERS
    from mathgym.harness.results import ResultsError

    try:
        if args.agent not in BUILTIN_LEARNERS:
            return _run_plugin(args, parse_config(args.config, args.config_json))
        from mathgym.agents.rl.common.train import TrainArgs, train

        train_args = TrainArgs(
            benchmark=args.benchmark, learner=args.agent, budget=args.budget, out=args.out,
            seed=args.seed, config=parse_config(args.config, args.config_json),
            resume=args.resume, checkpoint_every=args.checkpoint_every, device=args.device,
            progress=not args.no_progress,
        )
        if args.agent == "llm-grpo":
            from mathgym.agents.llm.grpo.run import train_llm

            block = train_llm(train_args)
        else:
            if train_args.checkpoint_every is None:
                train_args.checkpoint_every = 200_000
            block = train(train_args)
    except (ValueError, TypeError, RuntimeError, ResultsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(os_error_line(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: the last checkpoint is in {args.out}; run the same command with "
              "--resume to continue", file=sys.stderr)
        return 130
    if args.agent == "llm-grpo":
        import os

        if os.environ.get("RANK", "0") != "0":  # torchrun: rank 0 reports
            return 0
        guard = f"; stopped by the guard: {block['stopped_by_guard']}" \
            if block["stopped_by_guard"] else ""
        print(f"llm-grpo on {args.benchmark}: {block['steps']} steps, "
              f"{block['training_samples']} training samples, adapter sha256 "
              f"{block['adapter_sha256']}{guard} -> {args.out}")
        return 0
    print(f"{args.agent} on {args.benchmark}: {block['steps']} steps, solved "
          f"{block['curve'][-1][1]} (at the training cap: {block['solved_at_training_cap']}); "
          f"model sha256 {block['checkpoint_sha256']} -> {args.out}")
    return 0


def _run_plugin(args: argparse.Namespace, config: dict) -> int:
    """Train a plug-in learner (mathgym.harness.learners); errors propagate to :func:`run`."""
    from mathgym.agents.search.expert_iteration.learner import register
    from mathgym.harness.learners import load_plugins, run_learner

    register()  # ac-expert-iteration, the in-repo plug-in learner
    load_plugins()
    for name in ("checkpoint_every", "device"):
        default = {"checkpoint_every": None, "device": "auto"}[name]
        if getattr(args, name) != default:
            raise ValueError(f"--{name.replace('_', '-')} is a built-in learner's option; "
                             f"plug-in learner {args.agent!r} takes its settings as --config")
    block = run_learner(args.agent, args.benchmark, args.budget, args.seed, args.out, config,
                        resume=args.resume)
    print(f"{args.agent} on {args.benchmark}: {block['steps']} steps; checkpoint "
          f"{block['checkpoint']} sha256 {block['checkpoint_sha256']} -> {args.out}")
    return 0
