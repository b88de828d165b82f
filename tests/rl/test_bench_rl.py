"""``python -m mathgym.bench rl --quick``: the JSON has every requested row, a profile whose
phases add up to the measured time, the FLOPs bound, and a skipped AC-Solver row names how to
make its venv (the real comparison needs that venv; see the bench's docstring)."""

from __future__ import annotations

import pytest

from mathgym.bench import rl


@pytest.mark.slow  # about 10 s of CPU
def test_quick_bench_rows_profile_and_missing_acsolver_venv():
    report = rl.main(["--quick", "--n-envs", "8", "--rows", "acsolver", "sb3_sb3vec", "lean",
                      "--acsolver-python", "/nonexistent/python"])
    learn = report["learn_env_steps_per_s"]
    assert set(learn) == {"sb3_sb3vec", "lean"}
    assert all(learn[row]["8"]["median"] > 0 for row in learn)
    assert "pip install --no-deps ac-solver" in report["skipped"]["acsolver"]
    assert report["ratio_vs_acsolver_same_n_envs"] == {}
    for row, phases in report["profile_us_per_env_step"].items():
        total = sum(phases["8"].values())  # microseconds per env step, all phases
        assert total == pytest.approx(1e6 / learn[row]["8"]["median"], rel=0.05), row
    sb3 = report["profile_us_per_env_step"]["sb3_sb3vec"]["8"]
    assert {"forward", "update", "env_kernel", "vec_env_api", "sb3_rollout_other"} <= set(sb3)
    bound = report["flops_bound"]
    # 72-256-256 actor (12 out) and critic (1 out): 2 * (2 * 83,968 + 3,072 + 256) FLOPs
    assert bound["flops_per_forward"] == 2 * (2 * (72 * 256 + 256 * 256) + 256 * 12 + 256)
    assert bound["flops_per_env_step"] == 4 * bound["flops_per_forward"]
    assert report["machine"]["load_average_1m_before_after"][0] >= 0


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit, match="divide --rollout"):
        rl.main(["--n-envs", "3", "--rows", "lean"])
    with pytest.raises(SystemExit, match="--rollouts 1"):
        rl.main(["--rollouts", "1", "--rows", "lean"])
