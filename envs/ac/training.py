"""AC training splits: generated Miller–Schupp presentations disjoint from every AC benchmark.

``ac/train-quick`` is the training split of ``mathgym train --agent llm-grpo`` for AC. It is
generated the way ``ac/quick`` and ``ac/ms1190`` are (``envs/ac/datasets.py``): ``MS(n, w) =
<x, y | x^-1 y^n x y^-(n+1), x^-1 w>`` with ``w`` a word over ``x, y, x^-1, y^-1`` of
x-exponent sum 0 and ``r1 = x^-1 w`` freely and cyclically reduced, at AC-Solver's cap rule
``2 * max(2n + 3, max_w_len + 1) + 2`` (here ``max_w_len`` = :data:`W_LENS`' largest, 10).

Design note.

- **A deterministic function of the position.** Presentation k is the first accepted draw of
  ``random.Random(row_seed(seed, k, j))`` for ``j = 0, 1, ...``: each draw picks ``n`` uniformly
  in :data:`NS` (1..5, ac/quick's) and ``w`` uniformly among words of length in :data:`W_LENS`,
  so position k never depends on any other position and a resumed stream needs only k.
- **Disjoint from every benchmark, by construction and by check.** ``ac/ms1190`` enumerates
  every ``w`` with ``|w| <= 7`` for ``n <= 7`` (one per rotation class of ``r1``), so a draw is
  rejected unless its reduced ``r1`` has length >= 9 (``|w| >= 8`` after reduction), and then
  it is also rejected if it equals any instance of ``ac/ms1190``, ``ac/ak`` or ``ac/quick`` up
  to cyclic rotation and inversion of each relator and the order of the two relators
  (:func:`canonical_key`). The second check is redundant for MS words but keeps the guarantee
  if the generator changes; both are tested.
- **Only presentations with a verified path.** A draw is kept only if greedy search
  (``agents.search.api.greedy_search``, AC-Solver's) solves it within :data:`MAX_NODES` nodes
  under the cap, and its path verifies with the benchmark verifier
  (``verifiers.ac.verify_ac_path``). Every training prompt therefore has a known solving path
  (``data["path"]``: the guided improver's hint, ``improve/hints.py``) and a trainer reward
  that can be 1. What this selects: mostly ``n = 1, 2`` (measured on 400 draws: greedy solves
  60/89 at n = 1, 23/81 at n = 2, 8/71 at n = 3, 2/80 at n = 4, 1/79 at n = 5), so the split
  is easier in n and harder in |w| than ``ac/quick``.
- Each draw costs a few milliseconds (the greedy search is numba-compiled; the first call in a
  process compiles it, about 0.5 s), and about 4 draws are needed per kept presentation.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from mathgym.harness.benchmark import Instance

#: The stream seed of ac/train-quick (no benchmark draws from a seed: they are enumerated).
AC_TRAIN_SEED = 61_013
NS: tuple[int, ...] = (1, 2, 3, 4, 5)
W_LENS: tuple[int, ...] = (8, 9, 10)
MAX_NODES = 2_000
#: Draws tried for one position before giving up (far above the ~4 needed on average).
MAX_DRAWS = 10_000


def _row_seed(*parts: Any) -> int:
    from mathgym.agents.llm.improve.base import row_seed

    return row_seed(*parts)


def _canonical_word(word: tuple[int, ...]) -> tuple[int, ...]:
    """The least of the cyclic rotations of ``word`` and of its inverse."""
    inverse = tuple(-x for x in reversed(word))
    return min(w[s:] + w[:s] for w in (word, inverse) for s in range(max(1, len(w))))


def canonical_key(relators: Any) -> tuple[tuple[int, ...], ...]:
    """A presentation's key up to cyclic reduction, rotation and inversion of each relator and
    the order of the relators: two presentations with one key are the same problem for AC."""
    from mathgym.envs.ac.words import cyclic_reduce

    return tuple(sorted(_canonical_word(tuple(cyclic_reduce(tuple(int(x) for x in r))))
                        for r in relators))


@functools.cache
def benchmark_keys() -> frozenset[tuple[tuple[int, ...], ...]]:
    """Keys of every instance of every AC benchmark (ac/ms1190, ac/ak, ac/quick)."""
    from mathgym.envs.ac.benchmarks import BENCHMARKS

    return frozenset(canonical_key(inst.data["relators"])
                     for build in BENCHMARKS.values() for inst in build().instances)


def split_cap(n: int) -> int:
    """The cap of MS(n, w) in the split: AC-Solver's rule with max_w_len = max(W_LENS)."""
    from mathgym.envs.ac.datasets import ms_max_relator_length

    return ms_max_relator_length(n, max(W_LENS))


