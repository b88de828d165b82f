"""Procedural math problems for verifiable-reward RL (``mathgym.envs.reasoning``)."""
