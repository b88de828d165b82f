"""The value every search returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SearchResult:
    """Outcome of one search.

    ``solved``: a trivial presentation was reached. ``path``: move ids (AC-Solver numbering)
    from the start to the trivial presentation when solved; when not solved, the path to the
    shortest presentation the search generated (so long runs still report progress).
    ``nodes``: unique states generated, including the start (AC-Solver's count). ``final``: the
    presentation at the end of ``path``. ``seconds``: wall time of the search (excluding the
    one-off numba compilation). ``status``: "solved", "budget" (node budget reached) or
    "exhausted" (every state reachable within the cap was generated). ``min_length``: the
    shortest total length generated. ``info``: algorithm-specific extras.
    """

    solved: bool
    path: list[int]
    nodes: int
    final: Any
    seconds: float
    status: str = "budget"
    min_length: int = 0
    max_relator_length: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes_per_second(self) -> float:
        """Unique states generated per second of search."""
        return self.nodes / self.seconds if self.seconds > 0 else float("inf")
