"""``datasets`` export (issue 15): export -> load -> rows equal the benchmark's instances, and
each row's verifier hook accepts the row's known answer (and rejects a wrong one).

Real ``datasets`` (save_to_disk, load_from_disk, Parquet), real verifiers, real boards.
Metamath's round trip is in tests/metamath/test_mm_export.py (it needs set.mm).
"""

from __future__ import annotations

import hashlib
import json

import datasets
import pyarrow.parquet as pq
import pytest
from mathgym.envs.ac.interop import to_dataset as ac_dataset
from mathgym.envs.reasoning import to_dataset as reasoning_dataset

from mathgym.cli import main
from mathgym.harness import export
from mathgym.harness.benchmark import Instance
from mathgym.harness.registry import get_benchmark


def _instance(row) -> Instance:
    return Instance(row["instance_id"], json.loads(row["instance_data"]), json.loads(row["strata"]))


def _assert_rows_are_the_instances(rows, bench):
    assert [r["instance_id"] for r in rows] == [i.id for i in bench.instances]
    for row in rows:
        assert _instance(row).to_json() == bench.instance(row["instance_id"]).to_json()
        assert row["benchmark"] == bench.full_id and row["content_hash"] == bench.content_hash
        assert list(row)[:len(export.COMMON_COLUMNS)] == list(export.COMMON_COLUMNS)


@pytest.fixture(scope="module")
def mathqa():
    bench = get_benchmark("reasoning/mathqa-quick")
    return bench, reasoning_dataset("reasoning/mathqa-quick")


def test_reasoning_round_trip_save_to_disk_and_parquet(mathqa, tmp_path):
    bench, ds = mathqa
    export.save(ds, tmp_path / "disk")
    export.save(ds, tmp_path / "pq", parquet=True)
    disk = datasets.load_from_disk(str(tmp_path / "disk"))
    parquet = export.load(tmp_path / "pq")
    assert disk.features == ds.features == parquet.features
    rows = disk.to_list()
    assert rows == ds.to_list() == parquet.to_list()
    assert rows == pq.read_table(tmp_path / "pq" / "data.parquet").to_pylist()  # plain pyarrow
    _assert_rows_are_the_instances(rows, bench)
    for row in rows:
        assert hashlib.sha256(row["answer"].encode()).hexdigest() == \
            json.loads(row["instance_data"])["answer_sha256"]
        assert row["prompt"] == f"{row['question']}\nGive the final answer inside \\boxed{{}}."
        assert row["verifier"] == "mathgym.verifiers.math:check"


def test_reasoning_hook_accepts_the_known_answer_and_rejects_a_wrong_one(mathqa):
    bench, ds = mathqa
    for row in ds:
        assert export.call_verifier(row, row["answer"]) == (True, "correct"), row["instance_id"]
    row = ds[0]  # algebra__linear_1d/000: "Solve -3 - s = -4 for s."
    assert (row["question"], row["answer"]) == ("Solve -3 - s = -4 for s.", "1")
    assert export.call_verifier(row, "2")[0] is False
    assert export.call_verifier(row, "\\boxed{1}")[0] is True
    # the leaderboard's own verifier agrees with the hook on the row's instance
    assert bench.check(_instance(row), row["answer"]).ok
    assert not bench.check(_instance(row), "2").ok


def test_reasoning_generated_problems_match_to_rows():
    from mathgym.envs.reasoning import to_rows

    ds = reasoning_dataset(modules=["algebra__linear_1d", "arithmetic__add_or_sub"], per_module=2,
                           seed=7)
    rows = to_rows(["algebra__linear_1d", "arithmetic__add_or_sub"], per_module=2, seed=7)
    assert [(r["prompt"], r["answer"], r["answer_type"], r["spec"]) for r in ds] == \
        [(r["prompt"], r["answer"], r["answer_type"], r["spec"]) for r in rows]
    assert ds[0]["benchmark"] is None and ds[0]["instance_id"] == "algebra__linear_1d/1/7/0"
    assert all(export.call_verifier(r, r["answer"])[0] for r in ds)


@pytest.mark.parametrize("bench_id", ["ac/quick", "ac/ak"])
def test_ac_round_trip_and_known_paths(bench_id, tmp_path):
    bench = get_benchmark(bench_id)
    export.save(ac_dataset(bench_id), tmp_path / "out")
    loaded = datasets.load_from_disk(str(tmp_path / "out"))
    assert loaded.features["known_paths"] == datasets.List(datasets.List(datasets.Value("int64")))
    rows = loaded.to_list()
    _assert_rows_are_the_instances(rows, bench)
    for row in rows:
        inst = bench.instance(row["instance_id"])
        assert row["presentation"] == inst.data["presentation"]
        assert row["relators"] == inst.data["relators"]
        assert row["max_relator_length"] == inst.data["max_relator_length"]
        paths = row["known_paths"]
        assert paths == sorted(paths, key=lambda p: (len(p), p))
        assert row["answer"] == (json.dumps(paths[0]) if paths else None)
        for path in paths:  # the hook and the leaderboard's verifier both accept every path
            assert export.call_verifier(row, path) == (True, "")
            assert bench.check(inst, path).ok
        assert export.call_verifier(row, [0, 1])[0] is False
    if bench_id == "ac/ak":
        by_id = {r["instance_id"]: r for r in rows}
        # AK(2) is AC-trivial within cap 7 (the demo replays a 22-move path); AK(3) is open
        assert by_id["ak-2"]["known_paths"] and len(json.loads(by_id["ak-2"]["answer"])) <= 22
        assert by_id["ak-3"]["answer"] is None and by_id["ak-3"]["known_paths"] == []
    else:
        assert sum(bool(r["known_paths"]) for r in rows) >= 6  # the quick board's best: 6/10


