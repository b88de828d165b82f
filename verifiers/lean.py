"""Check a Lean tactic proof by running it from scratch in a Lean REPL session.

The trusted checker is Lean itself: the verifier replays the tactics, in order, from the proof
state of the theorem's final ``sorry``, each on the state the previous one produced, and
accepts only when the REPL reports ``proofStatus == "Completed"`` after the last tactic (goals
closed and the proof term accepted by the kernel without ``sorry``). Any Lean error along the
way, or a final status other than ``Completed``, rejects the certificate, naming the step.

It needs only a :class:`~mathgym.envs.lean.client.LeanClient` - a fresh one, so nothing an
agent did in its own session can leak in. Over a replayed transcript it can confirm exactly
the tactic sequences that were recorded; anything else is reported as "cannot be checked by
replay" rather than accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.errors import LeanBackendError, ReplayMismatchError
from mathgym.envs.lean.protocol import COMPLETED, ErrorResponse

#: Longest certificate (number of tactics) and longest tactic accepted, to bound the work.
MAX_TACTICS = 1000
MAX_TACTIC_CHARS = 20000


@dataclass(frozen=True)
class ProofCheck:
    """Outcome of :func:`check_tactic_proof`: ``ok``, and the reason when not ok."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _malformed(certificate: Any) -> str | None:
    if not isinstance(certificate, list) or not certificate:
        return "the certificate must be a non-empty JSON list of tactic strings"
    if len(certificate) > MAX_TACTICS:
        return f"the certificate has {len(certificate)} tactics (at most {MAX_TACTICS})"
    for i, t in enumerate(certificate):
        if not isinstance(t, str) or not t.strip():
            return f"tactic {i} must be a non-empty string, got {t!r}"
        if len(t) > MAX_TACTIC_CHARS:
            return f"tactic {i} is longer than {MAX_TACTIC_CHARS} characters"
    return None


def check_tactic_proof(
    client: LeanClient, theorem: str, tactics: Any, header: Sequence[str] = ()
) -> ProofCheck:
    """Run ``header``, then ``theorem`` (ending in ``sorry``), then ``tactics`` in a session."""
    problem = _malformed(tactics)
    if problem:
        return ProofCheck(False, problem)
    try:
        env_id = None
        for i, cmd in enumerate(header):
            resp = client.command(cmd, env_id)
            if isinstance(resp, ErrorResponse) or resp.errors or resp.env is None:
                return ProofCheck(False, f"header command {i} failed in Lean")
            env_id = resp.env
        resp = client.command(theorem, env_id)
        if isinstance(resp, ErrorResponse) or resp.errors:
            return ProofCheck(False, "Lean rejected the theorem statement")
        states = [s for s in resp.sorries if s.proof_state is not None]
        if not states:
            return ProofCheck(False, "the theorem has no sorry to prove")
        root = max(states, key=lambda s: (s.pos.line, s.pos.column) if s.pos else (0, 0))
        state = root.proof_state
        status = None
        for i, tactic in enumerate(tactics):
            step = client.tactic(tactic, state)  # type: ignore[arg-type]
            if isinstance(step, ErrorResponse):
                return ProofCheck(False, f"step {i} ({tactic!r}): Lean error: {step.message}")
            if step.errors:
                text = "; ".join(m.data for m in step.errors)
                return ProofCheck(False, f"step {i} ({tactic!r}): Lean error: {text}")
            status = step.proof_status
            if (status or "").startswith("Error"):
                return ProofCheck(False, f"step {i} ({tactic!r}): {status}")
            if status == COMPLETED and i != len(tactics) - 1:
                return ProofCheck(
                    False, f"the proof is complete after step {i}; remove the extra tactics"
                )
            state = step.proof_state
    except ReplayMismatchError as err:
        return ProofCheck(
            False,
            "this tactic sequence cannot be checked by replay (the recorded session never ran "
            f"it; configure a Lean REPL to check new proofs): {err}",
        )
    except LeanBackendError as err:
        return ProofCheck(False, f"the Lean backend failed while checking: {err}")
    if status != COMPLETED:
        return ProofCheck(False, f"after the last tactic the proof status is {status!r}, "
                                 f"not {COMPLETED!r}")
    return ProofCheck(True)
