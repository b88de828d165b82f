"""The theorem library behind Metamath-v0: parsed database, syntax trees, splits, easy set.

Parsing set.mm and the syntax trees of its ~39k ``|-`` conclusions takes tens of seconds in
pure Python, so a :class:`Library` is built once per process (:func:`load_library`) and also
pickled under ``$MATHGYM_CACHE`` (default ``~/.cache/mathgym``) in a file keyed by the
database's path, size, mtime and sha256; a stale or unreadable cache is rebuilt.

Splits: a ``$p`` label goes to ``train`` / ``valid`` / ``test`` by the first 8 hex digits of
``sha256(label)`` as an int modulo 100: ``< 80`` train, ``< 90`` valid, else test. Stable across
machines, processes and set.mm versions (a theorem keeps its split as long as it keeps its
label). The ``easy`` set: theorems whose own proof applies at most 3 ``|-`` steps (assertions
or hypotheses; syntax steps not counted), the first :data:`EASY_SIZE` by label hash.

The library also holds the database's
:class:`~mathgym.verifiers.metamath.usage.UsageRule` (axiom closures of every theorem; flagged
and discouraged statements), computed from the stored proofs before they are dropped, so the
env applies exactly the rule the verifier applies.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile

from mathgym.envs.metamath.syntax import Grammar
from mathgym.verifiers.metamath.database import (
    DEFAULT_DATABASE,
    Assertion,
    Hypothesis,
    MetamathError,
    parse,
)
from mathgym.verifiers.metamath.usage import UsageRule

SPLITS = ("train", "valid", "test", "easy")
EASY_MAX_STEPS = 3
EASY_SIZE = 200
_CACHE_VERSION = 6  # 6: the usage rule (axiom closures) is part of the library
_LIBRARIES: dict = {}


def label_bucket(label: str) -> int:
    """``int(sha256(label)[:8], 16) % 100``: the split bucket of a label."""
    return int(hashlib.sha256(label.encode()).hexdigest()[:8], 16) % 100


def split_of(label: str) -> str:
    """``train`` (bucket < 80), ``valid`` (< 90) or ``test``."""
    b = label_bucket(label)
    return "train" if b < 80 else "valid" if b < 90 else "test"


class Library:
    """A database plus what the prover needs: grammar, conclusion trees, index, priors."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.db = parse(path, keep_comments=True)
        self.rule = UsageRule(self.db)
        self.grammar = Grammar(self.db)
        g = self.grammar
        db = self.db
        self.var_float = {v: fl[0] for v, fl in g.var_floats.items()}
        self.provable: list = []  # |- assertions in file order
        self.concl: dict = {}  # label -> conclusion tree
        self.size: dict = {}  # label -> conclusion tree size
        # root head (None for a variable) -> child heads (None for variables) -> [labels]
        self.by_shape: dict = {}
        self.discouraged: set = set()
        for a in db.assertions:
            syms = db.decode(a.expr)
            if syms[0] != g.provable:
                continue
            tree = g.parse(syms[1:], g.body_type, self._var_floats_for(a), {})
            self.provable.append(a.label)
            self.concl[a.label] = tree
            self.size[a.label] = _tree_size(tree)
            self.by_shape.setdefault(_head(tree, g), {}).setdefault(
                tuple(_head(c, g) for c in tree[1:]), []
            ).append(a.label)
            if "New usage is discouraged" in db.comments.get(a.label, ""):
                self.discouraged.add(a.label)
        db.comments = {}  # not needed any more; keeps the pickle small
        self.usage = self._usage_counts()
        self.proof_steps = {t.label: self._provable_steps(t) for t in db.theorems}
        for t in db.theorems:  # the prover never needs the stored proofs; halves the pickle
            t.proof = ()

    def _var_floats_for(self, a: Assertion) -> dict:
        """Variable text -> the ``$f`` label used in ``a``'s frame."""
        out = dict(self.var_float)
        for h in a.hyps:
            obj = self.db.labels[h]
            if obj.kind == "$f":
                out[self.grammar.float_var[h]] = h
        return out

    def _usage_counts(self) -> dict:
        """How many train-split proofs use each assertion (a frequency prior for ranking)."""
        counts: dict = {}
        labels = self.db.labels
        for t in self.db.theorems:
            if split_of(t.label) != "train":
                continue
            proof = t.proof
            used = proof[1 : proof.index(")")] if proof and proof[0] == "(" else set(proof)
            for lab in set(used):
                if isinstance(labels.get(lab), Assertion):
                    counts[lab] = counts.get(lab, 0) + 1
        return counts

    def _provable_steps(self, thm: Assertion) -> int:
        """Number of ``|-`` steps (assertions or hypotheses) the stored proof applies."""
        proof = thm.proof
        labels = self.db.labels
        prov = self.grammar.provable
        sym = self.db.symbols

        def is_provable(lab: str) -> bool:
            obj = labels.get(lab)
            if obj is None:
                return False
            return sym[memoryview(obj.expr).cast("H")[0]] == prov

        if proof and proof[0] == "(":
            close = proof.index(")")
            table = list(thm.hyps) + list(proof[1:close])
            flags = [is_provable(lab) for lab in table]
            if sum(flags) > 12:
                return 99
            from mathgym.verifiers.metamath.kernel import _CHUNK, _chunk_value

            count = 0
            for ch in _CHUNK.findall("".join(proof[close + 1 :])):
                if ch in ("Z", "?"):
                    continue
                v = _chunk_value(ch)
                if v <= len(flags) and flags[v - 1]:
                    count += 1
            return count
        return sum(1 for lab in proof if is_provable(lab))

    # ------------------------------------------------------------------ splits
    def split(self, name: str) -> list:
        """Theorem labels of a split, sorted by (label hash bucket, label): deterministic."""
        if name not in SPLITS:
            raise ValueError(f"unknown Metamath split {name!r}; choose one of {SPLITS}")
        thms = [t.label for t in self.db.theorems if t.label not in self.discouraged]
        if name == "easy":
            easy = [lab for lab in thms if 1 <= self.proof_steps[lab] <= EASY_MAX_STEPS]
            easy.sort(key=lambda lab: (hashlib.sha256(lab.encode()).hexdigest(), lab))
            return easy[:EASY_SIZE]
        chosen = [lab for lab in thms if split_of(lab) == name]
        chosen.sort(key=lambda lab: (hashlib.sha256(lab.encode()).hexdigest(), lab))
        return chosen

    def theorem(self, label: str) -> Assertion:
        """The ``$p`` called ``label``; ``ValueError`` naming the problem otherwise."""
        obj = self.db.labels.get(label)
        if not isinstance(obj, Assertion) or obj.kind != "$p":
            raise ValueError(f"{label!r} is not a $p theorem of {self.path}")
        return obj

    def hyp_tree(self, label: str, frame: Assertion) -> tuple:
        """Syntax tree of a ``$e`` hypothesis body."""
        obj = self.db.labels[label]
        assert isinstance(obj, Hypothesis)
        syms = self.db.decode(obj.expr)
        return self.grammar.parse(syms[1:], self.grammar.body_type, self._var_floats_for(frame), {})


