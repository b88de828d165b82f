"""Compute graphs of the program-synthesis env, built node by node in prefix order.

A program is a sequence of actions: action ``i < len(OPERATORS)`` adds operator ``i``;
action ``len(OPERATORS) + j`` adds question element ``j``. Nodes fill the open argument slots
depth-first (the first open slot of the most recent operator first), so a complete sequence is
a tree in prefix (Polish) notation, e.g. ``solve, <equation>, <variable>``.

The action mask is derived from types: an action is valid when its output type fits the next
open slot and the graph can still be completed within ``max_nodes`` (the cheapest way to fill
every open slot is precomputed per problem). Evaluation walks the tree and calls the operator
functions on sympy values; nothing is built as a string or evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from mathgym.envs.reasoning.progsynth_ops import (
    OPERATORS,
    ROOT_TYPE,
    TYPES,
    Element,
    OperatorError,
    answer_text,
    compatible,
    element_from_json,
)

from mathgym.types import Problem

#: Maximum number of question elements an action can refer to.
MAX_ELEMENTS = 12


def problem_elements(problem: Problem) -> list[Element]:
    """The formal elements of ``problem`` (from ``data["elements"]``), in question order."""
    specs = problem.data.get("elements")
    if not specs:
        raise ValueError(
            f"module {problem.module} has no formal elements; use one of PROGSYNTH_MODULES"
        )
    if len(specs) > MAX_ELEMENTS:
        raise ValueError(f"{problem.module}: {len(specs)} elements exceed {MAX_ELEMENTS}")
    return [element_from_json(s) for s in specs]


def fill_costs(elements: Sequence[Element]) -> dict[str, float]:
    """Fewest nodes that can fill a slot of each type (``inf`` if impossible)."""
    cost = {t: (1.0 if any(compatible(t, e.type) for e in elements) else math.inf) for t in TYPES}
    changed = True
    while changed:
        changed = False
        for op in OPERATORS:
            c = 1.0 + sum(cost[a] for a in op.args)
            for t in TYPES:
                if compatible(t, op.out) and c < cost[t]:
                    cost[t] = c
                    changed = True
    return cost


class GraphBuilder:
    """The state of one program under construction for one problem.

    Cheap to copy (:meth:`copy`), so search agents can branch on it without an env.
    """

    def __init__(self, problem: Problem, max_nodes: int = 10) -> None:
        if problem.answer_type not in ROOT_TYPE:
            raise ValueError(
                f"answer type {problem.answer_type!r} of {problem.module} has no program type"
            )
        self.problem = problem
        self.max_nodes = max_nodes
        self.elements = problem_elements(problem)
        self.root_type = ROOT_TYPE[problem.answer_type]
        self.costs = fill_costs(self.elements)
        if self.costs[self.root_type] > max_nodes:
            raise ValueError(
                f"{problem.module}: no program of at most {max_nodes} nodes has type "
                f"{self.root_type}"
            )
        self.actions: list[int] = []
        self.slots: list[str] = [self.root_type]  # stack; the top is the next slot to fill

    @property
    def num_actions(self) -> int:
        return len(OPERATORS) + MAX_ELEMENTS

    def copy(self) -> GraphBuilder:
        new = object.__new__(GraphBuilder)
        new.__dict__.update(self.__dict__)
        new.actions = list(self.actions)
        new.slots = list(self.slots)
        return new

    @property
    def complete(self) -> bool:
        return not self.slots

    def action_mask(self) -> np.ndarray:
        """Boolean mask over all actions (all False once the graph is complete)."""
        mask = np.zeros(self.num_actions, dtype=bool)
        if not self.slots:
            return mask
        slot = self.slots[-1]
        rest = sum(self.costs[s] for s in self.slots[:-1])
        room = self.max_nodes - len(self.actions) - rest
        for i, op in enumerate(OPERATORS):
            if compatible(slot, op.out) and 1 + sum(self.costs[a] for a in op.args) <= room:
                mask[i] = True
        if room >= 1:
            base = len(OPERATORS)
            for j, e in enumerate(self.elements):
                if compatible(slot, e.type):
                    mask[base + j] = True
        return mask

    def valid_actions(self) -> list[int]:
        return [int(a) for a in np.flatnonzero(self.action_mask())]

    def apply(self, action: int) -> None:
        """Add the node of ``action``; ``ValueError`` if the mask forbids it."""
        action = int(action)
        if not (0 <= action < self.num_actions) or not self.action_mask()[action]:
            raise ValueError(f"action {action} is not valid here (see action_mask())")
        self.slots.pop()
        self.actions.append(action)
        if action < len(OPERATORS):
            self.slots.extend(reversed(OPERATORS[action].args))

    # ------------------------------------------------------------------ evaluation
    def _tree(self, pos: int) -> tuple[Any, int]:
        a = self.actions[pos]
        if a >= len(OPERATORS):
            return ("elem", a - len(OPERATORS)), pos + 1
        children = []
        nxt = pos + 1
        for _ in OPERATORS[a].args:
            child, nxt = self._tree(nxt)
            children.append(child)
        return ("op", a, children), nxt

    def _eval(self, node: Any) -> Any:
        if node[0] == "elem":
            return self.elements[node[1]].value
        op = OPERATORS[node[1]]
        return op.fn(*[self._eval(c) for c in node[2]])

    def evaluate(self) -> Any:
        """The program's value; :class:`OperatorError` when an operator refuses its inputs."""
        if not self.complete:
            raise ValueError("the graph is incomplete")
        tree, _ = self._tree(0)
        try:
            return self._eval(tree)
        except OperatorError:
            raise
        except (ValueError, TypeError, ArithmeticError, NotImplementedError) as err:
            raise OperatorError(f"{type(err).__name__}: {err}") from err
        except Exception as err:  # sympy raises its own exception classes
            raise OperatorError(f"{type(err).__name__}: {err}") from err

    def answer(self) -> str | None:
        """The program's value as answer text, or ``None`` if evaluation fails."""
        try:
            value = self.evaluate()
        except OperatorError:
            return None
        return answer_text(value, self._root_value_type(), self.problem.answer_type)

    def _root_value_type(self) -> str:
        a = self.actions[0]
        return OPERATORS[a].out if a < len(OPERATORS) else self.elements[a - len(OPERATORS)].type

    # ------------------------------------------------------------------ text
    def text(self) -> str:
        """The program as nested calls with ``?`` for open slots."""
        if not self.actions:
            return "?"
        out: list[str] = []

        def walk(pos: int) -> int:
            if pos >= len(self.actions):
                out.append("?")
                return pos
            a = self.actions[pos]
            if a >= len(OPERATORS):
                out.append(self.elements[a - len(OPERATORS)].text)
                return pos + 1
            op = OPERATORS[a]
            out.append(op.name + "(")
            nxt = pos + 1
            for i in range(len(op.args)):
                if i:
                    out.append(", ")
                nxt = walk(nxt)
            out.append(")")
            return nxt

        walk(0)
        return "".join(out)
