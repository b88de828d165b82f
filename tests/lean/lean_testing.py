"""Shared helpers of the Lean tests: where the recorded REPL transcripts are, and a skip mark.

The Lean tests run on recorded transcripts of the real Lean 4 REPL (leanprover-community/repl
test suite, Lean v4.33.0-rc2) because no package registry we can reach ships a Lean
toolchain. They skip, saying why, when the transcripts folder (``../shared`` next to the
checkout, or ``$MATHGYM_LEAN_TRANSCRIPTS``) is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mathgym.envs.lean.transcripts import default_transcripts_dir

TRANSCRIPTS: Path = default_transcripts_dir()
HAVE_TRANSCRIPTS: bool = TRANSCRIPTS.is_dir()

needs_transcripts = pytest.mark.skipif(
    not HAVE_TRANSCRIPTS,
    reason=f"recorded Lean REPL transcripts not found at {TRANSCRIPTS} (../shared is absent; "
    "set MATHGYM_LEAN_TRANSCRIPTS)",
)


def pair_names() -> list[str]:
    """Names of the complete transcript pairs (empty when the folder is absent)."""
    if not HAVE_TRANSCRIPTS:
        return []
    return sorted(
        p.name[: -len(".in")]
        for p in TRANSCRIPTS.glob("*.in")
        if (TRANSCRIPTS / (p.name[: -len(".in")] + ".expected.out")).is_file()
    )


def raw_blocks(path: Path) -> list[dict]:
    """Reference decoding of a responses file: split on blank lines, ``json.loads`` each."""
    blocks, cur = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append(json.loads("\n".join(cur)))
            cur = []
    if cur:
        blocks.append(json.loads("\n".join(cur)))
    return blocks


def stem(name: str) -> str:
    """Path of a transcript pair without suffix."""
    return str(TRANSCRIPTS / name)
