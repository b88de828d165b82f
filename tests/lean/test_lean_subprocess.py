"""The subprocess transport against a real child process: timeouts, deaths, restarts.

No registry ships a Lean toolchain, so the child here is ``fake_lean_repl.py``: a small real
program that speaks the REPL's framing (blank-line-separated, pretty-printed JSON) and hangs,
dies or prints garbage on request. The Lean semantics themselves are tested on recorded
transcripts of the real REPL in the other test files.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest
from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.errors import (
    LeanNotAvailableError,
    LeanProcessDiedError,
    LeanTimeoutError,
)
from mathgym.envs.lean.transport import SubprocessTransport

import mathgym  # noqa: F401

FAKE = [sys.executable, str(Path(__file__).with_name("fake_lean_repl.py"))]
THEOREM = "theorem t : True := by sorry"


def make_env(timeout: float = 5.0):
    return gym.make("mathgym/Lean-v0", theorem=THEOREM, command=FAKE, timeout=timeout).unwrapped


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_subprocess_round_trip_and_reward():
    env = make_env()
    try:
        obs, info = env.reset()
        assert obs == "⊢ True" and info["proof_state"] == 0
        obs, reward, term, trunc, info = env.step("skip")
        assert (obs, reward, term, info["proof_state"]) == ("⊢ True", 0.0, False, 1)
        obs, reward, term, trunc, info = env.step("trivial")
        assert (obs, reward, term, trunc, info["proof"]) == (
            "no goals", 1.0, True, False, ["skip", "trivial"]
        )
        assert env.client.transport.starts == 1
    finally:
        env.close()


@pytest.mark.parametrize(
    "tactic, error, fragment",
    [
        ("hang", "LeanTimeoutError", "no complete response within 0.5 s"),
        ("die", "LeanProcessDiedError", "exited (code 3)"),
        ("garbage", "LeanProtocolError", "not JSON"),
    ],
)
def test_backend_failure_restarts_and_truncates(tactic, error, fragment):
    env = make_env(timeout=0.5)
    try:
        env.reset()
        first_pid = env.client.transport.pid
        obs, reward, term, trunc, info = env.step(tactic)
        assert (obs, reward, term, trunc) == ("⊢ True", 0.0, False, True)
        assert info["truncation_reason"].startswith(error) and fragment in info["truncation_reason"]
        if tactic == "die":
            assert "boom" in info["truncation_reason"]  # the child's stderr is quoted
        assert env.client.generation == 1 and info["generation"] == 1
        time.sleep(0.05)
        assert _gone(first_pid)
        assert env.client.transport.alive() and env.client.transport.pid != first_pid
        # the next episode elaborates the theorem again in the fresh process and can finish
        obs, info = env.reset()
        assert obs == "⊢ True" and info["proof_state"] == 0
        _, reward, term, _, _ = env.step("trivial")
        assert (reward, term) == (1.0, True)
    finally:
        env.close()


def test_a_backend_failure_during_reset_raises_after_restarting():
    env = make_env(timeout=0.5)
    try:
        with pytest.raises(LeanTimeoutError, match="no complete response within 0.5 s"):
            env.reset(options={"theorem": "theorem HANG : True := by sorry"})
        assert env.client.generation == 1
        obs, info = env.reset(options={"theorem": THEOREM})
        assert obs == "⊢ True" and info["generation"] == 1
    finally:
        env.close()


def test_a_process_killed_between_requests_is_detected_and_restarted():
    transport = SubprocessTransport(FAKE, timeout=5)
    client = LeanClient(transport)
    try:
        assert client.command(THEOREM).env == 0
        os.kill(transport.pid, signal.SIGKILL)
        time.sleep(0.1)
        with pytest.raises(LeanProcessDiedError, match="exited|closed its input"):
            client.tactic("trivial", 0)
        assert client.generation == 1 and transport.starts == 2
        assert client.command(THEOREM).env == 0  # a fresh REPL numbers from 0 again
    finally:
        client.close()
    assert transport.pid is None


def test_missing_program_is_a_clear_not_available_error(tmp_path):
    transport = SubprocessTransport([str(tmp_path / "no-such-repl")])
    with pytest.raises(LeanNotAvailableError, match="not found"):
        transport.request({"cmd": "def f := 1"})
    with pytest.raises(ValueError, match="non-empty list of strings"):
        SubprocessTransport("lake exe repl")  # type: ignore[arg-type]
