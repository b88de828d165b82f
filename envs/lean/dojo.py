"""LeanDojo's interactive API over mathgym's Lean backends: ``Dojo``, ``run_tac`` and its results.

An agent written for LeanDojo (``lean_dojo.interaction.dojo``) runs here after changing its
import alone::

    from mathgym.envs.lean.dojo import Dojo, LeanError, ProofFinished, TacticState, Theorem

    with Dojo(theorem) as (dojo, state):
        result = dojo.run_tac(state, "intro h")
        if isinstance(result, TacticState): ...       # .pp, .id, .message, .goals, .num_goals
        elif isinstance(result, ProofFinished): ...   # .tactic_state_id, .message
        elif isinstance(result, LeanError): ...       # .error
        # ProofGivenUp(): the goals were closed with sorry

Same names, fields and equality as LeanDojo 4.20 (``TacticState`` compares by ``pp`` only,
``ProofFinished`` by ``tactic_state_id``, ``LeanError`` by ``error``), same exceptions
(``DojoInitError``, ``DojoTacticTimeoutError``, ``DojoCrashError``). Underneath is the Lean
REPL protocol (:class:`~mathgym.envs.lean.client.LeanClient`): the real REPL when one is
configured (``MATHGYM_LEAN_PROJECT``, see docs/lean.md), a recorded session otherwise.

How the REPL answer becomes a LeanDojo result, in order, as LeanDojo's own REPL
(``Lean4Repl.lean``) decides: an ``{"message"}`` error response, an error message or a kernel
``"Error: ..."`` status -> :class:`LeanError`; goals open -> :class:`TacticState` with the
goals joined by blank lines (even if the tactic used ``sorry``: LeanDojo checks the proof
term only once the goals are closed); goals closed and ``proofStatus == "Completed"`` ->
:class:`ProofFinished`; closed with ``"Incomplete: contains sorry"`` -> :class:`ProofGivenUp`;
closed otherwise (``"Incomplete: contains metavariable(s)"``) -> :class:`LeanError` saying so.

State ids are this Dojo's own, numbered as LeanDojo numbers them (0 for the initial state,
then one per new state in order of creation; errors take none), not the REPL's, so they
survive a REPL restart: after a timeout or a crash the REPL is restarted and a state is
rebuilt by re-running the tactics that led to it.
Command mode (``Dojo((repo, path, line))``, ``run_cmd``) is not offered; use
:class:`~mathgym.envs.lean.client.LeanClient.command`. On a recorded session a tactic that was
not recorded raises :class:`~mathgym.envs.lean.errors.ReplayMismatchError`: a recording cannot
say what Lean would have answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.config import configured_timeout, lean_available, make_transport
from mathgym.envs.lean.errors import (
    LeanBackendError,
    LeanTimeoutError,
    ReplayMismatchError,
)
from mathgym.envs.lean.goals import Declaration, Goal, parse_goals
from mathgym.envs.lean.protocol import ErrorResponse, ProofStepResponse
from mathgym.envs.lean.theorems import (
    REPL_TESTS_REPO,
    LeanGitRepo,
    Theorem,
    TheoremSource,
    is_recorded,
    recorded_theorems,
    theorem_source,
)
from mathgym.envs.lean.transcripts import resolve_pair

__all__ = [
    "REPL_TESTS_REPO",
    "Declaration",
    "Dojo",
    "DojoCrashError",
    "DojoInitError",
    "DojoTacticTimeoutError",
    "Goal",
    "LeanError",
    "LeanGitRepo",
    "ProofFinished",
    "ProofGivenUp",
    "TacticResult",
    "TacticState",
    "Theorem",
    "parse_goals",
    "recorded_theorems",
]

#: LeanDojo's default seconds per interaction.
DEFAULT_DOJO_TIMEOUT = 600


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TacticState:
    """Open goals after a tactic: ``pp`` (goals as Lean prints them, blank-line separated),
    ``id`` (this Dojo's state id) and ``message`` (Lean's non-error output). Equal by ``pp``."""

    pp: str
    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)
    goals: list[Goal] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "goals", parse_goals(self.pp))

    @property
    def num_goals(self) -> int:
        """How many goals are open."""
        return len(self.goals)


@dataclass(frozen=True)
class ProofFinished:
    """The proof is complete and checked by Lean's kernel; ``tactic_state_id`` is the id of
    the final (goal-free) state."""

    tactic_state_id: int
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofGivenUp:
    """The goals are closed but the proof uses ``sorry``: the search gave up on this branch."""


@dataclass(frozen=True)
class LeanError:
    """Lean rejected the tactic; ``error`` is its message. The state it ran on is unchanged."""

    error: str


TacticResult = TacticState | ProofFinished | LeanError | ProofGivenUp


class DojoInitError(Exception):
    """The theorem could not be opened: not found, or Lean rejected its statement."""


class DojoTacticTimeoutError(Exception):
    """A tactic took longer than the Dojo's ``timeout``; the REPL was killed and restarted."""


