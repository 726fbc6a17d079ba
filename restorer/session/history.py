"""An undo history with the behaviour of Qt's QUndoStack, without Qt: commands in order, the
index of the next one, a clean mark (what was saved), a limit, and macros that undo as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Command(Protocol):
    title: str

    def redo(self) -> None: ...

    def undo(self) -> None: ...


class Macro:
    """Several commands undone and redone as one step."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.commands: list[Command] = []

    def redo(self) -> None:
        for command in self.commands:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


class History:
    def __init__(self, limit: int = 0) -> None:
        self.limit = limit  # 0: no limit
        self._commands: list[Command] = []
        self._index = 0
        self._clean: int | None = 0  # None: the saved state can no longer be reached
        self._macro: Macro | None = None
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """listener() after every change of the index, the commands or the clean mark."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def push(self, command: Command) -> None:
        """Do the command and make it the step that Undo takes back (inside a macro: part of
        that step). Steps that had been undone are forgotten."""
        command.redo()
        if self._macro is not None:
            self._macro.commands.append(command)
            return
        self._append(command)

    def _append(self, command: Command) -> None:
        del self._commands[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        self._commands.append(command)
        self._index += 1
        if self.limit and len(self._commands) > self.limit:
            dropped = len(self._commands) - self.limit
            del self._commands[:dropped]
            self._index -= dropped
            if self._clean is not None:
                self._clean = self._clean - dropped if self._clean >= dropped else None
        self._changed()

    def begin_macro(self, title: str) -> None:
        self._macro = Macro(title)

    def end_macro(self) -> None:
        macro, self._macro = self._macro, None
        if macro is not None and macro.commands:
            self._append(macro)

    def undo(self) -> None:
        if self.can_undo:
            self._index -= 1
            self._commands[self._index].undo()
            self._changed()

    def redo(self) -> None:
        if self.can_redo:
            self._commands[self._index].redo()
            self._index += 1
            self._changed()

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self._changed()

    def set_clean(self) -> None:
        self._clean = self._index
        self._changed()

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].title if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].title if self.can_redo else ""

    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def title(self, index: int) -> str:
        return self._commands[index].title
