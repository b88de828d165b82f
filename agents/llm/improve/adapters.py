"""LoRA adapters as units: several named adapters on one base model, switched, cloned, measured.

Why: the improvers of this package produce several policies worth keeping apart (a guided run,
a critique run, a search-distilled run; a frozen copy before an experiment). Full copies of the
model cost its whole size each. Named peft adapters on one base cost only their A and B
matrices, r * (d_in + d_out) parameters per adapted projection, and switching is a pointer
change (``set_adapter``), so one process can serve or compare them request by request.

- ``AdapterBank(base, ...)`` wraps ``base`` with a first adapter (peft ``get_peft_model``);
  ``add`` adds more (``add_adapter``, seeded init, B = 0 so a fresh adapter computes the base);
- ``use(name)`` makes one active (``set_adapter``); ``base()`` is a context with every adapter
  disabled (the reference policy, no second copy);
- ``clone(source, name)`` adds an adapter with ``source``'s config and a copy of its weights
  (``get_peft_model_state_dict`` / ``set_peft_model_state_dict``): the init of a new unit that
  starts where ``source`` is and then trains on its own;
- ``adapter_bytes(name)`` and ``base_bytes()`` measure what each costs in memory;
- ``AdapterBank.from_dirs(base, {"a": DIR, ...})`` and ``load(name, DIR)`` put saved adapters
  (the ``OUT/adapter`` folders ``mathgym train --agent llm-grpo`` writes) on one base, each
  checked against the sha256 recorded at training (``lora.adapter_info``) and kept in
  ``sha256[name]``. The ``llm`` eval agent's ``adapters`` option is this, switched per request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any


def _config(r: int, alpha: int, dropout: float, target_modules: Sequence[str]) -> Any:
    from peft import LoraConfig

    if not isinstance(r, int) or r < 1:
        raise ValueError(f"LoRA rank r must be an int >= 1, got {r!r}")
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                      target_modules=list(target_modules), bias="none", task_type="CAUSAL_LM")


class AdapterBank:
    """Named LoRA adapters over one base model (see the module doc)."""

    def __init__(self, base_model: Any, *, first: str = "default", r: int = 16, alpha: int = 32,
                 dropout: float = 0.0, target_modules: Sequence[str] = ("q_proj", "v_proj"),
                 seed: int = 0) -> None:
        import torch
        from peft import get_peft_model

        names = {n.rsplit(".", 1)[-1] for n, _ in base_model.named_modules()}
        missing = [t for t in target_modules if t not in names]
        if missing:
            raise ValueError(f"target_modules {missing} are not modules of this model")
        self.target_modules = tuple(target_modules)
        #: sha256 of each adapter loaded from a directory (fresh and cloned ones have none)
        self.sha256: dict[str, str] = {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = get_peft_model(base_model, _config(r, alpha, dropout, target_modules),
                                        adapter_name=first)

    @classmethod
    def from_dirs(cls, base_model: Any,
                  adapters: Mapping[str, str | os.PathLike[str]]) -> AdapterBank:
        """A bank of saved adapters on ``base_model`` (wrapped in place, no copy), in the order
        given; the first is active. Each directory's weights must match the sha256 recorded
        beside them (``FileNotFoundError`` / ``ValueError`` otherwise, naming the folder)."""
        from mathgym.agents.llm.common.lora import adapter_info
        from peft import PeftModel

        items = list(adapters.items())
        if not items:
            raise ValueError("AdapterBank.from_dirs needs at least one {name: directory}")
        first, directory = items[0]
        info = adapter_info(directory)
        bank = cls.__new__(cls)
        bank.model = PeftModel.from_pretrained(base_model, str(directory), adapter_name=first,
                                               is_trainable=False)
        bank.target_modules = tuple(sorted(bank.model.peft_config[first].target_modules))
        bank.sha256 = {first: info["adapter_sha256"]}
        for name, directory in items[1:]:
            bank.load(name, directory)
        return bank

    def load(self, name: str, directory: str | os.PathLike[str]) -> None:
        """Add the saved adapter in ``directory`` as ``name`` (sha256 checked); the active
        adapter does not change."""
        from mathgym.agents.llm.common.lora import adapter_info

        if name in self.model.peft_config:
            raise ValueError(f"adapter {name!r} exists; pick a new name or delete it first")
        info = adapter_info(directory)
        self.model.load_adapter(str(directory), adapter_name=name, is_trainable=False)
        self.sha256[name] = info["adapter_sha256"]

    def names(self) -> list[str]:
        """The adapters, in the order they were added."""
        return list(self.model.peft_config)

    @property
    def active(self) -> str:
        return self.model.active_adapter

    def _check(self, name: str) -> None:
        if name not in self.model.peft_config:
            raise KeyError(f"no adapter {name!r}; the bank has {self.names()}")

    def add(self, name: str, *, r: int = 16, alpha: int = 32, dropout: float = 0.0,
            target_modules: Sequence[str] | None = None, seed: int = 0) -> None:
        """A fresh adapter (A seeded, B = 0). Does not change the active adapter."""
        import torch

        if name in self.model.peft_config:
            raise ValueError(f"adapter {name!r} exists; pick a new name or delete it first")
        active = self.active
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model.add_adapter(name, _config(r, alpha, dropout,
                                                 target_modules or self.target_modules))
        self.model.set_adapter(active)

    def clone(self, source: str, name: str) -> None:
        """A new adapter ``name`` with ``source``'s config and weights (then independent)."""
        import copy

        from peft import get_peft_model_state_dict, set_peft_model_state_dict

        self._check(source)
        if name in self.model.peft_config:
            raise ValueError(f"adapter {name!r} exists; pick a new name or delete it first")
        active = self.active
        self.model.add_adapter(name, copy.deepcopy(self.model.peft_config[source]))
        state = get_peft_model_state_dict(self.model, adapter_name=source)
        state = {k: v.detach().clone() for k, v in state.items()}
        set_peft_model_state_dict(self.model, state, adapter_name=name)
        self.model.set_adapter(active)

    def use(self, name: str) -> None:
        """Make ``name`` the active (and trainable) adapter."""
        self._check(name)
        self.model.set_adapter(name)

    def delete(self, name: str) -> None:
        self._check(name)
        if len(self.names()) == 1:
            raise ValueError("cannot delete the bank's last adapter")
        if self.active == name:
            self.model.set_adapter(next(n for n in self.names() if n != name))
        self.model.delete_adapter(name)
        self.sha256.pop(name, None)

    @contextmanager
    def base(self) -> Iterator[Any]:
        """The base model's outputs: every adapter disabled inside the block."""
        with self.model.disable_adapter():
            yield self.model

    def adapter_parameters(self, name: str) -> list[Any]:
        """The tensors of adapter ``name`` (its lora_A and lora_B weights)."""
        self._check(name)
        return [p for n, p in self.model.named_parameters()
                if (".lora_A." in n or ".lora_B." in n) and n.endswith(f".{name}.weight")]

    def adapter_bytes(self, name: str) -> int:
        """Bytes of adapter ``name``'s parameters."""
        return sum(p.numel() * p.element_size() for p in self.adapter_parameters(name))

    def base_bytes(self) -> int:
        """Bytes of the base model's own parameters (what a full copy costs)."""
        return sum(p.numel() * p.element_size() for n, p in self.model.named_parameters()
                   if ".lora_" not in n)
