"""Envs of a sealed split, served from a harness process: agents reach only reset and step.

On a sealed split the env's problem comes from the secret seed, which agents must not hold, so
the env cannot live in the agent's process. :class:`EnvServer` (a ``multiprocessing`` manager
forked from the harness, listening on localhost with a random key) builds each env from the
real instance; an agent's ``make_env(view)`` returns a :class:`RemoteEnv`, a ``gymnasium.Env``
that forwards ``reset``, ``step``, ``action_masks`` and ``close`` and nothing else.

What the agent cannot do there: read the env's problem, answer or seed; reset to another
problem (``reset(options=...)`` is refused: the instance is fixed); override the env kwargs
that define the instance. The info dicts it gets lose the keys of :data:`HIDDEN_INFO_KEYS`.
"""

from __future__ import annotations

import multiprocessing as mp
import secrets
from multiprocessing.managers import BaseManager
from typing import Any

import gymnasium as gym

#: ``info`` keys never sent to an agent on a sealed split (they would identify the problem).
HIDDEN_INFO_KEYS: tuple[str, ...] = ("seed", "index", "answer", "problem_seed", "problem_index")

_SERVED: dict[str, Any] = {}  # in the server process: {"benchmark": the sealed Benchmark}


def _public_info(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dict(info).items() if k not in HIDDEN_INFO_KEYS}


class EnvHandle:
    """Server side of one env; only these methods are exposed to the agent's process."""

    def __init__(self, env: Any):
        self._env = env

    def spaces(self) -> tuple[Any, Any]:
        return self._env.action_space, self._env.observation_space

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        if options:
            raise ValueError("on a sealed split the env's problem is fixed: reset(options=...) "
                             "is not available")
        obs, info = self._env.reset(seed=seed)
        return obs, _public_info(info)

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self._env.step(action)
        return obs, float(reward), bool(terminated), bool(truncated), _public_info(info)

    def action_masks(self):
        return self._env.get_wrapper_attr("action_masks")()

    def close(self) -> None:
        self._env.close()


def _open_env(instance_id: str, overrides: dict[str, Any]) -> EnvHandle:
    bench = _SERVED["benchmark"]
    instance = bench.instance(instance_id)
    fixed = sorted(set(overrides) & set(bench.env_kwargs(instance)))
    if fixed:
        raise ValueError(f"make_env: {fixed} define the instance and cannot be overridden on a "
                         "sealed split")
    return EnvHandle(bench.make_env(instance, **overrides))


class EnvServer(BaseManager):
    """Manager serving :func:`_open_env` (returns proxies exposing :class:`EnvHandle` only)."""


EnvServer.register("open_env", callable=_open_env,
                   exposed=("spaces", "reset", "step", "action_masks", "close"))


def start_env_server(benchmark: Any) -> tuple[EnvServer, RemoteEnvFactory]:
    """Fork a server for ``benchmark``'s envs; returns it (``shutdown()`` it) and the factory."""
    _SERVED["benchmark"] = benchmark
    key = secrets.token_bytes(32)
    server = EnvServer(address=("127.0.0.1", 0), authkey=key, ctx=mp.get_context("fork"))
    server.start()
    _SERVED.clear()  # the parent keeps no extra reference; the server has its copy
    return server, RemoteEnvFactory(server.address, key)


class RemoteEnvFactory:
    """Picklable ``(instance_id, overrides) -> RemoteEnv`` for views in agent workers."""

    def __init__(self, address: tuple[str, int], key: bytes):
        self.address, self.key = tuple(address), bytes(key)

    def __call__(self, instance_id: str, overrides: dict[str, Any]) -> RemoteEnv:
        client = EnvServer(address=self.address, authkey=self.key)
        client.connect()
        return RemoteEnv(client.open_env(instance_id, overrides))


class RemoteEnv(gym.Env):
    """A ``gymnasium.Env`` whose every call runs in the env server."""

    def __init__(self, handle: Any):
        self._handle = handle
        self.action_space, self.observation_space = handle.spaces()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        return self._handle.reset(seed, options)

    def step(self, action: Any):
        return self._handle.step(action)

    def action_masks(self):
        return self._handle.action_masks()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
