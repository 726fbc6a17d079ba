"""The user's own models in the window: File ▸ Open Model…, the Network box, a run, and the
library dialog (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from restorer.gui.main_window import MainWindow
from restorer.gui.user_models import AddModelDialog, LibraryDialog
from restorer.io.model_library import ModelLibrary
from tests.spandrel_helpers import save_models

JOB_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return save_models(tmp_path_factory.mktemp("gui-models"), ("esrgan_x2.pth", "nafnet.pth"))


def _open_model(monkeypatch: pytest.MonkeyPatch, win: MainWindow, path: Path, name: str) -> str:
    """File ▸ Open Model… on path, named `name` in the dialog; what the dialog said it found."""
    found: list[str] = []

    def accept(dialog: AddModelDialog) -> QDialog.DialogCode:
        found.append(dialog.findChild(QLabel, "found").text())
        dialog.name.setText(name)
        dialog.notes.setPlainText("random weights, for the test")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AddModelDialog, "exec", accept)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    win.open_model_action.trigger()
    return found[0] if found else ""


def test_open_a_model_pick_it_and_run_it(
    qtbot: QtBot,
    window: MainWindow,
    model_files: dict[str, Path],
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = _open_model(monkeypatch, window, model_files["esrgan_x2.pth"], "Tiny ESRGAN")
    assert found == "ESRGAN ×2 super-resolution model (RGB)"
    upscale = window.panel.sections["super_resolve"]
    box = upscale.network_box
    assert box is not None and box.currentText() == "Tiny ESRGAN"
    assert window.panel.current_section() is upscale
    # The bundled model's settings do not apply to the user's model.
    assert not any(control.isEnabled() for control in upscale.controls)
    # A restoration box does not offer a super-resolution model.
    denoise_box = window.panel.sections["denoise"].network_box
    assert denoise_box is not None and denoise_box.findText("Tiny ESRGAN") == -1
    entry = ModelLibrary().find("Tiny ESRGAN")
    assert entry is not None and entry.notes == "random weights, for the test"

    assert window.open_file(samples / "camera.png")
    before = window.document.current  # type: ignore[union-attr]
    qtbot.mouseClick(upscale.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    after = window.document.current  # type: ignore[union-attr]
    assert (after.width, after.height) == (2 * before.width, 2 * before.height)
    assert "Super-resolve with your model done" in window.panel.time_label.text()
    # The device line says what ran it: PyTorch, not the bundled models' OpenVINO.
    assert "PyTorch" in window.panel.device_label.text()

    # Back to the bundled model: its settings are live again.
    box.setCurrentIndex(0)
    box.activated.emit(0)
    assert all(control.isEnabled() for control in upscale.controls)


def test_a_file_that_is_not_a_model_is_refused_with_a_message(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text, *a: seen.append(text))
    bogus = tmp_path / "bogus.pth"
    bogus.write_bytes(np.random.default_rng(0).bytes(1000))
    assert _open_model(monkeypatch, window, bogus, "never") == ""
    assert seen and "not a plain weights file" in seen[0]
    assert ModelLibrary().entries() == []


def test_the_library_dialog_removes_a_model(
    qtbot: QtBot, window: MainWindow, model_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_model(monkeypatch, window, model_files["nafnet.pth"], "Naf")
    box = window.panel.sections["denoise"].network_box
    assert box is not None and box.currentText() == "Naf"
    jpeg_box = window.panel.sections["jpeg"].network_box
    assert jpeg_box is not None and jpeg_box.findText("Naf") > 0
    dialog = LibraryDialog(window.user_models, window)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1 and "NAFNet" in dialog.details.text()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.list.count() == 0 and not dialog.remove_button.isEnabled()
    assert box.findText("Naf") == -1 and box.currentText() == "Bundled"
    assert ModelLibrary().entries() == []
