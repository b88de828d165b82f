"""Multi-turn episodes of the ``llm`` agent: Metamath (``mathgym/Metamath-v0``), Lean
(``mathgym/Lean-v0``) and, with ``ac_turns=True``, AC (``mathgym/AC-v0``: one move per turn,
the new presentation fed back; certificate = the moves sent, cost = one search node per
turn), one action per turn, the env's feedback carried back into the chat.

Design note. One episode is a conversation::

    system   the family's instructions (the action grammar, with an example)
    user     the task: the theorem and the env's first observation
    assistant  completion 1  -> one action parsed by a strict grammar
    user     the env's feedback: the verdict (applied / Lean or kernel error / proof complete)
             and the new state (goals; Metamath: the numbered candidate list)
    assistant  completion 2  -> ...

Every turn renders the whole conversation so far with the tokenizer's chat template and draws
one completion (greedy, sampled or the best beam: :meth:`LLMAgent._complete`). The completion
is untrusted text: :func:`parse_metamath_action` and :func:`parse_lean_tactic` accept exactly
one action of the family's grammar and refuse everything else with a reason; nothing is ever
evaluated. A refused completion is not sent to the env: the reason is the next user message,
and the turn counts.

Budget. One turn is one unit of the benchmark's budget: ``search_nodes`` of
``formal/metamath-*`` (whose unit counts env steps for env-acting agents) and ``env_steps``
of ``formal/lean-replay``. A turn is charged whether its action was refused by the parser,
rejected by the env (Metamath counts an invalid action as a step; Lean leaves the state
unchanged) or applied, so the cost is the number of completions drawn. ``samples = k``
plays up to k episodes (pass@k) of at most ``turns`` turns each (default: the budget split
evenly), stopping at the first success or when the budget is spent; an episode also ends when
the env ends it (terminated, truncated at its ``max_steps``) or the conversation no longer fits
the model's context.

Certificates are the env's own: Metamath ``{"proof": info["proof"]}`` (the kernel-checked
proof the env assembled), Lean ``info["proof"]`` (the tactic list from the ``sorry`` to the
completed proof). The harness and ``mathgym submit`` re-verify them with the benchmark's
verifier; the cost of a Metamath proof is never below its ``|-`` steps (``min_cost``), since
every applied step was one turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

METAMATH_ENV = "mathgym/Metamath-v0"
LEAN_ENV = "mathgym/Lean-v0"
AC_ENV = "mathgym/AC-v0"
#: Longest completion the parsers look at; longer text is refused, not cut.
MAX_COMPLETION_CHARS = 4096
#: Candidates of a Metamath state shown to the model (numbered; the index is an action).
SHOW_CANDIDATES = 12
#: Longest env message (kernel or Lean error) carried back, in characters.
MAX_FEEDBACK_CHARS = 1200

SYSTEM_PROMPTS = {
    METAMATH_ENV: (
        "You prove Metamath (set.mm) theorems backwards, one step per reply. Each step applies "
        "a theorem or hypothesis label to the first open goal. Reply with exactly one action "
        "and nothing else: the number of a listed candidate, e.g. 0, or a label, e.g. ax-mp, "
        "optionally with substitutions, e.g. ax-mp ; ph := ( ps -> ch ). Example: for the goal "
        "|- ( ph -> ph ) with the candidates 0: syl, 1: id, the reply 1 proves it."
    ),
    "ac-turns": (
        "You simplify group presentations with Andrews-Curtis moves, one move per reply. Reply "
        "with exactly one move id, e.g. 3, and nothing else."
    ),
    LEAN_ENV: (
        "You prove Lean 4 theorems one tactic per reply. Reply with exactly one tactic on one "
        "line and nothing else, e.g. intro h or exact h.left. Example: for the goals "
        "hp : p, hq : q, ⊢ p ∧ q the reply exact ⟨hp, hq⟩ proves it."
    ),
}


class ActionParseError(ValueError):
    """A completion that is not exactly one action of the family's grammar."""


# ----------------------------------------------------------------------------- strict parsers
_FENCE = re.compile(r"^```[A-Za-z0-9]*\n(.*?)\n?```$", re.DOTALL)
_MM_LABEL = re.compile(r"[A-Za-z0-9_.\-]+")  # the Metamath spec's label characters
_MM_SYMBOL = re.compile(r"[!-#%-~]+")  # printable ASCII without '$' and whitespace
_MM_INDEX = re.compile(r"\d{1,3}")


