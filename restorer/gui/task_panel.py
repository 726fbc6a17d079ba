"""The task panel: one section per registered task, built from its parameter description."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QElapsedTimer, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.i18n import lowered, tr, tr_task
from restorer.io.model_library import LibraryEntry
from restorer.tasks.base import ParamSpec, TaskSpec, param_specs
from restorer.tasks.user_model import CHANNEL_NAMES, KIND_TITLES, UserModelParams, kind_of

OPEN_MODEL = "<open>"  # the model box's last item: pick a file


def _set_number(box: QDoubleSpinBox | QSpinBox, value: float) -> None:
    if isinstance(box, QSpinBox):
        box.setValue(round(value))
    else:
        box.setValue(value)


class ParamControl(QWidget):
    """One editor for one ParamSpec; value() returns what the params dataclass takes."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.auto: QCheckBox | None = None
        self.editor: QWidget
        if spec.kind in ("float", "int"):
            box: QDoubleSpinBox | QSpinBox
            low = spec.minimum if spec.minimum is not None else -1e9
            high = spec.maximum if spec.maximum is not None else 1e9
            if spec.kind == "float":
                box = QDoubleSpinBox()
                box.setDecimals(1)
                box.setSingleStep(spec.step or 1.0)
                box.setRange(low, high)
            else:
                box = QSpinBox()
                box.setSingleStep(int(spec.step or 1))
                box.setRange(int(low), int(high))
            # An automatic parameter starts from the middle of its range when the user
            # unticks Auto.
            start = spec.default
            if start is None and spec.minimum is not None and spec.maximum is not None:
                start = (spec.minimum + spec.maximum) / 2
            if start is not None:
                _set_number(box, start)
            self.editor = box
        elif spec.kind == "choice":
            combo = QComboBox()
            for choice in spec.choices:
                combo.addItem(tr_task(str(spec.label_for(choice))), choice)
            combo.setCurrentIndex(combo.findData(spec.default))
            self.editor = combo
        elif spec.kind == "bool":
            check = QCheckBox()
            check.setChecked(bool(spec.default))
            self.editor = check
        else:
            raise ValueError(f"no editor for parameter kind {spec.kind!r}")
        self.editor.setToolTip(tr_task(spec.help))
        layout.addWidget(self.editor, 1)
        for signal_name in ("valueChanged", "currentIndexChanged", "toggled"):
            signal = getattr(self.editor, signal_name, None)
            if signal is not None:
                signal.connect(lambda *_: self.changed.emit())
        self._start = start if spec.kind in ("float", "int") else None
        self._estimate: float | None = None
        if spec.optional:
            self.auto = QCheckBox(tr("Auto"))
            self.auto.setToolTip(tr("Let Restorer choose ({why})").format(why=tr_task(spec.help)))
            self.auto.setChecked(spec.default is None)
            self.auto.toggled.connect(self._auto_toggled)
            self.auto.toggled.connect(lambda *_: self.changed.emit())
            layout.addWidget(self.auto)
            self._auto_toggled(self.auto.isChecked())

    def _auto_toggled(self, on: bool) -> None:
        """Greyed while automatic, showing what was chosen last time, or "auto" before any run
        (a greyed made-up number reads as the value in use)."""
        self.editor.setEnabled(not on)
        box = self.editor
        if not isinstance(box, QDoubleSpinBox | QSpinBox):
            return
        if on and self._estimate is None:
            box.setSpecialValueText(tr("auto"))
            _set_number(box, box.minimum())
            return
        box.setSpecialValueText("")
        value = self._estimate if self._estimate is not None else self._start
        if value is not None:
            _set_number(box, value)

    def show_estimate(self, value: float) -> None:
        """The value chosen automatically by the last run: shown while Auto is ticked, and the
        starting point when the user unticks it."""
        self._estimate = value
        if self.auto is not None and self.auto.isChecked():
            self._auto_toggled(True)

    def value(self) -> Any:
        if self.auto is not None and self.auto.isChecked():
            return None
        editor = self.editor
        if isinstance(editor, QDoubleSpinBox | QSpinBox):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        raise AssertionError("unreachable")


