"""Backends agree: Ray (a real local cluster, 2 CPUs) gives the same records as multiprocessing."""

from __future__ import annotations

import harness_toy_plugin
import pytest

from mathgym.harness.runner import EvalConfig, evaluate

pytest.importorskip("ray")


@pytest.fixture(autouse=True)
def _toy(monkeypatch):
    harness_toy_plugin.activate(monkeypatch)


def test_ray_matches_multiprocessing_and_inline(tmp_path):
    common = dict(benchmark="toy/count", agent="random", budget=12, seeds=[0, 1], progress=False)
    mp_doc = evaluate(EvalConfig(out=tmp_path / "mp", workers=2, **common))
    ray_doc = evaluate(EvalConfig(out=tmp_path / "ray", workers=2, backend="ray", **common))
    inline = evaluate(EvalConfig(out=tmp_path / "inline", backend="inline", **common))
    strip = harness_toy_plugin.strip_timing
    assert strip(ray_doc["results"]) == strip(mp_doc["results"]) == strip(inline["results"])
    assert ray_doc["metrics"] == mp_doc["metrics"]
    assert ray_doc["run"]["backend"] == "ray"
    # the random agent's certificates are real solutions of the toy instances
    for rec in ray_doc["results"]:
        if rec["solved"]:
            target = int(rec["instance"][1:])
            assert sum(1 + a for a in rec["certificate"]) == target
    assert 0 < mp_doc["metrics"]["solved"] < 24
