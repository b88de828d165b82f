"""Language-model policies and a GRPO-family trainer of our own (issue 12).

- `mathgym.agents.llm.common`: code shared by every LM component (masks over padded token
  batches).
- `mathgym.agents.llm.common.model`: `load_policy` (SmolLM2 rebuilt once from its GGUF into a cached
  fp32 Hub directory, or any local model directory); `common.sampling`: the batched KV-cache
  sampler and beam search.
- `mathgym.agents.llm.agent`: the `llm` harness agent (`mathgym eval --agent llm`), exported here
  as `AGENTS` for the registry. Importing it loads no model and no torch.
- `mathgym.agents.llm.grpo`: the GRPO family. Its pure tensor functions (advantages, losses,
  DAPO's reward shaping and dynamic sampling) hold no model, optimiser or loop, so a reader can
  check each normalisation against its paper, and tests pin them against hand-computed values
  and TRL's `GRPOTrainer` (tests/llm/). The loop is beside them: `grpo.config.GRPOConfig`,
  `grpo.trainer.GRPOTrainer` (LoRA, guard, DDP, kill -9 safe checkpoints) and `grpo.run`
  (`mathgym train --agent llm-grpo`).

docs/llm.md, "Losses and advantages", lists the variants, their formulas and papers, and where
TRL differs; "The trainer" documents the loop.
"""

from mathgym.agents.llm.agent import AGENTS, LLMAgent

__all__ = ["AGENTS", "LLMAgent"]
