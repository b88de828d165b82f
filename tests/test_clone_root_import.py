"""Running Python from the folder that contains a clone named ``mathgym/`` fails clearly.

There ``import mathgym`` finds the clone root before the installed package. The root's
``__init__.py`` turns what used to be a silent empty namespace package (and, later, Gymnasium's
"Namespace mathgym not found") into an ImportError that names the folder and the fix.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(code: str, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)


def test_import_from_the_folder_above_a_clone_names_the_problem_and_the_fix(tmp_path):
    (tmp_path / "mathgym").symlink_to(ROOT, target_is_directory=True)
    for code in ("import mathgym", "import mathgym.envs",
                 "import gymnasium as gym, mathgym; gym.make('mathgym/AC-v0')"):
        proc = _run(code, tmp_path)
        assert proc.returncode == 1, code
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("ImportError: `import mathgym` found "), last
        assert f"{tmp_path / 'mathgym'}, the root folder of a mathgym clone" in last
        assert "cd " in last and "pip install -e" in last
        assert "Namespace" not in proc.stderr


def test_a_script_beside_the_clone_gets_the_same_message(tmp_path):
    (tmp_path / "mathgym").symlink_to(ROOT, target_is_directory=True)
    script = tmp_path / "train.py"
    script.write_text("import mathgym\n")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT.parent, capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert "the root folder of a mathgym clone" in proc.stderr


def test_elsewhere_import_mathgym_is_the_package(tmp_path):
    proc = _run("import mathgym, gymnasium as gym; print(mathgym.__file__); "
                "print('mathgym/AC-v0' in gym.registry)", tmp_path)
    assert proc.returncode == 0, proc.stderr
    path, registered = proc.stdout.split()
    assert pathlib.Path(path) == ROOT / "mathgym" / "__init__.py"
    assert registered == "True"


def test_the_clone_root_is_not_installed():
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "" not in cfg["package-dir"].values() and "." not in cfg["package-dir"].values()


def test_under_pytest_the_clone_root_acts_as_the_package(tmp_path):
    """pytest imports its rootdir's __init__.py by the folder's name; in a clone named mathgym
    that is ``mathgym``, and it must then behave as the package, not fail."""
    (tmp_path / "mathgym").symlink_to(ROOT, target_is_directory=True)
    code = ("import _pytest, gymnasium as gym, mathgym, mathgym.envs, mathgym.harness.registry; "
            "print(mathgym.__version__, mathgym.envs.__file__, 'mathgym/AC-v0' in gym.registry)")
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    version, envs_init, registered = proc.stdout.split()
    assert version == "0.1.0" and registered == "True"
    assert envs_init == str(tmp_path / "mathgym" / "envs" / "__init__.py")


def test_the_root_init_does_nothing_under_another_name(tmp_path):
    (tmp_path / "main").symlink_to(ROOT, target_is_directory=True)
    proc = _run("import main; print(sorted(k for k in vars(main) if not k.startswith('__')))",
                tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(["_ROOT", "_become_the_package", "_os", "_sys",
                                       "_undo_pytest_path"])


def test_the_root_init_takes_back_the_parent_pytest_prepends(tmp_path):
    """pytest prepends the clone's parent to sys.path to import the root's __init__.py (the
    clone root is a package to it); the file takes that entry back, so folders beside the clone
    do not become importable. Checked on the file itself in a fresh interpreter: within one
    pytest session the order of imports decides whether the file runs before pytest's
    insertion (the installed package may already be imported), so the suite cannot assert it."""
    code = (
        "import importlib.util, sys, types\n"
        "sys.modules['_pytest'] = types.ModuleType('_pytest')\n"
        f"parent = {str(ROOT.parent)!r}\n"
        "sys.path.insert(0, parent)\n"
        f"init = {str(ROOT / '__init__.py')!r}\n"
        "spec = importlib.util.spec_from_file_location('clone_root', init)\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(parent in sys.path)\n"
    )
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
