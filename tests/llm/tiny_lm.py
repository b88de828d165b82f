"""A tiny randomly initialised Llama and a word-level tokenizer with a chat template, for the LM
sampler and agent tests (no download, builds in milliseconds).

Words: ``w0 .. w{N-1}`` plus the specials; pad == EOS by default, as in SmolLM2, so the tests
exercise the case where only the sampler's lengths tell padding from a real EOS. The chat
template writes ``<bos> role : content <eos>`` per message.
"""

from __future__ import annotations

import torch

PAD = EOS = 0
BOS = 1
VOCAB_SIZE = 40
CHAT_TEMPLATE = (
    "{% for m in messages %}<bos> {{ m['role'] }} : {{ m['content'] }} <eos> {% endfor %}"
    "{% if add_generation_prompt %}<bos> assistant : {% endif %}"
)


def build(seed: int = 0, *, layers: int = 1):
    """``(model, tokenizer)``: a 1-layer ``LlamaForCausalLM`` (hidden 16) in eval mode."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<eos>": EOS, "<bos>": BOS, "<unk>": 2, ":": 3}
    vocab.update({w: i for i, w in enumerate(("system", "user", "assistant"), start=4)})
    vocab.update({f"w{i}": i + 7 for i in range(VOCAB_SIZE - 7)})
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<eos>", eos_token="<eos>", bos_token="<bos>",
        unk_token="<unk>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    config = LlamaConfig(
        vocab_size=VOCAB_SIZE, hidden_size=16, intermediate_size=32, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        pad_token_id=PAD, eos_token_id=EOS, bos_token_id=BOS,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.eval()
    return model, tokenizer
