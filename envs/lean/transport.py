"""Ways to carry REPL requests to Lean and bring the JSON responses back.

Every transport has the same three methods, so the client and the environment do not care
which one they use:

* ``request(req: dict, timeout: float | None) -> dict`` - one request, one raw response
  object; failures of the backend raise :class:`~mathgym.envs.lean.errors.LeanBackendError`;
* ``restart()`` - start afresh (all env / proof state ids become invalid);
* ``close()`` - release the process (idempotent).

:class:`SubprocessTransport` runs the real REPL (``lake exe repl`` in a Lean project);
:class:`ReplayTransport` answers from a recorded transcript pair, so the whole stack is tested
on real Lean output where no toolchain can be installed; :class:`LeanInteractTransport` goes
through the optional ``lean-interact`` package.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from mathgym.envs.lean.errors import (
    LeanBackendError,
    LeanNotAvailableError,
    LeanProcessDiedError,
    LeanProtocolError,
    LeanTimeoutError,
    ReplayMismatchError,
)
from mathgym.envs.lean.protocol import LEAN_WHITESPACE, decode_block, encode_request
from mathgym.envs.lean.transcripts import Transcript, load_transcript

#: Default seconds one request may take before the REPL is killed and restarted.
DEFAULT_TIMEOUT = 60.0


class Transport(Protocol):
    """What :class:`~mathgym.envs.lean.client.LeanClient` needs from a transport."""

    def request(self, req: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]: ...

    def restart(self) -> None: ...

    def close(self) -> None: ...


def _short(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False) if not isinstance(obj, str) else obj
    return text if len(text) <= 400 else text[:400] + "..."


# --------------------------------------------------------------------------- subprocess
class SubprocessTransport:
    """The Lean REPL as a child process speaking JSON over stdin/stdout.

    Arguments:
        command: the program and its arguments, e.g. ``["lake", "exe", "repl"]``.
        cwd: working directory (the Lean project that has the REPL as a dependency or is the
            REPL checkout itself).
        timeout: default seconds per request; on expiry the process group is killed and
            :class:`LeanTimeoutError` is raised (the next request starts a fresh process).
        env: extra environment variables for the child.

    The process starts lazily on the first request, in its own process group so that killing
    it also kills the ``repl`` binary ``lake`` spawns. A reader thread moves stdout lines into
    a queue, which is what makes per-request timeouts possible; another keeps the last lines
    of stderr for error messages.
    """

    def __init__(
        self,
        command: Sequence[str],
        cwd: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(command, str) or not command or not all(isinstance(c, str) for c in command):
            raise ValueError(
                f"SubprocessTransport: command must be a non-empty list of strings, got {command!r}"
            )
        if timeout is not None and timeout <= 0:
            raise ValueError(f"SubprocessTransport: timeout must be > 0 seconds, got {timeout}")
        self.command = list(command)
        self.cwd = str(cwd) if cwd is not None else None
        self.timeout = timeout
        self.extra_env = dict(env or {})
        self.starts = 0
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_thread: threading.Thread | None = None

    # ---------------------------------------------------------------- process control
    @property
    def pid(self) -> int | None:
        """Process id of the running REPL (``None`` before the first request)."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        """Whether the REPL process is running."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the REPL process (called lazily by :meth:`request`)."""
        self.close()
        environ = dict(os.environ)
        environ.update(self.extra_env)
        try:
            proc = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=environ,
                start_new_session=True,
            )
        except FileNotFoundError as err:
            raise LeanNotAvailableError(
                f"cannot start the Lean REPL: {self.command[0]!r} not found ({err}). "
                "Install Lean with elan and build the REPL; see docs/lean.md"
            ) from None
        self._proc = proc
        self.starts += 1
        lines: queue.Queue[str | None] = queue.Queue()
        self._lines = lines
        self._stderr = collections.deque(maxlen=40)
        threading.Thread(target=self._pump_stdout, args=(proc, lines), daemon=True).start()
        self._stderr_thread = threading.Thread(
            target=self._pump_stderr, args=(proc, self._stderr), daemon=True
        )
        self._stderr_thread.start()

    @staticmethod
    def _pump_stdout(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put(None)

    @staticmethod
    def _pump_stderr(proc: subprocess.Popen[str], tail: collections.deque[str]) -> None:
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                tail.append(line.rstrip("\n"))
        except (OSError, ValueError):
            pass

    def _stderr_tail(self) -> str:
        proc, thread = self._proc, self._stderr_thread
        if proc is not None and proc.poll() is not None and thread is not None:
            thread.join(timeout=2.0)  # the process is gone: read its stderr to the end
        tail = "\n".join(list(self._stderr)[-10:])
        return f"; stderr: {tail}" if tail else ""

    def close(self) -> None:
        """Kill the REPL's process group (if running) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def restart(self) -> None:
        """Kill the current process and start a new one."""
        self.close()
        self.start()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # ---------------------------------------------------------------- requests
    def request(self, req: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its blank-line-terminated JSON response."""
        if self._proc is None:
            self.start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        limit = self.timeout if timeout is None else timeout
        if proc.poll() is not None:
            code, tail = proc.returncode, self._stderr_tail()
            self.close()
            raise LeanProcessDiedError(
                f"the Lean REPL ({' '.join(self.command)}) had exited with code {code} "
                f"before request {_short(req)}{tail}"
            )
        try:
            proc.stdin.write(encode_request(req))
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            try:
                code = proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
            tail = self._stderr_tail()
            self.close()
            raise LeanProcessDiedError(
                f"the Lean REPL closed its input ({err}, exit code {code}) at request "
                f"{_short(req)}{tail}"
            ) from None
        deadline = None if limit is None else time.monotonic() + limit
        parts: list[str] = []
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                line = self._lines.get(timeout=wait)
            except queue.Empty:
                self.close()
                raise LeanTimeoutError(
                    f"the Lean REPL gave no complete response within {limit:g} s to request "
                    f"{_short(req)}; the process was killed"
                ) from None
            if line is None:
                code = proc.wait(timeout=5) if proc.poll() is None else proc.returncode
                tail = self._stderr_tail()
                self.close()
                partial = f"; partial output {_short(''.join(parts))}" if parts else ""
                raise LeanProcessDiedError(
                    f"the Lean REPL exited (code {code}) while answering request "
                    f"{_short(req)}{partial}{tail}"
                )
            if line.strip(LEAN_WHITESPACE):
                parts.append(line)
            elif parts:
                break
        return decode_block("".join(parts), f"Lean REPL response to {_short(req)}")


# --------------------------------------------------------------------------- replay
class ReplayTransport:
    """Answers requests from a recorded transcript (real REPL output, no Lean needed).

    With ``ordered=True`` (the default) request *i* must equal recorded request *i*. With
    ``ordered=False`` a request may match any recorded request not used yet (the first such
    one), which lets an agent skip recorded dead ends; the recorded ids stay consistent
    because every id a response hands out is a recorded one. Requests are compared as JSON
    objects (key order and whitespace do not matter). An unrecorded request raises
    :class:`ReplayMismatchError` naming the request index (in the recording when ordered, in
    this session otherwise) and the expected and actual requests; it consumes nothing, so the
    session can go on with a recorded request. :meth:`restart` rewinds to the start.
    """

    def __init__(self, transcript: Transcript | str | Path, ordered: bool = True) -> None:
        if not isinstance(transcript, Transcript):
            transcript = load_transcript(transcript)
        self.transcript = transcript
        self.ordered = bool(ordered)
        self.sent = 0
        self.restarts = 0
        self._used = [False] * len(transcript.requests)
        self._cursor = 0

    @property
    def exhausted(self) -> bool:
        """Whether every recorded request has been answered (ordered mode)."""
        return self._cursor >= len(self.transcript.requests)

    def request(self, req: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """The recorded response to ``req``; :class:`ReplayMismatchError` if none fits."""
        self.sent += 1
        actual = dict(req)
        name = self.transcript.name
        recorded = self.transcript.requests
        if self.ordered:
            if self._cursor >= len(recorded):
                raise ReplayMismatchError(
                    f"replay of {name!r}: request {self._cursor} is past the end of the "
                    f"recording ({len(recorded)} requests); actual request: {_short(actual)}",
                    index=self._cursor, expected=None, actual=actual,
                )
            expected = recorded[self._cursor]
            if expected != actual:
                raise ReplayMismatchError(
                    f"replay of {name!r}: request {self._cursor} differs from the recording; "
                    f"expected {_short(expected)}, actual {_short(actual)}",
                    index=self._cursor, expected=expected, actual=actual,
                )
            self._used[self._cursor] = True
            self._cursor += 1
            return dict(self.transcript.responses[self._cursor - 1])
        for i, rec in enumerate(recorded):
            if not self._used[i] and rec == actual:
                self._used[i] = True
                return dict(self.transcript.responses[i])
        unused = [rec for i, rec in enumerate(recorded) if not self._used[i]]
        answered = len(recorded) - len(unused)
        raise ReplayMismatchError(
            f"replay of {name!r}: request {answered} (after {answered} answered) is not among "
            f"the unused recorded requests; actual {_short(actual)}, unused recorded: "
            f"{_short(unused)}",
            index=answered, expected=unused[0] if unused else None, actual=actual,
        )

    def restart(self) -> None:
        """Rewind to the start of the recording (a fresh REPL knows no ids)."""
        self.sent = 0
        self.restarts += 1
        self._cursor = 0
        self._used = [False] * len(self.transcript.requests)

    def close(self) -> None:
        """Nothing to release."""


# --------------------------------------------------------------------------- lean-interact
class LeanInteractTransport:
    """The REPL driven through the optional ``lean-interact`` package (``pip install
    mathgym[lean]``), which can download and build the REPL for a Lean version itself.

    ``project_dir`` selects a local Lake project (``LocalProject``); otherwise
    ``lean_version`` (e.g. ``"v4.19.0"``) is passed to ``LeanREPLConfig``. Requests go
    through ``LeanServer.run_dict`` unchanged, so responses are the REPL's own JSON
    (API as of lean-interact 0.11). Not exercised by the test suite here: lean-interact
    needs a Lean toolchain, which no registry we can reach ships.
    """

    def __init__(
        self,
        project_dir: str | Path | None = None,
        lean_version: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        try:
            import lean_interact
        except ImportError:
            raise LeanNotAvailableError(
                "the lean-interact backend needs the optional package: "
                "pip install 'mathgym[lean]' (and a Lean toolchain via elan)"
            ) from None
        kwargs: dict[str, Any] = {}
        if project_dir is not None:
            kwargs["project"] = lean_interact.LocalProject(directory=str(project_dir))
        elif lean_version is not None:
            kwargs["lean_version"] = lean_version
        self._module = lean_interact
        self._config = lean_interact.LeanREPLConfig(**kwargs)
        self.timeout = timeout
        self._server = lean_interact.LeanServer(self._config)

    def request(self, req: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send ``req`` with ``run_dict``; timeouts and crashes become backend errors."""
        limit = self.timeout if timeout is None else timeout
        try:
            out = self._server.run_dict(dict(req), timeout=limit)
        except TimeoutError as err:
            raise LeanTimeoutError(f"lean-interact: timed out after {limit} s: {err}") from None
        except (ConnectionAbortedError, ChildProcessError, BrokenPipeError, EOFError,
                OSError) as err:
            raise LeanProcessDiedError(f"lean-interact: the REPL died: {err}") from None
        except json.JSONDecodeError as err:
            raise LeanProtocolError(f"lean-interact: the REPL output is not JSON: {err}") from None
        if not isinstance(out, dict):
            raise LeanBackendError(f"lean-interact returned {type(out).__name__}, not a dict")
        return out

    def restart(self) -> None:
        """Restart the server process."""
        self._server.restart()

    def close(self) -> None:
        """Stop the server process."""
        kill = getattr(self._server, "kill", None)
        if kill is not None:
            kill()
