"""Test plug-in (``MATHGYM_EXTRA_MODULES=ac_easy_plugin``, ``tests/rl`` on ``PYTHONPATH``): the
benchmark ``test/ac-easy``, 16 presentations three seeded random AC moves from the trivial one
at cap 12 (the set of ``test_ppo_learns.py``), for short training runs that solve something.
"""

from __future__ import annotations

from mathgym.envs.ac.benchmarks import _ac_benchmark, _instance

EASY_ID = "test/ac-easy"
CAP = 12


def easy_presentations(n: int = 16, moves: int = 3, seed: int = 0) -> list:
    """``n`` distinct presentations ``moves`` seeded random moves from ``<x, y | x, y>``."""
    import numpy as np
    from mathgym.envs.ac.env import ACEnv

    rng = np.random.default_rng(seed)
    env = ACEnv("x, y", max_relator_length=CAP, horizon=100)
    found: list = []
    while len(found) < n:
        env.reset()
        for _ in range(moves):
            env.step(int(rng.integers(12)))
        p = env.state_presentation
        if sum(p.lengths) > 2 + moves // 2 and p not in found:
            found.append(p)
    return found


def easy_benchmark():
    """``test/ac-easy@1``."""
    instances = [_instance(f"easy-{i:02d}", p, CAP, {"total": sum(p.lengths)}, {})
                 for i, p in enumerate(easy_presentations())]
    return _ac_benchmark(EASY_ID, 1, "16 presentations 3 random moves from trivial (tests)",
                         instances, 10_000, ("total",))


BENCHMARKS = {EASY_ID: easy_benchmark}

#: A PPO config that learns test/ac-easy in a few ten thousand steps (test_ppo_learns.py's).
FAST_PPO = {"n_envs": 64, "n_steps": 16, "num_minibatches": 4, "n_epochs": 4,
            "learning_rate": 1e-3, "anneal_lr": False, "gamma": 0.95, "net_arch": [64, 64],
            "horizon": 16, "max_relator_length": CAP, "reward": "sparse", "clip_range_vf": None,
            "target_kl": None, "cyclic_reduction": False}


def register() -> None:
    """Register ``test/ac-easy`` in this process (in-process tests; subprocesses use the env
    variable)."""
    from mathgym.harness.registry import register_benchmark

    register_benchmark(EASY_ID, easy_benchmark)
