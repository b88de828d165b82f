"""Search as the improvement operator for Metamath: best-first completion of a partial proof.

Design note. The policy proposes a proof as Metamath-v0 text actions, one per line, each in the
grammar of the llm agent's multi-turn parser (``multiturn.parse_metamath_action``: a label,
``label ; var := expr ; ...``, or the number of one of the first ``SHOW_CANDIDATES``
candidates), every action applied to the *first open goal*, as the env applies it. The search
improves it within a budget:

- the lines are replayed on the env's prover (``Prover.apply``, the code ``MetamathEnv.step``
  runs) from the theorem's conclusion; replay stops at the first line the parser refuses or the
  prover rejects (unknown label, no unification, a label the usage rule forbids, ...), at the
  env's ``max_steps`` (64) actions, or when no goal is left. What was applied is the *longest
  valid prefix*; the rest is cut;
- from the state the prefix reached, a budgeted best-first search whose moves are the env's
  own actions on the first open goal (a bare label, exactly the text action ``label``) looks
  for a completion; failing that (``restart``), from the theorem's conclusion.
  ``agents/metamath.py``'s ``best_first_search`` works on the most constrained goal and so
  reorders goals: its label path is not an action sequence the model could emit. Here its
  move ranking (``_Expander``: the theorem's hypotheses, closing labels by specificity, then
  labels by usage and specificity) is driven in first-goal order, and its frontier cost is
  kept: ``open goals + 0.05 * goal tree nodes + 0.5 * work variables + 0.25 * depth +
  0.5 * sum log2(1 + move rank)``, ties broken by insertion order (deterministic). One unit of
  ``max_nodes`` is one expanded state; states with the same goals in the same order are
  expanded once;
- a finished state counts only when the env would reward it: the proof it assembles (the
  prover's default choice of dummy variables, what ``MetamathEnv.finish`` does) passes our
  kernel (``verifiers.metamath.kernel.check_proof``, ``$d`` included) under the database's
  usage rule (the axiom closure of the theorem's own set.mm proof, no ``BAD`` or discouraged
  statement), and the theorem states the task's ``statement``: the check of the benchmark's
  verifier (``verify_theorem_proof``) on the library's already parsed database.

The target is the whole proof, prefix + completion, one action per line (an index action of
the prefix written as the label it picked), then EOS; it is replayed from its own text and
re-verified before it is kept, then scored by the trainer's reward. Only a rewarded one
becomes a target. Per group the shortest proof (fewest actions) replaces the lowest-reward
response (ties: the first). A search result was not sampled: ``sampler_logp`` is 0 per token (a
point mass) and the loss is ``shaped`` by default (``loss="policy"`` trains it as if sampled).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mathgym.agents.llm.improve.base import (
    ImproveContext,
    ImprovedSample,
    Improver,
    Task,
    check_batch,
    search_target,
)
from mathgym.agents.metamath import _Expander, _size

#: The most actions a proof may have: ``formal/metamath-*``'s env episode (``max_steps``).
MAX_ACTIONS = 64


@dataclass
class MetamathSearchConfig:
    """Options of :class:`MetamathSearchImprover`."""

    max_nodes: int = 200
    """states expanded by each best-first search (the budget of one search)"""
    branching: int = 24
    """labels with hypotheses tried per state (``agents/metamath.py``'s ``branching``)"""
    scan: int = 400
    """closing labels scanned per state (``agents/metamath.py``'s ``scan``)"""
    restart: bool = True
    """when the search from the prefix's state fails, search from the theorem's conclusion"""
    improve_solved: bool = False
    """also improve groups that already have a proving response"""
    loss: str = "shaped"
    """how the trainer trains the target: shaped (-A f(pi)) | policy"""
    database: str | None = None
    """the Metamath database (None: ``$MATHGYM_METAMATH_DB`` or Debian's set.mm, as the
    benchmarks' verifier)"""

    def __post_init__(self) -> None:
        for name in ("max_nodes", "branching", "scan"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.loss not in ("shaped", "policy"):
            raise ValueError(f"loss must be 'shaped' or 'policy', got {self.loss!r}")


@dataclass
class Replay:
    """What a proof text does in Metamath-v0: the actions applied (text form), the state they
    reach, and why replay stopped early (``None``: every line was applied)."""

    actions: list[str]
    state: Any
    stopped: str | None = None
    lines: int = 0
    """non-empty lines read (applied ones and the one that stopped the replay)"""


def proof_lines(text: str) -> list[str]:
    """The action lines of a completion: its non-empty lines, fence lines (```) dropped."""
    return [ln.strip() for ln in str(text).splitlines()
            if ln.strip() and not ln.strip().startswith("```")]


def replay_text(prover: Any, text: str, max_actions: int = MAX_ACTIONS) -> Replay:
    """Replay a completion's lines as Metamath-v0 text actions on ``prover`` (see the module
    doc): each line through ``parse_metamath_action`` (an index among the first
    ``SHOW_CANDIDATES`` candidates of the state, as the multi-turn agent shows them), then
    ``prover.apply`` on the first goal. Stops at the first refused or rejected line."""
    from mathgym.agents.llm.multiturn import (
        SHOW_CANDIDATES,
        ActionParseError,
        parse_metamath_action,
    )
    from mathgym.envs.metamath.prover import ActionError

    state = prover.initial_state()
    out = Replay([], state)
    for line in proof_lines(text):
        out.lines += 1
        if state.proved:
            out.stopped = "the proof was complete before this line"
            break
        if len(out.actions) >= max_actions:
            out.stopped = f"more than {max_actions} actions"
            break
        try:
            action = parse_metamath_action(line, SHOW_CANDIDATES)
            if isinstance(action, int):
                shown = prover.candidates(state, SHOW_CANDIDATES)
                if action >= len(shown):
                    raise ActionError(f"candidate {action} does not exist: the list has "
                                      f"{len(shown)}")
                action = shown[action]  # the label it picks: the same move as a text action
            label, subs = prover.parse_action(action)
            state = prover.apply(state, label, subs)
        except (ActionParseError, ActionError) as err:
            out.stopped = f"line {out.lines} ({line[:80]}): {err}"
            break
        out.actions.append(action)
        out.state = state
    return out


def kernel_proof(prover: Any, state: Any, statement: str | None = None) -> list[str] | None:
    """The proof labels of a finished ``state`` if the env would reward it (its assembled proof
    passes the kernel under the usage rule, and the theorem states ``statement``), else None."""
    from mathgym.envs.metamath.prover import ActionError
    from mathgym.verifiers.metamath.database import MetamathError
    from mathgym.verifiers.metamath.kernel import check_proof

    if not state.proved:
        return None
    db = prover.db
    if statement is not None and db.format(prover.thm.expr) != statement:
        return None
    try:
        proof = prover.assemble_proof(state)
        check_proof(db, prover.thm, tuple(proof), prover.lib.rule)
    except (ActionError, MetamathError):
        return None
    return list(proof)


def proof_reward(prover: Any, text: str, statement: str | None = None) -> float:
    """1.0 iff the completion's lines replay to a proved state whose proof the kernel accepts
    (what a Metamath prompt source's reward would be), else 0.0."""
    return 1.0 if kernel_proof(prover, replay_text(prover, text).state, statement) else 0.0


class _FirstGoal(_Expander):
    """``agents/metamath.py``'s move ranking on the *first* open goal (no reordering), so every
    move is the env's text action ``label`` on the state as it is."""

    def pick(self, state):
        from mathgym.envs.metamath.prover import resolve

        return state, resolve(state.goals[0][1], state.sigma)


def complete(prover: Any, state: Any, config: MetamathSearchConfig, *,
             max_actions: int = MAX_ACTIONS, statement: str | None = None
             ) -> tuple[list[str] | None, int]:
    """``(labels, expanded)``: a first-goal action sequence from ``state`` to a finished state
    the env would reward (None if none within ``config.max_nodes`` expansions and
    ``max_actions`` actions), and the states expanded."""
    from mathgym.envs.metamath.prover import resolve, work_vars

    if state.proved:
        return ([] if kernel_proof(prover, state, statement) else None), 0

    def score(st, depth: int, path: float) -> float:
        goals = [resolve(t, st.sigma) for _, t in st.goals]
        wv: set = set()
        for t in goals:
            work_vars(t, wv)
        return (len(goals) + 0.05 * sum(_size(t) for t in goals) + 0.5 * len(wv)
                + 0.25 * depth + 0.5 * path)

    expander = _FirstGoal(prover, config.branching, config.scan)
    tie = itertools.count()
    frontier = [(score(state, 0, 0.0), next(tie), 0.0, (), state)]
    seen: set = set()
    expanded = 0
    while frontier and expanded < config.max_nodes:
        _, _, path, labels, st = heapq.heappop(frontier)
        key = tuple(prover.goal_text(st, t) for _, t in st.goals)
        if key in seen:
            continue
        seen.add(key)
        expanded += 1
        if len(labels) >= max_actions:
            continue
        for rank, label, child in expander.children(st):
            moves = (*labels, label)
            if child.proved:
                if kernel_proof(prover, child, statement) is not None:
                    return list(moves), expanded
                continue
            cpath = path + math.log2(1 + rank)
            heapq.heappush(frontier, (score(child, len(moves), cpath), next(tie), cpath, moves,
                                      child))
    return None, expanded


def improve_proof(prover: Any, text: str, config: MetamathSearchConfig,
                  statement: str | None = None) -> dict[str, Any] | None:
    """The best verified proof the search makes of the completion ``text``: ``{"actions",
    "proof", "prefix", "expanded", "from"}`` or None. ``prefix`` is how many of the response's
    actions were kept; ``from`` is ``"response"`` (already a proof), ``"prefix"`` or ``"start"``."""
    replay = replay_text(prover, text)
    starts = [("prefix", replay.actions, replay.state)]
    if config.restart and replay.actions:
        starts.append(("start", [], prover.initial_state()))
    expanded = 0
    for where, prefix, state in starts:
        found, n = complete(prover, state, config, max_actions=MAX_ACTIONS - len(prefix),
                            statement=statement)
        expanded += n
        if found is None:
            continue
        actions = list(prefix) + found
        # the target's own text, replayed and verified: what the trainer will score
        again = replay_text(prover, render_actions(actions))
        proof = kernel_proof(prover, again.state, statement)
        if proof is None or again.actions != actions:
            continue
        kept = len(prefix)
        return {"actions": actions, "proof": " ".join(proof), "prefix": kept,
                "expanded": expanded,
                "from": "response" if where == "prefix" and not found else where}
    return None


def render_actions(actions: Sequence[str]) -> str:
    """A proof in the model's text form: one Metamath-v0 text action per line."""
    return "\n".join(actions)


class MetamathSearchImprover(Improver):
    """Best-first completion of the policy's partial Metamath proofs; see the module doc.

    Tasks: ``family="metamath"``, ``data["theorem"]`` (or ``data["label"]``) the ``$p`` label
    and, optionally, ``data["statement"]`` its ``|-`` text (a database stating something else
    gives no target), ``data["database"]`` a database path (else ``config.database``).
    """

    name: ClassVar[str] = "mm_search"

    def __init__(self, config: MetamathSearchConfig | None = None) -> None:
        self.config = config or MetamathSearchConfig()
        self._provers: dict[tuple[str, str], Any] = {}

    def prover(self, task: Task) -> Any:
        """The env's prover of the task's theorem (cached per database and label)."""
        from mathgym.envs.metamath.benchmarks import database_path
        from mathgym.envs.metamath.library import load_library
        from mathgym.envs.metamath.prover import Prover

        label = task.data.get("theorem", task.data.get("label"))
        if not isinstance(label, str) or not label:
            raise ValueError("a Metamath task needs its theorem label: task.data['theorem'] "
                             "(a formal/metamath-* instance's data has it)")
        database = task.data.get("database") or self.config.database or database_path()
        key = (str(database), label)
        got = self._provers.get(key)
        if got is None:
            got = self._provers[key] = Prover(load_library(database), label)
        return got

    def improve(self, prompts, responses, rewards, context: ImproveContext
                ) -> list[ImprovedSample]:
        G = context.group_size
        n = check_batch(prompts, responses, rewards, G)
        out = []
        for g in range(n):
            task = context.tasks[g]
            if task.family != "metamath":
                raise ValueError(f"MetamathSearchImprover needs Metamath tasks; group {g} is "
                                 f"{task.family!r}")
            group_rewards = [float(r) for r in rewards[g * G:(g + 1) * G]]
            if not self.config.improve_solved and max(group_rewards) >= context.success:
                continue
            prover = self.prover(task)
            statement = task.data.get("statement")
            best: dict[str, Any] | None = None
            best_from = -1
            seen: set[str] = set()
            for j in range(G):
                text = context.decode(responses[g * G + j])
                key = "\n".join(proof_lines(text))
                if key in seen:
                    continue
                seen.add(key)
                found = improve_proof(prover, text, self.config, statement)
                if found is not None and (best is None
                                          or len(found["actions"]) < len(best["actions"])):
                    best, best_from = found, j
            if best is None:
                continue
            target = search_target(g, prompts[g], self.target_ids(best["actions"], context),
                                   group_rewards, context, loss=self.config.loss,
                                   source=self.name, info={**best, "from_response": best_from})
            if target is not None:
                out.append(target)
        return out

    @staticmethod
    def target_ids(actions: Sequence[str], context: ImproveContext) -> list[int]:
        """The proof as the model emits it (one action per line), tokenised, then EOS."""
        return context.encode(render_actions(actions)) + [context.eos_token_id]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self.config.__dict__}
