"""Naming a theorem the LeanDojo way, ``Theorem(repo, file_path, full_name)``, and finding its
statement so that the Lean REPL can open a proof state on it.

LeanDojo traces a whole repository and looks the theorem up in the trace. Here a theorem is
found in one of two places:

* **a local Lean project** (``repo.url`` is a directory, or the ``project_dir`` the
  :class:`~mathgym.envs.lean.dojo.Dojo` is given): the file ``file_path`` is read, the
  ``theorem``/``lemma`` whose namespaced name is ``full_name`` is located, everything before
  it becomes the header command, and its proof is replaced by ``by sorry``;
* **the recorded REPL sessions** (``repo`` is :data:`REPL_TESTS_REPO`, ``file_path`` is
  ``test/NAME.in``): the session's commands are searched for a declaration named
  ``full_name`` that ends in ``sorry`` (:func:`mathgym.envs.lean.transcripts.find_episodes`).

Locating a declaration in a file is textual, not Lean's parser: it finds ``theorem NAME`` or
``lemma NAME`` at the start of a line (after attributes and modifiers) inside the right
``namespace`` blocks, then the first ``:=`` outside brackets. Proofs written with ``where`` or
pattern-matching equations (``| ...``) have no such ``:=`` and are refused with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathgym.envs.lean.transcripts import (
    REQUEST_SUFFIX,
    RecordedEpisode,
    find_episodes,
    load_transcript,
    transcript_names,
)

#: The repository the recorded sessions come from (``README.md`` of the transcripts folder).
REPL_URL = "https://github.com/leanprover-community/repl"
REPL_COMMIT = "8948401"


@dataclass(frozen=True)
class LeanGitRepo:
    """A Lean repository: ``url`` (a Git URL or a local directory) and ``commit``.

    Same fields as LeanDojo's ``LeanGitRepo``; nothing is cloned or looked up online.
    """

    url: str
    commit: str


#: The leanprover-community/repl checkout whose ``test/*.in`` sessions are recorded.
REPL_TESTS_REPO = LeanGitRepo(REPL_URL, REPL_COMMIT)


@dataclass(frozen=True)
class Theorem:
    """A theorem: the repository, the file in it and its fully qualified name (LeanDojo's)."""

    repo: LeanGitRepo
    file_path: Path
    full_name: str

    def __post_init__(self) -> None:
        if isinstance(self.file_path, str):
            object.__setattr__(self, "file_path", Path(self.file_path))
        if not isinstance(self.full_name, str) or not self.full_name.strip():
            raise ValueError(f"Theorem.full_name must be a non-empty name, got {self.full_name!r}")


@dataclass(frozen=True)
class TheoremSource:
    """What the REPL is sent: header commands (each in the previous one's env), then the
    statement ending in ``sorry``; ``transcript`` names the recording when it is one."""

    header: tuple[str, ...]
    statement: str
    transcript: str | None = None


# --------------------------------------------------------------------------- names
_MODIFIERS = r"(?:(?:private|protected|noncomputable|nonrec|unsafe|partial)\s+)*"
_ATTRS = r"(?:@\[[^\]]*\]\s*)*"
_DECL_RE = re.compile(rf"^[ \t]*{_ATTRS}{_MODIFIERS}(theorem|lemma|def|abbrev)\s+([^\s(:{{\[⦃]+)",
                      re.M)


def declared_name(command: str) -> str | None:
    """The name a ``theorem``/``lemma``/``def``/``abbrev`` command declares (``None`` if none)."""
    match = _DECL_RE.search(command)
    return match.group(2) if match else None


def _normal_url(url: str) -> str:
    return url.strip().removesuffix("/").removesuffix(".git").lower()


def is_recorded(theorem: Any) -> bool:
    """Whether ``theorem`` names a session of the recorded REPL test suite."""
    repo = getattr(theorem, "repo", None)
    return (
        _normal_url(str(getattr(repo, "url", ""))) == _normal_url(REPL_URL)
        and str(getattr(theorem, "file_path", "")).endswith(REQUEST_SUFFIX)
    )


def recorded_theorems(folder: str | Path | None = None) -> list[Theorem]:
    """Every named declaration ending in ``sorry`` in the recorded sessions, as a Theorem."""
    out = []
    for name in transcript_names(folder):
        seen = set()
        for episode in find_episodes(load_transcript(name, folder)):
            full_name = declared_name(episode.theorem)
            if full_name and full_name not in seen:
                seen.add(full_name)
                out.append(Theorem(REPL_TESTS_REPO, Path(f"test/{name}.in"), full_name))
    return out


# --------------------------------------------------------------------------- lookup
def _recorded_source(theorem: Any, folder: str | Path | None) -> TheoremSource:
    name = Path(str(theorem.file_path)).name.removesuffix(REQUEST_SUFFIX)
    if name not in transcript_names(folder):
        raise LookupError(
            f"no recorded REPL session {name!r} for {theorem.file_path}; recorded sessions: "
            f"{', '.join(transcript_names(folder))}"
        )
    episodes: list[RecordedEpisode] = find_episodes(load_transcript(name, folder))
    for episode in episodes:
        if declared_name(episode.theorem) == theorem.full_name:
            return TheoremSource(episode.header, episode.theorem, transcript=name)
    names = sorted({n for e in episodes if (n := declared_name(e.theorem))})
    raise LookupError(
        f"the recorded session {name!r} declares no theorem {theorem.full_name!r} ending in "
        f"sorry; it declares: {names or 'none'} (recorded_theorems() lists them all)"
    )


def _namespaces_at(text: str, end: int) -> list[str]:
    """The ``namespace`` blocks open at offset ``end`` (``section`` blocks are tracked too)."""
    stack: list[tuple[str, str]] = []
    for match in re.finditer(r"^[ \t]*(namespace|section|end)\b[ \t]*([^\s]*)", text[:end], re.M):
        kind, name = match.group(1), match.group(2)
        if kind == "end":
            if stack:
                stack.pop()
        else:
            stack.append((kind, name))
    return [part for kind, name in stack if kind == "namespace" for part in name.split(".")]


_OPEN, _CLOSE = "([{⟨⦃", ")]}⟩⦄"
#: Where a declaration's proof is given without ``:=`` (equations or ``where``).
_NO_ASSIGN_RE = re.compile(r"\n\s*\||\s+where\b")


def _assign_offset(text: str, start: int) -> int | None:
    """Offset of the first ``:=`` outside brackets, comments and strings at or after ``start``."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if text.startswith("--", i):
            i = text.find("\n", i) if text.find("\n", i) >= 0 else len(text)
            continue
        if text.startswith("/-", i):
            close = text.find("-/", i + 2)
            i = len(text) if close < 0 else close + 2
            continue
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(":=", i):
            return i
        elif depth == 0 and _NO_ASSIGN_RE.match(text, i):
            return None
        i += 1
    return None


def source_from_file(path: str | Path, full_name: str, imports: tuple[str, ...] = ()
                     ) -> TheoremSource:
    """The header (the file before the theorem) and ``statement := by sorry`` of ``full_name``."""
    path = Path(path)
    if not path.is_file():
        raise LookupError(f"Lean file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^[ \t]*{_ATTRS}{_MODIFIERS}(?:theorem|lemma)\s+([^\s(:{{\[⦃]+)", re.M)
    found = []
    for match in pattern.finditer(text):
        qualified = ".".join([*_namespaces_at(text, match.start()), match.group(1)])
        found.append(qualified)
        rooted = full_name.startswith("_root_.") and match.group(1) == full_name[len("_root_."):]
        if qualified != full_name and not rooted:
            continue
        start = match.start()
        before = text[:start].rstrip()
        if before.endswith("-/"):  # keep a doc comment with its declaration
            doc = before.rfind("/--")
            if doc >= 0:
                start = doc
        assign = _assign_offset(text, match.end())
        if assign is None:
            raise LookupError(
                f"{path}: the proof of {full_name!r} has no ':=' (a 'where' or '|' equation "
                "form); only 'theorem ... := proof' can be opened with a sorry"
            )
        header = "".join(f"import {m}\n" for m in imports) + text[:start]
        statement = text[start:assign].rstrip() + " := by sorry"
        return TheoremSource((header,) if header.strip() else (), statement)
    raise LookupError(
        f"{path} has no theorem or lemma named {full_name!r}; it declares: "
        f"{', '.join(found) or 'none'}"
    )


def theorem_source(
    theorem: Any,
    *,
    project_dir: str | Path | None = None,
    transcripts: str | Path | None = None,
    imports: tuple[str, ...] = (),
) -> TheoremSource:
    """Find ``theorem`` (ours or any object with ``repo.url``, ``file_path``, ``full_name``).

    ``LookupError`` names the theorem and what was searched when it cannot be found.
    """
    for attr in ("repo", "file_path", "full_name"):
        if not hasattr(theorem, attr):
            raise TypeError(
                f"Dojo needs a Theorem(repo, file_path, full_name); got {type(theorem).__name__} "
                f"without {attr!r}"
            )
    if is_recorded(theorem) and project_dir is None:
        if imports:
            raise ValueError("additional_imports cannot be added to a recorded session")
        return _recorded_source(theorem, transcripts)
    root = Path(project_dir) if project_dir is not None else Path(str(theorem.repo.url))
    if not root.is_dir():
        raise LookupError(
            f"cannot find {theorem.full_name!r}: the repository {theorem.repo.url!r} is not a "
            "local directory; clone it (at the commit) and pass its path as LeanGitRepo(url=...) "
            "or Dojo(..., project_dir=...)"
        )
    return source_from_file(root / theorem.file_path, theorem.full_name, imports)


def commands_source(
    entry: tuple[Any, Any, Any],
    *,
    project_dir: str | Path | None = None,
    transcripts: str | Path | None = None,
    imports: tuple[str, ...] = (),
) -> TheoremSource:
    """Command mode, LeanDojo's ``(repo, file_path, line_nb)``: the file's code before line
    ``line_nb`` (1-based) as the header; ``statement`` is empty.

    A recorded session has no file: it starts from the empty environment, at ``line_nb=1``.
    """
    if len(entry) != 3:
        raise ValueError(f"command mode takes (repo, file_path, line_nb), got {entry!r}")
    repo, file_path, line_nb = entry
    if isinstance(line_nb, bool) or not isinstance(line_nb, int) or line_nb < 1:
        raise ValueError(f"line_nb must be a line number >= 1, got {line_nb!r}")
    probe = Theorem(repo, Path(str(file_path)), "_")
    if is_recorded(probe) and project_dir is None:
        name = probe.file_path.name.removesuffix(REQUEST_SUFFIX)
        if name not in transcript_names(transcripts):
            raise LookupError(f"no recorded REPL session {name!r} for {file_path}")
        if line_nb != 1 or imports:
            raise ValueError("a recorded session has no file to cut: start it at line_nb=1 "
                             "(the empty environment) and without additional_imports")
        return TheoremSource((), "", transcript=name)
    root = Path(project_dir) if project_dir is not None else Path(str(repo.url))
    path = root / probe.file_path
    if not path.is_file():
        raise LookupError(f"Lean file {path} does not exist")
    lines = path.read_text(encoding="utf-8").split("\n")
    if line_nb > len(lines) + 1:
        raise LookupError(f"{path} has {len(lines)} lines; line_nb={line_nb} is past its end")
    header = "".join(f"import {m}\n" for m in imports) + "\n".join(lines[: line_nb - 1])
    return TheoremSource((header,) if header.strip() else (), "")
