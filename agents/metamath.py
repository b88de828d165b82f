"""Baseline Metamath prover: best-first search over Metamath-v0 proof states.

Each node is an immutable :class:`~mathgym.envs.metamath.prover.ProofState`. Expanding a node
works on its most constrained open goal (fewest work-variable occurrences, then largest) and
applies, in rank order: the theorem's own hypotheses; every library label without hypotheses
whose conclusion matches (closing moves, up to ``scan``, most *specific* first); and
``branching`` labels with hypotheses, half by train-split usage and half by specificity.
Specificity (:func:`match_score`) counts the syntax nodes of a label's conclusion that meet
the same node of the goal, so a rarely used but exactly fitting lemma (``pfxf`` as the middle
term of ``syl``) ranks above generic ones. The frontier is ordered by, lower first::

    score = open_goals + 0.05 * (syntax-tree nodes of all open goals)
            + 0.5 * work_variables_left + 0.25 * depth + 0.5 * sum(log2(1 + move rank))

States with the same set of goals are expanded once. One unit of budget (``search_nodes``) is
one expanded node. A finished state counts only when its assembled proof passes the kernel
(if leftover work variables became dummies lacking a ``$d``, other distinct dummies are
tried); the certificate is that proof (normal Metamath format). Only statements before the
theorem are used, and only those the usage rule allows (the prover enforces it: the axiom
closure of the theorem's own set.mm proof, no ``...BAD`` or discouraged statements); stored
proofs are never read. The cost of a found proof is at least its number of ``|-`` steps (each
is one move on the path to it, and every state on that path was expanded), which is the
benchmarks' ``min_cost``.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from typing import Any

from mathgym.harness.agent import Agent, Attempt


def _size(tree: tuple) -> int:
    return 1 + sum(_size(c) for c in tree[1:])


def _work_count(tree: tuple) -> int:
    """Occurrences of work variables in a resolved tree."""
    return (tree[0][0] == "&") + sum(_work_count(c) for c in tree[1:])


def match_score(pattern: tuple, goal: tuple, float_var: dict, binding: dict) -> int:
    """How specifically a library conclusion fits a goal: -1 if it cannot match.

    One-way match of ``pattern`` (``$f`` leaves are variables) against the resolved ``goal``
    (its work variables match anything); the score is the number of the pattern's syntax
    nodes that meet the same node of the goal, i.e. how many constants of the goal the label
    explains. ``pfxf`` matched against ``( ( S e. Word V /\\ ... ) -> &W1 )`` scores far
    higher than the generic ``simpl``, which is what lets a rarely used lemma win.
    """
    head = pattern[0]
    if len(pattern) == 1 and head in float_var:
        prev = binding.get(head)
        if prev is None:
            binding[head] = goal
            return 0
        if prev == goal or _has_work(prev) or _has_work(goal):
            return 0
        return -1
    if goal[0][0] == "&":
        return 0
    if head != goal[0] or len(pattern) != len(goal):
        return -1
    total = 1
    for p, q in zip(pattern[1:], goal[1:], strict=True):
        s = match_score(p, q, float_var, binding)
        if s < 0:
            return -1
        total += s
    return total


def _has_work(tree: tuple) -> bool:
    return tree[0][0] == "&" or any(_has_work(c) for c in tree[1:])


class _Expander:
    """Children of a proof state, for the goal the search should work on next.

    Goal choice: the open goal with the fewest work-variable occurrences (then the largest),
    so a ``syl``'s middle term gets fixed by the more constrained side first. Moves, in rank
    order: the theorem's own hypotheses; every library label with no hypotheses of its own
    that matches (closing moves, up to ``scan`` of them, most specific first); then
    ``branching`` labels with hypotheses: half by train-split usage, the rest by specificity.
    Rankings are cached per goal.
    """

    def __init__(self, prover, branching: int, scan: int) -> None:
        self.prover = prover
        self.branching = branching
        self.scan = scan
        self.cache: dict = {}

    def pick(self, state):
        from mathgym.envs.metamath.prover import resolve

        best = None
        for i, (_, t) in enumerate(state.goals):
            r = resolve(t, state.sigma)
            key = (r[0][0] == "&", _work_count(r), -_size(r), i)
            if best is None or key < best[0]:
                best = (key, i, r)
        _, i, goal = best
        if i:
            goals = (state.goals[i],) + state.goals[:i] + state.goals[i + 1 :]
            state = dataclasses.replace(state, goals=goals)
        return state, goal

    def ranked(self, goal: tuple) -> tuple:
        got = self.cache.get(goal)
        if got is not None:
            return got
        prover = self.prover
        lib = prover.lib
        labels = prover.db.labels
        float_var = prover.grammar.float_var
        pool = prover._pool(goal)
        closers: list = []
        rules: list = []
        # a bare work-variable goal matches every label: scan only the most used ones
        limit = 20 * self.scan if goal[0][0] == "&" else len(pool)
        for pos, lab in enumerate(pool):
            if pos >= limit:
                break
            s = match_score(lib.concl[lab], goal, float_var, {})
            if s < 0:
                continue
            (rules if labels[lab].essentials else closers).append((-s, pos, lab))
        closers.sort()
        closers = [lab for _, _, lab in closers[: self.scan]]
        half = self.branching // 2
        by_usage = [lab for _, _, lab in rules[:half]]
        taken = set(by_usage)
        rules.sort()
        by_spec = [lab for _, _, lab in rules if lab not in taken][: self.branching - half]
        # interleave so both kinds get small ranks
        mixed: list = []
        for a, b in itertools.zip_longest(by_usage, by_spec):
            mixed.extend(x for x in (b, a) if x is not None)
        got = self.cache[goal] = (tuple(closers), tuple(mixed))
        return got

    def children(self, state) -> list:
        """``(rank, label, child)`` for the chosen goal (rank 0 = most promising)."""
        from mathgym.envs.metamath.prover import ActionError

        prover = self.prover
        state, goal = self.pick(state)
        out = []
        for h in prover.hyps:
            try:
                out.append((0, h, prover.apply(state, h)))
            except ActionError:
                pass
        closers, rules = self.ranked(goal)
        n_open = len(state.goals)
        for rank, lab in enumerate(closers):
            try:
                child = prover.apply(state, lab)
            except ActionError:
                continue
            out.append((rank if len(child.goals) < n_open else rank + 4, lab, child))
        for rank, lab in enumerate(rules):
            try:
                child = prover.apply(state, lab)
            except ActionError:
                continue
            out.append((rank + 1, lab, child))
        return out


def best_first_search(
    prover, budget: int, branching: int = 24, scan: int = 400,
    weights: tuple = (1.0, 0.05, 0.5, 0.25, 0.5),
) -> dict:
    """Search from the prover's initial state; returns solved, proof, expanded and reason.

    Frontier cost (lower first): ``w_goals * open goals + w_size * goal tree nodes +
    w_work * work variables + w_depth * depth + w_rank * sum of log2(1 + move rank)`` along
    the path, so specific, highly ranked moves are explored first.
    """
    from mathgym.envs.metamath.prover import ActionError, resolve, work_vars
    from mathgym.verifiers.metamath.database import MetamathError
    from mathgym.verifiers.metamath.kernel import check_proof

    w_goals, w_size, w_work, w_depth, w_rank = weights

    def score(state, depth: int, path: float) -> float:
        goals = [resolve(t, state.sigma) for _, t in state.goals]
        size = sum(_size(t) for t in goals)
        wv: set = set()
        for t in goals:
            work_vars(t, wv)
        return (
            w_goals * len(goals) + w_size * size + w_work * len(wv) + w_depth * depth
            + w_rank * path
        )

    expander = _Expander(prover, branching, scan)
    tie = itertools.count()
    start = prover.initial_state()
    frontier = [(score(start, 0, 0.0), next(tie), 0, 0.0, start)]
    seen: set = set()
    expanded = 0
    last_error = "search budget exhausted"
    while frontier and expanded < budget:
        _, _, depth, path, state = heapq.heappop(frontier)
        key = tuple(sorted(prover.goal_text(state, t) for _, t in state.goals))
        if key in seen:
            continue
        seen.add(key)
        expanded += 1
        for rank, _label, child in expander.children(state):
            if child.proved:
                proof = None
                for final in _dummy_choices(prover, child):
                    try:
                        proof = prover.assemble_proof(final)
                        check_proof(prover.db, prover.thm, tuple(proof), prover.lib.rule)
                        break
                    except (ActionError, MetamathError) as err:
                        last_error = str(err)
                        proof = None
                if proof is None:
                    continue
                return {"solved": True, "proof": " ".join(proof), "expanded": expanded}
            cpath = path + math.log2(1 + rank)
            heapq.heappush(
                frontier,
                (score(child, depth + 1, cpath), next(tie), depth + 1, cpath, child),
            )
    if not frontier:
        last_error = "search space exhausted"
    return {"solved": False, "proof": None, "expanded": expanded, "reason": last_error}


def _dummy_choices(prover, state, tries: int = 24):
    """The finished ``state``, then variants fixing its leftover work variables differently.

    Work variables nothing constrained (bound variables of a definition, say) become dummy
    variables of the theorem. The prover's default picks the first unused ones, which may
    lack the ``$d`` conditions the kernel then demands; these variants try unused variables
    with the most ``$d`` pairs in the theorem's frame first, all distinct.
    """
    from mathgym.envs.metamath.prover import resolve

    yield state
    sigma = state.sigma
    leftover = sorted((w for w in state.work_types if w not in sigma), key=lambda w: (len(w), w))
    if not leftover:
        return
    g = prover.grammar
    used: set = set()
    node = state.steps
    while node is not None:
        step, node = node
        for t in step[2].values():
            prover._vars(resolve(t, sigma), used)
    prover._vars(prover.goal_tree, used)
    codes = prover.db.codes
    degree: dict = {}
    for a, b in prover.thm.frame_dv:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    spare: dict = {}
    for f in prover.active_floats:
        var = g.float_var[f]
        if var not in used and prover.var_floats.get(var) == f:
            spare.setdefault(g.float_type[f], []).append(f)
    for pool in spare.values():
        pool.sort(key=lambda f: -degree.get(codes[g.float_var[f]], 0))  # stable: file order
    count = 0

    def assign(i: int, taken: tuple):
        nonlocal count
        if count >= tries:
            return
        if i == len(leftover):
            count += 1
            extra = {w: (f,) for w, f in zip(leftover, taken, strict=True)}
            yield dataclasses.replace(state, sigma={**sigma, **extra})
            return
        for f in spare.get(state.work_types[leftover[i]], ()):
            if f not in taken:
                yield from assign(i + 1, (*taken, f))
                if count >= tries:
                    return

    yield from assign(0, ())


class MetamathBestFirstAgent(Agent):
    """Best-first backward proof search (the Metamath baseline); budget = expanded nodes.

    Version history: 1 ranked candidates by usage only; 2 ranks by specificity too, picks the
    most constrained goal, adds the move-rank cost and retries dummy variables for ``$d``.
    """

    name = "metamath-best-first"
    version = "3"  # 3: candidates follow the usage rule (docs/metamath.md)

    def __init__(self, *, branching: int = 24, scan: int = 400) -> None:
        if branching < 1 or scan < 1:
            raise ValueError("branching and scan must be positive")
        super().__init__(branching=branching, scan=scan)
        self.branching = branching
        self.scan = scan

    def supports(self, benchmark: Any) -> bool:
        """Metamath benchmarks only (their instances carry a theorem label)."""
        return benchmark.id.startswith("formal/metamath")

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        """Search for a proof of ``instance.data["theorem"]`` (deterministic; seed unused)."""
        from mathgym.envs.metamath.library import load_library
        from mathgym.envs.metamath.prover import Prover

        lib = load_library(instance.data.get("database") or _default_db())
        prover = Prover(lib, instance.data["theorem"])
        result = best_first_search(prover, int(budget), self.branching, self.scan)
        info = {"expanded": result["expanded"]}
        if not result["solved"]:
            info["reason"] = result["reason"]
        return Attempt(
            solved=result["solved"],
            certificate={"proof": result["proof"]} if result["solved"] else None,
            cost=float(result["expanded"]),
            info=info,
        )


def _default_db() -> str:
    from mathgym.verifiers.metamath.database import DEFAULT_DATABASE

    return DEFAULT_DATABASE


AGENTS: dict[str, type] = {MetamathBestFirstAgent.name: MetamathBestFirstAgent}
