"""LoRA adapters as units (agents/llm/improve/adapters.py) on a tiny random Llama: named
adapters switch, a fresh one computes the base, a clone starts equal to its source and then
trains alone, and the bytes per adapter are counted by hand."""

from __future__ import annotations

import pytest
import torch
from mathgym.agents.llm.improve.adapters import AdapterBank

tiny_lm = pytest.importorskip("tiny_lm")
torch.set_num_threads(1)
IDS = torch.tensor([[1, 8, 9, 10, 11]])


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS).logits


def _perturb(bank, name, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in bank.adapter_parameters(name):
            p.add_(0.5 * torch.randn(p.shape, generator=g))


def test_named_adapters_switch_clone_and_measure():
    model, _ = tiny_lm.build(0)
    base_logits = _logits(model)
    bank = AdapterBank(model, first="guided", r=4, alpha=8)
    bank.add("critique", r=4, alpha=8, seed=1)
    assert bank.names() == ["guided", "critique"] and bank.active == "guided"
    assert torch.allclose(_logits(bank.model), base_logits, atol=1e-6)  # B = 0: the base
    _perturb(bank, "guided", 0)
    _perturb(bank, "critique", 1)
    out_a = _logits(bank.model)
    bank.use("critique")
    out_b = _logits(bank.model)
    assert not torch.allclose(out_a, out_b, atol=1e-4) and bank.active == "critique"
    with bank.base():
        assert torch.allclose(_logits(bank.model), base_logits, atol=1e-6)
    bank.clone("guided", "guided2")
    bank.use("guided2")
    assert torch.allclose(_logits(bank.model), out_a, atol=1e-6)  # the clone starts equal
    _perturb(bank, "guided2", 2)  # ... and then moves alone
    assert not torch.allclose(_logits(bank.model), out_a, atol=1e-4)
    bank.use("guided")
    assert torch.allclose(_logits(bank.model), out_a, atol=1e-6)
    # by hand: q_proj and v_proj of the 1 layer, hidden 16 (2 heads of 8; v is 16 -> 16):
    # each has A (4 x 16) and B (16 x 4): 128 params, 2 modules -> 256 floats -> 1024 bytes
    assert bank.adapter_bytes("guided") == bank.adapter_bytes("guided2") == 1024
    base_params = sum(p.numel() for n, p in bank.model.named_parameters() if ".lora_" not in n)
    assert bank.base_bytes() == 4 * base_params
    bank.delete("guided2")
    assert bank.names() == ["guided", "critique"]
    with pytest.raises(KeyError, match="no adapter 'zz'"):
        bank.use("zz")
    with pytest.raises(ValueError, match="exists"):
        bank.clone("guided", "critique")


def test_saved_adapters_load_into_one_bank_with_their_sha256(tmp_path):
    from mathgym.agents.llm.common.lora import save_adapter, sha256_file, wrap_lora

    dirs = {}
    for name, seed in (("a", 1), ("b", 2)):
        model, _ = tiny_lm.build(0)
        model = wrap_lora(model, r=2, alpha=4, seed=seed)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for key, p in model.named_parameters():
                if "lora_B" in key:
                    p.add_(0.5 * torch.randn(p.shape, generator=g))
        dirs[name] = tmp_path / name
        save_adapter(model, dirs[name])
        dirs[name + "_logits"] = _logits(model)
    base, _ = tiny_lm.build(0)
    bank = AdapterBank.from_dirs(base, {"a": dirs["a"], "b": dirs["b"]})
    assert bank.names() == ["a", "b"] and bank.active == "a"
    assert bank.sha256 == {n: sha256_file(dirs[n] / "adapter_model.safetensors")
                           for n in ("a", "b")}
    assert torch.allclose(_logits(bank.model), dirs["a_logits"], atol=1e-5)
    bank.use("b")
    assert torch.allclose(_logits(bank.model), dirs["b_logits"], atol=1e-5)
    assert not torch.allclose(dirs["a_logits"], dirs["b_logits"], atol=1e-3)
    (dirs["b"] / "adapter_model.safetensors").write_bytes(b"changed")
    with pytest.raises(ValueError, match="sha256"):
        bank.load("b2", dirs["b"])
