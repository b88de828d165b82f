"""The ``mathgym`` command line.

Each sub-command lives in the module of the concept it serves and exposes two functions:
``add_arguments(parser: argparse.ArgumentParser) -> None`` and ``run(args) -> int``.
Command modules keep their top-level imports light; heavy work is imported inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

#: name -> (module, one-line help). The module provides ``add_arguments`` and ``run``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("mathgym.demo", "run the quick suite on the embedded defaults"),
    "benchmarks": ("mathgym.harness.commands.benchmarks", "list benchmarks and instance counts"),
    "agents": ("mathgym.harness.commands.agents", "list registered agents"),
    "eval": ("mathgym.harness.commands.evaluate", "evaluate an agent on a benchmark"),
    "train": ("mathgym.harness.commands.train", "train a learner (solving while training)"),
    "export": ("mathgym.harness.commands.export",
               "write a benchmark as a Hugging Face datasets.Dataset (one row per instance)"),
    "submit": ("mathgym.leaderboards.submit", "re-verify a results file and add it to its board"),
    "leaderboard": ("mathgym.leaderboards.board", "print a benchmark's leaderboard"),
    "ac-search": ("mathgym.agents.search.cli", "one long, resumable AC search (checkpointed)"),
    "lean": ("mathgym.envs.lean.cli", "Lean REPL tools (replay a recorded session)"),
}


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:  # a command whose module is not written yet
        if err.name and module_name.startswith(err.name):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathgym", description="Sparse-reward math environments, agents and leaderboards."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:
        # `mathgym benchmarks | head`: the reader left; stop quietly instead of a traceback.
        # stdout is pointed at devnull so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by the pipe


if __name__ == "__main__":
    sys.exit(main())
