"""What the parts of the main window share. The window is put together from one class per
concern (window_actions, file_commands, ct_commands, mask_commands, job_commands,
queue_commands), each a subclass of this one; main_window.MainWindow builds the widgets and
joins them. The parts call each other only through what is declared here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from restorer.core.image import Image
from restorer.gui.canvas import ImageCanvas, ViewMode
from restorer.gui.ct_panel import CTPanel
from restorer.gui.display import DisplayCache
from restorer.gui.history import QtHistory
from restorer.gui.queue import QueuePanel
from restorer.gui.settings import Settings
from restorer.gui.task_panel import TaskPanel
from restorer.gui.user_models import UserModels
from restorer.gui.worker import JobRunner
from restorer.session.document import Document
from restorer.session.session import Session
from restorer.tasks.base import TaskSpec


class WindowBase(QMainWindow):
    settings: Settings
    session: Session  # what is open, its history and mask (no Qt)
    history: QtHistory
    runner: JobRunner  # tasks and the queue
    idle_release: QTimer  # gives the engine's memory back when no job has run for a while
    preview_runner: JobRunner  # the CT metal preview, which follows the threshold
    thumbnail_runner: JobRunner
    canvas: ImageCanvas
    panel: TaskPanel
    ct_panel: CTPanel
    ct_dock: QDockWidget
    queue_panel: QueuePanel
    queue_dock: QDockWidget
    user_models: UserModels
    displays: DisplayCache
    pixel_label: QLabel
    size_label: QLabel
    zoom_label: QLabel
    mode_actions: dict[ViewMode, QAction]
    # True while a file is read or written on the worker thread (the window keeps painting
    # meanwhile, but must not start another file operation or close).
    _file_call_active: bool
    _engine: Any
    _job_task: TaskSpec | None
    _job_notes: list[str]
    _preview_wanted: tuple[Image, float] | None
    _preview_shown: tuple[Image, float] | None
    _thumbnails_wanted: list[Path]
    _thumbnails_for: list[Path]

    @property
    def document(self) -> Document | None:
        return self.session.document

    # Provided by the parts; declared here so that each part can call the others.
    def _refresh_view(self, keep_view: bool) -> None:
        raise NotImplementedError

    def set_view_mode(self, mode: ViewMode) -> None:
        raise NotImplementedError

    def _update_actions(self) -> None:
        raise NotImplementedError

    def _update_title(self) -> None:
        raise NotImplementedError

    def _in_background(self, status: str, function: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def open_file(self, path: Path) -> bool:
        raise NotImplementedError

    def _show_ct_panel(self) -> None:
        raise NotImplementedError

    def _request_metal_preview(self, image: Image, threshold: float) -> None:
        raise NotImplementedError

    def _sync_mask_tools(self) -> None:
        raise NotImplementedError

    def _mask_section(self) -> Any:
        raise NotImplementedError

    def detect_defects(self) -> None:
        raise NotImplementedError

    def _engine_or_warning(self) -> Any:
        raise NotImplementedError

    def _job_failed(self, message: str) -> None:
        raise NotImplementedError

    def _job_cancelled(self) -> None:
        raise NotImplementedError

    def open_dialog(self) -> None:
        raise NotImplementedError

    def open_series_dialog(self) -> None:
        raise NotImplementedError

    def open_files(self, paths: list[Path]) -> None:
        raise NotImplementedError

    def _confirm_discard(self) -> bool:
        raise NotImplementedError

    def save(self) -> bool:
        raise NotImplementedError

    def save_as(self) -> bool:
        raise NotImplementedError

    def export_comparison(self) -> bool:
        raise NotImplementedError

    def export_change(self) -> bool:
        raise NotImplementedError

    def copy_view(self) -> None:
        raise NotImplementedError

    def _step_slice(self, step: int) -> None:
        raise NotImplementedError

    def preferences(self) -> None:
        raise NotImplementedError

    def toggle_before_after(self) -> None:
        raise NotImplementedError

    def about(self) -> None:
        raise NotImplementedError
