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

Command mode is LeanDojo's too: ``Dojo((repo, file_path, line_nb))`` opens the environment
after the file's code before line ``line_nb`` and returns a :class:`CommandState`;
``run_cmd(state, command)`` returns the next :class:`CommandState` or a :class:`LeanError`.
On a recorded session a tactic or command that was not recorded raises
:class:`~mathgym.envs.lean.errors.ReplayMismatchError`: a recording cannot say what Lean would
have answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.config import configured_timeout, lean_available, make_transport
from mathgym.envs.lean.dojo_types import (
    CommandResult,
    CommandState,
    DojoCrashError,
    DojoInitError,
    DojoTacticTimeoutError,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    State,
    TacticResult,
    TacticState,
)
from mathgym.envs.lean.errors import (
    LeanBackendError,
    LeanTimeoutError,
    ReplayMismatchError,
)
from mathgym.envs.lean.goals import Declaration, Goal, parse_goals
from mathgym.envs.lean.protocol import CommandResponse, ErrorResponse, ProofStepResponse
from mathgym.envs.lean.theorems import (
    REPL_TESTS_REPO,
    LeanGitRepo,
    Theorem,
    TheoremSource,
    commands_source,
    is_recorded,
    recorded_theorems,
    theorem_source,
)
from mathgym.envs.lean.transcripts import resolve_pair

__all__ = [
    "REPL_TESTS_REPO",
    "CommandResult",
    "CommandState",
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
    "State",
    "TacticResult",
    "TacticState",
    "Theorem",
    "parse_goals",
    "recorded_theorems",
]

#: LeanDojo's default seconds per interaction.
DEFAULT_DOJO_TIMEOUT = 600


@dataclass
class _Node:
    """A state of this Dojo: how it was reached (``text``: a tactic, or a command in command
    mode) from ``parent``, and its goals (``""`` for a command state)."""

    parent: int | None
    text: str | None
    pp: str


