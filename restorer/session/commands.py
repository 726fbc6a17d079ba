"""The steps of a document's history: a result applied, a change to the mask."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from restorer.core.image import Image
from restorer.session.document import UNDO_LIMIT, Document


class ApplyStep:
    """Redo appends the result; undo removes it. Steps chain: the next task takes `current`."""

    def __init__(self, document: Document, result: Image, title: str) -> None:
        self.title = title
        self._document = document
        self._result = result

    def redo(self) -> None:
        steps = self._document.steps
        steps.append(self._result)
        # The history forgets commands beyond its limit; the images only they could bring
        # back are dropped too (the oldest kept one is the base of what remains undoable).
        del steps[: -(UNDO_LIMIT + 1)]

    def undo(self) -> None:
        self._document.steps.pop()


class MaskEdit:
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
        self.title = title
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
