"""Whitelisted tokenizer of answer text: anything it does not know is a ``ParseError``.

Accepted (see docs/verifier.md for the full table):

* ASCII digits, letters, ``+ - * / ^ ! = ( ) [ ] { } , ;``, ``**`` (same as ``^``), spaces;
  the words ``and``/``or`` separate items like a comma (``x = 1 or x = -1``); the token keeps
  the word (``Token.word``) so the comparison can refuse ``or`` where the type means "and"
  (a solution) and ``and`` where it means "or" (alternative roots);
* number literals ``12``, ``0.25``, ``.5``, ``1e-3`` (scientific: exact, 1/1000), and LaTeX
  thousands groups ``1{,}000``. A plain comma always separates items: ``1,000`` is two items;
* LaTeX: ``\\frac \\dfrac \\tfrac`` (also ``\\frac12``), ``\\sqrt{}``/``\\sqrt[n]{}``,
  ``\\cdot \\times \\div``, ``\\left \\right \\bigl ...`` (dropped), ``\\{ \\}``, ``\\pi``,
  ``\\sin \\cos \\tan \\ln \\log \\exp``, ``\\emptyset``, ``\\infty`` (an interval endpoint only),
  ``\\text{..} \\mathrm{..}`` (their content), spacing commands ``\\, \\; \\! \\quad``;
* a few unambiguous non-ASCII characters: minus sign U+2212, ``×``, ``·``, ``⋅``, ``÷``, ``π``,
  ``√``, ``∅``, ``∞``, ``²``, ``³`` and Unicode spaces.

Refused: every other non-ASCII character (fullwidth digits, Cyrillic or Greek look-alikes,
zero-width characters) -- a look-alike letter would silently become a different variable --
and every other ASCII symbol (quotes, backticks, ``_``, ``.`` outside numbers, ``:``, ``<``,
``|``, ``&``, ``#``, ``@``, ``%``, ``\\\\``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from mathgym.verifiers.math.limits import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    MAX_LITERAL_DIGITS,
    MAX_SCI_EXPONENT,
    MAX_TOKENS,
)


class ParseError(ValueError):
    """The answer is not in the grammar; ``str()`` says what and where."""


class LimitError(ValueError):
    """The answer exceeds a resource limit (length, digits, exponent, depth)."""


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is NUM, NAME, OP, FRAC or SQRT; ``pos`` is its character offset."""

    kind: str
    text: str
    pos: int
    latex: bool = False  # NAME written as a LaTeX command (\sin) / NUM split from \frac12
    word: str = ""  # for a separator written as a word: "and" or "or"


OPERATORS = frozenset("+-*/^!=()[]{},;")

_UNICODE_OPS = {
    "\u2212": "-",  # MINUS SIGN
    "\u00d7": "*",  # MULTIPLICATION SIGN
    "\u00b7": "*",  # MIDDLE DOT
    "\u22c5": "*",  # DOT OPERATOR
    "\u00f7": "/",  # DIVISION SIGN
}
_UNICODE_SPACES = frozenset(
    "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u3000"
)
_SUPERSCRIPTS = {"\u00b2": "2", "\u00b3": "3"}

_LATEX_FRAC = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_LATEX_TIMES = frozenset({"cdot", "times", "ast"})
_LATEX_DROP = frozenset({"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "biggl",
                         "biggr", "displaystyle", "quad", "qquad"})
_LATEX_FUNCS = frozenset({"sin", "cos", "tan", "ln", "log", "exp", "pi"})
_LATEX_TEXT = frozenset({"text", "mathrm", "textrm", "mathit", "mathbf", "textbf", "mathsf",
                         "textit", "boldsymbol", "operatorname", "mbox"})
_LATEX_SPACING = frozenset(",;:! ")


