"""Baseline Metamath prover: best-first search over Metamath-v0 proof states.

Each node is an immutable :class:`~mathgym.envs.metamath.prover.ProofState`. Expanding a node
applies the first ``branching`` candidates for its first goal (the theorem's hypotheses, then
library theorems by how often train-split proofs use them). The frontier is ordered by a
simple heuristic, lower first::

    score = open_goals + 0.05 * (syntax-tree nodes of all open goals)
            + 0.5 * work_variables_left + 0.25 * depth

States with identical goal lists are expanded once. One unit of budget (``search_nodes``) is
one expanded node. A finished state counts only when its assembled proof passes the kernel;
the certificate is that proof (normal Metamath format).
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

from mathgym.harness.agent import Agent, Attempt


def _size(tree: tuple) -> int:
    return 1 + sum(_size(c) for c in tree[1:])


def best_first_search(
    prover, budget: int, branching: int = 24, scan: int = 400,
    weights: tuple = (1.0, 0.05, 0.5, 0.25),
) -> dict:
    """Search from the prover's initial state; returns solved, proof, expanded and reason."""
    from mathgym.envs.metamath.prover import ActionError, resolve, work_vars
    from mathgym.verifiers.metamath.database import MetamathError
    from mathgym.verifiers.metamath.kernel import check_proof

    def score(state, depth: int) -> float:
        goals = [resolve(t, state.sigma) for _, t in state.goals]
        size = sum(_size(t) for t in goals)
        wv: set = set()
        for t in goals:
            work_vars(t, wv)
        return w_goals * len(goals) + w_size * size + w_work * len(wv) + w_depth * depth

    w_goals, w_size, w_work, w_depth = weights

    tie = itertools.count()
    start = prover.initial_state()
    frontier = [(score(start, 0), next(tie), 0, start)]
    seen: set = set()
    expanded = 0
    last_error = "search budget exhausted"
    while frontier and expanded < budget:
        _, _, depth, state = heapq.heappop(frontier)
        key = tuple(prover.goal_text(state, t) for _, t in state.goals)
        if key in seen:
            continue
        seen.add(key)
        expanded += 1
        for _label, child in prover.successors(state, branching, scan):
            if child.proved:
                try:
                    proof = prover.assemble_proof(child)
                    check_proof(prover.db, prover.thm, tuple(proof))
                except (ActionError, MetamathError) as err:
                    last_error = str(err)
                    continue
                return {"solved": True, "proof": " ".join(proof), "expanded": expanded}
            heapq.heappush(frontier, (score(child, depth + 1), next(tie), depth + 1, child))
    if not frontier:
        last_error = "search space exhausted"
    return {"solved": False, "proof": None, "expanded": expanded, "reason": last_error}


class MetamathBestFirstAgent(Agent):
    """Best-first backward proof search (the Metamath baseline); budget = expanded nodes."""

    name = "metamath-best-first"
    version = "1"

    def __init__(self, *, branching: int = 24, scan: int = 400) -> None:
        if branching < 1 or scan < 1:
            raise ValueError("branching and scan must be positive")
        super().__init__(branching=branching, scan=scan)
        self.branching = branching
        self.scan = scan

    def supports(self, benchmark: Any) -> bool:
        """Metamath benchmarks only (their instances carry a theorem label)."""
        return benchmark.id.startswith("formal/metamath")

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        """Search for a proof of ``instance.data["theorem"]`` (deterministic; seed unused)."""
        from mathgym.envs.metamath.library import load_library
        from mathgym.envs.metamath.prover import Prover

        lib = load_library(instance.data.get("database") or _default_db())
        prover = Prover(lib, instance.data["theorem"])
        result = best_first_search(prover, int(budget), self.branching, self.scan)
        info = {"expanded": result["expanded"]}
        if not result["solved"]:
            info["reason"] = result["reason"]
        return Attempt(
            solved=result["solved"],
            certificate={"proof": result["proof"]} if result["solved"] else None,
            cost=float(result["expanded"]),
            info=info,
        )


def _default_db() -> str:
    from mathgym.verifiers.metamath.database import DEFAULT_DATABASE

    return DEFAULT_DATABASE


AGENTS: dict[str, type] = {MetamathBestFirstAgent.name: MetamathBestFirstAgent}
