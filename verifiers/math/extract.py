"""Answer extraction: the last ``\\boxed{...}`` or ``<answer>...</answer>``, else the whole text.

Whichever of the two markers *starts* last wins, so ``<answer>\\boxed{5}</answer>`` gives ``5``.
``\\boxed`` content is brace-balanced (``\\{`` and ``\\}`` do not count); an unclosed
``<answer>`` runs to the end of the text. Math-mode wrappers (``$...$``, ``\\(...\\)``,
``\\[...\\]``) and a trailing full stop are stripped from the result.
Every step is linear in the length of the completion (tested on 1 MB inputs).
"""

from __future__ import annotations

from mathgym.verifiers.math.limits import MAX_TEXT_CHARS


class ExtractionError(ValueError):
    """The completion is unusable (too long, or a ``\\boxed{`` never closes)."""


_BOX_COMMANDS = ("\\boxed", "\\fbox")


def _last_boxed(text: str) -> tuple[int, str | None]:
    """Start index and content of the last ``\\boxed{...}``; (-1, None) when there is none."""
    start = -1
    command = ""
    for name in _BOX_COMMANDS:
        i = text.rfind(name)
        # Skip longer commands that merely start with the name (e.g. \boxedfoo).
        while i >= 0 and i + len(name) < len(text) and text[i + len(name)].isalpha():
            i = text.rfind(name, 0, i)
        if i > start:
            start, command = i, name
    if start < 0:
        return -1, ""
    j = start + len(command)
    while j < len(text) and text[j] in " \t":
        j += 1
    if j >= len(text):
        return start, ""
    if text[j] != "{":
        # \boxed 5 : TeX takes one token; we take up to the next space or '$'.
        k = j
        while k < len(text) and text[k] not in " \t\n$":
            k += 1
        return start, text[j:k]
    depth = 0
    k = j
    while k < len(text):
        c = text[k]
        if c == "\\" and k + 1 < len(text) and text[k + 1] in "{}":
            k += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return start, text[j + 1 : k]
        k += 1
    return start, None  # unclosed: the caller reports it if this box is the one chosen


def _last_answer_tag(text: str) -> tuple[int, str | None]:
    start = text.rfind("<answer>")
    if start < 0:
        return -1, ""
    body = start + len("<answer>")
    end = text.find("</answer>", body)
    return start, text[body:] if end < 0 else text[body:end]


#: Most wrapper layers (``$..$``, ``\\(..\\)``, a trailing full stop, ...) peeled off an answer.
MAX_WRAPPER_LAYERS = 64
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))


def strip_wrappers(answer: str) -> str:
    """Remove surrounding whitespace, math-mode delimiters and one trailing full stop.

    Works on two indices into ``answer`` and slices once at the end, and peels at most
    ``MAX_WRAPPER_LAYERS`` layers, so it is linear in the input even for a megabyte of ``$``
    (slicing on every peeled layer was quadratic). Deeper wrapping is left in place, where the
    grammar refuses it.
    """
    s = answer
    i, j = 0, len(s)

    def skip_space() -> None:
        nonlocal i, j
        while i < j and s[i].isspace():
            i += 1
        while j > i and s[j - 1].isspace():
            j -= 1

    skip_space()
    changed = True
    layers = 0
    while changed and layers < MAX_WRAPPER_LAYERS:
        changed = False
        layers += 1
        for left, right in _WRAPPERS:
            if j - i >= len(left) + len(right) and s.startswith(left, i) and \
                    s.endswith(right, i, j):
                i, j = i + len(left), j - len(right)
                skip_space()
                changed = True
        if j > i and s[j - 1] == "." and not (j - i >= 2 and s[j - 2] == "."):
            j -= 1
            skip_space()
            changed = True
    return s[i:j]


def extract_answer(text: str) -> str:
    """The answer part of a completion (see module docstring); raises ExtractionError."""
    if not isinstance(text, str):
        raise ExtractionError(f"answer must be a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError(
            f"completion has {len(text)} characters; the limit is {MAX_TEXT_CHARS}"
        )
    box_at, boxed = _last_boxed(text)
    tag_at, tagged = _last_answer_tag(text)
    if box_at < 0 and tag_at < 0:
        return strip_wrappers(text)
    if box_at > tag_at:
        if boxed is None:
            raise ExtractionError(
                f"\\boxed{{ at character {box_at} is never closed; balance its braces"
            )
        return strip_wrappers(boxed)
    return strip_wrappers(tagged or "")
