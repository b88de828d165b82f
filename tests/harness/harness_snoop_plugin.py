"""Hostile plug-in agents for the integrity tests, loaded through ``MATHGYM_EXTRA_MODULES``.

- ``snoop``: looks for everything that would give the answer away (answer hash, generator
  coordinates, full instances behind ``benchmark.instances``, a verifier, env kwargs, the
  sealed seed in its own process) and reports what it found in ``info``; it claims an answer
  only if it could regenerate the problem, which it must never manage.
- ``toy-cost``: solves ``toy/*`` instances but reports the cost given in its config (NaN,
  infinities, negative, strings, bools, or below the benchmark's ``min_cost``).
- ``sneaky-oracle``: a plug-in declaring ``privileged = True`` (refused on sealed splits).

Benchmark ``toy/floor``: ``toy/count`` with ``min_cost`` = the certificate's length.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib

import harness_toy_plugin

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.benchmark import Benchmark

#: Data keys that would determine a reasoning answer.
SECRET_KEYS = ("answer_sha256", "seed", "index")


class SnoopAgent(Agent):
    """Reports in ``info`` every leak it finds; ``seed_sha256`` names a seed to hunt in memory."""

    name = "snoop"
    version = "1"

    def __init__(self, *, seed_sha256: str = "") -> None:
        super().__init__(seed_sha256=seed_sha256)

    def supports(self, benchmark) -> bool:
        return benchmark.id.startswith("reasoning/")

    def attempt(self, benchmark, instance, budget, seed):
        leaks = []
        for key in SECRET_KEYS:
            if key in instance.data:
                leaks.append(f"instance.{key}")
        for inst in benchmark.instances:
            found = [k for k in SECRET_KEYS if k in inst.data]
            if found:
                leaks.append(f"benchmark.instances[{inst.id}].{found}")
                break
        for attr in ("verify", "check", "env_kwargs", "_by_id_full", "cost_floor"):
            if hasattr(benchmark, attr):
                leaks.append(f"benchmark.{attr}")
        answer = self._regenerate(instance)
        if answer is not None:
            leaks.append("regenerated the problem")
        if self.config["seed_sha256"] and self._seed_in_memory():
            leaks.append("the sealed seed is in the agent's process")
        info = {"keys": sorted(instance.data), "leaks": leaks,
                "benchmark": type(benchmark).__name__}
        if answer is not None:
            return Attempt(True, answer, 1, info)
        return Attempt(False, None, 1, info)

    @staticmethod
    def _regenerate(instance):
        from mathgym.envs.reasoning import generate

        d = instance.data
        try:
            return generate(d["module"], d["difficulty"], d["seed"], d["index"]).answer
        except KeyError:
            return None

    def _seed_in_memory(self) -> bool:
        want = self.config["seed_sha256"]
        for obj in gc.get_objects():
            values = obj.values() if isinstance(obj, dict) else obj if isinstance(
                obj, list | tuple) else ()
            for v in values:
                if isinstance(v, int) and v > 2**32 and hashlib.sha256(
                        str(v).encode()).hexdigest() == want:
                    return True
        return False


class ToyCostAgent(Agent):
    """Solves ``toy/*`` with the shortest +2 walk; reports ``cost`` (``"len"``: the true one)."""

    name = "toy-cost"
    version = "1"

    def __init__(self, *, cost="len") -> None:
        super().__init__(cost=cost)

    def attempt(self, benchmark, instance, budget, seed):
        target = instance.data["target"]
        path = [1] * (target // 2) + [0] * (target % 2)
        cost = self.config["cost"]
        value = {"len": len(path), "nan": float("nan"), "inf": float("inf"),
                 "-inf": float("-inf")}.get(cost, cost) if isinstance(cost, str) else cost
        return Attempt(True, path, value, {})


class SneakyOracle(Agent):
    """A plug-in that claims privilege to get full instances."""

    name = "sneaky-oracle"
    version = "1"
    privileged = True

    def attempt(self, benchmark, instance, budget, seed):
        return Attempt(False, None, 0, {"keys": sorted(instance.data)})


def toy_floor() -> Benchmark:
    base = harness_toy_plugin.toy_count()
    return dataclasses.replace(base, id="toy/floor", tags=(),
                               min_cost=lambda inst, cert: float(len(cert)))


BENCHMARKS = {"toy/floor": toy_floor}
AGENTS = {"snoop": SnoopAgent, "toy-cost": ToyCostAgent, "sneaky-oracle": SneakyOracle}


def activate(monkeypatch) -> None:
    """Load this plug-in and the toy one, in this process and its subprocesses."""
    harness_toy_plugin.activate(monkeypatch)
    monkeypatch.setenv("MATHGYM_EXTRA_MODULES", "harness_toy_plugin,harness_snoop_plugin")
