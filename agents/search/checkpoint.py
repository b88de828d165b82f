"""Resumable long searches: run the compiled engine in chunks and checkpoint between them.

Why
    A search of hundreds of millions of nodes (AK(3), budgets far beyond the paper's) outlives
    a session and must survive a crash. The engine keeps all of its state in arrays plus three
    counters (:mod:`mathgym.agents.search.engine`, "Resuming"), so this module runs it until
    ``stop_at`` nodes, saves the used part of the arrays, and continues. A resumed search is the
    same search: node counts, paths and results equal one uninterrupted run (tested).

Checkpoint file
    ``<directory>/search.npz``, written to a temporary file and renamed (atomic): the used rows
    of the node store (keys, parent, move, depth, length, and for best-first prio and the heap),
    the counters, and a JSON ``meta`` record (algorithm, start state, cap, weight, cyclic
    reduction, symmetry, nodes, cumulative seconds; ``start`` holds the relators as
    lists of signed generator ids). The hash table is not saved; it is rebuilt
    from the keys on load. About 35 bytes per node for BFS, 50 for best-first.

Budgets
    ``max_nodes`` may grow between runs: a search that stopped at its budget continues with a
    larger one exactly as if it had been given that budget from the start. Arguments that change
    the search itself (algorithm, presentation, cap, weight, cyclic reduction, symmetry) must
    match the checkpoint, else a ``ValueError`` says which one differs.
"""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.api import NodeStore, make_result, setup_search
from mathgym.agents.search.result import SearchResult
from numba import njit

CHECKPOINT_NAME = "search.npz"
FORMAT_VERSION = 1
ALGORITHMS = ("greedy", "wastar", "bfs")
#: Fields of ``meta`` that define the search; a checkpoint resumes only with equal values.
IDENTITY_FIELDS = ("algorithm", "max_relator_length", "start", "weight", "cyclic_reduction",
                   "symmetry")


@njit(cache=True)
def rebuild_table(table, keys, n):
    """Insert nodes ``0..n-1`` (their packed keys) into an empty hash table."""
    for node in range(n):
        engine.table_insert(table, keys, node, keys[node])


def _store_fields(best_first: bool) -> tuple[str, ...]:
    base = ("keys", "parent", "move", "depth", "length")
    return base + ("prio",) if best_first else base


def save_checkpoint(path: Path, store: NodeStore, counters: np.ndarray, out: np.ndarray,
                    meta: dict[str, Any], best_first: bool) -> None:
    """Write the used part of ``store``, the engine's last ``out`` record and ``meta`` to
    ``path`` atomically."""
    n = int(counters[0])
    arrays = {name: getattr(store, name)[:n] for name in _store_fields(best_first)}
    if best_first:
        arrays["heap"] = store.heap[: int(counters[1])]
    arrays["counters"] = counters
    arrays["out"] = out
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    tmp = path.with_name(path.name + ".tmp.npz")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_meta(path: Path) -> dict[str, Any]:
    """The ``meta`` record of a checkpoint (cheap: reads one small member).

    Raises ``ValueError`` naming the file if it is not a readable checkpoint."""
    try:
        with np.load(path) as data:
            return json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} is not a readable search checkpoint ({err}); move it away "
                         "to start afresh") from None


def _check_identity(meta: dict[str, Any], wanted: dict[str, Any], path: Path) -> None:
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format {meta.get('format')!r}, this code reads "
                         f"{FORMAT_VERSION}; start a new search in another directory")
    for name in IDENTITY_FIELDS:
        if meta.get(name) != wanted[name]:
            raise ValueError(
                f"{path} holds a different search: {name} is {meta.get(name)!r} there and "
                f"{wanted[name]!r} here; pass the same arguments or use another directory"
            )


