"""``mathgym/Lean-v0`` driven by recorded sessions of the real Lean REPL.

These tests run on recorded transcripts of the real Lean 4 REPL (leanprover-community/repl
test suite, Lean v4.33.0-rc2) because no package registry ships a Lean toolchain; they skip
with a clear reason when ``../shared/lean-repl-transcripts`` is absent. The values asserted
(goals, statuses, proof state ids) are Lean's own recorded output.
"""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from lean_testing import needs_transcripts, stem
from mathgym.envs.lean.env import LEAN_CHARSET, REPLACEMENT, LeanEnv, goals_text
from mathgym.envs.lean.errors import LeanNotAvailableError

import mathgym  # noqa: F401  (registers mathgym/Lean-v0)


def make(name: str, **kwargs) -> LeanEnv:
    return gym.make("mathgym/Lean-v0", replay=stem(name), **kwargs).unwrapped


@needs_transcripts
def test_backtracking_to_an_earlier_proof_state_completes_the_proof():
    env = make("proof_step")
    obs, info = env.reset(seed=0)
    assert obs == "⊢ Nat" and info["proof_state"] == 0 and info["proof_status"] is None
    obs, reward, term, trunc, info = env.step("apply Int.natAbs")
    assert (obs, reward, term, trunc) == ("⊢ Int", 0.0, False, False)
    assert info["proof_state"] == 1 and info["proof_status"] == "Incomplete: open goals remain"
    obs, reward, term, trunc, info = env.step("backtrack 0")
    assert (obs, reward, info["proof_state"], info["backtracked_to"]) == ("⊢ Nat", 0.0, 0, 0)
    # the REPL is asked for {"tactic": ..., "proofState": 0} again: the recording has it
    obs, reward, term, trunc, info = env.step("have t : Nat := 42")
    assert obs == "t : Nat\n⊢ Nat" and info["proof_state"] == 2 and info["states"] == [0, 1, 2]
    obs, reward, term, trunc, info = env.step("exact t")
    assert (obs, reward, term, trunc) == ("no goals", 1.0, True, False)
    assert info["proof_status"] == "Completed" and info["is_success"]
    assert info["proof"] == ["have t : Nat := 42", "exact t"]
    assert env.client.transport.exhausted  # every recorded request was asked, in order


@needs_transcripts
def test_branching_proof_shows_every_goal():
    env = make("proof_branching")
    obs, _ = env.reset()
    assert obs == "p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r"
    obs, *_ = env.step("apply And.intro")
    assert obs == (
        "case left\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p\n\n"
        "case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ r"
    )
    for tactic in ("exact h1.left", "apply h2"):
        _, reward, term, _, _ = env.step(tactic)
        assert (reward, term) == (0.0, False)
    _, reward, term, _, info = env.step("exact h1.right")
    assert (reward, term, info["proof"]) == (
        1.0, True, ["apply And.intro", "exact h1.left", "apply h2", "exact h1.right"]
    )


@needs_transcripts
def test_sorry_closing_every_goal_is_not_a_proof():
    env = make("tactic_mode_sorry")
    env.reset()
    obs, reward, term, trunc, info = env.step("sorry")
    assert info["goals"] == [] and obs == "no goals"
    assert info["proof_status"] == "Incomplete: contains sorry"
    assert (reward, term, trunc, info["is_success"]) == (0.0, False, False, False)
    assert "proof" not in info


@needs_transcripts
def test_all_goals_sorry_after_a_case_split_earns_nothing():
    env = make("by_cases")
    env.reset()
    _, _, _, _, info = env.step("by_cases h : x < 0")
    assert info["proof_state"] == 1 and len(info["goals"]) == 2
    _, _, _, _, info = env.step("case pos => rfl")
    assert info["goals"] == ["case neg\nx : Int\nh : ¬x < 0\n⊢ x = x"]
    env.step("backtrack 1")
    obs, reward, term, _, info = env.step("all_goals sorry")
    assert (obs, reward, term, info["proof_status"]) == (
        "no goals", 0.0, False, "Incomplete: contains sorry"
    )


