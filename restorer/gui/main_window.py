"""The main window: the canvas, the task panel, the CT, queue and status widgets, the view, and
closing. What it does is in its parts (window_base lists them); what is open lives in the
Qt-free restorer.session."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QWidget,
)

from restorer.core.change import spread_map
from restorer.core.image import Image
from restorer.gui.canvas import ImageCanvas, ViewMode
from restorer.gui.ct_commands import CTCommands
from restorer.gui.ct_panel import CTPanel
from restorer.gui.display import DisplayCache
from restorer.gui.file_commands import FileCommands
from restorer.gui.history import QtHistory
from restorer.gui.i18n import tr
from restorer.gui.job_commands import JobCommands
from restorer.gui.mask_commands import MaskCommands
from restorer.gui.queue import QueuePanel
from restorer.gui.queue_commands import QueueCommands
from restorer.gui.settings import Settings
from restorer.gui.task_panel import TaskPanel
from restorer.gui.user_models import UserModels
from restorer.gui.window_actions import WindowActions
from restorer.gui.worker import JobRunner
from restorer.io.ct_view import NOTICE
from restorer.session.session import Session
from restorer.tasks.base import UNCERTAINTY_KEY, TaskSpec
from restorer.tasks.registry import TASKS, WITH_USER_MODELS

# How long the window waits after a job before giving the models' memory back: long enough
# that trying another strength right away keeps the fast path (the next run re-allocates:
# 0.2-0.5 s on a ×2 of 1024²).
IDLE_RELEASE_MS = 20_000


class MainWindow(WindowActions, FileCommands, CTCommands, MaskCommands, JobCommands, QueueCommands):
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
        # Between jobs the models keep their working memory for the next run (1.1 GB after a
        # ×2 of a 1024² photo); a window left idle gives it back.
        self.idle_release = QTimer(self)
        self.idle_release.setSingleShot(True)
        self.idle_release.setInterval(IDLE_RELEASE_MS)
        self.idle_release.timeout.connect(self.release_idle_memory)
        self.runner.started.connect(self.idle_release.stop)
        self.runner.finished.connect(self.idle_release.start)
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
        chosen = {"cpu": "CPU", "cuda": "CUDA", "mps": "Apple MPS"}.get(self.settings.device)
        self.panel.set_device(chosen or tr("automatic (detected at the first run)"))
        dock = QDockWidget(tr("Tasks"), self)
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
        self.queue_dock = self._side_dock(tr("Queue"), "queue_dock", self.queue_panel)
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
        self.statusBar().showMessage(tr("Open an image to begin"), 5000)

    def _side_dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        """A hidden dock on the left, shown when its content applies."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        dock.hide()
        return dock

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
        depth = (
            tr("{bits}-bit").format(bits=current.meta.bit_depth)
            if not current.is_ct
            else tr("CT (HU)")
        )
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

    def about(self) -> None:
        from restorer.gui.dialogs import AboutDialog
        from restorer.models.registry import bundled_models

        AboutDialog(bundled_models(), self).exec()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._file_call_active:  # a file is being written: let it finish first
            event.ignore()
            return
        if not self._confirm_discard():
            event.ignore()
            return
        if self.runner.busy:
            self.statusBar().showMessage(tr("Cancelling the running job…"))
            self.runner.cancel_and_wait()
        self.preview_runner.cancel_and_wait()
        self.thumbnail_runner.cancel_and_wait()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        # The stack is destroyed after the canvas; its last indexChanged must not reach us.
        self.history.blockSignals(True)
        event.accept()


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
    return (tr("RGB") if values.size == 3 else tr("gray")) + " " + text
