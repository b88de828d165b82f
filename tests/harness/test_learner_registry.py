"""Plug-in learners of ``mathgym train`` (mathgym/harness/learners.py), through the real CLI.

A tiny learner on the toy plug-in benchmark ``toy/count`` writes a checkpoint file; the tests
check registration (duplicates, built-in names), the unknown-learner message, the run.json
identity on ``--resume`` and the training.json the harness writes. A few seconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import harness_toy_plugin
import pytest

from mathgym.cli import main
from mathgym.harness import learners

CALLS: list[dict] = []


def toy_learner(benchmark_id: str, budget: int, seed: int, out: Path, config: dict,
                resume: bool) -> dict:
    """Trains nothing: writes a checkpoint naming its inputs, claims ``config['steps']``."""
    CALLS.append({"benchmark": benchmark_id, "budget": budget, "seed": seed, "resume": resume})
    (out / "model.bin").write_bytes(f"{benchmark_id} {budget} {seed}".encode())
    return {"steps": config.get("steps", budget), "checkpoint": config.get("file", "model.bin"),
            "note": "toy"}


def other_learner(benchmark_id: str, budget: int, seed: int, out: Path, config: dict,
                  resume: bool) -> dict:
    """Another function, for the duplicate-name test."""
    return {}


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """A fresh learner registry with ``toy-learner``, and the toy plug-in benchmark."""
    monkeypatch.setattr(learners, "_learners", {})
    harness_toy_plugin.activate(monkeypatch)
    CALLS.clear()
    learners.register_learner("toy-learner", toy_learner, help="writes a file")


def train(out: Path, *extra: str, seed: int = 0) -> int:
    return main(["train", "--benchmark", "toy/count", "--agent", "toy-learner", "--budget",
                 "100", "--seed", str(seed), "--out", str(out), *extra])


def test_register_refuses_duplicates_builtins_and_bad_names():
    learners.register_learner("toy-learner", toy_learner)  # the same function again: no-op
    with pytest.raises(ValueError, match="already registered.*toy_learner"):
        learners.register_learner("toy-learner", other_learner)
    with pytest.raises(ValueError, match="built-in"):
        learners.register_learner("sb3-ppo", other_learner)
    with pytest.raises(ValueError, match="learner name"):
        learners.register_learner("bad name/", other_learner)
    with pytest.raises(TypeError, match="callable"):
        learners.register_learner("not-callable", "train")
    assert list(learners.registered_learners()) == ["toy-learner"]


def test_unknown_learner_lists_builtin_and_registered(tmp_path, capsys):
    code = main(["train", "--benchmark", "toy/count", "--agent", "nope", "--budget", "10",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown learner 'nope'" in err
    for name in ("sb3-ppo", "sb3-maskable-ppo", "sb3-dqn", "llm-grpo", "toy-learner"):
        assert name in err
    assert "writes a file" in err and "MATHGYM_EXTRA_MODULES" in err
    assert not (tmp_path / "run").exists()


def test_trains_through_the_cli_and_records_the_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    block = json.loads((out / "training.json").read_text())
    sha = hashlib.sha256((out / "model.bin").read_bytes()).hexdigest()
    assert block["checkpoint_sha256"] == sha and sha in capsys.readouterr().out
    assert (block["learner"], block["steps"], block["budget"], block["seed"]) == \
        ("toy-learner", 100, 100, 0)
    assert block["benchmark"].startswith("toy/count@") and block["note"] == "toy"
    assert CALLS == [{"benchmark": block["benchmark"], "budget": 100, "seed": 0,
                      "resume": False}]
    identity = json.loads((out / "run.json").read_text())
    assert identity["learner"] == "toy-learner" and identity["content_hash"]


def test_resume_checks_the_settings(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    assert train(out) == 2  # not without --resume
    assert "already exists: pass --resume" in capsys.readouterr().err
    assert train(out, "--resume", seed=1) == 2
    assert "differs in: seed" in capsys.readouterr().err
    assert train(out, "--resume", "--config", "steps=50") == 2
    assert "differs in: config" in capsys.readouterr().err
    assert train(out, "--resume") == 0  # finished: returned, not trained again
    assert len(CALLS) == 1


def test_the_learner_contract_is_checked(tmp_path, capsys):
    assert train(tmp_path / "a", "--config", "steps=101") == 2  # past the budget
    assert "steps=101" in capsys.readouterr().err
    assert train(tmp_path / "b", "--config", "file=../outside.bin") == 2
    assert "not a file inside" in capsys.readouterr().err
    assert not (tmp_path / "a" / "training.json").exists()
    assert train(tmp_path / "c", "--device", "cuda") == 2
    assert "--device is a built-in learner's option" in capsys.readouterr().err


def test_builtin_names_match_the_builtin_learners():
    from mathgym.agents.rl.common.train import learners as sb3_learners

    assert set(learners.BUILTIN_LEARNERS) == {*sb3_learners(), "llm-grpo"}
