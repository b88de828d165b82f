"""Exceptions of the Lean backend, one per way talking to Lean can fail.

Lean's own complaints (a tactic that fails, an unknown identifier) are *not* exceptions: they
come back as ordinary responses (``messages`` with severity ``error``, or an ``{"message": ...}``
error response). The classes here are for failures of the backend itself, which an environment
turns into a truncated episode, and for configuration problems, which are raised to the user.
"""

from __future__ import annotations


class LeanBackendError(RuntimeError):
    """The backend could not produce a response (timeout, dead process, bad framing, replay)."""


class LeanTimeoutError(LeanBackendError):
    """A request got no complete response within its timeout; the process has been killed."""


class LeanProcessDiedError(LeanBackendError):
    """The REPL process exited (or closed its output) before answering a request."""


class LeanProtocolError(LeanBackendError):
    """The REPL answered with text that is not a JSON object framed by a blank line."""


class ReplayMismatchError(LeanBackendError):
    """A replayed session was sent a request that the recording does not contain at this point.

    ``index`` is the 0-based position of the request in the session, ``expected`` the recorded
    request (``None`` past the end of the recording) and ``actual`` the request that was sent.
    """

    def __init__(self, message: str, *, index: int, expected: object, actual: object) -> None:
        super().__init__(message)
        self.index = index
        self.expected = expected
        self.actual = actual


class LeanNotAvailableError(RuntimeError):
    """No Lean toolchain / REPL is configured here; the message says how to set one up."""
