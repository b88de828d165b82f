"""``python -m mathgym.verifiers.metamath [DATABASE] [--jobs N] [--labels ...]``.

Parses the database (default: Debian's set.mm), verifies every ``$p`` proof with our kernel
and prints a JSON summary: counts of verified, failed and incomplete (``?``) proofs, the first
failures with their reasons, and parse/verify seconds. Exit status 0 iff nothing failed.
``--jobs 2`` verifies in two forked processes (the parsed database is shared by fork).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time

from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, MetamathError, parse
from mathgym.verifiers.metamath.kernel import verify_all

_DB = None


def _verify_share(args: tuple) -> dict:
    share, jobs = args
    return verify_all(_DB, _DB.theorems[share::jobs])


def verify_database(path: str, jobs: int = 1, labels: list | None = None) -> dict:
    """Parse and verify ``path``; the summary dict printed by the command."""
    global _DB
    t0 = time.perf_counter()
    c0 = time.process_time()
    db = parse(path)
    t1 = time.perf_counter()
    if labels:
        missing = [lab for lab in labels if lab not in db.labels]
        if missing:
            raise MetamathError(f"{path}: no statements labelled {missing}")
        theorems = [db.labels[lab] for lab in labels if db.labels[lab].kind == "$p"]
        result = verify_all(db, theorems)
    elif jobs > 1:
        _DB = db
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            parts = pool.map(_verify_share, [(k, jobs) for k in range(jobs)])
        _DB = None
        result = {
            "verified": sum(p["verified"] for p in parts),
            "failed": [f for p in parts for f in p["failed"]],
            "incomplete": [x for p in parts for x in p["incomplete"]],
        }
    else:
        result = verify_all(db)
    t2 = time.perf_counter()
    return {
        "database": path,
        "theorems": len(labels) if labels else len(db.theorems),
        "verified": result["verified"],
        "failed": len(result["failed"]),
        "incomplete": len(result["incomplete"]),
        "failures": [{"label": lab, "reason": why} for lab, why in result["failed"][:20]],
        "incomplete_labels": result["incomplete"][:20],
        "parse_seconds": round(t1 - t0, 3),
        "verify_seconds": round(t2 - t1, 3),
        "seconds": round(t2 - t0, 3),
        "cpu_seconds_main_process": round(time.process_time() - c0, 3),
        "jobs": jobs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mathgym.verifiers.metamath",
        description="Verify every $p proof of a Metamath database with mathgym's own kernel.",
    )
    parser.add_argument("database", nargs="?", default=DEFAULT_DATABASE)
    parser.add_argument("--jobs", type=int, default=1, help="verifying processes (fork)")
    parser.add_argument("--labels", nargs="*", default=None, help="verify only these $p")
    args = parser.parse_args(argv)
    try:
        summary = verify_database(args.database, max(1, args.jobs), args.labels)
    except MetamathError as err:
        print(json.dumps({"database": args.database, "error": str(err)}))
        return 2
    print(json.dumps(summary, indent=2))
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
