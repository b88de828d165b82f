"""The verified leaderboard: forged certificates, schema errors, hashes and versions are refused;
an honest run is accepted and shows up in ``mathgym leaderboard``.

Runs on the toy plug-in family (``harness_toy_plugin``): reach a target with +1/+2 steps,
certificate = list of actions in {0, 1}.
"""

from __future__ import annotations

import copy
import json

import harness_toy_plugin
import pytest
from mathgym.leaderboards.board import load_submissions
from mathgym.leaderboards.submit import SubmissionError, submit

from mathgym.cli import main
from mathgym.harness.results import ResultsError, read_results, validate_results, write_results
from mathgym.harness.runner import EvalConfig, evaluate


@pytest.fixture(autouse=True)
def _toy(monkeypatch):
    harness_toy_plugin.activate(monkeypatch)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    import os

    old = os.environ.get("MATHGYM_EXTRA_MODULES")
    os.environ["MATHGYM_EXTRA_MODULES"] = "harness_toy_plugin"
    try:
        out = tmp_path_factory.mktemp("run")
        doc = evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=out,
                                  budget=8, seeds=[0, 1], backend="inline", progress=False))
    finally:
        if old is None:
            del os.environ["MATHGYM_EXTRA_MODULES"]
        else:
            os.environ["MATHGYM_EXTRA_MODULES"] = old
    assert 0 < doc["metrics"]["solved"] < doc["metrics"]["num_records"]
    return doc


def _write(tmp_path, doc, name="results.json", validate=True):
    path = tmp_path / name
    if validate:
        write_results(path, doc)
    else:
        path.write_text(json.dumps(doc))
    return path


def _solved_index(doc, instance=None):
    for i, rec in enumerate(doc["results"]):
        if rec["solved"] and (instance is None or rec["instance"] == instance):
            return i
    raise AssertionError("no solved record")


