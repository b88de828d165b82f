"""External-memory breadth-first search on orbits, level by level, resumable at every level.

Method (Korf's delayed duplicate detection)
    Level ``d`` is one sorted, compressed file of orbit codes (:mod:`.codec`, :mod:`.runfiles`).
    Expanding it reads the parents in blocks, generates every child (12 moves, canonicalized),
    sorts and de-duplicates each block's children and writes it as a run file; a k-way merge of
    the runs (:mod:`.merge`) then removes duplicates within the new level and against levels
    ``d`` and ``d - 1``. Only the blocks live in RAM; the visited set is the level files.

Why checking levels ``d`` and ``d - 1`` suffices
    Every AC-Solver move has an inverse move (0<->2, 1<->3, 4<->8, 5<->9, 6<->10, 7<->11) that
    is *always* applicable to the child: a concatenation ``r_i <- r_i r_j^s`` is undone by
    ``r_i <- r_i r_j^-s``, whose freely reduced result is the old ``r_i`` (within the cap and
    non-empty), and a conjugation by ``g`` is undone by the conjugation by ``g^-1``, which
    returns the old relator (AC-Solver's end cancellations are exactly free reduction). Moves
    beyond the cap are no-ops, so an edge exists only between states within the cap. Hence the
    move graph restricted to the cap is undirected, and so is its quotient by the 16
    relabelings (they map moves to moves). In an undirected graph a child of a level-``d``
    orbit lies at level ``d - 1``, ``d`` or ``d + 1``, so the new level is the children minus
    levels ``d`` and ``d - 1``. ``tests/search/test_external_bfs.py`` checks the inverse
    property on every applied move of every orbit at cap 10, and that the per-level counts equal
    the in-memory engine's BFS depths exactly.

Resuming
    ``manifest.json`` (written atomically after each level) lists the finished levels. A run
    killed mid-level (kill -9 included) leaves a ``work-<d>`` directory and perhaps a partial
    ``.tmp`` file; ``resume`` deletes them and redoes that level, so the result is the same as
    an uninterrupted run.

Paths
    No parent pointers are stored. If a child of a level-``d`` parent ``p`` is trivial, the
    path is rebuilt backwards: an orbit at level ``j`` always has a move to an orbit at level
    ``j - 1`` (the inverse of the move that reached it, relabeled), found by one scan of that
    level's file; the canonical moves are then lifted to real moves
    (:func:`~mathgym.agents.search.symmetry.lift_path`) and replayed by the plain-Python
    verifier :func:`~mathgym.verifiers.ac.verify_ac_path` before anything is reported.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from mathgym.agents.search.external import codec
from mathgym.agents.search.external.merge import merge_runs
from mathgym.agents.search.external.runfiles import iter_blocks, write_keys
from mathgym.agents.search.symmetry import symmetry_tables

MANIFEST = "manifest.json"
FORMAT = 1
#: Smallest --max-ram accepted (tests use it to force many runs per level).
MIN_RAM = 10**6
#: Bytes per parent during expansion: the parent, 12 children and ~2 sorting copies of them.
_BYTES_PER_PARENT = 8 * (1 + 12 * 3)


@dataclass(frozen=True)
class Config:
    """One external BFS: what it searches and how much RAM its working arrays may use."""

    presentation: str
    """Relators as text (any form ``as_presentation`` reads), e.g. AK(3)'s."""
    cap: int
    """Maximal relator length (AC-Solver's ``max_relator_length``)."""
    workdir: Path
    """Directory of level files, run files and the manifest."""
    max_ram: int = 2 * 1024**3
    """Bytes for the working arrays (parent/child blocks, merge buffers); not the interpreter."""
    symmetry: bool = True
    """Search orbits under the 16 relabelings (False: plain presentations)."""


def parent_block(max_ram: int) -> int:
    """Parents expanded per run so that a run's arrays stay within ``max_ram``."""
    return max(64, max_ram // _BYTES_PER_PARENT)


def _atomic_json(path: Path, record: dict[str, Any]) -> None:
    from mathgym.harness.results import atomic_write_text

    atomic_write_text(path, json.dumps(record, indent=1) + "\n")


def _level_name(depth: int) -> str:
    return f"level-{depth:04d}.keys"


def _start(cfg: Config) -> tuple[Any, np.ndarray, int]:
    """(presentation, flat start state, canonical start code); ValueError on bad input."""
    from mathgym.agents.search.api import prepare
    from mathgym.agents.search.symmetry import canonical
    from mathgym.envs.ac.presentation import as_presentation

    cap = codec.check_cap(cfg.cap)
    flat, cap, _ = prepare(cfg.presentation, cap)
    pres = as_presentation(cfg.presentation)
    start = canonical(flat, cap) if cfg.symmetry else flat
    return pres, flat, codec.encode_state(start, cap)


def _fresh_manifest(cfg: Config, pres: Any, start_code: int) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "presentation": str(pres),
        "relators": [list(map(int, r)) for r in pres.relators],
        "cap": int(cfg.cap),
        "symmetry": bool(cfg.symmetry),
        "status": "running",
        "seconds": 0.0,
        "levels": [{"depth": 0, "orbits": 1, "bytes": None, "file": _level_name(0),
                    "min_length": None}],
        "solution": None,
    }


