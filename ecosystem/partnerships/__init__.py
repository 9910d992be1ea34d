"""Partnerships: the dual opt-in between two parties that any sharing hangs on."""
