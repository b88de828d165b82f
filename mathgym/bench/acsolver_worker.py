"""Standalone script run by *AC-Solver's* interpreter (a throwaway venv with ``ac-solver``).

It never imports mathgym (that venv does not have it) and is started as
``PYTHON acsolver_worker.py MODE`` with a JSON request on stdin; it prints one JSON answer.

* ``moves``: ``{"cases": [[state, move, cyclical], ...]}`` -> ``{"results": [state, ...]}``,
  each ``state`` a flat AC-Solver array (2 relators), after ``ACMove``.
* ``bench``: ``{"state": [...], "steps": N, "repeats": R, "horizon": H, "seed": S}`` ->
  ``{"steps_per_s": [...], "versions": {...}}``: AC-Solver's ``ACEnv`` stepped with uniformly
  random actions, reset on done/truncated.

* ``ppo``: ``{"num_envs": N, "num_steps": S, "updates": U, "threads": T, "seed": S0}`` ->
  ``{"steps_per_s": x, "seconds": y, "steps": N*S*U, "setup_seconds": z, "versions": ...}``:
  AC-Solver's own PPO training (``ac_solver.agents.ppo.train_ppo``: its network, its
  SyncVectorEnv of ``ACEnv``, its update: 4 minibatches, 1 epoch) for ``U`` updates of
  ``N * S`` env steps each. Only its training loop (``ppo_training_loop``: rollouts, GAE,
  updates) is timed; building its envs and network is ``setup_seconds``. A stub ``wandb``
  module stands in (imported at module level, unused with logging off); the run's ``out/``
  checkpoint folder goes to a temporary directory.

``ac_solver/__init__.py`` imports torch (for PPO); the env and moves do not need it, so the
package object is created empty and only the submodules are imported (not for ``ppo``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import types


def _import_acsolver():
    spec = importlib.util.find_spec("ac_solver")
    if spec is None:
        raise SystemExit("ac_solver is not installed in this interpreter")
    pkg = types.ModuleType("ac_solver")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("ac_solver", pkg)
    from ac_solver.envs import ac_env, ac_moves

    return ac_env, ac_moves


def _moves(request: dict) -> dict:
    import numpy as np

    _, ac_moves = _import_acsolver()
    results = []
    for state, move, cyclical in request["cases"]:
        arr = np.array(state, dtype=np.int8)
        cap = len(arr) // 2
        lengths = [int(np.count_nonzero(arr[:cap])), int(np.count_nonzero(arr[cap:]))]
        out, _ = ac_moves.ACMove(int(move), arr, cap, lengths, cyclical=bool(cyclical))
        results.append([int(v) for v in out])
    return {"results": results}


def _bench(request: dict) -> dict:
    import gymnasium
    import numpy as np

    ac_env, _ = _import_acsolver()
    state = np.array(request["state"], dtype=np.int8)
    config = ac_env.ACEnvConfig(initial_state=state, horizon_length=int(request["horizon"]))
    env = ac_env.ACEnv(config)
    rng = np.random.default_rng(int(request["seed"]))
    rates = []
    for _ in range(int(request["repeats"])):
        actions = rng.integers(0, 12, int(request["steps"])).tolist()
        env.reset()
        t0 = time.perf_counter()
        for a in actions:
            _, _, done, truncated, _ = env.step(a)
            if done or truncated:
                env.reset()
        rates.append(len(actions) / (time.perf_counter() - t0))
    return {
        "steps_per_s": rates,
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "gymnasium": gymnasium.__version__,
        },
    }


def _ppo(request: dict) -> dict:
    import os
    import tempfile

    sys.modules.setdefault("wandb", types.ModuleType("wandb"))
    import torch

    torch.set_num_threads(int(request.get("threads", 1)))
    from ac_solver.agents import ppo

    n_envs, n_steps = int(request["num_envs"]), int(request["num_steps"])
    if int(request["updates"]) < 2:  # its linear lr schedule divides by (updates - 1)
        raise SystemExit("ppo: updates must be >= 2 (AC-Solver's lr annealing divides by "
                         "updates - 1)")
    steps = n_envs * n_steps * int(request["updates"])
    sys.argv = ["ppo.py", "--total-timesteps", str(steps), "--num-envs", str(n_envs),
                "--num-steps", str(n_steps), "--seed", str(int(request.get("seed", 1))),
                "--cuda", "False", "--max-relator-length", "36"]
    loop, spent = ppo.ppo_training_loop, {}

    def timed_loop(*args, **kwargs):  # train_ppo looks the name up in its module
        t0 = time.perf_counter()
        try:
            return loop(*args, **kwargs)
        finally:
            spent["loop"] = time.perf_counter() - t0

    ppo.ppo_training_loop = timed_loop
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        devnull = open(os.devnull, "w")  # noqa: SIM115  (its tqdm bars and prints)
        real_stdout, real_stderr = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = devnull
        try:
            t0 = time.perf_counter()
            ppo.train_ppo()
            total = time.perf_counter() - t0
        finally:
            sys.stdout, sys.stderr = real_stdout, real_stderr
            devnull.close()
            os.chdir(cwd)
    seconds = spent["loop"]
    import gymnasium
    import numpy as np

    return {"steps_per_s": steps / seconds, "seconds": seconds, "steps": steps,
            "setup_seconds": total - seconds, "num_envs": n_envs, "num_steps": n_steps,
            "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                         "numpy": np.__version__, "gymnasium": gymnasium.__version__,
                         "torch_threads": torch.get_num_threads()}}


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    request = json.loads(sys.stdin.read() or "{}")
    if mode == "moves":
        answer = _moves(request)
    elif mode == "bench":
        answer = _bench(request)
    elif mode == "ppo":
        answer = _ppo(request)
    else:
        print(f"usage: {sys.argv[0]} moves|bench|ppo < request.json", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
