"""The GRPO family (issue 12). Exported here: the pure tensor functions (advantages, the policy
loss, DAPO's reward shaping and dynamic sampling; docs/llm.md, "Losses and advantages", gives
the formulas). The training loop lives in submodules imported on their own, so importing the
functions loads no transformers: ``grpo.config`` (``GRPOConfig``), ``grpo.trainer``
(``GRPOTrainer``), ``grpo.prompts``, ``grpo.guard``, ``grpo.metrics``, ``grpo.run``
(docs/llm.md, "The trainer")."""

from mathgym.agents.llm.grpo.advantages import (
    compute_advantages,
    dr_grpo_advantages,
    grpo_advantages,
    reinforce_pp_advantages,
    rloo_advantages,
    zero_variance_groups,
)
from mathgym.agents.llm.grpo.loss import (
    DEFAULT_AGGREGATION,
    LossConfig,
    aggregate,
    importance_ratio,
    kl_estimate,
    policy_loss,
    sampler_importance_weights,
    seq_mean_token_mean,
    seq_mean_token_sum,
    seq_mean_token_sum_norm,
    token_mean,
)
from mathgym.agents.llm.grpo.rewards import dynamic_sampling_keep, kept_rows, overlong_penalty

__all__ = [
    "DEFAULT_AGGREGATION",
    "LossConfig",
    "aggregate",
    "compute_advantages",
    "dr_grpo_advantages",
    "dynamic_sampling_keep",
    "grpo_advantages",
    "importance_ratio",
    "kept_rows",
    "kl_estimate",
    "overlong_penalty",
    "policy_loss",
    "reinforce_pp_advantages",
    "rloo_advantages",
    "sampler_importance_weights",
    "seq_mean_token_mean",
    "seq_mean_token_sum",
    "seq_mean_token_sum_norm",
    "token_mean",
    "zero_variance_groups",
]
