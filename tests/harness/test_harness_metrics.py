"""Metrics against known values: unbiased pass@k, the bootstrap CI, per-stratum counts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathgym.harness.benchmark import Instance
from mathgym.harness.metrics import bootstrap_ci, compute_metrics, pass_at_k


def brute_pass_at_k(n: int, c: int, k: int) -> float:
    """Fraction of all k-subsets of n attempts (c solved) that contain a solved one."""
    attempts = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(attempts[i] for i in s) for s in subsets) / len(subsets)


def test_pass_at_k_known_values():
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)  # 1 - C(3,2)/C(5,2) = 1 - 3/10
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 3, 2) == 1.0  # any two attempts include a solved one
    assert pass_at_k(200, 13, 10) == pytest.approx(1 - math.comb(187, 10) / math.comb(200, 10))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_enumeration(nck):
    n, c, k = nck
    assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k))


def test_pass_at_k_rejects_bad_arguments():
    with pytest.raises(ValueError, match="0 <= c <= n"):
        pass_at_k(3, 4, 1)


def test_bootstrap_ci_degenerate_and_two_way_known_values():
    assert bootstrap_ci(np.ones((50, 1))) == (1.0, 1.0)
    assert bootstrap_ci(np.zeros((50, 3))) == (0.0, 0.0)
    # one instance, seeds [1, 0]: resampled means are 0, .5, 1 with prob 1/4, 1/2, 1/4
    assert bootstrap_ci(np.array([[1.0, 0.0]])) == (0.0, 1.0)


def test_bootstrap_ci_matches_normal_approximation_on_large_data():
    n, solved = 2000, 600
    data = np.zeros((n, 1))
    data[:solved] = 1
    lo, hi = bootstrap_ci(data, replicates=4000)
    p = solved / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    assert lo == pytest.approx(p - half, abs=0.004)
    assert hi == pytest.approx(p + half, abs=0.004)
    assert bootstrap_ci(data, replicates=4000) == (lo, hi)  # seeded: identical on re-run


def test_seed_resampling_widens_the_interval():
    rng = np.random.default_rng(1)
    # seed effect: seed 0 solves much more than seed 1
    mat = np.stack([rng.random(300) < 0.8, rng.random(300) < 0.2], axis=1).astype(float)
    lo1, hi1 = bootstrap_ci(mat[:, :1])
    lo2, hi2 = bootstrap_ci(mat)
    assert hi2 - lo2 > hi1 - lo1


def test_compute_metrics_on_fixed_records():
    instances = [Instance(f"i{k}", {}, {"n": k % 2 + 1}) for k in range(4)]
    solved = {("i0", 0), ("i0", 1), ("i0", 2), ("i1", 0), ("i3", 2)}
    records = [
        {"instance": inst.id, "seed": s, "solved": (inst.id, s) in solved, "cost": 10 * s}
        for inst in instances for s in (0, 1, 2)
    ]
    m = compute_metrics(records, instances, [0, 1, 2], strata=("n",))
    assert m["solved"] == 5 and m["num_records"] == 12 and m["complete"]
    assert m["solve_rate"] == pytest.approx(5 / 12)
    assert m["instances_solved_any_seed"] == 3
    assert m["per_seed_solved"] == {"0": 2, "1": 1, "2": 2}
    # n = 1 for i0, i2; n = 2 for i1, i3
    assert m["per_stratum"]["n"] == {
        "1": {"records": 6, "solved": 3, "instances": 2},
        "2": {"records": 6, "solved": 2, "instances": 2},
    }
    # per instance c = 3, 1, 0, 1 of n = 3
    expect2 = np.mean([pass_at_k(3, c, 2) for c in (3, 1, 0, 1)])
    assert m["pass_at_k"]["1"] == pytest.approx(5 / 12)
    assert m["pass_at_k"]["2"] == pytest.approx(expect2)
    assert m["pass_at_k"]["3"] == pytest.approx(0.75)
    assert m["mean_cost"] == pytest.approx(10.0)
    lo, hi = m["solve_rate_ci95"]
    assert lo <= 5 / 12 <= hi


def test_incomplete_records_have_no_ci():
    instances = [Instance("a", {}), Instance("b", {})]
    m = compute_metrics([{"instance": "a", "seed": 0, "solved": True, "cost": 1}], instances, [0])
    assert not m["complete"] and m["solve_rate_ci95"] is None and m["solve_rate"] == 1.0
