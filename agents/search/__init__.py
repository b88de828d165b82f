"""Compiled Andrews–Curtis search agents (greedy, BFS, beam, weighted A*, bidirectional).

Public API (lazy, so importing this package does not compile numba kernels)::

    from mathgym.agents.search import greedy_search, bfs, beam_search, weighted_astar

Each search returns a :class:`~mathgym.agents.search.result.SearchResult`.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SearchResult": "mathgym.agents.search.result",
    "greedy_search": "mathgym.agents.search.api",
    "bfs": "mathgym.agents.search.api",
    "beam_search": "mathgym.agents.search.api",
    "weighted_astar": "mathgym.agents.search.api",
    "bidirectional_search": "mathgym.agents.search.api",
    "AGENTS": "mathgym.agents.search.harness_agents",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mathgym.agents.search' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
