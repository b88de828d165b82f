"""The small CLI rough edges of issue 15, each pinned by a test that fails on the old behaviour."""

from __future__ import annotations

import pytest

from mathgym.cli import main


def test_leaderboard_unknown_benchmark_exits_2_with_close_matches(capsys, tmp_path):
    assert main(["leaderboard", "ac/nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown benchmark 'ac/nope'")
    assert "did you mean ac/ak" in err
    # an empty root: a typo is still an error, not "no submissions"
    assert main(["leaderboard", "ac/quik", "--root", str(tmp_path)]) == 2
    assert "did you mean ac/quick" in capsys.readouterr().err


def test_leaderboard_known_benchmark_without_submissions_is_fine(capsys, tmp_path):
    assert main(["leaderboard", "ac/ak", "--root", str(tmp_path)]) == 0
    assert "no submissions" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["eval", "--benchmark", "ac/nope", "--agent", "random", "--out", "OUT"],
    ["benchmarks", "--show", "ac/nope"],
])
def test_other_commands_refuse_unknown_benchmark(argv, capsys, tmp_path):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    assert "error: unknown benchmark 'ac/nope'" in capsys.readouterr().err


def test_train_refuses_unknown_benchmark(capsys, tmp_path):
    argv = ["train", "--benchmark", "ac/nope", "--agent", "sb3-ppo", "--budget", "64",
            "--out", str(tmp_path / "t")]
    assert main(argv) == 2
    assert "unknown benchmark 'ac/nope'" in capsys.readouterr().err


def test_submit_rejects_results_of_unknown_benchmark(capsys, tmp_path):
    """submit's convention: 1 = the file is rejected (2 is kept for bad flags)."""
    import json
    from pathlib import Path

    src = Path(__file__).parents[2] / "leaderboards/ac/quick"
    doc = json.loads(sorted(src.glob("*-ac-bfs-*.json"))[0].read_text())
    doc.pop("submission")
    doc["benchmark"]["id"] = "ac/nope"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    assert main(["submit", str(path), "--root", str(tmp_path / "root")]) == 1
    assert "unknown benchmark 'ac/nope'" in capsys.readouterr().err
    assert not (tmp_path / "root").exists()


# ---- integer budget units take integers ----------------------------------------------------

def test_fractional_budget_in_a_counted_unit_is_refused(capsys, tmp_path):
    argv = ["eval", "--benchmark", "ac/quick", "--agent", "ac-greedy", "--budget", "1.5",
            "--limit", "1", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--budget 1.5" in err and "search_nodes" in err and "1 or 2" in err
    assert not (tmp_path / "run" / "results.json").exists()


def test_check_budget_api():
    from mathgym.harness.benchmark import COUNTED_UNITS, Benchmark, Instance, Verdict
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("ac/quick")
    assert bench.check_budget(10) == 10.0
    assert bench.check_budget(1e6) == 1_000_000.0  # 1e6 is a whole number
    for bad in (1.5, 0, -3, float("nan"), float("inf"), True, "10"):
        with pytest.raises(ValueError):
            bench.check_budget(bad)
    assert "seconds" not in COUNTED_UNITS
    timed = Benchmark(id="toy/timed", version=1, description="", budget_unit="seconds",
                      default_budget=0.5, env_id=None, instances=[Instance("a", {})],
                      verify=lambda i, c: Verdict(True))
    assert timed.check_budget(1.5) == 1.5
    with pytest.raises(ValueError, match="default_budget"):
        Benchmark(id="toy/nodes", version=1, description="", budget_unit="search_nodes",
                  default_budget=2.5, env_id=None, instances=[Instance("a", {})],
                  verify=lambda i, c: Verdict(True))


def test_evaluate_api_refuses_fractional_budget(tmp_path):
    from mathgym.harness.runner import EvalConfig, evaluate

    cfg = EvalConfig(benchmark="reasoning/mathqa-quick", agent="oracle-sympy", budget=2.5,
                     out=tmp_path / "run", backend="inline", limit=1, progress=False)
    with pytest.raises(ValueError, match="samples, whole numbers"):
        evaluate(cfg)


# ---- mathgym benchmarks --long -------------------------------------------------------------

def test_benchmarks_long_prints_whole_descriptions(capsys, monkeypatch):
    from mathgym.harness import registry

    # two real benchmarks instead of all of them: building every MathQA level takes ~20 s
    monkeypatch.setattr(registry, "list_benchmarks", lambda: ["ac/ak", "ac/quick"])
    desc = registry.get_benchmark("ac/quick").description
    assert main(["benchmarks"]) == 0
    short = capsys.readouterr().out
    assert " ".join(desc.split()) not in " ".join(short.split())  # the table cuts it
    assert "10 Miller-Schupp instances of ac/ms1190 (for n = 1..5, th..." in short
    assert main(["benchmarks", "--long"]) == 0
    long = capsys.readouterr().out
    assert " ".join(desc.split()) in " ".join(long.split())
    assert all(len(line) <= 100 for line in long.splitlines() if line.startswith("    "))


def test_short_description_marks_a_cut():
    from mathgym.harness.commands.benchmarks import SHORT_DESCRIPTION, short_description

    assert short_description("Short one. Second sentence.") == "Short one"
    cut = short_description("x" * 200)
    assert cut.endswith("...") and len(cut) == SHORT_DESCRIPTION


def test_broken_pipe_exits_quietly(tmp_path):
    """A reader that leaves (``mathgym benchmarks | head``) ends the command without a
    traceback; the command raising BrokenPipeError is what a closed pipe makes print() do."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import mathgym.harness.commands.agents as cmd\n"
        "def run(args):\n"
        "    print('first line', flush=True)\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "cmd.run = run\n"
        "from mathgym.cli import main\n"
        "sys.exit(main(['agents']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 141
    assert proc.stdout == "first line\n"
    assert proc.stderr == ""


def test_run_attempt_api_refuses_fractional_budget():
    from mathgym.harness.registry import get_agent, get_benchmark
    from mathgym.harness.runner import run_attempt

    bench = get_benchmark("ac/quick")
    agent = get_agent("ac-greedy")
    with pytest.raises(ValueError, match=r"1\.5: ac/quick@1 counts its budget in search_nodes"):
        run_attempt(bench, agent, bench.instances[0], 1.5, 0)
    record = run_attempt(bench, agent, bench.instances[0], 10_000, 0)  # an integral budget runs
    assert record["solved"] and bench.check(bench.instances[0], record["certificate"]).ok
