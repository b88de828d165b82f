"""Supermoves for AC search (issue 14): frequent move n-grams of verified paths as actions.

* :mod:`.corpus` — the pinned, re-verified path corpus and the k-fold split by presentation;
* :mod:`.mining` — n-gram orbits under the 16 relabelings, ranked; per-fold supermove sets;
* :mod:`.search` — the compiled best-first search with supermoves as extra actions;
* :mod:`.agent` — the harness agent ``ac-supermoves``.
"""
