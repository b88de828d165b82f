"""LoRA through peft: a trained adapter saves with its sha256, loads into a fresh base to the
same logits, merges into a plain model with the same function (within float rounding), and a
changed adapter file is refused. The merged model is a directory ``load_policy`` reads."""

from __future__ import annotations

import json

import pytest
import tiny_lm
import torch
from mathgym.agents.llm.common.lora import adapter_info, load_adapter, merge_adapter, sha256_file
from mathgym.agents.llm.common.model import load_policy
from trainer_helpers import tiny_config, tiny_trainer

IDS = torch.tensor([[1, 4, 3, 8, 9, 20, 21, 5]])


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, attention_mask=torch.ones_like(IDS)).logits


@pytest.fixture(scope="module")
def trained():
    trainer = tiny_trainer(tiny_config(lora=True, seed=1))
    for _ in range(3):
        trainer.train_step()
    return trainer


def test_save_load_round_trip(trained, tmp_path):
    sha = trained.save_adapter(tmp_path / "adapter")
    weights = tmp_path / "adapter" / "adapter_model.safetensors"
    assert sha == sha256_file(weights)
    info = adapter_info(tmp_path / "adapter")
    assert info["adapter_sha256"] == sha
    assert info["training_samples"] == 3 * 16 and info["training_steps"] == 3
    base, _ = tiny_lm.build(0)
    loaded = load_adapter(base, tmp_path / "adapter")
    assert torch.equal(_logits(loaded), _logits(trained.model))
    fresh, _ = tiny_lm.build(0)
    assert not torch.allclose(_logits(fresh), _logits(trained.model))  # it did train


def test_merge_keeps_the_function(trained, tmp_path):
    trained.save_adapter(tmp_path / "adapter")
    base, _ = tiny_lm.build(0)
    merged = merge_adapter(load_adapter(base, tmp_path / "adapter"))
    assert not any("lora" in n for n, _ in merged.named_parameters())
    torch.testing.assert_close(_logits(merged), _logits(trained.model), atol=1e-5, rtol=0)
    trained.save_adapter(tmp_path / "merged", merge=True)  # a Hub-format directory
    model, tokenizer = load_policy(str(tmp_path / "merged"), device="cpu")
    torch.testing.assert_close(_logits(model), _logits(trained.model), atol=1e-5, rtol=0)
    meta = json.loads((tmp_path / "merged" / "mathgym_training.json").read_text())
    assert meta["training_samples"] == 48
    assert trained.model.peft_config  # merging a copy left the trainer's adapter in place


def test_a_changed_adapter_is_refused(trained, tmp_path):
    trained.save_adapter(tmp_path / "adapter")
    weights = tmp_path / "adapter" / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        adapter_info(tmp_path / "adapter")
    with pytest.raises(FileNotFoundError, match="not a LoRA adapter"):
        adapter_info(tmp_path)


def test_unknown_target_modules_are_named():
    with pytest.raises(ValueError, match="not modules of this model"):
        tiny_trainer(tiny_config(lora=True, lora_target_modules=["c_attn"]))
