"""The window's side of users' own models: File ▸ Open Model… reads a model file in the
background (the engine detects its architecture through spandrel), shows what was found, and
copies it into the user's model library under a name; File ▸ Your Models… lists the library
and removes from it. The task panel's Network boxes offer the library's models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.i18n import N_, tr, tr_task
from restorer.gui.task_panel import TaskPanel, channel_text, summary_text
from restorer.io.model_library import LibraryEntry, ModelLibrary, ModelLibraryError
from restorer.models.descriptor import WEIGHT_SUFFIXES
from restorer.tasks.registry import WITH_USER_MODELS, get_task
from restorer.tasks.user_model import KIND_TITLES, kind_of, library_entry


def model_filter() -> str:
    suffixes = " ".join(f"*{s}" for s in WEIGHT_SUFFIXES)
    return f"{tr('Models')} ({suffixes});;{tr('All files')} (*)"


YOUR_WEIGHTS = N_(
    "You bring these weights: Restorer runs them but does not supply them. Check their "
    "licence before you publish what they make."
)


class AddModelDialog(QDialog):
    """What was found in a model file, and the name and notes it is kept under."""

    def __init__(self, found: str, use: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Add to your models"))
        form = QFormLayout()
        found_label = QLabel(found)
        found_label.setObjectName("found")
        found_label.setWordWrap(True)
        form.addRow(tr("Found"), found_label)
        form.addRow(tr("Use with"), QLabel(use))
        self.name = QLineEdit(name)
        self.name.setObjectName("model_name")
        form.addRow(tr("Name"), self.name)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("model_notes")
        self.notes.setPlaceholderText(tr("Where it came from, its licence, what it is good at"))
        self.notes.setFixedHeight(70)
        form.addRow(tr("Notes"), self.notes)
        licence = QLabel(tr(YOUR_WEIGHTS))
        licence.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(licence)
        layout.addWidget(buttons)


class LibraryDialog(QDialog):
    """The user's models: what each is, its notes, and Remove."""

    def __init__(self, controller: UserModels, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Your models"))
        self._controller = controller
        self.list = QListWidget()
        self.list.setObjectName("library_list")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.setObjectName("remove_model")
        self.remove_button.clicked.connect(self._remove)
        add = QPushButton(tr("Open Model…"))
        add.clicked.connect(controller.open_dialog)
        add.clicked.connect(self._fill)
        self.list.currentRowChanged.connect(self._show)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Kept in {folder}").format(folder=controller.library.folder)))
        layout.addWidget(self.list)
        layout.addWidget(self.details)
        layout.addLayout(row)
        layout.addWidget(QLabel(tr(YOUR_WEIGHTS)))
        layout.addWidget(buttons)
        self._entries: list[LibraryEntry] = []
        self._fill()

    def _fill(self) -> None:
        self._entries = self._controller.entries()
        self.list.clear()
        for entry in self._entries:
            self.list.addItem(entry.name)
        self.list.setCurrentRow(0 if self._entries else -1)
        self._show(self.list.currentRow())

    def _show(self, row: int) -> None:
        self.remove_button.setEnabled(0 <= row < len(self._entries))
        if not 0 <= row < len(self._entries):
            self.details.setText(tr("No models yet: File ▸ Open Model… adds one."))
            return
        entry = self._entries[row]
        notes = f"\n{entry.notes}" if entry.notes else ""
        self.details.setText(
            tr("{summary}, added {date}").format(summary=summary_text(entry), date=entry.added)
            + notes
        )

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._entries):
            self._controller.remove(self._entries[row].name)
            self._fill()


class UserModels:
    """Reads, adds and removes the user's models for the window; keeps its panel in step."""

    def __init__(
        self,
        window: QWidget,
        panel: TaskPanel,
        engine: Callable[[], Any],
        in_background: Callable[[str, Callable[[], Any]], Any],
        library: ModelLibrary | None = None,
    ) -> None:
        self._window = window
        self._panel = panel
        self._engine = engine  # the window's engine, made when first needed (or None)
        self._in_background = in_background
        self.library = library or ModelLibrary()
        self.refresh()

    def entries(self) -> list[LibraryEntry]:
        try:
            return self.library.entries()
        except ModelLibraryError as exc:
            QMessageBox.warning(self._window, tr("Your models"), str(exc))
            return []

    def refresh(self, select: LibraryEntry | None = None) -> None:
        entries = [(e, self.library.path_of(e)) for e in self.entries()]
        self._panel.set_user_models(entries, select)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._window, tr("Open model"), "", model_filter())
        if path:
            self.add(Path(path))

    def add(self, path: Path) -> LibraryEntry | None:
        """Read the model (in the background), ask for its name and notes, keep it; the
        entry, or None when it was refused or the user cancelled."""
        engine = self._engine()
        if engine is None:
            return None
        try:
            model = self._in_background(
                tr("Reading {name}…").format(name=path.name), lambda: engine.user_model(path)
            )
        except Exception as exc:  # unreadable, unknown architecture, not a model
            QMessageBox.warning(self._window, tr("Cannot use this model"), str(exc))
            return None
        found = tr("{architecture}{scale} {kind} model ({channels})").format(
            architecture=model.title,
            scale=f" ×{model.scale}" if model.scale > 1 else "",
            kind=tr_task(KIND_TITLES[model.task]),
            channels=channel_text(model.channels),
        )
        use = tr_task(task_title(model.task))
        dialog = AddModelDialog(found, use, path.stem, self._window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        wanted = library_entry(model, dialog.name.text().strip(), dialog.notes.toPlainText())
        try:
            entry = self._in_background(
                tr("Copying the model into your library…"), lambda: self.library.add(path, wanted)
            )
        except (ModelLibraryError, OSError) as exc:
            QMessageBox.warning(self._window, tr("Cannot add this model"), str(exc))
            return None
        self.refresh(select=entry)
        return entry

    def remove(self, name: str) -> None:
        try:
            self.library.remove(name)
        except (ModelLibraryError, OSError) as exc:
            QMessageBox.warning(self._window, tr("Cannot remove this model"), str(exc))
        self.refresh()

    def show_library(self) -> None:
        LibraryDialog(self, self._window).exec()


def task_title(kind: str) -> str:
    """The title of the first panel task that runs this kind of user model (Denoise for a
    restoration model), from the task registry."""
    name = next(name for name, runs in WITH_USER_MODELS.items() if kind_of(runs) == kind)
    return get_task(name).title
