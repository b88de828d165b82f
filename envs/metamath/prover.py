"""Backward-proving core of Metamath-v0: proof states, unification, steps, proof assembly.

A :class:`ProofState` is immutable, so search agents can branch from any state. Applying a
theorem label to the first open goal:

1. every variable of the label's frame becomes a fresh work variable (``&W1``, ``&C2``...),
   unless the action gives ``var := expr``;
2. the instantiated conclusion is unified with the goal (first-order, on syntax trees, both
   sides may contain work variables, occurs check, typecodes respected);
3. the label's mandatory ``$d`` pairs are checked against the theorem's frame wherever both
   sides are already free of work variables;
4. the instantiated ``$e`` hypotheses replace the goal (depth-first order).

Syntax goals (``wff``/``class``/``setvar``) never appear: their proofs are the syntax trees.
When no goal is left, :func:`assemble_proof` writes a normal (uncompressed) Metamath proof;
work variables still unassigned become unused variables of the right type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mathgym.envs.metamath.library import Library
from mathgym.envs.metamath.syntax import WORK_PREFIX, ExpressionSyntaxError
from mathgym.verifiers.metamath.database import Assertion


class ActionError(ValueError):
    """An action that cannot be applied to the current goal (the state stays unchanged)."""


@dataclass(frozen=True)
class ProofState:
    """Open goals (first = current), work-variable bindings and the steps taken so far."""

    goals: tuple  # ((goal_id, tree), ...)
    sigma: dict = field(default_factory=dict)  # work var -> tree (never mutated after creation)
    work_types: dict = field(default_factory=dict)  # work var -> typecode
    steps: tuple | None = None  # linked list: ((goal_id, label, mapping, child_ids), prev)
    next_goal: int = 1
    next_work: int = 1

    @property
    def proved(self) -> bool:
        """True when no goal is open."""
        return not self.goals


def walk(tree: tuple, sigma: dict) -> tuple:
    """Follow work-variable bindings at the root."""
    while tree[0][0] == "&" and tree[0] in sigma:
        tree = sigma[tree[0]]
    return tree


def resolve(tree: tuple, sigma: dict) -> tuple:
    """``tree`` with every bound work variable replaced, recursively."""
    tree = walk(tree, sigma)
    if len(tree) == 1:
        return tree
    return (tree[0], *(resolve(c, sigma) for c in tree[1:]))


def work_vars(tree: tuple, out: set) -> set:
    """Add the work variables of a (resolved) tree to ``out``."""
    if tree[0][0] == "&":
        out.add(tree[0])
    for c in tree[1:]:
        work_vars(c, out)
    return out


def instantiate(tree: tuple, mapping: dict) -> tuple:
    """Replace leaves named in ``mapping`` (``$f`` label -> tree)."""
    if len(tree) == 1:
        return mapping.get(tree[0], tree)
    return (tree[0], *(instantiate(c, mapping) for c in tree[1:]))


class Prover:
    """Proves one ``$p`` theorem backwards with the statements before it."""

    def __init__(self, lib: Library, label: str) -> None:
        self.lib = lib
        self.db = lib.db
        self.grammar = lib.grammar
        self.thm: Assertion = lib.theorem(label)
        self.label = label
        db = self.db
        g = self.grammar
        # the frame: its $e hypotheses and every $f active at the theorem
        self.hyps = [h for h in self.thm.hyps if db.labels[h].kind == "$e"]
        self.hyp_trees = {h: lib.hyp_tree(h, self.thm) for h in self.hyps}
        idx = self.thm.index
        self.active_floats = [
            lab
            for lab, obj in db.labels.items()
            if getattr(obj, "kind", "") == "$f" and obj.index < idx < obj.end
        ]
        self.active_floats.sort(key=lambda lab: db.labels[lab].index)
        self.var_floats = {g.float_var[f]: f for f in self.active_floats}
        for f in self.thm.hyps:  # the theorem's own mandatory $f win
            if db.labels[f].kind == "$f":
                self.var_floats[g.float_var[f]] = f
        self.mandatory_floats = {f for f in self.thm.hyps if db.labels[f].kind == "$f"}
        self.goal_tree = lib.concl[label]
        self.allowed = lib.rule.allowed_bits(label)  # the |- axioms a proof of it may rest on
        self._pool_cache: dict = {}

    # ------------------------------------------------------------------ states
    def initial_state(self) -> ProofState:
        """The state whose only goal is the theorem's conclusion."""
        return ProofState(goals=((0, self.goal_tree),))

    def goal_text(self, state: ProofState, tree: tuple) -> str:
        """``|- expr`` of a goal with bindings applied."""
        return f"{self.grammar.provable} {self.grammar.text(resolve(tree, state.sigma))}"

    def observation(self, state: ProofState) -> str:
        """Text: one ``goal |- ...`` line per open goal (current first), then hypotheses."""
        lines = [f"goal {self.goal_text(state, t)}" for _, t in state.goals]
        for h in self.hyps:
            lines.append(f"hyp {h} {self.grammar.provable} {self.grammar.text(self.hyp_trees[h])}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ unification
    def _type_of(self, tree: tuple, work_types: dict) -> str:
        return self.grammar.type_of(tree, work_types)

    def unify(self, a: tuple, b: tuple, sigma: dict, work_types: dict) -> dict | None:
        """An extension of ``sigma`` unifying ``a`` and ``b``, or ``None``."""
        sigma = dict(sigma)
        todo = [(a, b)]
        while todo:
            x, y = todo.pop()
            x = walk(x, sigma)
            y = walk(y, sigma)
            if x is y or x == y:
                continue
            if x[0][0] != "&" and y[0][0] == "&":
                x, y = y, x
            if x[0][0] == "&":
                if len(x) != 1:
                    return None
                t = resolve(y, sigma)
                if x[0] in work_vars(t, set()):
                    return None
                if self._type_of(t, work_types) != work_types[x[0]]:
                    return None
                sigma[x[0]] = t
                continue
            if x[0] != y[0] or len(x) != len(y):
                return None
            todo.extend(zip(x[1:], y[1:], strict=True))
        return sigma

    # ------------------------------------------------------------------ actions
    def parse_action(self, text: str) -> tuple[str, dict]:
        """``"label"`` or ``"label ; var := expr ; var := expr"`` -> (label, {var: text})."""
        parts = [p.strip() for p in text.split(";")]
        label = parts[0]
        if not label or " " in label:
            raise ActionError(
                f"action {text!r} must start with one theorem label, e.g. 'syl' or "
                "'ax-mp ; ph := ( ps -> ch )'"
            )
        subs: dict = {}
        for p in parts[1:]:
            if not p:
                continue
            if ":=" not in p:
                raise ActionError(f"substitution {p!r} must look like 'var := expr'")
            var, expr = (s.strip() for s in p.split(":=", 1))
            if var in subs:
                raise ActionError(f"variable {var!r} is substituted twice")
            subs[var] = expr
        return label, subs

    def usable(self, label: str) -> str | None:
        """Why ``label`` cannot be used in this proof, or ``None`` if it can."""
        obj = self.db.labels.get(label)
        if label in self.hyp_trees:
            return None
        if obj is None:
            return f"unknown label {label!r}"
        if not isinstance(obj, Assertion):
            return f"{label!r} is a hypothesis not of this theorem (use one of {self.hyps})"
        if obj.index >= self.thm.index:
            return f"{label!r} comes at or after {self.label!r}; only earlier statements count"
        if label not in self.lib.concl:
            return f"{label!r} is a syntax axiom; syntax goals are discharged automatically"
        return self.lib.rule.why_not(self.thm, obj, self.allowed)

    def apply(self, state: ProofState, label: str, subs: dict | None = None) -> ProofState:
        """The state after applying ``label`` to the first goal; raises :class:`ActionError`."""
        if not state.goals:
            raise ActionError("the theorem is already proved")
        why = self.usable(label)
        if why:
            raise ActionError(why)
        subs = subs or {}
        goal_id, goal = state.goals[0]
        sigma = state.sigma
        work_types = dict(state.work_types)
        next_work = state.next_work
        if label in self.hyp_trees:
            if subs:
                raise ActionError(f"hypothesis {label!r} takes no substitutions")
            new = self.unify(self.hyp_trees[label], goal, sigma, work_types)
            if new is None:
                raise ActionError(f"hypothesis {label!r} does not match the goal")
            mapping: dict = {}
            children: list = []
        else:
            obj = self.db.labels[label]
            g = self.grammar
            floats = [h for h in obj.hyps if self.db.labels[h].kind == "$f"]
            names = {g.float_var[h]: h for h in floats}
            unknown = [v for v in subs if v not in names]
            if unknown:
                raise ActionError(
                    f"{label!r} has no variable {unknown[0]!r}; its variables are "
                    f"{sorted(names)}"
                )
            mapping = {}
            for h in floats:
                var = g.float_var[h]
                if var in subs:
                    try:
                        mapping[h] = g.parse(
                            subs[var].split(), g.float_type[h], self.var_floats, work_types
                        )
                    except ExpressionSyntaxError as err:
                        raise ActionError(f"substitution for {var!r}: {err}") from None
                else:
                    tc = g.float_type[h]
                    name = f"{WORK_PREFIX.get(tc, '&' + tc)}{next_work}"
                    next_work += 1
                    work_types[name] = tc
                    mapping[h] = (name,)
            concl = instantiate(self.lib.concl[label], mapping)
            new = self.unify(concl, goal, sigma, work_types)
            if new is None:
                raise ActionError(f"the conclusion of {label!r} does not unify with the goal")
            dv_error = self._check_dv(obj, mapping, new)
            if dv_error:
                raise ActionError(dv_error)
            children = []
            for h in obj.hyps:
                if self.db.labels[h].kind == "$e":
                    children.append(instantiate(self.lib.hyp_tree(h, obj), mapping))
        ids = tuple(range(state.next_goal, state.next_goal + len(children)))
        goals = tuple(zip(ids, children, strict=True)) + state.goals[1:]
        return ProofState(
            goals=goals,
            sigma=new,
            work_types=work_types,
            steps=((goal_id, label, mapping, ids), state.steps),
            next_goal=state.next_goal + len(children),
            next_work=next_work,
        )

    def _vars(self, tree: tuple, out: set) -> set:
        if len(tree) == 1 and tree[0] in self.grammar.float_var:
            out.add(self.grammar.float_var[tree[0]])
        for c in tree[1:]:
            self._vars(c, out)
        return out

    def _check_dv(self, obj: Assertion, mapping: dict, sigma: dict) -> str | None:
        """A violated ``$d`` of ``obj`` under the (ground parts of the) substitution."""
        if not obj.dv:
            return None
        db = self.db
        g = self.grammar
        floats = [h for h in obj.hyps if db.labels[h].kind == "$f"]
        frame = self.thm.frame_dv
        codes = db.codes
        for si, sj in obj.dv:
            ti = resolve(mapping[floats[si]], sigma)
            tj = resolve(mapping[floats[sj]], sigma)
            for a in self._vars(ti, set()):
                for b in self._vars(tj, set()):
                    ca, cb = codes[a], codes[b]
                    if a == b or (min(ca, cb), max(ca, cb)) not in frame:
                        return (
                            f"{obj.label!r} requires $d {g.float_var[floats[si]]} "
                            f"{g.float_var[floats[sj]]}, which {a} and {b} violate in "
                            f"{self.label!r}'s frame"
                        )
        return None

    # ------------------------------------------------------------------ candidates
    def candidates(self, state: ProofState, limit: int) -> list:
        """Up to ``limit`` labels applicable to the first goal (hyps first, then by usage)."""
        return [lab for lab, _ in self.successors(state, limit)]

    def successors(self, state: ProofState, limit: int, scan: int | None = None) -> list:
        """Up to ``limit`` (label, next state) pairs for the first goal, in candidate order.

        With ``scan``, up to ``scan`` library labels that may match are tried: every one that
        closes the goal outright (no new goals) is kept even beyond ``limit`` (search agents
        want those), the others only while fewer than ``limit`` are kept. Without ``scan``,
        the first ``limit`` applicable labels are returned (the env's candidate list).
        """
        if not state.goals:
            return []
        goal = resolve(state.goals[0][1], state.sigma)
        out = []
        for h in self.hyps:
            try:
                out.append((h, self.apply(state, h)))
            except ActionError:
                pass
        tried = 0
        n_open = len(state.goals)
        kept_open = len(out)
        for lab in self._pool(goal):
            if scan is None:
                if len(out) >= limit:
                    break
            elif tried >= scan:
                break
            if not self._could_match(self.lib.concl[lab], goal, {}):
                continue
            tried += 1
            if scan is not None and kept_open >= limit and self.db.labels[lab].essentials:
                continue
            try:
                child = self.apply(state, lab)
            except ActionError:
                continue
            if len(child.goals) < n_open:
                out.append((lab, child))
            elif scan is None or kept_open < limit:
                out.append((lab, child))
                kept_open += 1
        return out if scan is not None else out[:limit]

    def _pool(self, goal: tuple) -> list:
        """Labels the usage rule allows whose conclusion's top two levels fit ``goal``.

        Sorted by train-split usage (descending), then database order.
        """
        axioms = self.grammar.axioms

        def fits(head, want) -> bool:
            # want: axiom label, "&" (work variable: anything) or None (rigid variable)
            return want == "&" or head is None or head == want

        def want_of(t: tuple):
            return t[0] if t[0] in axioms else ("&" if t[0][0] == "&" else None)

        root = want_of(goal)
        kids = tuple(want_of(c) for c in goal[1:]) if root not in (None, "&") else ()
        key = (root, kids)
        pool = self._pool_cache.get(key)
        if pool is None:
            lib = self.lib
            labs: list = []
            for shape_root, shapes in lib.by_shape.items():
                if not fits(shape_root, root):
                    continue
                for heads, group in shapes.items():
                    if shape_root is None or root == "&" or all(
                        fits(h, w) for h, w in zip(heads, kids, strict=True)
                    ):
                        labs.extend(group)
            labels = lib.db.labels
            allows = lib.rule.allows
            thm, allowed = self.thm, self.allowed
            labs = [lab for lab in labs if allows(thm, labels[lab], allowed)]
            labs.sort(key=lambda lab: (-lib.usage.get(lab, 0), labels[lab].index))
            pool = self._pool_cache[key] = labs
        return pool

    def _could_match(self, pattern: tuple, goal: tuple, binding: dict) -> bool:
        """Cheap one-way pre-check: could ``pattern`` (its ``$f`` leaves as variables) match."""
        head = pattern[0]
        if len(pattern) == 1 and head in self.grammar.float_var:
            prev = binding.get(head)
            if prev is None:
                binding[head] = goal
                return True
            return prev == goal or _has_work(prev) or _has_work(goal)
        if goal[0][0] == "&":
            return True
        if head != goal[0] or len(pattern) != len(goal):
            return False
        return all(
            self._could_match(p, q, binding) for p, q in zip(pattern[1:], goal[1:], strict=True)
        )

    # ------------------------------------------------------------------ proof output
    def assemble_proof(self, state: ProofState) -> list:
        """The normal Metamath proof (labels) of a finished state."""
        if state.goals:
            raise ActionError(f"{len(state.goals)} goal(s) are still open")
        by_goal = {}
        node = state.steps
        while node is not None:
            step, node = node
            by_goal[step[0]] = step
        sigma = dict(state.sigma)
        # unassigned work variables -> unused variables of the same typecode
        leftover = sorted(
            (w for w in state.work_types if w not in sigma), key=lambda w: (len(w), w)
        )
        if leftover:
            g = self.grammar
            used = set()
            for step in by_goal.values():
                for t in step[2].values():
                    self._vars(resolve(t, sigma), used)
            self._vars(self.goal_tree, used)
            spare: dict = {}
            for f in self.active_floats:
                var = g.float_var[f]
                if var not in used and self.var_floats.get(var) == f:
                    spare.setdefault(g.float_type[f], []).append(f)
            for w in leftover:
                pool = spare.get(state.work_types[w])
                if not pool:
                    raise ActionError(f"no spare variable to stand for work variable {w}")
                sigma[w] = (pool.pop(0),)
        out: list = []
        g = self.grammar

        def prove(goal_id: int) -> None:
            goal_id, label, mapping, children = by_goal[goal_id]
            if label in self.hyp_trees:
                out.append(label)
                return
            obj = self.db.labels[label]
            kids = iter(children)
            for h in obj.hyps:
                if self.db.labels[h].kind == "$f":
                    g.syntax_proof(resolve(mapping[h], sigma), out)
                else:
                    prove(next(kids))
            out.append(label)

        prove(0)
        return out


def _has_work(tree: tuple) -> bool:
    if tree[0][0] == "&":
        return True
    return any(_has_work(c) for c in tree[1:])
