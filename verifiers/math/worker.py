"""Worker process of the verifier pool: ``python -P -m mathgym.verifiers.math.worker``.

Protocol (JSON Lines): after importing sympy and warming up, the worker writes
``{"ready": true}``; then for every request line ``{"a": answer, "r": reference, "t":
answer_type, "s": spec}`` on stdin it writes one ``Verdict.to_json()`` line on stdout, in
order. It exits at end of input. The parent kills it when a check exceeds the timeout.

The worker's address space is capped (``limits.WORKER_MEMORY_BYTES``) so a memory blow-up
becomes a MemoryError (a ``limit`` verdict) instead of swapping the machine. Anything the
checking code prints goes to stderr: stdout carries only the protocol.
"""

from __future__ import annotations

import json
import os
import sys


def _limit_memory() -> None:
    try:
        import resource

        from mathgym.verifiers.math.limits import WORKER_MEMORY_BYTES

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard,
                                                                                 WORKER_MEMORY_BYTES)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: the timeout remains
        pass


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _limit_memory()
    from mathgym.verifiers.math.compare import check_local
    from mathgym.verifiers.math.verdict import fail

    # Warm the parser, sympy's caches and the comparison paths before declaring readiness.
    check_local("x^2 + 2x", "x**2 + 2*x", "expression", {"variables": ["x"]})
    check_local("1/2", "2/4", "rational")
    protocol.write('{"ready": true}\n')
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
            verdict = check_local(req["a"], req["r"], req["t"], req.get("s"))
        except ValueError as e:  # validate_problem: the problem, not the answer, is malformed
            verdict = fail("bad_reference", str(e))
        except Exception as e:  # noqa: BLE001 - never let one request kill the worker
            verdict = fail("error", f"verifier error ({type(e).__name__})")
        protocol.write(json.dumps(verdict.to_json()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
