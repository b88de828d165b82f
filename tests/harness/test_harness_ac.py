"""AC benchmarks in the harness: instance sets, the AK(2) certificate, forged AC certificates."""

from __future__ import annotations

import copy
import json

import pytest
from mathgym.leaderboards.submit import SubmissionError, submit

from mathgym.demo import AK2_SOLUTION
from mathgym.harness.registry import get_benchmark
from mathgym.harness.results import write_results
from mathgym.harness.runner import EvalConfig, evaluate

pytest.importorskip("mathgym.verifiers.ac")


def test_ac_benchmarks_have_the_documented_instances():
    ms = get_benchmark("ac/ms1190@1")
    assert len(ms) == 1190 and ms.budget_unit == "search_nodes"
    assert [i.id for i in ms.instances[:2]] == ["ms-0000", "ms-0001"]
    counts = {}
    for inst in ms.instances:
        counts[inst.strata["n"]] = counts.get(inst.strata["n"], 0) + 1
        assert inst.data["max_relator_length"] == 2 * max(2 * inst.strata["n"] + 3, 8) + 2
        assert inst.strata["w_len"] == len(inst.data["w"])
    assert counts == {n: 170 for n in range(1, 8)}
    ak = get_benchmark("ac/ak")
    assert [(i.id, i.data["max_relator_length"]) for i in ak.instances] == [
        ("ak-2", 7), ("ak-3", 9), ("ak-4", 11), ("ak-5", 13), ("ak-6", 15), ("ak-7", 17)]
    assert ak.instance("ak-3").data["presentation"] == "x^3 y^-4, x y x y^-1 x^-1 y^-1"
    quick = get_benchmark("ac/quick")
    assert "quick" in quick.tags and len(quick) == 10
    for inst in quick.instances:  # the same instances as in ms1190, same ids
        assert ms.instance(inst.id) == inst


def test_ak2_known_solution_verifies_and_forgeries_do_not():
    ak = get_benchmark("ac/ak")
    ak2, ak3 = ak.instance("ak-2"), ak.instance("ak-3")
    assert ak.check(ak2, AK2_SOLUTION).ok
    assert "does not end trivial" in ak.check(ak2, AK2_SOLUTION[:-1]).reason
    assert "does not end trivial" in ak.check(ak3, AK2_SOLUTION).reason  # wrong instance
    out_of_range = ak.check(ak2, AK2_SOLUTION + [12]).reason
    assert out_of_range == "move id 12 at position 22 is out of range 0..11"
    assert "not an int" in ak.check(ak2, [1.5]).reason
    assert "must be a list" in ak.check(ak2, "11 4 2").reason


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    certs = tmp / "certs.json"
    certs.write_text(json.dumps({"certificates": {"ak-2": AK2_SOLUTION}}))
    doc = evaluate(EvalConfig(benchmark="ac/ak", agent="replay", agent_config={"path": str(certs)},
                              out=tmp / "run", backend="inline", progress=False))
    assert [r["instance"] for r in doc["results"] if r["solved"]] == ["ak-2"]
    assert doc["metrics"]["solved"] == 1 and doc["results"][0]["cost"] == 22
    return doc


def test_replayed_ak2_is_accepted(replayed, tmp_path):
    path = tmp_path / "r.json"
    write_results(path, replayed)
    stored = submit(path, root=tmp_path / "boards")
    assert stored.parent == tmp_path / "boards" / "ac" / "ak"
    readme = (stored.parent / "README.md").read_text()
    assert replayed["agent"]["oracle"] is True  # replay is privileged: an oracle row, unranked
    row = next(line for line in readme.splitlines() if "replay v2 (path=" in line)
    assert row.startswith("| oracle |") or row.startswith("| - |") or "oracle" in row, row
    assert "| 1/6 | 0.167 \\[0.000, 0.500\\] |" in row, row


@pytest.mark.parametrize("forge, message", [
    (lambda rec, doc: rec.update(certificate=AK2_SOLUTION[:-2], cost=20),
     "instance ak-2 seed 0: certificate rejected: does not end trivial"),
    (lambda rec, doc: rec.update(certificate=[99] + AK2_SOLUTION, cost=23),
     "instance ak-2 seed 0: certificate rejected: move id 99 at position 0 is out of range"),
    (lambda rec, doc: next(r for r in doc["results"] if r["instance"] == "ak-3").update(
        solved=True, claimed=True, certificate=AK2_SOLUTION, cost=22),
     "instance ak-3 seed 0: certificate rejected: does not end trivial"),
])
def test_forged_ac_certificates_are_rejected(replayed, tmp_path, forge, message):
    doc = copy.deepcopy(replayed)
    forge(next(r for r in doc["results"] if r["instance"] == "ak-2"), doc)
    path = tmp_path / "forged.json"
    write_results(path, doc)
    with pytest.raises(SubmissionError) as err:
        submit(path, root=tmp_path / "boards")
    assert message in str(err.value)
    assert not (tmp_path / "boards" / "ac" / "ak").exists()


def test_random_agent_runs_in_the_ac_env_within_budget(tmp_path):
    pytest.importorskip("mathgym.envs.ac.env")
    common = dict(benchmark="ac/quick", agent="random", budget=300, limit=3, progress=False)
    a = evaluate(EvalConfig(out=tmp_path / "a", backend="inline", **common))
    b = evaluate(EvalConfig(out=tmp_path / "b", workers=2, **common))
    assert [r["error"] for r in a["results"]] == [None] * 3
    unsolved = [r["cost"] for r in a["results"] if not r["solved"]]
    assert unsolved == [300] * (3 - a["metrics"]["solved"])
    assert [(r["info"], r["cost"], r["solved"]) for r in a["results"]] == \
        [(r["info"], r["cost"], r["solved"]) for r in b["results"]]
    assert all(r["info"]["episodes"] >= 2 for r in a["results"])  # horizon 200 < budget 300


#: Pinned instance-set fingerprints: if one changes, the benchmark's version must be bumped
#: (old submissions would otherwise be compared against different instances).
PINNED_HASHES = {
    "ac/ak": "sha256:347847bceb9d06a709a4fcbf83f66e198eaf566e894b04f1371df4ab90d56123",
    "ac/quick": "sha256:4aa4e09cc2139112529926abce61d284eb489c62b925177d05290323f54fd68e",
    "ac/ms1190": "sha256:bc8ba9cd6739a668a8e397bfef7e0e0503ec351cd593a2a66c4df26843dbb9ba",
}


def test_content_hashes_are_pinned_and_independent_of_hash_seed():
    import os
    import subprocess
    import sys

    for bid, expected in PINNED_HASHES.items():
        assert get_benchmark(f"{bid}@1").content_hash == expected, f"bump the version of {bid}"
    probe = ("from mathgym.harness.registry import get_benchmark as g;"
             "print(g('ac/ak').content_hash, g('ac/quick').content_hash)")
    for seed in ("0", "12345"):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120, check=True)
        assert out.stdout.split() == [PINNED_HASHES["ac/ak"], PINNED_HASHES["ac/quick"]]
