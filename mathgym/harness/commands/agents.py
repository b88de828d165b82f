"""``mathgym agents``: list registered agents (name, version, defining module, summary)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.registry import agent_classes

    rows = []
    for name, cls in agent_classes().items():
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({
            "name": name,
            "version": str(getattr(cls, "version", "")),
            "module": cls.__module__,
            "summary": doc[0] if doc else "",
        })
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no agents registered")
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  v{r['version']:<4} {r['summary']}  ({r['module']})")
    return 0
