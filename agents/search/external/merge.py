"""Delayed duplicate detection: k-way merge of sorted runs against the two previous levels.

Block-wise and vectorized rather than one code at a time: every stream holds a sorted buffer;
the smallest buffer maximum ``t`` over all live streams is the bound up to which every stream's
codes are in memory, so the codes ``<= t`` of the new runs are merged at once (``np.unique``),
those found in the old levels' codes ``<= t`` are dropped (``searchsorted``), and the rest is
appended to the new level's file. Each round empties at least one buffer, so the rounds are at
most (codes / block + files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from mathgym.agents.search.external.runfiles import KeyWriter, iter_blocks


class _Stream:
    """A key file read as a sequence of sorted buffers."""

    def __init__(self, path: Path, block: int) -> None:
        self.blocks = iter_blocks(path, block)
        self.buf = np.zeros(0, np.uint64)
        self.pos = 0
        self.done = False
        self.refill()

    def refill(self) -> None:
        while self.pos >= self.buf.size and not self.done:
            try:
                self.buf, self.pos = next(self.blocks), 0
            except StopIteration:
                self.done = True

    @property
    def live(self) -> bool:
        return self.pos < self.buf.size

    def take(self, bound: np.uint64) -> np.ndarray:
        end = int(np.searchsorted(self.buf, bound, side="right"))
        part = self.buf[self.pos:end]
        self.pos = max(end, self.pos)
        self.refill()
        return part


def merge_block_size(max_ram: int, streams: int) -> int:
    """Codes per stream buffer so that buffers plus the merge's temporaries (about 3x the
    buffers) stay within ``max_ram`` bytes."""
    return max(256, max_ram // (8 * 3 * max(1, streams)))


def merge_runs(runs: Sequence[Path], old: Sequence[Path], out: Path,
               max_ram: int) -> tuple[int, int]:
    """Write the sorted union of ``runs`` minus every code in ``old`` to ``out``.

    Returns (codes written, bytes of ``out``).
    """
    block = merge_block_size(max_ram, len(runs) + len(old))
    new_streams = [_Stream(p, block) for p in runs]
    old_streams = [_Stream(p, block) for p in old]
    writer = KeyWriter(out)
    while True:
        new_live = [s for s in new_streams if s.live]
        if not new_live:
            break
        old_live = [s for s in old_streams if s.live]
        bound = min(s.buf[-1] for s in new_live + old_live)
        parts = [s.take(bound) for s in new_live]
        merged = np.unique(np.concatenate(parts))
        if old_live:
            seen = np.concatenate([s.take(bound) for s in old_live])
            if seen.size:
                seen.sort()
                idx = np.searchsorted(seen, merged)
                hit = seen[np.minimum(idx, seen.size - 1)] == merged
                merged = merged[~hit]
        writer.write(merged)
    return writer.count, writer.close()
