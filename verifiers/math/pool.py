"""A persistent pool of worker processes that runs checks under a hard per-check timeout.

Why processes and not ``signal.alarm``: an alarm only works in the main thread and cannot
interrupt C code (big-integer arithmetic). A separate process can always be killed. The
timeout therefore works from any thread (Ray actors, TRL reward threads, Gymnasium vector
envs).

* Workers are ``python -P -m mathgym.verifiers.math.worker`` subprocesses (no ``fork`` of the
  caller, no re-import of its ``__main__``), started lazily and reused: sympy is imported once.
* Requests stream over a pipe in chunks (at most ~48 KB, so writes never block); the timeout
  of each check starts when the previous result arrived. A check over its timeout gets a
  ``timeout`` verdict, its worker is killed and replaced, and the rest of the batch resumes on
  the replacement. A worker that dies gets a ``crash`` verdict and is replaced the same way.
* Thread-safe: each call checks a worker out of an idle queue. After ``os.fork`` the child
  builds its own pool (the parent's workers are never shared).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mathgym.verifiers.math.limits import DEFAULT_TIMEOUT
from mathgym.verifiers.math.verdict import Verdict, fail

#: Seconds a new worker may take to import sympy and warm up.
STARTUP_TIMEOUT = 120.0
#: Bytes of requests written before reading their results (below the 64 KB pipe buffer).
CHUNK_BYTES = 48_000


class WorkerDied(RuntimeError):
    """The worker closed its output (crashed or was killed)."""


class _Worker:
    """One worker subprocess and a line reader over its stdout with deadlines."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "mathgym.verifiers.math.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd="/",
            close_fds=True,
        )
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.ready = False

    def readline(self, deadline: float) -> bytes | None:
        """The next line, or None when ``deadline`` (time.monotonic) passes first."""
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([self.fd], [], [], remaining)
            if not readable:
                return None
            data = os.read(self.fd, 65536)
            if not data:
                raise WorkerDied(f"verifier worker {self.proc.pid} exited")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def ensure_ready(self) -> None:
        if self.ready:
            return
        line = self.readline(time.monotonic() + STARTUP_TIMEOUT)
        if line is None or json.loads(line).get("ready") is not True:
            self.kill()
            raise RuntimeError(
                f"verifier worker did not start within {STARTUP_TIMEOUT:.0f} s; run "
                f"`{sys.executable} -m mathgym.verifiers.math.worker` to see why"
            )
        self.ready = True

    def send(self, payload: bytes) -> None:
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise WorkerDied(str(e)) from e

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _encode(request: dict) -> bytes:
    return (json.dumps(request, ensure_ascii=True) + "\n").encode()


class VerifierPool:
    """``workers`` persistent worker processes; ``timeout`` seconds per check (hard)."""

    def __init__(self, workers: int | None = None, timeout: float | None = None) -> None:
        env_workers = os.environ.get("MATHGYM_VERIFIER_WORKERS")
        env_timeout = os.environ.get("MATHGYM_VERIFIER_TIMEOUT")
        self.size = int(workers or env_workers or min(2, os.cpu_count() or 1))
        self.timeout = float(timeout or env_timeout or DEFAULT_TIMEOUT)
        if self.size < 1:
            raise ValueError(f"workers must be >= 1, got {self.size}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        self.pid = os.getpid()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self.restarts = 0

    # -- worker lifecycle ----------------------------------------------------------------
    def _acquire(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._workers) < self.size:
                worker = _Worker()
                self._workers.append(worker)
                return worker
        return self._idle.get()

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        new = _Worker()
        with self._lock:
            self._workers = [w for w in self._workers if w is not worker] + [new]
            self.restarts += 1
        return new

    def warm(self) -> None:
        """Start every worker now and wait until all have imported sympy."""
        taken = [self._acquire() for _ in range(self.size)]
        for w in taken:
            w.ensure_ready()
        for w in taken:
            self._idle.put(w)

    def close(self) -> None:
        """Stop all workers (the pool restarts them on next use)."""
        with self._lock:
            workers, self._workers = self._workers, []
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break
        for w in workers:
            w.kill()  # workers hold no state worth a graceful exit

    # -- running checks ------------------------------------------------------------------
    def run(self, requests: list[dict], timeout: float | None = None) -> list[Verdict]:
        """Verdicts of ``requests`` (dicts with keys a, r, t, s), in order."""
        timeout = float(timeout or self.timeout)
        if len(requests) >= 64 and self.size > 1:
            parts = self.size
            step = -(-len(requests) // parts)
            slices = [requests[k : k + step] for k in range(0, len(requests), step)]
            with ThreadPoolExecutor(len(slices)) as ex:
                results = list(ex.map(lambda s: self._run_one_worker(s, timeout), slices))
            return [v for part in results for v in part]
        return self._run_one_worker(requests, timeout)

    def _run_one_worker(self, requests: list[dict], timeout: float) -> list[Verdict]:
        worker = self._acquire()
        try:
            verdicts, worker = self._stream(worker, requests, timeout)
        except BaseException:
            worker = self._replace(worker)  # state unknown after an interruption
            raise
        finally:
            self._idle.put(worker)
        return verdicts

    def _stream(self, worker: _Worker, requests: list[dict],
                timeout: float) -> tuple[list[Verdict], _Worker]:
        out: list[Verdict] = []
        i = 0
        while i < len(requests):
            if worker.proc.poll() is not None:  # died while idle: nothing of ours was lost
                worker = self._replace(worker)
            worker.ensure_ready()
            chunk, size = [], 0
            while i + len(chunk) < len(requests):
                line = _encode(requests[i + len(chunk)])
                if chunk and size + len(line) > CHUNK_BYTES:
                    break
                chunk.append(line)
                size += len(line)
            try:
                worker.send(b"".join(chunk))
            except WorkerDied:
                out.append(fail("crash", "verifier worker failed"))
                worker = self._replace(worker)
                i += 1
                continue
            for _ in chunk:
                try:
                    line = worker.readline(time.monotonic() + timeout)
                except WorkerDied:
                    line = b"crash"
                if line is None or line == b"crash":
                    out.append(fail("timeout", f"verifier timed out after {timeout:g} s")
                               if line is None else fail("crash", "verifier worker failed"))
                    worker = self._replace(worker)
                    i += 1
                    break
                out.append(Verdict.from_json(json.loads(line)))
                i += 1
        return out, worker


_POOL: VerifierPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> VerifierPool:
    """The process-wide pool (created on first use; recreated in a forked child)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL.pid != os.getpid():
            _POOL = VerifierPool()
        return _POOL


def configure(workers: int | None = None, timeout: float | None = None) -> VerifierPool:
    """Replace the process-wide pool with one of ``workers`` processes and ``timeout`` s."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and _POOL.pid == os.getpid():
            _POOL.close()
        _POOL = VerifierPool(workers, timeout)
        return _POOL


def shutdown() -> None:
    """Stop the process-wide pool's workers (registered with atexit)."""
    with _POOL_LOCK:
        if _POOL is not None and _POOL.pid == os.getpid():
            _POOL.close()


atexit.register(shutdown)
