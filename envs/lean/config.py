"""Where the Lean REPL lives on this machine, and building the right transport for it.

Configuration comes from arguments, else from the environment:

* ``MATHGYM_LEAN_PROJECT`` - a Lean project directory in which ``lake exe repl`` works (a
  checkout of leanprover-community/repl after ``lake build``, or a project requiring it);
* ``MATHGYM_LEAN_REPL_CMD`` - the command to run instead of ``lake exe repl`` (shell words);
* ``MATHGYM_LEAN_TIMEOUT`` - seconds per request (default 60).

Without any of them, or when the program is not on ``PATH``, :func:`make_transport` raises
:class:`~mathgym.envs.lean.errors.LeanNotAvailableError` with :data:`INSTALL_HELP`.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from mathgym.envs.lean.errors import LeanNotAvailableError
from mathgym.envs.lean.transport import (
    DEFAULT_TIMEOUT,
    LeanInteractTransport,
    ReplayTransport,
    SubprocessTransport,
    Transport,
)

PROJECT_ENV = "MATHGYM_LEAN_PROJECT"
COMMAND_ENV = "MATHGYM_LEAN_REPL_CMD"
TIMEOUT_ENV = "MATHGYM_LEAN_TIMEOUT"
DEFAULT_COMMAND: tuple[str, ...] = ("lake", "exe", "repl")
BACKENDS: tuple[str, ...] = ("auto", "repl", "replay", "lean-interact")

INSTALL_HELP = f"""\
No Lean 4 REPL is configured. mathgym/Lean-v0 talks to the Lean REPL
(leanprover-community/repl); to set it up:
  1. install Lean with elan:
       curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf | sh
  2. build the REPL:
       git clone https://github.com/leanprover-community/repl && cd repl && lake build
  3. point mathgym at it:
       export {PROJECT_ENV}=/path/to/repl        (runs `lake exe repl` there)
     or gym.make("mathgym/Lean-v0", project_dir="/path/to/repl"),
     or set {COMMAND_ENV} / command=[...] to another REPL command.
To replay a recorded session instead (no Lean needed):
  gym.make("mathgym/Lean-v0", replay="/path/to/lean-repl-transcripts/proof_step").
See docs/lean.md."""


def configured_timeout(timeout: float | None = None) -> float:
    """``timeout`` if given, else ``$MATHGYM_LEAN_TIMEOUT``, else 60 s."""
    if timeout is not None:
        return float(timeout)
    raw = os.environ.get(TIMEOUT_ENV)
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"${TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    return DEFAULT_TIMEOUT


def resolve_repl(
    project_dir: str | Path | None = None, command: Sequence[str] | str | None = None
) -> tuple[list[str], str | None]:
    """``(command, cwd)`` of the local REPL; :class:`LeanNotAvailableError` when there is none."""
    project = project_dir if project_dir is not None else os.environ.get(PROJECT_ENV) or None
    if command is None:
        raw = os.environ.get(COMMAND_ENV)
        command = shlex.split(raw) if raw else None
    elif isinstance(command, str):
        command = shlex.split(command)
    if project is None and command is None:
        raise LeanNotAvailableError(INSTALL_HELP)
    if project is not None and not Path(project).is_dir():
        raise LeanNotAvailableError(
            f"the Lean project directory {project} does not exist.\n\n{INSTALL_HELP}"
        )
    cmd = list(command) if command is not None else list(DEFAULT_COMMAND)
    if not cmd:
        raise ValueError("the Lean REPL command is empty; give e.g. ['lake', 'exe', 'repl']")
    if shutil.which(cmd[0]) is None and not Path(cmd[0]).is_file():
        raise LeanNotAvailableError(
            f"{cmd[0]!r} (from the REPL command {cmd}) is not on PATH.\n\n{INSTALL_HELP}"
        )
    return cmd, str(project) if project is not None else None


def lean_available(project_dir: str | Path | None = None) -> bool:
    """Whether a local REPL is configured and its program exists."""
    try:
        resolve_repl(project_dir)
    except LeanNotAvailableError:
        return False
    return True


def make_transport(
    backend: str = "auto",
    *,
    replay: str | Path | None = None,
    replay_ordered: bool = True,
    project_dir: str | Path | None = None,
    command: Sequence[str] | str | None = None,
    timeout: float | None = None,
    lean_version: str | None = None,
) -> Transport:
    """The transport for ``backend``: ``"repl"``, ``"replay"``, ``"lean-interact"`` or
    ``"auto"`` (replay when ``replay`` is given, else the local REPL)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown Lean backend {backend!r}; choose one of {BACKENDS}")
    if backend == "auto":
        backend = "replay" if replay is not None else "repl"
    if backend == "replay":
        if replay is None:
            raise ValueError(
                "backend='replay' needs replay='path/to/NAME' (NAME.in + NAME.expected.out)"
            )
        return ReplayTransport(replay, ordered=replay_ordered)
    if backend == "lean-interact":
        return LeanInteractTransport(
            project_dir=project_dir, lean_version=lean_version,
            timeout=configured_timeout(timeout),
        )
    cmd, cwd = resolve_repl(project_dir, command)
    return SubprocessTransport(cmd, cwd=cwd, timeout=configured_timeout(timeout))
