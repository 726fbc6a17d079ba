"""A Progress that keeps the messages a task or the engine reports, for tests to read."""

from __future__ import annotations

from restorer.core.progress import NullProgress


class Messages(NullProgress):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def message(self, text: str) -> None:
        self.texts.append(text)
