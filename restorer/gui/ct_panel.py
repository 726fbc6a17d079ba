"""The CT panel: slice navigation, window/level presets and the main DICOM tags."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.i18n import N_, tr

# (name, center, width) as radiology viewers name them.
PRESETS = (
    (N_("Soft tissue"), 40.0, 400.0),
    (N_("Bone"), 400.0, 1800.0),
    (N_("Lung"), -600.0, 1500.0),
    (N_("Brain"), 40.0, 80.0),
)
TAGS = (
    ("PatientName", N_("Patient")),
    ("PatientID", N_("Patient ID")),
    ("StudyDate", N_("Study date")),
    ("StudyDescription", N_("Study")),
    ("SeriesDescription", N_("Series")),
    ("Manufacturer", N_("Scanner")),
    ("KVP", "kVp"),
    ("SliceThickness", N_("Slice thickness")),
    ("PixelSpacing", N_("Pixel spacing")),
    ("ConvolutionKernel", N_("Kernel")),
    ("RescaleSlope", N_("Rescale slope")),
    ("RescaleIntercept", N_("Rescale intercept")),
)


TAG_ROWS_SHOWN = 4


class CTPanel(QWidget):
    sliceChanged = Signal(int)
    windowChanged = Signal(float, float)  # center, width

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("slice_slider")
        self.slider.valueChanged.connect(self._slice_moved)
        self.slice_label = QLabel("")
        row.addWidget(QLabel(tr("Slice")))
        row.addWidget(self.slider, 1)
        row.addWidget(self.slice_label)
        layout.addLayout(row)
        form = QFormLayout()
        self.preset = QComboBox()
        self.preset.setObjectName("window_preset")
        self.preset.addItem(tr("From the file"), None)
        for name, center, width in PRESETS:
            self.preset.addItem(f"{tr(name)} ({center:g}/{width:g})", (center, width))
        # Shown when the window matches no preset (dragged or typed); not offered as a choice.
        self.preset.addItem(tr("Custom"), "custom")
        self._custom_row = self.preset.count() - 1
        model = self.preset.model()
        assert isinstance(model, QStandardItemModel)  # a combo box's own model
        model.item(self._custom_row).setEnabled(False)
        self.preset.activated.connect(self._preset_chosen)
        form.addRow(tr("Window"), self.preset)
        self.center = QDoubleSpinBox()
        self.width_box = QDoubleSpinBox()
        for box, lo, hi in ((self.center, -2000, 4000), (self.width_box, 1, 8000)):
            box.setRange(lo, hi)
            box.setDecimals(0)
            box.setSingleStep(10)
            box.editingFinished.connect(self._typed)
        form.addRow(tr("Level (HU)"), self.center)
        form.addRow(tr("Width (HU)"), self.width_box)
        layout.addLayout(form)
        hint = QLabel(
            tr("Right-drag on the image: left/right changes the width, up/down the level.")
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.tags = QTableWidget(0, 2)
        self.tags.setHorizontalHeaderLabels([tr("Tag"), tr("Value")])
        self.tags.horizontalHeader().setStretchLastSection(True)
        self.tags.verticalHeader().setVisible(False)
        self.tags.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # Room for the main tags at once: squeezed under the task panel it showed two rows.
        rows = TAG_ROWS_SHOWN * self.tags.verticalHeader().defaultSectionSize()
        self.tags.setMinimumHeight(rows + self.tags.horizontalHeader().sizeHint().height() + 4)
        layout.addWidget(self.tags, 1)
        self._file_window: tuple[float, float] = (40.0, 400.0)

    def set_stack(self, count: int, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(index)
        self.slider.setEnabled(count > 1)
        self.slider.blockSignals(False)
        self.slice_label.setText(f"{index + 1} / {count}")

    def set_window(self, center: float, width: float, from_file: bool = False) -> None:
        if from_file:
            self._file_window = (center, width)
        self.center.setValue(center)
        self.width_box.setValue(width)
        self.preset.setCurrentIndex(self._row_for(center, width))

    def _row_for(self, center: float, width: float) -> int:
        """The preset row that names this window: the file's, a preset, or Custom."""
        if (center, width) == self._file_window:
            return 0
        for row in range(1, self._custom_row):
            if self.preset.itemData(row) == (center, width):
                return row
        return self._custom_row

    def set_dataset(self, ds: Any) -> None:
        rows = [(label, str(getattr(ds, key, "") or "")) for key, label in TAGS]
        rows = [(label, value) for label, value in rows if value]
        self.tags.setRowCount(len(rows))
        for i, (label, value) in enumerate(rows):
            self.tags.setItem(i, 0, QTableWidgetItem(tr(label)))
            self.tags.setItem(i, 1, QTableWidgetItem(value))

    def _slice_moved(self, index: int) -> None:
        self.slice_label.setText(f"{index + 1} / {self.slider.maximum() + 1}")
        self.sliceChanged.emit(index)

    def _preset_chosen(self, row: int) -> None:
        data = self.preset.itemData(row)
        center, width = data if data is not None else self._file_window
        self.set_window(center, width)
        self.windowChanged.emit(center, width)

    def _typed(self) -> None:
        center, width = self.center.value(), self.width_box.value()
        self.preset.setCurrentIndex(self._row_for(center, width))
        self.windowChanged.emit(center, width)
