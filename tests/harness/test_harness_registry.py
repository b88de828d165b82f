"""Registry: lookup by id and version, readable errors, plug-in modules, missing vs broken."""

from __future__ import annotations

import harness_toy_plugin
import pytest

from mathgym.harness import registry
from mathgym.harness.benchmark import Benchmark, Instance, Verdict, parse_benchmark_spec


@pytest.fixture(autouse=True)
def _toy(monkeypatch):
    harness_toy_plugin.activate(monkeypatch)


def test_get_benchmark_by_id_and_version():
    bench = registry.get_benchmark("toy/count")
    assert registry.get_benchmark("toy/count@1") is bench
    assert bench.full_id == "toy/count@1" and len(bench) == 12
    assert "toy/count" in registry.list_benchmarks()
    with pytest.raises(ValueError, match=r"unknown benchmark version 'toy/count@3'.*toy/count@1"):
        registry.get_benchmark("toy/count@3")
    with pytest.raises(ValueError, match="unknown benchmark 'toy/nope'; known benchmarks: .*toy"):
        registry.get_benchmark("toy/nope")
    with pytest.raises(ValueError, match="version after '@' must be an integer"):
        parse_benchmark_spec("toy/count@v1")


def test_content_hash_is_stable_and_sensitive():
    bench = registry.get_benchmark("toy/count")
    again = harness_toy_plugin.toy_count()
    assert again.content_hash == bench.content_hash
    changed = Benchmark(**{**{f: getattr(again, f) for f in (
        "id", "version", "description", "budget_unit", "default_budget", "env_id",
        "env_kwargs", "verify", "strata")},
        "instances": again.instances[:-1] + (Instance("t12", {"target": 13}, {"parity": 0}),)})
    assert changed.content_hash != bench.content_hash


def test_get_agent_config_errors_are_readable():
    agent = registry.get_agent("toy-walker", sleep=0.0)
    assert agent.config == {"sleep": 0.0, "forge": False, "crash": "", "hang": ""}
    with pytest.raises(ValueError, match=r"agent 'toy-walker' rejected config \{'bogus': 1\}"):
        registry.get_agent("toy-walker", bogus=1)
    with pytest.raises(ValueError, match="unknown agent 'nope'; known agents: .*random"):
        registry.get_agent("nope")


def test_missing_module_is_skipped_but_a_broken_one_raises(tmp_path, monkeypatch):
    (tmp_path / "harness_broken_plugin.py").write_text("import harness_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("MATHGYM_EXTRA_MODULES", "harness_toy_plugin,harness_absent_plugin")
    assert "toy/count" in registry.list_benchmarks()  # the absent module is skipped
    monkeypatch.setenv("MATHGYM_EXTRA_MODULES", "harness_broken_plugin")
    with pytest.raises(ModuleNotFoundError, match="harness_no_such_dependency"):
        registry.list_benchmarks()


def test_benchmark_validation_messages():
    inst = Instance("a", {"x": 1})
    ok = dict(id="toy/v", version=1, description="", instances=(inst,), budget_unit="env_steps",
              default_budget=1, env_id=None, verify=lambda i, c: Verdict(True))
    Benchmark(**ok)
    with pytest.raises(ValueError, match="must look like 'family/name'"):
        Benchmark(**{**ok, "id": "NoSlash"})
    with pytest.raises(ValueError, match="budget_unit 'steps' is not one of"):
        Benchmark(**{**ok, "budget_unit": "steps"})
    with pytest.raises(ValueError, match="duplicate instance id 'a'"):
        Benchmark(**{**ok, "instances": (inst, inst)})
    with pytest.raises(ValueError, match="instance 'a' lacks strata \\['n'\\]"):
        Benchmark(**{**ok, "strata": ("n",)})
    b = Benchmark(**{**ok, "verify": lambda i, c: 1 / 0})
    verdict = b.check(inst, [1])
    assert not verdict.ok and "ZeroDivisionError" in verdict.reason


def test_demo_discovers_quick_benchmarks_and_default_config_agents():
    from mathgym.demo import plan

    pairs = plan(["toy/count", "ac/ms1190"])
    toy_agents = {a for b, a in pairs if b == "toy/count"}
    assert {"random", "toy-walker"} <= toy_agents  # a new family joins by tagging "quick"
    assert "replay" not in toy_agents  # needs a config (its path)
    assert not [a for b, a in pairs if b == "ac/ms1190"]  # not tagged quick
