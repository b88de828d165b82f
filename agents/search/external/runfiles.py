"""Sorted code files on disk: compressed, written atomically, read back in bounded blocks.

Format (``.keys``)
    16-byte header: ``b"AKXBFS01"`` then the number of codes (uint64, little endian); then one
    zlib stream of the codes' differences (uint64 little endian; the first difference is from
    0). A file holds strictly increasing codes, so the differences are small and compress well
    (stdlib zlib: lz4 and zstandard are not installed here).

Atomicity
    :class:`KeyWriter` writes ``<path>.tmp``, fsyncs it, renames it over ``<path>`` and fsyncs
    the directory: a file either exists complete or not at all, whatever kills the process.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

MAGIC = b"AKXBFS01"
_HEADER = struct.Struct("<8sQ")
_LEVEL = 1  # zlib level: the differences are small, level 1 is within a few % of level 6


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyWriter:
    """Append strictly increasing uint64 blocks; :meth:`close` publishes the file atomically.

    ``durable=False`` skips the fsyncs (still renamed into place): for run files, which a
    killed level deletes and regenerates anyway, so only level files pay for durability.
    """

    def __init__(self, path: Path, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.fh = open(self.tmp, "wb")
        self.fh.write(_HEADER.pack(MAGIC, 0))
        self.comp = zlib.compressobj(_LEVEL)
        self.count = 0
        self.last = np.uint64(0)

    def write(self, block: np.ndarray) -> None:
        if block.size == 0:
            return
        block = np.ascontiguousarray(block, dtype=np.uint64)
        if self.count and block[0] <= self.last:
            raise AssertionError("KeyWriter: codes must be strictly increasing across blocks")
        diffs = np.empty_like(block)
        diffs[0] = block[0] - self.last
        np.subtract(block[1:], block[:-1], out=diffs[1:])
        self.fh.write(self.comp.compress(diffs.astype("<u8", copy=False).tobytes()))
        self.count += int(block.size)
        self.last = block[-1]

    def close(self) -> int:
        """Finish, fsync and rename; return the file's size in bytes."""
        self.fh.write(self.comp.flush())
        self.fh.seek(0)
        self.fh.write(_HEADER.pack(MAGIC, self.count))
        self.fh.flush()
        if self.durable:
            os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)
        if self.durable:
            fsync_dir(self.path.parent)
        return self.path.stat().st_size


def write_keys(path: Path, codes: np.ndarray, durable: bool = True) -> int:
    """Write one sorted unique array as a file; return its size in bytes."""
    writer = KeyWriter(path, durable)
    writer.write(codes)
    return writer.close()


def key_count(path: Path) -> int:
    """Number of codes in a file (from its header); ValueError if it is not a key file."""
    with open(path, "rb") as fh:
        head = fh.read(_HEADER.size)
    if len(head) != _HEADER.size or head[:8] != MAGIC:
        raise ValueError(f"{path} is not an external-BFS key file (bad header)")
    return _HEADER.unpack(head)[1]


def iter_blocks(path: Path, block: int) -> Iterator[np.ndarray]:
    """Yield the file's codes in order, at most ``block`` at a time."""
    total = key_count(path)
    decomp = zlib.decompressobj()
    last = np.uint64(0)
    done = 0
    pending = b""
    with open(path, "rb") as fh:
        fh.seek(_HEADER.size)
        while done < total:
            want = min(block, total - done) * 8
            pieces, have = [pending], len(pending)
            while have < want:
                chunk = decomp.unconsumed_tail or fh.read(1 << 20)
                if not chunk:
                    raise ValueError(f"{path} is truncated ({done} of {total} codes)")
                piece = decomp.decompress(chunk, want - have)
                pieces.append(piece)
                have += len(piece)
            data = b"".join(pieces)
            pending = data[want:]
            diffs = np.frombuffer(data[:want], dtype="<u8").astype(np.uint64)
            codes = np.cumsum(diffs, dtype=np.uint64)
            codes += last
            last = codes[-1]
            done += codes.size
            yield codes


def read_all(path: Path) -> np.ndarray:
    """Every code of a (small) file; tests and path reconstruction of tiny levels."""
    blocks = list(iter_blocks(path, 1 << 22))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.uint64)
