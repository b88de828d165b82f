"""A tiny plug-in family for the harness tests: benchmark ``toy/count`` and agent ``toy-walker``.

Instance: reach ``target`` from 0 with steps of +1 or +2. Certificate: the list of step sizes.
Loaded by the registry through ``MATHGYM_EXTRA_MODULES=harness_toy_plugin`` (tests put this
folder on ``PYTHONPATH``), so worker processes, subprocesses and Ray see it like a real family.
"""

from __future__ import annotations

import os
import time

import gymnasium as gym
import numpy as np

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.benchmark import Benchmark, Instance, Verdict

ENV_ID = "harness-toy/Count-v0"


class CountEnv(gym.Env):
    """Walk from 0 to ``target`` with actions 0 (+1) and 1 (+2); overshooting terminates."""

    def __init__(self, target: int = 5, max_steps: int = 50):
        self.target, self.max_steps = target, max_steps
        self.action_space = gym.spaces.Discrete(3)  # action 2 is never legal (tests the mask)
        self.observation_space = gym.spaces.Box(0, 1000, shape=(1,), dtype=np.int64)

    def _info(self):
        return {"action_mask": np.array([1, 1, 0], dtype=np.int8)}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pos, self.t = 0, 0
        return np.array([0]), self._info()

    def step(self, action):
        assert action in (0, 1), action
        self.pos += 1 + int(action)
        self.t += 1
        solved = self.pos == self.target
        info = self._info() | {"is_success": solved}
        return np.array([self.pos]), float(solved), solved or self.pos > self.target, \
            self.t >= self.max_steps, info


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=CountEnv)


def verify(instance: Instance, certificate) -> Verdict:
    if not isinstance(certificate, list):
        return Verdict(False, "certificate must be a list of actions")
    for i, a in enumerate(certificate):
        if a not in (0, 1):
            return Verdict(False, f"action {a!r} at position {i} is out of range 0..1")
    total = sum(1 + a for a in certificate)
    if total != instance.data["target"]:
        return Verdict(False, f"steps sum to {total}, not {instance.data['target']}")
    return Verdict(True)


def toy_count() -> Benchmark:
    return Benchmark(
        id="toy/count",
        version=1,
        description="toy: reach a target with +1/+2 steps",
        instances=tuple(
            Instance(f"t{t:02d}", {"target": t}, {"parity": t % 2}) for t in range(1, 13)
        ),
        budget_unit="env_steps",
        default_budget=20,
        env_id=ENV_ID,
        env_kwargs=lambda inst: {"target": inst.data["target"]},
        verify=verify,
        strata=("parity",),
        tags=("quick",),
    )


class ToyWalker(Agent):
    """Seeded random walk without the env; gives up after ``budget`` steps.

    ``sleep`` slows each attempt (kill tests). ``forge`` returns a wrong certificate.
    ``crash`` names an instance whose attempt kills its own process (SIGKILL), like a segfault;
    ``hang`` one whose attempt never returns.
    """

    name = "toy-walker"
    version = "1"

    def __init__(self, *, sleep: float = 0.0, forge: bool = False, crash: str = "",
                 hang: str = ""):
        super().__init__(sleep=sleep, forge=forge, crash=crash, hang=hang)

    def attempt(self, benchmark, instance, budget, seed):
        if instance.id == self.config["crash"]:
            os.kill(os.getpid(), 9)
        if instance.id == self.config["hang"]:
            time.sleep(3600)
        if self.config["sleep"]:
            time.sleep(self.config["sleep"])
        rng = np.random.default_rng([seed, instance.data["target"]])
        steps = 0
        while steps < budget:
            path, pos = [], 0
            while pos < instance.data["target"] and steps < budget:
                a = int(rng.integers(2))
                path.append(a)
                pos += 1 + a
                steps += 1
            if pos == instance.data["target"]:
                if self.config["forge"]:
                    path = path + [0]
                return Attempt(True, path, steps, {})
        return Attempt(False, None, steps, {})


BENCHMARKS = {"toy/count": toy_count}
AGENTS = {"toy-walker": ToyWalker}


HERE = os.path.dirname(os.path.abspath(__file__))


def activate(monkeypatch) -> None:
    """Make this module a registry plug-in for the current test and its subprocesses."""
    monkeypatch.setenv("MATHGYM_EXTRA_MODULES", "harness_toy_plugin")
    parts = [HERE, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(dict.fromkeys(parts)))


def strip_timing(records):
    """Records without wall-clock fields, for comparisons across runs and backends."""
    return [{k: v for k, v in r.items() if k != "wall_time"} for r in records]
