"""The improvers as options of the GRPO trainer (GRPOConfig.improver, issue 13) on the tiny
model: guided and Critique-GRPO steps train with finite stats and replace the expected number
of responses, the adaptive λ survives a checkpoint, bad options are config errors, and without
an improver nothing of the hook runs or enters the checkpoint."""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.grpo.config import GRPOConfig
from mathgym.agents.llm.grpo.prompts import ListPrompts, PromptItem
from mathgym.agents.llm.grpo.trainer import GRPOTrainer
from mathgym.agents.llm.improve import Task
from trainer_helpers import PROMPTS, emit_w5, tiny_config

tiny_lm = pytest.importorskip("tiny_lm")
torch.set_num_threads(1)


class TaskPrompts(ListPrompts):
    """The emit-w5 prompts, each item carrying its Task (the improver's view of the problem)."""

    def take(self, n):
        task = Task(({"role": "user", "content": "say w5"},), answer="w5")
        return [PromptItem(it.ids, it.index, task) for it in super().take(n)]


def _trainer(**overrides):
    model, tokenizer = tiny_lm.build(0)
    return GRPOTrainer(tiny_config(seed=1, **overrides), model, tokenizer,
                       TaskPrompts(PROMPTS, emit_w5), None, device="cpu", tensorboard=False)


@pytest.mark.parametrize("name,options,replaced,shaped", [
    ("guided", {"per_group": 1, "schedule": {"kind": "constant", "start": 0.5}}, 4, 0),
    ("critique", {"critic": "rule_reference"}, 4, 4),
])
def test_an_improver_step_trains_and_replaces_responses(name, options, replaced, shaped):
    trainer = _trainer(improver=name, improver_options=options)
    for _ in range(2):
        stats = trainer.train_step()
        assert math.isfinite(stats["loss"]) and math.isfinite(stats["grad_norm"])
        assert stats["improve/replaced"] == replaced and stats["improve/shaped"] == shaped
        assert 0.0 <= stats["improve/reward"] <= 1.0
        assert math.isfinite(stats["logp_gap"])  # never-sampled rows do not poison the gap
    assert trainer.samples == 2 * 16  # the group size and the batch are kept


def test_adaptive_lambda_is_checkpointed():
    options = {"per_group": 1, "schedule": {"kind": "adaptive", "start": 0.3, "target": 0.9,
                                            "gain": 0.5}}
    trainer = _trainer(improver="guided", improver_options=options)
    trainer.train_step()
    lam = trainer.improve.improver.config.schedule.value(0)
    state = trainer.state_dict()
    recent = state["improve"]["improver"]["schedule"]["recent"]  # the guided rewards seen
    assert len(recent) == 4
    rate = sum(recent) / len(recent)
    assert lam == pytest.approx(min(max(0.3 + 0.5 * (rate - 0.9), 0.3), 1.0))
    fresh = _trainer(improver="guided", improver_options=options)
    fresh.load_state_dict(state)
    assert fresh.improve.improver.config.schedule.state_dict() == \
        trainer.improve.improver.config.schedule.state_dict()


def test_without_an_improver_nothing_of_the_hook_runs():
    trainer = _trainer()
    assert trainer.improve is None
    stats = trainer.train_step()
    assert "improve/replaced" not in stats and "improve" not in trainer.state_dict()


def test_bad_improver_options_are_config_errors():
    with pytest.raises(ValueError, match="GRPOConfig.improver='mcts'"):
        GRPOConfig(improver="mcts").validate()
    with pytest.raises(ValueError, match=r"unknown guided option\(s\) \['lam'\]"):
        GRPOConfig(improver="guided", improver_options={"lam": 0.5}).validate()


class ACPrompts:
    """Easy AC presentations (tests/rl/ac_easy_plugin.py) as a trainer prompt source: the llm
    agent's AC chat, a Task per item, reward 1 iff the parsed path verifies."""

    def __init__(self, tokenizer):
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rl"))
        import ac_easy_plugin
        from mathgym.agents.llm.agent import LLMAgent

        self.instances = list(ac_easy_plugin.easy_benchmark().instances)[:4]
        self.tasks = [Task(tuple(LLMAgent(model="unused").ac_messages(dict(i.data))),
                           family="ac", data=dict(i.data)) for i in self.instances]
        self.ids = [list(tokenizer(tokenizer.apply_chat_template(
            list(t.messages), tokenize=False, add_generation_prompt=True),
            add_special_tokens=False)["input_ids"]) for t in self.tasks]
        self.position = 0

    def take(self, n):
        out = [PromptItem(self.ids[k % 4], k, self.tasks[k % 4])
               for k in range(self.position, self.position + n)]
        self.position += n
        return out

    def rewards(self, items, texts, group_size):
        from mathgym.agents.llm.agent import parse_move_ids
        from mathgym.envs.ac.benchmarks import verify_certificate

        return [float(verify_certificate(self.instances[items[i // group_size].index % 4],
                                         parse_move_ids(t, 12)).ok)
                for i, t in enumerate(texts)]

    def state_dict(self):
        return {"position": self.position}

    def load_state_dict(self, state):
        self.position = int(state["position"])


def test_ac_search_as_a_trainer_option_trains_on_verified_paths():
    from test_improve_helpers import char_policy

    model, tokenizer = char_policy(0)
    cfg = tiny_config(seed=1, improver="ac_search", improver_options={"max_nodes": 500})
    trainer = GRPOTrainer(cfg, model, tokenizer, ACPrompts(tokenizer), None, device="cpu",
                          tensorboard=False)
    stats = trainer.train_step()
    # every group gets one verified shortest path (BFS from the start), rewarded 1, shaped
    assert stats["improve/replaced"] == 4 and stats["improve/reward"] == 1.0
    assert stats["improve/shaped"] == 4
    assert math.isfinite(stats["loss"]) and stats["grad_norm"] > 0  # the targets pull
