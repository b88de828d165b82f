"""Parse a Metamath ``.mm`` database into frames ready for fast proof checking.

Why this design: set.mm is 41 MB with ~40k assertions, and a pure-Python checker is only fast
enough when the inner loop does almost no Python-level work per symbol. So

* the text is tokenized with ``str.split`` and comments are cut with ``list.index`` (C speed);
* every math symbol is interned to a small int and every expression is stored as ``bytes`` of
  2-byte symbol codes (typecode first), so substitution is ``b"".join`` and comparison is a
  ``bytes`` equality, both in C;
* every assertion is compiled once into a :class:`Assertion`: its mandatory hypotheses, the
  templates of its hypotheses and conclusion with variable slots, and its mandatory ``$d``
  pairs as slot-index pairs.

Statement kinds: ``$c $v $f $e $d $a $p``, ``${ $}`` scoping, ``$( $)`` comments and
``$[ file $]`` inclusion (each file included once, resolved relative to the including file).
Labels share one global namespace, as the Metamath spec requires.
"""

from __future__ import annotations

import os
from array import array
from dataclasses import dataclass, field

#: Debian's set.mm (package ``metamath-databases``).
DEFAULT_DATABASE = "/usr/share/metamath/databases/set.mm"

_KEYWORDS = frozenset(
    ["$c", "$v", "$f", "$e", "$d", "$a", "$p", "${", "$}", "$=", "$.", "$(", "$)", "$[", "$]"]
)


class MetamathError(ValueError):
    """A malformed database or a proof the kernel rejects; the message says where and why."""


@dataclass(eq=False)
class Template:
    """An expression with variable slots: ``parts`` with ``None`` at each ``(pos, slot)``."""

    parts: list
    slots: tuple  # ((pos, float_slot_index), ...)

    def instantiate(self, sub: list) -> bytes:
        """The expression with slot ``k`` replaced by ``sub[k]`` (bytes without typecode)."""
        parts = self.parts.copy()
        for pos, k in self.slots:
            parts[pos] = sub[k]
        return b"".join(parts)


@dataclass(eq=False)
class Assertion:
    """A compiled ``$a`` or ``$p``: everything the checker needs to apply it in one step."""

    label: str
    kind: str  # "$a" or "$p"
    index: int  # position among all labelled statements (earlier = smaller)
    expr: bytes  # typecode + body, 2-byte symbol codes
    hyps: tuple  # mandatory hypothesis labels in order
    nhyps: int
    floats: tuple  # ((arg_index, typecode_bytes), ...) one per mandatory variable, in order
    float_vars: tuple  # variable symbol code per float slot
    essentials: tuple  # ((arg_index, Template), ...)
    conclusion: Template
    dv: tuple  # ((slot_i, slot_j), ...) mandatory distinct-variable pairs
    # Only for $p: proof tokens and the frame's full $d set (including dummy variables).
    proof: tuple = ()
    frame_dv: frozenset = frozenset()
    line_hint: int = 0


@dataclass(eq=False)
class Hypothesis:
    """A ``$f`` or ``$e`` statement."""

    label: str
    kind: str  # "$f" or "$e"
    expr: bytes
    var: int = 0  # the variable of a $f
    index: int = 0  # position among labelled statements
    end: int = 1 << 60  # position where its scope closed: active at p iff index < p < end
    codes: list = field(default_factory=list)  # symbol codes of a $e (typecode first)


