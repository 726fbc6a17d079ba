"""Progress reporting and cancellation, shared by the engine, the CLI and the GUI worker."""

from __future__ import annotations

from typing import Protocol


class Cancelled(Exception):
    """Raised by check_aborted() when the user asked to stop."""


class Note(str):
    """A message for the user (Progress.message) that a front end can translate: the English
    text, plus the template and values it was made from. The command line prints it as it
    is; the window shows the template's translation filled with the values."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Note:
        note = super().__new__(cls, template.format(**values))
        note.template = template
        note.values = values
        return note


class Progress(Protocol):
    def set_progress(self, fraction: float) -> None:
        """Report overall completion in [0, 1]."""

    def message(self, text: str) -> None:
        """Report something the user should read (device fallback, estimated strength...)."""

    def check_aborted(self) -> None:
        """Raise Cancelled if the job should stop. Called between tiles."""


class NullProgress:
    """Reports nowhere and never cancels."""

    def set_progress(self, fraction: float) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def check_aborted(self) -> None:
        pass


class SubProgress:
    """Maps [0, 1] of a sub-step onto [start, end] of its parent."""

    def __init__(self, parent: Progress, start: float, end: float) -> None:
        self._parent = parent
        self._start = start
        self._span = end - start

    def set_progress(self, fraction: float) -> None:
        self._parent.set_progress(self._start + self._span * min(max(fraction, 0.0), 1.0))

    def message(self, text: str) -> None:
        self._parent.message(text)

    def check_aborted(self) -> None:
        self._parent.check_aborted()


def sub_progress(parent: Progress, start: float, end: float) -> Progress:
    return SubProgress(parent, start, end)
