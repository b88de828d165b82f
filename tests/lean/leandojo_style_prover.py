"""A best-first prover written the way LeanDojo users write them (ReProver-style search).

This file is the migration demonstration of docs/lean.md: it is a LeanDojo agent whose only
mathgym line is the import below. With ``from lean_dojo import ...`` in its place it runs on
LeanDojo unchanged; ``tests/lean/test_dojo.py`` checks that no other line names mathgym.

``suggest(state)`` stands for the tactic generator (a language model in ReProver): it returns
``(tactic, log_probability)`` pairs for a state. States are expanded in order of the summed
log-probability of the tactics that reached them, highest first; ``LeanError`` and
``ProofGivenUp`` end a branch, a state whose goals were already seen is not queued again
(``TacticState`` compares by its pretty-printed goals).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from mathgym.envs.lean.dojo import (
    Dojo,
    DojoTacticTimeoutError,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticState,
)

Suggest = Callable[[TacticState], list[tuple[str, float]]]


@dataclass
class SearchResult:
    """The proof found (tactics from the initial state) or ``None``, and what the search did."""

    proof: list[str] | None
    expansions: int
    tried: list[tuple[int, str, str]] = field(default_factory=list)  # (state id, tactic, result)


def best_first_search(theorem, suggest: Suggest, max_expansions: int = 32,
                      timeout: int = 60) -> SearchResult:
    """Search for a proof of ``theorem`` expanding at most ``max_expansions`` states."""
    tried: list[tuple[int, str, str]] = []
    with Dojo(theorem, timeout=timeout) as (dojo, init_state):
        tie = itertools.count()
        queue = [(-0.0, next(tie), init_state, [])]
        seen = {init_state}
        expansions = 0
        while queue and expansions < max_expansions:
            neg_score, _, state, path = heapq.heappop(queue)
            expansions += 1
            for tactic, logprob in suggest(state):
                try:
                    result = dojo.run_tac(state, tactic)
                except DojoTacticTimeoutError:
                    tried.append((state.id, tactic, "timeout"))
                    continue
                tried.append((state.id, tactic, type(result).__name__))
                if isinstance(result, ProofFinished):
                    return SearchResult(path + [tactic], expansions, tried)
                if isinstance(result, (LeanError, ProofGivenUp)):
                    continue
                if isinstance(result, TacticState) and result not in seen:
                    seen.add(result)
                    heapq.heappush(queue, (neg_score - logprob, next(tie), result,
                                           path + [tactic]))
    return SearchResult(None, expansions, tried)
