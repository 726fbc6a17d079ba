"""The main window's CT commands: the slices of a series, the display window, and the
metal preview."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot

from restorer.core.image import Image
from restorer.gui.window_base import WindowBase
from restorer.gui.worker import CallWorker


class CTCommands(WindowBase):
    def _show_ct_panel(self) -> None:
        doc = self.document
        is_ct = doc is not None and doc.original.is_ct
        self.ct_dock.setVisible(is_ct)
        if not is_ct or doc is None:
            return
        self.ct_panel.set_stack(len(doc.stack), doc.slice_index)
        center, width = doc.original.meta.extra.get("window", (40.0, 400.0))
        self.ct_panel.set_window(center, width, from_file=True)
        if doc.window is not None:
            self.ct_panel.set_window(*doc.window)
        self.ct_panel.set_dataset(doc.original.meta.dicom_dataset)

    def _step_slice(self, step: int) -> None:
        doc = self.document
        if doc is not None and len(doc.stack) > 1:
            self.change_slice(min(max(doc.slice_index + step, 0), len(doc.stack) - 1))

    def change_slice(self, index: int) -> None:
        """Show another slice of the series; its history starts afresh."""
        doc = self.document
        if doc is None or index == doc.slice_index or not 0 <= index < len(doc.stack):
            return
        if self.runner.busy or not self._confirm_discard():
            self.ct_panel.set_stack(len(doc.stack), doc.slice_index)
            return
        self.session.select_slice(index)
        self.panel.clear_outcome()
        self.ct_panel.set_stack(len(doc.stack), index)
        self.ct_panel.set_dataset(doc.original.meta.dicom_dataset)
        self._refresh_view(keep_view=True)

    def set_window(self, center: float, width: float) -> None:
        if self.session.set_window(center, width):
            self._refresh_view(keep_view=True)

    def _drag_window(self, dx: float, dy: float) -> None:
        """Right-drag as radiology viewers do: horizontal = width, vertical = level."""
        doc = self.document
        if doc is None or doc.window is None:
            return
        center, width = doc.window
        step = max(1.0, width / 200)
        width = max(1.0, width + dx * step)
        center = center - dy * step
        self.ct_panel.set_window(center, width)
        self.set_window(center, width)

    def _request_metal_preview(self, image: Image, threshold: float) -> None:
        """Show the metal above threshold, found on the preview thread. While one is being
        found, only the latest request waits; a result for a slice or threshold that is no
        longer wanted is dropped."""
        self._preview_wanted = (image, threshold)
        if self.preview_runner.busy:
            return
        from restorer.physics.mar import segment_metal

        def find() -> tuple[Image, float, np.ndarray]:
            return image, threshold, segment_metal(image.pixels, threshold).astype(np.uint8)

        worker = CallWorker(find)
        worker.succeeded.connect(self._metal_preview_found)
        self.preview_runner.finished.connect(
            self._metal_preview_ended, Qt.ConnectionType.UniqueConnection
        )
        self.preview_runner.start(worker)

    @Slot(object)
    def _metal_preview_found(self, found: tuple[Image, float, np.ndarray]) -> None:
        image, threshold, metal = found
        wanted = self._preview_wanted
        if wanted is not None and wanted[0] is image and wanted[1] == threshold:
            self.canvas.set_mask(metal)
            self._preview_shown = wanted

    @Slot()
    def _metal_preview_ended(self) -> None:
        wanted = self._preview_wanted
        shown = self._preview_shown
        # Another request came while this one ran: find that one too.
        if wanted is not None and (
            shown is None or shown[0] is not wanted[0] or shown[1] != wanted[1]
        ):
            self._request_metal_preview(*wanted)
