"""The solve log of a training run: the shortest verified certificate per training instance.

Every episode that solves its instance is handed to :class:`SolveLog` (``log(index, path,
step)``). When the run trains on the benchmark's own instances (solving while training), the
path is checked by the benchmark's verifier and kept when it is the shortest so far, with the
run's env-step count at that moment as its cost; the curve of certified instances against
steps grows with each new one. A family may ``rewrite`` a path before it is verified (AC under
cyclic reduction: :func:`~mathgym.agents.rl.common.cyclic.expand_cyclic_path`); paths are then
compared by their length in the env first (``env_length``), so an env path no shorter than the
best is not rewritten again. Without a benchmark (a disjoint training split) only the solved
training instances and solved episodes are counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``rewrite(index, env_path) -> path``: a path found in the training env as a certificate.
Rewrite = Callable[[int, list[int]], list[int]]


class SolveLog:
    """Shortest verified path per training instance, the curve and solve counts."""

    def __init__(self, benchmark: Any | None, rewrite: Rewrite | None = None) -> None:
        self.benchmark = benchmark  # None: a disjoint split (nothing to certify)
        self.rewrite = rewrite
        self.best: dict[int, dict[str, Any]] = {}
        self.env_solved: set[int] = set()
        self.episodes_solved = 0
        self.rejected_at_cap = 0
        self.curve: list[list[int]] = [[0, 0]]

    def __call__(self, index: int, path: list[int], step: int) -> None:
        """A training episode solved instance ``index`` by ``path`` at run step ``step``."""
        self.episodes_solved += 1
        self.env_solved.add(index)
        if self.benchmark is None:
            return
        best = self.best.get(index)
        env_length = len(path)
        if self.rewrite is not None:
            if best is not None and env_length >= best["env_length"]:
                best["finds"] += 1
                return
            path = self.rewrite(index, path)
        if best is not None and len(path) >= len(best["path"]):
            best["finds"] += 1
            return
        verdict = self.benchmark.check(self.benchmark.instances[index], path)
        if not verdict.ok:  # e.g. AC: left the instance's cap on the way, not a certificate
            self.rejected_at_cap += 1
            return
        if best is None:
            self.best[index] = {"path": path, "step": step, "first_step": step, "finds": 1,
                                "env_length": env_length}
            self.curve.append([step, len(self.best)])
        else:
            best.update(path=path, step=step, finds=best["finds"] + 1, env_length=env_length)

    def state(self) -> dict[str, Any]:
        return {"best": self.best, "env_solved": sorted(self.env_solved),
                "episodes_solved": self.episodes_solved, "rejected_at_cap": self.rejected_at_cap,
                "curve": self.curve}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best = {int(k): dict(v) for k, v in state["best"].items()}
        self.env_solved = set(state["env_solved"])
        self.episodes_solved = int(state["episodes_solved"])
        self.rejected_at_cap = int(state["rejected_at_cap"])
        self.curve = [list(p) for p in state["curve"]]