def action_text(completion: str) -> str:
    """The one line of a completion that holds the action, or :class:`ActionParseError`.

    Accepted forms (after stripping surrounding whitespace): a single line, the same line in
    backticks (`` `x` ``), or a fenced block holding a single line. Anything else (several
    lines, text around the action, control characters, more than
    :data:`MAX_COMPLETION_CHARS` characters) is refused with the reason.
    """
    if not isinstance(completion, str):
        raise ActionParseError(f"the completion must be text, got {type(completion).__name__}")
    if len(completion) > MAX_COMPLETION_CHARS:
        raise ActionParseError(f"the reply has {len(completion)} characters; give one action "
                               f"(at most {MAX_COMPLETION_CHARS})")
    text = completion.strip()
    fence = _FENCE.match(text)
    if fence:
        text = fence.group(1).strip()
    elif len(text) >= 2 and text[0] == text[-1] == "`" and "`" not in text[1:-1]:
        text = text[1:-1].strip()
    if not text:
        raise ActionParseError("the reply is empty; give one action")
    if "\n" in text:
        raise ActionParseError("the reply has several lines; give exactly one action on one line "
                               "and nothing else")
    bad = next((c for c in text if not c.isprintable()), None)
    if bad is not None:
        raise ActionParseError(f"the reply contains the control character {bad!r}")
    return text


def parse_metamath_action(completion: str, num_candidates: int) -> int | str:
    """One Metamath-v0 action: a candidate index (``int``) or ``"label ; var := expr ; ..."``.

    Grammar (whitespace-separated tokens, ASCII only): ``INDEX`` (0 ..
    ``num_candidates - 1``) or ``LABEL (; SYMBOL := SYMBOL+)*``, LABEL of the Metamath label
    characters ``[A-Za-z0-9_.-]``, SYMBOL printable ASCII without ``$``. The text form comes
    back normalised (single spaces), the form the env parses.
    """
    text = action_text(completion)
    if not text.isascii():
        raise ActionParseError("a Metamath action is ASCII (set.mm labels and symbols)")
    if _MM_INDEX.fullmatch(text):
        index = int(text)
        if index >= num_candidates:
            raise ActionParseError(f"candidate {index} does not exist: the list has "
                                   f"{num_candidates} (0..{num_candidates - 1})")
        return index
    parts = [p.strip() for p in text.split(";")]
    label = parts[0]
    if not _MM_LABEL.fullmatch(label):
        raise ActionParseError(f"{text[:80]!r} is not an action: start with one label (letters, "
                               "digits, - _ .) or a candidate number, e.g. ax-mp or 0")
    out = [label]
    seen: set[str] = set()
    for part in parts[1:]:
        var, sep, expr = part.partition(":=")
        var, symbols = var.strip(), expr.split()
        if not sep or not _MM_SYMBOL.fullmatch(var or "$") or not symbols \
                or not all(_MM_SYMBOL.fullmatch(s) for s in symbols):
            raise ActionParseError(f"substitution {part[:80]!r} must look like 'ph := ( ps -> ch )'"
                                   " (symbols separated by spaces, no $)")
        if var in seen:
            raise ActionParseError(f"variable {var!r} is substituted twice")
        seen.add(var)
        out.append(f"{var} := {' '.join(symbols)}")
    return " ; ".join(out)


#: Words a tactic may not contain: they close nothing (sorry, admit), trust the compiler
#: instead of the kernel (native_decide), or run arbitrary code on a real REPL.
LEAN_REFUSED = ("sorry", "admit", "native_decide", "run_tac", "run_cmd", "run_elab", "#eval",
                "#exit", "unsafe", "implemented_by", "extern", "IO")
_LEAN_REFUSED_RE = re.compile(r"(?<![\w.])(" + "|".join(re.escape(w) for w in LEAN_REFUSED)
                              + r")(?![\w])")


def parse_lean_tactic(completion: str) -> str:
    """One Lean tactic on one line (or the env's ``backtrack N``), refused when it holds a word
    of :data:`LEAN_REFUSED` or a character outside the env's ``LEAN_CHARSET``."""
    from mathgym.envs.lean.env import LEAN_CHARSET, MAX_ACTION_CHARS

    text = action_text(completion)
    if len(text) > MAX_ACTION_CHARS:
        raise ActionParseError(f"the tactic has {len(text)} characters (at most "
                               f"{MAX_ACTION_CHARS})")
    charset = frozenset(LEAN_CHARSET)
    bad = next((c for c in text if c not in charset), None)
    if bad is not None:
        raise ActionParseError(f"the tactic contains {bad!r} (U+{ord(bad):04X}), outside the "
                               "characters Lean tactics use here")
    refused = _LEAN_REFUSED_RE.search(text)
    if refused:
        raise ActionParseError(f"the tactic uses {refused.group(1)!r}, which is refused here "
                               "(it proves nothing or runs code); give a proof step")
    return text