@dataclass(eq=False)
class Database:
    """A parsed database: symbol tables and labelled statements in file order."""

    path: str
    symbols: list = field(default_factory=lambda: [""])  # code -> symbol text (code 0 unused)
    codes: dict = field(default_factory=dict)  # symbol text -> code
    constants: set = field(default_factory=set)  # codes
    variables: set = field(default_factory=set)  # codes (ever declared)
    labels: dict = field(default_factory=dict)  # label -> Assertion | Hypothesis
    order: list = field(default_factory=list)  # labels in file order
    comments: dict = field(default_factory=dict)  # assertion label -> preceding comment text

    @property
    def assertions(self) -> list:
        """Every ``$a``/``$p`` in file order."""
        labels = self.labels
        return [labels[lab] for lab in self.order if isinstance(labels[lab], Assertion)]

    @property
    def theorems(self) -> list:
        """Every ``$p`` in file order."""
        return [a for a in self.assertions if a.kind == "$p"]

    def decode(self, expr: bytes) -> list[str]:
        """Symbols of an encoded expression (typecode first)."""
        syms = self.symbols
        return [syms[c] for c in memoryview(expr).cast("H")]

    def encode(self, symbols: list[str]) -> bytes:
        """Encode symbol texts; raises ``MetamathError`` for an undeclared symbol."""
        try:
            return array("H", [self.codes[s] for s in symbols]).tobytes()
        except KeyError as err:
            raise MetamathError(f"undeclared math symbol {err.args[0]!r}") from None

    def format(self, expr: bytes) -> str:
        """An encoded expression as Metamath text."""
        return " ".join(self.decode(expr))


def _read_tokens(path: str, seen: set, comments: dict | None, out: list | None = None) -> list:
    """Tokens of ``path`` with comments removed and ``$[ f $]`` inclusions expanded.

    When ``comments`` is a dict, each comment's text is stored under the index (in the
    returned token list) of the token that follows it, so the parser can attach a comment to
    the statement whose label comes right after it.
    """
    real = os.path.realpath(path)
    if real in seen:
        return out if out is not None else []
    seen.add(real)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as err:
        raise MetamathError(f"cannot read Metamath database {path!r}: {err}") from None
    toks = text.split()
    if out is None:
        out = []
    if "$(" not in toks and "$[" not in toks:
        out.extend(toks)
        return out
    i = 0
    n = len(toks)
    base = os.path.dirname(path)
    while i < n:
        try:
            j = toks.index("$(", i)
        except ValueError:
            j = n
        try:
            k = toks.index("$[", i, j)
        except ValueError:
            k = -1
        if k >= 0:
            out.extend(toks[i:k])
            if k + 2 >= n or toks[k + 2] != "$]":
                raise MetamathError(f"{path}: '$[' must be followed by a file name and '$]'")
            inc = toks[k + 1]
            _read_tokens(os.path.join(base, inc), seen, comments, out)
            i = k + 3
            continue
        out.extend(toks[i:j])
        if j == n:
            break
        try:
            e = toks.index("$)", j + 1)
        except ValueError:
            raise MetamathError(f"{path}: comment '$(' is never closed with '$)'") from None
        if comments is not None:
            comments[len(out)] = " ".join(toks[j + 1 : e])
        i = e + 1
    return out


class _Scope:
    __slots__ = ("hyps", "ess", "vars", "dv", "floats_by_var")

    def __init__(self) -> None:
        self.hyps: list = []  # Hypothesis objects in order
        self.ess: list = []  # the $e among them
        self.vars: list = []  # variable codes declared here
        self.dv: list = []  # (a, b) code pairs, a < b
        self.floats_by_var: dict = {}


