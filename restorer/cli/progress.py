"""A terminal progress bar implementing restorer.core.progress.Progress."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """One line per file: a bar redrawn in place on a terminal, messages on their own lines."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.width = width
        self.interactive = self.stream.isatty()
        self.start = time.perf_counter()
        self._last_drawn = -1.0

    def set_progress(self, fraction: float) -> None:
        if not self.interactive or (fraction - self._last_drawn < 0.01 and fraction < 1):
            return
        self._last_drawn = fraction
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r[{bar}] {fraction:4.0%} {elapsed:5.1f}s {self.label}")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self.interactive and self._last_drawn >= 0:
            self.stream.write("\n")
        self.stream.write(f"  {self.label}: {text}\n")
        self.stream.flush()

    def check_aborted(self) -> None:
        pass  # Ctrl+C raises KeyboardInterrupt, handled by the batch loop

    def done(self, text: str) -> None:
        if self.interactive:
            self.stream.write("\r" + " " * (self.width + 20 + len(self.label)) + "\r")
        self.stream.write(f"{text}\n")
        self.stream.flush()
