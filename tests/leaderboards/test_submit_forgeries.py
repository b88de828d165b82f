"""Forged certificates of the reported exploits are refused end to end by ``mathgym submit``
(issue 10, classes 1 and 5), starting from honest runs on the boards."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from board_runs import board_run, write_doc
from mathgym.leaderboards.submit import SubmissionError, submit

SET_MM = Path("/usr/share/metamath/databases/set.mm")

#: The 20-action ex-falso script of tests/metamath/test_mm_usage.py: through riotaclbBAD (an
#: axiom set.mm itself calls inconsistent) it proved any later theorem, and earned reward 1.
P = "E! x e. { (/) } F."
NOT_P = ["mto ; ps := E. x e. { (/) } F.", "nrex", "a1i", "fal", "reurex"]
EX_FALSO = [
    f"pm2.24ii ; ph := {P}", "mpbir ; ps := ( iota_ x e. { (/) } F. ) e. { (/) }",
    "mpbir ; ps := (/) e. { (/) }", "snid", "0ex", "eleq1i", f"ax-mp ; ph := -. {P}",
    *NOT_P, "riotaund", "riotaclbBAD", "p0ex", *NOT_P,
]




@pytest.mark.skipif(not SET_MM.exists(), reason=f"{SET_MM} is absent (make setup installs it)")
@pytest.mark.parametrize("budget, reason", [
    (100, "usgrnbssvwo2 seed 0: certificate rejected"),
    (1, "usgrnbssvwo2 seed 0: cost 1 is below 20"),  # the reported 'accepted at budget 1'
])
def test_a_forged_ex_falso_metamath_record_is_refused(tmp_path, budget, reason):
    doc = board_run("formal/metamath-quick", "random")
    doc["budget"]["amount"] = budget
    for rec in doc["results"]:
        rec["cost"] = min(rec["cost"], budget)
    rec = next(r for r in doc["results"] if r["instance"] == "usgrnbssvwo2")
    rec.update(solved=True, claimed=True, certificate=EX_FALSO, cost=min(len(EX_FALSO), budget))
    with pytest.raises(SubmissionError, match=reason):
        submit(write_doc(tmp_path, doc), root=tmp_path / "boards")
    assert not (tmp_path / "boards").exists()


@pytest.mark.parametrize("forge", [
    "{ref} + 10^-40*sqrt(2)",
    "{ref} + pi/10^50",
    "({ref}) * (1 + 10^-60*e)",
    "\\boxed{{{ref} + 10^{{-45}}\\sqrt{{3}}}}",
])
def test_a_reference_plus_a_tiny_irrational_term_is_refused(tmp_path, forge):
    doc = board_run("reasoning/mathqa-quick", "oracle-sympy")
    forged = copy.deepcopy(doc)
    targets = [r for r in forged["results"]
               if r["solved"] and r["instance"].split("__")[0] in {"arithmetic", "numbers"}]
    assert targets
    for rec in targets[:3]:
        rec["certificate"] = forge.format(ref=rec["certificate"])
    with pytest.raises(SubmissionError, match="certificate rejected"):
        submit(write_doc(tmp_path, forged), root=tmp_path / "boards")
