"""The verified-path corpus of ``ac/ms1190``, and the k-fold split by presentation.

Why a pinned corpus
    Supermoves are mined from, and the guidance network is trained on, paths that are already
    known. Those paths must be (1) real: every one is replayed by the benchmark's verifier
    (plain AC moves, the instance's cap) before it is used, and (2) fixed: an agent whose
    actions depend on the corpus must behave the same when ``mathgym submit --reproduce``
    re-runs it later, so the sources are a pinned list of files (the board submissions of
    2026-11-22 and ``tests/search/data``), not "whatever is on the board now".

Why k-fold by presentation
    A presentation's own path must never shape the search that solves it, or the search would
    replay a memorised answer. Every presentation has a fold (:func:`fold_of`); the supermoves
    and the network used on fold ``f`` come only from the paths of presentations in other
    folds (:meth:`Corpus.training_paths`). Presentations no path solves are in no one's data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

#: The pinned sources: every ac/ms1190 submission of 2026-11-22 (ac-greedy at 10k, 100k, 1M
#: and 10M nodes; ac-bfs with cyclic reduction, whose certificates are plain AC paths) and the
#: 47 new 10M paths kept for tests. Later submissions (ours included) are not read, so the
#: mined supermoves and the training set never change under a re-run.
SOURCES: tuple[str, ...] = (
    "leaderboards/ac/ms1190/2026-11-22-ac-greedy-c65696398bde.json",
    "leaderboards/ac/ms1190/2026-11-22-ac-greedy-4c6889de472f.json",
    "leaderboards/ac/ms1190/2026-11-22-ac-greedy-4b0017622a7c.json",
    "leaderboards/ac/ms1190/2026-11-22-ac-greedy-cb5a3b61d753.json",
    "leaderboards/ac/ms1190/2026-11-22-ac-bfs-fbdbd499b183.json",
    "tests/search/data/new_ms1190_paths.json",
)

#: Default number of folds.
FOLDS = 5


def fold_of(instance_id: str, folds: int = FOLDS) -> int:
    """Fold of a presentation: ``ms-NNNN`` -> ``NNNN mod folds`` (consecutive ids cycle
    through the folds, so each fold holds every n and every w); any other id -> a sha256 of
    the id mod ``folds`` (stable across processes and ``PYTHONHASHSEED``)."""
    if folds < 2:
        raise ValueError(f"folds must be >= 2 (one fold is held out), got {folds}")
    head, _, tail = instance_id.partition("-")
    if head == "ms" and tail.isdigit():
        return int(tail) % folds
    digest = hashlib.sha256(instance_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % folds


@dataclass(frozen=True)
class Corpus:
    """Verified paths by presentation: ``paths[id]`` is a tuple of distinct move lists, and
    ``relators[id]`` / ``caps[id]`` the presentation and cap they were verified under."""

    paths: dict[str, tuple[tuple[int, ...], ...]]
    relators: dict[str, tuple[tuple[int, ...], ...]]
    caps: dict[str, int]
    sources: tuple[str, ...]

    def training_paths(self, fold: int, folds: int = FOLDS) -> dict[str, tuple]:
        """The paths allowed for presentations of ``fold``: those of every other fold."""
        return {iid: p for iid, p in self.paths.items() if fold_of(iid, folds) != fold}

    def num_paths(self) -> int:
        return sum(len(p) for p in self.paths.values())


def _records(doc: dict) -> list[tuple[str, list[int]]]:
    if "results" in doc:  # a board submission
        return [(r["instance"], r["certificate"]) for r in doc["results"]
                if r.get("solved") and r.get("certificate") is not None]
    if "paths" in doc:  # tests/search/data/new_ms1190_paths.json
        return [(iid, e["path"]) for iid, e in doc["paths"].items()]
    raise ValueError("unknown corpus file: expected a board submission ('results') or a "
                     "tests/search/data paths file ('paths')")


@lru_cache(maxsize=4)
def load_corpus(sources: tuple[str, ...] = SOURCES) -> Corpus:
    """Read ``sources`` (paths relative to the repository root), re-verify every path with the
    benchmark's verifier under the instance's cap, and keep the distinct ones per presentation
    (sorted, so the corpus does not depend on file order). A path that fails verification is
    an error naming the file and instance: the corpus must hold nothing false."""
    from mathgym.envs.ac.benchmarks import ms1190
    from mathgym.verifiers.ac import verify_ac_path

    bench = ms1190()
    found: dict[str, set[tuple[int, ...]]] = {}
    relators: dict[str, tuple[tuple[int, ...], ...]] = {}
    caps: dict[str, int] = {}
    for rel in sources:
        file = ROOT / rel
        if not file.is_file():
            raise FileNotFoundError(f"corpus source {rel} not found under {ROOT}; pass "
                                    "sources= with existing files")
        for iid, path in _records(json.loads(file.read_text())):
            inst = bench.instance(iid)
            rels = tuple(tuple(int(v) for v in r) for r in inst.data["relators"])
            cap = int(inst.data["max_relator_length"])
            key = tuple(int(m) for m in path)
            if key in found.get(iid, ()):
                continue
            check = verify_ac_path(rels, list(key), cap)
            if not check.ok:
                raise ValueError(f"{rel}: the path for {iid} does not verify ({check.reason})")
            found.setdefault(iid, set()).add(key)
            relators[iid], caps[iid] = rels, cap
    paths = {iid: tuple(sorted(found[iid])) for iid in sorted(found)}
    return Corpus(paths, relators, caps, tuple(sources))