class DojoCrashError(Exception):
    """The REPL died or answered garbage; it has been restarted (states are rebuilt on use)."""

    @property
    def is_out_of_memory(self) -> bool:
        """Whether the crash was the process being killed for memory (LeanDojo's ``"OOM"``)."""
        return str(self) == "OOM"


@dataclass
class _Node:
    parent: int | None
    tactic: str | None
    pp: str


# --------------------------------------------------------------------------- Dojo
class Dojo:
    """Interact with one theorem through tactics, LeanDojo style (a context manager).

    Arguments:
        entry: a :class:`Theorem` (or any object with ``repo.url``, ``file_path`` and
            ``full_name``, such as ``lean_dojo.Theorem``). Recorded sessions are named by
            ``Theorem(REPL_TESTS_REPO, "test/NAME.in", name)`` (:func:`recorded_theorems`);
            a theorem of a local Lean project by ``LeanGitRepo(url=<its directory>, ...)``.
        timeout: seconds per tactic (LeanDojo's default, 600); on expiry
            :class:`DojoTacticTimeoutError` is raised and the REPL restarted.
        additional_imports: modules imported before the file's code (``import X``).
        build_deps: accepted for LeanDojo compatibility; nothing is built here.
        backend: ``"auto"`` (the local REPL when configured, else the recording for a
            recorded theorem), ``"repl"``, ``"replay"`` or ``"lean-interact"``.
        project_dir / command: the local REPL (see :mod:`mathgym.envs.lean.config`);
            ``project_dir`` is also where a non-recorded theorem's file is looked up.
        transcripts: folder of the recorded sessions (default: ``$MATHGYM_LEAN_TRANSCRIPTS``).
        client: a ready :class:`~mathgym.envs.lean.client.LeanClient` to use (not closed on
            exit), e.g. to open many theorems in one REPL process.
    """

    def __init__(
        self,
        entry: Any,
        timeout: int | float = DEFAULT_DOJO_TIMEOUT,
        additional_imports: list[str] | tuple[str, ...] = (),
        build_deps: bool = True,
        *,
        backend: str = "auto",
        project_dir: str | Path | None = None,
        command: list[str] | str | None = None,
        transcripts: str | Path | None = None,
        client: LeanClient | None = None,
    ) -> None:
        if isinstance(entry, tuple):
            raise NotImplementedError(
                "Dojo((repo, file_path, line_nb)) is LeanDojo's command mode (run_cmd), which "
                "mathgym does not offer; run commands with mathgym.envs.lean.client.LeanClient"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError(f"Dojo: timeout must be a number of seconds > 0, got {timeout!r}")
        imports = tuple(additional_imports)
        if not all(isinstance(m, str) and m.strip() and "\n" not in m for m in imports):
            raise ValueError(
                f"Dojo: additional_imports must be module names such as 'Mathlib', got {imports!r}"
            )
        self.entry = entry
        self.timeout = timeout
        self.additional_imports = list(imports)
        self.build_deps = build_deps
        self.repo = getattr(entry, "repo", None)
        self.file_path = Path(str(getattr(entry, "file_path", "")))
        self.is_successful: bool | None = False
        self.is_crashed = False
        self.has_timedout = False
        self._backend = backend
        self._project_dir = project_dir
        self._command = command
        self._transcripts = transcripts
        self._client = client
        self._owns_client = client is None
        self._source: TheoremSource | None = None
        self._nodes: dict[int, _Node] = {}
        self._live: dict[int, int] = {}
        self._generation = -1
        self._open = False

    @property
    def uses_tactics(self) -> bool:
        """Always True: tactic mode is the mode offered."""
        return True

    @property
    def uses_commands(self) -> bool:
        """Always False: command mode is not offered."""
        return False

    # ---------------------------------------------------------------- set-up
    def _make_client(self, source: TheoremSource) -> LeanClient:
        backend = self._backend
        local = self._project_dir is not None or self._command is not None or lean_available()
        if backend == "auto":
            backend = "repl" if local or source.transcript is None else "replay"
        replay = None
        if backend == "replay":
            if source.transcript is None:
                raise DojoInitError(
                    f"backend='replay' needs a recorded theorem (repo REPL_TESTS_REPO); "
                    f"{getattr(self.entry, 'full_name', self.entry)!r} is not one"
                )
            replay = resolve_pair(source.transcript, self._transcripts)[0].with_suffix("")
        transport = make_transport(
            backend, replay=replay, replay_ordered=False, project_dir=self._project_dir,
            command=self._command, timeout=configured_timeout(self.timeout),
        )
        return LeanClient(transport, timeout=self.timeout)

    def __enter__(self) -> tuple[Dojo, TacticState]:
        """Open the theorem: return ``(dojo, initial_state)``; :class:`DojoInitError` if not."""
        try:
            self._source = theorem_source(
                self.entry,
                project_dir=self._project_dir if not is_recorded(self.entry) else None,
                transcripts=self._transcripts,
                imports=tuple(self.additional_imports),
            )
        except (LookupError, ValueError, FileNotFoundError) as err:
            raise DojoInitError(str(err)) from None
        if self._client is None:
            self._client = self._make_client(self._source)
        try:
            root_pp = self._open_root()
        except BaseException:
            self._close_client()
            raise
        self._nodes = {0: _Node(None, None, root_pp)}
        self._open = True
        return self, TacticState(root_pp, 0)

    def _open_root(self) -> str:
        """Elaborate header and statement in the current REPL process; the root's goal."""
        assert self._client is not None and self._source is not None
        client, source = self._client, self._source
        env = None
        try:
            for i, cmd in enumerate(source.header):
                resp = client.command(cmd, env, timeout=self.timeout)
                if isinstance(resp, ErrorResponse) or resp.errors or resp.env is None:
                    raise DojoInitError(f"header command {i} failed in Lean: {_why(resp)}")
                env = resp.env
            resp = client.command(source.statement, env, timeout=self.timeout)
        except LeanTimeoutError:
            raise DojoInitError("Timeout during initialization") from None
        except LeanBackendError as err:
            raise DojoInitError(f"the Lean backend failed while opening the theorem: {err}"
                                ) from None
        if isinstance(resp, ErrorResponse) or resp.errors:
            raise DojoInitError(
                f"Lean rejected the statement of {self.entry.full_name!r}: {_why(resp)}"
            )
        states = [s for s in resp.sorries if s.proof_state is not None]
        if not states:
            raise DojoInitError(f"the statement of {self.entry.full_name!r} opened no proof state")
        final = max(states, key=lambda s: (s.pos.line, s.pos.column) if s.pos else (0, 0))
        self._generation = client.generation
        self._live = {0: int(final.proof_state)}  # type: ignore[arg-type]
        return final.goal

    def __exit__(self, *exc: object) -> None:
        """Release the REPL (unless it was handed in as ``client``)."""
        self._open = False
        self._close_client()

    def _close_client(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    # ---------------------------------------------------------------- ids
    def _live_id(self, sid: int) -> int:
        """The REPL proof state of state ``sid`` in the running process (rebuilt if needed)."""
        assert self._client is not None
        if self._client.generation != self._generation:
            try:
                self._open_root()
            except DojoInitError as err:
                raise DojoCrashError(f"after a REPL restart the theorem did not reopen: {err}"
                                     ) from None
        if sid in self._live:
            return self._live[sid]
        node = self._nodes[sid]
        assert node.parent is not None and node.tactic is not None
        parent = self._live_id(node.parent)
        resp = self._client.tactic(node.tactic, parent, timeout=self.timeout)
        if not isinstance(resp, ProofStepResponse) or resp.errors:
            raise DojoCrashError(
                f"after a REPL restart, re-running {node.tactic!r} to rebuild state {sid} failed"
            )
        self._live[sid] = resp.proof_state
        return resp.proof_state

    # ---------------------------------------------------------------- tactics
    def run_tac(self, state: TacticState, tactic: str) -> TacticResult:
        """Run ``tactic`` on ``state`` (any earlier state of this Dojo: backtracking is free)."""
        if not self._open or self._client is None:
            raise RuntimeError(
                "Dojo.run_tac outside the 'with Dojo(theorem) as (dojo, state)' block"
            )
        if not isinstance(state, TacticState):
            raise RuntimeError(
                f"Attempting to run a tactic on an invalid state {state!r}: run_tac needs a "
                "TacticState of this Dojo (a ProofFinished/LeanError/ProofGivenUp has no goals)"
            )
        if not isinstance(tactic, str):
            raise TypeError(f"Dojo.run_tac: the tactic must be a str, got {type(tactic).__name__}")
        node = self._nodes.get(state.id)
        if node is None or node.pp != state.pp:
            raise RuntimeError(
                f"Dojo.run_tac: state id {state.id} is not a state of this Dojo "
                f"(known ids 0..{len(self._nodes) - 1}); states of another Dojo cannot be reused"
            )
        try:
            resp = self._client.tactic(tactic, self._live_id(state.id), timeout=self.timeout)
        except ReplayMismatchError:
            raise
        except LeanTimeoutError as err:
            self.has_timedout = True
            raise DojoTacticTimeoutError(str(err)) from None
        except LeanBackendError as err:
            raise DojoCrashError(str(err)) from None
        return self._result(state.id, tactic, resp)

    def _result(self, parent: int, tactic: str, resp: Any) -> TacticResult:
        if isinstance(resp, ErrorResponse):
            return LeanError(resp.message.strip())
        assert isinstance(resp, ProofStepResponse)
        status = resp.proof_status or ""
        if resp.errors or status.startswith("Error"):
            return LeanError("\n".join(m.data for m in resp.errors).strip() or status)
        if not resp.goals and status == "Incomplete: contains sorry":
            return ProofGivenUp()  # LeanDojo checks for sorry only once the goals are closed
        if not resp.goals and not resp.completed:
            return LeanError("no goals are left but Lean does not accept the proof: "
                             f"{status or 'the REPL reported no proofStatus'}")
        message = "\n".join([m.data for m in resp.messages] + list(resp.traces))
        sid = len(self._nodes)
        pp = "\n\n".join(resp.goals)
        self._nodes[sid] = _Node(parent, tactic, pp)
        self._live[sid] = resp.proof_state
        if resp.completed:
            self.is_successful = True
            return ProofFinished(sid, message)
        return TacticState(pp, sid, message)


def _why(resp: Any) -> str:
    if isinstance(resp, ErrorResponse):
        return resp.message
    errors = [m.data for m in getattr(resp, "errors", ())]
    return "; ".join(errors) if errors else "no environment returned"
