"""Drive TRL 1.16's `GRPOTrainer` on fixed data, for the differential tests.

A real `GRPOTrainer` is built once on a tiny randomly initialised Llama and a word-level tokenizer
made here (no download). Its sampling, reward and forward passes are replaced by fixed data:
- `_generate` returns the given prompt and completion token lists (and sampler logprobs);
- `_calculate_rewards` returns the given rewards;
- `_get_per_token_logps_and_entropies` returns the given per-token logprobs (old logprobs while
  scoring, the policy's while computing the loss).
Everything between them is TRL's own code: `_generate_and_score_completions` pads, masks and
computes advantages (and the vLLM importance-sampling ratio); `_compute_loss` computes the loss.
Config attributes the two read (`loss_type`, `epsilon_low`, `scale_rewards`, ...) are set on the
trainer per case.
"""

from __future__ import annotations

import tempfile
import warnings

import torch

PAD, EOS, BOS = 0, 1, 2
VOCAB_SIZE = 32


def build_trainer(kind: str = "grpo"):
    """A `GRPOTrainer` (kind="grpo") or an `RLOOTrainer` (kind="rloo", beta 0: no KL in the
    reward) on the tiny model."""
    from datasets import Dataset
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    from trl import GRPOConfig, GRPOTrainer, RLOOConfig, RLOOTrainer

    vocab = {"<pad>": PAD, "<eos>": EOS, "<bos>": BOS}
    vocab.update({f"w{i}": i + 3 for i in range(VOCAB_SIZE - 3)})
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>"
    )
    config = LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=PAD,
        eos_token_id=EOS,
        bos_token_id=BOS,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    common = dict(
        output_dir=tempfile.mkdtemp(prefix="mathgym-trl-"),
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=4,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
    )
    config_class, trainer_class = (
        (GRPOConfig, GRPOTrainer) if kind == "grpo" else (RLOOConfig, RLOOTrainer)
    )
    args = config_class(**common) if kind == "grpo" else config_class(**common, beta=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = trainer_class(
            model=model,
            reward_funcs=[lambda completions, **_: [0.0] * len(completions)],
            args=args,
            train_dataset=Dataset.from_dict({"prompt": ["w1 w2", "w3"] * 2}),
            processing_class=tokenizer,
        )
    trainer.current_gradient_accumulation_steps = 1
    return trainer


def score(
    trainer,
    prompt_ids: list[list[int]],
    completion_ids: list[list[int]],
    rewards: list[float],
    *,
    num_generations: int,
    old_logp: torch.Tensor | None = None,
    sampler_logp: list[list[float]] | None = None,
) -> dict:
    """Run TRL's `_generate_and_score_completions` on fixed lists; returns its output dict."""
    B = len(completion_ids)
    trainer.num_generations = num_generations

    def fake_generate(prompts):
        texts = ["x"] * B
        if type(trainer).__name__ == "RLOOTrainer":
            return prompt_ids, completion_ids, texts
        return prompt_ids, completion_ids, None, texts, sampler_logp, {}, None, None

    def fake_rewards(inputs, prompts, completions, completion_ids_list):
        return torch.tensor(rewards, dtype=torch.float32).unsqueeze(1)  # (B, 1)

    def fake_logps(model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
        assert old_logp is not None, "TRL asked for old logprobs; pass old_logp"
        return old_logp[:, :logits_to_keep].clone(), None, None

    trainer._generate = fake_generate
    trainer._calculate_rewards = fake_rewards
    trainer._get_per_token_logps_and_entropies = fake_logps
    inputs = [{"prompt": "w1"} for _ in range(B)]
    return trainer._generate_and_score_completions(inputs)


def loss(trainer, inputs: dict, logp: torch.Tensor, entropy: torch.Tensor | None = None):
    """Run TRL's `_compute_loss` with the policy's per-token logprobs fixed to `logp`."""
    if entropy is None:
        entropy = torch.zeros_like(logp)

    def fake_logps(model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
        return logp, entropy, None

    trainer._get_per_token_logps_and_entropies = fake_logps
    return trainer._compute_loss(trainer.model, inputs)
