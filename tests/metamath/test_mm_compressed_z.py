"""Compressed-proof ``Z`` placement: our kernel is exactly as strict as the C ``metamath``.

``Z`` saves the step just made for reuse. The C program accepts it only after a step that
applies an ``$a``/``$p`` (a second ``Z`` right after a first is accepted too); after a
hypothesis or a saved-step reference it reports "declares a local label", and before any step
"A local label character must occur after a proof step". Each crafted proof below is checked
by both; the verdicts must agree (the C part is skipped when ``metamath`` is absent).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mathgym.verifiers.metamath.database import MetamathError, parse
from mathgym.verifiers.metamath.kernel import ProofError, check_proof

BASE = """$c ( ) -> wff |- $.
$v p q r $.
wp $f wff p $.
wq $f wff q $.
wr $f wff r $.
wi $a wff ( p -> q ) $.
${
  min $e |- p $.
  maj $e |- ( p -> q ) $.
  mp $a |- q $.
$}
ax-1 $a |- ( p -> ( q -> p ) ) $.
"""
GOAL = "|- ( ( p -> p ) -> ( ( p -> p ) -> ( p -> p ) ) )"
# label -> (letters with table "( wi ax-1 )": A = wp, B = wi, C = ax-1, D.. = saved, ours)
CASES = {
    "zok": ("AABZDC", True),  # Z after wi (an $a)
    "zhyp": ("AZDBZEC", False),  # Z after the hypothesis wp
    "zref": ("AABZDZEC", False),  # Z after a reference to a saved step
    "zzok": ("AABZZDC", True),  # Z twice after wi: both save it
    "zz5": ("AABZZEC", True),  # ... and the second saved entry is usable
    "zfirst": ("ZAABZDC", False),  # Z before any step
    "zlast": ("AABZDCZ", True),  # Z after the last step (ax-1), unused
}
EHYP = """${
  h1 $e |- p $.
  zehyp $p |- p $= ( ) BZC $.
  zehyp2 $p |- p $= ( ) BZ $.
$}
"""


def database_text() -> str:
    body = "".join(f"{lab} $p {GOAL} $= ( wi ax-1 ) {letters} $.\n"
                   for lab, (letters, _) in CASES.items())
    return BASE + body + EHYP


def our_verdicts(path: Path) -> dict[str, str]:
    """label -> '' (accepted) or our kernel's reason."""
    db = parse(str(path))
    out = {}
    for thm in db.theorems:
        try:
            check_proof(db, thm)
        except MetamathError as err:
            out[thm.label] = str(err)
        else:
            out[thm.label] = ""
    return out


def test_z_after_a_hypothesis_or_reference_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "z.mm"
    path.write_text(database_text())
    ours = our_verdicts(path)
    for lab, (_, accepted) in CASES.items():
        assert (ours[lab] == "") is accepted, (lab, ours[lab])
    assert "declares a local label" in ours["zhyp"] and "after step 1" in ours["zhyp"]
    assert "declares a local label" in ours["zref"]
    assert "before any proof step" in ours["zfirst"]
    assert "declares a local label" in ours["zehyp"] and "declares a local label" in ours["zehyp2"]
    db = parse(str(path))
    with pytest.raises(ProofError) as err:
        check_proof(db, db.labels["zhyp"])
    assert err.value.step == 2  # the Z, right after step 1 (the hypothesis wp)


@pytest.mark.skipif(shutil.which("metamath") is None,
                    reason="the C metamath program is absent (make setup)")
def test_verdicts_equal_the_c_program(tmp_path: Path) -> None:
    path = tmp_path / "z.mm"
    path.write_text(database_text())
    out = subprocess.run(["metamath", f'read "{path.name}"', "verify proof *", "exit"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path).stdout
    c_rejected = set(re.findall(r'\?Error on line \d+ of file "[^"]*" at statement \d+, '
                                r'label "([^"]+)"', out))
    ours = our_verdicts(path)
    assert {lab for lab, why in ours.items() if why} == c_rejected
    assert c_rejected == {"zhyp", "zref", "zfirst", "zehyp", "zehyp2"}
    assert out.count("declares a local label") == 4
