"""Expert iteration on AC (issue 14): search with the guidance nets, learn from what it solves.

* :mod:`.config` — the ``--config`` settings (``Args``);
* :mod:`.shorten` — BFS shortcuts inside a verified path;
* :mod:`.loop` — the rounds, their data, networks and harness-format results (crash safe);
* :mod:`.learner` — ``mathgym train --agent ac-expert-iteration`` (registers the learner).
"""
