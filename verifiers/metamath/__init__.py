"""Metamath: our own parser and proof kernel for .mm databases (set.mm)."""
