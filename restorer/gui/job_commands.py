"""The main window's jobs: the engine, a task on the worker thread and its outcome, and
Preferences (which choose the engine)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
)

from restorer.core.image import Image
from restorer.gui.display import (
    Display,
    make_display,
    resized_like,
)
from restorer.gui.i18n import refusal_text, tr, tr_note, tr_task
from restorer.gui.theme import apply_theme
from restorer.gui.window_base import WindowBase
from restorer.gui.worker import TaskWorker
from restorer.tasks.base import TaskSpec


class JobCommands(WindowBase):
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

    def release_idle_memory(self) -> None:
        """The engine's working memory back to the system, unless a job is using it."""
        if self._engine is not None and not self.runner.busy:
            self._engine.release_memory()

    def run_task(self, task: TaskSpec, params: Any) -> None:
        doc = self.document
        if doc is None or self.runner.busy:
            return
        if (refusal := refusal_text(task, doc.current)) is not None:
            QMessageBox.information(self, tr_task(task.title), refusal + ".")
            return
        if task.mask_input is not None:
            mask = doc.ensure_mask()
            if not mask.any() and task.needs_user_mask(params):
                self.statusBar().showMessage(
                    tr("Paint over the areas to fill first (or tick Find scratches and dust)"),
                    8000,
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
            self.statusBar().showMessage(tr("Wait for the running job to end first"), 8000)
            return None
        return self._engine_or_warning()

    def _engine_or_warning(self) -> Any:
        try:
            return self.engine()
        except Exception as exc:  # e.g. the chosen GPU is gone: say so, stay usable
            QMessageBox.warning(self, tr("Cannot start"), str(exc))
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
        self.statusBar().showMessage(
            tr("{task}: running on {device}…").format(
                task=tr_task(task.title), device=engine.device_name
            )
        )

    def _defects_found(self, result: Image, _extra: object) -> None:
        doc = self.document
        if doc is None:
            return
        found = result.pixels > 0.5
        self.session.add_to_mask(found, "Detect scratches and dust")
        from restorer.tasks.inpaint import detection_summary

        message = tr_note(detection_summary(float(found.mean())))
        self.panel.finish(message)
        self.statusBar().showMessage(message, 8000)

    def cancel_job(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.statusBar().showMessage(tr("Cancelling at the next tile…"))

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
        done = tr("{task} done in {seconds} s").format(
            task=tr_task(task.title), seconds=f"{seconds:.1f}"
        )
        summary = " · ".join([done, *self._job_notes])
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
        self.panel.finish(tr("Failed"))
        self.statusBar().showMessage(tr("The job failed"), 8000)
        QMessageBox.warning(self, tr("The job failed"), message)

    def _job_cancelled(self) -> None:
        self.panel.finish(tr("Cancelled"))
        self.statusBar().showMessage(tr("Cancelled"), 5000)

    def _job_ended(self) -> None:
        self._job_task = None
        self.panel.set_busy(False)
        self._update_actions()

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
            language=settings.language,
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
            language = str(dialog.language.currentData())
            if language != self.settings.language:
                self.settings.language = language
                self.statusBar().showMessage(tr("The language changes at the next start"), 8000)
            if dialog.chosen_theme() != self.settings.theme:
                self.settings.theme = dialog.chosen_theme()
                self.statusBar().showMessage(
                    tr(
                        "The appearance changes now; 'Follow the system' takes full effect "
                        "at the next start"
                    ),
                    8000,
                )
                apply_theme(QApplication.instance(), self.settings.theme)  # type: ignore[arg-type]
            if not self.runner.busy:
                self._engine = None  # rebuilt with the new choice at the next run
                self.engine()
