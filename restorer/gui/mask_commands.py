"""The main window's mask: brush tools, strokes, clear, invert, load and save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
)

from restorer.core.image import Image
from restorer.gui.canvas import MaskStroke, Tool
from restorer.gui.file_commands import open_filter
from restorer.gui.i18n import tr
from restorer.gui.window_base import WindowBase
from restorer.io import (
    ImageReadError,
    ImageWriteError,
    read_image,
    write_image,
)


class MaskCommands(WindowBase):
    def _mask_section(self) -> Any:
        section = self.panel.current_section()
        return section if section.mask_tools is not None else None

    def _sync_mask_tools(self) -> None:
        """The brush works, and the mask shows, while a task that takes a mask is open; the
        metal found at the current threshold shows while the CT metal task is open."""
        section = self._mask_section()
        current = self.panel.current_section()
        doc = self.document
        metal_threshold = current.task.metal_threshold
        if section is None and doc is not None and metal_threshold and doc.current.is_ct:
            self.canvas.set_tool(Tool.NONE)
            self.canvas.mask_visible = True
            self._request_metal_preview(doc.current, float(metal_threshold(current.params())))
            return
        self._preview_wanted = None
        if section is None or self.document is None:
            self.canvas.set_tool(Tool.NONE)
            self.canvas.set_mask(None)
            return
        mask = self.document.ensure_mask()
        if self.canvas.mask_array is not mask:
            self.canvas.set_mask(mask)
        tools = section.mask_tools
        self.canvas.brush_radius = tools.brush_size.value() // 2
        self.canvas.mask_visible = tools.show_mask.isChecked()
        self.canvas.set_tool(
            {"brush": Tool.BRUSH, "eraser": Tool.ERASER}.get(tools.current_tool(), Tool.NONE)
        )

    def _set_brush_size(self, size: int) -> None:
        self.canvas.brush_radius = max(0, size // 2)
        self.canvas.update()

    def _set_mask_visible(self, visible: bool) -> None:
        self.canvas.mask_visible = visible
        self.canvas.update()

    def _mask_stroked(self, stroke: MaskStroke) -> None:
        if self.document is None:
            return
        title = tr("Erase mask") if self.canvas.tool is Tool.ERASER else tr("Paint mask")
        self.session.edit_mask(stroke.rows, stroke.cols, stroke.before, stroke.after, title)

    def mask_action(self, name: str) -> None:
        if self.document is None:
            return
        if name == "clear":
            self.session.clear_mask()
        elif name == "invert":
            self.session.invert_mask()
        elif name == "detect":
            self.detect_defects()
        elif name == "load":
            self._load_mask()
        elif name == "save":
            self._save_mask()

    def _load_mask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Load mask"), self.settings.last_folder, open_filter()
        )
        if not path:
            return
        if self._file_call_active:
            return
        try:
            loaded = self._in_background(tr("Loading the mask…"), lambda: read_image(Path(path)))
        except (ImageReadError, MemoryError) as exc:
            QMessageBox.warning(self, tr("Cannot load mask"), str(exc) or tr("Not enough memory."))
            return
        if self.document is None:
            return
        refusal = self.session.use_mask_image(loaded.pixels)
        if refusal is not None:
            QMessageBox.warning(self, tr("Cannot load mask"), refusal)

    def _save_mask(self) -> None:
        doc = self.document
        if doc is None:
            return
        suggestion = doc.path.with_name(f"{doc.path.stem}_mask.png")
        path, _ = QFileDialog.getSaveFileName(self, tr("Save mask"), str(suggestion), "PNG (*.png)")
        if not path:
            return
        if self._file_call_active:
            return
        mask = Image(doc.ensure_mask().astype(np.float32))
        try:
            self._in_background(
                tr("Saving the mask…"),
                lambda: write_image(mask, Path(path), bit_depth=8, overwrite=True),
            )
        except ImageWriteError as exc:
            QMessageBox.warning(self, tr("Cannot save mask"), str(exc))
