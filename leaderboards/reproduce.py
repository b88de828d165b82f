"""``mathgym submit --reproduce K``: re-run K records of a submission and require the same outcome.

Certificates are re-verified from scratch on every submission, but a cost is only a claim: a
file that copies an honest run and lowers its costs would rank above it. Agents are
deterministic by contract (:mod:`mathgym.harness.agent`: ``attempt`` is a function of instance,
budget, seed and config), so the maintainer can re-run records with the recorded agent, version,
config and budget and demand the identical certificate, cost and verdict.

The K records are drawn uniformly without replacement from the file's records, by a seeded
``random.Random``. The seed is the maintainer's (``--reproduce-seed``; by default a fresh random
one), so the submitter cannot know which records will be re-run; it is stored with the
submission so anyone can repeat exactly the same check. A reproduced row is marked on the board
with the number of records re-run; any mismatch rejects the whole submission.
"""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

from mathgym.harness.benchmark import Benchmark, canonical_json


class ReproductionError(ValueError):
    """A record could not be re-run, or re-ran to a different outcome."""


def choose_records(records: list[dict[str, Any]], k: int, seed: int) -> list[dict[str, Any]]:
    """``k`` records (all of them when there are fewer), drawn by ``random.Random(seed)``.

    The draw is over records sorted by (instance, seed), so it does not depend on file order.
    """
    if k < 1:
        raise ValueError(f"--reproduce takes a number of records >= 1, got {k}")
    ordered = sorted(records, key=lambda r: (str(r["instance"]), int(r["seed"])))
    if k >= len(ordered):
        return ordered
    return random.Random(seed).sample(ordered, k)


def _same_cost(a: Any, b: Any) -> bool:
    return float(a) == float(b)


def _load_agent(agent: dict[str, Any]) -> Any:
    from mathgym.harness.registry import get_agent

    try:
        built = get_agent(agent["name"], **agent["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ReproductionError(
            f"cannot rebuild agent {agent['name']!r} with config {agent['config']}: {err} "
            "(a plug-in agent must be importable here: list its module in "
            "MATHGYM_EXTRA_MODULES)"
        ) from None
    if str(built.version) != str(agent["version"]):
        raise ReproductionError(
            f"the file was made by {agent['name']} version {agent['version']}, this mathgym "
            f"has version {built.version}; reproduce with the matching mathgym release"
        )
    return built


def reproduce(
    doc: dict[str, Any], bench: Benchmark, k: int, seed: int | None = None
) -> dict[str, Any]:
    """Re-run ``k`` records of ``doc`` and compare; the summary stored with the submission.

    Raises :class:`ReproductionError` listing every record whose certificate, cost or verdict
    differs from the file's.
    """
    from mathgym.harness.runner import run_attempt

    seed = secrets.randbits(32) if seed is None else int(seed)
    agent = _load_agent(doc["agent"])
    budget = float(doc["budget"]["amount"])
    chosen = choose_records(doc["results"], k, seed)
    start = time.perf_counter()
    mismatches = []
    for rec in chosen:
        where = f"instance {rec['instance']} seed {rec['seed']}"
        again = run_attempt(bench, agent, bench.instance(rec["instance"]), budget,
                            int(rec["seed"]))
        if again.get("error"):
            mismatches.append(f"{where}: the re-run failed: {again['error'].splitlines()[0]}")
            continue
        if canonical_json(again["certificate"]) != canonical_json(rec["certificate"]):
            mismatches.append(f"{where}: the re-run found a different certificate")
        if not _same_cost(again["cost"], rec["cost"]):
            mismatches.append(f"{where}: the file says cost {rec['cost']:g}, the re-run cost "
                              f"{again['cost']:g}")
        if bool(again["solved"]) != bool(rec["solved"]):
            mismatches.append(f"{where}: the file says solved={rec['solved']}, the re-run "
                              f"solved={again['solved']}")
    if mismatches:
        raise ReproductionError(
            f"reproduction failed on {len(mismatches)} check(s) of {len(chosen)} re-run "
            f"record(s) (--reproduce-seed {seed}):\n"
            + "\n".join(f"  - {m}" for m in mismatches[:20])
        )
    return {
        "records": len(chosen),
        "seed": seed,
        "checked": [f"{r['instance']}#{r['seed']}" for r in chosen],
        "seconds": round(time.perf_counter() - start, 3),
    }
