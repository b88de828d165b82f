"""Agents: classical search, stable-baselines3 learners and language-model policies."""
