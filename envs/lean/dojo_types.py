"""The values and exceptions of LeanDojo's interactive API (``lean_dojo.interaction.dojo``).

Same names, fields, defaults and equality as lean-dojo 4.20: ``TacticState`` compares and
hashes by ``pp`` alone, ``ProofFinished`` by ``tactic_state_id``, ``LeanError`` by ``error``,
and every ``CommandState`` equals every other (its fields are all ``compare=False`` there too).
:mod:`mathgym.envs.lean.dojo` produces them; they are in a module of their own so that a
reader finds the data apart from the machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mathgym.envs.lean.goals import Goal, parse_goals


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


@dataclass(frozen=True)
class CommandState:
    """An environment after a command (command mode): ``id`` and Lean's ``message``."""

    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)


TacticResult = TacticState | ProofFinished | LeanError | ProofGivenUp
CommandResult = CommandState | LeanError
State = CommandState | TacticState


class DojoInitError(Exception):
    """The theorem could not be opened: not found, or Lean rejected its statement."""


class DojoTacticTimeoutError(Exception):
    """A tactic (or command) took longer than the Dojo's ``timeout``; the REPL was killed and
    restarted."""


class DojoCrashError(Exception):
    """The REPL died or answered garbage; it has been restarted (states are rebuilt on use)."""

    @property
    def is_out_of_memory(self) -> bool:
        """Whether the crash was the process being killed for memory (LeanDojo's ``"OOM"``)."""
        return str(self) == "OOM"
