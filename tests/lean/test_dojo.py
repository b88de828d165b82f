"""The LeanDojo-style API (``mathgym.envs.lean.dojo``) on recorded sessions of the real Lean REPL.

No package registry ships a Lean 4 toolchain, so these tests replay transcripts recorded from
the real REPL (leanprover-community/repl test suite, Lean v4.33.0-rc2); the goals, ids and
errors asserted are Lean's own output. They skip, saying why, when ``../shared`` is absent.
The restart tests use ``fake_lean_repl.py``, a real child process that hangs or dies on
request. The comparison with lean-dojo's own classes runs only where ``lean_dojo`` is
installed (it is not a test dependency: it pulls in Ray, about 400 MB).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lean_testing import needs_transcripts, stem
from leandojo_style_prover import best_first_search
from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.dojo import (
    REPL_TESTS_REPO,
    CommandState,
    Dojo,
    DojoCrashError,
    DojoInitError,
    DojoTacticTimeoutError,
    LeanError,
    LeanGitRepo,
    ProofFinished,
    ProofGivenUp,
    TacticState,
    Theorem,
    recorded_theorems,
)
from mathgym.envs.lean.errors import LeanNotAvailableError, ReplayMismatchError
from mathgym.envs.lean.goals import Declaration, parse_goals
from mathgym.envs.lean.protocol import parse_response
from mathgym.envs.lean.theorems import source_from_file
from mathgym.envs.lean.transcripts import load_transcript
from mathgym.envs.lean.transport import ReplayTransport, SubprocessTransport

FAKE = [sys.executable, str(Path(__file__).with_name("fake_lean_repl.py"))]


def recorded(name: str, full_name: str) -> Theorem:
    return Theorem(REPL_TESTS_REPO, f"test/{name}.in", full_name)


# --------------------------------------------------------------------------- results
@needs_transcripts
def test_branching_proof_reports_goals_with_leandojo_fields():
    with Dojo(recorded("proof_branching", "complex_and")) as (dojo, state):
        assert state == TacticState("p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r", 0)
        assert (state.id, state.message, state.num_goals) == (0, None, 1)
        assert state.goals[0].assumptions == [
            Declaration("p", "Prop"), Declaration("q", "Prop"), Declaration("r", "Prop"),
            Declaration("h1", "p ∧ q"), Declaration("h2", "q → r"),
        ]
        split = dojo.run_tac(state, "apply And.intro")
        assert isinstance(split, TacticState) and (split.id, split.num_goals) == (1, 2)
        assert split.pp.startswith("case left\np q r : Prop\n") and "\n\ncase right\n" in split.pp
        assert [g.conclusion for g in split.goals] == ["p", "r"]
        assert len(split.goals[1].assumptions) == 5  # the case tag is not a hypothesis
        s2 = dojo.run_tac(split, "exact h1.left")
        s3 = dojo.run_tac(s2, "apply h2")
        assert [g.conclusion for g in s3.goals] == ["q"]
        assert dojo.is_successful is False
        done = dojo.run_tac(s3, "exact h1.right")
        assert done == ProofFinished(4) and done.message == ""
        assert dojo.is_successful is True


@needs_transcripts
def test_any_earlier_state_can_be_tried_again():
    with Dojo(recorded("proof_step", "f")) as (dojo, root):
        dead_end = dojo.run_tac(root, "apply Int.natAbs")
        assert dead_end == TacticState("⊢ Int", 1)
        have = dojo.run_tac(root, "have t : Nat := 42")
        assert (have.pp, have.id) == ("t : Nat\n⊢ Nat", 2)
        assert dojo.run_tac(have, "exact t") == ProofFinished(3)


@needs_transcripts
@pytest.mark.parametrize(
    ("name", "full_name", "tactics"),
    [
        ("tactic_mode_sorry", "f", ["sorry"]),                   # closes every goal with sorry
        ("by_cases", "foo", ["by_cases h : x < 0", "all_goals sorry"]),
    ],
)
def test_goals_closed_with_sorry_are_proof_given_up(name, full_name, tactics):
    with Dojo(recorded(name, full_name)) as (dojo, state):
        for tactic in tactics[:-1]:
            state = dojo.run_tac(state, tactic)
        assert dojo.run_tac(state, tactics[-1]) == ProofGivenUp()
        assert dojo.is_successful is False


@needs_transcripts
def test_a_sorry_with_goals_left_is_a_tactic_state_as_in_leandojo():
    # LeanDojo's Lean4Repl looks for sorry in the proof term only once no goals are left
    with Dojo(recorded("sorry_hypotheses", "foo")) as (dojo, state):
        result = dojo.run_tac(state, "have h : x = 1 := sorry")
        assert result == TacticState("x : Int\nh : x = 1\n⊢ x = x", 1)


@needs_transcripts
@pytest.mark.parametrize(
    ("name", "full_name", "tactic", "error"),
    [
        ("invalid_tactic", "my_theorem", "exact my_fake_premise",
         "Unknown identifier `my_fake_premise`"),
        ("unknown_tactic", "f", "exat 42", "Lean error:\n<input>:1:1: unknown tactic"),
    ],
)
def test_lean_errors_come_back_as_lean_error(name, full_name, tactic, error):
    with Dojo(recorded(name, full_name)) as (dojo, state):
        assert dojo.run_tac(state, tactic) == LeanError(error)


@needs_transcripts
def test_a_kernel_rejection_is_a_lean_error_not_a_proof():
    with Dojo(recorded("self_proof_exact_check", "ex")) as (dojo, state):
        result = dojo.run_tac(state, "exact ex")
        assert isinstance(result, LeanError)
        assert "kernel" in result.error and dojo.is_successful is False


@needs_transcripts
def test_closed_goals_with_metavariables_are_a_lean_error():
    # app_type_mismatch records 'apply ?succ' closing the goals with a metavariable left; the
    # theorem is an `example` (no name to open it by), so its recorded answer is mapped directly.
    transcript = load_transcript(stem("app_type_mismatch"))
    i = next(i for i, r in enumerate(transcript.requests) if r.get("tactic") == "apply ?succ")
    resp = parse_response(transcript.responses[i])
    assert resp.goals == () and resp.proof_status == "Incomplete: contains metavariable(s)"
    with Dojo(recorded("proof_step", "f")) as (dojo, _):
        result = dojo._result(0, "apply ?succ", resp)
    assert result == LeanError(
        "no goals are left but Lean does not accept the proof: "
        "Incomplete: contains metavariable(s)"
    )


# --------------------------------------------------------------------------- errors
@needs_transcripts
def test_unknown_theorems_and_sessions_are_init_errors_that_list_what_exists():
    with pytest.raises(DojoInitError, match=r"declares no theorem 'g'.*\['f'\]"):
        Dojo(recorded("proof_step", "g")).__enter__()
    with pytest.raises(DojoInitError, match="no recorded REPL session 'nope'.*proof_step"):
        Dojo(recorded("nope", "f")).__enter__()
    away = Theorem(LeanGitRepo("https://github.com/someone/else", "abc"), "A.lean", "t")
    with pytest.raises(DojoInitError, match="not a local directory; clone it"):
        Dojo(away).__enter__()
    with pytest.raises(DojoInitError, match="start it at line_nb=1"):
        Dojo((REPL_TESTS_REPO, "test/proof_step.in", 5)).__enter__()
    with pytest.raises(ValueError, match=r"takes \(repo, file_path, line_nb\)"):
        Dojo((REPL_TESTS_REPO, "test/proof_step.in"))
    with pytest.raises(ValueError, match="timeout must be"):
        Dojo(recorded("proof_step", "f"), timeout=0)
    with pytest.raises(TypeError, match="got str without 'repo'"):
        Dojo("proof_step").__enter__()


@needs_transcripts
def test_bad_states_and_tactics_are_refused_clearly():
    with Dojo(recorded("proof_step", "f")) as (dojo, root):
        with pytest.raises(RuntimeError, match="state id 7 is not a state of this Dojo"):
            dojo.run_tac(TacticState("⊢ Nat", 7), "exact 42")
        with pytest.raises(RuntimeError, match="state id 0 is not a state"):
            dojo.run_tac(TacticState("⊢ Int", 0), "exact 42")  # right id, other goals
        with pytest.raises(RuntimeError, match="invalid state ProofFinished"):
            dojo.run_tac(ProofFinished(3), "exact t")
        with pytest.raises(TypeError, match="must be a str"):
            dojo.run_tac(root, 42)
        with pytest.raises(ReplayMismatchError, match="not among the unused recorded"):
            dojo.run_tac(root, "exact 42")  # never recorded: a replay cannot answer it
        assert dojo.run_tac(root, "have t : Nat := 42").id == 1  # the miss consumed nothing
    with pytest.raises(RuntimeError, match="outside the 'with Dojo"):
        dojo.run_tac(root, "apply Int.natAbs")


# --------------------------------------------------------------------------- command mode
@needs_transcripts
def test_command_mode_runs_commands_in_the_environment_of_a_state():
    with Dojo((REPL_TESTS_REPO, "test/trace_simp.in", 1)) as (dojo, empty):
        assert dojo.uses_commands and not dojo.uses_tactics and dojo.is_successful is None
        assert empty == CommandState(0) and empty.id == 0
        f = dojo.run_cmd(empty, "def f := 37")
        lemma = dojo.run_cmd(f, "@[simp] theorem f_def : f = 37 := by rfl")
        traced = dojo.run_cmd(lemma, "set_option trace.Meta.Tactic.simp true")
        simp = dojo.run_cmd(traced, "example : f = 37 := by simp")
        assert [s.id for s in (f, lemma, traced, simp)] == [1, 2, 3, 4]
        assert simp.message.startswith("[Meta.Tactic.simp.rewrite] f_def:1000:")
        with pytest.raises(RuntimeError, match="invalid state TacticState"):
            dojo.run_cmd(TacticState("⊢ True", 0), "#check f")
        with pytest.raises(RuntimeError, match="invalid state CommandState"):
            dojo.run_tac(simp, "simp")
        with pytest.raises(RuntimeError, match="state id 9 is not a state"):
            dojo.run_cmd(CommandState(9), "#check f")


@needs_transcripts
def test_a_command_lean_rejects_is_a_lean_error():
    with Dojo((REPL_TESTS_REPO, "test/dup_msg.in", 1)) as (dojo, empty):
        f = dojo.run_cmd(empty, "def f := 2")
        checked = dojo.run_cmd(f, "#check f")
        assert (type(checked), checked.id, checked.message) == (CommandState, 2, "f : Nat")
        assert dojo.run_cmd(checked, "#check g") == LeanError("Unknown identifier `g`")
        assert CommandState(1) == CommandState(2, "x")  # as in LeanDojo: no field compares


def test_command_mode_on_a_local_file_survives_a_restart(tmp_path):
    (tmp_path / "A.lean").write_text("import Foo\ndef a := 1\ndef b := 2\n", encoding="utf-8")
    client = LeanClient(SubprocessTransport(FAKE, timeout=30))
    entry = (LeanGitRepo(str(tmp_path), "local"), "A.lean", 3)  # the code before line 3
    with Dojo(entry, timeout=1.0, client=client) as (dojo, start):
        one = dojo.run_cmd(start, "def c := 3")
        assert one.id == 1
        with pytest.raises(DojoTacticTimeoutError):
            dojo.run_cmd(one, "HANG")
        assert dojo.run_cmd(one, "def d := 4").id == 2  # header and 'def c' re-run first
        assert client.generation == 1
    client.close()


# --------------------------------------------------------------------------- local files
def test_a_theorem_is_found_in_a_lean_file_by_its_namespaced_name(tmp_path):
    (tmp_path / "Demo.lean").write_text(
        "import Mathlib\n\nnamespace Demo\n\n/-- A doc comment. -/\n@[simp] theorem two "
        "(n : Nat) (h : n = 2 := by rfl) : n + 0 = 2 := by\n  simp [h]\n\n"
        "lemma eqs : ∀ n : Nat, n = n\n  | 0 => rfl\n  | _ + 1 => rfl\n\nend Demo\n",
        encoding="utf-8",
    )
    source = source_from_file(tmp_path / "Demo.lean", "Demo.two", imports=("Aesop",))
    assert source.header == ("import Aesop\nimport Mathlib\n\nnamespace Demo\n\n",)
    assert source.statement == (
        "/-- A doc comment. -/\n@[simp] theorem two (n : Nat) (h : n = 2 := by rfl) : "
        "n + 0 = 2 := by sorry"
    )
    with pytest.raises(LookupError, match="no ':='"):
        source_from_file(tmp_path / "Demo.lean", "Demo.eqs")
    with pytest.raises(LookupError, match="no theorem or lemma named 'two'.*Demo.two, Demo.eqs"):
        source_from_file(tmp_path / "Demo.lean", "two")


@needs_transcripts
def test_a_local_file_theorem_is_sent_as_the_recorded_statement(tmp_path):
    # The file's statement, proof replaced by sorry, is byte for byte the recorded command.
    (tmp_path / "Logic.lean").write_text(
        "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by\n"
        "  exact ⟨h1.1, h2 h1.2⟩\n", encoding="utf-8")
    theorem = Theorem(LeanGitRepo(str(tmp_path), "local"), "Logic.lean", "complex_and")
    client = LeanClient(ReplayTransport(stem("proof_branching"), ordered=False))
    with Dojo(theorem, client=client) as (dojo, state):
        assert state.pp.endswith("⊢ p ∧ r")
        assert dojo.run_tac(state, "apply And.intro").num_goals == 2


def test_a_local_theorem_without_a_repl_says_how_to_install_one(tmp_path, monkeypatch):
    for var in ("MATHGYM_LEAN_PROJECT", "MATHGYM_LEAN_REPL_CMD"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "T.lean").write_text("theorem t : True := trivial\n", encoding="utf-8")
    theorem = Theorem(LeanGitRepo(str(tmp_path), "local"), "T.lean", "t")
    with pytest.raises(LeanNotAvailableError, match="(?s)No Lean 4 REPL is configured.*elan"):
        Dojo(theorem).__enter__()
    with pytest.raises(DojoInitError, match="backend='replay' needs a recorded theorem"):
        Dojo(theorem, backend="replay").__enter__()


@needs_transcripts
def test_a_configured_repl_is_used_even_for_a_recorded_theorem(tmp_path):
    # command= is the local REPL (here the fake child): recorded statements go to it, not to
    # the recording; the Dojo owns that process and stops it on exit.
    with Dojo(recorded("proof_step", "f"), command=FAKE, timeout=30) as (dojo, root):
        assert root.pp == "⊢ True"  # the fake's goal; the recording would say "⊢ Nat"
        transport = dojo._client.transport
        assert isinstance(transport, SubprocessTransport) and transport.alive()
        assert dojo.run_tac(root, "trivial") == ProofFinished(1)
    assert not transport.alive()


# --------------------------------------------------------------------------- restarts
def test_timeout_and_crash_restart_the_repl_and_rebuild_states(tmp_path):
    (tmp_path / "T.lean").write_text("theorem t : True := by\n  trivial\n", encoding="utf-8")
    theorem = Theorem(LeanGitRepo(str(tmp_path), "local"), "T.lean", "t")
    transport = SubprocessTransport(FAKE, timeout=30)
    client = LeanClient(transport)
    with Dojo(theorem, timeout=1.0, client=client) as (dojo, root):
        step = dojo.run_tac(root, "step")
        assert step == TacticState("⊢ True", 1)
        with pytest.raises(DojoTacticTimeoutError, match="no complete response within 1 s"):
            dojo.run_tac(step, "hang")
        assert dojo.has_timedout and client.generation == 1
        # state 1 lives on: the theorem and 'step' are re-run in the new process first
        assert dojo.run_tac(step, "step") == TacticState("⊢ True", 2)
        with pytest.raises(DojoCrashError, match="exited.*boom"):
            dojo.run_tac(root, "die")
        assert dojo.run_tac(step, "trivial") == ProofFinished(3)
        assert transport.starts == 3 and dojo.is_successful
    client.close()


# --------------------------------------------------------------------------- migration
SUGGESTIONS = {  # the stand-in for a tactic generator: goals -> (tactic, log-probability)
    "⊢ Nat": [("apply Int.natAbs", -0.1), ("have t : Nat := 42", -0.7)],
    "t : Nat\n⊢ Nat": [("exact t", -0.2)],
    "x : Unit\n⊢ Nat": [("apply Int.natAbs", -0.3)],
    "x : Unit\n⊢ Int": [("exact -37", -0.1)],
    "p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r": [("apply And.intro", -0.1)],
}


def suggest(state):
    if state.num_goals > 1 or state.pp.startswith("case right"):
        return {1: [("exact h1.left", -0.1)]}.get(state.id, [])
    return SUGGESTIONS.get(state.pp, [])


@needs_transcripts
def test_leandojo_best_first_agent_backtracks_out_of_a_dead_end():
    result = best_first_search(recorded("proof_step", "f"), suggest)
    assert result.proof == ["have t : Nat := 42", "exact t"]
    # the likelier 'apply Int.natAbs' was expanded first and led nowhere (no suggestion for ⊢ Int)
    assert result.tried == [
        (0, "apply Int.natAbs", "TacticState"), (0, "have t : Nat := 42", "TacticState"),
        (2, "exact t", "ProofFinished"),
    ]
    assert result.expansions == 3


@needs_transcripts
def test_leandojo_best_first_agent_proves_the_recorded_theorems():
    assert best_first_search(recorded("readme", "f"), suggest).proof == [
        "apply Int.natAbs", "exact -37"]
    branching = dict(SUGGESTIONS)
    branching["case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ r"] = [("apply h2", -0.1)]
    branching["case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ q"] = [("exact h1.right", -.1)]

    def suggest_branching(state):
        if state.num_goals == 2:
            return [("exact h1.left", -0.1)]
        return branching.get(state.pp, [])

    assert best_first_search(recorded("proof_branching", "complex_and"), suggest_branching
                             ).proof == ["apply And.intro", "exact h1.left", "apply h2",
                                         "exact h1.right"]


def test_the_agent_differs_from_a_leandojo_agent_by_its_import_alone():
    source = Path(__file__).with_name("leandojo_style_prover.py").read_text(encoding="utf-8")
    code = source.split('"""', 2)[2]  # after the module docstring
    assert [line for line in code.splitlines() if "mathgym" in line] == [
        "from mathgym.envs.lean.dojo import ("]
    assert "lean_dojo" not in code
    swapped = code.replace("from mathgym.envs.lean.dojo import (", "from lean_dojo import (")
    compile(swapped, "leandojo_agent.py", "exec")  # still a valid program after the swap


