"""Sealed splits (mathgym issue 10, class 2: every open benchmark is regenerable from public
seeds, so an agent can rebuild the instance list and match question text).

A sealed split draws its problems from ``HMAC-SHA256(secret, benchmark id)``; only the harness
reads the secret, agents run in spawned workers on views, results carry a commitment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import harness_snoop_plugin
import pytest
from mathgym.envs.reasoning.benchmarks import MATHQA_VERSION

from mathgym.harness.registry import get_benchmark
from mathgym.harness.remote_env import HIDDEN_INFO_KEYS, start_env_server
from mathgym.harness.results import read_results
from mathgym.harness.runner import EvalConfig, evaluate
from mathgym.harness.sealed import (
    MIN_SECRET_BYTES,
    SealedError,
    read_secret,
    sealed_benchmark,
    sealed_factories,
    sealed_seed,
    secret_commitment,
    secret_matches,
)

SECRET = bytes(range(32))
OTHER = bytes(range(1, 33))


@pytest.fixture(autouse=True)
def _plugins(monkeypatch):
    harness_snoop_plugin.activate(monkeypatch)


@pytest.fixture()
def secret_file(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


def _questions(bench):
    return [inst.data["question"] for inst in bench.instances]


def test_regression_a_sealed_split_cannot_be_regenerated_from_public_seeds():
    open_split = get_benchmark("reasoning/mathqa-l1")
    sealed = sealed_benchmark("reasoning/mathqa-l1-sealed", SECRET)
    other = sealed_benchmark("reasoning/mathqa-l1-sealed", OTHER)
    assert [i.id for i in sealed.instances] == [i.id for i in open_split.instances]
    same = sum(a == b for a, b in zip(_questions(sealed), _questions(open_split), strict=True))
    assert same < len(sealed) * 0.05  # a few tiny problems (e.g. 1-digit sums) may coincide
    assert _questions(sealed) != _questions(other)
    assert sealed.id == "reasoning/mathqa-l1-sealed" and sealed.content_hash not in (
        open_split.content_hash, other.content_hash)


def test_the_seed_is_hmac_sha256_of_the_benchmark_id():
    mac = hmac.new(SECRET, b"mathgym.sealed|reasoning/mathqa-l3-sealed", hashlib.sha256)
    assert sealed_seed(SECRET, "reasoning/mathqa-l3-sealed") == \
        int.from_bytes(mac.digest()[:8], "big") >> 1
    seeds = {sealed_seed(SECRET, bid) for bid in sealed_factories()}
    assert len(seeds) == len(sealed_factories()) == 8  # one per split, all different
    bench = sealed_benchmark("reasoning/mathqa-l3-sealed", SECRET)
    assert {inst.data["seed"] for inst in bench.instances} == {
        sealed_seed(SECRET, "reasoning/mathqa-l3-sealed")}


def test_sealed_content_hashes_are_the_same_in_every_process():
    probe = ("from mathgym.harness.sealed import sealed_benchmark as s;"
             "print(s('reasoning/progsynth-l1-sealed', bytes(range(32))).content_hash)")
    here = sealed_benchmark("reasoning/progsynth-l1-sealed", SECRET).content_hash
    for seed in ("0", "4242"):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300, check=True)
        assert out.stdout.strip() == here


def test_commitments_match_only_their_secret():
    commitment = secret_commitment(SECRET)
    assert commitment == hashlib.sha256(SECRET).hexdigest()
    assert secret_matches(SECRET, commitment) and not secret_matches(OTHER, commitment)
    assert not secret_matches(SECRET, "0" * 64)


def test_sealed_ids_versions_and_short_secrets_are_checked():
    with pytest.raises(ValueError, match="is a sealed split: .*--sealed-secret FILE"):
        get_benchmark("reasoning/mathqa-l2-sealed")
    with pytest.raises(SealedError, match="unknown sealed benchmark 'reasoning/mathqa-l9-sealed'"):
        sealed_benchmark("reasoning/mathqa-l9-sealed", SECRET)
    with pytest.raises(SealedError, match=f"provides reasoning/mathqa-l1-sealed@{MATHQA_VERSION}"):
        sealed_benchmark("reasoning/mathqa-l1-sealed@7", SECRET)
    with pytest.raises(SealedError, match=f"at least {MIN_SECRET_BYTES} bytes"):
        sealed_benchmark("reasoning/mathqa-l1-sealed", b"short")
    assert sealed_benchmark(f"reasoning/mathqa-l1-sealed@{MATHQA_VERSION}", SECRET).full_id \
        == f"reasoning/mathqa-l1-sealed@{MATHQA_VERSION}"


def test_secret_files_that_agents_could_read_are_refused(tmp_path, secret_file):
    assert read_secret(secret_file) == SECRET
    loose = tmp_path / "loose"
    loose.write_bytes(SECRET)
    loose.chmod(0o644)
    with pytest.raises(SealedError, match="lets other users read it; run `chmod 600"):
        read_secret(loose)
    short = tmp_path / "short"
    short.write_bytes(b"12345678")
    short.chmod(0o600)
    with pytest.raises(SealedError, match="8 bytes; a secret has 16-4096 bytes"):
        read_secret(short)
    with pytest.raises(SealedError, match="No such file"):
        read_secret(tmp_path / "missing")
    with pytest.raises(SealedError, match="not a regular file"):
        read_secret(tmp_path)
    inside = Path(__file__).with_name(".sealed-secret-test")
    try:
        inside.write_bytes(SECRET)
        inside.chmod(0o600)
        with pytest.raises(SealedError, match="must live outside the repository"):
            read_secret(inside)
    finally:
        inside.unlink()


def test_the_env_server_hides_the_problem_and_fixes_the_instance():
    bench = sealed_benchmark("reasoning/progsynth-l1-sealed", SECRET)
    server, factory = start_env_server(bench)
    try:
        inst = bench.instances[0]
        env = factory(inst.id, {})
        obs, info = env.reset(seed=1)
        assert info["text"] == inst.data["question"]
        assert not set(HIDDEN_INFO_KEYS) & set(info) and "seed" not in info
        assert not hasattr(env, "problem") and not hasattr(env, "unwrapped_problem")
        with pytest.raises(Exception, match="reset\\(options=...\\) is not available"):
            env.reset(options={"index": 3})
        with pytest.raises(Exception, match="cannot be overridden on a sealed split"):
            factory(inst.id, {"problem_seed": 0})
        env.close()
    finally:
        server.shutdown()


def _eval(tmp_path, name, secret_file, *args):
    return subprocess.run(
        [sys.executable, "-m", "mathgym.cli", "eval", "--no-progress", "--sealed-secret",
         str(secret_file), "--out", str(tmp_path / name), *args],
        capture_output=True, text=True, timeout=600)


def test_end_to_end_env_agent_on_a_sealed_split_and_verification_with_the_secret(
        tmp_path, secret_file):
    proc = _eval(tmp_path, "ps", secret_file, "--benchmark", "reasoning/progsynth-l1-sealed",
                 "--agent", "progsynth-search", "--limit", "2", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "without --worker-user" in proc.stderr
    doc = read_results(tmp_path / "ps")
    assert doc["benchmark"]["sealed"] == {"secret_sha256": hashlib.sha256(SECRET).hexdigest()}
    assert doc["env"]["kwargs"] == {} and doc["metrics"]["solved"] == 2
    seed = str(sealed_seed(SECRET, "reasoning/progsynth-l1-sealed"))
    for path in (tmp_path / "ps").iterdir():
        assert seed not in path.read_text(), path.name
    # what submit does with the secret: rebuild, compare the hash, re-verify every record
    bench = sealed_benchmark(doc["benchmark"]["id"], SECRET)
    assert secret_matches(SECRET, doc["benchmark"]["sealed"]["secret_sha256"])
    assert bench.content_hash == doc["benchmark"]["content_hash"]
    assert all(bench.check(bench.instance(r["instance"]), r["certificate"]).ok
               for r in doc["results"])
    wrong = sealed_benchmark(doc["benchmark"]["id"], OTHER)
    assert wrong.content_hash != doc["benchmark"]["content_hash"]


def test_end_to_end_a_snooping_agent_finds_neither_answers_nor_the_seed(tmp_path, secret_file):
    seed = sealed_seed(SECRET, "reasoning/mathqa-l1-sealed")
    proc = _eval(tmp_path, "snoop", secret_file, "--benchmark", "reasoning/mathqa-l1-sealed",
                 "--agent", "snoop", "--limit", "2", "--config",
                 f"seed_sha256={hashlib.sha256(str(seed).encode()).hexdigest()}")
    assert proc.returncode == 0, proc.stderr
    doc = read_results(tmp_path / "snoop")
    assert [r["info"]["leaks"] for r in doc["results"]] == [[], []]
    assert [r["error"] for r in doc["results"]] == [None, None]


def test_end_to_end_oracle_on_a_sealed_split_scores_all_and_is_marked(tmp_path, secret_file):
    proc = _eval(tmp_path, "oracle", secret_file, "--benchmark", "reasoning/mathqa-l2-sealed",
                 "--agent", "oracle-sympy", "--limit", "5")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "oracle" / "results.json").read_text())
    assert doc["agent"]["oracle"] is True and doc["metrics"]["solved"] == 5


def test_plugin_oracles_inline_and_bad_worker_users_are_refused(tmp_path, secret_file):
    proc = _eval(tmp_path, "sneaky", secret_file, "--benchmark", "reasoning/mathqa-l1-sealed",
                 "--agent", "sneaky-oracle", "--limit", "1")
    assert proc.returncode == 2 and "only mathgym's own oracle agents" in proc.stderr
    base = dict(benchmark="reasoning/mathqa-l1-sealed", agent="snoop", sealed_secret=secret_file,
                progress=False, limit=1)
    with pytest.raises(ValueError, match="use --backend multiprocessing"):
        evaluate(EvalConfig(out=tmp_path / "a", backend="inline", **base))
    with pytest.raises(ValueError, match="no such user"):
        evaluate(EvalConfig(out=tmp_path / "b", worker_user="no-such-user-here", **base))
    if os.geteuid() == 0:
        with pytest.raises(ValueError, match="must not be root"):
            evaluate(EvalConfig(out=tmp_path / "c", worker_user="root", **base))
    with pytest.raises(ValueError, match="--worker-user is for sealed splits"):
        evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=tmp_path / "d",
                            worker_user="nobody"))


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_worker_user_drops_privileges_before_agent_code_and_cannot_read_the_secret(secret_file):
    import pwd

    from mathgym.harness.runner import _worker_init, _worker_user

    nobody = pwd.getpwnam("nobody")
    assert _worker_user("nobody") == (nobody.pw_uid, nobody.pw_gid)
    pid = os.fork()
    if pid == 0:  # the child plays a pool worker: initializer first, then "agent code"
        code = 1
        try:
            _worker_init(None, (nobody.pw_uid, nobody.pw_gid))
            try:
                secret_file.read_bytes()
            except PermissionError:
                code = 0 if (os.getuid(), os.getgid(), os.getgroups()) == (
                    nobody.pw_uid, nobody.pw_gid, []) else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
