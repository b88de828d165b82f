"""``mathgym lean replay`` and the ``formal/lean-replay`` benchmark, agent and verifier.

These tests run on recorded transcripts of the real Lean 4 REPL (leanprover-community/repl
test suite, Lean v4.33.0-rc2) because no package registry ships a Lean toolchain; they skip
with a clear reason when ``../shared/lean-repl-transcripts`` is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lean_testing import TRANSCRIPTS, needs_transcripts, pair_names, raw_blocks

from mathgym.cli import main


def run_cli(capsys, *args: str) -> tuple[int, list[dict], str]:
    code = main(["lean", "replay", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@needs_transcripts
@pytest.mark.parametrize("name", pair_names())
def test_replay_cli_prints_one_line_per_response(capsys, name):
    code, lines, _ = run_cli(
        capsys, str(TRANSCRIPTS / f"{name}.in"), str(TRANSCRIPTS / f"{name}.expected.out")
    )
    expected = raw_blocks(TRANSCRIPTS / f"{name}.expected.out")
    assert code == 0 and len(lines) == len(expected)
    for i, (line, raw) in enumerate(zip(lines, expected, strict=True)):
        assert line["index"] == i
        assert line["messages"] == raw.get("messages", []) or line["kind"] == "error"
        if "proofState" in raw and "goals" in raw:
            assert line["kind"] == "tactic"
            assert (line["proofState"], line["goals"], line["status"]) == (
                raw["proofState"], raw["goals"], raw.get("proofStatus")
            )
        elif "message" in raw:
            assert line["kind"] == "error" and line["status"] is None
            assert line["messages"] == [{"severity": "error", "data": raw["message"]}]
        else:
            assert line["kind"] == "command" and line["env"] == raw["env"]
            assert line["goals"] == [s["goal"] for s in raw.get("sorries", [])]


@needs_transcripts
def test_replay_cli_known_lines(capsys):
    _, lines, _ = run_cli(capsys, str(TRANSCRIPTS / "readme.in"),
                          str(TRANSCRIPTS / "readme.expected.out"))
    assert lines[1] == {
        "index": 1, "kind": "tactic", "proofState": 1, "goals": ["x : Unit\n⊢ Int"],
        "status": "Incomplete: open goals remain", "messages": [],
    }
    assert lines[2]["status"] == "Completed" and lines[2]["goals"] == []


@needs_transcripts
def test_replay_cli_rejects_a_mismatched_pair(capsys):
    code, lines, err = run_cli(
        capsys, str(TRANSCRIPTS / "readme.in"), str(TRANSCRIPTS / "proof_step.expected.out")
    )
    assert code == 2 and lines == []
    assert "has 3 requests but" in err and "has 4 responses" in err


@needs_transcripts
def test_mathgym_entry_point_runs_the_replay():
    proc = subprocess.run(
        [sys.executable, "-m", "mathgym.cli", "lean", "replay",
         str(TRANSCRIPTS / "unknown_tactic.in"), str(TRANSCRIPTS / "unknown_tactic.expected.out")],
        capture_output=True, text=True, timeout=60, check=True,
    )
    kinds = [json.loads(line)["kind"] for line in proc.stdout.splitlines()]
    assert kinds == ["command", "error"]


# --------------------------------------------------------------------------- harness
@needs_transcripts
def test_benchmark_instances_and_verifier():
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("formal/lean-replay@1")
    assert [i.id for i in bench.instances] == [
        "proof_branching.0", "proof_step.0", "readme.0", "trace_simp.4",
    ]
    step = bench.instance("proof_step.0")
    assert step.data["theorem"] == "def f : Nat := by sorry" and step.data["goal"] == "⊢ Nat"
    assert bench.check(step, ["have t : Nat := 42", "exact t"]).ok
    assert bench.check(bench.instance("trace_simp.4"), ["simp"]).ok
    for cert, reason in [
        (["apply Int.natAbs"], "proof status is 'Incomplete: open goals remain'"),
        (["have t : Nat := 42", "exact t", "exact t"], "remove the extra tactics"),
        (["sorry"], "cannot be checked by replay"),
        ([], "non-empty JSON list"),
        ("exact t", "non-empty JSON list"),
        (["have t : Nat := 42", 7], "tactic 1 must be a non-empty string"),
    ]:
        verdict = bench.check(step, cert)
        assert not verdict.ok and reason in verdict.reason, (cert, verdict)


@needs_transcripts
def test_lean_replay_agent_solves_every_instance_with_verified_proofs():
    from mathgym.harness.registry import get_agent, get_benchmark

    bench = get_benchmark("formal/lean-replay")
    agent = get_agent("lean-replay")
    assert agent.supports(bench)
    expected = {
        "proof_branching.0": (["apply And.intro", "exact h1.left", "apply h2",
                               "exact h1.right"], 4),
        "proof_step.0": (["have t : Nat := 42", "exact t"], 4),  # dead end + backtrack
        "readme.0": (["apply Int.natAbs", "exact -37"], 2),
        "trace_simp.4": (["simp"], 3),
    }
    for inst in bench.instances:
        attempt = agent.attempt(bench, inst, bench.default_budget, seed=0)
        assert attempt.solved and (attempt.certificate, attempt.cost) == expected[inst.id]
        assert bench.check(inst, attempt.certificate).ok
    short = agent.attempt(bench, bench.instance("proof_step.0"), budget=2, seed=0)
    assert not short.solved and short.cost <= 2


def test_benchmark_is_not_registered_without_transcripts(tmp_path):
    env = {"MATHGYM_LEAN_TRANSCRIPTS": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin"}
    code = (
        "from mathgym.envs.lean import benchmarks as b\n"
        "assert b.BENCHMARKS == {}\n"
        "try:\n    b.lean_replay_benchmark()\nexcept FileNotFoundError as e:\n    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert "no Lean REPL transcripts at" in proc.stdout
    assert "MATHGYM_LEAN_TRANSCRIPTS" in proc.stdout
