"""The main window: menus, toolbar, canvas, task panel, status bar, files and history."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from restorer.core.change import ChangeMap, change_between, spread_map
from restorer.core.image import Image
from restorer.gui.canvas import ImageCanvas, MaskStroke, Tool, ViewMode
from restorer.gui.ct_panel import CTPanel
from restorer.gui.display import (
    Display,
    DisplayCache,
    change_picture,
    comparison_rgb,
    make_display,
    resized_like,
)
from restorer.gui.history import QtHistory
from restorer.gui.queue import QueuePanel, QueueWorker, ThumbnailWorker, queue_jobs
from restorer.gui.settings import Settings
from restorer.gui.task_panel import TaskPanel
from restorer.gui.theme import apply_theme
from restorer.gui.user_models import UserModels
from restorer.gui.worker import CallWorker, JobRunner, TaskWorker, call_in_background
from restorer.io import (
    READ_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    list_images,
    read_image,
    write_image,
)
from restorer.io.batch import UsageError
from restorer.io.ct_view import NOTICE
from restorer.io.errors import frames_note
from restorer.io.series import read_ct_stack
from restorer.session.document import Document
from restorer.session.session import Session
from restorer.tasks.base import UNCERTAINTY_KEY, TaskSpec
from restorer.tasks.registry import TASKS, WITH_USER_MODELS

OPEN_FILTER = (
    "Images (" + " ".join(f"*{s}" for s in sorted(READ_SUFFIXES)) + ");;DICOM files (*)"
    ";;All files (*)"
)
SAVE_FILTERS = {
    "PNG (*.png)": ".png",
    "TIFF (*.tif *.tiff)": ".tif",
    "JPEG (*.jpg *.jpeg)": ".jpg",
    "WebP (*.webp)": ".webp",
    "BMP (*.bmp)": ".bmp",
    "DICOM (*.dcm)": ".dcm",
}
SIXTEEN_BIT_SUFFIXES = {".png", ".tif", ".tiff"}


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Restorer")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        # What is open and its history, without Qt; the window renders it.
        self.session = Session()
        self.history = QtHistory(self.session.history, self)
        self.history.indexChanged.connect(lambda _index: self._refresh_view(keep_view=True))
        self.history.cleanChanged.connect(lambda _clean: self._update_title())
        self.runner = JobRunner(self)
        # The metal preview has its own thread: it follows the threshold while a job runs.
        self.preview_runner = JobRunner(self)
        self._preview_wanted: tuple[Image, float] | None = None
        self._preview_shown: tuple[Image, float] | None = None
        # True while a file is read or written on the worker thread (the window keeps
        # painting meanwhile, but must not start another file operation or close).
        self._file_call_active = False
        self._engine: Any = None
        self.displays = DisplayCache()
        self._job_task: TaskSpec | None = None
        # What the running job reported (an estimated noise level, a caution about the mask):
        # kept in its closing summary, which would otherwise replace it in the status bar.
        self._job_notes: list[str] = []

        self.canvas = ImageCanvas()
        self.canvas.setObjectName("canvas")
        self.session.on_mask_change(self.canvas.mask_changed)
        self.setCentralWidget(self.canvas)
        self.canvas.cursorMoved.connect(self._show_pixel)
        self.canvas.scaleChanged.connect(lambda p: self.zoom_label.setText(f"{p:.0f}%"))

        self.panel = TaskPanel(TASKS, WITH_USER_MODELS)
        self.panel.runRequested.connect(self.run_task)
        self.panel.cancelRequested.connect(self.cancel_job)
        self.panel.toolbox.currentChanged.connect(lambda _i: self._sync_mask_tools())
        self.canvas.maskStroked.connect(self._mask_stroked)
        for section in self.panel.sections.values():
            tools = section.mask_tools
            if tools is not None:
                tools.toolChanged.connect(lambda _n: self._sync_mask_tools())
                tools.brushSizeChanged.connect(self._set_brush_size)
                tools.visibilityChanged.connect(self._set_mask_visible)
                tools.action.connect(self.mask_action)
        self.panel.set_enabled_for_image(False)
        self.panel.set_device(
            self.settings.device
            if self.settings.device != "auto"
            else "automatic (detected at the first run)"
        )
        dock = QDockWidget("Tasks", self)
        dock.setObjectName("tasks_dock")
        dock.setWidget(self.panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.ct_panel = CTPanel()
        self.ct_panel.sliceChanged.connect(self.change_slice)
        self.ct_panel.windowChanged.connect(self.set_window)
        self.canvas.rightDragged.connect(self._drag_window)
        # On the left: under the task panel, neither had the height it needs (at 1.5x scaling
        # the open task section shrank to two lines, the tag table to two rows).
        self.ct_dock = self._side_dock("CT", "ct_dock", self.ct_panel)
        self.queue_panel = QueuePanel()
        self.queue_panel.applyRequested.connect(self.apply_to_all)
        self.queue_panel.openRequested.connect(self.open_queued)
        self.queue_dock = self._side_dock("Queue", "queue_dock", self.queue_panel)
        self.queue_panel.set_defaults(self.settings.queue_folder, self.settings.queue_pattern)
        self.thumbnail_runner = JobRunner(self)
        self._thumbnails_wanted: list[Path] = []
        self._thumbnails_for: list[Path] = []
        for section in self.panel.sections.values():
            section.paramsChanged.connect(self._sync_mask_tools)
        self.user_models = UserModels(self, self.panel, self._engine_when_idle, self._in_background)
        self.panel.openModelRequested.connect(self.user_models.open_dialog)

        self.pixel_label = QLabel("")
        self.size_label = QLabel("")
        self.zoom_label: QLabel = QLabel("")
        for label in (self.pixel_label, self.size_label, self.zoom_label):
            self.statusBar().addPermanentWidget(label)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = self.settings.state()
        if state is not None:
            self.restoreState(state)
        self._update_actions()
        self.statusBar().showMessage("Open an image to begin", 5000)

    @property
    def document(self) -> Document | None:
        return self.session.document

    def _side_dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        """A hidden dock on the left, shown when its content applies."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        dock.hide()
        return dock

    # --- actions ---------------------------------------------------------------------------
    def _action(
        self, text: str, slot: Any, shortcuts: list[Any] | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        # The menu text's "&" marks the mnemonic; the status bar must not show it.
        action.setStatusTip(tip or text.replace("&&", "\0").replace("&", "").replace("\0", "&"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.open_action = self._action("&Open…", self.open_dialog, [std.Open])
        self.open_series_action = self._action(
            "Open DICOM &Series…", self.open_series_dialog, ["Ctrl+Shift+O"]
        )
        self.next_slice_action = self._action(
            "Next Slice", lambda: self._step_slice(1), ["PgDown", "Down"]
        )
        self.previous_slice_action = self._action(
            "Previous Slice", lambda: self._step_slice(-1), ["PgUp", "Up"]
        )
        self.open_model_action = self._action(
            "Open &Model…",
            self.user_models.open_dialog,
            tip="Add your own model (.pth, .safetensors: ESRGAN, SwinIR, SCUNet, LaMa…)",
        )
        self.library_action = self._action("Your Mo&dels…", self.user_models.show_library)
        self.save_action = self._action("&Save", self.save, [std.Save])
        self.save_as_action = self._action("Save &As…", self.save_as, ["Ctrl+Shift+S"])
        self.export_comparison_action = self._action(
            "&Export Comparison…",
            self.export_comparison,
            tip="Save the original and the result side by side, labelled, for sharing",
        )
        self.export_change_action = self._action(
            "Export C&hange…",
            self.export_change,
            tip="Save what the result changed (after − before, in HU for CT) as a colour map "
            "with its scale (PNG), or for CT as the change in HU (DICOM)",
        )
        self.copy_view_action = self._action(
            "&Copy View", self.copy_view, [std.Copy], tip="Copy the view as shown to the clipboard"
        )
        self.quit_action = self._action("&Quit", self.close, [std.Quit])
        self.undo_action = self.history.create_action(self, redo=False)
        self.undo_action.setShortcuts([QKeySequence(std.Undo)])
        self.redo_action = self.history.create_action(self, redo=True)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        # The toolbar's Undo and Redo keep short fixed labels (the step goes in the tooltip):
        # "Undo Denoise" and "Undo Clear mask" would shift every button after them.
        self.undo_button = self._history_button("Undo", self.history.undo)
        self.history.canUndoChanged.connect(self.undo_button.setEnabled)
        self.history.undoTextChanged.connect(
            lambda text: self.undo_button.setToolTip(f"Undo {text}".strip())
        )
        self.redo_button = self._history_button("Redo", self.history.redo)
        self.history.canRedoChanged.connect(self.redo_button.setEnabled)
        self.history.redoTextChanged.connect(
            lambda text: self.redo_button.setToolTip(f"Redo {text}".strip())
        )
        self.prefs_action = self._action(
            "&Preferences…", self.preferences, [std.Preferences, "Ctrl+,"]
        )
        self.zoom_in_action = self._action(
            "Zoom &In", lambda: self.canvas.zoom_by(1.25), ["+", "=", std.ZoomIn]
        )
        self.zoom_out_action = self._action(
            "Zoom &Out", lambda: self.canvas.zoom_by(0.8), ["-", std.ZoomOut]
        )
        self.actual_action = self._action(
            "&Actual Size (100%)", lambda: self.canvas.set_zoom_percent(100), ["0"]
        )
        self.fit_action = self._action("&Fit to Window", self.canvas.fit, ["F"])
        self.toggle_action = self._action("Toggle &Before/After", self.toggle_before_after, ["B"])
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[ViewMode, QAction] = {}
        for mode, text, key in (
            (ViewMode.SPLIT, "&Split View", "S"),
            (ViewMode.SIDE_BY_SIDE, "Side by Si&de", "D"),
            (ViewMode.DIFFERENCE, "Di&fference", "X"),
            (ViewMode.UNCERTAINTY, "&Uncertainty", "U"),
            (ViewMode.BEFORE, "Show Before", None),
            (ViewMode.AFTER, "Show After", None),
        ):
            action = self._action(
                text, lambda _=False, m=mode: self.set_view_mode(m), [key] if key else None
            )
            action.setCheckable(True)
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        self.mode_actions[ViewMode.SPLIT].setChecked(True)
        self.about_action = self._action("&About Restorer", self.about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_series_action)
        file_menu.addAction(self.open_model_action)
        file_menu.addAction(self.library_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.export_comparison_action)
        file_menu.addAction(self.export_change_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self.copy_view_action)
        edit.addSeparator()
        edit.addAction(self.prefs_action)
        view = bar.addMenu("&View")
        for action in (
            self.zoom_in_action,
            self.zoom_out_action,
            self.actual_action,
            self.fit_action,
        ):
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.toggle_action)
        for action in self.mode_actions.values():
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.previous_slice_action)
        view.addAction(self.next_slice_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _history_button(self, text: str, trigger: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(text)
        action.setEnabled(False)
        action.triggered.connect(trigger)
        return action

    def _build_toolbar(self) -> None:
        tools = self.addToolBar("Main")
        tools.setObjectName("main_toolbar")
        for action in (
            self.open_action,
            self.save_action,
            None,
            self.undo_button,
            self.redo_button,
            None,
            self.fit_action,
            self.actual_action,
            None,
            self.mode_actions[ViewMode.SPLIT],
            self.mode_actions[ViewMode.SIDE_BY_SIDE],
            self.mode_actions[ViewMode.DIFFERENCE],
            self.toggle_action,
        ):
            if action is None:
                tools.addSeparator()
            else:
                tools.addAction(action)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _update_actions(self) -> None:
        has_doc = self.document is not None
        busy = self.runner.busy
        self.save_action.setEnabled(has_doc and not busy)
        self.save_as_action.setEnabled(has_doc and not busy)
        self.copy_view_action.setEnabled(has_doc)
        has_result = has_doc and self.document is not None and self.document.has_result
        self.export_comparison_action.setEnabled(has_result and not busy)
        self.export_change_action.setEnabled(has_result and not busy)
        self.open_action.setEnabled(not busy)
        self.panel.set_enabled_for_image(has_doc and not busy)

    def _update_title(self) -> None:
        if self.document is None:
            self.setWindowTitle("Restorer")
            return
        dirty = "" if self.history.isClean() else " *"
        self.setWindowTitle(f"{self.document.path.name}{dirty} — Restorer")

    # --- files -----------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open image", self.settings.last_folder, OPEN_FILTER
        )
        if path:
            self.open_file(Path(path))

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
            self.statusBar().showMessage("Wait for the running job, or cancel it", 5000)
            return False
        if not self._confirm_discard():
            return False
        try:
            stack, problems = self._in_background(
                f"Opening {path.name}…", lambda: read_ct_stack(path)
            )
        except ImageReadError as exc:
            self.statusBar().showMessage(f"Could not open {path.name}", 8000)
            QMessageBox.warning(self, "Cannot open image", str(exc))
            return False
        except MemoryError:
            QMessageBox.warning(
                self,
                "Cannot open image",
                f"{path.name} is too large for the memory of this computer.",
            )
            return False
        image = stack[0]
        self.session.load(path, stack)
        if problems:
            self.statusBar().showMessage(f"{len(problems)} file(s) skipped: {problems[0]}", 10000)
        self._show_ct_panel()
        self.settings.add_recent(path)
        self.settings.last_folder = str(path.parent)
        self.canvas.set_mode(ViewMode.SPLIT)
        self.mode_actions[ViewMode.SPLIT].setChecked(True)
        self.panel.clear_outcome()
        self._refresh_view(keep_view=False)
        note = frames_note(path.name, image.meta.extra)
        self.statusBar().showMessage(note or f"Opened {path.name}", 10000 if note else 5000)
        self._update_actions()
        self._update_title()
        return True

    def open_series_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open DICOM series", self.settings.last_folder
        )
        if folder:
            self.open_file(Path(folder))

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

    def _confirm_discard(self) -> bool:
        # A painted mask alone is not asked about: it is a means, the result is the work.
        if not self.session.needs_saving or self.document is None:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved result",
            f"The result for {self.document.path.name} has not been saved. Save it first?",
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
            self, "Save result as", str(suggestion), ";;".join(SAVE_FILTERS), chosen
        )
        if not path_str:
            return False
        path = Path(path_str)
        if not path.suffix:
            path = path.with_suffix(SAVE_FILTERS.get(selected, ".png"))
        depth = None
        if path.suffix.lower() in SIXTEEN_BIT_SUFFIXES and not doc.current.is_ct:
            options = ["8 bits per sample", "16 bits per sample"]
            current = 1 if doc.current.meta.bit_depth >= 16 else 0
            item, ok = QInputDialog.getItem(self, "Bit depth", "Save with", options, current, False)
            if not ok:
                return False
            depth = 16 if item.startswith("16") else 8
        return self._write(path, depth)

    def _write(self, path: Path, depth: int | None) -> bool:
        doc = self.document
        assert doc is not None
        if path.resolve() == doc.path.resolve():
            answer = QMessageBox.warning(
                self,
                "Replace the original?",
                f"{path.name} is the original file. Replace it with the result? "
                "The original cannot be recovered afterwards.",
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
                f"Saving {path.name}…",
                lambda: write_image(
                    result, path, bit_depth=depth, overwrite=True, task=task, quality=quality
                ),
            )
        except (ImageWriteError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot save", str(exc))
            return False
        except MemoryError:
            QMessageBox.warning(self, "Cannot save", "Not enough memory to encode the result.")
            return False
        self.session.mark_saved(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def copy_view(self) -> None:
        """The canvas as shown (zoom, split, labels) to the clipboard."""
        if self.document is None:
            return
        QApplication.clipboard().setImage(self.canvas.grab().toImage())
        self.statusBar().showMessage("Copied the view", 3000)

    def export_comparison(self) -> bool:
        doc = self.document
        if doc is None or not doc.has_result or self._file_call_active:
            return False
        suggestion = doc.path.with_name(f"{doc.path.stem}_comparison.png")
        path_str, _ = QFileDialog.getSaveFileName(
            self, "Export comparison", str(suggestion), "PNG (*.png);;JPEG (*.jpg *.jpeg)"
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
                f"Exporting {path.name}…",
                lambda: write_image(picture, path, bit_depth=8, overwrite=True),
            )
        except ImageWriteError as exc:
            QMessageBox.warning(self, "Cannot export", str(exc))
            return False
        self.statusBar().showMessage(f"Exported {path}", 5000)
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
        kinds = "PNG (*.png)" + (";;DICOM, the change in HU (*.dcm)" if doc.current.is_ct else "")
        suggestion = doc.path.with_name(f"{doc.path.stem}_change.png")
        path_str, chosen = QFileDialog.getSaveFileName(
            self, "Export change", str(suggestion), kinds
        )
        if not path_str:
            return False
        path = Path(path_str)
        if not path.suffix:
            path = path.with_suffix(".dcm" if chosen.startswith("DICOM") else ".png")
        # The map the Difference view made for this result, when it has been shown.
        change = self.canvas.change or self._change_map(doc)
        current = doc.current
        if path.suffix.lower() == ".dcm":
            if not current.is_ct:
                QMessageBox.warning(self, "Cannot export", "Only a CT change is saved as DICOM.")
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
            self._in_background(f"Exporting {path.name}…", write)
        except ImageWriteError as exc:
            QMessageBox.warning(self, "Cannot export", str(exc))
            return False
        self.statusBar().showMessage(
            f"Exported {path} (scale ±{change.scale:g} {change.unit})", 5000
        )
        return True

    # --- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    def open_files(self, paths: list[Path]) -> None:
        """One file opens; several (or a folder of photos) fill the queue, and the first
        opens. A folder of DICOM files opens as a series."""
        expanded: list[Path] = []
        for path in paths:
            listed = list_images(path) if path.is_dir() else []
            photos = [p for p in listed if p.suffix.lower() in PHOTO_SUFFIXES]
            expanded.extend(photos or [path])
        if len(expanded) > 1:
            self.queue_panel.set_sources(expanded)
            self.queue_dock.show()
            self._make_thumbnails(expanded)
            self.statusBar().showMessage(
                f"{len(expanded)} files in the queue: Apply to all runs the open task on each",
                8000,
            )
        if expanded:
            self.open_file(expanded[0])

    def _make_thumbnails(self, sources: list[Path]) -> None:
        """Thumbnails for the queue on their own thread; a newer queue replaces an older
        one's request (the running one stops at its next file)."""
        self._thumbnails_wanted = sources
        if self.thumbnail_runner.busy:
            self.thumbnail_runner.cancel()
            return
        worker = ThumbnailWorker(sources)
        worker.made.connect(self._thumbnail_made)
        self._thumbnails_for = sources
        self.thumbnail_runner.finished.connect(
            self._thumbnails_ended, Qt.ConnectionType.UniqueConnection
        )
        self.thumbnail_runner.start(worker)

    @Slot(int, object)
    def _thumbnail_made(self, index: int, rgb: np.ndarray) -> None:
        if self._thumbnails_for == self.queue_panel.sources:
            self.queue_panel.set_thumbnail(index, rgb)

    @Slot()
    def _thumbnails_ended(self) -> None:
        if self._thumbnails_wanted != self._thumbnails_for:
            self._make_thumbnails(self._thumbnails_wanted)

    def apply_to_all(self) -> None:
        """The open task, as set, on every queued file, written to the output folder."""
        if self.runner.busy or not self.queue_panel.sources:
            return
        task, params = self.panel.current_section().request()
        if task.needs_user_mask(params):
            QMessageBox.information(
                self,
                "Apply to all",
                f"{task.title} needs a mask for each file: tick 'Find scratches and dust' to "
                "have each file's mask found, or fill the files one by one.",
            )
            return
        folder = Path(self.queue_panel.folder.text()).expanduser()
        try:
            jobs = queue_jobs(self.queue_panel.sources, folder, self.queue_panel.pattern.text())
            folder.mkdir(parents=True, exist_ok=True)
        except (UsageError, OSError) as exc:
            QMessageBox.warning(self, "Apply to all", str(exc))
            return
        engine = self._engine_or_warning()
        if engine is None:
            return
        worker = QueueWorker(engine, task, params, jobs, self.settings.jpeg_quality)
        worker.itemStarted.connect(self.queue_panel.item_started)
        worker.itemProgressed.connect(self.queue_panel.item_progress)
        worker.itemFinished.connect(self.queue_panel.item_finished)
        worker.progressed.connect(self.queue_panel.set_fraction)
        worker.failed.connect(self._job_failed)
        worker.cancelled.connect(self._job_cancelled)
        self.queue_panel.started(jobs)
        self.runner.start(worker)
        self.runner.finished.connect(self._queue_ended, Qt.ConnectionType.UniqueConnection)
        self.panel.set_busy(True)
        self._update_actions()
        self.statusBar().showMessage(f"{task.title}: {len(jobs)} files on {engine.device_name}…")

    def _queue_ended(self) -> None:
        self.runner.finished.disconnect(self._queue_ended)
        self.queue_panel.finished("")
        self.panel.set_busy(False)
        self.panel.clear_outcome()
        self._update_actions()
        self.statusBar().showMessage(self.queue_panel.status.text(), 10000)

    def open_queued(self, index: int) -> None:
        """Open a queued file; once its result is written, with the result as "after"."""
        source = self.queue_panel.sources[index]
        if not self.open_file(source) or self.document is None:
            return
        target = self.queue_panel.targets.get(index)
        if target is None:
            return
        try:
            result = self._in_background(f"Opening {target.name}…", lambda: read_image(target))
        except ImageReadError as exc:
            QMessageBox.warning(self, "Cannot open the result", str(exc))
            return
        self.session.add_saved_result(result, f"Result in {target.parent.name}")

    # --- view ------------------------------------------------------------------------------
    def _refresh_view(self, keep_view: bool) -> None:
        doc = self.document
        if doc is None:
            return
        current = doc.current
        size = (current.width, current.height)
        reference_size = None if (doc.original.width, doc.original.height) == size else size
        before = self.displays.get(doc.original, doc.window, reference_size)
        after = self.displays.get(current, doc.window) if doc.has_result else None
        self.canvas.notice = NOTICE if current.is_ct and doc.has_result else ""
        change = partial(self._change_map, doc) if doc.has_result else None
        spread = current.meta.extra.get(UNCERTAINTY_KEY) if doc.has_result else None
        uncertainty = None if spread is None else partial(spread_map, spread)
        self.mode_actions[ViewMode.UNCERTAINTY].setEnabled(uncertainty is not None)
        if uncertainty is None and self.canvas.mode is ViewMode.UNCERTAINTY:
            self.set_view_mode(ViewMode.SPLIT)
        self.canvas.set_images(
            before, after, keep_view=keep_view, change=change, uncertainty=uncertainty
        )
        depth = f"{current.meta.bit_depth}-bit" if not current.is_ct else "CT (HU)"
        self.size_label.setText(f"{current.width} × {current.height} · {depth}")
        self._sync_mask_tools()
        self._update_title()

    def set_view_mode(self, mode: ViewMode) -> None:
        self.canvas.set_mode(mode)
        self.mode_actions[mode].setChecked(True)

    def toggle_before_after(self) -> None:
        target = ViewMode.AFTER if self.canvas.mode is ViewMode.BEFORE else ViewMode.BEFORE
        self.set_view_mode(target)

    def _show_pixel(self, point: tuple[int, int] | None) -> None:
        doc = self.document
        if point is None or doc is None:
            self.pixel_label.setText("")
            return
        x, y = point
        image = doc.current
        if x >= image.width or y >= image.height:
            return
        self.pixel_label.setText(f"x {x}, y {y}: {pixel_text(image, x, y)}")

    # --- mask ------------------------------------------------------------------------------
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

    def _mask_stroked(self, stroke: MaskStroke) -> None:
        if self.document is None:
            return
        title = "Erase mask" if self.canvas.tool is Tool.ERASER else "Paint mask"
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
            self, "Load mask", self.settings.last_folder, OPEN_FILTER
        )
        if not path:
            return
        if self._file_call_active:
            return
        try:
            loaded = self._in_background("Loading the mask…", lambda: read_image(Path(path)))
        except (ImageReadError, MemoryError) as exc:
            QMessageBox.warning(self, "Cannot load mask", str(exc) or "Not enough memory.")
            return
        if self.document is None:
            return
        refusal = self.session.use_mask_image(loaded.pixels)
        if refusal is not None:
            QMessageBox.warning(self, "Cannot load mask", refusal)

    def _save_mask(self) -> None:
        doc = self.document
        if doc is None:
            return
        suggestion = doc.path.with_name(f"{doc.path.stem}_mask.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save mask", str(suggestion), "PNG (*.png)")
        if not path:
            return
        if self._file_call_active:
            return
        mask = Image(doc.ensure_mask().astype(np.float32))
        try:
            self._in_background(
                "Saving the mask…",
                lambda: write_image(mask, Path(path), bit_depth=8, overwrite=True),
            )
        except ImageWriteError as exc:
            QMessageBox.warning(self, "Cannot save mask", str(exc))

    # --- jobs ------------------------------------------------------------------------------
    def engine(self) -> Any:
        if self._engine is None:
            from restorer.engine.engine import Engine

            self._engine = Engine(
                self.settings.device,
                tile=self.settings.tile or None,
                precision=self.settings.precision,
                backend=self.settings.backend,
            )
            self.panel.set_device(self._engine.device_name)
        return self._engine

    def run_task(self, task: TaskSpec, params: Any) -> None:
        doc = self.document
        if doc is None or self.runner.busy:
            return
        if (refusal := task.refusal(doc.current)) is not None:
            QMessageBox.information(self, task.title, refusal + ".")
            return
        if task.mask_input is not None:
            mask = doc.ensure_mask()
            if not mask.any() and task.needs_user_mask(params):
                self.statusBar().showMessage(
                    "Paint over the areas to fill first (or tick Find scratches and dust)", 8000
                )
                return
            params = task.mask_input.given(params, mask)
        engine = self._engine_or_warning()
        if engine is None:
            return
        window, original = doc.window, doc.original

        def prepare(result: Image) -> dict[str, Display]:
            """Screen versions of the result, built in the worker thread."""
            displays = {"after": make_display(result, window)}
            if (result.width, result.height) != (original.width, original.height):
                size = (result.width, result.height)
                # Built here, not through the cache: the cache belongs to the GUI thread.
                displays["before"] = make_display(resized_like(original, size), window)
            return displays

        worker = TaskWorker(engine, task, doc.current, params, prepare)
        worker.succeeded.connect(self._job_succeeded)
        self._start(worker, task, engine)

    def detect_defects(self) -> None:
        """Propose a mask of scratches, dust and hairs (the network runs in the background);
        it joins the mask as one step that can be undone."""
        doc = self.document
        section = self._mask_section()
        if doc is None or self.runner.busy or section is None:
            return
        mask_input = section.task.mask_input
        if mask_input is None or mask_input.detection is None:
            return
        task, params = mask_input.detection(section.params())
        engine = self._engine_or_warning()
        if engine is None:
            return
        worker = TaskWorker(engine, task, doc.current, params)
        worker.succeeded.connect(self._defects_found)
        self._start(worker, task, engine)

    def _engine_when_idle(self) -> Any:
        """The engine, when no job is using it (reading a model changes what it holds)."""
        if self.runner.busy:
            self.statusBar().showMessage("Wait for the running job to end first", 8000)
            return None
        return self._engine_or_warning()

    def _engine_or_warning(self) -> Any:
        try:
            return self.engine()
        except Exception as exc:  # e.g. the chosen GPU is gone: say so, stay usable
            QMessageBox.warning(self, "Cannot start", str(exc))
            return None

    def _start(self, worker: TaskWorker, task: TaskSpec, engine: Any) -> None:
        """Connect the signals every job shares (its own `succeeded` is already connected),
        then start it on the job thread."""
        worker.progressed.connect(self.panel.set_fraction)
        # Bound methods of GUI-thread objects only: PySide6 runs a lambda slot in the emitting
        # (worker) thread.
        worker.messaged.connect(self._job_message)
        worker.failed.connect(self._job_failed)
        worker.cancelled.connect(self._job_cancelled)
        self._job_task = task
        self._job_notes = []
        self.runner.start(worker)
        self.runner.finished.connect(self._job_ended, Qt.ConnectionType.UniqueConnection)
        self.panel.set_busy(True)
        self._update_actions()
        self.statusBar().showMessage(f"{task.title}: running on {engine.device_name}…")

    def _defects_found(self, result: Image, _extra: object) -> None:
        doc = self.document
        if doc is None:
            return
        found = result.pixels > 0.5
        self.session.add_to_mask(found, "Detect scratches and dust")
        from restorer.tasks.inpaint import detection_summary

        message = detection_summary(float(found.mean()))
        self.panel.finish(message)
        self.statusBar().showMessage(message, 8000)

    def cancel_job(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.statusBar().showMessage("Cancelling at the next tile…")

    def _job_message(self, text: str) -> None:
        self._job_notes.append(text)
        self.statusBar().showMessage(text, 10000)

    def _job_succeeded(self, result: Image, displays: dict[str, Display]) -> None:
        doc, task = self.document, self._job_task
        if doc is None or task is None:
            return
        self.displays.put(result, doc.window, displays["after"])
        if "before" in displays:
            self.displays.put(
                doc.original, doc.window, displays["before"], (result.width, result.height)
            )
        seconds = getattr(self._engine.last_report, "seconds", 0.0)
        mask = doc.mask
        if task.needs_mask and mask is not None and mask.any():
            self._show_filled_side(mask)
        # The filled holes leave the mask with the result, undone together.
        self.session.apply(result, task.title, fills_mask=task.needs_mask)
        if task.name in self.panel.sections:  # not a user model's task
            self.panel.sections[task.name].show_estimates(result.meta.extra.get("estimated", {}))
        summary = " · ".join([f"{task.title} done in {seconds:.1f} s", *self._job_notes])
        self.panel.finish(summary)
        self.panel.set_device(self._engine.last_report.device or self._engine.device_name)
        self.statusBar().showMessage(summary, 15000 if self._job_notes else 8000)

    def _show_filled_side(self, mask: np.ndarray) -> None:
        """Move the split line left of the filled area, so the fill shows on the after side
        instead of seeming undone on the before side."""
        columns = np.flatnonzero(mask.any(axis=0))
        width = mask.shape[1]
        left = max(0.0, (columns[0] - 0.02 * width) / width)
        if self.canvas.split > left:
            self.canvas.set_split(left)

    def _job_failed(self, message: str) -> None:
        self.panel.finish("Failed")
        self.statusBar().showMessage("The job failed", 8000)
        QMessageBox.warning(self, "The job failed", message)

    def _job_cancelled(self) -> None:
        self.panel.finish("Cancelled")
        self.statusBar().showMessage("Cancelled", 5000)

    def _job_ended(self) -> None:
        self._job_task = None
        self.panel.set_busy(False)
        self._update_actions()

    # --- dialogs ---------------------------------------------------------------------------
    def preferences(self) -> None:
        from restorer.engine.device import available_devices
        from restorer.gui.dialogs import PreferencesDialog

        settings = self.settings
        dialog = PreferencesDialog(
            available_devices(),
            settings.device,
            settings.tile,
            settings.theme,
            self,
            precision=settings.precision,
            backend=settings.backend,
            jpeg_quality=settings.jpeg_quality,
            queue_folder=settings.queue_folder,
            queue_pattern=settings.queue_pattern,
        )
        if dialog.exec():
            self.settings.device = dialog.chosen_device()
            self.settings.tile = dialog.tile.value()
            self.settings.precision = str(dialog.precision.currentData())
            self.settings.backend = str(dialog.backend.currentData())
            self.settings.jpeg_quality = dialog.jpeg_quality.value()
            self.settings.queue_folder = dialog.queue_folder.text().strip()
            self.settings.queue_pattern = dialog.queue_pattern.text().strip() or "{name}_restored"
            self.queue_panel.set_defaults(self.settings.queue_folder, self.settings.queue_pattern)
            if dialog.chosen_theme() != self.settings.theme:
                self.settings.theme = dialog.chosen_theme()
                self.statusBar().showMessage(
                    "The appearance changes now; 'Follow the system' takes full effect at the "
                    "next start",
                    8000,
                )
                apply_theme(QApplication.instance(), self.settings.theme)  # type: ignore[arg-type]
            if not self.runner.busy:
                self._engine = None  # rebuilt with the new choice at the next run
                self.engine()

    def about(self) -> None:
        from restorer.gui.dialogs import AboutDialog
        from restorer.models.registry import bundled_models

        AboutDialog(bundled_models(), self).exec()

    # --- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self._file_call_active:  # a file is being written: let it finish first
            event.ignore()
            return
        if not self._confirm_discard():
            event.ignore()
            return
        if self.runner.busy:
            self.statusBar().showMessage("Cancelling the running job…")
            self.runner.cancel_and_wait()
        self.preview_runner.cancel_and_wait()
        self.thumbnail_runner.cancel_and_wait()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        # The stack is destroyed after the canvas; its last indexChanged must not reach us.
        self.history.blockSignals(True)
        event.accept()


PHOTO_SUFFIXES = frozenset(s for s in READ_SUFFIXES if s not in (".dcm", ".dicom"))


def pixel_text(image: Image, x: int, y: int) -> str:
    """The value under the cursor as the user thinks of it: HU, or integer levels."""
    value = image.pixels[y, x]
    if image.is_ct:
        return f"{float(value):.0f} HU"
    scale = {8: 255, 16: 65535}.get(image.meta.bit_depth)
    values = np.atleast_1d(value)
    if scale is None:
        text = " ".join(f"{v:.4f}" for v in values)
    else:
        text = " ".join(str(round(float(v) * scale)) for v in values)
    return ("RGB " if values.size == 3 else "gray ") + text
