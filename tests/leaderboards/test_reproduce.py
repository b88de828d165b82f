"""``mathgym submit --reproduce K``: an honest run re-runs to the same certificates and costs; a
copy with one cost edited does not (issue 10, class 2). Real agents on ``ac/quick``."""

from __future__ import annotations

import copy
import json

import pytest
from mathgym.leaderboards.board import load_submissions, ranked_rows
from mathgym.leaderboards.reproduce import ReproductionError, choose_records, reproduce
from mathgym.leaderboards.submit import SubmissionError, submit

from mathgym.cli import main
from mathgym.harness.registry import get_benchmark
from mathgym.harness.runner import EvalConfig, evaluate


@pytest.fixture(scope="module")
def greedy_run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("greedy")
    return evaluate(EvalConfig(benchmark="ac/quick", agent="ac-greedy", out=out, budget=2000,
                               seeds=[0], backend="inline", progress=False))


def _write(tmp_path, doc, name="results.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_an_honest_run_passes_reproduce_5_and_is_marked(greedy_run, tmp_path):
    root = tmp_path / "boards"
    path = submit(_write(tmp_path, greedy_run), root=root, reproduce=5, reproduce_seed=7)
    stored = json.loads(path.read_text())["submission"]["reproduced"]
    assert stored["records"] == 5 and stored["seed"] == 7 and len(stored["checked"]) == 5
    (row,) = ranked_rows(load_submissions("ac/quick", root))
    assert row["reproduced"] == 5 and "reproduced 5" in row["marks"]


@pytest.mark.parametrize("field", [
    "cost-solved", "cost-unsolved", "certificate", "seed-swap"])
def test_one_edited_record_fails_reproduction(greedy_run, tmp_path, field):
    doc = copy.deepcopy(greedy_run)
    solved = [r for r in doc["results"] if r["solved"]]
    unsolved = [r for r in doc["results"] if not r["solved"]]
    if field == "cost-solved":  # still >= its path length, so only a re-run can tell
        solved[0]["cost"] = max(len(solved[0]["certificate"]), solved[0]["cost"] - 1)
    elif field == "cost-unsolved":
        unsolved[0]["cost"] -= 1
    elif field == "certificate":  # a longer, still valid path: r1 <- r1 r0, then undo it
        solved[0]["certificate"] = solved[0]["certificate"] + [0, 2]
        solved[0]["cost"] += 2
    elif field == "seed-swap":  # two unsolved records trade costs
        unsolved[0]["cost"], unsolved[1]["cost"] = unsolved[1]["cost"], unsolved[0]["cost"] + 1
    n = len(doc["results"])
    with pytest.raises(SubmissionError, match="reproduction failed"):
        submit(_write(tmp_path, doc), root=tmp_path / "boards", reproduce=n)
    assert not (tmp_path / "boards").exists()


def test_the_draw_is_seeded_and_independent_of_file_order(greedy_run):
    records = greedy_run["results"]
    a = choose_records(records, 4, seed=3)
    b = choose_records(list(reversed(records)), 4, seed=3)
    assert a == b and len(a) == 4
    assert choose_records(records, 4, seed=4) != a or len(records) <= 4
    assert len(choose_records(records, 999, seed=0)) == len(records)
    with pytest.raises(ValueError):
        choose_records(records, 0, seed=0)


def test_another_agent_version_cannot_be_reproduced(greedy_run):
    doc = copy.deepcopy(greedy_run)
    doc["agent"]["version"] = "0"
    with pytest.raises(ReproductionError, match="version 0"):
        reproduce(doc, get_benchmark("ac/quick"), 1, seed=0)


def test_another_config_re_runs_to_different_costs(greedy_run):
    """A file claiming a config it was not made with (here: symmetry on) fails reproduction."""
    doc = copy.deepcopy(greedy_run)
    doc["agent"]["config"]["symmetry"] = True
    with pytest.raises(ReproductionError):
        reproduce(doc, get_benchmark("ac/quick"), len(doc["results"]), seed=0)


def test_cli_submit_reproduce(greedy_run, tmp_path, capsys):
    path = _write(tmp_path, greedy_run)
    assert main(["submit", str(path), "--root", str(tmp_path / "b"), "--reproduce", "3",
                 "--reproduce-seed", "1"]) == 0
    assert "reproduced 3" in capsys.readouterr().out
    assert main(["submit", str(path), "--root", str(tmp_path / "c"), "--reproduce", "0"]) == 2


def test_a_row_already_on_the_board_can_be_reproduced_later(greedy_run, tmp_path):
    root = tmp_path / "boards"
    first = submit(_write(tmp_path, greedy_run), root=root)
    with pytest.raises(SubmissionError, match="already on the board"):
        submit(first, root=root)
    again = submit(first, root=root, reproduce=2, reproduce_seed=5)
    assert again == first
    stored = json.loads(first.read_text())["submission"]
    assert stored["reproduced"]["records"] == 2
    assert len(load_submissions("ac/quick", root)) == 1
    assert "reproduced 2" in (first.parent / "README.md").read_text()


def test_training_runs_are_refused_unfinished_and_cannot_be_reproduced_per_record(
        greedy_run, tmp_path):
    doc = copy.deepcopy(greedy_run)
    doc["training"] = {"learner": "sb3-ppo", "steps": 1000, "curve": [[0, 0]], "finished": False}
    with pytest.raises(SubmissionError, match="not finished .*--resume"):
        submit(_write(tmp_path, doc), root=tmp_path / "boards")
    doc["training"]["finished"] = True
    with pytest.raises(SubmissionError, match="cannot be re-run one by one.*mathgym train"):
        submit(_write(tmp_path, doc), root=tmp_path / "boards", reproduce=2)
