"""A client for the Lean 4 REPL: typed requests in, typed responses out, restarts on failure.

>>> client = LeanClient(ReplayTransport("/work/shared/lean-repl-transcripts/readme"))
>>> root = client.command("def f (x : Unit) : Nat := by sorry").sorries[0].proof_state
>>> client.tactic("apply Int.natAbs", root).goals
('x : Unit\\n⊢ Int',)

Lean's own errors are returned as values (:class:`ErrorResponse`, or ``messages`` of severity
``error``). When the backend fails (timeout, dead process, malformed output) the client
restarts the transport, bumps :attr:`LeanClient.generation` - every env and proof state id
handed out before is now void - and re-raises the
:class:`~mathgym.envs.lean.errors.LeanBackendError`. A
:class:`~mathgym.envs.lean.errors.ReplayMismatchError` (a request the recording lacks) is
re-raised without a restart: the replayed session is still consistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mathgym.envs.lean.errors import (
    LeanBackendError,
    LeanProtocolError,
    ReplayMismatchError,
)
from mathgym.envs.lean.protocol import (
    CommandResponse,
    ErrorResponse,
    ProofStepResponse,
    Response,
    build_command,
    build_tactic,
    parse_response,
    request_kind,
)
from mathgym.envs.lean.transport import ReplayTransport, Transport


class LeanClient:
    """Speaks the REPL protocol over any transport (see :mod:`mathgym.envs.lean.transport`)."""

    def __init__(self, transport: Transport, timeout: float | None = None) -> None:
        self.transport = transport
        self.timeout = timeout
        #: Incremented at every restart; ids from an older generation are invalid.
        self.generation = 0
        #: Requests sent / backend failures seen, for info and benchmarks.
        self.requests_sent = 0
        self.failures = 0

    @classmethod
    def replay(cls, stem: str | Path, ordered: bool = True) -> LeanClient:
        """A client answering from the transcript pair ``stem.in`` / ``stem.expected.out``."""
        return cls(ReplayTransport(stem, ordered=ordered))

    # ---------------------------------------------------------------- core
    def send(self, request: Mapping[str, Any], timeout: float | None = None) -> Response:
        """Send any request; decode the response; restart and re-raise on backend failure."""
        request_kind(request)
        self.requests_sent += 1
        try:
            raw = self.transport.request(request, self.timeout if timeout is None else timeout)
            return parse_response(raw)
        except ReplayMismatchError:
            raise  # the recording lacks this request; the replayed session itself is intact
        except LeanBackendError:
            self.failures += 1
            self.restart()
            raise

    def restart(self) -> None:
        """Restart the backend; all env and proof state ids become invalid."""
        self.generation += 1
        self.transport.restart()

    def close(self) -> None:
        """Release the backend."""
        self.transport.close()

    def __enter__(self) -> LeanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- request kinds
    def command(
        self,
        cmd: str,
        env: int | None = None,
        *,
        all_tactics: bool = False,
        root_goals: bool = False,
        infotree: str | None = None,
        timeout: float | None = None,
    ) -> CommandResponse | ErrorResponse:
        """Elaborate Lean source ``cmd`` in environment ``env`` (a fresh one when ``None``)."""
        req = build_command(
            cmd, env, all_tactics=all_tactics, root_goals=root_goals, infotree=infotree
        )
        return self._expect(req, CommandResponse, timeout)  # type: ignore[return-value]

    def tactic(
        self, tactic: str, proof_state: int, timeout: float | None = None
    ) -> ProofStepResponse | ErrorResponse:
        """Run ``tactic`` in proof state ``proof_state`` (any earlier id: backtracking)."""
        return self._expect(  # type: ignore[return-value]
            build_tactic(tactic, proof_state), ProofStepResponse, timeout
        )

    def file(
        self, path: str | Path, env: int | None = None, all_tactics: bool = False
    ) -> CommandResponse | ErrorResponse:
        """Elaborate a Lean file (path as the REPL process sees it)."""
        req: dict[str, Any] = {"path": str(path)}
        if env is not None:
            req["env"] = int(env)
        if all_tactics:
            req["allTactics"] = True
        return self._expect(req, CommandResponse, None)  # type: ignore[return-value]

    def pickle_env(self, path: str | Path, env: int) -> CommandResponse | ErrorResponse:
        """Save environment ``env`` to an ``.olean`` file."""
        req = {"pickleTo": str(path), "env": int(env)}
        return self._expect(req, CommandResponse, None)  # type: ignore[return-value]

    def unpickle_env(self, path: str | Path) -> CommandResponse | ErrorResponse:
        """Load an environment saved by :meth:`pickle_env`; returns its new env id."""
        req = {"unpickleEnvFrom": str(path)}
        return self._expect(req, CommandResponse, None)  # type: ignore[return-value]

    def pickle_proof_state(
        self, path: str | Path, proof_state: int
    ) -> ProofStepResponse | ErrorResponse:
        """Save a proof state to an ``.olean`` file (the REPL answers with a new proof state)."""
        req = {"pickleTo": str(path), "proofState": int(proof_state)}
        return self._expect(req, ProofStepResponse, None)  # type: ignore[return-value]

    def unpickle_proof_state(
        self, path: str | Path, env: int | None = None
    ) -> ProofStepResponse | ErrorResponse:
        """Load a proof state saved by :meth:`pickle_proof_state` (optionally into ``env``)."""
        req: dict[str, Any] = {"unpickleProofStateFrom": str(path)}
        if env is not None:
            req["env"] = int(env)
        return self._expect(req, ProofStepResponse, None)  # type: ignore[return-value]

    def _expect(self, req: dict[str, Any], kind: type, timeout: float | None) -> Response:
        resp = self.send(req, timeout)
        if isinstance(resp, kind | ErrorResponse):
            return resp
        self.failures += 1
        self.restart()
        raise LeanProtocolError(
            f"the REPL answered a {request_kind(req)} request with a {resp.kind} response "
            f"({dict(resp.raw)!r}); is the command speaking the leanprover-community/repl protocol?"
        )
