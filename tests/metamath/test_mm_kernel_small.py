"""Metamath kernel on small hand-written databases: every statement kind, errors, and the C
``metamath`` program as the reference on the same files."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.verifiers.metamath.database import MetamathError, parse
from mathgym.verifiers.metamath.kernel import (
    IncompleteProof,
    ProofError,
    check_proof,
    normal_proof,
    verify_all,
)

HEADER = """$( Propositional fragment: constants come from an included file. $)
$[ consts.mm $]
$[ consts.mm $]
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
ax-2 $a |- ( ( p -> ( q -> r ) ) -> ( ( p -> q ) -> ( p -> r ) ) ) $.
"""

ID_PROOF = (
    "wp wp wp wi wi wp wp wi wp wp ax-1 wp wp wp wi wp wi wi wp wp wp wi wi wp wp wi wi "
    "wp wp wp wi ax-1 wp wp wp wi wp ax-2 mp mp"
)

BODY = f"""
id $p |- ( p -> p ) $= {ID_PROOF} $.
$( compressed, with a Z-saved step reused $)
a1pp $p |- ( ( p -> p ) -> ( ( p -> p ) -> ( p -> p ) ) ) $= ( wi ax-1 ) AABZDC $.
${{
  h1 $e |- p $.
  $( an $e hypothesis used in a normal proof $)
  a1i $p |- ( q -> p ) $= wp wq wp wi h1 wp wq ax-1 mp $.
$}}
$c set A. = $.
$v x y $.
vx $f set x $.
vy $f set y $.
weq $a wff x = y $.
wal $a wff A. x p $.
${{
  $d x p $.
  ax-5 $a |- ( p -> A. x p ) $.
$}}
${{
  $d x y $.
  dv-ok $p |- ( y = y -> A. x y = y ) $= vy vy weq vx ax-5 $.
$}}
dv-bad $p |- ( x = y -> A. x x = y ) $= vx vy weq vx ax-5 $.
unknown $p |- ( p -> ( q -> p ) ) $= wp ? ax-1 $.
"""


def write_db(tmp_path: Path, body: str = BODY, header: str = HEADER) -> Path:
    (tmp_path / "consts.mm").write_text("$c ( ) -> wff |- $.\n")
    path = tmp_path / "main.mm"
    path.write_text(header + body)
    return path


def c_metamath_errors(path: Path) -> set[str]:
    """Labels the C ``metamath`` program reports ``?Error`` for (it always exits 0)."""
    out = subprocess.run(
        ["metamath", f'read "{path.name}"', "verify proof *", "exit"],
        capture_output=True, text=True, timeout=120, cwd=path.parent,
    ).stdout
    return set(re.findall(
        r'\?Error\s+on\s+line\s+\d+\s+of\s+file\s+"[^"]*"\s+at\s+statement\s+\d+,\s+label\s+'
        r'"([^"]+)"', out))


def test_every_statement_kind_parses_and_verifies(tmp_path: Path) -> None:
    db = parse(str(write_db(tmp_path)))
    result = verify_all(db)
    assert result["verified"] == 4  # id, a1pp, a1i, dv-ok
    assert [lab for lab, _ in result["failed"]] == ["dv-bad"]
    assert result["incomplete"] == ["unknown"]
    # mandatory hypotheses: floats of the variables used, then the $e, in declaration order
    assert db.labels["a1i"].hyps == ("wp", "wq", "h1")
    assert db.labels["mp"].hyps == ("wp", "wq", "min", "maj")
    assert db.labels["ax-5"].hyps == ("wp", "vx")
    assert db.labels["ax-5"].dv == ((0, 1),)  # $d x p as float-slot indices
    assert db.format(db.labels["a1pp"].expr).startswith("|- ( ( p -> p )")
    # the included file was read once (a second '$[ $]' of it is a no-op)
    assert db.symbols.count("->") == 1


def test_dv_violation_names_theorem_step_and_pair(tmp_path: Path) -> None:
    db = parse(str(write_db(tmp_path)))
    with pytest.raises(ProofError) as err:
        check_proof(db, db.labels["dv-bad"])
    assert err.value.label == "dv-bad" and err.value.step == 5
    assert "$d" in str(err.value) and "x" in str(err.value)


def test_unknown_step_is_incomplete_not_wrong(tmp_path: Path) -> None:
    db = parse(str(write_db(tmp_path)))
    with pytest.raises(IncompleteProof) as err:
        check_proof(db, db.labels["unknown"])
    assert err.value.step == 2
    with pytest.raises(IncompleteProof):
        check_proof(db, db.labels["a1pp"], ("(", "wi", "ax-1", ")", "AAB?DC"))


def test_compressed_and_normal_agree(tmp_path: Path) -> None:
    db = parse(str(write_db(tmp_path)))
    thm = db.labels["a1pp"]
    normal = normal_proof(db, thm)
    assert normal == "wp wp wi wp wp wi ax-1".split()
    check_proof(db, thm, tuple(normal))


@pytest.mark.parametrize(
    ("proof", "step", "needle"),
    [
        # dropped step: the first mp then finds too few hypotheses
        (ID_PROOF.replace("wp wp ax-1 ", "wp ax-1 ", 1), 39, "needs 4 hypotheses"),
        # wrong label (ax-1 for ax-2, arity 2 not 3): the stack no longer fits the next mp
        (ID_PROOF.replace("ax-2", "ax-1"), 39, "needs typecode 'wff'"),
        (ID_PROOF.replace("mp mp", "mp nosuch"), 40, "unknown label 'nosuch'"),
        ("wp wp ax-1", 3, "proves"),  # proves something else
        (ID_PROOF + " wp", 41, "stack"),  # leftover on the stack
    ],
)
def test_corrupted_normal_proofs_are_rejected(tmp_path: Path, proof: str, step: int,
                                              needle: str) -> None:
    db = parse(str(write_db(tmp_path)))
    with pytest.raises(ProofError) as err:
        check_proof(db, db.labels["id"], tuple(proof.split()))
    assert err.value.label == "id"
    assert err.value.step == step
    assert needle in str(err.value)


def test_swapped_hypotheses_rejected(tmp_path: Path) -> None:
    db = parse(str(write_db(tmp_path)))
    swapped = "wp wq wp wi wp wq ax-1 h1 mp"  # min and maj subproofs in the wrong order
    with pytest.raises(ProofError) as err:
        check_proof(db, db.labels["a1i"], tuple(swapped.split()))
    assert err.value.label == "a1i" and err.value.step == 9


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("$c a $. $c a $.", "already declared"),
        ("$c a $. x $a a b $.", "undeclared math symbol 'b'"),
        ("$c a $. $( never closed", "never closed"),
        ("$}", "without a matching"),
        ("${ $c a $. $}", "outermost"),
        ("$c a $. $v x $. f $f a x $. g $f a x $.", "already has an active $f"),
        ("$c a $. $v x $. f $f a x $. f $a a x $.", "declared twice"),
        ("$c a $. $v x $. ${ $v y $. $} f $f a y $.", "not active"),
        ("$c a $. t $a a", "never ended"),
        ("$c a $. ${", "never closed"),
    ],
)
def test_malformed_databases_raise_clear_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.mm"
    path.write_text(text)
    with pytest.raises(MetamathError, match=re.escape(needle)):
        parse(str(path))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=39), min_size=1, max_size=3))
def test_deleting_any_steps_of_id_is_rejected(tmp_path_factory, drops: list[int]) -> None:
    """Property: removing any nonempty set of steps from a correct proof never verifies."""
    tmp = tmp_path_factory.mktemp("mm")
    db = parse(str(write_db(tmp)))
    steps = ID_PROOF.split()
    keep = [s for k, s in enumerate(steps) if k not in set(drops)]
    with pytest.raises(ProofError):
        check_proof(db, db.labels["id"], tuple(keep))


@pytest.mark.skipif(shutil.which("metamath") is None,
                    reason="the C metamath program is not installed (make setup)")
def test_c_metamath_agrees_on_the_small_database(tmp_path: Path) -> None:
    path = write_db(tmp_path)
    db = parse(str(path))
    ours = verify_all(db)
    assert c_metamath_errors(path) == {lab for lab, _ in ours["failed"]} == {"dv-bad"}


DEBIAN_DBS = Path("/usr/share/metamath/databases")


@pytest.mark.parametrize("name", ["demo0", "miu", "peano", "hol", "ql", "big-unifier", "nf",
                                  "iset"])
def test_other_debian_databases_agree_with_c_metamath(name: str) -> None:
    """Every shipped database verifies in our kernel, and the C program finds no error."""
    path = DEBIAN_DBS / f"{name}.mm"
    if not path.exists() or shutil.which("metamath") is None:
        pytest.skip(f"{path} or the metamath program is absent (make setup)")
    db = parse(str(path))
    ours = verify_all(db)
    assert ours["failed"] == [] and ours["incomplete"] == []
    assert ours["verified"] == len(db.theorems)
    assert c_metamath_errors(path) == set()
