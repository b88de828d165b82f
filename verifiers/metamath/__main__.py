"""``python -m mathgym.verifiers.metamath [DATABASE] [--jobs N] [--labels ...]``.

Parses the database (default: Debian's set.mm), verifies every ``$p`` proof with our kernel
and prints a JSON summary: counts of verified, failed and incomplete (``?``) proofs, the first
failures with their reasons, and parse/verify seconds. Exit status 0 iff nothing failed.
``--jobs 2`` verifies in two forked processes (the parsed database is shared by fork).
``--usage-rule`` also applies the usage rule (:mod:`.usage`) to the stored proofs: each may cite
only statements allowed for its theorem (no ``...BAD``, discouraged, or lemma resting on axioms
outside the theorem's closure), so proofs built on flagged statements are reported as failed.
``--closure L ...`` prints the axiom closure of each ``$p`` instead (what the C program's
``show trace_back L /axioms`` lists).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time

from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, MetamathError, parse
from mathgym.verifiers.metamath.kernel import verify_all
from mathgym.verifiers.metamath.usage import UsageRule

_DB = None
_RULE = None


def _verify_share(args: tuple) -> dict:
    share, jobs = args
    return verify_all(_DB, _DB.theorems[share::jobs], _RULE)


def closures(path: str, labels: list[str]) -> dict:
    """``{"closures": {label: [$a labels]}}``: each ``$p``'s axiom closure, in database order."""
    db = parse(path, keep_comments=True)
    rule = UsageRule(db)
    bad = [lab for lab in labels if lab not in rule.closure_bits]
    if bad:
        raise MetamathError(f"{path}: {bad} are not $p theorems")
    return {"database": path, "closures": {lab: rule.closure(lab) for lab in labels}}


def verify_database(
    path: str, jobs: int = 1, labels: list | None = None, usage_rule: bool = False
) -> dict:
    """Parse and verify ``path`` (under the usage rule if asked); the summary dict printed."""
    global _DB, _RULE
    t0 = time.perf_counter()
    c0 = time.process_time()
    db = parse(path, keep_comments=usage_rule)
    rule = UsageRule(db) if usage_rule else None
    db.comments = {}
    t1 = time.perf_counter()
    if labels:
        missing = [lab for lab in labels if lab not in db.labels]
        if missing:
            raise MetamathError(f"{path}: no statements labelled {missing}")
        theorems = [db.labels[lab] for lab in labels if db.labels[lab].kind == "$p"]
        result = verify_all(db, theorems, rule)
    elif jobs > 1:
        _DB, _RULE = db, rule
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            parts = pool.map(_verify_share, [(k, jobs) for k in range(jobs)])
        _DB = _RULE = None
        result = {
            "verified": sum(p["verified"] for p in parts),
            "failed": [f for p in parts for f in p["failed"]],
            "incomplete": [x for p in parts for x in p["incomplete"]],
        }
    else:
        result = verify_all(db, None, rule)
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
        "usage_rule": usage_rule,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mathgym.verifiers.metamath",
        description="Verify every $p proof of a Metamath database with mathgym's own kernel.",
    )
    parser.add_argument("database", nargs="?", default=DEFAULT_DATABASE)
    parser.add_argument("--jobs", type=int, default=1, help="verifying processes (fork)")
    parser.add_argument("--labels", nargs="*", default=None, help="verify only these $p")
    parser.add_argument("--usage-rule", action="store_true",
                        help="stored proofs must also obey the usage rule (axiom closures)")
    parser.add_argument("--closure", nargs="+", default=None, metavar="LABEL",
                        help="print these theorems' axiom closures instead of verifying")
    args = parser.parse_args(argv)
    try:
        if args.closure:
            print(json.dumps(closures(args.database, args.closure), indent=2))
            return 0
        summary = verify_database(
            args.database, max(1, args.jobs), args.labels, args.usage_rule
        )
    except MetamathError as err:
        print(json.dumps({"database": args.database, "error": str(err)}))
        return 2
    print(json.dumps(summary, indent=2))
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
