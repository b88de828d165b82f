"""Harness agents ``ac-puct`` and ``ac-greedy-net``: the guidance net used in two more ways.

* ``ac-puct`` (:mod:`.puct`): AlphaZero-style PUCT with value backup; config ``batch``
  (leaves per forward, default 16), ``c_puct`` (default 0.1), ``tau`` (value
  ``exp(-distance / tau)``, default 128).
* ``ac-greedy-net`` (:mod:`.tiebreak`): greedy whose equal-length ties are broken by the net
  (value, then ``-log π``); config ``batch`` (nodes popped per forward, default 1 = greedy's
  node accounting exactly).

Both share ``ac-guided``'s fold hygiene and checkpoint checks (:func:`.agent._net`): config
``checkpoints`` (a directory with ``fold-f.pt`` and ``manifest.json``; default the committed
ones) and ``folds``; the instance's fold picks the network trained without that fold's paths,
its sha256 checked against the manifest and recorded in ``info``. Budget unit
``search_nodes`` (unique states stored, as ``ac-greedy``); the certificate is the plain AC
path, verified inside the search before it is returned. Deterministic, so ``seed`` is unused.
"""

from __future__ import annotations

from typing import Any

from mathgym.agents.search.guided.agent import DEFAULT_CHECKPOINTS

from mathgym.harness.agent import Agent, Attempt


class _NetSearchAgent(Agent):
    """Shared plumbing: fold -> network, one search, its result as an Attempt."""

    def supports(self, benchmark: Any) -> bool:
        return str(benchmark.id).startswith("ac/") and benchmark.budget_unit == "search_nodes"

    def _run(self, relators: Any, cap: int, net: Any, max_nodes: int) -> Any:
        raise NotImplementedError

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        from mathgym.agents.search.guided.agent import _net
        from mathgym.agents.search.supermoves.corpus import fold_of

        max_nodes = int(budget)
        if max_nodes < 1:
            raise ValueError(f"{self.name}: budget must be >= 1 search node, got {budget}")
        fold = fold_of(str(instance.id), self.config["folds"])
        net, digest = _net(self.config["checkpoints"], fold)
        r = self._run(instance.data["relators"], int(instance.data["max_relator_length"]), net,
                      max_nodes)
        info = {"nodes": r.nodes, "seconds": round(r.seconds, 6),
                "net_seconds": round(r.net_seconds, 6), "forwards": r.forwards,
                "status": r.status, "min_length": r.min_length, "path_length": len(r.path),
                "fold": fold, "checkpoint_sha256": digest, **r.info}
        return Attempt(solved=r.solved, certificate=list(r.path) if r.solved else None,
                       cost=float(r.nodes), info=info)


def _common(checkpoints: str, folds: int, batch: int, name: str) -> dict[str, Any]:
    if int(batch) < 1 or int(folds) < 2:
        raise ValueError(f"{name}: batch must be >= 1 and folds >= 2; got {batch}, {folds}")
    return {"checkpoints": str(checkpoints), "folds": int(folds), "batch": int(batch)}


class PUCTAgent(_NetSearchAgent):
    """PUCT search with value backup over the node store (:mod:`.puct`)."""

    name = "ac-puct"
    version = "1"

    def __init__(self, *, checkpoints: str = DEFAULT_CHECKPOINTS, batch: int = 16,
                 c_puct: float = 0.1, tau: float = 128.0, folds: int = 5) -> None:
        if not (float(c_puct) > 0 and float(tau) > 0):
            raise ValueError(f"ac-puct: c_puct and tau must be > 0; got {c_puct}, {tau}")
        super().__init__(**_common(checkpoints, folds, batch, self.name),
                         c_puct=float(c_puct), tau=float(tau))

    def _run(self, relators, cap, net, max_nodes):
        from mathgym.agents.search.guided.puct import puct_search

        c = self.config
        return puct_search(relators, cap, net, max_nodes, batch=c["batch"],
                           c_puct=c["c_puct"], tau=c["tau"])


class TieBreakAgent(_NetSearchAgent):
    """Greedy with the network breaking ties of equal total length (:mod:`.tiebreak`)."""

    name = "ac-greedy-net"
    version = "1"

    def __init__(self, *, checkpoints: str = DEFAULT_CHECKPOINTS, batch: int = 1,
                 folds: int = 5) -> None:
        super().__init__(**_common(checkpoints, folds, batch, self.name))

    def _run(self, relators, cap, net, max_nodes):
        from mathgym.agents.search.guided.tiebreak import tiebreak_search

        return tiebreak_search(relators, cap, net, max_nodes, batch=self.config["batch"])
