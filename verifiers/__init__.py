"""Verifiers: re-check certificates (AC paths, proofs, answers) from scratch.

A verifier never imports the fast kernels it checks: a kernel bug must not certify itself.
"""
