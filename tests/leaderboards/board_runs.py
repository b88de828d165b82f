"""Honest runs taken from the committed boards, shared by the leaderboard tests.

A plain module (not a conftest) so its name cannot clash with another folder's conftest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

BOARDS = Path(__file__).resolve().parents[2] / "leaderboards"


def board_run(benchmark: str, agent: str) -> dict:
    """The one committed ``agent`` run on ``benchmark``'s board, as its results file was."""
    (path,) = sorted((BOARDS / benchmark).glob(f"*-{agent}-*.json"))
    doc = json.loads(path.read_text())
    doc.pop("submission")
    return doc


def write_doc(tmp_path: Path, doc: dict, name: str = "results.json") -> Path:
    """``doc`` as a results file in ``tmp_path`` (plain JSON: no validation on the way)."""
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def copy_boards(root: Path, ids: tuple[str, ...]) -> Path:
    """The submission files of the committed boards ``ids`` copied under ``root`` (without
    their generated pages): tests build from what is on disk now, rows added later included."""
    for bid in ids:
        (root / bid).mkdir(parents=True)
        for path in sorted((BOARDS / bid).glob("*.json")):
            shutil.copyfile(path, root / bid / path.name)
    return root
