"""``mathgym benchmarks``: list registered benchmarks with instance counts (or one's instances).

The table cuts each description to its first sentence so one benchmark fits on a line;
``--long`` prints every description whole, wrapped under its row, for reading what a budget
unit counts or how a certificate is checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

#: Characters of the first sentence of a description shown in the short table.
SHORT_DESCRIPTION = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", metavar="BENCHMARK", help="list this benchmark's instances")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--long", action="store_true",
                        help="print each description whole (the table cuts it short)")


def short_description(text: str) -> str:
    """The first sentence of ``text``, cut to :data:`SHORT_DESCRIPTION` characters (an
    ellipsis marks a cut, so nobody takes it for the whole text)."""
    first = " ".join(text.split()).split(". ")[0]
    if len(first) <= SHORT_DESCRIPTION:
        return first
    return first[: SHORT_DESCRIPTION - 3].rstrip() + "..."


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.registry import get_benchmark, list_benchmarks

    if args.show:
        try:
            bench = get_benchmark(args.show)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps([inst.to_json() for inst in bench.instances], indent=1))
            return 0
        print(f"{bench.full_id}  {len(bench)} instances  {bench.content_hash}")
        for inst in bench.instances:
            strata = " ".join(f"{k}={v}" for k, v in inst.strata.items())
            print(f"  {inst.id:<24} {strata}")
        return 0
    rows = []
    for name in list_benchmarks():
        bench = get_benchmark(name)
        rows.append({
            "id": bench.full_id,
            "instances": len(bench),
            "budget_unit": bench.budget_unit,
            "default_budget": bench.default_budget,
            "env_id": bench.env_id,
            "strata": list(bench.strata),
            "tags": list(bench.tags),
            "content_hash": bench.content_hash,
            "description": bench.description,
        })
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no benchmarks registered")
        return 0
    width = max(len("benchmark"), *(len(r["id"]) for r in rows))
    print(f"{'benchmark':<{width}} {'instances':>9}  {'budget unit':<13} {'default':>9}  "
          "description")
    for r in rows:
        desc = "" if args.long else short_description(r["description"])
        default = r["default_budget"]
        default_text = str(int(default)) if float(default).is_integer() else f"{default:g}"
        print(
            f"{r['id']:<{width}} {r['instances']:>9}  {r['budget_unit']:<13} "
            f"{default_text:>9}  {desc}".rstrip()
        )
        if args.long:
            print(textwrap.fill(" ".join(r["description"].split()), width=96,
                                initial_indent="    ", subsequent_indent="    "))
    from mathgym.harness.sealed import sealed_factories

    sealed = list(sealed_factories())
    if sealed:
        print(f"sealed splits (problems drawn from a secret; run with `mathgym eval "
              f"--sealed-secret FILE`, see docs/harness.md): {', '.join(sealed)}")
    return 0