# --------------------------------------------------------------------------- Dojo
class Dojo:
    """Interact with Lean through tactics on a theorem, or through commands, LeanDojo style
    (a context manager).

    Arguments:
        entry: a :class:`Theorem` (or any object with ``repo.url``, ``file_path`` and
            ``full_name``, such as ``lean_dojo.Theorem``) for tactic mode. Recorded sessions
            are named by ``Theorem(REPL_TESTS_REPO, "test/NAME.in", name)``
            (:func:`recorded_theorems`); a theorem of a local Lean project by
            ``LeanGitRepo(url=<its directory>, ...)``. A tuple ``(repo, file_path, line_nb)``
            for command mode (a recorded session: ``line_nb=1``, the empty environment).
        timeout: seconds per tactic or command (LeanDojo's default, 600); on expiry
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
        if isinstance(entry, tuple):
            if len(entry) != 3:
                raise ValueError(
                    f"Dojo: command mode takes (repo, file_path, line_nb), got {entry!r}")
            self.repo, file_path, _ = entry
        else:
            self.repo, file_path = getattr(entry, "repo", None), getattr(entry, "file_path", "")
        self.file_path = Path(str(file_path))
        self.is_successful: bool | None = None if isinstance(entry, tuple) else False
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
        self._live: dict[int, int | None] = {}
        self._generation = -1
        self._open = False

    @property
    def uses_tactics(self) -> bool:
        """Tactic mode: the entry is a theorem."""
        return not isinstance(self.entry, tuple)

    @property
    def uses_commands(self) -> bool:
        """Command mode: the entry is ``(repo, file_path, line_nb)``."""
        return isinstance(self.entry, tuple)

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

    def __enter__(self) -> tuple[Dojo, State]:
        """Open the theorem (or the file): ``(dojo, initial_state)``; :class:`DojoInitError`
        if it cannot be found or Lean rejects it."""
        find = commands_source if self.uses_commands else theorem_source
        probe = _Probe(self.repo, self.file_path)
        try:
            self._source = find(
                self.entry,  # type: ignore[arg-type]
                project_dir=self._project_dir if not is_recorded(probe) else None,
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
        return self, (CommandState(0) if self.uses_commands else TacticState(root_pp, 0))

    def _open_root(self) -> str:
        """Elaborate the header (and the statement, in tactic mode) in the current REPL
        process; the root's goal (``""`` in command mode)."""
        assert self._client is not None and self._source is not None
        client, source = self._client, self._source
        env = None
        try:
            for i, cmd in enumerate(source.header):
                resp = client.command(cmd, env, timeout=self.timeout)
                if isinstance(resp, ErrorResponse) or resp.errors or resp.env is None:
                    raise DojoInitError(f"header command {i} failed in Lean: {_why(resp)}")
                env = resp.env
            if self.uses_commands:
                self._generation, self._live = client.generation, {0: env}
                return ""
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
    def _live_id(self, sid: int) -> int | None:
        """The REPL id (proof state, or env in command mode) of state ``sid`` in the running
        process, rebuilt by re-running its tactics or commands after a restart."""
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
        assert node.parent is not None and node.text is not None
        parent = self._live_id(node.parent)
        if self.uses_commands:
            resp: Any = self._client.command(node.text, parent, timeout=self.timeout)
            ok = isinstance(resp, CommandResponse) and not resp.errors and resp.env is not None
        else:
            assert parent is not None
            resp = self._client.tactic(node.text, parent, timeout=self.timeout)
            ok = isinstance(resp, ProofStepResponse) and not resp.errors
        if not ok:
            raise DojoCrashError(
                f"after a REPL restart, re-running {node.text!r} to rebuild state {sid} failed"
            )
        self._live[sid] = resp.env if self.uses_commands else resp.proof_state
        return self._live[sid]

    def _check_open(self, what: str) -> None:
        if not self._open or self._client is None:
            raise RuntimeError(f"Dojo.{what} outside the 'with Dojo(...) as (dojo, state)' block")

    def _send(self, request: Any) -> Any:
        """Run ``request()`` (a client call), turning backend failures into LeanDojo's."""
        try:
            return request()
        except ReplayMismatchError:
            raise
        except LeanTimeoutError as err:
            self.has_timedout = True
            raise DojoTacticTimeoutError(str(err)) from None
        except LeanBackendError as err:
            raise DojoCrashError(str(err)) from None

    # ---------------------------------------------------------------- tactics
    def run_tac(self, state: TacticState, tactic: str) -> TacticResult:
        """Run ``tactic`` on ``state`` (any earlier state of this Dojo: backtracking is free)."""
        self._check_open("run_tac")
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
        client = self._client
        assert client is not None
        resp = self._send(lambda: client.tactic(
            tactic, self._live_id(state.id), timeout=self.timeout))  # type: ignore[arg-type]
        return self._result(state.id, tactic, resp)

    # ---------------------------------------------------------------- commands
    def run_cmd(self, state: CommandState, command: str) -> CommandResult:
        """Run the Lean ``command`` in the environment of ``state`` (command mode)."""
        self._check_open("run_cmd")
        if not isinstance(state, CommandState) or not self.uses_commands:
            raise RuntimeError(
                f"Attempting to run a command on an invalid state {state!r}: run_cmd needs a "
                "CommandState of a Dojo opened in command mode, Dojo((repo, file_path, line_nb))"
            )
        if not isinstance(command, str):
            raise TypeError(f"Dojo.run_cmd: the command must be a str, got "
                            f"{type(command).__name__}")
        if not isinstance(state.id, int) or state.id not in self._nodes:
            raise RuntimeError(
                f"Dojo.run_cmd: state id {state.id} is not a state of this Dojo "
                f"(known ids 0..{len(self._nodes) - 1})"
            )
        client = self._client
        assert client is not None
        resp = self._send(lambda: client.command(command, self._live_id(state.id),
                                                 timeout=self.timeout))
        if isinstance(resp, ErrorResponse):
            return LeanError(resp.message.strip())
        if resp.errors or resp.env is None:
            return LeanError("\n".join(m.data for m in resp.errors).strip()
                             or "the REPL returned no environment")
        sid = len(self._nodes)
        self._nodes[sid] = _Node(state.id, command, "")
        self._live[sid] = resp.env
        return CommandState(sid, "\n".join(m.data for m in resp.messages))

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


@dataclass(frozen=True)
class _Probe:
    """Just ``repo`` and ``file_path``, to ask whether an entry names a recorded session."""

    repo: Any
    file_path: Path