# ----------------------------------------------------------------------------- families
def _clip(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_FEEDBACK_CHARS else text[:MAX_FEEDBACK_CHARS] + " ..."


def _metamath_state(obs: str, info: dict[str, Any]) -> str:
    cands = list(info.get("candidates") or ())[:SHOW_CANDIDATES]
    listed = "\n".join(f"{i}: {label}" for i, label in enumerate(cands)) or "(none apply)"
    return f"{obs}\nCandidates for the first goal:\n{listed}"


@dataclass(frozen=True)
class Family:
    """What the loop needs of one env family: prompts, the parser, feedback, the certificate."""

    env_id: str
    first: Callable[[dict[str, Any], str, dict[str, Any]], str]
    parse: Callable[[str, dict[str, Any]], Any]
    feedback: Callable[[Any, str, float, bool, bool, dict[str, Any]], str]
    certificate: Callable[[dict[str, Any], list[Any]], Any]  # (info, this episode's actions)


def metamath_first_message(data: dict[str, Any], obs: str, info: dict[str, Any]) -> str:
    """The llm agent's first Metamath message: the theorem, the env's observation of the state
    with its numbered candidates, and the request for one action (also the GRPO trainer's
    Metamath prompt, ``grpo/metamath_prompts.py``, so training and evaluation agree)."""
    return (f"Prove {data.get('theorem', info.get('theorem'))}: {data.get('statement', '')}\n"
            f"{_metamath_state(obs, info)}\nYour action:")


def _mm_parse(text: str, info: dict[str, Any]) -> int | str:
    shown = min(len(info.get("candidates") or ()), SHOW_CANDIDATES)
    return parse_metamath_action(text, shown)


def _mm_feedback(action: Any, obs: str, reward: float, terminated: bool, truncated: bool,
                 info: dict[str, Any]) -> str:
    if "error" in info:
        verdict = f"Error: {_clip(info['error'])}"
        if terminated:
            return f"{verdict}\nThe goals closed but the kernel rejected the proof."
    else:
        verdict = f"Applied {info.get('applied', action)}."
    return f"{verdict}\n{_metamath_state(obs, info)}\nYour action:"


def _lean_first(data: dict[str, Any], obs: str, info: dict[str, Any]) -> str:
    return f"{data.get('theorem', '')}\nGoals:\n{obs}\nYour tactic:"


def _lean_feedback(action: Any, obs: str, reward: float, terminated: bool, truncated: bool,
                   info: dict[str, Any]) -> str:
    if "error" in info:
        return f"Lean error: {_clip(info['error'])}\nThe goals are unchanged:\n{obs}\nYour tactic:"
    status = info.get("proof_status") or "open"
    return f"Accepted ({status}). Goals:\n{obs}\nYour tactic:"


def parse_ac_move(completion: str) -> int:
    """One AC move: its id (``"3"``) or its written form (``"r1 <- r1 r0^-1"``), by
    ``envs/ac/text.py``'s plain-string ``parse_move`` on the single action line."""
    from mathgym.envs.ac.text import parse_move

    text = action_text(completion)
    try:
        return parse_move(text, 2)
    except ValueError as err:
        raise ActionParseError(str(err).rstrip(".")) from None


def _ac_state(obs: Any) -> str:
    from mathgym.envs.ac.text import render_state

    return render_state(obs, 2)


def _ac_first(data: dict[str, Any], obs: Any, info: dict[str, Any]) -> str:
    from mathgym.envs.ac.text import move_names

    moves = "; ".join(f"{m}: {name}" for m, name in enumerate(move_names(2)))
    return (f"Presentation: {_ac_state(obs)}. Relator length cap {data['max_relator_length']}.\n"
            f"Moves: {moves}.\nMake both relators trivial. Your move:")


def _ac_feedback(action: Any, obs: Any, reward: float, terminated: bool, truncated: bool,
                 info: dict[str, Any]) -> str:
    return (f"Applied move {action}. Presentation: {_ac_state(obs)} (total length "
            f"{info['total_length']}). Your move:")


FAMILIES = {
    METAMATH_ENV: Family(METAMATH_ENV, metamath_first_message, _mm_parse, _mm_feedback,
                         lambda info, actions: {"proof": info["proof"]}),
    LEAN_ENV: Family(LEAN_ENV, _lean_first, lambda text, info: parse_lean_tactic(text),
                     _lean_feedback, lambda info, actions: list(info["proof"])),
    AC_ENV: Family(AC_ENV, _ac_first, lambda text, info: parse_ac_move(text), _ac_feedback,
                   lambda info, actions: [a for a in actions if a is not None]),
}


# ----------------------------------------------------------------------------- the loop
@dataclass
class EpisodeLog:
    """What one attempt did, stored in the record's ``info``."""

    episodes: int = 0
    turns: int = 0
    refused: int = 0
    env_errors: int = 0
    tokens: int = 0
    truncated: int = 0
    actions: list[Any] = field(default_factory=list)  # per turn: the action sent, or None
    end: str = ""
    last: str = ""  # the last completion, cut to 200 characters (what the model said)

    def info(self, solved_by: int | None) -> dict[str, Any]:
        return {"episodes": self.episodes, "turns": self.turns, "refused": self.refused,
                "env_errors": self.env_errors, "tokens": self.tokens,
                "truncated": self.truncated, "solved_by": solved_by, "actions": self.actions,
                "end": self.end, "last": self.last}


class Policy:
    """What the loop asks of a model: one completion of a chat, and whether a chat fits.

    :class:`~mathgym.agents.llm.agent.LLMAgent` provides it (``multiturn_policy``); any object
    with these two methods works (the tests use the agent's own, backed by a real model).
    """

    def complete(self, messages: list[dict[str, str]], seed_parts: tuple) -> tuple[str, int, int]:
        """``(text, tokens, truncated)`` of one completion of ``messages``."""
        raise NotImplementedError

    def fits(self, messages: list[dict[str, str]]) -> bool:
        """Whether the rendered chat plus a completion fits the model's context."""
        raise NotImplementedError


def run_episodes(policy: Policy, benchmark: Any, instance: Any, budget: float, seed: int, *,
                 system_prompt: str, episodes: int, turns: int | None,
                 on_message: Callable[[list[dict[str, str]]], None] | None = None
                 ) -> tuple[bool, Any, float, dict[str, Any]]:
    """Play up to ``episodes`` conversations in the instance's env within ``budget`` turns.

    Returns ``(solved, certificate, cost, info)``. ``turns`` caps one episode (``None``:
    ``budget // episodes``, at least 1). ``on_message`` sees the chat before every completion
    (the tests read the rendered feedback through it).
    """
    family = FAMILIES[benchmark.env_id]
    budget_turns = int(budget)
    cap = turns if turns is not None else max(1, budget_turns // episodes)
    data = dict(instance.data)
    log = EpisodeLog()
    env = benchmark.make_env(instance)
    try:
        for episode in range(episodes):
            if log.turns >= budget_turns:
                break
            log.episodes += 1
            obs, info = env.reset(seed=seed)
            sent: list[Any] = []
            messages = [{"role": "system", "content": system_prompt},
                        {"role": "user", "content": family.first(data, obs, info)}]
            for turn in range(cap):
                if log.turns >= budget_turns:
                    log.end = "budget spent"
                    break
                if not policy.fits(messages):
                    log.end = "the conversation no longer fits the model's context"
                    break
                if on_message is not None:
                    on_message([dict(m) for m in messages])
                text, tokens, truncated_text = policy.complete(
                    messages, (seed, instance.id, episode, turn))
                log.turns += 1
                log.tokens += tokens
                log.truncated += truncated_text
                messages.append({"role": "assistant", "content": text})
                log.last = text[:200]
                try:
                    action = family.parse(text, info)
                except ActionParseError as err:
                    log.refused += 1
                    log.actions.append(None)
                    messages.append({"role": "user", "content": (
                        f"Refused: {err}.\nReply with exactly one action.")})
                    continue
                log.actions.append(action)
                sent.append(action)
                obs, reward, terminated, truncated, info = env.step(action)
                if "error" in info:
                    log.env_errors += 1
                if info.get("is_success"):
                    log.end = "proved"
                    return (True, family.certificate(info, sent), float(log.turns),
                            log.info(episode))
                if terminated or truncated:
                    log.end = str(info.get("truncation_reason") or info.get("error")
                                  or "episode ended")
                    break
                messages.append({"role": "user", "content": family.feedback(
                    action, obs, reward, terminated, truncated, info)})
            else:
                log.end = f"{cap} turns"
    finally:
        env.close()
    return False, None, float(log.turns), log.info(None)
