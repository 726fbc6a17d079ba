"""The open image and its history: each applied task is an undoable step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from restorer.core.image import Image

# Each step holds a full float32 image; a 50-megapixel colour step is 600 MB.
UNDO_LIMIT = 8


@dataclass
class Document:
    path: Path
    original: Image
    steps: list[Image] = field(default_factory=list)
    save_path: Path | None = None
    window: tuple[float, float] | None = None  # CT display window (center, width)
    mask: np.ndarray | None = None  # uint8 (H, W) at the current image's size, 1 = fill
    stack: list[Image] = field(default_factory=list)  # a CT series or multi-frame file
    slice_index: int = 0

    def ensure_mask(self) -> np.ndarray:
        """The mask for the current image, new and empty when the size changed."""
        shape = self.current.pixels.shape[:2]
        if self.mask is None or self.mask.shape != shape:
            self.mask = np.zeros(shape, np.uint8)
        return self.mask

    @property
    def current(self) -> Image:
        return self.steps[-1] if self.steps else self.original

    @property
    def has_result(self) -> bool:
        return bool(self.steps)

    def __post_init__(self) -> None:
        if self.window is None and self.original.is_ct:
            self.window = self.original.meta.extra.get("window", (40.0, 400.0))


class ApplyStep(QUndoCommand):
    """Redo appends the result; undo removes it. Steps chain: the next task takes `current`."""

    def __init__(self, document: Document, result: Image, title: str) -> None:
        super().__init__(title)
        self._document = document
        self._result = result

    def redo(self) -> None:
        steps = self._document.steps
        steps.append(self._result)
        # The undo stack forgets commands beyond its limit; the images only they could bring
        # back are dropped too (the oldest kept one is the base of what remains undoable).
        del steps[: -(UNDO_LIMIT + 1)]

    def undo(self) -> None:
        self._document.steps.pop()


def new_history(parent: QObject) -> QUndoStack:
    stack = QUndoStack(parent)
    stack.setUndoLimit(UNDO_LIMIT)
    return stack


class MaskEdit(QUndoCommand):
    """A change to a rectangle of the mask (a brush stroke, clear, invert, detect, load)."""

    def __init__(
        self,
        document: Document,
        rows: slice,
        cols: slice,
        before: np.ndarray,
        after: np.ndarray,
        title: str,
        on_change: Callable[[], None],
    ) -> None:
        super().__init__(title)
        self._document = document
        self._rows, self._cols = rows, cols
        self._before, self._after = before, after
        self._on_change = on_change

    def _apply(self, values: np.ndarray) -> None:
        mask = self._document.mask
        if mask is not None and mask[self._rows, self._cols].shape == values.shape:
            mask[self._rows, self._cols] = values
            self._on_change()

    def redo(self) -> None:
        self._apply(self._after)

    def undo(self) -> None:
        self._apply(self._before)
