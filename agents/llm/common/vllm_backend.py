"""The ``llm`` agent's vLLM backend (``backend="vllm"``): every vLLM-specific line lives here.

Why a separate module: vLLM is an optional, GPU-only dependency (it is not installable on the
CPU machine mathgym is developed on: no CUDA device, and its wheels pull a CUDA torch). The
agent imports this module only when ``backend="vllm"`` is selected, and this module imports
``vllm`` only inside :class:`VLLMEngine`, after :func:`check_available` has confirmed both the
package and a GPU, so importing the agent, or this module, never imports vllm.

What it does: the same completions the transformers backend draws, from token-id prompts
(the agent renders the chat template with the model's own tokenizer, so both backends see the
same prompt tokens), one request per row with that row's seed (vLLM's per-request
``SamplingParams.seed``), temperature 0 for greedy. Beam search, guided sampling and LoRA
adapters stay on the transformers backend (the agent refuses those combinations).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any


def missing() -> str | None:
    """What the vLLM backend lacks here (``None`` when vllm and a CUDA GPU are both present)."""
    if importlib.util.find_spec("vllm") is None:
        return ("the vllm package is not installed (pip install vllm on a machine with a CUDA "
                "GPU; it is not installable on a CPU-only machine)")
    import torch

    if not torch.cuda.is_available():
        return "vllm is installed but torch sees no CUDA GPU (vLLM's engine needs one)"
    return None


def check_available() -> None:
    """``RuntimeError`` naming what is missing for ``backend="vllm"``, and the way out."""
    why = missing()
    if why is not None:
        raise RuntimeError(f"backend='vllm' cannot run: {why}; use backend='transformers' (the "
                           "default, CPU or GPU)")


class VLLMEngine:
    """A ``vllm.LLM`` over a Hub-format model directory, drawing completions of token prompts."""

    def __init__(self, model_path: str, *, dtype: str = "float32") -> None:
        check_available()
        import vllm  # the only import of vllm in mathgym

        self._vllm = vllm
        self.llm = vllm.LLM(model=model_path, dtype=dtype, tokenizer=model_path)

    def generate(self, prompt: Sequence[int], seeds: Sequence[int], *, temperature: float,
                 top_p: float, max_new_tokens: int) -> tuple[list[str], int, int]:
        """``(texts, tokens, truncated)`` of ``len(seeds)`` completions of ``prompt``."""
        params = [self._vllm.SamplingParams(
            n=1, temperature=float(temperature), top_p=float(top_p), max_tokens=max_new_tokens,
            seed=int(seed) if temperature > 0 else None, skip_special_tokens=True)
            for seed in seeds]
        requests: list[Any] = [{"prompt_token_ids": list(prompt)} for _ in seeds]
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        texts, tokens, truncated = [], 0, 0
        for out in outputs:
            best = out.outputs[0]
            texts.append(best.text)
            tokens += len(best.token_ids)
            truncated += int(best.finish_reason == "length")
        return texts, tokens, truncated
