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
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout()
        self.device = QComboBox()
        self.device.addItem("Automatic (GPU when present)", "auto")
        names = {"cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (MPS)", "cpu": "CPU"}
        for d in devices:
            self.device.addItem(names.get(d, d), d)
        index = self.device.findData(device)
        self.device.setCurrentIndex(max(0, index))
        form.addRow("Run models on", self.device)
        self.tile = QSpinBox()
        self.tile.setRange(0, 8192)
        self.tile.setSingleStep(128)
        self.tile.setSpecialValueText("Model default")
        self.tile.setValue(tile)
        self.tile.setToolTip(
            "Smaller tiles use less memory; out-of-memory errors halve them automatically."
        )
        form.addRow("Tile size (pixels)", self.tile)
        self.precision = QComboBox()
        self.precision.addItem("Automatic (reduced where it is as good and faster)", "auto")
        self.precision.addItem("Full (float32 everywhere)", "float32")
        self.precision.setCurrentIndex(max(0, self.precision.findData(precision)))
        self.precision.setToolTip(
            "Automatic: float16 on NVIDIA GPUs, bfloat16 on CPUs with AVX-512 bf16 or AMX, for "
            "the models that allow it, within about 1/255 of full precision."
        )
        form.addRow("Precision", self.precision)
        self.backend = QComboBox()
        self.backend.setObjectName("backend")
        self.backend.addItem("Automatic (OpenVINO when installed)", "auto")
        self.backend.addItem("OpenVINO", "openvino")
        self.backend.addItem("PyTorch", "torch")
        self.backend.setCurrentIndex(max(0, self.backend.findData(backend)))
        self.backend.setToolTip(
            "What runs the models on the CPU. OpenVINO is 1.2-2.5x faster than PyTorch on "
            "most CPUs; GPUs always use PyTorch."
        )
        form.addRow("CPU runtime", self.backend)
        self.jpeg_quality = QSpinBox()
        self.jpeg_quality.setRange(1, 100)
        self.jpeg_quality.setValue(jpeg_quality)
        form.addRow("JPEG and WebP quality", self.jpeg_quality)
        self.queue_folder = QLineEdit(queue_folder)
        self.queue_folder.setPlaceholderText("a 'restored' folder beside the files")
        form.addRow("Queue output folder", self.queue_folder)
        self.queue_pattern = QLineEdit(queue_pattern)
        self.queue_pattern.setToolTip("{name} is each file's own name")
        form.addRow("Queue name pattern", self.queue_pattern)
        self.theme = QComboBox()
        for key, label in THEMES.items():
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(theme)))
        form.addRow("Appearance", self.theme)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        offline = QLabel(
            "Restorer works offline: its models are installed with it, and it never connects "
            "to the internet — nothing is downloaded, checked or sent."
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
    return (
        f"<h3>Restorer {__version__}</h3>"
        "<p>Offline restoration of photographs, scans and CT images.</p>"
        "<p><b>Bundled models</b> — trained by the Restorer project on research image sets "
        "(see the model cards in resources/models/manifest.json):</p>"
        f"<table cellspacing='6'><tr><th align='left'>Model</th><th align='left'>Task</th>"
        f"<th align='left'>Licence</th></tr>{rows}</table>"
        "<p>Built with PySide6 (LGPLv3), PyTorch (BSD), NumPy, Pillow, tifffile, imagecodecs, "
        "simplejpeg (libjpeg-turbo), pydicom and safetensors.</p>"
        "<p>Processed CT images are not for diagnostic use.</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, models: tuple[ModelDescriptor, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Restorer")
        label = QLabel(about_text(models))
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
