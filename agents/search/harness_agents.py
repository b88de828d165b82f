"""Harness agents for the AC benchmarks (``ac/ms1190``, ``ac/ak``, ``ac/quick``).

Budget unit ``search_nodes``: the budget is the search's ``max_nodes`` (unique states generated,
including the start), and ``Attempt.cost`` is the number of unique states the search generated.
Like AC-Solver, the budget is checked after each full expansion; a search that succeeds inside
its last expansion has generated at most 11 states beyond the budget, and the harness then
(rightly) refuses the record as over budget. The searches are deterministic, so ``seed`` is
unused. The certificate is the list of move ids.

=================  ==================================================================
name               search
=================  ==================================================================
``ac-greedy``      AC-Solver's greedy (priority total length, path length, state);
                   config ``ties="deep"``: the longest path first among equal lengths
``ac-bfs``         AC-Solver's breadth-first search (shortest paths within the cap)
``ac-beam``        beam search, config ``width``
``ac-wastar``      weighted A*, priority total length + ``weight`` * depth
``ac-bidir``       greedy / weighted A* meeting a backward BFS ball of up to
                   ``goal_nodes`` states around the trivial presentations (built once per
                   cap and size, and paid for from every attempt's budget)
=================  ==================================================================

Config common to all: ``symmetry`` (default False): search orbits under the 16 relabelings
(``x <-> y``, ``x -> x^-1``, ``y -> y^-1``, relator swap; see
:mod:`mathgym.agents.search.symmetry`), paths lifted back to real moves; not with ``ac-bidir``.
``cyclic_reduction`` (default False): with ``cyclic_reduction=True`` the search runs with
AC-Solver's ``cyclical=True`` semantics (every relator cyclically reduced after each move: a
smaller state graph) and the certificate is converted into a plain AC path by
:func:`mathgym.agents.search.paths.to_acyclic_path` (each cyclic reduction becomes the
conjugation moves it stands for), which the benchmarks' verifier replays without cyclic
reduction; ``info`` then records both path lengths. Every agent searches under the instance's
own cap, the one the verifier replays with.

AC-Solver's published BFS list (278/1190 at 1M nodes) is reproduced by ``ac-bfs`` with
``cyclic_reduction=True``; its published greedy list (533/1190) by ``ac-greedy`` with the
default ``False`` (see docs/search.md).
"""

from __future__ import annotations

from typing import Any

from mathgym.harness.agent import Agent, Attempt


class _ACSearchAgent(Agent):
    """Shared plumbing: read the instance, run one search, turn its result into an Attempt."""

    @staticmethod
    def _common(cyclic_reduction: bool, symmetry: bool) -> dict[str, bool]:
        """Config shared by every AC search agent. ``symmetry`` is recorded only when on, so
        runs made before it existed keep their config (and ``--resume`` keeps working)."""
        common = {"cyclic_reduction": bool(cyclic_reduction)}
        if symmetry:
            common["symmetry"] = True
        return common

    def supports(self, benchmark: Any) -> bool:
        return str(benchmark.id).startswith("ac/") and benchmark.budget_unit == "search_nodes"

    def _search(self, relators: list[list[int]], max_nodes: int, cap: int) -> Any:
        raise NotImplementedError

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        relators = [list(map(int, r)) for r in instance.data["relators"]]
        cap = int(instance.data["max_relator_length"])
        max_nodes = int(budget)
        if max_nodes < 1:
            raise ValueError(f"{self.name}: budget must be >= 1 search node, got {budget}")
        result = self._search(relators, max_nodes, cap)
        info = {
            "nodes": int(result.nodes),
            "seconds": round(float(result.seconds), 6),
            "status": result.status,
            "min_length": int(result.min_length),
            "path_length": len(result.path),
        }
        info.update({k: v for k, v in result.info.items() if k != "algorithm"})
        certificate = list(result.path) if result.solved else None
        if certificate is not None and self.config.get("cyclic_reduction"):
            from mathgym.agents.search.paths import to_acyclic_path

            certificate = to_acyclic_path(relators, certificate, cap)
            info["cyclic_path_length"] = len(result.path)
            info["path_length"] = len(certificate)
        return Attempt(
            solved=bool(result.solved),
            certificate=certificate,
            cost=float(result.nodes),
            info=info,
        )


class GreedyAgent(_ACSearchAgent):
    """AC-Solver's greedy search, compiled."""

    name = "ac-greedy"
    version = "1"

    def __init__(self, *, cyclic_reduction: bool = False, symmetry: bool = False,
                 ties: str = "shallow") -> None:
        from mathgym.agents.search.api import TIES

        if ties not in TIES:
            raise ValueError(f"ac-greedy: ties must be one of {TIES} ('shallow' is "
                             f"AC-Solver's order), got {ties!r}")
        config = self._common(cyclic_reduction, symmetry)
        if ties != "shallow":  # recorded only when not AC-Solver's, so old runs keep their config
            config["ties"] = ties
        super().__init__(**config)

    def _search(self, relators, max_nodes, cap):
        from mathgym.agents.search.api import greedy_search

        return greedy_search(relators, max_nodes, cap, self.config["cyclic_reduction"],
                             symmetry=self.config.get("symmetry", False),
                             ties=self.config.get("ties", "shallow"))


