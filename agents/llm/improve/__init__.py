"""Learning from improved outputs (issue 13): one ``Improver`` interface and its implementations
(answer-guided product sampling, Critique-GRPO, search), with the trainer-side merge, weights
and shaped loss. docs/improve.md has the formulas and options."""

from mathgym.agents.llm.improve.base import (
    ImproveContext,
    ImprovedSample,
    Improver,
    MergedBatch,
    Task,
    apply_improvements,
    improvement_weights,
    row_seed,
)
from mathgym.agents.llm.improve.shaping import mixed_policy_loss, shaped_per_token_loss, shaping_f

__all__ = [
    "ImproveContext",
    "ImprovedSample",
    "Improver",
    "MergedBatch",
    "Task",
    "apply_improvements",
    "improvement_weights",
    "mixed_policy_loss",
    "row_seed",
    "shaped_per_token_loss",
    "shaping_f",
]
