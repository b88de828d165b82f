"""The Lean 4 REPL JSON protocol (leanprover-community/repl) as typed Python values.

Requests are JSON objects written on one line and followed by a blank line; the REPL reads
lines until a blank one, joins them with their trailing whitespace (newline included) removed,
and parses the result. Blocks starting with ``#`` or ``--`` are comments and get no response.
Each response is a (pretty-printed) JSON object followed by a blank line.

Request kinds (``build_*`` helpers below):

* command ``{"cmd": src, "env"?: n, "allTactics"?: bool, "rootGoals"?: bool, "infotree"?: str}``
* file ``{"path": file, "env"?: n, "allTactics"?: bool}``
* tactic ``{"tactic": text, "proofState": n}``
* ``{"pickleTo": file, "env": n}``, ``{"pickleTo": file, "proofState": n}``,
  ``{"unpickleEnvFrom": file}``, ``{"unpickleProofStateFrom": file, "env"?: n}``

Response kinds (:func:`parse_response`):

* :class:`CommandResponse` ``{"env", "messages"?, "sorries"?, "tactics"?, "infotree"?}`` for
  commands, files and environment (un)pickling;
* :class:`ProofStepResponse` ``{"proofState", "goals", "proofStatus"?, "messages"?,
  "sorries"?, "traces"?}`` for tactics and proof-state (un)pickling;
* :class:`ErrorResponse` ``{"message"}`` (unknown env / proof state, a tactic that throws).

``proofStatus`` is ``"Completed"`` only when the goals are closed and the assembled proof
term passes the kernel without ``sorry``; other values seen: ``"Incomplete: open goals
remain"``, ``"Incomplete: contains sorry"``, ``"Incomplete: contains metavariable(s)"``,
``"Error: ..."`` (kernel rejection), ``"Not verified: more than one initial goal"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mathgym.envs.lean.errors import LeanProtocolError

#: The one ``proofStatus`` value that means "the proof is finished and checked".
COMPLETED = "Completed"

#: Keys of a request, by request kind (the REPL tries the kinds in this order).
REQUEST_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("tactic", frozenset({"tactic", "proofState"})),
    ("pickle_env", frozenset({"pickleTo", "env"})),
    ("unpickle_env", frozenset({"unpickleEnvFrom"})),
    ("pickle_proof_state", frozenset({"pickleTo", "proofState"})),
    ("unpickle_proof_state", frozenset({"unpickleProofStateFrom"})),
    ("command", frozenset({"cmd"})),
    ("file", frozenset({"path"})),
)


# --------------------------------------------------------------------------- response values
@dataclass(frozen=True)
class Pos:
    """A 1-based line and 0-based column in the command text (line 0 = no position)."""

    line: int
    column: int


@dataclass(frozen=True)
class Message:
    """A Lean message; ``severity`` is ``"error"``, ``"warning"``, ``"info"`` or ``"trace"``."""

    severity: str
    data: str
    pos: Pos | None = None
    end_pos: Pos | None = None

    def to_json(self) -> dict[str, Any]:
        """The message as the REPL writes it (positions omitted when absent)."""
        out: dict[str, Any] = {"severity": self.severity, "data": self.data}
        if self.pos is not None:
            out["pos"] = {"line": self.pos.line, "column": self.pos.column}
        if self.end_pos is not None:
            out["endPos"] = {"line": self.end_pos.line, "column": self.end_pos.column}
        return out


@dataclass(frozen=True)
class Sorry:
    """A ``sorry`` (or a root goal): its goal text and the proof state to continue from."""

    goal: str
    proof_state: int | None
    pos: Pos | None = None
    end_pos: Pos | None = None


@dataclass(frozen=True)
class TacticInfo:
    """One tactic of a command run with ``allTactics``: its text, goals before, proof state."""

    tactic: str
    goals: str
    proof_state: int | None
    pos: Pos | None = None
    end_pos: Pos | None = None
    used_constants: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandResponse:
    """Answer to a command, a file, or environment (un)pickling: the new environment id."""

    env: int | None
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    tactics: tuple[TacticInfo, ...] = ()
    infotree: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    kind: Literal["command"] = "command"

    @property
    def errors(self) -> tuple[Message, ...]:
        """The messages of severity ``error``."""
        return tuple(m for m in self.messages if m.severity == "error")


@dataclass(frozen=True)
class ProofStepResponse:
    """Answer to a tactic (or proof-state (un)pickling): the new proof state and its goals."""

    proof_state: int
    goals: tuple[str, ...]
    proof_status: str | None = None
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    traces: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    kind: Literal["tactic"] = "tactic"

    @property
    def errors(self) -> tuple[Message, ...]:
        """The messages of severity ``error``."""
        return tuple(m for m in self.messages if m.severity == "error")

    @property
    def completed(self) -> bool:
        """True only when ``proofStatus == "Completed"`` (closed goals are not enough)."""
        return self.proof_status == COMPLETED


@dataclass(frozen=True)
class ErrorResponse:
    """The REPL refused the request: ``{"message": ...}`` (e.g. ``"Unknown proof state."``)."""

    message: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    kind: Literal["error"] = "error"


Response = CommandResponse | ProofStepResponse | ErrorResponse


# --------------------------------------------------------------------------- decoding
def _fail(what: str, obj: Any) -> LeanProtocolError:
    text = json.dumps(obj, ensure_ascii=False)
    if len(text) > 300:
        text = text[:300] + "..."
    return LeanProtocolError(f"malformed REPL response: {what}; response was {text}")


def _int(obj: Mapping[str, Any], key: str, whole: Any, optional: bool = False) -> int | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(f"{key!r} must be an integer, got {value!r}", whole)
    return value


def _str(obj: Mapping[str, Any], key: str, whole: Any) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise _fail(f"{key!r} must be a string, got {value!r}", whole)
    return value


def _list(obj: Mapping[str, Any], key: str, whole: Any) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise _fail(f"{key!r} must be a list, got {type(value).__name__}", whole)
    return value


def _pos(value: Any, whole: Any) -> Pos | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(f"a position must be an object, got {value!r}", whole)
    return Pos(_int(value, "line", whole), _int(value, "column", whole))  # type: ignore[arg-type]


def _message(value: Any, whole: Any) -> Message:
    if not isinstance(value, dict):
        raise _fail(f"a message must be an object, got {value!r}", whole)
    return Message(
        severity=_str(value, "severity", whole),
        data=_str(value, "data", whole),
        pos=_pos(value.get("pos"), whole),
        end_pos=_pos(value.get("endPos"), whole),
    )


def _sorry(value: Any, whole: Any) -> Sorry:
    if not isinstance(value, dict):
        raise _fail(f"a sorry must be an object, got {value!r}", whole)
    return Sorry(
        goal=_str(value, "goal", whole),
        proof_state=_int(value, "proofState", whole, optional=True),
        pos=_pos(value.get("pos"), whole),
        end_pos=_pos(value.get("endPos"), whole),
    )


def _tactic(value: Any, whole: Any) -> TacticInfo:
    if not isinstance(value, dict):
        raise _fail(f"a tactic must be an object, got {value!r}", whole)
    used = _list(value, "usedConstants", whole)
    return TacticInfo(
        tactic=_str(value, "tactic", whole),
        goals=_str(value, "goals", whole),
        proof_state=_int(value, "proofState", whole, optional=True),
        pos=_pos(value.get("pos"), whole),
        end_pos=_pos(value.get("endPos"), whole),
        used_constants=tuple(str(c) for c in used),
    )


def parse_response(obj: Any) -> Response:
    """Decode one REPL response object; :class:`LeanProtocolError` when it fits no kind."""
    if not isinstance(obj, dict):
        raise _fail("expected a JSON object", obj)
    if "proofState" in obj and "goals" in obj:
        goals = _list(obj, "goals", obj)
        if not all(isinstance(g, str) for g in goals):
            raise _fail("'goals' must be a list of strings", obj)
        traces = _list(obj, "traces", obj)
        status = obj.get("proofStatus")
        if status is not None and not isinstance(status, str):
            raise _fail(f"'proofStatus' must be a string, got {status!r}", obj)
        return ProofStepResponse(
            proof_state=_int(obj, "proofState", obj),  # type: ignore[arg-type]
            goals=tuple(goals),
            proof_status=status,
            messages=tuple(_message(m, obj) for m in _list(obj, "messages", obj)),
            sorries=tuple(_sorry(s, obj) for s in _list(obj, "sorries", obj)),
            traces=tuple(str(t) for t in traces),
            raw=obj,
        )
    if "env" in obj or not (set(obj) - {"messages", "sorries", "tactics", "infotree"}):
        return CommandResponse(
            env=_int(obj, "env", obj, optional=True),
            messages=tuple(_message(m, obj) for m in _list(obj, "messages", obj)),
            sorries=tuple(_sorry(s, obj) for s in _list(obj, "sorries", obj)),
            tactics=tuple(_tactic(t, obj) for t in _list(obj, "tactics", obj)),
            infotree=obj.get("infotree"),
            raw=obj,
        )
    if "message" in obj:
        return ErrorResponse(_str(obj, "message", obj), raw=obj)
    raise _fail(f"unrecognised keys {sorted(obj)}", obj)


# --------------------------------------------------------------------------- requests
def request_kind(request: Mapping[str, Any]) -> str:
    """The kind of a request (``"command"``, ``"tactic"``, ...), as the REPL would read it."""
    for kind, keys in REQUEST_KINDS:
        if keys <= set(request):
            return kind
    raise ValueError(
        f"not a Lean REPL request: {dict(request)!r}; it needs 'cmd', 'tactic'+'proofState', "
        "'path', 'pickleTo', 'unpickleEnvFrom' or 'unpickleProofStateFrom'"
    )


def build_command(
    cmd: str,
    env: int | None = None,
    *,
    all_tactics: bool = False,
    root_goals: bool = False,
    infotree: str | None = None,
) -> dict[str, Any]:
    """``{"cmd": cmd, "env": env, ...}``, leaving out options at their defaults."""
    if not isinstance(cmd, str):
        raise ValueError(f"a Lean command must be a string, got {type(cmd).__name__}")
    req: dict[str, Any] = {"cmd": cmd}
    if env is not None:
        req["env"] = int(env)
    if all_tactics:
        req["allTactics"] = True
    if root_goals:
        req["rootGoals"] = True
    if infotree is not None:
        req["infotree"] = infotree
    return req


def build_tactic(tactic: str, proof_state: int) -> dict[str, Any]:
    """``{"tactic": tactic, "proofState": proof_state}``."""
    if not isinstance(tactic, str):
        raise ValueError(f"a tactic must be a string, got {type(tactic).__name__}")
    return {"tactic": tactic, "proofState": int(proof_state)}


def encode_request(request: Mapping[str, Any]) -> str:
    """One JSON line plus the blank line that ends it (JSON escapes keep it on one line)."""
    request_kind(request)
    return json.dumps(dict(request), ensure_ascii=False) + "\n\n"


# --------------------------------------------------------------------------- framing
#: Lean's ``Char.isWhitespace``: what the REPL's ``trim``/``trimRight`` remove.
LEAN_WHITESPACE = " \t\r\n"


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line for the REPL (IO.getLine); str.splitlines would also split on
    # U+0085, U+2028, ... which may legitimately occur inside a JSON string.
    return text.split("\n")


def iter_request_blocks(text: str) -> Iterator[str]:
    """Split request text the way the REPL reads stdin.

    Lines are joined with their trailing whitespace (and newline) removed until a blank line;
    so a raw line break inside a JSON string disappears (``"by`` + newline + ``sorry"`` reads
    as ``"bysorry"``), exactly as in the REPL. Empty blocks and comment blocks (starting with
    ``#`` or ``--``) are dropped because the REPL answers neither.
    """
    parts: list[str] = []
    for line in _lines(text):
        if line.strip(LEAN_WHITESPACE):
            parts.append(line.rstrip(LEAN_WHITESPACE))
            continue
        if parts:
            block = "".join(parts)
            parts = []
            if not block.startswith(("#", "--")):
                yield block
    if parts:
        block = "".join(parts)
        if not block.startswith(("#", "--")):
            yield block


def iter_response_blocks(text: str) -> Iterator[str]:
    """Split REPL output into its blank-line-separated JSON blocks."""
    parts: list[str] = []
    for line in _lines(text):
        if line.strip(LEAN_WHITESPACE):
            parts.append(line)
        elif parts:
            yield "\n".join(parts)
            parts = []
    if parts:
        yield "\n".join(parts)


def decode_block(block: str, where: str = "REPL output") -> dict[str, Any]:
    """Parse one framed block as a JSON object; :class:`LeanProtocolError` names ``where``."""
    try:
        obj = json.loads(block)
    except json.JSONDecodeError as err:
        # Some REPL builds print progress lines before the JSON; retry from the first "{".
        start = block.find("\n{")
        if start >= 0:
            return decode_block(block[start + 1 :], where)
        raise LeanProtocolError(f"{where}: not JSON ({err}): {block[:200]!r}") from None
    if not isinstance(obj, dict):
        raise LeanProtocolError(f"{where}: expected a JSON object, got {block[:200]!r}")
    return obj