def resumable_search(
    presentation: Any,
    directory: str | os.PathLike[str],
    max_nodes: int,
    algorithm: str = "greedy",
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    weight: float = 0.0,
    symmetry: bool = False,
    chunk_nodes: int = 10_000_000,
    checkpoint_seconds: float = 600.0,
    progress: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SearchResult:
    """Run (or resume) a greedy / weighted-A* / BFS search checkpointed in ``directory``.

    Same semantics as :func:`~mathgym.agents.search.api.weighted_astar` (``algorithm`` "greedy"
    forces ``weight=0``) and :func:`~mathgym.agents.search.api.bfs`. The engine runs
    ``chunk_nodes`` nodes at a time; a checkpoint is written at least every
    ``checkpoint_seconds`` and always at the end. ``progress`` receives a dict after each
    chunk; when ``should_stop()`` turns true the search checkpoints and returns with status
    ``"paused"``.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}")
    if int(chunk_nodes) < 1:
        raise ValueError(f"chunk_nodes must be >= 1; got {chunk_nodes}")
    weight = 0.0 if algorithm == "greedy" else float(weight)
    best_first = algorithm != "bfs"
    setup = setup_search(presentation, max_nodes, max_relator_length, cyclic_reduction,
                         symmetry=symmetry, with_prio=best_first)
    max_nodes, flat, cap, k = setup.max_nodes, setup.flat, setup.cap, setup.k
    store, out = setup.store, setup.out
    wanted = {
        "format": FORMAT_VERSION, "algorithm": algorithm,
        "start": [[int(v) for v in block if v != 0] for block in flat.reshape(2, cap)],
        "max_relator_length": cap, "weight": weight, "cyclic_reduction": bool(cyclic_reduction),
        "symmetry": bool(symmetry),
    }
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_NAME

    capacity = store.parent.shape[0]
    counters = np.zeros(3, dtype=np.int64)
    seconds_before = 0.0
    finished_before = False
    if path.exists():
        meta = load_meta(path)
        _check_identity(meta, wanted, path)
        with np.load(path) as data:
            n = int(data["counters"][0])
            if n > capacity:
                raise ValueError(f"{path} already has {n} nodes; pass max_nodes >= {n}")
            for name in _store_fields(best_first):
                getattr(store, name)[:n] = data[name]
            if best_first:
                heap = data["heap"]
                store.heap[: heap.shape[0]] = heap
            counters[:] = data["counters"]
            saved_out = data["out"] if "out" in data.files else None
        rebuild_table(store.table, store.keys, n)
        seconds_before = float(meta["seconds"])
        # a finished search is reported, not continued (continuing a solved search would
        # look past its solution; a budget stop continues only under a larger budget)
        finished_before = meta["status"] in ("solved", "exhausted") or (
            meta["status"] == "budget" and n >= max_nodes)
        if finished_before:
            if saved_out is not None:
                out[:] = saved_out
            elif meta["status"] == "solved":
                raise ValueError(f"{path} is a solved search saved without its result record; "
                                 "rerun it in a new directory")
            else:  # budget or exhausted, saved before the record was kept: rebuild it
                code = engine.STATUS_EMPTY if meta["status"] == "exhausted" else (
                    engine.STATUS_EXHAUSTED)
                out[:] = (code, n, -1, -1, -1, counters[2])

    run_seconds = 0.0
    last_save = time.monotonic()

    def meta_now(status: str) -> dict[str, Any]:
        return dict(wanted, nodes=int(counters[0]), seconds=seconds_before + run_seconds,
                    status=status, max_nodes=max_nodes)

    finished = finished_before
    while not finished:
        stop_at = min(max_nodes, int(counters[0]) + int(chunk_nodes))
        t0 = time.perf_counter()
        if best_first:
            engine.best_first(
                flat, 12, k, setup.bits, setup.per_word, cap, bool(cyclic_reduction), max_nodes,
                1.0, weight, store.keys, store.parent, store.move, store.depth, store.length,
                store.prio, store.table, store.heap, setup.goal_table, setup.goal_keys,
                setup.sym_map, setup.sym_swap, counters, stop_at, out,
            )
        else:
            engine.breadth_first(
                flat.reshape(1, -1), 12, k, setup.bits, setup.per_word, cap,
                bool(cyclic_reduction), max_nodes, True, store.keys, store.parent, store.move,
                store.depth, store.length, store.table, setup.goal_table, setup.goal_keys,
                setup.sym_map, setup.sym_swap, counters, stop_at, out,
            )
        run_seconds += time.perf_counter() - t0
        status = int(out[0])
        finished = status != engine.STATUS_PAUSED
        stopping = not finished and should_stop is not None and should_stop()
        if progress is not None:
            progress({"nodes": int(counters[0]), "seconds": seconds_before + run_seconds,
                      "min_length": int(store.length[int(counters[2])]),
                      "status": "paused" if not finished else engine_status_name(status)})
        if finished or stopping or time.monotonic() - last_save >= checkpoint_seconds:
            name = "paused" if not finished else engine_status_name(status)
            save_checkpoint(path, store, counters, out, meta_now(name), best_first)
            last_save = time.monotonic()
        if finished or stopping:
            break

    if not finished:
        out[0] = engine.STATUS_EXHAUSTED  # report the path to the shortest state so far
    result = make_result(out, store, flat, cap, bool(cyclic_reduction),
                         seconds_before + run_seconds, algorithm, None,
                         {"weight": weight, "checkpoint": str(path)}, bool(symmetry))
    if not finished:
        result = _with_status(result, "paused")
    return result


def engine_status_name(status: int) -> str:
    """Name of an engine status as :class:`SearchResult` reports it."""
    return {engine.STATUS_EXHAUSTED: "budget", engine.STATUS_SOLVED: "solved",
            engine.STATUS_EMPTY: "exhausted", engine.STATUS_PAUSED: "paused"}[status]


def _with_status(result: SearchResult, status: str) -> SearchResult:
    from dataclasses import replace

    return replace(result, status=status)


class StopOnSignal:
    """``should_stop`` for :func:`resumable_search` that turns true on SIGINT/SIGTERM.

    Use as a context manager; the previous handlers are restored on exit. The numba chunk in
    progress finishes first (at most ``chunk_nodes`` nodes), then the search checkpoints.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __enter__(self) -> StopOnSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