def _char_error(ch: str, pos: int) -> ParseError:
    name = unicodedata.name(ch, "unnamed")
    if ord(ch) < 128:
        return ParseError(f"unsupported character {ch!r} at position {pos}")
    return ParseError(
        f"unsupported character {ch!r} (U+{ord(ch):04X} {name}) at position {pos}; "
        "write the answer in ASCII"
    )


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[Token] = []

    def emit(self, kind: str, text: str, pos: int, latex: bool = False, word: str = "") -> None:
        if len(self.out) >= MAX_TOKENS:
            raise LimitError(f"answer has more than {MAX_TOKENS} tokens")
        self.out.append(Token(kind, text, pos, latex, word))

    def run(self, start: int, end: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise LimitError(f"LaTeX \\text nesting deeper than {MAX_DEPTH}")
        s = self.text
        i = start
        while i < end:
            c = s[i]
            if c in " \t\n\r$~" or c in _UNICODE_SPACES:
                i += 1
            elif c.isdigit() and c.isascii() or (c == "." and i + 1 < end and s[i + 1].isdigit()
                                                  and s[i + 1].isascii()):
                i = self.number(i, end)
            elif c.isascii() and c.isalpha():
                j = i
                while j < end and s[j].isascii() and s[j].isalpha():
                    j += 1
                word = s[i:j]
                if word in ("and", "or"):
                    self.emit("OP", ",", i, word=word)
                else:
                    self.emit("NAME", word, i)
                i = j
            elif c == "*" and i + 1 < end and s[i + 1] == "*":
                self.emit("OP", "^", i)
                i += 2
            elif c in OPERATORS:
                self.emit("OP", c, i)
                i += 1
            elif c == "\\":
                i = self.command(i, end, depth)
            elif c in _UNICODE_OPS:
                self.emit("OP", _UNICODE_OPS[c], i)
                i += 1
            elif c == "\u03c0":
                self.emit("NAME", "pi", i, latex=True)
                i += 1
            elif c == "\u221e":  # INFINITY
                self.emit("NAME", "oo", i, latex=True)
                i += 1
            elif c == "\u2205":  # EMPTY SET
                self.emit("NAME", "EmptySet", i)
                i += 1
            elif c == "\u221a":
                self.emit("SQRT", "sqrt", i)
                i += 1
            elif c in _SUPERSCRIPTS:
                self.emit("OP", "^", i)
                self.emit("NUM", _SUPERSCRIPTS[c], i)
                i += 1
            else:
                raise _char_error(c, i)

    def number(self, i: int, end: int) -> int:
        s = self.text
        start = i
        groups = []
        j = i
        while j < end and s[j].isdigit() and s[j].isascii():
            j += 1
        groups.append(s[i:j])
        # LaTeX thousands separators: 1{,}000{,}000
        while s.startswith("{,}", j) and j + 6 <= end and s[j + 3 : j + 6].isdigit() and \
                s[j + 3 : j + 6].isascii():
            k = j + 6
            if k < end and s[k].isdigit():
                raise ParseError(f"malformed thousands group at position {j}: use 3 digits")
            groups.append(s[j + 3 : k])
            j = k
        if len(groups) > 1 and not 1 <= len(groups[0]) <= 3:
            raise ParseError(f"malformed thousands group at position {start}")
        digits = "".join(groups)
        frac = ""
        if j < end and s[j] == "." and j + 1 < end and s[j + 1].isdigit() and s[j + 1].isascii():
            k = j + 1
            while k < end and s[k].isdigit() and s[k].isascii():
                k += 1
            frac = s[j + 1 : k]
            j = k
        exp = ""
        if j < end and s[j] in "eE":
            k = j + 1
            if k < end and s[k] in "+-":
                k += 1
            if k < end and s[k].isdigit() and s[k].isascii():
                m = k
                while m < end and s[m].isdigit() and s[m].isascii():
                    m += 1
                exp = s[j + 1 : m]
                j = m
        if len(digits) + len(frac) > MAX_LITERAL_DIGITS:
            raise LimitError(
                f"number at position {start} has more than {MAX_LITERAL_DIGITS} digits"
            )
        if exp:
            body = exp.lstrip("+-").lstrip("0") or "0"
            if len(body) > 6 or int(body) > MAX_SCI_EXPONENT:
                raise LimitError(
                    f"exponent of the number at position {start} exceeds {MAX_SCI_EXPONENT}"
                )
        text = digits + ("." + frac if frac else "") + ("e" + exp if exp else "")
        self.emit("NUM", text, start)
        return j

    def braced(self, i: int, end: int, what: str) -> tuple[int, int]:
        """Span (inside) of the ``{...}`` group starting at or after ``i`` (spaces skipped)."""
        s = self.text
        while i < end and s[i] == " ":
            i += 1
        if i >= end or s[i] != "{":
            raise ParseError(f"{what} at position {i} needs a {{...}} argument")
        depth = 0
        for k in range(i, end):
            if s[k] == "{":
                depth += 1
            elif s[k] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1, k
        raise ParseError(f"unbalanced braces after {what} at position {i}")

    def command(self, i: int, end: int, depth: int) -> int:
        s = self.text
        j = i + 1
        if j >= end:
            raise ParseError(f"lone backslash at position {i}")
        if s[j] in _LATEX_SPACING:
            return j + 1
        if s[j] in "{}":
            self.emit("OP", s[j], i, latex=True)  # \{ is a set brace, never a TeX group
            return j + 1
        if not (s[j].isascii() and s[j].isalpha()):
            raise ParseError(f"unsupported LaTeX command {s[i:j + 1]!r} at position {i}")
        while j < end and s[j].isascii() and s[j].isalpha():
            j += 1
        name = s[i + 1 : j]
        if name in _LATEX_FRAC:
            self.emit("FRAC", name, i)
        elif name == "sqrt":
            self.emit("SQRT", name, i)
        elif name in _LATEX_TIMES:
            self.emit("OP", "*", i)
        elif name == "div":
            self.emit("OP", "/", i)
        elif name in ("lbrace", "rbrace"):
            self.emit("OP", "{" if name == "lbrace" else "}", i, latex=True)
        elif name in _LATEX_DROP:
            if name in ("left", "right") and j < end and s[j] == ".":
                j += 1  # \left. and \right. are invisible delimiters
        elif name == "infty":
            self.emit("NAME", "oo", i, latex=True)
        elif name in ("emptyset", "varnothing"):
            self.emit("NAME", "EmptySet", i)
        elif name in _LATEX_FUNCS:
            self.emit("NAME", name, i, latex=True)
        elif name in _LATEX_TEXT:
            a, b = self.braced(j, end, "\\" + name)
            self.run(a, b, depth + 1)
            return b + 1
        elif name == "pm":
            raise ParseError(f"\\pm at position {i} gives two answers: list both instead")
        else:
            raise ParseError(f"unsupported LaTeX command \\{name} at position {i}")
        return j


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text``; raises ParseError (not in the grammar) or LimitError (too big)."""
    if len(text) > MAX_ANSWER_CHARS:
        raise LimitError(f"answer has {len(text)} characters; the limit is {MAX_ANSWER_CHARS}")
    tk = _Tokenizer(text)
    tk.run(0, len(text), 0)
    return tk.out
