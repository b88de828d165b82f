"""Sealed runs reach a board only through the holder of their secret (issue 10, class 3).

A real sealed evaluation (``mathgym eval --sealed-secret``: spawned workers on views) of the
oracle on ``reasoning/mathqa-l1-sealed``, then ``mathgym submit`` with and without the secret.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from mathgym.leaderboards.board import load_submissions, ranked_rows
from mathgym.leaderboards.submit import SubmissionError, submit

from mathgym.cli import main

SECRET = b"board-maintainer-secret-0123456789"
OTHER = b"somebody-else-entirely-9876543210"


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "secret"
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def sealed_run(tmp_path_factory, secret_file) -> dict:
    out = tmp_path_factory.mktemp("sealed") / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "mathgym.cli", "eval", "--no-progress", "--sealed-secret",
         str(secret_file), "--benchmark", "reasoning/mathqa-l1-sealed", "--agent",
         "oracle-sympy", "--budget", "1", "--workers", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text())


def _write(tmp_path, doc):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


def test_without_the_secret_a_sealed_run_is_refused(sealed_run, tmp_path):
    with pytest.raises(SubmissionError, match="only the holder of its secret"):
        submit(_write(tmp_path, sealed_run), root=tmp_path / "boards")


def test_another_secret_is_refused(sealed_run, tmp_path):
    with pytest.raises(SubmissionError, match="does not match"):
        submit(_write(tmp_path, sealed_run), root=tmp_path / "boards", sealed_secret=OTHER)


def test_with_the_secret_it_is_verified_and_listed(sealed_run, tmp_path):
    root = tmp_path / "boards"
    path = submit(_write(tmp_path, sealed_run), root=root, sealed_secret=SECRET)
    stored = json.loads(path.read_text())
    assert stored["benchmark"]["sealed"] == sealed_run["benchmark"]["sealed"]
    assert stored["metrics"]["solved"] == 1700
    (row,) = ranked_rows(load_submissions("reasoning/mathqa-l1-sealed", root))
    assert not row["stale"] and row["oracle"]
    assert "(sealed: one per secret)" in (path.parent / "README.md").read_text()


@pytest.mark.parametrize("edit", ["drop-mark", "env-kwargs", "forged-answer", "open-id"])
def test_edited_sealed_runs_are_refused(sealed_run, tmp_path, edit):
    doc = copy.deepcopy(sealed_run)
    if edit == "drop-mark":  # posing as an open run: the open split has other instances
        del doc["benchmark"]["sealed"]
    elif edit == "env-kwargs":
        doc["env"]["kwargs"] = {doc["instances"][0]: {"problem_seed": 1}}
    elif edit == "forged-answer":
        doc["results"][0]["certificate"] = "12345678987654321"
    elif edit == "open-id":
        doc["benchmark"]["id"] = "reasoning/mathqa-l1"
    with pytest.raises(SubmissionError):
        submit(_write(tmp_path, doc), root=tmp_path / "boards", sealed_secret=SECRET)


def test_reproduction_is_refused_for_sealed_runs(sealed_run, tmp_path):
    with pytest.raises(SubmissionError, match="must not hold a sealed split's secret"):
        submit(_write(tmp_path, sealed_run), root=tmp_path / "boards", sealed_secret=SECRET,
               reproduce=1)


def test_cli_reads_the_secret_file_and_refuses_loose_ones(sealed_run, tmp_path, secret_file):
    path = _write(tmp_path, sealed_run)
    loose = tmp_path / "loose"
    loose.write_bytes(SECRET)
    loose.chmod(0o644)
    assert main(["submit", str(path), "--root", str(tmp_path / "b"), "--sealed-secret",
                 str(loose)]) == 2
    assert main(["submit", str(path), "--root", str(tmp_path / "b"), "--sealed-secret",
                 str(secret_file)]) == 0
