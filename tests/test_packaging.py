"""The four code folders install as one namespace, and nothing installs a bare top-level name."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_code_folder_is_a_listed_package():
    cfg = _config()
    listed = set(cfg["packages"])
    expected = set()
    for package, folder in cfg["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((package, *rel)) if rel else package)
    assert expected - listed == set(), "add these packages to pyproject.toml [tool.setuptools]"


def test_no_bare_top_level_packages(tmp_path):
    # Run outside the repo: there the only way to import a name is through the installation.
    probe = (
        "import importlib.util, json;"
        "print(json.dumps([n for n in ('envs', 'agents', 'verifiers', 'leaderboards')"
        " if importlib.util.find_spec(n) is not None]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [], "the installation exposes a bare top-level package"
    assert importlib.util.find_spec("mathgym.envs") is not None


def test_namespace_maps_to_top_level_folders():
    import mathgym.agents
    import mathgym.envs
    import mathgym.leaderboards
    import mathgym.verifiers

    for module, folder in [
        (mathgym.envs, "envs"),
        (mathgym.agents, "agents"),
        (mathgym.verifiers, "verifiers"),
        (mathgym.leaderboards, "leaderboards"),
    ]:
        assert pathlib.Path(module.__file__).parent == ROOT / folder


def test_rl_dependencies_keep_a_torch_range_and_setup_installs_the_cpu_wheel_first():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {d.split(">")[0].split("=")[0].split("<")[0].strip(): d for d in project["dependencies"]}
    for name in ("torch", "stable-baselines3", "sb3-contrib", "tensorboard"):
        assert name in deps, f"{name} is missing from [project] dependencies"
    # a range, so a GPU user's CUDA build of torch is kept; the pin lives in the Makefile
    assert deps["torch"].startswith("torch>=") and "==" not in deps["torch"]
    lines = (ROOT / "Makefile").read_text().splitlines()
    torch_line = next(i for i, line in enumerate(lines) if "install -q torch==2.13.0" in line)
    package_line = next(i for i, line in enumerate(lines) if "install -q -e '.[test]'" in line)
    assert torch_line < package_line, "make setup must install torch==2.13.0 before the package"
    check = next(line for line in lines if "import mathgym" in line and "$(PY) -c" in line)
    for module in ("torch", "stable_baselines3", "sb3_contrib", "tensorboard"):
        assert module in check, f"make setup's import check does not import {module}"
