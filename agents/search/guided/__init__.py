"""Learned guidance for AC search (issue 14): a policy/value MLP steering best-first search.

* :mod:`.features` — fixed one-hot encoding, computed in numba from packed node keys;
* :mod:`.dataset` — (state, next move, distance-to-go) from the verified corpus, by fold;
* :mod:`.net` — the MLP, its training loss, atomic checkpoints;
* :mod:`.train` — one network per fold (``python -m mathgym.agents.search.guided.train``);
* :mod:`.search` — the batched guided best-first loop (one forward per batch);
* :mod:`.agent` — the harness agent ``ac-guided`` (checkpoint directory as config).

Built so expert iteration can reuse it: extend the dataset with new verified paths, retrain
with :func:`.net.train`, point the agent at the new checkpoint directory.
"""