def _check_same_run(manifest: dict[str, Any], fresh: dict[str, Any], workdir: Path) -> None:
    for key in ("format", "relators", "cap", "symmetry"):
        if manifest.get(key) != fresh[key]:
            raise ValueError(
                f"{workdir} holds a different search ({key} = {manifest.get(key)!r}, this run "
                f"asks {fresh[key]!r}); pass the same --presentation/--cap/--no-symmetry to "
                f"resume it, or choose an empty --workdir"
            )


def _clean_partial(workdir: Path, manifest: dict[str, Any]) -> None:
    """Delete everything a killed level left: work dirs, .tmp files, unlisted level files."""
    listed = {lvl["file"] for lvl in manifest["levels"]} | {MANIFEST, "result.json"}
    for entry in workdir.iterdir():
        if entry.is_dir() and entry.name.startswith("work-"):
            shutil.rmtree(entry)
        elif entry.name not in listed:
            entry.unlink()


def open_run(cfg: Config, resume: bool) -> dict[str, Any]:
    """Validate ``cfg`` and return the manifest to continue from (created if new)."""
    if int(cfg.max_ram) < MIN_RAM:
        raise ValueError(f"max_ram {cfg.max_ram} bytes is below the 1 MB minimum; pass "
                         f"--max-ram 1MB or more (e.g. 2GB)")
    pres, _, start_code = _start(cfg)
    workdir = Path(cfg.workdir)
    fresh = _fresh_manifest(cfg, pres, start_code)
    path = workdir / MANIFEST
    if path.exists():
        if not resume:
            raise ValueError(f"{workdir} already holds a search (manifest.json); pass --resume "
                             f"to continue it or choose an empty --workdir")
        manifest = json.loads(path.read_text())
        _check_same_run(manifest, fresh, workdir)
        _clean_partial(workdir, manifest)
        return manifest
    if workdir.exists() and any(workdir.iterdir()):
        raise ValueError(f"{workdir} is not empty and has no manifest.json; choose an empty or "
                         f"new --workdir")
    workdir.mkdir(parents=True, exist_ok=True)
    fresh["levels"][0]["bytes"] = write_keys(workdir / _level_name(0),
                                             np.array([start_code], np.uint64))
    _atomic_json(path, fresh)
    return fresh


def _expand_level(cfg: Config, depth: int, manifest: dict[str, Any],
                  progress: Callable[[dict], None] | None) -> tuple[int, int, list[int] | None,
                                                                    int]:
    """Expand level ``depth`` into level ``depth + 1``; return (orbits, bytes, trivial hit as
    [parent code, move] or None, minimal total length of level ``depth``)."""
    workdir = Path(cfg.workdir)
    work = workdir / f"work-{depth:04d}"
    work.mkdir()
    cap = cfg.cap
    n_words = codec.words_up_to(cap)
    sym_map, sym_swap = symmetry_tables(cfg.symmetry)
    block = parent_block(cfg.max_ram)
    out = np.empty(12 * block, np.uint64)
    stats = np.zeros(4, np.int64)
    runs: list[Path] = []
    min_length = 1 << 30
    hit = None
    for parents in iter_blocks(workdir / manifest["levels"][depth]["file"], block):
        count = codec.expand_block(parents, cap, np.uint64(n_words), sym_map, sym_swap, out,
                                   stats)
        min_length = min(min_length, int(stats[0]))
        if stats[2] >= 0 and hit is None:
            hit = [int(parents[stats[2]]), int(stats[3])]
        run = work / f"run-{len(runs):06d}.keys"
        write_keys(run, np.unique(out[:count]), durable=False)
        runs.append(run)
    old = [workdir / manifest["levels"][d]["file"] for d in (depth - 1, depth) if d >= 0]
    orbits, size = merge_runs(runs, old, workdir / _level_name(depth + 1), cfg.max_ram)
    if progress:
        progress({"level": depth + 1, "orbits": orbits, "bytes": size, "runs": len(runs)})
    shutil.rmtree(work)
    return orbits, size, hit, min_length


