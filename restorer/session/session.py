"""The session: the open document, its history and its mask, and the commands a front end
sends them. Reading and writing files is not done here: the window does it on its worker
thread and hands over what was read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from restorer.core.image import Image
from restorer.session.commands import ApplyStep, MaskEdit
from restorer.session.document import UNDO_LIMIT, Document
from restorer.session.history import History


class Session:
    def __init__(self) -> None:
        self.document: Document | None = None
        self.history = History(limit=UNDO_LIMIT)
        self._mask_listeners: list[Callable[[], None]] = []

    def on_mask_change(self, listener: Callable[[], None]) -> None:
        """listener() whenever mask pixels change (painted, cleared, undone...)."""
        self._mask_listeners.append(listener)

    def _mask_changed(self) -> None:
        for listener in self._mask_listeners:
            listener()

    def _doc(self) -> Document:
        if self.document is None:
            raise RuntimeError("no document is open")
        return self.document

    # --- documents -------------------------------------------------------------------------
    def load(self, path: Path, stack: list[Image]) -> Document:
        """A newly read file (or series) becomes the document; its history starts empty."""
        self.document = Document(path=path, original=stack[0], stack=stack)
        self.history.clear()
        return self.document

    def select_slice(self, index: int) -> bool:
        """Show another slice of the series; its history starts afresh. False when there is
        no such slice or it is the one shown."""
        doc = self.document
        if doc is None or index == doc.slice_index or not 0 <= index < len(doc.stack):
            return False
        doc.slice_index = index
        doc.original = doc.stack[index]
        doc.steps.clear()
        doc.save_path = None
        doc.mask = None
        self.history.clear()
        return True

    def set_window(self, center: float, width: float) -> bool:
        """The CT display window (a width of at least 1 HU); False for a photo."""
        doc = self.document
        if doc is None or not doc.original.is_ct:
            return False
        doc.window = (center, max(1.0, width))
        return True

    @property
    def needs_saving(self) -> bool:
        """A result that has not been saved (a painted mask alone is a means, not work)."""
        doc = self.document
        return doc is not None and doc.has_result and not self.history.is_clean

    def mark_saved(self, path: Path) -> None:
        self._doc().save_path = path
        self.history.set_clean()

    @property
    def last_task_name(self) -> str:
        """The title of the step that made the current result ("restoration" before any)."""
        index = self.history.index
        return self.history.title(index - 1) if index > 0 else "restoration"

    # --- results ---------------------------------------------------------------------------
    def apply(self, result: Image, title: str, fills_mask: bool = False) -> None:
        """A task's result as the next step. fills_mask: the task filled the painted mask,
        which is cleared in the same step (undone together)."""
        doc = self._doc()
        mask = doc.mask
        if fills_mask and mask is not None and mask.any():
            self.history.begin_macro(title)
            self.replace_mask(np.zeros_like(mask), "Clear mask")
            self.history.push(ApplyStep(doc, result, title))
            self.history.end_macro()
        else:
            self.history.push(ApplyStep(doc, result, title))

    def add_saved_result(self, result: Image, title: str) -> None:
        """A result already written to disk (a queued file's): shown as "after", not
        asked about when closing."""
        self.history.push(ApplyStep(self._doc(), result, title))
        self.history.set_clean()

    # --- mask ------------------------------------------------------------------------------
    def mask(self) -> np.ndarray:
        """The mask of the current image (new and empty when the size changed)."""
        return self._doc().ensure_mask()

    def edit_mask(
        self, rows: slice, cols: slice, before: np.ndarray, after: np.ndarray, title: str
    ) -> None:
        """A change to a rectangle of the mask already made on screen (a brush stroke)."""
        self.history.push(
            MaskEdit(self._doc(), rows, cols, before, after, title, self._mask_changed)
        )

    def replace_mask(self, new: np.ndarray, title: str) -> None:
        mask = self.mask()
        everything = (slice(0, mask.shape[0]), slice(0, mask.shape[1]))
        self.history.push(
            MaskEdit(
                self._doc(),
                *everything,
                mask.copy(),
                new.astype(np.uint8),
                title,
                self._mask_changed,
            )
        )

    def clear_mask(self) -> None:
        self.replace_mask(np.zeros_like(self.mask()), "Clear mask")

    def invert_mask(self) -> None:
        self.replace_mask(1 - self.mask(), "Invert mask")

    def add_to_mask(self, found: np.ndarray, title: str) -> None:
        """Detected areas join the mask as one step."""
        self.replace_mask(np.maximum(self.mask(), found), title)

    def use_mask_image(self, pixels: np.ndarray, title: str = "Load mask") -> str | None:
        """A mask read from an image (any channel above half = fill); why not, or None."""
        values = pixels if pixels.ndim == 2 else pixels.max(axis=2)
        mask = self.mask()
        if values.shape != mask.shape:
            return (
                f"The mask is {values.shape[1]}×{values.shape[0]}; the image is "
                f"{mask.shape[1]}×{mask.shape[0]}."
            )
        self.replace_mask(values > 0.5, title)
        return None