@needs_transcripts
def test_every_recorded_theorem_opens():
    theorems = recorded_theorems()
    assert len(theorems) == 19 and len({(str(t.file_path), t.full_name) for t in theorems}) == 19
    for theorem in theorems:
        with Dojo(theorem) as (_, state):
            assert state.id == 0 and state.num_goals == state.pp.count("⊢") == 1


# --------------------------------------------------------------------------- goals
#: Goal layouts Lean prints that the recordings lack: a long type moved to the next line after
#: "h :", several names sharing a type, an instance, a let-bound value, two case-tagged goals.
LAYOUTS = [
    "case h\nα : Type u_1\ninst✝ : DecidableEq α\nl : List α\nh :\n  ∀ (a b : α),\n"
    "    a ∈ l → b ∈ l → a = b\n⊢ l.length ≤ 1",
    "f : ℕ → ℕ\nh0 : f 5 = 3\nh1 :\n  f (4 * x * y) =\n    2 * y * (f (x + y) + f (x - y))\n"
    "⊢ ∃ k,\n    f 2015 = k",
    "x y : Nat\nn : Nat := 5\n⊢ n = 5",
    "case a\n⊢ True\n\ncase b\n⊢ False",
]


def test_goal_parser_reads_the_layouts_lean_prints():
    first, second, third, fourth = (TacticState(pp, 0) for pp in LAYOUTS)
    assert [(d.ident, d.lean_type) for d in first.goals[0].assumptions] == [
        ("α", "Type u_1"), ("inst✝", "DecidableEq α"), ("l", "List α"),
        ("h", "∀ (a b : α),\n    a ∈ l → b ∈ l → a = b"),
    ]
    assert second.goals[0].assumptions[2] == Declaration(
        "h1", "f (4 * x * y) =\n    2 * y * (f (x + y) + f (x - y))")
    assert second.goals[0].conclusion == "∃ k,\n    f 2015 = k"
    assert third.goals[0].assumptions == [
        Declaration("x", "Nat"), Declaration("y", "Nat"), Declaration("n", "Nat := 5")]
    assert [(g.conclusion, g.assumptions) for g in fourth.goals] == [("True", []), ("False", [])]
    assert fourth.num_goals == 2
    with pytest.raises(ValueError, match="exactly one '⊢'"):
        parse_goals("⊢ a ⊢ b")


