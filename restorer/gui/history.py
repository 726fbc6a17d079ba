"""The session's undo history as Qt sees it: signals when it changes, and Undo/Redo actions
whose text names the step (QUndoStack's interface, over restorer.session.history)."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from restorer.gui.i18n import step_title, tr
from restorer.session.history import History


class _State(NamedTuple):
    position: int  # History.index (NamedTuple has index() and count() of its own)
    steps: int
    clean: bool
    can_undo: bool
    can_redo: bool
    undo_text: str
    redo_text: str


class QtHistory(QObject):
    indexChanged = Signal(int)
    cleanChanged = Signal(bool)
    canUndoChanged = Signal(bool)
    canRedoChanged = Signal(bool)
    undoTextChanged = Signal(str)
    redoTextChanged = Signal(str)

    def __init__(self, history: History, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._state = self._now()
        history.subscribe(self._changed)

    def _now(self) -> _State:
        h = self._history
        return _State(h.index, len(h), h.is_clean, h.can_undo, h.can_redo, h.undo_text, h.redo_text)

    def _changed(self) -> None:
        """Each signal QUndoStack would send, for what changed since the last call."""
        before, now = self._state, self._now()
        self._state = now
        if (now.position, now.steps) != (before.position, before.steps):
            self.indexChanged.emit(now.position)
        for name, signal in (
            ("clean", self.cleanChanged),
            ("can_undo", self.canUndoChanged),
            ("can_redo", self.canRedoChanged),
            ("undo_text", self.undoTextChanged),
            ("redo_text", self.redoTextChanged),
        ):
            if getattr(now, name) != getattr(before, name):
                signal.emit(getattr(now, name))

    def create_action(self, parent: QObject, redo: bool) -> QAction:
        """The Edit menu's Undo or Redo: "Undo Denoise", disabled when there is nothing."""
        word = tr("&Redo") if redo else tr("&Undo")
        action = QAction(word, parent)
        action.setEnabled(False)
        action.triggered.connect(self.redo if redo else self.undo)

        def follow(text: str) -> None:
            action.setText(f"{word} {step_title(text)}".strip() if text else word)

        (self.redoTextChanged if redo else self.undoTextChanged).connect(follow)
        (self.canRedoChanged if redo else self.canUndoChanged).connect(action.setEnabled)
        return action

    # QUndoStack's names, for the window and its tests.
    def undo(self) -> None:
        self._history.undo()

    def redo(self) -> None:
        self._history.redo()

    def count(self) -> int:
        return len(self._history)

    def index(self) -> int:
        return self._history.index

    def isClean(self) -> bool:
        return self._history.is_clean

    def setClean(self) -> None:
        self._history.set_clean()

    def undoText(self) -> str:
        return self._history.undo_text
