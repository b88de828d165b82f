"""Test helpers for the improver tests (tests/llm/test_improve_*.py): a character-level
tokenizer (a real ``PreTrainedTokenizerFast``: every printable character is a token, so
questions, answers and AC paths round-trip exactly) and a tiny random Llama sized to it."""

from __future__ import annotations

import string

import torch

EOS = PAD = 0
BOS = 1
CHAT_TEMPLATE = (
    "{% for m in messages %}<bos>{{ m['role'] }}: {{ m['content'] }}<eos>\n{% endfor %}"
    "{% if add_generation_prompt %}<bos>assistant: {% endif %}"
)


def char_tokenizer():
    """One token per printable character plus <eos> (= pad), <bos>, <unk>."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(string.printable) - set("\t\r\x0b\x0c"))
    vocab = {"<eos>": EOS, "<bos>": BOS, "<unk>": 2}
    vocab.update({c: i + 3 for i, c in enumerate(chars)})
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<eos>",
                                        eos_token="<eos>", bos_token="<bos>", unk_token="<unk>")
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def char_policy(seed: int = 0):
    """``(model, tokenizer)``: a 1-layer random Llama (hidden 16) over ``char_tokenizer``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = char_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
        pad_token_id=PAD, eos_token_id=EOS, bos_token_id=BOS,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.eval()
    return model, tokenizer


def test_char_tokenizer_round_trips_text_and_paths():
    tok = char_tokenizer()
    for text in ("[3, 0, 11]", "What is 17 + 25?\nPut it in \\boxed{}.", "x y^-1"):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) == len(text)
        assert tok.decode(ids) == text