# --------------------------------------------------------------------------- lean-dojo itself
def _recorded_goal_texts() -> set[str]:
    from mathgym.envs.lean.errors import LeanProtocolError
    from mathgym.envs.lean.transcripts import transcript_names

    pps = set()
    for name in transcript_names():
        for raw in load_transcript(stem(name)).responses:
            try:
                resp = parse_response(raw)
            except LeanProtocolError:
                continue
            if getattr(resp, "goals", None):
                pps.add("\n\n".join(resp.goals))
            pps.update(s.goal for s in getattr(resp, "sorries", ()))
            pps.update(t.goals for t in getattr(resp, "tactics", ()))
    return {pp for pp in pps if "⊢" in pp}


@needs_transcripts
def test_fields_agree_with_lean_dojo_on_every_recorded_goal():
    lean_dojo = pytest.importorskip("lean_dojo", reason="lean-dojo not installed (optional)")
    pps = _recorded_goal_texts()
    assert len(pps) == 36  # every distinct goal text in the recordings
    for pp in sorted(pps) + LAYOUTS:
        ours, theirs = TacticState(pp, 5, "m"), lean_dojo.TacticState(pp, 5, "m")
        assert (ours.pp, ours.id, ours.message, ours.num_goals) == (
            theirs.pp, theirs.id, theirs.message, theirs.num_goals)
        assert [(g.conclusion, [(d.ident, d.lean_type) for d in g.assumptions])
                for g in ours.goals] == [
            (g.conclusion, [(d.ident, d.lean_type) for d in g.assumptions]) for g in theirs.goals]
        assert hash(ours) == hash(theirs)  # both hash the pp alone: one `seen` set serves both
    assert (ProofFinished(3, "x").tactic_state_id, LeanError("e").error) == (
        lean_dojo.ProofFinished(3, "y").tactic_state_id, lean_dojo.LeanError("e").error)
    ours_cmd, their_cmd = CommandState(4, "m"), lean_dojo.CommandState(4, "m")
    assert (ours_cmd.id, ours_cmd.message, hash(ours_cmd)) == (
        their_cmd.id, their_cmd.message, hash(their_cmd))
    # Dataclass equality needs the same class: a mathgym state never equals a lean_dojo one.
    assert TacticState("⊢ Nat", 0) != lean_dojo.TacticState("⊢ Nat", 0)
    thm = lean_dojo.Theorem.__new__(lean_dojo.Theorem)  # its LeanGitRepo would go online
    object.__setattr__(thm, "repo", REPL_TESTS_REPO)
    object.__setattr__(thm, "file_path", Path("test/readme.in"))
    object.__setattr__(thm, "full_name", "f")
    with Dojo(thm) as (dojo, state):  # a lean_dojo.Theorem opens in our Dojo
        assert dojo.run_tac(state, "apply Int.natAbs") == TacticState("x : Unit\n⊢ Int", 1)