class MaskTools(QGroupBox):
    """Brush, eraser and mask commands, shown for tasks that take a mask."""

    toolChanged = Signal(str)  # "pan", "brush" or "eraser"
    brushSizeChanged = Signal(int)
    visibilityChanged = Signal(bool)
    action = Signal(str)  # clear, invert, detect, load, save

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Mask"), parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.tools = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for name, text, tip in (
            ("pan", tr("Pan"), tr("Drag to move the view")),
            ("brush", tr("Brush"), tr("Paint the areas to fill")),
            ("eraser", tr("Eraser"), tr("Remove paint from the mask")),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setObjectName(f"mask_{name}")
            self.tools.addButton(button)
            self.tool_buttons[name] = button
            row.addWidget(button)
            button.toggled.connect(partial(self._tool_toggled, name))
        self.tool_buttons["brush"].setChecked(True)
        layout.addLayout(row)
        size_row = QHBoxLayout()
        size_row.addWidget(QLabel(tr("Brush size")))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 400)
        # Cracks and scratches on old prints are 1-3 px wide: a 4 px brush covers one in a
        # stroke without painting over the detail beside it.
        self.brush_size.setValue(4)
        self.brush_size.setSuffix(" " + tr("px"))
        self.brush_size.valueChanged.connect(self.brushSizeChanged)
        size_row.addWidget(self.brush_size)
        layout.addLayout(size_row)
        self.show_mask = QCheckBox(tr("Show mask"))
        self.show_mask.setChecked(True)
        self.show_mask.toggled.connect(self.visibilityChanged)
        layout.addWidget(self.show_mask)
        grid = QHBoxLayout()
        for name, text in (("clear", tr("Clear")), ("invert", tr("Invert"))):
            edit = QPushButton(text)
            edit.setObjectName(f"mask_{name}")
            edit.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            grid.addWidget(edit)
        layout.addLayout(grid)
        detect = QPushButton(tr("Detect scratches && dust"))
        detect.setObjectName("mask_detect")
        detect.setToolTip(tr("Propose a mask of scratches and dust specks; edit it before filling"))
        detect.clicked.connect(lambda: self.action.emit("detect"))
        layout.addWidget(detect)
        files = QHBoxLayout()
        for name, text in (("load", tr("Load…")), ("save", tr("Save…"))):
            file_button = QPushButton(text)
            file_button.setObjectName(f"mask_{name}")
            file_button.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            files.addWidget(file_button)
        layout.addLayout(files)

    def _tool_toggled(self, name: str, on: bool) -> None:
        if on:
            self.toolChanged.emit(name)

    def current_tool(self) -> str:
        for name, button in self.tool_buttons.items():
            if button.isChecked():
                return name
        return "pan"


