"""``mathgym eval``: evaluate an agent on a benchmark; writes OUT/attempts.jsonl and results.json.

Example::

    mathgym eval --benchmark ac/ms1190 --agent ac-greedy --budget 1000000 --seeds 0 1 2 \\
        --workers 2 --out runs/greedy-ms1190

A sealed split (problems drawn from a secret only the harness reads; docs/harness.md)::

    mathgym eval --benchmark reasoning/mathqa-l3-sealed --sealed-secret /srv/mathgym/secret \\
        --worker-user mathgym-agent --agent my-agent --out runs/sealed-l3

Errors (unknown names, bad flags, an --out in use or holding another run, an unwritable --out)
print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mathgym.harness.commands import os_error_line


def parse_config(pairs: list[str] | None, config_json: str | None) -> dict[str, Any]:
    """Agent config from ``KEY=VALUE`` pairs (VALUE parsed as JSON, else kept as text)."""
    config: dict[str, Any] = {}
    if config_json:
        try:
            loaded = json.loads(config_json)
        except json.JSONDecodeError as err:
            raise ValueError(f"--config-json is not valid JSON: {err}") from None
        if not isinstance(loaded, dict):
            raise ValueError("--config-json must be a JSON object, e.g. '{\"width\": 8}'")
        config.update(loaded)
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--config {pair!r}: expected KEY=VALUE, e.g. --config width=8")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    return config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", required=True, help="e.g. ac/ms1190 or ac/ms1190@1")
    parser.add_argument("--agent", required=True, help="agent name (see `mathgym agents`)")
    parser.add_argument("--config", action="append", metavar="KEY=VALUE",
                        help="agent config entry (repeatable); VALUE is JSON or text")
    parser.add_argument("--config-json", help="agent config as one JSON object")
    parser.add_argument("--budget", type=float, default=None,
                        help="budget per attempt, in the benchmark's unit (default: its own)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds (default: 0)")
    parser.add_argument("--workers", type=int, default=1, help="parallel workers (default: 1)")
    parser.add_argument("--backend", default="multiprocessing",
                        choices=["multiprocessing", "ray", "inline"], help="parallel backend")
    parser.add_argument("--ray-address", default=None,
                        help="connect to this Ray cluster instead of starting a local one")
    parser.add_argument("--out", required=True, help="output folder (attempts.jsonl, results.json)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a killed run in --out, skipping finished attempts")
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances")
    parser.add_argument("--instances", nargs="+", default=None, metavar="ID",
                        help="only these instance ids")
    parser.add_argument("--attempt-timeout", type=float, default=None, metavar="SECONDS",
                        help="record an attempt running longer as an error and kill its worker "
                             "(multiprocessing backend)")
    parser.add_argument("--sealed-secret", default=None, metavar="FILE",
                        help="evaluate a sealed split (--benchmark ...-sealed) drawn from the "
                             "secret in FILE (mode 0600, outside the repo); agents never see it")
    parser.add_argument("--worker-user", default=None, metavar="USER",
                        help="sealed splits, harness run as root: agent workers run as USER, who "
                             "must not be able to read the secret file")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.results import ResultsError
    from mathgym.harness.runner import EvalConfig, evaluate
    from mathgym.leaderboards.board import format_amount

    try:
        cfg = EvalConfig(
            benchmark=args.benchmark,
            agent=args.agent,
            agent_config=parse_config(args.config, args.config_json),
            budget=args.budget,
            seeds=args.seeds,
            workers=args.workers,
            backend=args.backend,
            out=args.out,
            resume=args.resume,
            limit=args.limit,
            instances=args.instances,
            progress=not args.no_progress,
            ray_address=args.ray_address,
            attempt_timeout=args.attempt_timeout,
            sealed_secret=args.sealed_secret,
            worker_user=args.worker_user,
        )
        doc = evaluate(cfg)
    except (ValueError, ResultsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # evaluate names --out paths itself; this is anything else
        print(os_error_line(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished attempts are kept in {args.out}/attempts.jsonl; "
              "run the same command with --resume to continue", file=sys.stderr)
        return 130
    m = doc["metrics"]
    ci = m["solve_rate_ci95"]
    ci_text = f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else ""
    print(
        f"{doc['agent']['name']} on {doc['benchmark']['id']}@{doc['benchmark']['version']}: "
        f"solved {m['solved']}/{m['num_records']} = {m['solve_rate']:.3f}{ci_text}; "
        f"budget {format_amount(doc['budget']['amount'])} {doc['budget']['unit']}; "
        f"wall {doc['run']['wall_time']:.1f}s -> {args.out}/results.json"
    )
    return 0