def run_search(cfg: Config, resume: bool = False,
               progress: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Run (or continue) the search to exhaustion or a trivial child; return the manifest.

    The manifest's ``levels`` give orbits, bytes on disk and minimal total length per level;
    ``status`` is ``"exhausted"`` or ``"solved"`` (then ``solution`` holds the verified path).
    """
    manifest = open_run(cfg, resume)
    workdir = Path(cfg.workdir)
    while manifest["status"] == "running":
        t0 = time.perf_counter()
        depth = len(manifest["levels"]) - 1
        orbits, size, hit, min_length = _expand_level(cfg, depth, manifest, progress)
        manifest["levels"][depth]["min_length"] = min_length
        if hit is not None:
            (workdir / _level_name(depth + 1)).unlink()
            manifest["solution"] = reconstruct(cfg, manifest, depth, hit[0], hit[1])
            manifest["status"] = "solved"
        elif orbits == 0:
            (workdir / _level_name(depth + 1)).unlink()
            manifest["status"] = "exhausted"
        else:
            manifest["levels"].append({"depth": depth + 1, "orbits": orbits, "bytes": size,
                                       "file": _level_name(depth + 1), "min_length": None})
        manifest["seconds"] = round(manifest["seconds"] + time.perf_counter() - t0, 3)
        _atomic_json(workdir / MANIFEST, manifest)
    return manifest


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The report: orbits per level and in total, bytes on disk, shortest length reached."""
    levels = manifest["levels"]
    lengths = [lvl["min_length"] for lvl in levels if lvl["min_length"] is not None]
    return {
        "presentation": manifest["presentation"],
        "cap": manifest["cap"],
        "symmetry": manifest["symmetry"],
        "status": manifest["status"],
        "levels": len(levels),
        "orbits_per_level": [lvl["orbits"] for lvl in levels],
        "bytes_per_level": [lvl["bytes"] for lvl in levels],
        "total_orbits": sum(lvl["orbits"] for lvl in levels),
        "total_bytes": sum(lvl["bytes"] for lvl in levels),
        "min_length": min(lengths) if lengths else None,
        "start_length": sum(len(r) for r in manifest["relators"]),
        "solved": manifest["status"] == "solved",
        "solution": manifest["solution"],
        "seconds": manifest["seconds"],
    }


# ----------------------------------------------------------------------------- paths


def _children(code: int, cfg: Config) -> list[tuple[int, int]]:
    """(move, canonical child code) for every applied move of the state with ``code``."""
    from mathgym.agents.search.moves_bridge import relator_lengths
    from mathgym.agents.search.symmetry import canonicalize
    from mathgym.envs.ac.kernels import apply_move

    cap = cfg.cap
    sym_map, sym_swap = symmetry_tables(cfg.symmetry)

    state = codec.decode_state(code, cap)
    lengths = np.empty(2, np.int32)
    relator_lengths(state, cap, lengths)
    out = []
    for m in range(12):
        child, clen = state.copy(), lengths.copy()
        if apply_move(child, clen, m, 2, cap, False):
            canonicalize(child, cap, sym_map, sym_swap, np.empty_like(child))
            out.append((m, codec.encode(child, cap, np.uint64(codec.words_up_to(cap)))))
    return [(m, int(c)) for m, c in out]


def _in_file(codes: list[int], path: Path, block: int) -> set[int]:
    want = np.unique(np.array(codes, np.uint64))
    found: set[int] = set()
    for blk in iter_blocks(path, block):
        found.update(int(c) for c in want[np.isin(want, blk)])
    return found


def reconstruct(cfg: Config, manifest: dict[str, Any], depth: int, parent: int,
                move: int) -> dict[str, Any]:
    """Verified path to the trivial child ``move`` of level-``depth`` orbit ``parent``."""
    from mathgym.agents.search.api import prepare
    from mathgym.agents.search.symmetry import lift_path
    from mathgym.verifiers.ac import verify_ac_path

    workdir = Path(cfg.workdir)
    block = max(1024, cfg.max_ram // 32)
    chain = [parent]
    for d in range(depth, 0, -1):
        kids = [c for _, c in _children(chain[-1], cfg)]
        found = _in_file(kids, workdir / manifest["levels"][d - 1]["file"], block)
        if not found:
            raise RuntimeError(f"path reconstruction: no neighbour of a level-{d} orbit at "
                               f"level {d - 1}; the level files are inconsistent")
        chain.append(min(found))
    chain.reverse()
    moves = []
    for a, b in zip(chain[:-1], chain[1:], strict=True):
        moves.append(next(m for m, c in _children(a, cfg) if c == b))
    moves.append(move)
    flat, cap, _ = prepare(cfg.presentation, cfg.cap)
    real = lift_path(flat, moves, cap, False) if cfg.symmetry else moves
    check = verify_ac_path(cfg.presentation, real, cap)
    if not check.ok:
        raise RuntimeError(f"reconstructed path failed verification: {check.reason}")
    return {"path": real, "length": len(real), "verified": True}


def log_progress(record: dict) -> None:
    """Progress lines as JSON on stderr."""
    print(json.dumps(record), file=sys.stderr, flush=True)
