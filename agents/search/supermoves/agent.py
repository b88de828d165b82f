"""Harness agent ``ac-supermoves``: greedy / weighted A* / BFS order with mined supermoves.

Config (keyword-only): ``max_len`` (longest supermove, default 4), ``max_supermoves``
(default 32), ``folds`` (k of the k-fold split, default 5), ``weight`` and ``len_weight``
(priority ``len_weight * total length + weight * depth``; default greedy ``1, 0``).

The instance's fold (:func:`.corpus.fold_of` of its id) picks the supermove set mined from
the *other* folds' verified paths, so no presentation's own path shapes its search. Budget
unit ``search_nodes``: unique states stored, a supermove child counting as one node;
``info`` also reports ``moves_applied`` (plain move applications). ``Attempt.cost`` is the
node count, or the plain path length if that is larger (the benchmark's ``min_cost``: each
plain move of the certificate produced a state). The certificate is the plain AC path,
already re-checked by the verifier inside :func:`.search.supermove_search`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mathgym.harness.agent import Agent, Attempt


@lru_cache(maxsize=32)
def _supermoves(fold: int, folds: int, max_len: int, max_supermoves: int) -> tuple:
    from mathgym.agents.search.supermoves.mining import fold_supermoves

    return tuple(fold_supermoves(fold, folds, max_len, max_supermoves))


class SupermoveAgent(Agent):
    """Best-first search whose actions are the 12 moves plus the fold's supermoves."""

    name = "ac-supermoves"
    version = "2"  # 2: no supermove child past the node budget (v1 overshot it by up to S)

    def __init__(self, *, max_len: int = 4, max_supermoves: int = 32, folds: int = 5,
                 weight: float = 0.0, len_weight: float = 1.0) -> None:
        if int(max_len) < 2 or int(max_supermoves) < 1 or int(folds) < 2:
            raise ValueError(f"ac-supermoves: need max_len >= 2, max_supermoves >= 1, "
                             f"folds >= 2; got {max_len}, {max_supermoves}, {folds}")
        if float(weight) < 0 or float(len_weight) < 0:
            raise ValueError(f"ac-supermoves: weights must be >= 0; got weight={weight}, "
                             f"len_weight={len_weight}")
        super().__init__(max_len=int(max_len), max_supermoves=int(max_supermoves),
                         folds=int(folds), weight=float(weight), len_weight=float(len_weight))

    def supports(self, benchmark: Any) -> bool:
        return str(benchmark.id).startswith("ac/") and benchmark.budget_unit == "search_nodes"

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        from mathgym.agents.search.supermoves.corpus import fold_of
        from mathgym.agents.search.supermoves.search import supermove_search

        c = self.config
        max_nodes = int(budget)
        if max_nodes < 1:
            raise ValueError(f"{self.name}: budget must be >= 1 search node, got {budget}")
        fold = fold_of(str(instance.id), c["folds"])
        sms = list(_supermoves(fold, c["folds"], c["max_len"], c["max_supermoves"]))
        r = supermove_search(instance.data["relators"], int(instance.data["max_relator_length"]),
                             sms, max_nodes, c["len_weight"], c["weight"])
        info = {"nodes": r.nodes, "moves_applied": r.moves_applied,
                "seconds": round(r.seconds, 6), "status": r.status,
                "min_length": r.min_length, "path_length": len(r.path),
                "action_path_length": len(r.actions), "supermoves_used": r.supermoves_used,
                "fold": fold}
        return Attempt(solved=r.solved, certificate=list(r.path) if r.solved else None,
                       cost=float(max(r.nodes, len(r.path) if r.solved else 0)), info=info)
