"""The main window's queue: several files, their thumbnails, Apply to all, and opening a
queued file with its result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QMessageBox

from restorer.gui.i18n import tr, tr_task
from restorer.gui.queue import QueueWorker, ThumbnailWorker
from restorer.gui.window_base import WindowBase
from restorer.io import ImageReadError, read_image
from restorer.io.batch import UsageError, make_output_folders
from restorer.session.queue import photos_to_queue


class QueueCommands(WindowBase):
    def open_files(self, paths: list[Path]) -> None:
        """One file opens; several (or a folder of photos, with the photos in the folders
        below it) fill the queue, and the first opens. A folder of DICOM files opens as a
        series."""
        # The folder in the queue panel, if results went there, is left out too.
        shown = self.queue_panel.folder.text().strip()
        also = [Path(shown).expanduser()] if shown else []
        folders = [path for path in paths if path.is_dir()]

        def listing() -> dict[Path, Path]:
            return photos_to_queue(paths, self.settings.queue_folder, also)

        # An archive's tree may hold thousands of folders, on a network drive: the window
        # keeps painting while they are listed.
        looking = tr("Looking for photos in {name}…")
        queued = (
            self._in_background(looking.format(name=folders[0].name), listing)
            if folders
            else listing()
        )
        expanded = list(queued)
        if len(expanded) > 1:
            self.queue_panel.set_sources(expanded, queued)
            self.queue_dock.show()
            self._make_thumbnails(expanded)
            self.statusBar().showMessage(
                tr("{count} files in the queue: Apply to all runs the open task on each").format(
                    count=len(expanded)
                ),
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
                tr("Apply to all"),
                tr(
                    "{task} needs a mask for each file: tick 'Find scratches and dust' to "
                    "have each file's mask found, or fill the files one by one."
                ).format(task=tr_task(task.title)),
            )
            return
        folder = Path(self.queue_panel.folder.text()).expanduser()
        try:
            jobs = self.queue_panel.queue.plan(folder, self.queue_panel.pattern.text())
            make_output_folders(jobs, folder)  # with the folders below it that files came from
        except (UsageError, OSError) as exc:
            QMessageBox.warning(self, tr("Apply to all"), str(exc))
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
        self.queue_panel.started()
        self.runner.start(worker)
        self.runner.finished.connect(self._queue_ended, Qt.ConnectionType.UniqueConnection)
        self.panel.set_busy(True)
        self._update_actions()
        self.statusBar().showMessage(
            tr("{task}: {count} files on {device}…").format(
                task=tr_task(task.title), count=len(jobs), device=engine.device_name
            )
        )

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
            result = self._in_background(
                tr("Opening {name}…").format(name=target.name), lambda: read_image(target)
            )
        except ImageReadError as exc:
            QMessageBox.warning(self, tr("Cannot open the result"), str(exc))
            return
        self.session.add_saved_result(
            result, tr("Result in {folder}").format(folder=target.parent.name)
        )