def parse(path: str = DEFAULT_DATABASE, keep_comments: bool = False) -> Database:
    """Parse the database at ``path``. Raises :class:`MetamathError` on malformed input."""
    comments: dict | None = {} if keep_comments else None
    toks = _read_tokens(path, set(), comments)
    db = Database(path=path)
    codes = db.codes
    symbols = db.symbols
    labels = db.labels
    order = db.order
    scopes = [_Scope()]
    active_vars: set = set()
    var_float: dict = {}  # var code -> active $f Hypothesis
    last_comment = ""
    snapshot_version = 0
    snapshot_cache: list = [-1, frozenset()]
    n = len(toks)
    i = 0
    two = 2

    def where(pos: int) -> str:
        return f"{path}: near token {pos} ({' '.join(toks[max(0, pos - 3) : pos + 4])!r})"

    def statement_end(start: int) -> int:
        try:
            return toks.index("$.", start)
        except ValueError:
            raise MetamathError(f"{where(start)}: statement is never ended with '$.'") from None

    def encode_math(start: int, end: int, label: str) -> tuple:
        syms = toks[start:end]
        try:
            cs = [codes[s] for s in syms]
        except KeyError as err:
            raise MetamathError(
                f"{where(start)}: statement {label!r} uses undeclared math symbol {err.args[0]!r}"
            ) from None
        if not cs or cs[0] not in db.constants:
            raise MetamathError(f"{where(start)}: statement {label!r} must start with a constant")
        bad = set(cs).difference(db.constants).difference(active_vars)
        if bad:
            raise MetamathError(
                f"{where(start)}: statement {label!r} uses inactive variable "
                f"{symbols[min(bad)]!r}"
            )
        return array("H", cs).tobytes(), cs

    def frame_dv() -> frozenset:
        if snapshot_cache[0] != snapshot_version:
            snapshot_cache[:] = [snapshot_version, frozenset(p for sc in scopes for p in sc.dv)]
        return snapshot_cache[1]

    def compile_assertion(label: str, kind: str, encoded: tuple, start: int) -> Assertion:
        expr, cs = encoded
        constants = db.constants
        needed = set(cs).difference(constants)
        ess = [h for sc in scopes for h in sc.ess]
        for h in ess:
            needed.update(h.codes)
        needed.difference_update(constants)
        for v in needed:
            if v not in var_float:
                raise MetamathError(
                    f"{where(start)}: variable {symbols[v]!r} of {label!r} has no active $f"
                )
        mand = sorted(ess + [var_float[v] for v in needed], key=lambda h: h.index)
        slot_of: dict = {}
        floats = []
        float_vars = []
        essentials = []
        for idx, h in enumerate(mand):
            if h.kind == "$f":
                slot_of[h.var] = len(floats)
                floats.append((idx, h.expr[:two]))
                float_vars.append(h.var)

        def template(e: bytes, ecodes) -> Template:
            parts: list = [e[:two]]
            slots = []
            run_start = two
            for p in [p for p, c in enumerate(ecodes) if c in slot_of]:
                if run_start < 2 * p:
                    parts.append(e[run_start : 2 * p])
                slots.append((len(parts), slot_of[ecodes[p]]))
                parts.append(None)
                run_start = 2 * p + 2
            if run_start < len(e):
                parts.append(e[run_start:])
            return Template(parts, tuple(slots))

        for idx, h in enumerate(mand):
            if h.kind == "$e":
                essentials.append((idx, template(h.expr, h.codes)))
        dvs = []
        for sc in scopes:
            for a, b in sc.dv:
                if a in slot_of and b in slot_of:
                    dvs.append((slot_of[a], slot_of[b]))
        return Assertion(
            label=label,
            kind=kind,
            index=len(order),
            expr=expr,
            hyps=tuple(h.label for h in mand),
            nhyps=len(mand),
            floats=tuple(floats),
            float_vars=tuple(float_vars),
            essentials=tuple(essentials),
            conclusion=template(expr, cs),
            dv=tuple(dvs),
        )

    def add_label(label: str, obj, pos: int) -> None:
        if label in labels:
            raise MetamathError(f"{where(pos)}: label {label!r} is declared twice")
        if label in codes:
            raise MetamathError(f"{where(pos)}: label {label!r} clashes with a math symbol")
        labels[label] = obj
        order.append(label)

    while i < n:
        t = toks[i]
        if t[0] != "$":
            # A labelled statement: LABEL $x ...
            label = t
            if comments is not None:
                last_comment = comments.get(i, "")
            if i + 1 >= n:
                raise MetamathError(f"{where(i)}: label {label!r} without a statement")
            kw = toks[i + 1]
            j = statement_end(i + 2)
            if kw == "$f":
                if j - (i + 2) != 2:
                    raise MetamathError(f"{where(i)}: $f {label!r} must be 'typecode variable'")
                tc, var = toks[i + 2], toks[i + 3]
                if codes.get(tc) not in db.constants:
                    raise MetamathError(f"{where(i)}: $f {label!r} typecode {tc!r} not a constant")
                vc = codes.get(var)
                if vc not in active_vars:
                    raise MetamathError(f"{where(i)}: $f {label!r} variable {var!r} not active")
                if vc in var_float:
                    raise MetamathError(
                        f"{where(i)}: variable {var!r} already has an active $f "
                        f"({var_float[vc].label!r})"
                    )
                h = Hypothesis(label, "$f", array("H", [codes[tc], vc]).tobytes(), vc, len(order))
                add_label(label, h, i)
                var_float[vc] = h
                scopes[-1].hyps.append(h)
                scopes[-1].floats_by_var[vc] = h
            elif kw == "$e":
                e, ecodes = encode_math(i + 2, j, label)
                h = Hypothesis(label, "$e", e, 0, len(order), codes=ecodes)
                add_label(label, h, i)
                scopes[-1].hyps.append(h)
                scopes[-1].ess.append(h)
            elif kw == "$a":
                a = compile_assertion(label, "$a", encode_math(i + 2, j, label), i)
                add_label(label, a, i)
                if keep_comments:
                    db.comments[label] = last_comment
            elif kw == "$p":
                try:
                    eq = toks.index("$=", i + 2, j)
                except ValueError:
                    raise MetamathError(f"{where(i)}: $p {label!r} has no '$=' proof") from None
                a = compile_assertion(label, "$p", encode_math(i + 2, eq, label), i)
                a.proof = tuple(toks[eq + 1 : j])
                a.frame_dv = frame_dv()
                a.line_hint = i
                add_label(label, a, i)
                if keep_comments:
                    db.comments[label] = last_comment
            else:
                raise MetamathError(
                    f"{where(i)}: expected $f, $e, $a or $p after label {label!r}, got {kw!r}"
                )
            last_comment = ""
            i = j + 1
        elif t == "${":
            scopes.append(_Scope())
            i += 1
        elif t == "$}":
            if len(scopes) == 1:
                raise MetamathError(f"{where(i)}: '$}}' without a matching '${{'")
            sc = scopes.pop()
            for h in sc.hyps:
                h.end = len(order)
            for v in sc.vars:
                active_vars.discard(v)
            for v in sc.floats_by_var:
                del var_float[v]
            snapshot_version += 1
            i += 1
        elif t == "$c":
            if len(scopes) != 1:
                raise MetamathError(f"{where(i)}: $c is only allowed in the outermost scope")
            j = statement_end(i + 1)
            for s in toks[i + 1 : j]:
                if s in codes or s in labels or "$" in s:
                    raise MetamathError(f"{where(i)}: constant {s!r} is already declared/invalid")
                codes[s] = len(symbols)
                symbols.append(s)
                db.constants.add(codes[s])
            i = j + 1
        elif t == "$v":
            j = statement_end(i + 1)
            for s in toks[i + 1 : j]:
                c = codes.get(s)
                if c is None:
                    if s in labels or "$" in s:
                        raise MetamathError(f"{where(i)}: variable {s!r} clashes with a label")
                    c = codes[s] = len(symbols)
                    symbols.append(s)
                    db.variables.add(c)
                elif c in db.constants or c in active_vars:
                    raise MetamathError(f"{where(i)}: variable {s!r} is already active/constant")
                active_vars.add(c)
                scopes[-1].vars.append(c)
            i = j + 1
        elif t == "$d":
            j = statement_end(i + 1)
            vs = []
            for s in toks[i + 1 : j]:
                c = codes.get(s)
                if c not in active_vars:
                    raise MetamathError(f"{where(i)}: $d names {s!r}, which is not an active var")
                vs.append(c)
            if len(set(vs)) != len(vs):
                raise MetamathError(f"{where(i)}: $d repeats a variable")
            for x in range(len(vs)):
                for y in range(x + 1, len(vs)):
                    a, b = vs[x], vs[y]
                    scopes[-1].dv.append((a, b) if a < b else (b, a))
            snapshot_version += 1
            i = j + 1
        else:
            raise MetamathError(f"{where(i)}: unexpected token {t!r}")
        if len(symbols) >= 65535:
            raise MetamathError(f"{path}: more than 65534 math symbols are not supported")
    if len(scopes) != 1:
        raise MetamathError(f"{path}: {len(scopes) - 1} '${{' block(s) never closed with '$}}'")
    return db