def _head(tree: tuple, g: Grammar) -> str | None:
    return tree[0] if tree[0] in g.axioms else None


def _tree_size(tree: tuple) -> int:
    return 1 + sum(_tree_size(c) for c in tree[1:])


def _cache_path(path: str) -> str:
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    key = hashlib.sha256(
        f"{_CACHE_VERSION}|{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}|"
        f"{h.hexdigest()}".encode()
    ).hexdigest()[:24]
    root = os.environ.get("MATHGYM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "mathgym"
    )
    return os.path.join(root, "metamath", f"library-{key}.pkl")


def load_library(path: str = DEFAULT_DATABASE, use_cache: bool = True) -> Library:
    """The :class:`Library` of ``path``: once per process, pickled across processes."""
    real = os.path.realpath(path)
    lib = _LIBRARIES.get(real)
    if lib is not None:
        return lib
    if not os.path.exists(path):
        raise MetamathError(
            f"Metamath database {path!r} not found; install Debian's metamath-databases "
            "(make setup) or pass database=PATH"
        )
    cache = _cache_path(path) if use_cache else None
    if cache and os.path.exists(cache):
        gc.disable()  # millions of small objects: the collector would rescan them repeatedly
        try:
            with open(cache, "rb") as fh:
                lib = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content hash
        except Exception:  # noqa: BLE001 - a broken cache is rebuilt
            lib = None
        finally:
            gc.enable()
    if lib is None:
        lib = Library(path)
        if cache:
            try:
                os.makedirs(os.path.dirname(cache), exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache), suffix=".tmp")
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(lib, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, cache)
            except OSError:
                pass
    _LIBRARIES[real] = lib
    return lib