def test_call_verifier_only_runs_mathgym_hooks(mathqa):
    row = dict(mathqa[1][0])
    for name in ("os:system", "builtins:eval", "mathgym.verifiers.math:score", None):
        with pytest.raises(ValueError, match="not one of mathgym's verifier hooks"):
            export.call_verifier({**row, "verifier": name}, "1")
    bad = {**row, "verifier_kwargs": json.dumps({"answer_text": "1", "reference": "1"})}
    with pytest.raises(ValueError, match="without the verifier_certificate argument"):
        export.call_verifier(bad, "1")
    with pytest.raises(ValueError, match="not JSON"):
        export.call_verifier({**row, "verifier_kwargs": "{nope"}, "1")


def test_save_is_atomic_and_never_mixes(tmp_path, monkeypatch):
    ds = datasets.Dataset.from_list([{"a": 1}])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    with pytest.raises(FileExistsError, match="not an empty folder"):
        export.save(ds, tmp_path / "full")
    assert export.save(ds, tmp_path / "empty-ok").is_dir()

    def broken(path, **kwargs):
        (tmp_path / "marker").write_text(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ds, "save_to_disk", broken)
    with pytest.raises(OSError):
        export.save(ds, tmp_path / "never")
    assert not (tmp_path / "never").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-ok", "full", "marker"]


def test_cli_export(tmp_path, capsys):
    out = tmp_path / "ak"
    assert main(["export", "--benchmark", "ac/ak@1", "--out", str(out), "--parquet"]) == 0
    line = capsys.readouterr().out.strip()
    assert line == (f"exported 6 rows of ac/ak@1 to {out / 'data.parquet'} (Parquet); "
                    "verifier hook mathgym.verifiers.ac:verify_ac_path")
    assert [r["instance_id"] for r in export.load(out)] == [f"ak-{n}" for n in range(2, 8)]
    assert main(["export", "--benchmark", "ac/ak", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "--benchmark", "ac/nope", "--out", str(tmp_path / "n")]) == 2
    assert "unknown benchmark 'ac/nope'" in capsys.readouterr().err
    assert main(["export", "--benchmark", "formal/lean-replay", "--out", str(tmp_path / "l")]) == 2
    assert "has no dataset export" in capsys.readouterr().err
    assert not (tmp_path / "n").exists() and not (tmp_path / "l").exists()


def test_family_functions_refuse_other_families():
    with pytest.raises(ValueError, match="ac/quick is not a reasoning/\\* benchmark"):
        reasoning_dataset("ac/quick")
    with pytest.raises(ValueError, match="reasoning/mathqa-quick is not a ac/\\* benchmark"):
        ac_dataset("reasoning/mathqa-quick")


def test_ac_ms1190_known_paths_include_the_new_paths_of_tests_search_data():
    """tests/search/data/new_ms1190_paths.json: 47 presentations AC-Solver's greedy left
    unsolved, solved by ac-greedy at 10M nodes and submitted to the ms1190 board. The export
    must carry each of those paths, and no unsolvable-looking row may claim an answer."""
    from pathlib import Path

    data = Path(__file__).parents[1] / "search" / "data" / "new_ms1190_paths.json"
    new = json.loads(data.read_text())["paths"]
    rows = {r["instance_id"]: r for r in ac_dataset("ac/ms1190")}
    assert len(rows) == 1190 and len(new) == 47
    for iid, entry in new.items():
        assert rows[iid]["presentation"] == entry["presentation"]
        assert entry["path"] in rows[iid]["known_paths"], iid
    solved = [r for r in rows.values() if r["known_paths"]]
    assert len(solved) >= 533 + 47  # AC-Solver's greedy 533, plus the 47 new ones
    assert all(r["answer"] is None for r in rows.values() if not r["known_paths"])


@pytest.mark.parametrize("parquet", [False, True])
def test_export_is_byte_identical_across_runs(tmp_path, parquet):
    for name in ("a", "b"):
        export.save(ac_dataset("ac/ak"), tmp_path / name, parquet=parquet)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == (["data.parquet"] if parquet else
                     ["data-00000-of-00001.arrow", "dataset_info.json", "state.json"])
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
