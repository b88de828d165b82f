"""``GRPOConfig``: every hyperparameter of the GRPO-family trainer, one documented field each.

CleanRL style: the dataclass *is* the documentation. ``GRPOConfig.preset(name)`` gives each
paper's settings (docs/llm.md, "The trainer"); ``validate()`` names any bad value and how to fix
it; ``loss_config()`` is the :class:`~mathgym.agents.llm.grpo.loss.LossConfig` the loss sees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from mathgym.agents.llm.grpo.loss import LossConfig

LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "cispo", "gspo")
ESTIMATORS = ("grpo", "dr_grpo", "rloo", "reinforce_pp")
SCALE_REWARDS = ("group", "batch", "none")
IS_MODES = ("token_truncate", "token_mask", "sequence_truncate", "sequence_mask")
GUARD_ACTIONS = ("stop", "rollback", "warn")


@dataclass
class GRPOConfig:
    """Hyperparameters of one GRPO-family training run (defaults: Dr. GRPO on a small batch)."""

    # --- batch and sampling -----------------------------------------------------------------
    prompts_per_step: int = 4
    """prompts per optimiser step, over all processes (the global batch is this times G)"""
    num_generations: int = 4
    """G: completions sampled per prompt (the group)"""
    max_new_tokens: int = 24
    """completion length cap L_max (also dr_grpo's constant divisor)"""
    temperature: float = 1.0
    """sampling temperature; the trainer's logprobs use the same logits / temperature"""
    top_p: float = 1.0
    """nucleus sampling mass (1 = off)"""
    micro_batch_size: int = 16
    """completions per forward/backward pass; the batch is split into micro-batches and the
    gradients accumulate (the loss is normalised over the whole batch, so the split does not
    change the result)"""
    share_prompt_prefix: bool = True
    """forward each prompt once and copy its KV cache to its G completions (training forward
    and sampling; the same function, fewer tokens); micro-batches then hold whole groups
    (micro_batch_size rounded down to a multiple of G, at least one group). False: one full
    prompt + completion forward per row, as TRL does"""
    # --- the objective ----------------------------------------------------------------------
    loss_type: str = "dr_grpo"
    """grpo | bnpo | dr_grpo | dapo | cispo | gspo (agents/llm/grpo/loss.py)"""
    advantage_estimator: str = "grpo"
    """grpo | dr_grpo | rloo | reinforce_pp, separate from the loss type"""
    scale_rewards: str = "none"
    """grpo estimator's std: group (GRPO) | batch (Lite PPO) | none (Dr. GRPO)"""
    epsilon_low: float | None = None
    """clip below at 1 - epsilon_low; None: the loss type's preset (LossConfig.preset)"""
    epsilon_high: float | None = None
    """clip above at 1 + epsilon_high (DAPO clip-higher 0.28); None: the preset"""
    delta: float | None = None
    """INTELLECT-2's two-sided clip on negative-advantage tokens (None: off)"""
    cispo_clip_max: float = 5.0
    """CISPO's cap on the stop-gradient IS weight"""
    importance_sampling_level: str = "token"
    """token | sequence (GSPO's ratio for any PPO-style type; gspo always uses sequence)"""
    beta: float = 0.0
    """KL coefficient to the reference policy (0: no reference forward pass at all)"""
    kl_estimator: str = "k3"
    """k1 | k2 | k3 (Schulman's estimators; GRPO uses k3)"""
    num_iterations: int = 1
    """passes (optimiser steps) over each sampled batch; > 1 makes the ratio != 1 (PPO reuse)"""
    mask_truncated_completions: bool = False
    """drop completions without EOS from the loss (DAPO section 3.4)"""
    overlong_cache: int = 0
    """DAPO's soft overlong punishment L_cache (eq. 13) with L_max = max_new_tokens; 0 = off"""
    dynamic_sampling: bool = False
    """DAPO's dynamic sampling: drop zero-variance groups and sample more prompts to refill"""
    max_sampling_rounds: int = 3
    """dynamic sampling: at most this many sampling rounds per step (then train on what is kept)"""
    sampler_is: str | None = None
    """correct sampler-vs-trainer logprob mismatch: token_truncate | token_mask |
    sequence_truncate | sequence_mask (TIS/MIS), None = off"""
    sampler_is_clip: float = 2.0
    """the IS weight's cap C (truncate) or upper bound (mask)"""
    # --- optimiser --------------------------------------------------------------------------
    learning_rate: float = 1e-5
    """AdamW learning rate (constant)"""
    weight_decay: float = 0.0
    """AdamW weight decay"""
    adam_betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    """AdamW betas"""
    adam_eps: float = 1e-8
    """AdamW epsilon"""
    max_grad_norm: float | None = 1.0
    """clip the global gradient norm to this (None: no clipping; the norm is logged anyway)"""
    # --- model ------------------------------------------------------------------------------
    lora: bool = True
    """train a LoRA adapter through peft (the reference is the base with the adapter disabled);
    False: full fine-tuning (the reference is then a frozen copy, made only when beta > 0)"""
    lora_r: int = 16
    """LoRA rank"""
    lora_alpha: int = 32
    """LoRA scaling alpha (the update is alpha / r * B A)"""
    lora_dropout: float = 0.0
    """LoRA dropout; 0 keeps the forward deterministic, so old logprobs = logp.detach()"""
    lora_target_modules: list[str] = field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    """module names LoRA wraps (Llama's attention and MLP projections)"""
    dtype: str = "float32"
    """float32, or bfloat16 (autocast of forward and sampling; weights and optimiser stay fp32)"""
    torch_threads: int = 1
    """torch CPU threads (fixed, so a resumed run computes what an uninterrupted one does)"""
    seed: int = 0
    """seed of the adapter's init, the sampler's per-row seeds and the prompt stream"""
    # --- stability guard (agents/llm/grpo/guard.py) ------------------------------------------
    guard_action: str = "stop"
    """what a fired guard does: stop | rollback (to the last good checkpoint) | warn"""
    guard_entropy_max: float | None = None
    """entropy explosion: token entropy (nats) above this fires; None = off"""
    guard_entropy_ratio: float | None = 3.0
    """entropy explosion: entropy above this times its value at the first step fires"""
    guard_reward_drop: float | None = None
    """reward collapse: the reward's moving mean falls this far below its best moving mean"""
    guard_reward_window: int = 5
    """steps in the reward's moving mean"""
    guard_patience: int = 2
    """consecutive steps a signal must fire before the guard acts"""
    guard_max_rollbacks: int = 3
    """rollback: stop after this many rollbacks"""

    # --- learning from improved outputs (issue 13, agents/llm/improve, docs/improve.md) -------
    improver: str | None = None
    """None: plain GRPO. guided | critique | ac_search: after each prompt batch is sampled and
    scored, the improver's samples replace some of each group's responses (group size kept)"""
    improver_options: dict[str, Any] | None = None
    """the improver's options (``improve.trainer_hook.make_improver``), e.g. guided:
    {"correction": "token", "clip": 2.0, "schedule": {"kind": "linear", "steps": 100}}"""

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> GRPOConfig:
        """A paper's settings by name; ``overrides`` win.

        - ``grpo``: DeepSeekMath: group-std advantages, seq-mean-token-mean, eps 0.2, beta 0.04, k3.
        - ``dr_grpo``: Dr. GRPO: no std, no 1/|o|, beta 0.
        - ``dapo``: clip-higher 0.2/0.28, dynamic sampling, token-mean, overlong shaping
          (L_cache = max_new_tokens / 4), group-std advantages, beta 0.
        - ``bnpo``, ``cispo``, ``gspo``: the loss with group-std advantages.
        - ``rloo``, ``reinforce_pp``: that estimator with the grpo loss.
        """
        table: dict[str, dict[str, Any]] = {
            "grpo": {"loss_type": "grpo", "scale_rewards": "group", "beta": 0.04},
            "dr_grpo": {"loss_type": "dr_grpo", "scale_rewards": "none"},
            "dapo": {"loss_type": "dapo", "scale_rewards": "group", "dynamic_sampling": True,
                     "epsilon_low": 0.2, "epsilon_high": 0.28},
            "bnpo": {"loss_type": "bnpo", "scale_rewards": "group"},
            "cispo": {"loss_type": "cispo", "scale_rewards": "group"},
            "gspo": {"loss_type": "gspo", "scale_rewards": "group",
                     "importance_sampling_level": "sequence"},
            "rloo": {"loss_type": "grpo", "advantage_estimator": "rloo"},
            "reinforce_pp": {"loss_type": "grpo", "advantage_estimator": "reinforce_pp"},
        }
        if name not in table:
            raise ValueError(f"unknown preset {name!r}; presets: {', '.join(table)}")
        base = dict(table[name])
        if name == "dapo":
            base["overlong_cache"] = max(1, int(overrides.get("max_new_tokens",
                                                              cls.max_new_tokens)) // 4)
        return cls(**{**base, **overrides})

    def replace(self, **changes: Any) -> GRPOConfig:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def loss_config(self) -> LossConfig:
        """The loss's config: the loss type's preset clip range unless set here."""
        over: dict[str, Any] = {
            "delta": self.delta, "cispo_clip_max": self.cispo_clip_max, "beta": self.beta,
            "kl_estimator": self.kl_estimator, "max_completion_length": self.max_new_tokens,
            "importance_sampling_level": self.importance_sampling_level,
        }
        if self.epsilon_low is not None:
            over["epsilon_low"] = self.epsilon_low
        if self.epsilon_high is not None:
            over["epsilon_high"] = self.epsilon_high
        return LossConfig.preset(self.loss_type, **over)

    def validate(self) -> GRPOConfig:
        """Raise ``ValueError`` naming the first bad field and what would be valid."""
        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise ValueError(f"GRPOConfig.{name}={getattr(self, name)!r}: {what}")

        for name in ("prompts_per_step", "num_generations", "max_new_tokens",
                     "micro_batch_size", "num_iterations", "max_sampling_rounds",
                     "torch_threads", "lora_r", "guard_reward_window", "guard_patience"):
            value = getattr(self, name)
            need(isinstance(value, int) and not isinstance(value, bool) and value >= 1, name,
                 "must be an int >= 1")
        need(self.num_generations >= 2, "num_generations",
             "a group needs at least 2 completions (advantages are relative to the group)")
        need(self.loss_type in LOSS_TYPES, "loss_type", f"must be one of {LOSS_TYPES}")
        need(self.advantage_estimator in ESTIMATORS, "advantage_estimator",
             f"must be one of {ESTIMATORS}")
        need(self.scale_rewards in SCALE_REWARDS, "scale_rewards",
             f"must be one of {SCALE_REWARDS}")
        need(self.importance_sampling_level in ("token", "sequence"),
             "importance_sampling_level", "must be 'token' or 'sequence'")
        need(self.kl_estimator in ("k1", "k2", "k3"), "kl_estimator", "must be k1, k2 or k3")
        need(self.sampler_is is None or self.sampler_is in IS_MODES, "sampler_is",
             f"must be null or one of {IS_MODES}")
        need(self.dtype in ("float32", "bfloat16"), "dtype", "must be float32 or bfloat16")
        need(self.guard_action in GUARD_ACTIONS, "guard_action",
             f"must be one of {GUARD_ACTIONS}")
        need(self.temperature > 0, "temperature",
             "must be > 0: GRPO needs G different samples per prompt")
        need(0 < self.top_p <= 1, "top_p", "must be in (0, 1]")
        need(self.learning_rate > 0, "learning_rate", "must be > 0")
        need(self.beta >= 0, "beta", "must be >= 0")
        need(self.improver in (None, "guided", "critique", "ac_search", "mm_search"),
             "improver", "must be null, guided, critique, ac_search or mm_search")
        need(self.improver_options is None or isinstance(self.improver_options, dict),
             "improver_options", "must be null or a dict of the improver's options")
        if self.improver is not None:  # names any unknown option now, not at the first step
            from mathgym.agents.llm.improve.trainer_hook import make_improver

            make_improver(self.improver, self.improver_options)
        need(0 <= self.overlong_cache <= self.max_new_tokens, "overlong_cache",
             "must be in [0, max_new_tokens]")
        need(self.max_grad_norm is None or self.max_grad_norm > 0, "max_grad_norm",
             "must be > 0 or null")
        need(isinstance(self.adam_betas, list | tuple) and len(self.adam_betas) == 2,
             "adam_betas", "give two numbers, e.g. [0.9, 0.999]")
        need(isinstance(self.lora_target_modules, list | tuple) and
             len(self.lora_target_modules) > 0, "lora_target_modules",
             "give a list of module names, e.g. ['q_proj', 'v_proj']")
        need(isinstance(self.seed, int) and self.seed >= 0, "seed", "must be an int >= 0")
        return self
