"""The batch queue in the window: several files opened at once, one task applied to all.

The files are listed beside the canvas with thumbnails; "Apply to all" runs the current task
with its current settings on every file in the background, writing each result into a chosen
folder under a name pattern. What is queued and planned, and where each file stands, is
restorer.session.queue's; this module renders it and runs it on the worker thread.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSize, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from restorer.core.image import Image
from restorer.core.progress import Cancelled
from restorer.core.resample import resize
from restorer.gui.display import qimage_from_rgb, to_display_rgb
from restorer.gui.i18n import tr
from restorer.gui.worker import Cancellable
from restorer.io import ImageReadError, read_image
from restorer.io.batch import Job
from restorer.session.queue import DEFAULT_PATTERN, BatchQueue, ItemState, restore_one
from restorer.tasks.base import TaskSpec


class QueueWorker(QObject, Cancellable):
    """Runs one task over the jobs on the worker thread (the Progress protocol, like
    TaskWorker, so that the tiler reports and cancels through it)."""

    itemStarted = Signal(int)
    itemFinished = Signal(int, str)  # index, "" when written, else why not
    progressed = Signal(float)  # over the whole queue
    itemProgressed = Signal(int, int)  # index, percent of that file done
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(
        self, engine: Any, task: TaskSpec, params: Any, jobs: list[Job], quality: int
    ) -> None:
        QObject.__init__(self)
        Cancellable.__init__(self)
        self._engine, self._task, self._params = engine, task, params
        self._jobs, self._quality = jobs, quality
        self._index = 0
        self._percent = -1

    def set_progress(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        self.progressed.emit((self._index + fraction) / len(self._jobs))
        percent = int(fraction * 100)
        if percent != self._percent:  # one signal per percent, not per tile
            self._percent = percent
            self.itemProgressed.emit(self._index, percent)

    def message(self, text: str) -> None:
        pass  # per-file notes (the estimated noise level) would flood the queue

    @Slot()
    def run(self) -> None:
        try:
            for index, job in enumerate(self._jobs):
                self.check_aborted()
                self._index, self._percent = index, -1
                self.itemStarted.emit(index)
                self.itemFinished.emit(index, self._one(job))
                self.set_progress(1.0)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # the queue stops, the window stays usable
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.done.emit()

    def _one(self, job: Job) -> str:
        return restore_one(self._engine, self._task, self._params, job, self._quality, self)


THUMBNAIL_SIDE = 48


class ThumbnailWorker(QObject, Cancellable):
    """Small pictures of the queued files, made on a worker thread one by one (a file that
    cannot be read gets none; Apply to all reports why)."""

    made = Signal(int, object)  # index, uint8 RGB (h, w, 3)
    done = Signal()

    def __init__(self, sources: list[Path]) -> None:
        QObject.__init__(self)
        Cancellable.__init__(self)
        self._sources = list(sources)

    @Slot()
    def run(self) -> None:
        try:
            for index, source in enumerate(self._sources):
                if self._abort.is_set():
                    break
                try:
                    image = read_image(source)
                except (ImageReadError, MemoryError, ValueError):
                    continue
                self.made.emit(index, thumbnail_rgb(image))
        finally:
            self.done.emit()


def thumbnail_rgb(image: Image) -> np.ndarray:
    """The image reduced to THUMBNAIL_SIDE on its long side, as shown (CT windowed)."""
    scale = THUMBNAIL_SIDE / max(image.width, image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.with_pixels(resize(image.pixels, size), alpha=None) if scale < 1 else image
    return to_display_rgb(small, small.meta.extra.get("window") if small.is_ct else None)


class QueuePanel(QWidget):
    """The list of queued files, the output folder and name pattern, Apply to all."""

    applyRequested = Signal()
    openRequested = Signal(object)  # the index of the double-clicked file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = BatchQueue()  # what is queued and where each file stands
        self._default_folder = ""
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.list.itemDoubleClicked.connect(self._double_clicked)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(tr("Output folder"))
        browse = QPushButton(tr("Browse…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.pattern = QLineEdit(DEFAULT_PATTERN)
        self.pattern.setToolTip(tr("The name of each result: {name} is the file's own name"))
        layout.addWidget(self.pattern)
        self.apply_button = QPushButton(tr("Apply to all"))
        self.apply_button.setToolTip(tr("Run the open task, as set, on every file in the list"))
        self.apply_button.clicked.connect(self.applyRequested)
        layout.addWidget(self.apply_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._clock = time.monotonic()

    def set_defaults(self, folder: str, pattern: str) -> None:
        """The folder ("" = a "restored" folder beside the files) and pattern to start from."""
        self._default_folder = folder
        self.pattern.setText(pattern or DEFAULT_PATTERN)

    @property
    def sources(self) -> list[Path]:
        return self.queue.sources

    @property
    def targets(self) -> dict[int, Path]:
        """The results written this session, by the index of their file."""
        return self.queue.targets

    def set_sources(
        self, sources: list[Path], subfolders: Mapping[Path, Path] | None = None
    ) -> None:
        """Queue these files; subfolders: each file's folder below the folder it was opened
        with, kept below the output folder (see photos_to_queue)."""
        self.queue.set_sources(sources, subfolders)
        self.list.clear()
        for queued in self.queue.items:
            item = QListWidgetItem(queued.label)
            item.setToolTip(str(queued.source))
            self.list.addItem(item)
        if (beside := self.queue.default_folder) is not None:
            self.folder.setText(self._default_folder or str(beside))
        self.progress.setValue(0)
        self.status.setText(tr("{count} files").format(count=len(self.sources)))

    @Slot(int, object)
    def set_thumbnail(self, index: int, rgb: np.ndarray) -> None:
        if index < self.list.count():
            self.list.item(index).setIcon(QIcon(QPixmap.fromImage(qimage_from_rgb(rgb))))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Output folder"), self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _double_clicked(self, item: QListWidgetItem) -> None:
        self.openRequested.emit(self.list.row(item))

    def started(self) -> None:
        """Apply to all began with the queue's planned jobs."""
        self._clock = time.monotonic()
        self.apply_button.setEnabled(False)
        for index in range(self.list.count()):
            self._mark(index, "", QColor())
        self.progress.setValue(0)

    @Slot(int)
    def item_started(self, index: int) -> None:
        self.queue.started(index)
        self._mark(index, "… ", QColor())

    @Slot(int, int)
    def item_progress(self, index: int, percent: int) -> None:
        """The running file's own progress, beside its name."""
        item = self.queue.items[index]
        if item.state is ItemState.RUNNING:
            self.list.item(index).setText(f"… {percent} % {item.label}")

    @Slot(int, str)
    def item_finished(self, index: int, error: str) -> None:
        self.queue.finished(index, error)
        if error:
            self._mark(index, "✗ ", QColor(200, 40, 40), error)
        else:
            self._mark(index, "✓ ", QColor(), f"→ {self.queue.items[index].target}")

    @Slot(float)
    def set_fraction(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))
        elapsed = time.monotonic() - self._clock
        total = len(self.queue.jobs)
        done = round(fraction * total, 2)
        text = tr("{done} of {total} files").format(done=int(done), total=total)
        if 0.02 < fraction < 1.0:
            text += " · " + tr("about {seconds} s left").format(
                seconds=f"{elapsed * (1 - fraction) / fraction:.0f}"
            )
        self.status.setText(text)

    def finished(self, outcome: str) -> None:
        self.apply_button.setEnabled(True)
        text = tr("{count} written").format(count=len(self.targets))
        failed = self.queue.failed_names
        if failed:
            text += ", " + tr("{count} failed: {names}").format(
                count=len(failed), names=", ".join(failed)
            )
        self.status.setText(f"{outcome}: {text}" if outcome else text)

    def _mark(self, index: int, prefix: str, colour: QColor, tip: str = "") -> None:
        item = self.list.item(index)
        item.setText(prefix + self.queue.items[index].label)
        item.setForeground(QBrush(colour) if colour.isValid() else QBrush())
        item.setToolTip(tip or str(self.sources[index]))