@needs_transcripts
def test_unassigned_metavariables_are_not_a_proof():
    env = make("app_type_mismatch", theorem="example : 1 = 0 := sorry")
    with pytest.raises(Exception, match="differs from the recording"):
        env.reset()  # in order, the recording first elaborates the tactic-mode version
    env = make("app_type_mismatch", theorem="example : 1 = 0 := sorry", replay_ordered=False)
    env.reset()
    for tactic in ("cases 1", "rfl"):
        env.step(tactic)
    obs, reward, term, _, info = env.step("apply ?succ")
    assert (obs, reward, term) == ("no goals", 0.0, False)
    assert info["proof_status"] == "Incomplete: contains metavariable(s)"


@needs_transcripts
@pytest.mark.parametrize(
    "name, tactic, fragment",
    [
        ("invalid_tactic", "exact my_fake_premise", "Unknown identifier `my_fake_premise`"),
        ("unknown_tactic", "exat 42", "unknown tactic"),
    ],
)
def test_lean_errors_leave_the_state_unchanged(name, tactic, fragment):
    env = make(name)
    obs0, info0 = env.reset()
    obs, reward, term, trunc, info = env.step(tactic)
    assert fragment in info["error"]
    assert obs == obs0 and info["proof_state"] == info0["proof_state"] == 0
    assert info["states"] == [0] and (reward, term, trunc) == (0.0, False, False)


@needs_transcripts
def test_kernel_rejection_is_an_error_not_a_proof():
    env = make("self_proof_exact_check", theorem="theorem ex : False := sorry",
               replay_ordered=False)
    obs0, _ = env.reset()
    obs, reward, term, _, info = env.step("exact ex")
    assert info["error"].startswith("Error: kernel type check failed")
    assert info["rejected_proof_status"].startswith("Error:")
    assert (obs, reward, term, info["proof_state"]) == (obs0, 0.0, False, 0)


@needs_transcripts
def test_lean_error_response_for_a_failing_search_tactic():
    env = make("self_proof_check", theorem="theorem ex : False := sorry", replay_ordered=False)
    obs0, _ = env.reset()
    obs, _, _, _, info = env.step("exact?")
    assert info["error"].startswith("Lean error:\n`exact?` could not close the goal")
    assert obs == obs0 == "⊢ False"


@needs_transcripts
def test_backtracking_to_an_unknown_state_is_refused():
    env = make("proof_step")
    env.reset()
    obs, reward, _, _, info = env.step("backtrack 7")
    assert "not a proof state of this episode" in info["error"] and obs == "⊢ Nat"
    env = make("proof_step", backtrack_keyword=None)
    env.reset()
    _, _, _, _, info = env.step("backtrack 0")  # now a tactic: the recording lacks it
    assert info["replay_miss"] and "apply Int.natAbs" in info["error"]


@needs_transcripts
def test_unrecorded_tactic_is_reported_and_the_episode_goes_on():
    env = make("readme")
    env.reset()
    obs, reward, term, trunc, info = env.step("omega")
    assert info["replay_miss"] and "request 1 differs" in info["error"]
    assert (obs, term, trunc) == ("x : Unit\n⊢ Nat", False, False)
    env.step("apply Int.natAbs")
    _, reward, term, _, info = env.step("exact -37")
    assert (reward, term, info["proof"]) == (1.0, True, ["apply Int.natAbs", "exact -37"])


@needs_transcripts
def test_reset_reuses_the_root_and_options_choose_the_theorem():
    env = make("proof_step")
    env.reset()
    env.reset()  # a second elaboration would not match the recording
    assert env.client.transport.sent == 1
    env = make("trace_simp", replay_ordered=False)
    assert env.header == (
        "def f := 37", "@[simp] theorem f_def : f = 37 := by rfl",
        "set_option trace.Meta.Tactic.simp true",
    )
    obs, _ = env.reset()
    assert obs == "⊢ f = 37"
    _, _, _, _, info = env.step('trace "37"')
    assert info["traces"] == ["37"]
    env.step("backtrack 0")
    _, reward, term, _, info = env.step("simp")
    assert (reward, term, info["proof"]) == (1.0, True, ["simp"])


