"""Metamath-v0: GPT-f style backward proving on set.mm over our own kernel."""