class BFSAgent(_ACSearchAgent):
    """AC-Solver's breadth-first search, compiled."""

    name = "ac-bfs"
    version = "1"

    def __init__(self, *, cyclic_reduction: bool = False, symmetry: bool = False) -> None:
        super().__init__(**self._common(cyclic_reduction, symmetry))

    def _search(self, relators, max_nodes, cap):
        from mathgym.agents.search.api import bfs

        return bfs(relators, max_nodes, cap, self.config["cyclic_reduction"],
                   symmetry=self.config.get("symmetry", False))


class BeamAgent(_ACSearchAgent):
    """Beam search of width ``width``."""

    name = "ac-beam"
    version = "1"

    def __init__(self, *, width: int = 1000, cyclic_reduction: bool = False,
                 symmetry: bool = False) -> None:
        if int(width) < 1:
            raise ValueError(f"ac-beam: width must be >= 1, got {width}")
        super().__init__(width=int(width), **self._common(cyclic_reduction, symmetry))

    def _search(self, relators, max_nodes, cap):
        from mathgym.agents.search.api import beam_search

        return beam_search(relators, max_nodes, cap, self.config["cyclic_reduction"],
                           self.config["width"], symmetry=self.config.get("symmetry", False))


class WeightedAStarAgent(_ACSearchAgent):
    """Weighted A*: priority total length + ``weight`` * depth."""

    name = "ac-wastar"
    version = "1"

    def __init__(self, *, weight: float = 0.5, cyclic_reduction: bool = False,
                 symmetry: bool = False) -> None:
        if float(weight) < 0:
            raise ValueError(f"ac-wastar: weight must be >= 0, got {weight}")
        super().__init__(weight=float(weight), **self._common(cyclic_reduction, symmetry))

    def _search(self, relators, max_nodes, cap):
        from mathgym.agents.search.api import weighted_astar

        return weighted_astar(relators, max_nodes, cap, self.config["cyclic_reduction"],
                              self.config["weight"], symmetry=self.config.get("symmetry", False))


class BidirectionalAgent(_ACSearchAgent):
    """Greedy/weighted-A* forward search meeting a backward ball around the trivial states.

    The ball is states generated too, so it is paid for from the budget: it holds
    ``min(goal_nodes, budget // 2)`` states, the forward search gets the rest, and the cost is
    forward states plus ball states. (Version 1 left the ball out of the cost, so a path could
    cost less than its own length: a precomputed table must never be free, or any agent could
    hide its search in one.)
    """

    name = "ac-bidir"
    version = "2"

    def __init__(self, *, goal_nodes: int = 5_000_000, weight: float = 0.0,
                 cyclic_reduction: bool = False) -> None:
        if int(goal_nodes) < 8:
            raise ValueError(f"ac-bidir: goal_nodes must be >= 8, got {goal_nodes}")
        super().__init__(goal_nodes=int(goal_nodes), weight=float(weight),
                         cyclic_reduction=bool(cyclic_reduction))

    def ball_size(self, budget: int) -> int:
        """States of the backward ball under ``budget``: ``min(goal_nodes, budget // 2)``."""
        return min(self.config["goal_nodes"], int(budget) // 2)

    def _search(self, relators, max_nodes, cap):
        from dataclasses import replace

        from mathgym.agents.search.api import weighted_astar
        from mathgym.agents.search.goal import goal_table_for

        ball = self.ball_size(max_nodes)
        if ball < 8:
            raise ValueError(f"ac-bidir: budget {max_nodes} leaves no room for a backward ball "
                             "of at least 8 states; give a budget >= 16")
        goal = goal_table_for(cap, ball, self.config["cyclic_reduction"])
        forward = max(int(max_nodes) - int(goal.nodes), 1)
        result = weighted_astar(relators, forward, cap, self.config["cyclic_reduction"],
                                self.config["weight"], goal)
        info = {**result.info, "algorithm": "bidirectional", "goal_nodes": int(goal.nodes),
                "forward_nodes": int(result.nodes)}
        return replace(result, nodes=int(result.nodes) + int(goal.nodes), info=info)


def _learned_agents() -> tuple[type, ...]:
    """Issue 14's agents, in their own packages: ``ac-supermoves``
    (:mod:`mathgym.agents.search.supermoves`) and ``ac-guided``
    (:mod:`mathgym.agents.search.guided`, needs torch; skipped if that package is missing),
    with ``ac-puct`` and ``ac-greedy-net`` (:mod:`mathgym.agents.search.guided.net_agents`)."""
    from mathgym.agents.search.supermoves.agent import SupermoveAgent

    found: list[type] = [SupermoveAgent]
    try:
        from mathgym.agents.search.guided.agent import GuidedAgent
        from mathgym.agents.search.guided.net_agents import PUCTAgent, TieBreakAgent
    except ImportError:
        return tuple(found)
    return (*found, GuidedAgent, PUCTAgent, TieBreakAgent)


AGENTS: dict[str, type] = {
    cls.name: cls
    for cls in (GreedyAgent, BFSAgent, BeamAgent, WeightedAStarAgent, BidirectionalAgent,
                *_learned_agents())
}
