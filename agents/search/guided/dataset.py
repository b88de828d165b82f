"""Training examples from verified paths: (state, next move, distance-to-go).

Every path of the corpus (:mod:`mathgym.agents.search.supermoves.corpus`, re-verified on load)
is replayed with the AC kernel from its presentation under the instance's cap; state ``t`` of
a path of length ``T`` yields (one-hot state, move ``t``, ``T - t``). Only presentations
outside the held-out fold contribute (:func:`build_dataset`), so the network trained on it has
never seen a path of that fold: the expert-iteration loop will extend the same arrays with
new verified paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """``x`` float32[N, F] one-hot states, ``move`` int64[N], ``togo`` float32[N]
    (moves left to the trivial presentation on that path), ``instance`` ids per row."""

    x: np.ndarray
    move: np.ndarray
    togo: np.ndarray
    instance: tuple[str, ...]


def path_states(relators, path: list[int], cap: int) -> np.ndarray:
    """int8[len(path), 2 * cap]: the state before each move of ``path``."""
    from mathgym.agents.search.api import prepare
    from mathgym.agents.search.moves_bridge import child_into, relator_lengths

    state, cap, _ = prepare([list(r) for r in relators], cap)
    out = np.empty((len(path), state.size), np.int8)
    lengths = np.empty(2, np.int32)
    nxt = np.empty_like(state)
    for t, m in enumerate(path):
        out[t] = state
        relator_lengths(state, cap, lengths)
        child_into(state, lengths, int(m), cap, False, nxt, np.empty(2, np.int32))
        state, nxt = nxt, state
    return out


def build_dataset(held_out_fold: int, folds: int = 5) -> Dataset:
    """Examples from every corpus path of presentations not in ``held_out_fold``."""
    from mathgym.agents.search.guided.features import encode_states
    from mathgym.agents.search.supermoves.corpus import load_corpus

    corpus = load_corpus()
    train = corpus.training_paths(held_out_fold, folds)
    xs, moves, togo, ids = [], [], [], []
    for iid in sorted(train):
        cap = corpus.caps[iid]
        for path in train[iid]:
            states = path_states(corpus.relators[iid], list(path), cap)
            xs.append(encode_states(states, cap))
            moves.append(np.asarray(path, np.int64))
            togo.append(np.arange(len(path), 0, -1, dtype=np.float32))
            ids.extend([iid] * len(path))
    return Dataset(np.concatenate(xs), np.concatenate(moves), np.concatenate(togo), tuple(ids))
