"""The usage rule on set.mm: a proof may use only what the theorem's own set.mm proof may use.

Regression for mathgym issue 10 (classes 1 and 7): set.mm holds ``ax-riotaBAD``, an axiom its
comment calls inconsistent, with theorems built on it; a 20-action ex-falso script through
``riotaclbBAD`` proved any later theorem, and the C ``metamath`` program accepts that proof
too. Here the kernel rule, the benchmark verifier and the env's reward all refuse it; lemmas
that are discouraged, later, flagged or rest on axioms outside the target's closure (``ax-reg``,
choice) are refused; our closures equal the C program's ``show trace_back L /axioms``; action
certificates are bounded and fast; ``min_cost`` holds for the board's records.

Skipped with a reason when set.mm (or, for the C cross-checks, ``metamath``) is absent.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, Assertion

SET_MM = Path(DEFAULT_DATABASE)
pytestmark = pytest.mark.skipif(
    not SET_MM.exists(), reason=f"{SET_MM} is absent (install metamath-databases: make setup)"
)
needs_c = pytest.mark.skipif(
    shutil.which("metamath") is None, reason="the C metamath program is absent (make setup)"
)
ROOT = Path(__file__).resolve().parents[2]

TARGET = "usgrnbssvwo2"  # formal/metamath-quick instance 10, after riotaclbBAD in set.mm
TARGET_MOVES = ["nbgrssvwo2", "usgrnbssovtx.v"]  # its own two |- steps
P = "E! x e. { (/) } F."
IOTA = "( iota_ x e. { (/) } F. )"
NOT_P = ["mto ; ps := E. x e. { (/) } F.", "nrex", "a1i", "fal", "reurex"]
#: Ex falso: riotaund (the new df-riota) gives iota = (/) e. { (/) }, riotaclbBAD turns that
#: into E! x e. { (/) } F., which is false; pm2.24ii then proves the goal, whatever it is.
EX_FALSO = [
    f"pm2.24ii ; ph := {P}",
    f"mpbir ; ps := {IOTA} e. {{ (/) }}",
    "mpbir ; ps := (/) e. { (/) }",
    "snid",
    "0ex",
    "eleq1i",
    f"ax-mp ; ph := -. {P}",
    *NOT_P,
    "riotaund",
    "riotaclbBAD",
    "p0ex",
    *NOT_P,
]


@pytest.fixture(scope="module")
def checked():
    from mathgym.verifiers.metamath.certificate import load_checked_database

    return load_checked_database(str(SET_MM))


@pytest.fixture(scope="module")
def lib():
    from mathgym.envs.metamath.library import load_library

    return load_library()


def unchecked_proof(lib, target: str, actions: list[str]) -> str:
    """The proof ``actions`` assemble for ``target`` when nothing but unification is checked
    (no order, usage or discouragement rule): how an exploit script is built."""
    from mathgym.envs.metamath.prover import Prover

    class Unchecked(Prover):
        def usable(self, label: str) -> str | None:
            obj = self.db.labels.get(label)
            if label in self.hyp_trees or (isinstance(obj, Assertion) and label in self.lib.concl):
                return None
            return f"not an assertion: {label!r}"

    prover = Unchecked(lib, target)
    state = prover.initial_state()
    for action in actions:
        state = prover.apply(state, *prover.parse_action(action))
    assert state.proved
    return " ".join(prover.assemble_proof(state))


def cite_and_discard(lib, lemma: str, subs: dict | None = None) -> list[str]:
    """Actions proving TARGET that also prove ``lemma``'s statement (its variables replaced
    by ``subs``) and throw it away."""
    subs = subs or {}
    stmt = [subs.get(t, t) for t in lib.db.decode(lib.db.labels[lemma].expr)[1:]]
    action = " ; ".join([lemma, *(f"{v} := {e}" for v, e in subs.items())])
    return [f"simpri ; ph := {' '.join(stmt)}", "pm3.2i", action, *TARGET_MOVES]


def kernel_verdict(checked, target: str, proof: str, with_rule: bool) -> str:
    """'' if our kernel accepts ``proof``, else its reason."""
    from mathgym.verifiers.metamath.database import MetamathError
    from mathgym.verifiers.metamath.kernel import check_proof

    db, rule = checked
    try:
        check_proof(db, db.labels[target], tuple(proof.split()), rule if with_rule else None)
    except MetamathError as err:
        return str(err)
    return ""


def c_errors(proofs: dict[str, str], tmp_path: Path) -> str:
    """The C program's output for ``verify proof`` of each label in a copy of set.mm with
    those proofs substituted (it always exits 0: callers look for ``?Error``)."""
    text = SET_MM.read_text()
    for label, proof in proofs.items():
        m = re.search(r"(?<=\s)" + re.escape(label) + r"\s+\$p\s", text)
        eq = text.index("$=", m.end())
        end = text.index("$.", eq)
        text = text[: eq + 2] + " " + proof + " " + text[end:]
    path = tmp_path / "set-usage.mm"
    path.write_text(text)
    commands = [f"verify proof {lab}" for lab in proofs]
    return subprocess.run(["metamath", f'read "{path.name}"', *commands, "exit"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path).stdout


# ---------------------------------------------------------------------- flags and closures
def test_setmm_flags_exactly_the_bad_statements(checked) -> None:
    from mathgym.verifiers.metamath.usage import is_flagged

    db, rule = checked
    assert rule.flagged == {
        "ax-riotaBAD", "riotaclbgBAD", "riotaclbBAD", "mreclatBAD", "mreclatdemoBAD"
    }
    # ax-riotaBAD's comment alone flags it ("... MAKES THE SYSTEM IN set.mm INCONSISTENT")
    assert is_flagged("ax-riota", "conflicts with df-riota and makes the system in set.mm "
                      "INCONSISTENT. It is temporary")
    assert not is_flagged("goel", "then T can prove the falsity, that is, T is inconsistent.")
    assert "idALT" in rule.discouraged and "syl" not in rule.discouraged
    bad = rule.bit["ax-riotaBAD"]
    built_on_bad = [t for t in db.theorems if rule.closure_bits[t.label] & bad]
    assert len(built_on_bad) == 1221 and "riotasvd" in [t.label for t in built_on_bad]


CLOSURE_LABELS = ["syl", "idi", "a1i", "riotasvd", "rp-6frege", "intnand", "iooex", "axac3",
                  "elirr", TARGET, "fvprc", "pm4.64", "assaascl0", "relfusgra"]


@needs_c
def test_closures_equal_c_trace_back(checked) -> None:
    db, rule = checked
    commands = [f"show trace_back {lab} /axioms" for lab in CLOSURE_LABELS]
    out = subprocess.run(["metamath", f'read "{SET_MM.name}"', *commands, "exit"],
                         capture_output=True, text=True, timeout=300, cwd=SET_MM.parent).stdout
    assert "?Error" not in out
    blocks = re.findall(r'Statement "([^"]+)" assumes the following axioms \(\$a statements\):'
                        r"\n(.*?)(?=\nMM>)", out, re.S)
    c_closure = {lab: body.split() for lab, body in blocks}
    assert sorted(c_closure) == sorted(CLOSURE_LABELS)
    for lab in CLOSURE_LABELS:
        ours = rule.closure(lab)
        assert ours == ([] if c_closure[lab] == ["(None)"] else c_closure[lab]), lab
    assert rule.closure("syl") == ["wi", "ax-mp", "ax-1", "ax-2"]
    assert "ax-riotaBAD" in rule.closure("riotasvd") and "ax-1" not in rule.closure("rp-6frege")


# ---------------------------------------------------------------------- the ex-falso exploit
@pytest.fixture(scope="module")
def ex_falso(lib) -> str:
    return unchecked_proof(lib, TARGET, EX_FALSO)


def test_ex_falso_through_bad_is_refused_by_the_kernel_rule(checked, ex_falso) -> None:
    assert len(EX_FALSO) == 20
    assert kernel_verdict(checked, TARGET, ex_falso, with_rule=False) == ""  # the old hole
    why = kernel_verdict(checked, TARGET, ex_falso, with_rule=True)
    assert "'riotaclbBAD' is flagged as inconsistent" in why


def test_ex_falso_refused_by_the_benchmark_verifier(ex_falso) -> None:
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("formal/metamath-quick")
    inst = bench.instance(TARGET)
    verdict = bench.check(inst, {"proof": ex_falso})
    assert not verdict.ok and "riotaclbBAD" in verdict.reason
    replay = bench.check(inst, EX_FALSO)  # the same script as an env-action certificate
    assert not replay.ok and "does not finish" in replay.reason


def test_fixed_script_exploit_is_gone_in_the_env(lib) -> None:
    from mathgym.envs.metamath.env import MetamathEnv

    env = MetamathEnv(theorem=TARGET)
    obs, info = env.reset(seed=0)
    assert info["is_success"] is False
    rewards = []
    errors = {}
    for k, action in enumerate(EX_FALSO):
        obs, reward, term, trunc, info = env.step(action)
        rewards.append(reward)
        assert info["is_success"] is (reward == 1.0)
        if "error" in info:
            errors[k] = info["error"]
        assert all(lib.rule.why_not(env.prover.thm, lib.db.labels[c]) is None
                   for c in info["candidates"] if c in lib.db.labels
                   and isinstance(lib.db.labels[c], Assertion))
        if term or trunc:
            break
    assert max(rewards) == 0.0
    assert "flagged as inconsistent" in errors[EX_FALSO.index("riotaclbBAD")]
    assert "rests on 'df-reu'" in errors[EX_FALSO.index("reurex")]  # not in TARGET's closure


def test_env_reward_refuses_a_bad_proof_even_if_the_prover_were_bypassed(lib) -> None:
    """The reward's kernel check applies the rule itself, not only the prover's moves."""
    from mathgym.envs.metamath.env import MetamathEnv

    env = MetamathEnv(theorem=TARGET)
    env.reset(seed=0)
    prover = env.prover
    prover.usable = lambda label: None  # this instance only: every move is allowed
    state = prover.initial_state()
    for action in EX_FALSO:
        state = prover.apply(state, *prover.parse_action(action))
    assert state.proved
    proof, error = env.finish(state)
    assert proof is None and "riotaclbBAD' is flagged as inconsistent" in error


# ---------------------------------------------------------------------- variants
@pytest.mark.parametrize(
    ("lemma", "subs", "needle", "plain_ok"),
    [
        ("ax-riotaBAD", None, "'ax-riotaBAD' is flagged as inconsistent", True),  # BAD axiom
        # a BAD theorem ($d x A: A := _om keeps it satisfied)
        ("riotaclbgBAD", {"A": "_om"}, "'riotaclbgBAD' is flagged as inconsistent", True),
        ("idALT", None, "'idALT' is marked '(New usage is discouraged.)'", True),
        ("testable", None, "'testable' is not an earlier", False),  # after the target
        ("elirr", None, "'elirr' rests on 'ax-reg'", True),  # regularity: not in the closure
        ("axac3", None, "rests on", True),  # choice (ax-ac2)
    ],
)
def test_lemmas_outside_the_rule_are_refused(checked, lib, lemma, subs, needle,
                                             plain_ok) -> None:
    db, rule = checked
    proof = unchecked_proof(lib, TARGET, cite_and_discard(lib, lemma, subs))
    assert lemma in proof.split()
    plain = kernel_verdict(checked, TARGET, proof, with_rule=False)
    assert (plain == "") is plain_ok, plain
    why = kernel_verdict(checked, TARGET, proof, with_rule=True)
    assert needle in why, why
    if lemma == "axac3":
        outside = set(rule.closure(lemma)) - set(rule.closure(TARGET))
        assert "ax-ac2" in outside and "ax-ac2" in why or "rests on 'w" not in why


def test_lemma_inside_the_closure_is_accepted(checked, lib) -> None:
    """Control: the same discard pattern with an allowed lemma (id) passes the rule."""
    proof = unchecked_proof(lib, TARGET, cite_and_discard(lib, "id"))
    assert kernel_verdict(checked, TARGET, proof, with_rule=True) == ""


def test_stored_proof_built_on_bad_is_refused(checked) -> None:
    from mathgym.verifiers.metamath.kernel import ProofError, check_proof

    db, rule = checked
    check_proof(db, db.labels["riotasvd"])  # fine for the plain kernel...
    with pytest.raises(ProofError, match="riotaclbgBAD' is flagged"):
        check_proof(db, db.labels["riotasvd"], rule=rule)  # ...but cites riotaclbgBAD
    check_proof(db, db.labels["syl"], rule=rule)
    check_proof(db, db.labels[TARGET], rule=rule)


@needs_c
def test_c_metamath_accepts_the_exploit_proofs(lib, ex_falso, tmp_path: Path) -> None:
    """The reference checker has no usage rule: it accepts the ex-falso proof and the
    cite-and-discard ones, so refusing them is our rule's doing, not a kernel difference."""
    proofs = {TARGET: ex_falso}
    # another theorem after riotaclbBAD: the same 20 actions prove it too
    proofs["assaascl0"] = unchecked_proof(lib, "assaascl0", EX_FALSO)
    out = c_errors(proofs, tmp_path)
    assert "?Error" not in out and out.count("MM> verify proof") == len(proofs)
    for lemma, subs in (("ax-riotaBAD", None), ("riotaclbgBAD", {"A": "_om"}),
                        ("idALT", None), ("elirr", None), ("axac3", None)):
        proof = unchecked_proof(lib, TARGET, cite_and_discard(lib, lemma, subs))
        out = c_errors({TARGET: proof}, tmp_path)
        assert "?Error" not in out, (lemma, out[-2000:])


