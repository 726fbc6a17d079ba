"""Restoration tasks: a params dataclass and a synchronous run() each."""
