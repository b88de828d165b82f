"""GRPOConfig: each preset carries its paper's settings into the loss, and a bad value is named
with what would be valid."""

from __future__ import annotations

import pytest
from mathgym.agents.llm.grpo.config import GRPOConfig


def test_presets_carry_the_papers_settings():
    dapo = GRPOConfig.preset("dapo", max_new_tokens=40)
    loss = dapo.loss_config()
    assert (loss.loss_type, loss.epsilon_low, loss.epsilon_high) == ("dapo", 0.2, 0.28)
    assert dapo.dynamic_sampling and dapo.overlong_cache == 10  # L_cache = L_max / 4
    assert loss.resolved_aggregation() == "token-mean"
    gspo = GRPOConfig.preset("gspo").loss_config()
    assert (gspo.epsilon_low, gspo.epsilon_high) == (3e-4, 4e-4)
    assert gspo.importance_sampling_level == "sequence"
    grpo = GRPOConfig.preset("grpo")
    assert grpo.beta == 0.04 and grpo.scale_rewards == "group"
    assert grpo.loss_config().resolved_aggregation() == "seq-mean-token-mean"
    dr = GRPOConfig()  # the default is Dr. GRPO
    assert dr.loss_type == "dr_grpo" and dr.scale_rewards == "none" and dr.beta == 0
    assert dr.loss_config().max_completion_length == dr.max_new_tokens  # the constant divisor
    assert GRPOConfig.preset("rloo").advantage_estimator == "rloo"
    assert GRPOConfig.preset("dapo", epsilon_high=0.3).loss_config().epsilon_high == 0.3


@pytest.mark.parametrize("change, message", [
    ({"num_generations": 1}, "at least 2"),
    ({"loss_type": "ppo"}, "loss_type"),
    ({"temperature": 0.0}, "temperature"),
    ({"sampler_is": "tis"}, "sampler_is"),
    ({"overlong_cache": 99}, "overlong_cache"),
    ({"dtype": "float16"}, "dtype"),
    ({"prompts_per_step": 0}, "prompts_per_step"),
])
def test_validate_names_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        GRPOConfig(**change).validate()
    with pytest.raises(ValueError, match="unknown preset"):
        GRPOConfig.preset("ppo")


def test_every_improver_name_is_a_trainer_option():
    """GRPOConfig accepts each improver make_improver builds (options checked at validate)."""
    from mathgym.agents.llm.improve.trainer_hook import IMPROVERS

    for name in IMPROVERS:
        GRPOConfig(improver=name).validate()
    with pytest.raises(ValueError, match="improver"):
        GRPOConfig(improver="nope").validate()
