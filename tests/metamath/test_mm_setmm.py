"""Metamath kernel on Debian's set.mm: every proof verifies, and corrupted proofs of chosen
theorems are rejected by our kernel *and* by the C ``metamath`` program (the reference).

Skipped with a reason when set.mm or the ``metamath`` program is absent (``make setup``).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mathgym.verifiers.metamath.certificate import load_database
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE
from mathgym.verifiers.metamath.kernel import ProofError, check_proof, normal_proof, verify_all

SET_MM = Path(DEFAULT_DATABASE)
pytestmark = pytest.mark.skipif(
    not SET_MM.exists(), reason=f"{SET_MM} is absent (install metamath-databases: make setup)"
)
needs_c = pytest.mark.skipif(
    shutil.which("metamath") is None, reason="the C metamath program is absent (make setup)"
)


@pytest.fixture(scope="module")
def db():
    # the verifier's per-process cache: the env tests' certificate checks reuse this parse
    return load_database(str(SET_MM))


def c_metamath_verify(path: Path, labels: list[str]) -> str:
    """The C program's output for ``verify proof L`` of each label, in one run (it always
    exits 0, so callers look for ``?Error``)."""
    commands = [f"verify proof {lab}" for lab in labels]
    return subprocess.run(
        ["metamath", f'read "{path.name}"', *commands, "exit"],
        capture_output=True, text=True, timeout=300, cwd=path.parent,
    ).stdout


def error_labels(output: str) -> set[str]:
    return set(re.findall(
        r'\?Error\s+on\s+line\s+\d+\s+of\s+file\s+"[^"]*"\s+at\s+statement\s+\d+,\s+label\s+'
        r'"([^"]+)"', output))


def replace_proof(text: str, label: str, proof: str) -> str:
    """``text`` with the proof of ``label`` replaced by ``proof``."""
    m = re.search(r"(?<=\s)" + re.escape(label) + r"\s+\$p\s", text)
    assert m, label
    eq = text.index("$=", m.end())
    end = text.index("$.", eq)
    return text[: eq + 2] + " " + proof + " " + text[end:]


@pytest.mark.slow
def test_every_setmm_proof_verifies(db) -> None:
    result = verify_all(db)
    assert result["failed"] == [] and result["incomplete"] == []
    assert result["verified"] == len(db.theorems) > 37000


def _corruptions(db) -> dict:
    """label -> (corrupted normal proof, expected step, text in our message)."""
    out = {}
    # dropped step: remove the df-or step, so bicomi lacks its hypothesis
    p = normal_proof(db, db.labels["pm4.64"])  # wph wps wo wph wn wps wi wph wps df-or bicomi
    out["pm4.64"] = (p[:-2] + p[-1:], len(p) - 1, "needs")
    # wrong label: com12 -> com13 (same hypotheses shape, different conclusion)
    p = normal_proof(db, db.labels["pm2.43b"])
    wrong = ["com13" if lab == "com12" else lab for lab in p]
    out["pm2.43b"] = (wrong, None, "")
    # swapped hypotheses: the two $e subproofs of an ax-mp step in mp2 swapped
    p = normal_proof(db, db.labels["mp2"])
    i, j = p.index("mp2.1"), p.index("mp2.2")
    swapped = list(p)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    out["mp2"] = (swapped, None, "")
    return out


@needs_c
@pytest.mark.slow
def test_corrupted_proofs_rejected_by_both_kernels(db, tmp_path: Path) -> None:
    text = SET_MM.read_text()
    cases = _corruptions(db)
    for label, (proof, step, needle) in cases.items():
        assert proof != normal_proof(db, db.labels[label])
        with pytest.raises(ProofError) as err:
            check_proof(db, db.labels[label], tuple(proof))
        assert err.value.label == label
        if step is not None:
            assert err.value.step == step
        assert needle in str(err.value)
        text = replace_proof(text, label, " ".join(proof))
    # $d violation: ax5e needs $d x ph; delete that $d from its block in the copy
    block = "  ${\n    $d x ph $.\n    $( A rephrasing of ~ ax-5 using the existential"
    assert text.count(block) == 1
    text = text.replace(block, "  ${\n    $( A rephrasing of ~ ax-5 using the existential")
    thm = db.labels["ax5e"]
    x, ph = db.codes["x"], db.codes["ph"]
    no_dv = dataclasses.replace(thm, frame_dv=thm.frame_dv - {(min(x, ph), max(x, ph))})
    with pytest.raises(ProofError) as err:
        check_proof(db, no_dv)
    assert err.value.label == "ax5e" and "$d" in str(err.value) and "ax-5" in str(err.value)
    # the C program, on the corrupted copy, reports exactly these theorems
    path = tmp_path / "set-corrupted.mm"
    path.write_text(text)
    output = c_metamath_verify(path, ["pm4.64", "pm2.43b", "mp2", "ax5e", "id", "syl"])
    assert error_labels(output) == {"pm4.64", "pm2.43b", "mp2", "ax5e"}


@needs_c
def test_c_metamath_accepts_our_normal_form_of_stored_proofs(db, tmp_path: Path) -> None:
    """normal_proof() expands Z-reuse; the C program must accept the result too."""
    text = SET_MM.read_text()
    labels = ["mp2", "pm2.43b", "syl", "3mix1d", "fvprc"]
    for label in labels:
        proof = normal_proof(db, db.labels[label])
        check_proof(db, db.labels[label], tuple(proof))
        text = replace_proof(text, label, " ".join(proof))
    path = tmp_path / "set-normal.mm"
    path.write_text(text)
    out = c_metamath_verify(path, labels)
    assert "?Error" not in out and out.count("verify proof") == len(labels)