@dataclass(frozen=True)
class ACSplit:
    """One AC training split: a seeded stream of greedy-solvable MS(n, w) (see the module doc)."""

    id: str
    seed: int = AC_TRAIN_SEED
    """the stream's seed (row_seed(seed, position, draw))"""
    ns: tuple[int, ...] = NS
    """n of MS(n, w), drawn uniformly per draw"""
    w_lens: tuple[int, ...] = W_LENS
    """lengths of the drawn w (before reduction), drawn uniformly per draw"""
    max_nodes: int = MAX_NODES
    """greedy's node budget: a draw is kept only if greedy solves it within this"""

    def describe(self) -> dict[str, Any]:
        """The split's settings as JSON (a training run's identity records them)."""
        return {"id": self.id, "seed": self.seed, "ns": list(self.ns),
                "w_lens": list(self.w_lens), "max_nodes": self.max_nodes,
                "family": "miller-schupp", "cap": "2*max(2n+3, max(w_lens)+1)+2"}

    def _draw(self, rng: random.Random) -> tuple[int, tuple[int, ...], tuple[int, ...]] | None:
        from mathgym.envs.ac.datasets import miller_schupp_relator0
        from mathgym.envs.ac.words import cyclic_reduce

        n = rng.choice(self.ns)
        length = rng.choice(self.w_lens)
        w = tuple(rng.choice((1, 2, -1, -2)) for _ in range(length))
        if sum(x for x in w if abs(x) == 1) != 0:
            return None
        r1 = tuple(cyclic_reduce((-1, *w)))
        if len(r1) < 9:  # |w| <= 7 after reduction: a rotation class ac/ms1190 enumerates
            return None
        return n, w, (miller_schupp_relator0(n), r1)

    def instance(self, k: int) -> Instance:
        """The presentation at stream position ``k`` as a benchmark-style instance (data:
        ``presentation``, ``relators``, ``max_relator_length``, ``n``, ``w``, ``path`` = the
        verified greedy path); id ``<split>-<k>``."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"stream position must be an int >= 0, got {k!r}")
        return _instance(self, k)


@functools.lru_cache(maxsize=4096)
def _instance(split: ACSplit, k: int) -> Instance:
    from mathgym.agents.search.api import greedy_search
    from mathgym.envs.ac.benchmarks import _instance as make
    from mathgym.envs.ac.presentation import Presentation
    from mathgym.verifiers.ac import verify_ac_path

    excluded = benchmark_keys()
    for j in range(MAX_DRAWS):
        drawn = split._draw(random.Random(_row_seed(split.seed, k, j)))
        if drawn is None:
            continue
        n, w, relators = drawn
        if canonical_key(relators) in excluded:
            continue
        cap = split_cap(n)
        result = greedy_search(Presentation(relators), max_nodes=split.max_nodes,
                               max_relator_length=cap)
        if not result.solved:
            continue
        path = [int(m) for m in result.path]
        if not verify_ac_path(relators, path, cap).ok:  # the verifier has the last word
            continue
        return make(f"{split.id}-{k}", Presentation(relators), cap,
                    {"n": n, "w_len": len(relators[1]) - 1},
                    {"n": n, "w": list(w), "path": path, "draw": j})
    raise RuntimeError(f"{split.id}: no greedy-solvable presentation in {MAX_DRAWS} draws at "
                       f"position {k}; raise max_nodes or lower ns")


#: The AC training splits of ``mathgym train --agent llm-grpo``.
AC_TRAINING_SPLITS: dict[str, ACSplit] = {"ac/train-quick": ACSplit("ac/train-quick")}
