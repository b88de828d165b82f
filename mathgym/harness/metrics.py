"""Metrics of a run, recomputed from its per-(instance, seed) records.

Definitions (also in ``docs/harness.md``):

- **solve rate**: solved records / records; with every seed run on every instance this is the
  mean over seeds of the per-seed solved fraction.
- **95% bootstrap CI** of the solve rate (percentile method, ``B`` replicates, numpy
  ``default_rng(seed)``): each replicate resamples instances with replacement; when there are
  several seeds it also resamples seeds with replacement (two-way bootstrap), so the interval
  covers both instance and seed variability.
- **per-stratum counts**: for every stratum name and value, records and solved records.
- **pass@k** (k = 1 .. number of seeds): the unbiased estimator of Chen et al. (2021),
  ``1 - C(n - c, k) / C(n, k)`` per instance with n attempts of which c solved, averaged over
  instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from math import comb
from typing import Any

import numpy as np

BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_SEED = 0


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one instance: n attempts, c solved, k drawn without replacement."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def solved_matrix(
    records: Iterable[Mapping[str, Any]], instance_ids: Sequence[str], seeds: Sequence[int]
) -> np.ndarray:
    """``float`` matrix [instance, seed] of 1.0/0.0; NaN where a record is missing."""
    row = {iid: i for i, iid in enumerate(instance_ids)}
    col = {int(s): j for j, s in enumerate(seeds)}
    mat = np.full((len(instance_ids), len(seeds)), np.nan)
    for rec in records:
        i, j = row.get(rec["instance"]), col.get(int(rec["seed"]))
        if i is not None and j is not None:
            mat[i, j] = 1.0 if rec["solved"] else 0.0
    return mat


def bootstrap_ci(
    matrix: np.ndarray,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of a complete [instance, seed] 0/1 matrix.

    Instances are resampled with replacement; seeds too when there is more than one.
    """
    mat = np.asarray(matrix, dtype=float)
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.size == 0 or np.isnan(mat).any():
        raise ValueError("bootstrap_ci needs a complete, non-empty [instance, seed] matrix")
    n_inst, n_seed = mat.shape
    rng = np.random.default_rng(seed)
    stats = np.empty(replicates)
    for b in range(replicates):
        rows = rng.integers(0, n_inst, n_inst)
        if n_seed > 1:
            cols = rng.integers(0, n_seed, n_seed)
            stats[b] = mat[np.ix_(rows, cols)].mean()
        else:
            stats[b] = mat[rows, 0].mean()
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def compute_metrics(
    records: Sequence[Mapping[str, Any]],
    instances: Sequence[Any],
    seeds: Sequence[int],
    strata: Sequence[str] = (),
) -> dict[str, Any]:
    """All metrics of a run from its records.

    ``instances`` are the evaluated :class:`~mathgym.harness.benchmark.Instance` objects (their
    ``strata`` give the per-stratum grouping); ``records`` hold ``instance``, ``seed``,
    ``solved`` and ``cost``. Records for pairs outside ``instances`` x ``seeds`` are ignored.
    """
    ids = [inst.id for inst in instances]
    seeds = [int(s) for s in seeds]
    mat = solved_matrix(records, ids, seeds)
    complete = not np.isnan(mat).any()
    done = ~np.isnan(mat)
    n_records = int(done.sum())
    n_solved = int(np.nansum(mat))
    rate = n_solved / n_records if n_records else 0.0
    wanted = {(iid, s) for iid in ids for s in seeds}
    costs = [
        float(r["cost"]) for r in records if (r["instance"], int(r["seed"])) in wanted
    ]
    metrics: dict[str, Any] = {
        "num_instances": len(ids),
        "num_seeds": len(seeds),
        "num_records": n_records,
        "complete": bool(complete),
        "solved": n_solved,
        "solve_rate": rate,
        "solve_rate_ci95": list(bootstrap_ci(mat)) if complete and n_records else None,
        "instances_solved_any_seed": int((np.nan_to_num(mat) > 0).any(axis=1).sum()),
        "mean_cost": float(np.mean(costs)) if costs else 0.0,
        "per_seed_solved": {
            str(s): int(np.nansum(mat[:, j])) for j, s in enumerate(seeds)
        },
        "per_stratum": {},
        "pass_at_k": {},
    }
    for name in strata:
        groups: dict[str, dict[str, int]] = {}
        for i, inst in enumerate(instances):
            key = str(inst.strata[name])
            g = groups.setdefault(key, {"records": 0, "solved": 0, "instances": 0})
            g["instances"] += 1
            g["records"] += int(done[i].sum())
            g["solved"] += int(np.nansum(mat[i]))
        metrics["per_stratum"][name] = dict(sorted(groups.items(), key=lambda kv: _sort_key(kv[0])))
    if complete and len(seeds) > 1:
        per_instance_c = mat.sum(axis=1).astype(int)
        n = len(seeds)
        for k in range(1, n + 1):
            values = [pass_at_k(n, int(c), k) for c in per_instance_c]
            metrics["pass_at_k"][str(k)] = float(np.mean(values))
    return metrics


def _sort_key(value: str) -> tuple[int, float, str]:
    """Numeric strata sort numerically ("2" < "10"), others lexicographically after them."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
