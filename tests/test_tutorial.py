"""docs/tutorial.md runs as written, and its REINFORCE learns.

Every fenced ``python`` and ``bash`` block of the tutorial is run, in order, in one shell in
an empty temporary folder: a python block whose first line is ``# file: NAME`` is saved as
``NAME``, other python blocks run with ``python -``, bash blocks run as they are. Then the
files the tutorial wrote are read back: the trained policy must solve more of
``tutorial/ac-easy`` than the random agent at the same budget of env steps, and more
episodes while training than random moves over the same steps; ``mathgym train`` (the
plug-in's learner) must have recorded the checkpoint that ``mathgym eval`` loaded; both runs
must be on the board, and the site must show them. About 30 s of CPU (training is 50k env steps).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(python|bash)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
FILE_MARK = re.compile(r"# file: (\S+)\n")


def tutorial_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of each fenced python/bash block, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def shell_script(blocks: list[tuple[str, str]]) -> str:
    """One bash script that saves the ``# file:`` blocks and runs all the others in order."""
    lines = ["set -euo pipefail"]
    for i, (language, code) in enumerate(blocks):
        mark = FILE_MARK.match(code)
        end = f"MATHGYM_TUTORIAL_BLOCK_{i}"
        if language == "python" and mark:
            lines.append(f"cat > {mark.group(1)} <<'{end}'\n{code}{end}")
        elif language == "python":
            lines.append(f"python - <<'{end}'\n{code}{end}")
        else:
            lines.append(code)
    return "\n".join(lines) + "\n"


def test_blocks_are_found_in_order():
    blocks = tutorial_blocks(TUTORIAL.read_text(encoding="utf-8"))
    files = [FILE_MARK.match(code).group(1) for _, code in blocks if FILE_MARK.match(code)]
    assert files == ["reinforce.py", "tutorial_plugin.py"]
    assert [lang for lang, _ in blocks].count("bash") == 4
    script = shell_script(blocks)
    assert script.index("cat > tutorial_plugin.py") < script.index("mathgym train --benchmark")
    assert script.index("mathgym train --benchmark") < script.index("mathgym eval --benchmark")
    assert script.index("mathgym eval") < script.index("mathgym submit")


@pytest.mark.slow  # about 30 s of CPU: training, two evals, two submits, the site
def test_the_tutorial_runs_and_its_policy_beats_random(tmp_path):
    script = shell_script(tutorial_blocks(TUTORIAL.read_text(encoding="utf-8")))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MATHGYM_EXTRA_MODULES", None)  # the tutorial sets its own
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"

    def metrics(run: str) -> dict:
        return json.loads((tmp_path / "runs" / run / "results.json").read_text())["metrics"]

    trained, rand = metrics("eval-reinforce"), metrics("eval-random")
    assert trained["num_instances"] == rand["num_instances"] == 16
    # seen: REINFORCE 6/16, random 0/16, both at 64 env steps per instance
    assert trained["solved"] >= rand["solved"] + 3, (trained["solved"], rand["solved"])
    training = json.loads((tmp_path / "runs" / "reinforce" / "training.json").read_text())
    # seen: 2295 solved episodes in 50,176 steps; random legal moves: 197
    assert training["steps"] == training["budget"] == 50_176
    assert training["learner"] == "tutorial-reinforce"
    assert training["benchmark"] == "tutorial/ac-easy@1"
    checkpoint = tmp_path / "runs" / "reinforce" / training["checkpoint"]
    assert training["checkpoint_sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    evaluated = json.loads((tmp_path / "runs" / "eval-reinforce" / "results.json").read_text())
    assert evaluated["agent"]["config"]["sha256"] == training["checkpoint_sha256"]
    assert {rec["info"]["training_steps"] for rec in evaluated["results"]} == {50_176}
    assert training["successes"] > 5 * max(training["random_successes"], 1), training

    board = tmp_path / "boards" / "tutorial" / "ac-easy"
    names = sorted(p.name for p in board.glob("*.json"))
    assert len(names) == 2 and any("-tutorial-reinforce-" in n for n in names), names
    page = (tmp_path / "site" / "tutorial" / "ac-easy" / "index.html").read_text()
    assert "tutorial-reinforce" in page and "random" in page
    assert "tutorial/ac-easy" in (tmp_path / "site" / "index.html").read_text()
    instances = (tmp_path / "site" / "tutorial" / "ac-easy" / "instances" / "001.html")
    assert "easy-15" in instances.read_text()  # one page for the 16 instances
    assert f"REINFORCE {trained['solved']}/16, random {rand['solved']}/16" in proc.stdout
