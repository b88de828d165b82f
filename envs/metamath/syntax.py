"""Syntax trees for Metamath expressions, from the database's own syntax axioms.

A set.mm expression such as ``|- ( ph -> ps )`` is a string of symbols; backward proving needs
it as a tree, because unification of strings is ambiguous. The grammar is read off the syntax
axioms (``$a`` statements whose typecode is a variable type such as ``wff`` or ``class``) and
expressions are parsed with a memoised (packrat) recursive descent.

Trees are tuples ``(label, *children)``:

* ``label`` a syntax axiom (``wi``, ``cv``, ``wtru``...), children in the axiom's hypothesis
  order, so the post-order of a tree *is* its Metamath syntax proof;
* ``(flabel,)`` with ``flabel`` a ``$f`` label: a variable of the theorem (``wph``, ``vx``);
* ``(name,)`` with ``name`` starting ``&``: a work variable (``&W1`` wff, ``&C1`` class,
  ``&S1`` setvar), a placeholder the prover has not yet fixed.
"""

from __future__ import annotations

from mathgym.verifiers.metamath.database import Assertion, Database, Hypothesis

#: Work-variable name prefix per syntax typecode (GPT-f style); others use ``&<typecode>``.
WORK_PREFIX = {"wff": "&W", "class": "&C", "setvar": "&S"}


class ExpressionSyntaxError(ValueError):
    """An expression that does not parse in the database's grammar (message says where)."""


class Grammar:
    """The syntax axioms of a database, indexed for parsing, printing and proof output."""

    def __init__(self, db: Database, provable: str = "|-", body_type: str = "wff") -> None:
        self.db = db
        self.provable = provable
        self.body_type = body_type
        sym = db.symbols
        # typecode of every $f label and its variable's text
        self.float_type: dict[str, str] = {}
        self.float_var: dict[str, str] = {}
        self.var_floats: dict[str, list] = {}  # variable text -> [$f labels] (scoped reuse)
        for lab in db.order:
            obj = db.labels[lab]
            if isinstance(obj, Hypothesis) and obj.kind == "$f":
                tc, var = db.decode(obj.expr)
                self.float_type[lab] = tc
                self.float_var[lab] = var
                self.var_floats.setdefault(var, []).append(lab)
        self.types = set(self.float_type.values())
        # syntax axioms: label -> (typecode, pattern); pattern items are str constants or
        # int child positions
        self.axioms: dict[str, tuple] = {}
        self.by_first: dict[tuple, list] = {}
        self.var_first: dict[str, list] = {}
        self.axiom_consts: dict[str, frozenset] = {}
        for lab in db.order:
            obj = db.labels[lab]
            if not isinstance(obj, Assertion) or obj.kind != "$a" or obj.essentials:
                continue
            syms = db.decode(obj.expr)
            tc = syms[0]
            if tc not in self.types:
                continue
            slot_of = {db.symbols[v]: k for k, v in enumerate(obj.float_vars)}
            pattern = tuple(slot_of.get(s, s) for s in syms[1:])
            child_types = tuple(
                sym[memoryview(db.labels[h].expr).cast("H")[0]] for h in obj.hyps
            )
            self.axioms[lab] = (tc, pattern, child_types)
            self.axiom_consts[lab] = frozenset(x for x in pattern if isinstance(x, str))
            first = pattern[0] if pattern else None
            if isinstance(first, str):
                self.by_first.setdefault((tc, first), []).append(lab)
            else:
                self.var_first.setdefault(tc, []).append(lab)

    # ----------------------------------------------------------------- printing / types
    def type_of(self, tree: tuple, work_types: dict) -> str:
        """The syntax typecode of a tree."""
        head = tree[0]
        if head in self.axioms:
            return self.axioms[head][0]
        if head in self.float_type:
            return self.float_type[head]
        return work_types[head]

    def tokens(self, tree: tuple, out: list | None = None) -> list:
        """The symbols of a tree (work variables printed by name)."""
        if out is None:
            out = []
        head = tree[0]
        ax = self.axioms.get(head)
        if ax is None:
            out.append(self.float_var.get(head, head))
            return out
        for item in ax[1]:
            if isinstance(item, str):
                out.append(item)
            else:
                self.tokens(tree[1 + item], out)
        return out

    def text(self, tree: tuple) -> str:
        """A tree as Metamath text (without typecode)."""
        return " ".join(self.tokens(tree))

    def syntax_proof(self, tree: tuple, out: list) -> None:
        """Append the post-order labels proving ``tree`` (must contain no work variables)."""
        for child in tree[1:]:
            self.syntax_proof(child, out)
        out.append(tree[0])

    # ----------------------------------------------------------------- parsing
    def parse(self, symbols: list, typecode: str, var_floats: dict, work_types: dict) -> tuple:
        """Parse ``symbols`` as one ``typecode`` tree.

        ``var_floats`` maps each usable variable's text to its ``$f`` label; ``work_types``
        maps usable work-variable names to their typecodes. Raises :class:`ExpressionSyntaxError`.
        """
        n = len(symbols)
        memo: dict = {}
        axioms = self.axioms
        by_first = self.by_first
        var_first = self.var_first
        float_type = self.float_type
        present = set(symbols)
        axiom_consts = self.axiom_consts

        def parse_at(tc: str, i: int) -> list:
            key = (tc, i)
            got = memo.get(key)
            if got is not None:
                return got
            memo[key] = []  # left-recursion guard
            results: list = []
            if i < n:
                s = symbols[i]
                fl = var_floats.get(s)
                if fl is not None and float_type[fl] == tc:
                    results.append(((fl,), i + 1))
                elif s in work_types and work_types[s] == tc:
                    results.append(((s,), i + 1))
                cands = by_first.get((tc, s), [])
                for lab in (*cands, *var_first.get(tc, ())):
                    if not axiom_consts[lab] <= present:
                        continue
                    _, pattern, child_types = axioms[lab]
                    states = [(i, ())]
                    for item in pattern:
                        nxt = []
                        for pos, kids in states:
                            if isinstance(item, str):
                                if pos < n and symbols[pos] == item:
                                    nxt.append((pos + 1, kids))
                            else:
                                for sub, end in parse_at(child_types[item], pos):
                                    nxt.append((end, kids + ((item, sub),)))
                        states = nxt
                        if not states:
                            break
                    for end, kids in states:
                        ordered = [None] * len(child_types)
                        for item, sub in kids:
                            ordered[item] = sub
                        results.append(((lab, *ordered), end))
            memo[key] = results
            return results

        trees = [t for t, end in parse_at(typecode, 0) if end == n]
        if not trees:
            raise ExpressionSyntaxError(
                f"{' '.join(symbols)!r} is not a {typecode} in this database's grammar "
                "(check the symbols, spacing and parentheses)"
            )
        return trees[0]
