"""The stability guard: each signal fires on forced values (and not before its patience), and
the trainer stops or rolls back to the last good checkpoint, saying which signal fired."""

from __future__ import annotations

import json
import math

import pytest
import torch
from mathgym.agents.llm.grpo.guard import Guard
from mathgym.agents.llm.grpo.trainer import GuardStop
from trainer_helpers import tiny_config, tiny_trainer


def test_entropy_ratio_fires_after_patience():
    g = Guard(entropy_ratio=2.0, patience=2)
    assert g.check({"step": 1, "entropy": 1.0}) is None  # sets the reference entropy
    assert g.check({"step": 2, "entropy": 2.5}) is None and not g.quiet  # 1 of 2
    event = g.check({"step": 3, "entropy": 2.6})
    assert event.signal == "entropy_ratio" and event.step == 3
    assert event.value == 2.6 and event.threshold == 2.0
    assert "entropy_ratio at step 3" in event.message()


def test_a_dip_shorter_than_patience_does_not_fire():
    g = Guard(entropy_max=3.0, entropy_ratio=None, patience=2)
    for step, h in enumerate([1.0, 3.5, 1.0, 3.5, 1.0], start=1):
        assert g.check({"step": step, "entropy": h}) is None
    assert g.quiet


def test_reward_collapse_against_the_best_moving_mean():
    g = Guard(entropy_ratio=None, reward_drop=0.3, window=2, patience=1)
    fired = [g.check({"step": s, "reward/mean": r})
             for s, r in enumerate([0.2, 0.8, 0.9, 0.7, 0.4, 0.3], start=1)]
    # moving means: -, 0.5, 0.85, 0.8, 0.55 (best 0.85 - 0.3 = 0.55: not below), 0.35
    assert fired[:5] == [None] * 5
    assert fired[5].signal == "reward_collapse"
    assert fired[5].value == pytest.approx(0.35) and fired[5].threshold == pytest.approx(0.55)


def test_non_finite_fires_at_once():
    g = Guard(patience=5)
    event = g.check({"step": 7, "loss": math.nan, "entropy": 1.0})
    assert event.signal == "non_finite" and event.step == 7


def test_guard_state_round_trip():
    g = Guard(entropy_ratio=2.0, reward_drop=0.1, window=2)
    for s in range(1, 4):
        g.check({"step": s, "entropy": 1.0 + s, "reward/mean": 0.1 * s})
    h = Guard(entropy_ratio=2.0, reward_drop=0.1, window=2)
    h.load_state_dict(g.state_dict())
    assert h.state_dict() == g.state_dict()


def _force_entropy(trainer, from_step: int, value: float = 100.0):
    real = trainer._stats

    def forced(*args, **kwargs):
        stats = real(*args, **kwargs)
        if stats["step"] >= from_step:
            stats["entropy"] = value  # the forced signal
        return stats

    trainer._stats = forced


def test_stop_names_the_signal():
    trainer = tiny_trainer(tiny_config(guard_action="stop", guard_entropy_max=50.0,
                                       guard_patience=1))
    _force_entropy(trainer, from_step=2)
    trainer.train_step()
    with pytest.raises(GuardStop, match="entropy_max at step 2"):
        trainer.train_step()


def test_rollback_to_the_last_good_checkpoint(tmp_path):
    cfg = tiny_config(guard_action="rollback", guard_entropy_max=50.0, guard_patience=1,
                      guard_max_rollbacks=1)
    trainer = tiny_trainer(cfg, tmp_path)
    _force_entropy(trainer, from_step=4)
    trainer.train(2, checkpoint_every=2)  # checkpoint at step 2 (a good one)
    good = {n: p.detach().clone() for n, p in trainer.model.named_parameters()
            if p.requires_grad}
    trainer.train_step()  # step 3
    position = trainer.prompts.position
    trainer.train_step()  # step 4 fires: back to step 2's weights, the prompt stream goes on
    assert trainer.step == 2 and trainer.rollbacks == 1
    assert trainer.prompts.position > position
    for n, p in trainer.model.named_parameters():
        if p.requires_grad:
            assert torch.equal(p, good[n]), n
    events = [json.loads(line) for line in (tmp_path / "guard.jsonl").read_text().splitlines()]
    assert events == [{"signal": "entropy_max", "step": 4, "value": 100.0, "threshold": 50.0,
                       "action": "rollback"}]
    trainer.train_step()  # step 3 again, fine
    with pytest.raises(GuardStop, match="guard_max_rollbacks"):
        trainer.train_step()  # step 4 fires again: out of rollbacks