@needs_transcripts
def test_theorems_lean_rejects_or_without_sorry_raise():
    theorem = "theorem foo (x : Int) : x = x := by\n  have h : x = 1 := by sorry"
    env = make("have_by_sorry", theorem=theorem)
    with pytest.raises(ValueError, match="unsolved goals"):
        env.reset()
    with pytest.raises(ValueError, match="must end in ':= by sorry'"):
        env.reset(options={"theorem": "theorem t : 1 = 1 := rfl"})


@needs_transcripts
def test_reset_options_choose_the_episode_without_changing_the_default():
    env = make("dup_sorries", replay_ordered=False)
    obs, _ = env.reset()
    assert obs == "⊢ 1 = 1" and env.episode_theorem == "theorem thm1 : 1 = 1 := sorry"
    obs, _ = env.reset(options={"theorem": "theorem thm2 : 2 = 2 := sorry",
                                "header": ["theorem thm1 : 1 = 1 := sorry"]})
    assert obs == "⊢ 2 = 2" and env.episode_header == ("theorem thm1 : 1 = 1 := sorry",)
    obs, _ = env.reset()  # back to the constructor's theorem (its root is cached)
    assert obs == "⊢ 1 = 1" and env.client.transport.sent == 2


@needs_transcripts
def test_max_steps_truncates():
    env = make("proof_step", max_steps=2)
    env.reset()
    env.step("apply Int.natAbs")
    _, _, term, trunc, info = env.step("backtrack 0")
    assert (term, trunc) == (False, True) and "max_steps" in info["truncation_reason"]
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step("have t : Nat := 42")


@needs_transcripts
@pytest.mark.parametrize(
    "name, ordered",
    [("proof_step", True), ("readme", True), ("proof_branching", True),
     ("trace_simp", False), ("tactic_mode_sorry", True)],
)
def test_check_env_on_replay(name, ordered):
    env = gym.make("mathgym/Lean-v0", replay=stem(name), replay_ordered=ordered)
    check_env(env.unwrapped)
    env.close()


def test_without_a_toolchain_make_says_how_to_install(monkeypatch, tmp_path):
    for var in ("MATHGYM_LEAN_PROJECT", "MATHGYM_LEAN_REPL_CMD"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(LeanNotAvailableError) as err:
        gym.make("mathgym/Lean-v0")
    text = str(err.value)
    for needle in ("elan", "leanprover-community/repl", "lake build", "MATHGYM_LEAN_PROJECT",
                   "project_dir", "replay="):
        assert needle in text
    monkeypatch.setenv("PATH", str(tmp_path))  # a project, but no `lake` on PATH
    with pytest.raises(LeanNotAvailableError, match="'lake' .* is not on PATH"):
        gym.make("mathgym/Lean-v0", project_dir=str(tmp_path))
    with pytest.raises(LeanNotAvailableError, match="does not exist"):
        gym.make("mathgym/Lean-v0", project_dir=str(tmp_path / "missing"))


def test_observation_text_stays_inside_the_space():
    assert goals_text([]) == "no goals"
    text = goals_text(["x : ℝ\nh : ∀ ε > 0, ∃ δ, 𝓝 x ≤ δ\n⊢ x✝ ∈ Set.Icc 0 1 ∧ ◾", "⊢ 中"])
    assert text.endswith(f"\n\n⊢ {REPLACEMENT}")  # CJK is outside the charset
    assert all(c in LEAN_CHARSET for c in text) and "𝓝" in text and "✝" in text


def test_lean_interact_backend_without_the_package_says_what_to_install():
    try:
        import lean_interact  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lean-interact is installed here; its missing-package message cannot show")
    with pytest.raises(LeanNotAvailableError, match=r"pip install 'mathgym\[lean\]'"):
        gym.make("mathgym/Lean-v0", backend="lean-interact")
    with pytest.raises(ValueError, match="unknown Lean backend 'dojo'"):
        gym.make("mathgym/Lean-v0", backend="dojo")


@needs_transcripts
def test_sorries_inside_a_tactic_are_reported():
    env = make("sorry_hypotheses")
    env.reset()
    obs, reward, term, _, info = env.step("have h : x = 1 := sorry")
    assert obs == "x : Int\nh : x = 1\n⊢ x = x" and (reward, term) == (0.0, False)
    assert info["sorries"] == [{"proofState": 1, "goal": "x : Int\n⊢ x = 1"}]
    assert info["proof_state"] == 2 and info["states"] == [0, 2]
