"""Conferências automáticas dos exercícios (uma por exercício, com check/hint/solution)."""
