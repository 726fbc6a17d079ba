"""Preferences and About."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from restorer import __version__
from restorer.gui.i18n import LANGUAGES, tr
from restorer.gui.theme import THEMES
from restorer.models.descriptor import ModelDescriptor


class PreferencesDialog(QDialog):
    def __init__(
        self,
        devices: list[str],
        device: str,
        tile: int,
        theme: str = "system",
        parent: QWidget | None = None,
        *,
        precision: str = "auto",
        backend: str = "auto",
        jpeg_quality: int = 95,
        queue_folder: str = "",
        queue_pattern: str = "{name}_restored",
        language: str = "system",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Preferences"))
        form = QFormLayout()
        self.device = QComboBox()
        self.device.addItem(tr("Automatic (GPU when present)"), "auto")
        names = {"cuda": tr("NVIDIA GPU (CUDA)"), "mps": tr("Apple GPU (MPS)"), "cpu": "CPU"}
        for d in devices:
            self.device.addItem(names.get(d, d), d)
        index = self.device.findData(device)
        self.device.setCurrentIndex(max(0, index))
        form.addRow(tr("Run models on"), self.device)
        self.tile = QSpinBox()
        self.tile.setRange(0, 8192)
        self.tile.setSingleStep(128)
        self.tile.setSpecialValueText(tr("Model default"))
        self.tile.setValue(tile)
        self.tile.setToolTip(
            tr("Smaller tiles use less memory; out-of-memory errors halve them automatically.")
        )
        form.addRow(tr("Tile size (pixels)"), self.tile)
        self.precision = QComboBox()
        self.precision.addItem(tr("Automatic (reduced where it is as good and faster)"), "auto")
        self.precision.addItem(tr("Full (float32 everywhere)"), "float32")
        self.precision.setCurrentIndex(max(0, self.precision.findData(precision)))
        self.precision.setToolTip(
            tr(
                "Automatic: float16 on NVIDIA GPUs, bfloat16 on CPUs with AVX-512 bf16 or AMX, "
                "for the models that allow it, within about 1/255 of full precision; on the "
                "CPU with OpenVINO, the int8 versions some models ship, measured as good."
            )
        )
        form.addRow(tr("Precision"), self.precision)
        self.backend = QComboBox()
        self.backend.setObjectName("backend")
        self.backend.addItem(tr("Automatic (OpenVINO when installed)"), "auto")
        self.backend.addItem("OpenVINO", "openvino")
        self.backend.addItem("PyTorch", "torch")
        self.backend.setCurrentIndex(max(0, self.backend.findData(backend)))
        self.backend.setToolTip(
            tr(
                "What runs the models on the CPU. OpenVINO is 1.2-2.5x faster than PyTorch on "
                "most CPUs; GPUs always use PyTorch."
            )
        )
        form.addRow(tr("CPU runtime"), self.backend)
        self.jpeg_quality = QSpinBox()
        self.jpeg_quality.setRange(1, 100)
        self.jpeg_quality.setValue(jpeg_quality)
        form.addRow(tr("JPEG and WebP quality"), self.jpeg_quality)
        self.queue_folder = QLineEdit(queue_folder)
        self.queue_folder.setPlaceholderText(tr("a 'restored' folder beside the files"))
        form.addRow(tr("Queue output folder"), self.queue_folder)
        self.queue_pattern = QLineEdit(queue_pattern)
        self.queue_pattern.setToolTip(tr("{name} is each file's own name"))
        form.addRow(tr("Queue name pattern"), self.queue_pattern)
        self.theme = QComboBox()
        for key, label in THEMES.items():
            self.theme.addItem(tr(label), key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(theme)))
        form.addRow(tr("Appearance"), self.theme)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for key, label in LANGUAGES.items():
            self.language.addItem(tr(label) if key == "system" else label, key)
        self.language.setCurrentIndex(max(0, self.language.findData(language)))
        self.language.setToolTip(tr("Takes effect at the next start"))
        form.addRow(tr("Language"), self.language)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        offline = QLabel(
            tr(
                "Restorer works offline: its models are installed with it, and it never "
                "connects to the internet — nothing is downloaded, checked or sent."
            )
        )
        offline.setWordWrap(True)
        offline.setObjectName("offline")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(offline)
        layout.addWidget(buttons)

    def chosen_device(self) -> str:
        return str(self.device.currentData())

    def chosen_theme(self) -> str:
        return str(self.theme.currentData())


def about_text(models: tuple[ModelDescriptor, ...]) -> str:
    rows = "".join(
        f"<tr><td>{m.title or m.id}</td><td>{m.task}</td><td>{m.license}</td></tr>" for m in models
    )
    bundled = tr(
        "<b>Bundled models</b> — trained by the Restorer project on research image sets "
        "(see the model cards in resources/models/manifest.json):"
    )
    built_with = tr(
        "Built with PySide6 (LGPLv3), PyTorch (BSD), NumPy, Pillow, tifffile, imagecodecs, "
        "simplejpeg (libjpeg-turbo), pydicom, safetensors and spandrel."
    )
    head = "".join(f"<th align='left'>{h}</th>" for h in (tr("Model"), tr("Task"), tr("Licence")))
    return (
        f"<h3>Restorer {__version__}</h3>"
        f"<p>{tr('Offline restoration of photographs, scans and CT images.')}</p>"
        f"<p>{bundled}</p>"
        f"<table cellspacing='6'><tr>{head}</tr>{rows}</table>"
        f"<p>{built_with}</p>"
        f"<p>{tr('Processed CT images are not for diagnostic use.')}</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, models: tuple[ModelDescriptor, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("About Restorer"))
        label = QLabel(about_text(models))
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
