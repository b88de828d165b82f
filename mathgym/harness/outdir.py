"""The output folder of a run (``--out``): one writer at a time, one run per folder.

``mathgym eval`` holds an exclusive ``fcntl.flock`` on ``OUT/.mathgym.lock`` for its whole
run. The kernel drops the lock when the process ends, however it ends (``kill -9`` included),
so a stale lock never blocks a resume; a second eval or resume on a folder in use is refused
with the folder and the holder's pid. A folder that already holds a run (``results.json`` or
``attempts.jsonl``) is reused only by ``--resume`` of that same run: same benchmark (and content
hash), agent and config, budget and seeds. Anything else is refused before a byte is written.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from mathgym.harness.results import ResultsError

#: Lock file inside every output folder (holds the pid of the run that owns the folder).
LOCK_NAME = ".mathgym.lock"


class OutDirError(ResultsError):
    """The output folder cannot be used: busy, holding another run, or not writable."""


#: ``errno`` values of a file system refusing a write (others, e.g. sockets, are not --out's).
FS_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT,
                       errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EIO, errno.EFBIG})


def io_error(path: str | os.PathLike[str], err: OSError) -> OutDirError:
    """A one-line :class:`OutDirError` naming the path an ``OSError`` happened on."""
    where = err.filename if err.filename is not None else path
    return OutDirError(f"cannot write the run to {where}: {err.strerror or err} "
                       "(choose a writable --out with free space)")


class OutDirLock:
    """Exclusive lock on an output folder, held from :meth:`acquire` until :meth:`release`."""

    def __init__(self, out: str | os.PathLike[str]):
        self.out = Path(out)
        self.path = self.out / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> OutDirLock:
        """Take the lock or raise :class:`OutDirError` naming the folder and the holder's pid."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise io_error(self.out, err) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutDirError(
                f"{self.out} is in use by another mathgym run (pid {holder}); one writer per "
                "output folder: wait for it to finish (or stop it) and then --resume, or choose "
                "another --out"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:
            os.close(fd)
            raise io_error(self.path, err) from None
        self.fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the file stays: removing it would race with a waiting run)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> OutDirLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _identity_of_results(doc: dict[str, Any]) -> dict[str, Any]:
    bench = doc.get("benchmark") or {}
    return {
        "benchmark": f"{bench.get('id')}@{bench.get('version')}",
        "content_hash": bench.get("content_hash"),
        "agent": doc.get("agent"),
        "budget": (doc.get("budget") or {}).get("amount"),
        "seeds": doc.get("seeds"),
    }


def check_reuse(out: str | os.PathLike[str], header: dict[str, Any], resume: bool,
                results_name: str, log_name: str) -> None:
    """Refuse an ``out`` that holds another run, or any run without ``resume``.

    ``header`` is the run's attempt-log header (benchmark full id, content hash, agent summary,
    budget, seeds). The log's own header is checked by :class:`~mathgym.harness.results.
    AttemptLog`; this checks ``results.json``, which may exist without a log (copied in, or the
    log deleted), so that a finished run of something else is never overwritten.
    """
    out = Path(out)
    results, log = out / results_name, out / log_name
    if not resume and (results.exists() or log.exists()):
        held = results if results.exists() else log
        raise OutDirError(f"{held} already exists; pass --resume to continue that same run, or "
                          "choose another --out")
    if not results.exists():
        return
    try:
        doc = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OutDirError(f"{results} is not a readable mathgym results file ({err}); it is not "
                          "this run's: choose another --out") from None
    if not isinstance(doc, dict):
        raise OutDirError(f"{results} is not a mathgym results file; choose another --out")
    stored = _identity_of_results(doc)
    want = json.loads(json.dumps(header))
    diff = [k for k in stored if stored[k] != want.get(k)]
    if diff:
        raise OutDirError(
            f"{out} holds the results of another run ({stored['benchmark']}, agent "
            f"{(stored['agent'] or {}).get('name')!r}; differs in: {', '.join(diff)}); "
            "--resume continues only the same benchmark/agent/config/budget/seeds: choose "
            "another --out"
        )
