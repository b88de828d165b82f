"""Shared pieces of the GRPO trainer tests: the tiny Llama, the "emit w5" task, a trainer.

The task: a completion is rewarded 1 when it contains the word ``w5`` (one of 33 words plus 7
specials), else 0. The random tiny model emits it with probability about 1 - (39/40)^6 = 0.14
within 6 tokens (its next-token distribution is near uniform), so a group of 4 usually has a
learning signal and the optimum (always emit it) is easy to reach.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import tiny_lm  # noqa: E402
from mathgym.agents.llm.grpo.config import GRPOConfig  # noqa: E402
from mathgym.agents.llm.grpo.prompts import ListPrompts  # noqa: E402
from mathgym.agents.llm.grpo.trainer import GRPOTrainer  # noqa: E402

PROMPTS = [[1, 4, 3, 8, 9], [1, 4, 3, 10], [1, 5, 3, 11, 12, 13], [1, 4, 3, 14]]


def emit_w5(item, text: str) -> float:
    """1 when the completion contains the word w5."""
    return 1.0 if "w5" in text.split() else 0.0


def tiny_config(**overrides) -> GRPOConfig:
    """The tests' base config: 4 prompts x 4 completions x 6 tokens, full fine-tuning, lr 3e-2."""
    base = dict(prompts_per_step=4, num_generations=4, max_new_tokens=6, micro_batch_size=16,
                learning_rate=3e-2, lora=False, lora_r=4, lora_alpha=8,
                lora_target_modules=["q_proj", "v_proj", "lm_head"], guard_entropy_ratio=None)
    base.update(overrides)
    preset = base.pop("preset", "dr_grpo")
    return GRPOConfig.preset(preset, **base)


def tiny_trainer(cfg: GRPOConfig | None = None, out_dir=None, *, model_seed: int = 0,
                 dist=None, tensorboard: bool = False) -> GRPOTrainer:
    """A trainer on a fresh tiny model (seeded) and the emit-w5 prompts."""
    model, tokenizer = tiny_lm.build(model_seed)
    return GRPOTrainer(cfg or tiny_config(), model, tokenizer, ListPrompts(PROMPTS, emit_w5),
                       out_dir, device="cpu", dist=dist, tensorboard=tensorboard)
