"""Kill -9 safe training checkpoints: everything a run needs to continue bit for bit.

A checkpoint is taken at a rollout boundary (SB3's ``on_rollout_start``: the previous update
is done, the next rollout has not stepped), where the whole future of the run is a function
of: the network weights and the optimiser state; ``num_timesteps`` and the algorithm's other
counters (``_n_updates``, ``_n_calls``, ``_episode_num``, ``exploration_rate``); the last
observation and episode starts SB3 steps from; the RNG states of Python's ``random``, numpy's
global RNG (SB3 shuffles minibatches with it), torch's CPU generator (action sampling) and the
action space's generator (DQN's exploration); the vector env's arrays and its selection
schedule (:meth:`TrainingACVectorEnv.state`); an off-policy learner's replay buffer; and the
run's solve log. All of it goes into one ``torch.save`` file, written to a temporary file in
the same folder, fsynced and renamed over ``checkpoint.pt``: a kill at any moment leaves either
the previous checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

#: Algorithm attributes (when present) that a checkpoint keeps.
COUNTERS = ("num_timesteps", "_n_updates", "_n_calls", "_episode_num", "exploration_rate",
            "_last_obs", "_last_episode_starts", "_last_original_obs")


def rng_states(model: Any) -> dict[str, Any]:
    """The RNG states a run's future depends on (Python, numpy global, torch, action space)."""
    space_rng = getattr(model.action_space, "_np_random", None)
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "action_space": None if space_rng is None else space_rng.bit_generator.state,
    }


def set_rng_states(model: Any, states: dict[str, Any]) -> None:
    """Restore :func:`rng_states`."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if states["action_space"] is not None:
        model.action_space.np_random.bit_generator.state = states["action_space"]


def model_state(model: Any) -> dict[str, Any]:
    """Weights, optimiser, counters and (off-policy) replay buffer of an SB3 model."""
    state: dict[str, Any] = {
        "policy": model.policy.state_dict(),
        "optimizer": model.policy.optimizer.state_dict(),
        "counters": {k: getattr(model, k) for k in COUNTERS if hasattr(model, k)},
    }
    if getattr(model, "replay_buffer", None) is not None:
        state["replay_buffer"] = model.replay_buffer
    return state


def set_model_state(model: Any, state: dict[str, Any]) -> None:
    """Restore :func:`model_state` into a model built with the same config."""
    model.policy.load_state_dict(state["policy"])
    model.policy.optimizer.load_state_dict(state["optimizer"])
    for key, value in state["counters"].items():
        setattr(model, key, value)
    if "replay_buffer" in state:
        model.replay_buffer = state["replay_buffer"]


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temp file, fsync, rename, fsync the folder)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (our own file: full unpickling)."""
    return torch.load(path, map_location="cpu", weights_only=False)