# ---------------------------------------------------------------------- end to end
def test_end_to_end_metamath_test_check(checked, lib) -> None:
    from mathgym.verifiers.metamath.kernel import normal_proof

    from mathgym.harness.registry import get_benchmark

    db, _ = checked
    bench = get_benchmark("formal/metamath-test")
    inst = bench.instance("assaascl0")
    forged = bench.check(inst, {"proof": unchecked_proof(lib, "assaascl0", EX_FALSO)})
    assert not forged.ok and "flagged as inconsistent" in forged.reason
    honest = " ".join(normal_proof(db, db.labels["assaascl0"]))
    assert bench.check(inst, {"proof": honest}).ok
    compressed = " ".join(db.labels["assaascl0"].proof)
    assert bench.check(inst, {"proof": compressed}).ok
    assert bench.cost_floor(inst, {"proof": honest}) == bench.cost_floor(
        inst, {"proof": compressed}) == inst.data["proof_steps"] == 9


# ---------------------------------------------------------------------- size and speed
def test_ten_thousand_action_certificate_is_refused_quickly() -> None:
    from mathgym.envs.metamath.benchmarks import MAX_CERTIFICATE_ACTIONS, REPLAY_CANDIDATES

    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("formal/metamath-test")
    inst = bench.instance("assaascl0")
    start = time.perf_counter()
    verdict = bench.check(inst, [0] * 10_000)
    seconds = time.perf_counter() - start
    print(f"10,000-action certificate: {seconds:.3f} s")
    assert not verdict.ok and f"more than the {MAX_CERTIFICATE_ACTIONS}" in verdict.reason
    # at the limit: every action is replayed (index actions pick candidates)
    start = time.perf_counter()
    actions = ["nosuchlabel", REPLAY_CANDIDATES - 1, "syl"] * (MAX_CERTIFICATE_ACTIONS // 3)
    verdict = bench.check(inst, actions)
    print(f"{len(actions)}-action certificate: {time.perf_counter() - start:.3f} s")
    assert not verdict.ok and "does not finish" in verdict.reason


def test_long_proof_text_is_checked_or_refused(checked) -> None:
    from mathgym.verifiers.metamath.certificate import (
        MAX_PROOF_STEPS,
        proof_steps,
        verify_theorem_proof,
    )
    from mathgym.verifiers.metamath.kernel import normal_proof

    db, _ = checked
    # a 10,001-step normal proof that leaves 10,001 expressions on the stack
    start = time.perf_counter()
    ok, why = verify_theorem_proof("id", " ".join(["wph"] * 10_001), str(SET_MM))
    print(f"10,001-step proof: {time.perf_counter() - start:.3f} s")
    assert not ok and "ends with 10001 expressions" in why
    # a right 10,000-step proof of id: its own proof, wrapped in idi (|- ph => |- ph) 2,500 times
    own = " ".join(normal_proof(db, db.labels["id"]))
    long = " ".join(["wph wph wi"] * 2500 + [own] + ["idi"] * 2500)
    assert proof_steps(long) >= 10_000
    start = time.perf_counter()
    ok, why = verify_theorem_proof("id", long, str(SET_MM))
    print(f"{proof_steps(long)}-step proof: {time.perf_counter() - start:.3f} s")
    assert ok, why
    ok, why = verify_theorem_proof("id", "wph " * (MAX_PROOF_STEPS + 1), str(SET_MM))
    assert not ok and f"more than {MAX_PROOF_STEPS} steps" in why


# ---------------------------------------------------------------------- cost lower bound
def test_min_cost_counts_provable_steps(ex_falso) -> None:
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("formal/metamath-quick")
    inst = bench.instance(TARGET)
    assert bench.min_cost is not None
    n_moves = len(EX_FALSO)
    assert bench.cost_floor(inst, {"proof": ex_falso}) == n_moves  # one |- step per move
    assert bench.cost_floor(inst, EX_FALSO) == n_moves
    assert bench.cost_floor(inst, {"proof": ""}) == 0 and bench.cost_floor(inst, "x") == 0


def test_min_cost_holds_for_every_board_record() -> None:
    from mathgym.harness.registry import get_benchmark

    files = sorted(glob.glob(str(ROOT / "leaderboards/formal/metamath-*/*.json")))
    checked_records = 0
    for path in files:
        data = json.loads(Path(path).read_text())
        bench = get_benchmark(data["benchmark"]["id"])
        for rec in data["results"]:
            if rec.get("solved"):
                floor = bench.cost_floor(bench.instance(rec["instance"]), rec["certificate"])
                assert 1 <= floor <= rec["cost"], (path, rec["instance"], floor, rec["cost"])
                checked_records += 1
    if not files:
        pytest.skip("no metamath board submissions in this checkout")
    assert checked_records > 0
