"""The main window's files: opening, saving and exporting, each read or written on the
worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMessageBox,
)

from restorer.core.change import ChangeMap, change_between
from restorer.core.image import Image
from restorer.gui.canvas import ViewMode
from restorer.gui.display import (
    change_picture,
    comparison_rgb,
    resized_like,
)
from restorer.gui.i18n import tr
from restorer.gui.window_base import WindowBase
from restorer.gui.worker import call_in_background
from restorer.io import (
    READ_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    write_image,
)
from restorer.io.errors import frames_note
from restorer.io.series import read_ct_stack


def open_filter() -> str:
    """The Open dialogs' file types, in the interface's language."""
    images = " ".join(f"*{s}" for s in sorted(READ_SUFFIXES))
    return f"{tr('Images')} ({images});;{tr('DICOM files')} (*);;{tr('All files')} (*)"


SAVE_FILTERS = {
    "PNG (*.png)": ".png",
    "TIFF (*.tif *.tiff)": ".tif",
    "JPEG (*.jpg *.jpeg)": ".jpg",
    "WebP (*.webp)": ".webp",
    "BMP (*.bmp)": ".bmp",
    "DICOM (*.dcm)": ".dcm",
}
SIXTEEN_BIT_SUFFIXES = {".png", ".tif", ".tiff"}


class FileCommands(WindowBase):
    def open_dialog(self) -> None:
        """One file opens; several chosen together fill the queue (the first opens)."""
        paths, _ = QFileDialog.getOpenFileNames(
            self, tr("Open image"), self.settings.last_folder, open_filter()
        )
        if paths:
            self.open_files([Path(p) for p in paths])

    def _in_background(self, status: str, function: Callable[[], Any]) -> Any:
        """function() on the worker thread, the window painting meanwhile; its result here."""
        self._file_call_active = True
        self.statusBar().showMessage(status)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return call_in_background(function)
        finally:
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()
            self._file_call_active = False

    def open_file(self, path: Path) -> bool:
        if self._file_call_active:
            return False
        if self.runner.busy:
            self.statusBar().showMessage(tr("Wait for the running job, or cancel it"), 5000)
            return False
        if not self._confirm_discard():
            return False
        try:
            stack, problems = self._in_background(
                tr("Opening {name}…").format(name=path.name), lambda: read_ct_stack(path)
            )
        except ImageReadError as exc:
            self.statusBar().showMessage(tr("Could not open {name}").format(name=path.name), 8000)
            QMessageBox.warning(self, tr("Cannot open image"), str(exc))
            return False
        except MemoryError:
            QMessageBox.warning(
                self,
                tr("Cannot open image"),
                tr("{name} is too large for the memory of this computer.").format(name=path.name),
            )
            return False
        image = stack[0]
        self.session.load(path, stack)
        if problems:
            self.statusBar().showMessage(
                tr("{count} file(s) skipped: {first}").format(
                    count=len(problems), first=problems[0]
                ),
                10000,
            )
        self._show_ct_panel()
        self.settings.add_recent(path)
        self.settings.last_folder = str(path.parent)
        self.canvas.set_mode(ViewMode.SPLIT)
        self.mode_actions[ViewMode.SPLIT].setChecked(True)
        self.panel.clear_outcome()
        self._refresh_view(keep_view=False)
        note = frames_note(path.name, image.meta.extra)
        self.statusBar().showMessage(
            note or tr("Opened {name}").format(name=path.name), 10000 if note else 5000
        )
        self._update_actions()
        self._update_title()
        return True

    def open_series_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, tr("Open DICOM series"), self.settings.last_folder
        )
        if folder:
            self.open_file(Path(folder))

    def _confirm_discard(self) -> bool:
        # A painted mask alone is not asked about: it is a means, the result is the work.
        if not self.session.needs_saving or self.document is None:
            return True
        answer = QMessageBox.question(
            self,
            tr("Unsaved result"),
            tr("The result for {name} has not been saved. Save it first?").format(
                name=self.document.path.name
            ),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def save(self) -> bool:
        if self.document is None or self._file_call_active:
            return False
        if self.document.save_path is None:
            return self.save_as()
        return self._write(self.document.save_path, None)

    def save_as(self) -> bool:
        doc = self.document
        if doc is None:
            return False
        suffix = doc.path.suffix.lower() or ".dcm"
        suggestion = doc.path.with_name(f"{doc.path.stem}_restored{suffix}")
        chosen = next((f for f, s in SAVE_FILTERS.items() if s == suffix), "PNG (*.png)")
        path_str, selected = QFileDialog.getSaveFileName(
            self, tr("Save result as"), str(suggestion), ";;".join(SAVE_FILTERS), chosen
        )
        if not path_str:
            return False
        path = Path(path_str)
        if not path.suffix:
            path = path.with_suffix(SAVE_FILTERS.get(selected, ".png"))
        depth = None
        if path.suffix.lower() in SIXTEEN_BIT_SUFFIXES and not doc.current.is_ct:
            options = [tr("8 bits per sample"), tr("16 bits per sample")]
            current = 1 if doc.current.meta.bit_depth >= 16 else 0
            item, ok = QInputDialog.getItem(
                self, tr("Bit depth"), tr("Save with"), options, current, False
            )
            if not ok:
                return False
            depth = 16 if options.index(item) == 1 else 8
        return self._write(path, depth)

    def _write(self, path: Path, depth: int | None) -> bool:
        doc = self.document
        assert doc is not None
        if path.resolve() == doc.path.resolve():
            answer = QMessageBox.warning(
                self,
                tr("Replace the original?"),
                tr(
                    "{name} is the original file. Replace it with the result? "
                    "The original cannot be recovered afterwards."
                ).format(name=path.name),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        task = self.session.last_task_name
        result = doc.current
        quality = self.settings.jpeg_quality
        try:
            self._in_background(
                tr("Saving {name}…").format(name=path.name),
                lambda: write_image(
                    result, path, bit_depth=depth, overwrite=True, task=task, quality=quality
                ),
            )
        except (ImageWriteError, ValueError) as exc:
            QMessageBox.warning(self, tr("Cannot save"), str(exc))
            return False
        except MemoryError:
            QMessageBox.warning(
                self, tr("Cannot save"), tr("Not enough memory to encode the result.")
            )
            return False
        self.session.mark_saved(path)
        self.statusBar().showMessage(tr("Saved {path}").format(path=path), 5000)
        return True

    def copy_view(self) -> None:
        """The canvas as shown (zoom, split, labels) to the clipboard."""
        if self.document is None:
            return
        QApplication.clipboard().setImage(self.canvas.grab().toImage())
        self.statusBar().showMessage(tr("Copied the view"), 3000)

    def export_comparison(self) -> bool:
        doc = self.document
        if doc is None or not doc.has_result or self._file_call_active:
            return False
        suggestion = doc.path.with_name(f"{doc.path.stem}_comparison.png")
        path_str, _ = QFileDialog.getSaveFileName(
            self, tr("Export comparison"), str(suggestion), "PNG (*.png);;JPEG (*.jpg *.jpeg)"
        )
        if not path_str:
            return False
        path = Path(path_str) if Path(path_str).suffix else Path(path_str).with_suffix(".png")
        current = doc.current
        size = (current.width, current.height)
        reference = None if (doc.original.width, doc.original.height) == size else size
        before = self.displays.get(doc.original, doc.window, reference).rgb
        after = self.displays.get(current, doc.window).rgb
        rgb = comparison_rgb(before, after)
        picture = Image(rgb.astype(np.float32) / np.float32(255.0))
        try:
            self._in_background(
                tr("Exporting {name}…").format(name=path.name),
                lambda: write_image(picture, path, bit_depth=8, overwrite=True),
            )
        except ImageWriteError as exc:
            QMessageBox.warning(self, tr("Cannot export"), str(exc))
            return False
        self.statusBar().showMessage(tr("Exported {path}").format(path=path), 5000)
        return True

    @staticmethod
    def _change_map(doc: Any) -> ChangeMap:
        """after − before of the shown result: the original enlarged to the result's size
        when the task changed the size."""
        current = doc.current
        size = (current.width, current.height)
        same = (doc.original.width, doc.original.height) == size
        before = doc.original if same else resized_like(doc.original, size)
        return change_between(before, current)

    def export_change(self) -> bool:
        doc = self.document
        if doc is None or not doc.has_result or self._file_call_active:
            return False
        dicom = tr("DICOM, the change in HU") + " (*.dcm)"
        kinds = "PNG (*.png)" + (f";;{dicom}" if doc.current.is_ct else "")
        suggestion = doc.path.with_name(f"{doc.path.stem}_change.png")
        path_str, chosen = QFileDialog.getSaveFileName(
            self, tr("Export change"), str(suggestion), kinds
        )
        if not path_str:
            return False
        path = Path(path_str)
        if not path.suffix:
            path = path.with_suffix(".dcm" if chosen == dicom else ".png")
        # The map the Difference view made for this result, when it has been shown.
        change = self.canvas.change or self._change_map(doc)
        current = doc.current
        if path.suffix.lower() == ".dcm":
            if not current.is_ct:
                QMessageBox.warning(
                    self, tr("Cannot export"), tr("Only a CT change is saved as DICOM.")
                )
                return False
            picture, depth = current.with_pixels(change.values), None
        else:
            size = (current.width, current.height)
            same = (doc.original.width, doc.original.height) == size
            before = self.displays.get(doc.original, doc.window, None if same else size)
            rgb = change_picture(change, before.rgb)
            picture, depth = Image(rgb.astype(np.float32) / np.float32(255.0)), 8

        def write() -> None:
            write_image(picture, path, bit_depth=depth, overwrite=True)

        try:
            self._in_background(tr("Exporting {name}…").format(name=path.name), write)
        except ImageWriteError as exc:
            QMessageBox.warning(self, tr("Cannot export"), str(exc))
            return False
        self.statusBar().showMessage(
            tr("Exported {path} (scale ±{scale} {unit})").format(
                path=path, scale=f"{change.scale:g}", unit=change.unit
            ),
            5000,
        )
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)
