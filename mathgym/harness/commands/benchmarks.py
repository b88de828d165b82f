"""``mathgym benchmarks``: list registered benchmarks with instance counts (or one's instances)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", metavar="BENCHMARK", help="list this benchmark's instances")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.registry import get_benchmark, list_benchmarks

    if args.show:
        try:
            bench = get_benchmark(args.show)
        except ValueError as err:
            print(f"error: {err}")
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
        desc = r["description"].split(". ")[0][:60]
        default = r["default_budget"]
        default_text = str(int(default)) if float(default).is_integer() else f"{default:g}"
        print(
            f"{r['id']:<{width}} {r['instances']:>9}  {r['budget_unit']:<13} "
            f"{default_text:>9}  {desc}"
        )
    from mathgym.harness.sealed import sealed_factories

    sealed = list(sealed_factories())
    if sealed:
        print(f"sealed splits (problems drawn from a secret; run with `mathgym eval "
              f"--sealed-secret FILE`, see docs/harness.md): {', '.join(sealed)}")
    return 0
