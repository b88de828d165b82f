"""Metamath ``datasets`` export (issue 15): rows equal the instances, hypotheses come from set.mm,
and every known proof, set.mm's own first, passes the row's verifier hook (our kernel and the
usage rule). Skipped with a reason without Debian's set.mm: the export reads it.
"""

from __future__ import annotations

import json
import os

import pytest
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE

from mathgym.harness import export
from mathgym.harness.benchmark import Instance
from mathgym.harness.registry import get_benchmark

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.environ.get("MATHGYM_METAMATH_DB") or DEFAULT_DATABASE),
    reason=f"{DEFAULT_DATABASE} is absent (install Debian's metamath-databases: make setup)",
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("mm") / "quick"
    export.save(export.to_dataset("formal/metamath-quick"), out, parquet=True)
    return export.load(out).to_list()


def test_rows_are_the_instances(exported):
    bench = get_benchmark("formal/metamath-quick")
    assert [r["instance_id"] for r in exported] == [i.id for i in bench.instances]
    for row in exported:
        inst = Instance(row["instance_id"], json.loads(row["instance_data"]),
                        json.loads(row["strata"]))
        assert inst.to_json() == bench.instance(row["instance_id"]).to_json()
        assert (row["theorem"], row["statement"]) == (inst.data["theorem"], inst.data["statement"])
        assert row["verifier"] == "mathgym.verifiers.metamath.certificate:verify_theorem_proof"
        assert json.loads(row["verifier_kwargs"]) == {"label": row["theorem"],
                                                      "statement": row["statement"]}


def test_known_facts_of_set_mm(exported):
    by_id = {r["theorem"]: r for r in exported}
    # 3mix1d: |- ( ph -> ( ps \/ ch \/ th ) ) from the one hypothesis 3mixd.1: |- ( ph -> ps )
    assert by_id["3mix1d"]["statement"] == "|- ( ph -> ( ps \\/ ch \\/ th ) )"
    assert by_id["3mix1d"]["hypotheses"] == ["3mixd.1: |- ( ph -> ps )"]
    assert by_id["simp223"]["hypotheses"] == []
    assert "given 3mixd.1: |- ( ph -> ps )" in by_id["3mix1d"]["prompt"]


def test_every_known_proof_passes_the_hook_and_a_wrong_one_fails(exported):
    for row in exported:
        proofs = row["known_proofs"]
        assert proofs and row["answer"] == proofs[0]
        assert proofs == sorted(proofs, key=lambda p: (len(p.split()), p))
        for proof in proofs:
            assert export.call_verifier(row, proof) == (True, "")
    ok, reason = export.call_verifier(exported[0], "wph syl")
    assert not ok and "wrong" in reason
