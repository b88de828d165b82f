"""A wall-clock limit on one certificate check, so a submission cannot stall ``mathgym submit``.

Verifiers are plain Python (they never call the compiled kernels they check), so a POSIX
interval timer (``SIGALRM``) interrupts them between bytecodes: the check raises
:class:`CheckTimeout` and the record is refused as "not verified within N s". The timer needs
the main thread of the main interpreter; elsewhere (a thread, Windows) the check runs without a
limit, which is stated in :func:`limit_available`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CheckTimeout(BaseException):
    """A certificate check ran past its wall-clock limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so a verifier's own ``except Exception``
    cannot swallow it and report the certificate as merely rejected.
    """


def limit_available() -> bool:
    """Whether :func:`call_with_time_limit` can enforce its limit here."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def call_with_time_limit(fn: Callable[[], T], seconds: float) -> T:
    """``fn()``, interrupted with :class:`CheckTimeout` after ``seconds`` of wall-clock time."""
    if seconds <= 0:
        raise ValueError(f"time limit must be > 0 seconds, got {seconds}")
    if not limit_available():
        return fn()

    def _alarm(signum, frame):  # noqa: ARG001  (signal handler signature)
        raise CheckTimeout(f"not verified within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
