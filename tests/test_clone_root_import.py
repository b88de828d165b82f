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
