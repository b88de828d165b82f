"""Language-model policies and a GRPO-family trainer of our own (issue 12).

- `mathgym.agents.llm.common`: code shared by every LM component (masks over padded token
  batches).
- `mathgym.agents.llm.grpo`: the GRPO family as pure tensor functions: advantages, losses,
  DAPO's reward shaping and dynamic sampling. No model, optimiser or training loop lives there, so
  a reader can check each normalisation against its paper, and tests pin every function against
  hand-computed values and TRL's `GRPOTrainer` (tests/llm/).

docs/llm.md, "Losses and advantages", lists the variants, their formulas and papers, and where
TRL differs.
"""