def test_honest_run_is_accepted_and_listed(honest, tmp_path, capsys):
    root = tmp_path / "boards"
    path = submit(_write(tmp_path, honest), root=root)
    assert path.parent == root / "toy" / "count"
    stored = read_results(path)
    assert stored["metrics"]["solved"] == honest["metrics"]["solved"]
    assert (root / "toy" / "count" / "README.md").read_text().count("toy-walker v1") == 1
    assert "<svg" in (root / "toy" / "count" / "index.html").read_text()
    assert main(["leaderboard", "toy/count", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    solved, total = honest["metrics"]["solved"], honest["metrics"]["num_records"]
    row = next(line for line in out.splitlines() if line.startswith("1 "))
    assert "toy-walker v1 (crash=, forge=False, hang=, sleep=0.0)" in row
    assert f" {solved}/{total} " in row
    with pytest.raises(SubmissionError, match="already on the board"):
        submit(_write(tmp_path, honest), root=root)


def test_cli_submit_then_leaderboard_shows_the_new_row(honest, tmp_path, capsys):
    root = tmp_path / "b"
    assert main(["submit", str(_write(tmp_path, honest)), "--root", str(root)]) == 0
    capsys.readouterr()
    assert main(["leaderboard", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "== toy/count (1 submission(s))"
    assert lines[2].split()[:3] == ["1", "toy-walker", "v1"]


def test_certificate_that_does_not_solve_is_rejected(honest, tmp_path):
    doc = copy.deepcopy(honest)
    i = _solved_index(doc)
    doc["results"][i]["certificate"] = doc["results"][i]["certificate"] + [1]
    inst = doc["results"][i]["instance"]
    with pytest.raises(SubmissionError) as err:
        submit(_write(tmp_path, doc), root=tmp_path / "b")
    seed = doc["results"][i]["seed"]
    assert f"instance {inst} seed {seed}: certificate rejected" in str(err.value)
    assert "steps sum to" in str(err.value)
    assert not (tmp_path / "b" / "toy" / "count").exists()


def test_action_id_out_of_range_is_rejected(honest, tmp_path):
    doc = copy.deepcopy(honest)
    i = _solved_index(doc)
    doc["results"][i]["certificate"] = [7] + doc["results"][i]["certificate"]
    with pytest.raises(SubmissionError, match=r"action 7 at position 0 is out of range"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")


def test_solution_for_another_instance_is_rejected(honest, tmp_path):
    doc = copy.deepcopy(honest)
    # t03's instance needs sum 3; give it t02's certificate (sum 2), claimed solved
    src = next(r for r in doc["results"] if r["instance"] == "t02" and r["solved"])
    dst = next(r for r in doc["results"] if r["instance"] == "t03")
    dst.update(solved=True, claimed=True, certificate=src["certificate"])
    with pytest.raises(SubmissionError, match=r"instance t03 seed \d: certificate rejected: steps "
                                              r"sum to 2, not 3"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")


def test_cost_over_budget_and_forged_metrics(honest, tmp_path):
    doc = copy.deepcopy(honest)
    doc["results"][_solved_index(doc)]["cost"] = 9  # budget is 8
    with pytest.raises(SubmissionError, match="exceeds budget 8"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")
    doc = copy.deepcopy(honest)
    doc["metrics"]["solved"] = doc["metrics"]["num_records"]
    doc["metrics"]["solve_rate"] = 1.0
    path = submit(_write(tmp_path, doc), root=tmp_path / "c")
    stored = read_results(path)
    assert stored["metrics"]["solved"] == honest["metrics"]["solved"]  # recomputed, not trusted
    assert stored["submission"]["claimed_solved_in_file"] == doc["metrics"]["num_records"]


def test_content_hash_version_and_completeness_are_checked(honest, tmp_path):
    doc = copy.deepcopy(honest)
    doc["benchmark"]["content_hash"] = "sha256:" + "0" * 64
    with pytest.raises(SubmissionError, match="content hash mismatch for toy/count@1"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")
    doc = copy.deepcopy(honest)
    doc["benchmark"]["version"] = 2
    with pytest.raises(SubmissionError, match="unknown benchmark version 'toy/count@2'"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")
    doc = copy.deepcopy(honest)
    doc["results"] = [r for r in doc["results"] if r["instance"] != "t05"]
    with pytest.raises(SubmissionError, match=r"(?s)2 of 24 .* missing.*instance t05 seed 0"):
        submit(_write(tmp_path, doc), root=tmp_path / "b")


def test_schema_violations_have_readable_errors(honest, tmp_path):
    doc = copy.deepcopy(honest)
    doc["results"][3]["solved"] = "yes"
    del doc["seeds"]
    doc["budget"]["amount"] = -1
    with pytest.raises(ResultsError) as err:
        validate_results(doc, source="r.json")
    msg = str(err.value)
    assert "r.json does not follow the mathgym results schema v1:" in msg
    assert "at $: 'seeds' is a required property" in msg
    assert "at $.results[3].solved: 'yes' is not of type 'boolean'" in msg
    assert "at $.budget.amount: -1 is less than or equal to the minimum of 0" in msg
    with pytest.raises(SubmissionError, match=r"at \$.results\[3\].solved"):
        submit(_write(tmp_path, doc, validate=False), root=tmp_path / "b")
    with pytest.raises(ResultsError, match="refusing|does not follow"):
        write_results(tmp_path / "x.json", doc)  # validated on write too
    assert not (tmp_path / "x.json").exists()


def test_duplicates_and_broken_json_are_reported(honest, tmp_path):
    doc = copy.deepcopy(honest)
    doc["results"].append(dict(doc["results"][0]))
    with pytest.raises(ResultsError, match=r"at \$.results\[24\]: duplicate record for instance "
                                           r"'t01' seed 0"):
        validate_results(doc)
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "mathgym-results",')
    with pytest.raises(SubmissionError, match="not valid JSON"):
        submit(bad, root=tmp_path / "b")


def test_agent_claim_is_verified_during_eval(tmp_path):
    doc = evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=tmp_path,
                              agent_config={"forge": True}, budget=8, seeds=[0],
                              backend="inline", progress=False))
    assert doc["metrics"]["solved"] == 0
    claimed = [r for r in doc["results"] if r["claimed"]]
    assert claimed and all(r["verdict"].startswith("certificate rejected") for r in claimed)
    assert load_submissions("toy/count", tmp_path / "none") == []


def test_submissions_of_a_changed_benchmark_are_marked_stale(honest, tmp_path):
    from mathgym.leaderboards.board import ranked_rows, regenerate

    from mathgym.harness import registry
    from mathgym.harness.benchmark import Benchmark

    root = tmp_path / "boards"
    path = submit(_write(tmp_path, honest), root=root)
    assert not ranked_rows(load_submissions("toy/count", root))[0]["stale"]
    old = harness_toy_plugin.toy_count()
    fields = {f: getattr(old, f) for f in ("id", "description", "budget_unit", "default_budget",
                                            "env_id", "env_kwargs", "verify", "strata")}
    registry.register_benchmark("toy/count", lambda: Benchmark(
        version=2, instances=old.instances[:-1], **fields))
    try:
        row = ranked_rows(load_submissions("toy/count", root))[0]
        assert row["stale"] and row["agent"].endswith("[stale]")
        regenerate("toy/count", root)
        assert "[stale]" in (path.parent / "README.md").read_text()
    finally:
        registry._runtime_benchmarks.pop("toy/count", None)
        registry._benchmark_cache.pop("toy/count", None)
