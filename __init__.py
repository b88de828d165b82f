"""Not the package: the root of a mathgym clone. ``import mathgym`` that lands here says why.

Python puts the current folder (or a script's folder) first on ``sys.path``. Run from the folder
that *contains* a clone named ``mathgym/``, ``import mathgym`` finds this folder before the
installed package. Without this file it loaded as an empty namespace package: no environment
was registered, and the first ``gym.make("mathgym/AC-v0")`` failed far away with Gymnasium's
"Namespace mathgym not found". With it, the import fails at once, naming the folder and the fix.

The real package is the ``mathgym/`` subfolder, with ``envs/``, ``agents/``, ``verifiers/`` and
``leaderboards/`` mapped into it by ``pyproject.toml``; setuptools never installs this file.

pytest is the one importer that must not fail here: it imports the ``__init__.py`` of the
folder it runs in (its rootdir "package") under that folder's name. Under any other name
(``main``, ``mathgym-main``) this module does nothing. Named ``mathgym`` under pytest, it becomes
the package itself: its search path is the real package's folder plus this one (where the
mapped folders live, exactly as ``pyproject.toml`` maps them), and the real ``__init__.py``
runs through its own loader, so tests of the clone import the clone's code. Either way it takes
back the folder pytest put first on ``sys.path`` to import it (the clone's parent).

This file makes ruff take the repo root for the package root; ``mathgym/.ruff.toml`` keeps the
import order of the files under ``mathgym/`` what it was without it.
"""

import os as _os
import sys as _sys

_ROOT = _os.path.dirname(_os.path.abspath(__file__))


def _become_the_package() -> None:
    """Run ``mathgym/__init__.py`` as this module, with the package's search path."""
    import importlib.util

    init = _os.path.join(_ROOT, "mathgym", "__init__.py")
    spec = importlib.util.spec_from_file_location(__name__, init)
    if spec is None or spec.loader is None:
        raise ImportError(f"{init} is missing: this clone of mathgym is incomplete")
    globals()["__path__"] = [_os.path.join(_ROOT, "mathgym"), _ROOT]
    spec.loader.exec_module(_sys.modules[__name__])


def _undo_pytest_path() -> None:
    """Take off ``sys.path`` the parent folder pytest put first to import this file, so tests
    do not see every folder beside the clone as importable (they never did before)."""
    parent = {_os.path.dirname(_ROOT), _os.path.dirname(_os.path.realpath(_ROOT))}
    # pytest inserts an absolute path; "" (an interactive session's cwd) is never removed
    if _sys.path and _os.path.isabs(_sys.path[0]) and _os.path.normpath(_sys.path[0]) in parent:
        del _sys.path[0]


if "_pytest" in _sys.modules:
    _undo_pytest_path()
if __name__ == "mathgym":
    if "_pytest" in _sys.modules:
        _become_the_package()
    else:
        raise ImportError(
            f"`import mathgym` found {_ROOT}, the root folder of a mathgym clone, not the "
            "mathgym package: Python looks in the current folder (or the script's folder) "
            "first, and this folder is named 'mathgym'. Fix: run Python from another folder, "
            f"e.g. `cd {_ROOT}` (the clone itself) or any folder that does not contain the "
            f"clone, with mathgym installed (`pip install -e {_ROOT}`, or `make setup` in the "
            "clone, which installs it into .venv/)."
        )