class TaskSection(QWidget):
    runRequested = Signal(object, object)  # TaskSpec, params
    paramsChanged = Signal()
    openModelRequested = Signal()

    def __init__(
        self, task: TaskSpec, user_task: TaskSpec | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.task = task
        # The task that runs the user's own model in this section's place, if it can.
        self.user_task = user_task
        layout = QVBoxLayout(self)
        about = QLabel(tr_task(task.description))
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        self.controls: list[ParamControl] = []
        self.network_box: QComboBox | None = None
        if user_task is not None:
            self.network_box = QComboBox()
            self.network_box.setObjectName(f"network_{task.name}")
            self.network_box.setToolTip(
                tr("The bundled model, or one of your own (File ▸ Open Model…)")
            )
            self.set_user_models([])
            self.network_box.activated.connect(self._network_chosen)
            form.addRow(tr("Network"), self.network_box)
        for spec in param_specs(task.params_type):
            control = ParamControl(spec)
            control.changed.connect(self.paramsChanged)
            label = QLabel(tr_task(spec.label))
            label.setToolTip(tr_task(spec.help))
            form.addRow(label, control)
            self.controls.append(control)
        layout.addLayout(form)
        self.mask_tools = MaskTools() if task.needs_mask else None
        if self.mask_tools is not None:
            layout.addWidget(self.mask_tools)
        self.run_button = QPushButton(tr("Run {task}").format(task=lowered(tr_task(task.title))))
        self.run_button.setObjectName(f"run_{task.name}")
        self.run_button.clicked.connect(self._run)
        layout.addWidget(self.run_button)
        layout.addStretch(1)

    def params(self) -> Any:
        return self.task.params_type(**{c.spec.name: c.value() for c in self.controls})

    def user_model_file(self) -> str | None:
        """The file of the user's model chosen in the Network box, or None (bundled)."""
        if self.network_box is None:
            return None
        data = self.network_box.currentData()
        return data if data not in (None, OPEN_MODEL) else None

    def request(self) -> tuple[TaskSpec, Any]:
        """What Run runs: this task, or the user's model chosen in the Network box."""
        chosen = self.user_model_file()
        if chosen is None or self.user_task is None:
            return self.task, self.params()
        return self.user_task, UserModelParams(model_file=Path(chosen))

    def set_user_models(self, entries: list[tuple[LibraryEntry, Path]], select: str = "") -> None:
        """Fill the Network box: the bundled model, the user's models of this task's kind,
        and Open Model…; the choice is kept by name (or `select` is chosen)."""
        box = self.network_box
        if box is None or self.user_task is None:
            return
        keep = select or (box.currentText() if box.currentData() not in (None, OPEN_MODEL) else "")
        box.blockSignals(True)
        box.clear()
        box.addItem(tr("Bundled"), None)
        kind = kind_of(self.user_task)
        for entry, path in entries:
            if entry.kind == kind:
                box.addItem(entry.name, str(path))
                box.setItemData(box.count() - 1, summary_text(entry), Qt.ItemDataRole.ToolTipRole)
        box.addItem(tr("Open Model…"), OPEN_MODEL)
        index = box.findText(keep) if keep else 0
        box.setCurrentIndex(max(0, index))
        box.blockSignals(False)
        self._show_network()

    def _network_chosen(self, _index: int) -> None:
        if self.network_box is not None and self.network_box.currentData() == OPEN_MODEL:
            self.network_box.setCurrentIndex(0)
            self.openModelRequested.emit()
        self._show_network()
        self.paramsChanged.emit()

    def _show_network(self) -> None:
        """The bundled model's settings do not apply to the user's own model: greyed."""
        bundled = self.user_model_file() is None
        for control in self.controls:
            control.setEnabled(bundled)

    def show_estimates(self, estimates: dict[str, float]) -> None:
        """Show the values a run chose for its automatic parameters."""
        for control in self.controls:
            if control.spec.name in estimates:
                control.show_estimate(estimates[control.spec.name])

    def _run(self) -> None:
        self.runRequested.emit(*self.request())


class TaskPanel(QWidget):
    """Sections, then the shared job controls: Cancel, progress, time, device."""

    runRequested = Signal(object, object)
    cancelRequested = Signal()
    openModelRequested = Signal()

    def __init__(
        self,
        tasks: tuple[TaskSpec, ...],
        user_tasks: dict[str, TaskSpec] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.toolbox = QToolBox()
        self.sections: dict[str, TaskSection] = {}
        for task in tasks:
            section = TaskSection(task, (user_tasks or {}).get(task.name))
            section.runRequested.connect(self.runRequested)
            section.openModelRequested.connect(self.openModelRequested)
            self.sections[task.name] = section
            self.toolbox.addItem(section, tr_task(task.title))
        layout.addWidget(self.toolbox, 1)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        # Shown only while a job runs (idle, an empty bar looks like a text box); its place is
        # kept, so that Cancel does not move.
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.setVisible(False)
        self.time_label = QLabel("")
        # Wrapped, so that a long message grows the panel downwards, not over the canvas.
        self.time_label.setWordWrap(True)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.device_label = QLabel("")
        self.device_label.setObjectName("device")
        self.device_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addWidget(self.time_label)
        layout.addWidget(self.device_label)

        self._clock = QElapsedTimer()
        self._fraction = 0.0
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)
        self._ticker.timeout.connect(self._update_time)

    def set_busy(self, busy: bool) -> None:
        for section in self.sections.values():
            section.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self._fraction = 0.0
            self.progress.setValue(0)
            self._clock.start()
            self._ticker.start()
            self._update_time()
        else:
            self._ticker.stop()

    def set_enabled_for_image(self, has_image: bool) -> None:
        for section in self.sections.values():
            section.run_button.setEnabled(has_image)

    def set_fraction(self, fraction: float) -> None:
        self._fraction = fraction
        self.progress.setValue(int(fraction * 1000))
        self._update_time()

    def finish(self, text: str) -> None:
        self.set_busy(False)
        self.time_label.setText(text)

    def clear_outcome(self) -> None:
        """Forget the last job's summary (another image or slice is shown)."""
        if not self.cancel_button.isEnabled():
            self.time_label.setText("")

    def set_device(self, text: str) -> None:
        self.device_label.setText(tr("Device: {device}").format(device=text))

    def _update_time(self) -> None:
        elapsed = self._clock.elapsed() / 1000.0
        text = tr("Elapsed {seconds} s").format(seconds=f"{elapsed:.1f}")
        if 0.02 < self._fraction < 1.0:
            remaining = elapsed * (1 - self._fraction) / self._fraction
            text += " · " + tr("about {seconds} s left").format(seconds=f"{remaining:.0f}")
        self.time_label.setText(text)

    def set_user_models(
        self, entries: list[tuple[LibraryEntry, Path]], select: LibraryEntry | None = None
    ) -> None:
        """Offer the user's models in every section that runs their kind; `select` is
        chosen in the first such section, which is shown."""
        shown = ""
        for name, section in self.sections.items():
            kind = kind_of(section.user_task) if section.user_task is not None else None
            chosen = select is not None and select.kind == kind and not shown
            section.set_user_models(entries, select.name if chosen and select else "")
            shown = name if chosen else shown
        if shown:
            self.show_task(shown)

    def current_section(self) -> TaskSection:
        return self.toolbox.currentWidget()  # type: ignore[return-value]

    def show_task(self, name: str) -> None:
        self.toolbox.setCurrentWidget(self.sections[name])

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), 280))
        return hint


def channel_text(channels: int) -> str:
    """A model's channels in words (restorer.tasks.user_model's), in the interface's
    language: only "gray" needs translating."""
    name = CHANNEL_NAMES.get(channels, str(channels))
    return tr("gray") if name == "gray" else name


def summary_text(entry: LibraryEntry) -> str:
    """One line about a library model, in the interface's language."""
    scale = f" ×{entry.scale}" if entry.scale > 1 else ""
    kind = tr_task(KIND_TITLES.get(entry.kind, entry.kind))
    return f"{entry.architecture}{scale} {kind}, {channel_text(entry.input_channels)}"
