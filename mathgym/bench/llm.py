"""``python -m mathgym.bench llm``: LM policy load time and sampling tokens/s, ours vs generate.

Loads the policy (``--model``, default the cached SmolLM2 rebuild; the first run on a machine
includes the GGUF rebuild and says so in ``load.cold``), builds ``--batch`` MathQA prompts
(``reasoning/mathqa-quick``'s first questions through the ``llm`` agent's chat format) and
times, each the median of ``--runs`` after a warm-up:

- ``ours_greedy``: :func:`mathgym.agents.llm.common.sampling.sample` with temperature 0;
- ``generate_greedy``: ``model.generate(do_sample=False)`` on the same left-padded batch;
- ``ours_sampled``: temperature ``--temperature``, top-p ``--top-p``, seeded rows.

Tokens/s counts completion tokens through each row's first EOS (the same count for both greedy
runs, which are also checked to agree token for token: ``greedy_equal``). ``ratio_vs_generate``
is our greedy tokens/s over generate's. CPU threads: ``--threads`` (default 2).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench llm")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--top-p", type=float, default=0.95)
    args = parser.parse_args(argv or [])

    import torch

    from mathgym.agents.llm.agent import LLMAgent
    from mathgym.agents.llm.common import model as model_lib
    from mathgym.agents.llm.common.sampling import left_pad, sample
    from mathgym.harness.registry import get_benchmark

    torch.set_num_threads(args.threads)
    cold = args.model == model_lib.DEFAULT_MODEL and not model_lib._is_complete(
        model_lib._smollm2_cache_dir(model_lib.smollm2_gguf()))
    start = time.perf_counter()
    model, tokenizer = model_lib.load_policy(args.model, device=args.device)
    load_s = time.perf_counter() - start

    agent = LLMAgent(model=args.model, device=args.device)
    agent._policy = (model, tokenizer)
    bench = get_benchmark("reasoning/mathqa-quick")
    prompts = [agent._prompt_ids(agent.mathqa_messages(dict(bench.public_view(inst).data)))
               for inst in list(bench.instances)[: args.batch]]
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    n = args.max_new_tokens

    def ours(temperature: float):
        seeds = list(range(len(prompts))) if temperature > 0 else None
        return sample(model, prompts, max_new_tokens=n, eos_token_id=eos, pad_token_id=pad,
                      temperature=temperature, top_p=args.top_p if temperature > 0 else 1.0,
                      seeds=seeds)

    def generate():
        ids, mask = left_pad(prompts, pad, model.device)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                                 do_sample=False, eos_token_id=eos, pad_token_id=pad)
        rows = []
        for row in out[:, ids.shape[1]:].tolist():
            rows.append(row[: row.index(eos) + 1] if eos in row else row)
        return rows

    def timed(fn):
        fn()  # warm-up
        times, result = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times), result

    t_ours, greedy = timed(lambda: ours(0.0))
    t_gen, gen_rows = timed(generate)
    t_samp, sampled = timed(lambda: ours(args.temperature))
    ours_rows = [greedy.tokens(i) for i in range(len(prompts))]
    greedy_tokens = sum(len(r) for r in ours_rows)
    sampled_tokens = int(sampled.lengths.sum())
    ours_tps = greedy_tokens / t_ours
    gen_tps = sum(len(r) for r in gen_rows) / t_gen
    return {
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "torch_threads": args.threads,
                    "device": str(model.device)},
        "model": {"name": args.model, "parameters": sum(p.numel() for p in model.parameters()),
                  "dtype": str(next(model.parameters()).dtype)},
        "load": {"seconds": round(load_s, 2), "cold": cold},
        "batch": len(prompts), "max_new_tokens": n,
        "ours_greedy": {"seconds": round(t_ours, 3), "tokens": greedy_tokens,
                        "tokens_per_s": round(ours_tps, 1)},
        "generate_greedy": {"seconds": round(t_gen, 3),
                            "tokens": sum(len(r) for r in gen_rows),
                            "tokens_per_s": round(gen_tps, 1)},
        "ours_sampled": {"seconds": round(t_samp, 3), "tokens": sampled_tokens,
                         "tokens_per_s": round(sampled_tokens / t_samp, 1),
                         "temperature": args.temperature, "top_p": args.top_p},
        "greedy_equal": ours_rows == gen_rows,
        "ratio_vs_generate": round(ours_tps / gen_tps, 3),
    }
