"""``llm``: a causal language model as a harness agent (``mathgym eval --agent llm``).

Design note. The agent is a prompt, a sampler and a parser per family; the model is loaded once
per process (``load_policy``, cached on the agent and in a module table keyed by
``(model, device, dtype)``), so a benchmark run pays the load once.

- **reasoning** (``reasoning/mathqa-*``, env ``mathgym/MathQA-v0``): the question goes into the
  chat template with a system prompt asking for the final answer in ``\\boxed{}`` (and naming the
  declared answer form, which is public); ``few_shot`` prepends k solved problems of the same
  module and difficulty drawn from :data:`FEW_SHOT_SEED`, a training stream disjoint from the
  benchmarks' (an example whose question equals the instance's is skipped). pass@k: k =
  ``min(samples, budget)`` completions are drawn in one batch (or the k best beams), and each
  is submitted as one episode of the instance's env, whose reward is the verifier's score;
  the certificate is the first completion the env rewards (the verifier extracts its last
  ``\\boxed{}``). Cost: k samples, all of them, solved early or not.
- **AC** (``ac/*``, env ``mathgym/AC-v0``): the prompt shows the presentation in AC's text
  view (``envs/ac/text.py``) and the numbered moves, and asks for a whole path as move ids in
  one completion. The path is parsed with plain string code (the integers of the last
  ``[...]`` or ``\\boxed{...}``, else of the whole text; no eval) and played in the env;
  the certificate is the prefix up to the first trivial state. Cost: one search node per env
  step played, over all samples (the benchmark's ``min_cost`` is the path length).
- **Metamath** (``formal/metamath-*``) and **Lean** (``formal/lean-replay``): multi-turn
  episodes, one action per turn, the env's feedback (verdict, kernel or Lean error, new goals)
  appended as the next user message; actions parsed by a strict grammar; one turn = one unit of
  budget (``agents/llm/multiturn.py``, which documents the loop). ``turns`` caps an episode.
  ``ac_turns=True`` plays AC the same way, one move per turn (the certificate is the moves
  sent); off by default, AC takes the whole path in one completion.
- Backends: ``backend="transformers"`` (default: our KV-cache sampler) or ``"vllm"``
  (``agents/llm/common/vllm_backend.py``, imported only when selected; a clear error when vLLM
  or a GPU is missing). ``turns``, ``backend`` and ``ac_turns`` enter the config only when
  set, so the records of MathQA and AC runs are unchanged.
- Guided product sampling (``guide_model`` and/or ``guide_system_prompt``, ``guide_lambda``):
  each token is drawn from pi(o | prompt)^λ · pi'(o | prompt')^(1-λ), the product of two
  contexts of one model (prompt' = the same chat under ``guide_system_prompt``) or of two
  models sharing a vocabulary (``agents/llm/improve/guided.py``). No answer is ever in either
  context at evaluation. Off by default; its keys enter the config only when set.

Trained policies: ``adapter=PATH`` loads a LoRA adapter written by ``mathgym train --agent
llm-grpo`` (OUT/adapter) onto ``model`` and merges it; ``model=PATH`` takes a merged or fully
fine-tuned model directory. The config then records ``adapter_sha256`` (re-computed from the
file and checked against the one recorded at training) and ``training_samples`` (from the
adapter's or model's training record), so a results file names exactly which trained policy
it scored; passing those keys back (as a reproduction does) checks they still match. All three
keys are absent from the config of an untrained model, so its records are unchanged.

Several adapters, switched per request: ``adapters={"a": DIR1, "b": DIR2}`` puts every named
adapter on one base model (``improve/adapters.py``'s ``AdapterBank``: no merge, no copy of the
base) and ``route`` picks the adapter that answers each instance. ``route`` maps a key to an
adapter name, or to ``"base"`` (every adapter disabled: the untrained model); the keys tried,
most specific first, are the instance id, the MathQA module (``instance.data["module"]``), the
benchmark id, the family (``reasoning`` | ``ac`` | ``metamath`` | ``lean``) and ``"*"``. With one
adapter and no ``route`` it answers everything; with several, ``route`` is required, and a
request no key matches is an error naming the keys. The config records ``adapter_sha256s``
(each re-computed and checked like ``adapter_sha256``), and every record's info names the
adapter that answered it and its sha256 (``info["adapter"]``, ``info["adapter_sha256"]``).
An answer equals that of ``adapter=DIR`` alone up to the float rounding of merging (tested
token for token). The three keys are absent unless ``adapters`` is set.

Determinism: greedy and beam search have no randomness; sampled completions use per-row
generators seeded by ``sha256(config seed, harness seed, instance id, sample index)``, so an
attempt is a function of ``(instance, budget, seed, config)`` on a given device.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import nullcontext
from dataclasses import replace as _replace
from typing import Any, ClassVar

from mathgym.agents.llm.multiturn import LEAN_ENV, METAMATH_ENV, SYSTEM_PROMPTS, Policy

from mathgym.harness.agent import Agent, Attempt

#: The training stream few-shot examples come from (benchmarks use 20250 and sealed secrets).
FEW_SHOT_SEED = 91_001
MATHQA_ENV = "mathgym/MathQA-v0"
AC_ENV = "mathgym/AC-v0"
DEFAULT_SYSTEM_PROMPT = {
    MATHQA_ENV: (
        "You are a careful mathematician. Solve the problem briefly and put only the final "
        "answer inside \\boxed{}."
    ),
    AC_ENV: (
        "You simplify group presentations with Andrews-Curtis moves. Reply with the whole path "
        "as a list of move ids, e.g. [3, 0, 11], and nothing else."
    ),
    **SYSTEM_PROMPTS,
}
BACKENDS = ("transformers", "vllm")
#: ``route`` target meaning the base model with every adapter disabled.
BASE_ADAPTER = "base"
#: The family name ``route`` matches, per env.
ROUTE_FAMILIES = {MATHQA_ENV: "reasoning", AC_ENV: "ac", METAMATH_ENV: "metamath",
                  LEAN_ENV: "lean"}
_MODELS: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _cached_policy(model: str, device: str, dtype: str, adapter: str | None = None,
                   adapter_sha256: str | None = None) -> tuple[Any, Any]:
    key = (model, device, dtype, adapter, adapter_sha256)
    if key not in _MODELS:
        from mathgym.agents.llm.common.model import load_policy

        lm, tokenizer = load_policy(model, device=device, dtype=dtype)
        if adapter is not None:
            from mathgym.agents.llm.common.lora import load_adapter, merge_adapter

            lm = merge_adapter(load_adapter(lm, adapter))  # merged: sampling at base speed
            lm.train(False)
        _MODELS[key] = (lm, tokenizer)
    return _MODELS[key]


def _cached_bank(model: str, device: str, dtype: str, adapters: dict[str, str],
                 shas: dict[str, str]) -> tuple[Any, Any]:
    """``(AdapterBank, tokenizer)``: the named adapters on one freshly loaded base model."""
    key = ("bank", model, device, dtype, tuple(adapters.items()), tuple(sorted(shas.items())))
    if key not in _MODELS:
        from mathgym.agents.llm.common.model import load_policy
        from mathgym.agents.llm.improve.adapters import AdapterBank

        lm, tokenizer = load_policy(model, device=device, dtype=dtype)
        bank = AdapterBank.from_dirs(lm, adapters)
        if bank.sha256 != shas:
            raise ValueError(f"the adapters changed since this agent was configured: sha256 "
                             f"{bank.sha256} != {shas}")
        bank.model.train(False)
        _MODELS[key] = (bank, tokenizer)
    return _MODELS[key]


def _adapters_config(adapters: Any, route: Any, adapter_sha256s: Any, adapter: str | None,
                     backend: str) -> dict[str, Any]:
    """The ``adapters`` / ``adapter_sha256s`` / ``route`` keys of the config, present only when
    ``adapters`` is set (so records of other runs keep their config)."""
    if adapters is None:
        if route is not None or adapter_sha256s is not None:
            raise ValueError("route and adapter_sha256s need adapters={name: directory, ...}")
        return {}
    if adapter is not None:
        raise ValueError("give adapter=DIR (one adapter, merged) or adapters={name: DIR, ...} "
                         "(several, switched per request), not both")
    if backend != "transformers":
        raise ValueError("adapters= switches peft adapters per request; use "
                         "backend='transformers'")
    if not isinstance(adapters, dict) or not adapters:
        raise ValueError(f"adapters must be a non-empty {{name: adapter directory}} object, "
                         f"got {adapters!r}")
    for name, directory in adapters.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) \
                or name == BASE_ADAPTER:
            raise ValueError(f"adapter name {name!r}: use letters, digits, '_', '.', '-' "
                             f"(and not {BASE_ADAPTER!r}, which means the base model)")
        if not isinstance(directory, str) or not directory:
            raise ValueError(f"adapters[{name!r}] must be a LoRA adapter directory, got "
                             f"{directory!r}")
    from mathgym.agents.llm.common.lora import adapter_info

    shas = {name: adapter_info(directory)["adapter_sha256"]
            for name, directory in adapters.items()}
    if adapter_sha256s is not None and adapter_sha256s != shas:
        raise ValueError(f"adapter_sha256s={adapter_sha256s!r} was given but the adapters have "
                         f"{shas!r}: an adapter changed since")
    if route is None:
        if len(adapters) > 1:
            raise ValueError(f"{len(adapters)} adapters need a route: {{key: adapter name}} with "
                             "keys instance id, MathQA module, benchmark id, family "
                             "(reasoning, ac, metamath, lean) or '*'")
        route = {"*": next(iter(adapters))}
    if not isinstance(route, dict) or not route:
        raise ValueError(f"route must be a non-empty {{key: adapter name}} object, got "
                         f"{route!r}")
    for key, target in route.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"route key {key!r} must be non-empty text")
        if target != BASE_ADAPTER and target not in adapters:
            raise ValueError(f"route[{key!r}] = {target!r} is not an adapter; the adapters are "
                             f"{sorted(adapters)} (or {BASE_ADAPTER!r}: the base model)")
    return {"adapters": dict(adapters), "adapter_sha256s": shas, "route": dict(route)}


def trained_policy_record(model: str, adapter: str | None) -> dict[str, Any]:
    """``adapter`` / ``adapter_sha256`` / ``training_samples`` of a trained policy, ``{}`` for
    a model without a training record (``mathgym_adapter.json`` or ``mathgym_training.json``)."""
    import json
    from pathlib import Path

    if adapter is not None:
        from mathgym.agents.llm.common.lora import adapter_info

        info = adapter_info(adapter)
        return {"adapter": adapter, "adapter_sha256": info["adapter_sha256"],
                "training_samples": info.get("training_samples")}
    record = Path(model) / "mathgym_training.json"
    if model != "smollm2" and record.is_file():
        info = json.loads(record.read_text(encoding="utf-8"))
        return {"training_samples": info.get("training_samples")}
    return {}


def _row_seed(*parts: Any) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def parse_move_ids(text: str, num_moves: int) -> list[int]:
    """Move ids of a completion, by plain string code (never evaluated).

    The integers inside the last ``\\boxed{...}`` or, failing that, the last ``[...]``, else
    every integer of the text; ids outside ``0..num_moves-1`` end the path there (a model that
    wanders off the move list has stopped giving moves).
    """
    boxed = text.rfind("\\boxed{")
    if boxed >= 0 and text.find("}", boxed) >= 0:
        body = text[boxed + len("\\boxed{"): text.find("}", boxed)]
    else:
        close = text.rfind("]")
        open_ = text.rfind("[", 0, close) if close >= 0 else -1
        body = text[open_ + 1: close] if open_ >= 0 else text
    path: list[int] = []
    for token in re.findall(r"-?\d+", body):
        move = int(token)
        if not 0 <= move < num_moves:
            break
        path.append(move)
    return path


def answer_form(data: dict[str, Any]) -> str:
    """The declared answer form of a MathQA task view, e.g. "an integer", "a set such as {1, 2}".

    Reads ``mathqa_env``'s phrase table and fills ``{base}`` by plain replacement: its
    ``expected_form`` calls ``str.format`` on phrases that contain literal braces ("a set such as
    {1, 2}") and raises ``KeyError`` for set answers.
    """
    from mathgym.envs.reasoning.mathqa_env import _TYPE_NOUN

    phrase = _TYPE_NOUN.get(data["answer_type"], str(data["answer_type"]))
    return phrase.replace("{base}", str(dict(data.get("spec") or {}).get("base", "")))


def _guide_config(guide_model: str | None, guide_system_prompt: str | None,
                  guide_lambda: float, beams: int) -> dict[str, Any]:
    """The guided-sampling keys of the config, present only when guidance is on (so records
    of unguided runs keep their config)."""
    if isinstance(guide_lambda, bool) or not isinstance(guide_lambda, (int, float)) \
            or not 0 <= guide_lambda <= 1:
        raise ValueError(f"guide_lambda must be a number in [0, 1], got {guide_lambda!r}")
    for key, value in (("guide_model", guide_model),
                       ("guide_system_prompt", guide_system_prompt)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{key} must be non-empty text or null, got {value!r}")
    if guide_model is None and guide_system_prompt is None:
        if guide_lambda != 1:
            raise ValueError("guide_lambda < 1 needs a guide: set guide_model (a second model) "
                             "or guide_system_prompt (a second context of the same model)")
        return {}
    if beams > 1:
        raise ValueError("guided product sampling draws tokens, it is not beam search: set "
                         "beams=1 with guide_model or guide_system_prompt")
    out: dict[str, Any] = {"guide_lambda": float(guide_lambda)}
    if guide_model is not None:
        out["guide_model"] = guide_model
    if guide_system_prompt is not None:
        out["guide_system_prompt"] = guide_system_prompt
    return out


class LLMAgent(Agent):
    """A chat LM answering MathQA questions, proposing whole AC paths, and proving Metamath and
    Lean theorems turn by turn (see module doc)."""

    name: ClassVar[str] = "llm"
    version: ClassVar[str] = "2"  # 2: set answers no longer raise (answer_form)
    #: not in `mathgym demo`: an untrained 135M model solves ~0 of every quick benchmark and
    #: needs minutes per family on CPU; `mathgym eval --agent llm` runs it (docs/llm.md)
    demo: ClassVar[bool] = False

    def __init__(self, *, model: str = "smollm2", adapter: str | None = None,
                 adapter_sha256: str | None = None, training_samples: int | None = None,
                 device: str = "auto", dtype: str = "float32",
                 temperature: float = 0.0, top_p: float = 1.0, max_new_tokens: int = 128,
                 samples: int = 1, beams: int = 1, system_prompt: str | None = None,
                 few_shot: int = 0, seed: int = 0, guide_model: str | None = None,
                 guide_system_prompt: str | None = None, guide_lambda: float = 1.0,
                 turns: int | None = None, backend: str = "transformers",
                 ac_turns: bool = False, adapters: dict[str, str] | None = None,
                 route: dict[str, str] | None = None,
                 adapter_sha256s: dict[str, str] | None = None) -> None:
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be 'smollm2' or a model directory, got {model!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
                or not temperature >= 0:
            raise ValueError(f"temperature must be a number >= 0 (0 = greedy), got "
                             f"{temperature!r}")
        if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
            raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")
        for key, value, low in (("max_new_tokens", max_new_tokens, 1), ("samples", samples, 1),
                                ("beams", beams, 1), ("few_shot", few_shot, 0),
                                ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{key} must be an int >= {low}, got {value!r}")
        if few_shot > 8:
            raise ValueError(f"few_shot must be at most 8 examples, got {few_shot}")
        if samples > 1 and temperature == 0 and beams == 1:
            raise ValueError(
                f"samples={samples} with temperature=0 would submit the same greedy answer "
                f"{samples} times; set temperature > 0 (e.g. 0.7), or beams >= samples"
            )
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise ValueError(f"system_prompt must be text or null, got {system_prompt!r}")
        guide = _guide_config(guide_model, guide_system_prompt, guide_lambda, beams)
        extra = _extra_config(turns, backend, beams=beams, guided=bool(guide), adapter=adapter)
        if not isinstance(ac_turns, bool):
            raise ValueError(f"ac_turns must be true (one AC move per turn) or false (the whole "
                             f"path in one completion, the default), got {ac_turns!r}")
        if ac_turns:
            extra["ac_turns"] = True
        if adapter is not None and (not isinstance(adapter, str) or not adapter):
            raise ValueError(f"adapter must be a LoRA adapter directory, got {adapter!r}")
        bank = _adapters_config(adapters, route, adapter_sha256s, adapter, backend)
        trained = trained_policy_record(model, adapter)
        for key, given in (("adapter_sha256", adapter_sha256),
                           ("training_samples", training_samples)):
            if given is not None and given != trained.get(key):
                raise ValueError(f"{key}={given!r} was given but the policy has "
                                 f"{trained.get(key)!r}: the adapter or model changed since")
        super().__init__(model=model, **trained, device=device, dtype=dtype,
                         temperature=float(temperature),
                         top_p=float(top_p), max_new_tokens=max_new_tokens, samples=samples,
                         beams=beams, system_prompt=system_prompt, few_shot=few_shot, seed=seed,
                         **guide, **extra, **bank)
        self._vllm: Any = None
        self._policy: tuple[Any, Any] | None = None
        self._guide: tuple[Any, Any] | None = None

    # -- plumbing ---------------------------------------------------------------------------
    def supports(self, benchmark) -> bool:
        """MathQA, AC, Metamath and Lean; not ProgSynth (its actions are not text)."""
        return benchmark.env_id in (MATHQA_ENV, AC_ENV, METAMATH_ENV, LEAN_ENV)

    def policy(self) -> tuple[Any, Any]:
        """``(model, tokenizer)``, loaded on first use and kept for the process."""
        if self._policy is None:
            c = self._config
            if "adapters" in c:
                bank, tokenizer = self.bank()
                self._policy = (bank.model, tokenizer)
            else:
                self._policy = _cached_policy(c["model"], c["device"], c["dtype"],
                                              c.get("adapter"), c.get("adapter_sha256"))
        return self._policy

    def bank(self) -> tuple[Any, Any]:
        """``(AdapterBank, tokenizer)`` of the ``adapters`` option, loaded on first use."""
        c = self._config
        return _cached_bank(c["model"], c["device"], c["dtype"], c["adapters"],
                            c["adapter_sha256s"])

    def route_for(self, benchmark, instance) -> str:
        """The adapter (or ``"base"``) that answers ``instance``: the first ``route`` key among
        its id, MathQA module, benchmark id, family and ``"*"``."""
        route = self._config["route"]
        keys = [instance.id, dict(instance.data).get("module"), benchmark.id,
                ROUTE_FAMILIES.get(benchmark.env_id), "*"]
        for key in keys:
            if isinstance(key, str) and key in route:
                return route[key]
        raise ValueError(f"no route for instance {instance.id} of {benchmark.id}: route has "
                         f"{sorted(route)}, none of {[k for k in keys if k]}; add one of them "
                         "or '*'")

    def guide(self) -> tuple[Any, Any]:
        """``(model, tokenizer)`` of ``guide_model``, loaded on first use."""
        if self._guide is None:
            c = self._config
            self._guide = _cached_policy(c["guide_model"], c["device"], c["dtype"])
        return self._guide

    def _prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        from mathgym.agents.llm.common.model import chat_ids

        _, tokenizer = self.policy()
        return chat_ids(tokenizer, messages)

    def _complete(self, messages: list[dict[str, str]], k: int, seed_parts: tuple) -> list[str]:
        """``k`` completions (text) of the chat ``messages``: beams, greedy or seeded samples."""
        from mathgym.agents.llm.common.sampling import beam_search, sample

        model, tokenizer = self.policy()
        c = self._config
        prompt = self._prompt_ids(messages)
        eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
        if c.get("backend") == "vllm":
            seeds = [_row_seed(c["seed"], *seed_parts, j) for j in range(k)]
            texts, self._last_tokens, self._last_truncated = self._vllm_engine().generate(
                prompt, seeds, temperature=c["temperature"], top_p=c["top_p"],
                max_new_tokens=c["max_new_tokens"])
            return texts
        if c["beams"] > 1:
            out = beam_search(model, prompt, beams=c["beams"], max_new_tokens=c["max_new_tokens"],
                              eos_token_id=eos, pad_token_id=pad)
            k = min(k, len(out.lengths))
        elif "guide_lambda" in c:
            from mathgym.agents.llm.improve.guided import guided_sample

            guide_model = None
            if c.get("guide_model"):
                guide_model, guide_tok = self.guide()
                if guide_tok.get_vocab() != tokenizer.get_vocab():
                    raise ValueError("guide_model must share the policy's vocabulary (the "
                                     "product multiplies next-token distributions)")
            guide_messages = messages
            if c.get("guide_system_prompt") is not None:
                guide_messages = [{"role": "system", "content": c["guide_system_prompt"]}] + [
                    m for m in messages if m["role"] != "system"]
            seeds = [_row_seed(c["seed"], *seed_parts, j) for j in range(k)]
            out = guided_sample(model, [prompt] * k, [self._prompt_ids(guide_messages)] * k,
                                lam=c["guide_lambda"], max_new_tokens=c["max_new_tokens"],
                                eos_token_id=eos, pad_token_id=pad,
                                temperature=c["temperature"], top_p=c["top_p"],
                                seeds=seeds if c["temperature"] > 0 else None,
                                guide_model=guide_model)
        else:
            seeds = [_row_seed(c["seed"], *seed_parts, j) for j in range(k)]
            out = sample(model, [prompt] * k, max_new_tokens=c["max_new_tokens"],
                         eos_token_id=eos, pad_token_id=pad, temperature=c["temperature"],
                         top_p=c["top_p"], seeds=seeds if c["temperature"] > 0 else None)
        self._last_tokens = int(out.lengths[:k].sum())
        self._last_truncated = int(out.is_truncated[:k].sum())
        return [tokenizer.decode(out.tokens(j), skip_special_tokens=True) for j in range(k)]

    def _system(self, env_id: str) -> str:
        prompt = self._config["system_prompt"]
        return DEFAULT_SYSTEM_PROMPT[env_id] if prompt is None else prompt

    # -- families ---------------------------------------------------------------------------
    def attempt(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        if "adapters" not in self._config:
            return self._attempt(benchmark, instance, budget, seed)
        # several adapters: the routed one answers, and the record says which
        name = self.route_for(benchmark, instance)
        bank, _ = self.bank()
        self.policy()
        if name == BASE_ADAPTER:
            scope: Any = bank.base()
        else:
            if bank.active != name:
                bank.use(name)
            scope = nullcontext()
        with scope:
            result = self._attempt(benchmark, instance, budget, seed)
        return _replace(result, info={**dict(result.info), "adapter": name,
                                      "adapter_sha256": bank.sha256.get(name)})

    def _attempt(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        if not self.supports(benchmark):
            raise ValueError(f"llm does not support {benchmark.id} (env {benchmark.env_id})")
        k = min(self._config["samples"], int(budget))
        if k < 1:
            return Attempt(False, None, 0.0, {"reason": f"budget {budget} is below one sample"})
        if benchmark.env_id == MATHQA_ENV:
            return self._mathqa(benchmark, instance, k, seed)
        if benchmark.env_id in (METAMATH_ENV, LEAN_ENV) or self._config.get("ac_turns"):
            return self._multiturn(benchmark, instance, budget, k, seed)
        return self._ac(benchmark, instance, budget, seed)

    def multiturn_policy(self) -> Policy:
        """This agent's model as the multi-turn loop's :class:`Policy` (one completion a turn)."""
        return _AgentPolicy(self)

    def _multiturn(self, benchmark, instance, budget: float, k: int, seed: int) -> Attempt:
        from mathgym.agents.llm.multiturn import run_episodes

        solved, certificate, cost, info = run_episodes(
            self.multiturn_policy(), benchmark, instance, budget, seed,
            system_prompt=self._multiturn_system(benchmark.env_id), episodes=k,
            turns=self._config.get("turns"))
        return Attempt(solved, certificate, cost, info)

    def _multiturn_system(self, env_id: str) -> str:
        """The system prompt of a multi-turn episode (AC's asks for one move, not a path)."""
        if env_id == AC_ENV and self._config["system_prompt"] is None:
            return SYSTEM_PROMPTS["ac-turns"]
        return self._system(env_id)

    def _vllm_engine(self) -> Any:
        if self._vllm is None:
            from mathgym.agents.llm.common.model import resolve_model_path
            from mathgym.agents.llm.common.vllm_backend import VLLMEngine

            c = self._config
            self._vllm = VLLMEngine(str(resolve_model_path(c["model"])), dtype=c["dtype"])
        return self._vllm

    def mathqa_messages(self, data: dict[str, Any]) -> list[dict[str, str]]:
        """The chat of one MathQA question: system prompt, few-shot turns, the question."""
        from mathgym.envs.reasoning import generate

        messages = [{"role": "system", "content": self._system(MATHQA_ENV)}]
        index = 0
        while len(messages) < 1 + 2 * self._config["few_shot"] and index < 64:
            ex = generate(data["module"], data["difficulty"], FEW_SHOT_SEED, index)
            index += 1
            if ex.question == data["question"]:
                continue
            messages.append({"role": "user", "content": ex.question})
            messages.append({"role": "assistant", "content": f"\\boxed{{{ex.answer}}}"})
        messages.append({"role": "user", "content": (
            f"{data['question']}\nThe answer is {answer_form(data)}; put it in \\boxed{{}}."
        )})
        return messages

    def _mathqa(self, benchmark, instance, k: int, seed: int) -> Attempt:
        completions = self._complete(self.mathqa_messages(dict(instance.data)), k,
                                     (seed, instance.id))
        env = benchmark.make_env(instance)
        try:
            for j, text in enumerate(completions):
                env.reset()
                _, reward, _, _, _ = env.step(text)
                if reward >= 1.0:
                    return Attempt(True, text, float(len(completions)), self._info(j, k))
        finally:
            env.close()
        return Attempt(False, None, float(len(completions)),
                       {**self._info(None, k), "last": completions[-1][:200]})

    def _info(self, solved_by: int | None, k: int) -> dict[str, Any]:
        return {"samples": k, "solved_by": solved_by, "tokens": self._last_tokens,
                "truncated": self._last_truncated}

    def ac_messages(self, data: dict[str, Any]) -> list[dict[str, str]]:
        """The chat of one AC instance: the presentation, the numbered moves, the request."""
        from mathgym.envs.ac.presentation import Presentation
        from mathgym.envs.ac.text import move_names, render_state

        state = render_state(Presentation.parse(data["presentation"]))
        moves = "; ".join(f"{m}: {name}" for m, name in enumerate(move_names(2)))
        return [
            {"role": "system", "content": self._system(AC_ENV)},
            {"role": "user", "content": (
                f"Presentation: {state}. Relator length cap {data['max_relator_length']}.\n"
                f"Moves: {moves}.\nGive a list of move ids that makes both relators trivial "
                "(r0 = x, r1 = y up to order and inverses)."
            )},
        ]

    def _ac(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        from mathgym.envs.ac.moves import num_moves

        k = min(self._config["samples"], int(budget))
        completions = self._complete(self.ac_messages(dict(instance.data)), k, (seed, instance.id))
        n_moves = num_moves(2, False)
        spent = 0
        env = benchmark.make_env(instance)
        try:
            for j, text in enumerate(completions):
                path = parse_move_ids(text, n_moves)
                if not path:
                    continue
                env.reset()
                for pos, move in enumerate(path):
                    if spent >= budget:
                        return Attempt(False, None, float(spent), self._info(None, k))
                    _, _, terminated, truncated, info = env.step(move)
                    spent += 1
                    if info.get("solved"):
                        return Attempt(True, path[: pos + 1], float(spent), self._info(j, k))
                    if terminated or truncated:
                        break
        finally:
            env.close()
        return Attempt(False, None, float(spent), self._info(None, k))


class _AgentPolicy(Policy):
    """The agent's sampler behind the multi-turn loop's :class:`Policy` interface."""

    def __init__(self, agent: LLMAgent) -> None:
        self.agent = agent

    def complete(self, messages: list[dict[str, str]], seed_parts: tuple) -> tuple[str, int, int]:
        text = self.agent._complete(messages, 1, seed_parts)[0]
        return text, self.agent._last_tokens, self.agent._last_truncated

    def fits(self, messages: list[dict[str, str]]) -> bool:
        model, _ = self.agent.policy()
        limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
        if self.agent.config.get("backend") == "vllm" or limit is None:
            limit = 2048
        return len(self.agent._prompt_ids(messages)) + self.agent.config["max_new_tokens"] <= limit


def _extra_config(turns: int | None, backend: str, *, beams: int, guided: bool,
                  adapter: str | None) -> dict[str, Any]:
    """The ``turns`` and ``backend`` keys of the config, present only when not the default (so
    records of runs that do not set them keep their config)."""
    out: dict[str, Any] = {}
    if turns is not None:
        if isinstance(turns, bool) or not isinstance(turns, int) or turns < 1:
            raise ValueError(f"turns must be an int >= 1 (turns per multi-turn episode) or "
                             f"null (the budget split over the samples), got {turns!r}")
        out["turns"] = turns
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "vllm":
        from mathgym.agents.llm.common.vllm_backend import check_available

        for bad, why in ((beams > 1, "beams > 1 (beam search runs on the transformers backend)"),
                         (guided, "guided sampling (it needs two contexts per token)"),
                         (adapter is not None, "adapter= (merge it first: save_adapter(DIR, "
                                               "merge=True), then model=DIR)")):
            if bad:
                raise ValueError(f"backend='vllm' does not support {why}; use "
                                 "backend='transformers'")
        check_available()
        out["backend"] = backend
    return out


AGENTS: dict[str, type] = {LLMAgent.name: LLMAgent}
