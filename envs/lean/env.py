"""``mathgym/Lean-v0``: prove a Lean 4 theorem one tactic at a time through the Lean REPL."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.config import make_transport
from mathgym.envs.lean.errors import LeanBackendError, ReplayMismatchError
from mathgym.envs.lean.protocol import CommandResponse, ErrorResponse, ProofStepResponse
from mathgym.envs.wrappers.compat import ShortText, TextSpace, check_render_mode

#: Longest observation the observation space describes, in characters.
MAX_OBSERVATION_CHARS = 16384
#: Longest action the action space samples, in characters (longer tactics are still sent).
MAX_ACTION_CHARS = 2048
#: What the observation shows when a proof state has no goals left.
NO_GOALS = "no goals"
#: Stand-in in the observation for a character outside :data:`LEAN_CHARSET`.
REPLACEMENT = "\ufffd"

_UNICODE_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x024F),  # Latin-1 supplement, Latin extended A/B
    (0x0370, 0x03FF),  # Greek
    (0x1D00, 0x1DBF),  # phonetic extensions (small capitals, modifier letters)
    (0x2000, 0x2BFF),  # punctuation, super/subscripts, letterlike, arrows, operators, ...
    (0x2E00, 0x2E7F),  # supplemental punctuation
    (0x3008, 0x3011),  # angle and lenticular brackets
    (0xFFFD, 0xFFFD),  # replacement character
    (0x1D400, 0x1D7FF),  # mathematical alphanumeric symbols (𝓝, 𝔼, ...)
)


def _lean_charset() -> str:
    ascii_part = "".join(sorted(set(string.printable) - set("\t\r\x0b\x0c")))
    extra = "".join(
        chr(c) for lo, hi in _UNICODE_BLOCKS for c in range(lo, hi + 1) if chr(c).isprintable()
    )
    return ascii_part + extra


#: Characters of the observation and action spaces: printable ASCII, newline, and the Unicode
#: blocks Lean and Mathlib notation use. Other characters appear as U+FFFD in observations
#: (``info["goals"]`` keeps the exact text).
LEAN_CHARSET: str = _lean_charset()
_CHARSET = frozenset(LEAN_CHARSET)


def goals_text(goals: Sequence[str]) -> str:
    """Goals joined by blank lines (``"no goals"`` when empty), as the observation shows them."""
    text = "\n\n".join(goals) if goals else NO_GOALS
    text = "".join(c if c in _CHARSET else REPLACEMENT for c in text)
    return text[:MAX_OBSERVATION_CHARS]


@dataclass(frozen=True)
class ProofNode:
    """A proof state reached in this episode: its goals and how it was reached."""

    proof_state: int
    goals: tuple[str, ...]
    parent: int | None
    tactic: str | None
    proof_status: str | None


class LeanEnv(gym.Env):
    """Prove a Lean 4 theorem tactic by tactic; reward 1 when Lean reports the proof complete.

    ## Description
    An episode is one theorem, given as Lean 4 source ending in ``:= by sorry`` (optionally
    after ``header`` commands such as ``import Mathlib`` or definitions it uses). The env sends
    it to the Lean REPL (leanprover-community/repl), takes the proof state of the final
    ``sorry``, and then runs the agent's tactics there with ``{"tactic", "proofState"}``
    requests. Every successful tactic creates a new proof state; earlier ones stay valid, so
    the agent may backtrack to any state of the episode.

    ## Action Space
    ``gymnasium.spaces.Text(MAX_ACTION_CHARS, min_length=1, charset=LEAN_CHARSET)``: a tactic,
    e.g. ``"intro h"`` or ``"exact h1.left"``, run on the current proof state (longer or other
    characters are sent too). The reserved form ``"backtrack N"`` (keyword configurable via
    ``backtrack_keyword``; ``None`` disables it) makes proof state ``N`` of this episode the
    current one without calling Lean; ``info["proof_state"]`` and ``info["states"]`` give the ids.

    ## Observation Space
    ``gymnasium.spaces.Text(MAX_OBSERVATION_CHARS, min_length=0, charset=LEAN_CHARSET)``: the
    current goals as Lean prints them (``"h : p\\n⊢ q"``), separated by blank lines, or
    ``"no goals"``. ``info["goals"]`` holds the exact list. (A ``TextSpace``: a ``Text`` whose
    missing array shape raises an error naming ``HashedTextFeatures`` in SB3.)

    ## Rewards
    1 when the REPL answers a tactic with ``proofStatus == "Completed"`` (goals closed and the
    proof term accepted by the kernel without ``sorry``); 0 otherwise. An empty goal list
    reached through ``sorry`` (status ``"Incomplete: contains sorry"``) or with unassigned
    metavariables is not a proof and earns nothing.

    ## Starting State
    The goal of the theorem's final ``sorry``. ``reset(options={"theorem": src, "header":
    [cmd, ...]})`` chooses the theorem; otherwise the constructor's ``theorem`` (for a replay
    backend without one: the first provable theorem of the transcript). Re-resetting on the
    same theorem reuses its root proof state: each command (header or theorem) is elaborated
    once per REPL process, so ``import Mathlib`` is paid once, not per episode. A theorem
    Lean rejects (errors, no ``sorry``) raises ``ValueError`` with Lean's messages; a failure
    of the backend while elaborating it raises the
    :class:`~mathgym.envs.lean.errors.LeanBackendError` after the REPL has been restarted
    (calling ``reset`` again retries).

    ## Episode End
    Terminated when the proof is completed. Truncated after ``max_steps`` actions, or at once
    when the backend fails (timeout, dead REPL process, malformed output): the REPL is
    restarted and ``info["truncation_reason"]`` says why. A Lean error (an ``{"message"}``
    error response, an error message, or a kernel ``"Error: ..."`` status) leaves the state
    unchanged with the text in ``info["error"]``; so does a tactic a replayed session did not
    record (``info["replay_miss"] = True``). ``info["is_success"]`` is True on the step that
    completes a proof and False otherwise (SB3 logs it as its success rate).

    ## Arguments
    ``theorem`` (str), ``header`` (list of commands), ``backend`` (``"auto"``, ``"repl"``,
    ``"replay"``, ``"lean-interact"``), ``replay`` (transcript path without suffix),
    ``replay_ordered`` (default True), ``project_dir``, ``command``, ``timeout`` (seconds per
    request), ``lean_version`` (lean-interact), ``max_steps`` (default 64),
    ``backtrack_keyword`` (default ``"backtrack"``), ``client`` (a ready
    :class:`~mathgym.envs.lean.client.LeanClient`), ``render_mode`` (``None`` or ``"ansi"``).
    With no backend configured the constructor raises
    :class:`~mathgym.envs.lean.errors.LeanNotAvailableError` explaining how to install Lean
    (elan) and the REPL.

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        theorem: str | None = None,
        header: Sequence[str] = (),
        backend: str = "auto",
        replay: str | Path | None = None,
        replay_ordered: bool = True,
        project_dir: str | Path | None = None,
        command: Sequence[str] | str | None = None,
        timeout: float | None = None,
        lean_version: str | None = None,
        max_steps: int = 64,
        backtrack_keyword: str | None = "backtrack",
        client: LeanClient | None = None,
        render_mode: str | None = None,
    ) -> None:
        check_render_mode("LeanEnv", render_mode, self.metadata["render_modes"])
        if not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"LeanEnv: max_steps must be an int >= 1, got {max_steps!r}")
        if backtrack_keyword is not None and not re.fullmatch(r"[A-Za-z_#@!][\w!?]*",
                                                              backtrack_keyword):
            raise ValueError(
                f"LeanEnv: backtrack_keyword must be a single word, got {backtrack_keyword!r}"
            )
        self.render_mode = render_mode
        self.max_steps = max_steps
        self.backtrack_keyword = backtrack_keyword
        self._backtrack_re = (
            re.compile(rf"\s*{re.escape(backtrack_keyword)}\s+(\d+)\s*")
            if backtrack_keyword else None
        )
        if client is None:
            transport = make_transport(
                backend, replay=replay, replay_ordered=replay_ordered, project_dir=project_dir,
                command=command, timeout=timeout, lean_version=lean_version,
            )
            client = LeanClient(transport)
        self.client = client
        if theorem is None and replay is not None and not header:
            theorem, header = self._default_episode(replay)
        self.theorem = theorem
        self.header = tuple(header)
        self.observation_space = TextSpace(
            MAX_OBSERVATION_CHARS, min_length=0, charset=LEAN_CHARSET
        )
        self.action_space = ShortText(MAX_ACTION_CHARS, min_length=1, charset=LEAN_CHARSET)
        #: Theorem and header of the current episode (the constructor's unless reset chose).
        self.episode_theorem: str | None = None
        self.episode_header: tuple[str, ...] = ()
        self._commands: dict[tuple[int | None, str], tuple[int, Any]] = {}
        self._nodes: dict[int, ProofNode] = {}
        self._current: ProofNode | None = None
        self._steps = 0
        self._done = False

    @staticmethod
    def _default_episode(replay: str | Path) -> tuple[str | None, tuple[str, ...]]:
        from mathgym.envs.lean.transcripts import find_episodes, load_transcript

        episodes = find_episodes(load_transcript(replay))
        if not episodes:
            return None, ()
        chosen = next((e for e in episodes if e.provable), episodes[0])
        return chosen.theorem, chosen.header

    # ------------------------------------------------------------------ episode set-up
    def _command(self, cmd: str, env_id: int | None) -> CommandResponse | ErrorResponse:
        """Run a command once per REPL process: accepted results are cached by (env, text)."""
        key = (env_id, cmd)
        cached = self._commands.get(key)
        if cached is not None and cached[0] == self.client.generation:
            return cached[1]
        resp = self.client.command(cmd, env_id)
        if isinstance(resp, CommandResponse) and not resp.errors and resp.env is not None:
            self._commands[key] = (self.client.generation, resp)
        return resp

    def _root(self, header: tuple[str, ...], theorem: str) -> ProofNode:
        env_id = None
        for i, cmd in enumerate(header):
            resp = self._command(cmd, env_id)
            if isinstance(resp, ErrorResponse) or resp.errors or resp.env is None:
                raise ValueError(
                    f"LeanEnv: header command {i} ({cmd[:80]!r}) failed in Lean: "
                    f"{_explain(resp)}"
                )
            env_id = resp.env
        resp = self._command(theorem, env_id)
        if isinstance(resp, ErrorResponse) or resp.errors:
            raise ValueError(
                f"LeanEnv: Lean rejected the theorem {theorem[:80]!r}: {_explain(resp)}"
            )
        states = [s for s in resp.sorries if s.proof_state is not None]
        if not states:
            raise ValueError(
                f"LeanEnv: the theorem {theorem[:80]!r} produced no proof state; it must end "
                "in ':= by sorry' (a tactic-mode sorry)"
            )
        final = max(states, key=lambda s: (s.pos.line, s.pos.column) if s.pos else (0, 0))
        return ProofNode(final.proof_state, (final.goal,), None, None, None)  # type: ignore[arg-type]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start proving ``options["theorem"]`` (else the constructor's theorem)."""
        super().reset(seed=seed)
        options = dict(options or {})
        theorem = options.get("theorem", self.theorem)
        header = tuple(options.get("header", self.header if "theorem" not in options else ()))
        if not isinstance(theorem, str) or not theorem.strip():
            raise ValueError(
                "LeanEnv.reset: no theorem; pass LeanEnv(theorem=...) or "
                "reset(options={'theorem': 'theorem t : 1 = 1 := by sorry'})"
            )
        if not theorem.rstrip().endswith("sorry"):
            raise ValueError(
                f"LeanEnv.reset: the theorem must end in ':= by sorry', got ...{theorem[-60:]!r}"
            )
        if not all(isinstance(c, str) for c in header):
            raise ValueError("LeanEnv.reset: header must be a list of Lean command strings")
        root = self._root(header, theorem)
        self.episode_theorem, self.episode_header = theorem, header
        self._nodes = {root.proof_state: root}
        self._current = root
        self._steps = 0
        self._done = False
        return goals_text(root.goals), self._info()

    # ------------------------------------------------------------------ stepping
    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one tactic (or ``backtrack N``) on the current proof state."""
        if self._current is None:
            raise RuntimeError("LeanEnv.step called before reset()")
        if self._done:
            raise RuntimeError("LeanEnv.step called after the episode ended; call reset()")
        if not isinstance(action, str):
            raise ValueError(
                f"LeanEnv.step: the action must be tactic text (str), got {type(action).__name__}"
            )
        self._steps += 1
        extra: dict[str, Any] = {}
        reward, terminated, truncated = 0.0, False, False
        match = self._backtrack_re.fullmatch(action) if self._backtrack_re else None
        if match:
            target = int(match.group(1))
            if target in self._nodes:
                self._current = self._nodes[target]
                extra["backtracked_to"] = target
            else:
                extra["error"] = (
                    f"backtrack target {target} is not a proof state of this episode; "
                    f"known states: {sorted(self._nodes)}"
                )
        elif not action.strip():
            extra["error"] = "empty tactic"
        else:
            try:
                resp = self.client.tactic(action, self._current.proof_state)
            except ReplayMismatchError as err:
                extra["error"] = f"replay has no recorded answer: {err}"
                extra["replay_miss"] = True
            except LeanBackendError as err:
                truncated = True
                extra["truncation_reason"] = f"{type(err).__name__}: {err}"
            else:
                reward, terminated = self._apply(action, resp, extra)
        if not (terminated or truncated) and self._steps >= self.max_steps:
            truncated = True
            extra["truncation_reason"] = f"max_steps ({self.max_steps}) reached"
        self._done = terminated or truncated
        info = self._info()
        info.update(extra)
        info["is_success"] = bool(terminated and reward > 0)
        if info["is_success"]:
            info["proof"] = self.proof_path()
        return goals_text(self._current.goals), reward, terminated, truncated, info

    def _apply(self, tactic: str, resp: Any, extra: dict[str, Any]) -> tuple[float, bool]:
        if isinstance(resp, ErrorResponse):
            extra["error"] = resp.message
            return 0.0, False
        assert isinstance(resp, ProofStepResponse)
        extra["messages"] = [m.to_json() for m in resp.messages]
        if resp.traces:
            extra["traces"] = list(resp.traces)
        if resp.sorries:  # sorries inside the tactic text, with their own proof states
            extra["sorries"] = [{"proofState": x.proof_state, "goal": x.goal} for x in resp.sorries]
        status = resp.proof_status or ""
        if resp.errors or status.startswith("Error"):
            texts = [m.data for m in resp.errors] or [status]
            extra["error"] = "\n".join(texts)
            extra["rejected_proof_status"] = resp.proof_status
            return 0.0, False
        node = ProofNode(
            resp.proof_state, resp.goals, self._current.proof_state, tactic, resp.proof_status
        )
        self._nodes[node.proof_state] = node
        self._current = node
        if resp.completed:
            return 1.0, True
        return 0.0, False

    # ------------------------------------------------------------------ views
    def proof_path(self) -> list[str]:
        """Tactics from the root to the current proof state (the proof, once completed)."""
        path = []
        node = self._current
        while node is not None and node.tactic is not None:
            path.append(node.tactic)
            node = self._nodes.get(node.parent) if node.parent is not None else None
        return path[::-1]

    def _info(self) -> dict[str, Any]:
        node = self._current
        assert node is not None
        return {
            "proof_state": node.proof_state,
            "goals": list(node.goals),
            "proof_status": node.proof_status,
            "states": sorted(self._nodes),
            "steps": self._steps,
            "generation": self.client.generation,
            "is_success": False,
        }

    def render(self) -> str | None:
        """``"ansi"``: the current proof state id and its goals."""
        if self.render_mode != "ansi" or self._current is None:
            return None
        node = self._current
        return f"proof state {node.proof_state} ({node.proof_status or 'open'}):\n" + goals_text(
            node.goals
        )

    def close(self) -> None:
        """Stop the REPL process (if any)."""
        self.client.close()


def _explain(resp: Any) -> str:
    if isinstance(resp, ErrorResponse):
        return resp.message
    errors = [m.data for m in getattr(resp, "errors", ())]
    return "; ".join(errors) if errors else "no environment returned"
