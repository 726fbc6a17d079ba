"""The window, driven as a user drives it (pytest-qt, offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QToolButton
from pytestqt.qtbot import QtBot

from restorer.core.ops import psnr
from restorer.gui.canvas import ViewMode
from restorer.gui.main_window import MainWindow
from restorer.io import read_image, write_image
from restorer.io.convert import float_to_integer

JOB_TIMEOUT_MS = 120_000


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def record(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        seen.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", record)
    return seen


def _run_denoise(qtbot: QtBot, win: MainWindow) -> None:
    button = win.panel.sections["denoise"].run_button
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=JOB_TIMEOUT_MS)


def test_signals_and_background_calls_keep_their_references(qtbot: QtBot) -> None:
    """PySide6 6.12.0 dropped a reference to True at every Signal.emit. On Python 3.11 the
    window then aborted ("Fatal Python error: bool_dealloc") once about 3,000 were gone:
    measured, a small denoise lost 12, a file opened 5 (pyproject excludes that version).
    The background calls that open and save files must also end their threads before the
    threads are deleted (Qt aborted with "QThread: Destroyed while thread 'CallWorker' is
    still running" in 1 run of this module in 2-6 under load)."""
    import sys

    from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

    from restorer.gui.worker import call_in_background

    class Emitter(QObject):
        ended = Signal()
        counted = Signal(int)

    emitter = Emitter()
    emitter.counted.connect(lambda n: None)
    before = sys.getrefcount(True)
    for n in range(1000):
        emitter.ended.emit()
        emitter.counted.emit(n)
    for n in range(200):
        assert call_in_background(lambda n=n: n) == n
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert abs(sys.getrefcount(True) - before) < 50


def test_open_denoise_compare_undo_save_reload(
    qtbot: QtBot, window: MainWindow, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.open_file(samples / "chelsea_noisy.png")
    assert window.canvas.has_image() and "chelsea_noisy.png" in window.windowTitle()
    _run_denoise(qtbot, window)
    doc = window.document
    assert doc is not None and doc.has_result and window.history.count() == 1
    clean = read_image(samples / "chelsea.png").pixels
    assert psnr(clean, doc.current.pixels) > psnr(clean, doc.original.pixels) + 5
    assert window.windowTitle().startswith("chelsea_noisy.png *")
    # What the job reported stays beside its time once it is done.
    summary = window.panel.time_label.text()
    assert "done in" in summary and "Estimated noise level σ" in summary

    # Drag the split line from the middle to a quarter of the width.
    canvas = window.canvas
    start = QPoint(int(canvas.split_x()), canvas.height() // 2)
    target = QPoint(canvas.width() // 4, canvas.height() // 2)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, target)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=target)
    assert canvas.split_x() == pytest.approx(canvas.width() / 4, abs=2)

    # B toggles the whole view between before and after.
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.mode is ViewMode.BEFORE
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.mode is ViewMode.AFTER
    window.set_view_mode(ViewMode.DIFFERENCE)
    canvas.repaint()

    # Undo and redo through the shortcuts.
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not doc.has_result
    qtbot.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert doc.has_result

    out = tmp_path / "result.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG (*.png)"))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("8 bits per sample", True))
    assert window.save_as()
    assert window.history.isClean() and not window.windowTitle().endswith("* — Restorer")
    reloaded = read_image(out)
    np.testing.assert_array_equal(
        float_to_integer(reloaded.pixels, 8), float_to_integer(doc.current.pixels, 8)
    )


def test_steps_chain_and_sixteen_bit_save(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    img = read_image(Path(__file__).parent.parent / "resources/samples/camera.png")
    noisy = img.with_pixels(
        np.clip(img.pixels + rng.normal(0, 0.08, img.pixels.shape), 0, 1).astype(np.float32)
    )
    src = tmp_path / "noisy16.tif"
    write_image(noisy, src, bit_depth=16)
    window.open_file(src)
    _run_denoise(qtbot, window)
    first = window.document.current
    _run_denoise(qtbot, window)
    assert window.history.count() == 2
    assert window.document.steps[0] is first  # the second run worked on the first result
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *a, **k: (str(tmp_path / "out.tif"), "TIFF (*.tif *.tiff)"),
    )
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("16 bits per sample", True))
    assert window.save_as()
    assert read_image(tmp_path / "out.tif").meta.bit_depth == 16


def test_an_idle_window_gives_the_engines_memory_back_after_a_job(
    qtbot: QtBot, window: MainWindow, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(samples / "chelsea_noisy.png")
    engine = window.engine()
    released: list[bool] = []  # whether a job was running when the memory went back
    monkeypatch.setattr(engine, "release_memory", lambda: released.append(window.runner.busy))
    window.idle_release.setInterval(50)
    _run_denoise(qtbot, window)
    qtbot.waitUntil(lambda: bool(released), timeout=5000)
    assert released == [False]
    # Another job before the wait is over keeps it: the timer starts again from its end.
    window.idle_release.setInterval(60_000)
    _run_denoise(qtbot, window)
    assert window.idle_release.isActive()
    window.idle_release.setInterval(50)
    window.idle_release.start()
    qtbot.waitUntil(lambda: len(released) == 2, timeout=5000)
    assert released == [False, False]


def test_cancel_a_running_job(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    big = np.random.default_rng(1).random((1600, 1600, 3)).astype(np.float32)
    from restorer.core.image import Image

    write_image(Image(big), tmp_path / "big.png")
    window.settings.tile = 160  # many small tiles: the job lasts long enough to cancel
    window._engine = None
    window.open_file(tmp_path / "big.png")
    qtbot.mouseClick(window.panel.sections["denoise"].run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.panel.progress.value() > 0, timeout=JOB_TIMEOUT_MS)
    qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    assert window.history.count() == 0
    assert window.panel.time_label.text() == "Cancelled"
    assert window.panel.sections["denoise"].run_button.isEnabled()


def test_closing_during_a_job_cancels_it(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    from restorer.core.image import Image

    write_image(
        Image(np.random.default_rng(2).random((1600, 1600)).astype(np.float32)),
        tmp_path / "big.png",
    )
    window.settings.tile = 160
    window.open_file(tmp_path / "big.png")
    qtbot.mouseClick(window.panel.sections["denoise"].run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.panel.progress.value() > 0, timeout=JOB_TIMEOUT_MS)
    window.close()
    assert not window.runner.busy
    assert not window.isVisible()


def test_corrupt_file_gives_a_message_and_the_window_stays_usable(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, samples: Path, warnings: list[str]
) -> None:
    bad = tmp_path / "broken.png"
    data = (samples / "camera.png").read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    assert not window.open_file(bad)
    assert warnings and "truncated" in warnings[0]
    assert window.document is None
    assert window.open_file(samples / "camera.png")


def test_pixel_readout_and_zoom(qtbot: QtBot, window: MainWindow, samples: Path) -> None:
    window.open_file(samples / "ct_small.dcm")
    canvas = window.canvas
    qtbot.mouseMove(canvas, QPoint(canvas.width() // 2, canvas.height() // 2))
    qtbot.waitUntil(lambda: "HU" in window.pixel_label.text())
    before = canvas.zoom_percent
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.zoom_percent == pytest.approx(before * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.zoom_percent == pytest.approx(100)
    qtbot.keyClick(canvas, Qt.Key.Key_F)
    assert canvas.zoom_percent == pytest.approx(before)


def test_status_tips_do_not_show_mnemonic_ampersands(window: MainWindow) -> None:
    tips = [a.statusTip() for a in window.actions()]
    assert "Open…" in tips
    assert not [t for t in tips if "&" in t.replace("&&", "")]


def test_task_panel_is_built_from_the_parameter_description(window: MainWindow) -> None:
    section = window.panel.sections["denoise"]
    strength = section.controls[0]
    assert strength.spec.name == "strength" and strength.auto is None
    assert section.params().strength == 1.0
    strength.editor.setValue(1.5)
    assert section.params().strength == 1.5
    control = section.controls[1]
    assert control.spec.name == "sigma" and control.auto is not None
    assert section.params().sigma is None
    control.auto.setChecked(False)
    control.editor.setValue(30)
    assert section.params().sigma == 30
    passes = section.controls[2]
    assert passes.spec.name == "passes" and section.params().passes == 1
    passes.editor.setCurrentIndex(passes.editor.findData(8))
    assert section.params().passes == 8


def test_settings_remember_recent_files(window: MainWindow, samples: Path) -> None:
    window.open_file(samples / "camera.png")
    window.open_file(samples / "chelsea.png")
    assert window.settings.recent_files()[:2] == [samples / "chelsea.png", samples / "camera.png"]


def test_paint_a_mask_and_fill_it(
    qtbot: QtBot, window: MainWindow, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_file(samples / "coffee.png")
    window.panel.show_task("inpaint")
    section = window.panel.sections["inpaint"]
    tools = section.mask_tools
    assert tools is not None and window.canvas.tool.value == "brush"
    tools.brush_size.setValue(20)
    canvas = window.canvas
    y = canvas.height() // 2
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() // 3, y))
    for x in range(canvas.width() // 3, canvas.width() // 2, 10):
        qtbot.mouseMove(canvas, QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() // 2, y))
    mask = window.document.mask
    painted = int(mask.sum())
    assert painted > 500
    assert window.history.undoText() == "Paint mask"

    # The eraser removes paint; undo brings it back.
    tools.tool_buttons["eraser"].click()
    x = canvas.width() // 3 + 40
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert 0 < mask.sum() < painted
    window.history.undo()
    assert mask.sum() == painted

    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mask.png"), "PNG (*.png)")
    )
    tools.action.emit("save")
    saved = read_image(tmp_path / "mask.png").pixels > 0.5
    assert saved.sum() == painted

    tools.action.emit("invert")
    assert mask.sum() == mask.size - painted
    window.history.undo()
    assert mask.sum() == painted

    original = window.document.current.pixels.copy()
    _run_denoise_like(qtbot, window, "inpaint")
    result = window.document.current.pixels
    outside = saved == 0
    np.testing.assert_array_equal(result[outside], original[outside])
    assert not np.array_equal(result[~outside], original[~outside])
    assert window.document.mask.sum() == 0  # filled holes leave the mask
    window.history.undo()  # one undo brings back the image and the mask together
    assert window.document.mask.sum() == painted and not window.document.has_result


def test_detect_proposes_an_editable_mask(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, samples: Path
) -> None:
    from restorer.physics.masks import scan_defects

    image = read_image(samples / "coffee.png")
    damaged, _truth = scan_defects(image.pixels, np.random.default_rng(4))
    write_image(image.with_pixels(damaged), tmp_path / "scan.png")
    window.open_file(tmp_path / "scan.png")
    window.panel.show_task("inpaint")
    window.panel.sections["inpaint"].mask_tools.action.emit("detect")
    assert window.runner.busy  # the network runs on the job thread, not in the window's
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    assert window.document.mask.sum() > 100
    assert window.history.undoText() == "Detect scratches and dust"


def test_a_long_message_does_not_squeeze_the_canvas(
    qtbot: QtBot, window: MainWindow, samples: Path
) -> None:
    from restorer.tasks.inpaint import detection_summary

    window.open_file(samples / "coffee.png")
    qtbot.wait(50)
    before = window.canvas.width()
    window.panel.finish(detection_summary(0.242))  # the longest message the panel shows
    qtbot.wait(50)
    assert window.canvas.width() >= before - 2
    assert "24.20%" in window.panel.time_label.text()


def _run_denoise_like(qtbot: QtBot, win: MainWindow, task: str) -> None:
    button = win.panel.sections[task].run_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=JOB_TIMEOUT_MS)


def test_ct_series_slices_windows_and_metal_reduction(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from tests.ct_helpers import write_series

    write_series(tmp_path / "series", count=3, n=96)
    assert window.open_file(tmp_path / "series")
    assert window.ct_dock.isVisible()
    panel = window.ct_panel
    assert panel.slider.maximum() == 2 and panel.tags.rowCount() > 3
    row_height = panel.tags.verticalHeader().defaultSectionSize()
    assert panel.tags.viewport().height() >= 4 * row_height  # not squeezed to two rows
    first = window.document.original.pixels.copy()
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    assert window.document.slice_index == 1
    assert not np.array_equal(window.document.original.pixels, first)
    panel.slider.setValue(2)
    assert window.document.slice_index == 2

    # Window presets and right-drag change how the slice is shown, not its HU.
    hu = window.document.current.pixels.copy()
    panel.preset.setCurrentIndex(2)  # bone
    panel.preset.activated.emit(2)
    assert window.document.window == (400.0, 1800.0)
    canvas = window.canvas
    centre = QPoint(canvas.width() // 2, canvas.height() // 2)
    qtbot.mousePress(canvas, Qt.MouseButton.RightButton, pos=centre)
    qtbot.mouseMove(canvas, centre + QPoint(40, 0))
    qtbot.mouseRelease(canvas, Qt.MouseButton.RightButton, pos=centre + QPoint(40, 0))
    assert window.document.window[1] > 1800.0
    np.testing.assert_array_equal(window.document.current.pixels, hu)
    assert panel.preset.currentText() == "Custom"  # no longer the bone preset it started from
    panel.preset.setCurrentIndex(2)
    panel.preset.activated.emit(2)
    assert panel.preset.currentText().startswith("Bone")

    # The metal task shows the metal above the threshold, and its result carries the notice.
    # The metal is found on the preview thread; the window follows the latest threshold.
    window.panel.show_task("mar")
    section = window.panel.sections["mar"]
    qtbot.waitUntil(lambda: canvas.mask_array is not None and int(canvas.mask_array.sum()) > 0)
    threshold = next(c for c in section.controls if c.spec.name == "threshold")
    threshold.editor.setValue(3000)
    threshold.editor.setValue(3900)  # asked for while 3000 may still be being found
    qtbot.waitUntil(lambda: not window.preview_runner.busy and int(canvas.mask_array.sum()) == 0)
    threshold.editor.setValue(2500)
    qtbot.waitUntil(lambda: int(canvas.mask_array.sum()) > 0)
    method = next(c for c in section.controls if c.spec.name == "method")
    assert method.editor.itemText(method.editor.findData("nmar")).startswith("NMAR (")
    method.editor.setCurrentIndex(method.editor.findData("li"))
    _run_denoise_like(qtbot, window, "mar")
    assert window.document.has_result
    assert "not for diagnostic use" in canvas.notice


def test_the_change_a_ct_correction_made_is_shown_in_hu_and_exported(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Difference on a CT result: after - before in HU with its scale, zero where the slice
    did not change; exported as DICOM (the change in HU) and as a PNG with its legend."""
    from tests.ct_helpers import write_series

    write_series(tmp_path / "series", count=1, n=96)
    assert window.open_file(tmp_path / "series")
    assert not window.export_change_action.isEnabled()
    window.panel.show_task("mar")
    _run_denoise_like(qtbot, window, "mar")
    doc = window.document
    assert doc is not None and doc.has_result
    window.set_view_mode(ViewMode.DIFFERENCE)
    window.canvas.repaint()
    change = window.canvas.change
    assert change is not None and change.unit == "HU" and change.scale >= 1
    expected = doc.current.pixels - doc.original.pixels
    np.testing.assert_array_equal(change.values, expected)
    unchanged = doc.current.pixels == doc.original.pixels
    assert unchanged.any() and (~unchanged).any() and not change.values[unchanged].any()

    dicom = tmp_path / "change.dcm"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(dicom), "DICOM, the change in HU")
    )
    assert window.export_change_action.isEnabled()
    window.export_change_action.trigger()
    back = read_image(dicom)
    assert back.is_ct
    np.testing.assert_allclose(back.pixels, expected, atol=0.5 + 1e-3)

    png = tmp_path / "change.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(png), "PNG"))
    window.export_change_action.trigger()
    picture = read_image(png).pixels
    assert picture.shape[0] > doc.current.height  # the legend under the map
    # Where nothing changed the map is the gray slice itself: no colour.
    shown = picture[: doc.current.height, : doc.current.width]
    assert np.abs(shown[unchanged].max(axis=1) - shown[unchanged].min(axis=1)).max() < 1e-6


def test_the_learned_correction_shows_its_uncertainty(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Learned MAR with the uncertainty map: View > Uncertainty shows the spread (HU, from 0)
    while that result is shown; undone, the view is gone again."""
    from tests.ct_helpers import write_series

    write_series(tmp_path / "series", count=1, n=96)
    assert window.open_file(tmp_path / "series")
    uncertainty_action = window.mode_actions[ViewMode.UNCERTAINTY]
    assert not uncertainty_action.isEnabled()
    window.panel.show_task("mar")
    section = window.panel.sections["mar"]
    controls = {c.spec.name: c for c in section.controls}
    method = controls["method"].editor
    method.setCurrentIndex(method.findData("learned"))
    controls["uncertainty"].editor.setChecked(True)
    _run_denoise_like(qtbot, window, "mar")
    assert window.document is not None and window.document.has_result
    assert uncertainty_action.isEnabled()
    uncertainty_action.trigger()
    window.canvas.repaint()
    shown = window.canvas.uncertainty
    assert shown is not None and not shown.signed and shown.unit == "HU"
    assert shown.values.max() > 0 and shown.scale > 0
    window.history.undo()
    assert not uncertainty_action.isEnabled() and window.canvas.mode is ViewMode.SPLIT


def test_files_and_the_metal_preview_are_handled_off_the_ui_thread(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a series, saving and finding metal run on worker threads, and the window's
    event loop keeps running meanwhile: each stand-in waits for a timer that only a live
    GUI thread can fire."""
    import threading

    from PySide6.QtCore import QTimer

    import restorer.gui.file_commands as file_commands
    import restorer.physics.mar as mar
    from tests.ct_helpers import write_series

    seen: dict[str, tuple[bool, bool]] = {}

    def watched(name: str, function: object) -> object:
        def call(*args: object, **kwargs: object) -> object:
            fired = threading.Event()
            QTimer.singleShot(0, window, fired.set)  # queued to the GUI thread's loop
            on_worker = threading.current_thread() is not threading.main_thread()
            seen[name] = (on_worker, fired.wait(5.0))
            return function(*args, **kwargs)  # type: ignore[operator]

        return call

    read, write = file_commands.read_ct_stack, file_commands.write_image
    monkeypatch.setattr(file_commands, "read_ct_stack", watched("read", read))
    monkeypatch.setattr(file_commands, "write_image", watched("write", write))
    monkeypatch.setattr(mar, "segment_metal", watched("metal", mar.segment_metal))

    write_series(tmp_path / "series", count=2, n=64)
    assert window.open_file(tmp_path / "series")
    window.panel.show_task("mar")
    qtbot.waitUntil(lambda: "metal" in seen and not window.preview_runner.busy)
    assert window._write(tmp_path / "slice.dcm", None)
    assert (tmp_path / "slice.dcm").stat().st_size > 0
    assert seen == {"read": (True, True), "write": (True, True), "metal": (True, True)}


def test_the_view_after_side_by_side_and_the_split_on_the_image(
    qtbot: QtBot, window: MainWindow, samples: Path
) -> None:
    """Leaving Side by Side shows the image whole again (it stayed squeezed into the left
    half), and the split line keeps its place on the image when the view zooms or pans."""
    assert window.open_file(samples / "chelsea_noisy.png")
    _run_denoise(qtbot, window)
    canvas = window.canvas
    fitted_scale = canvas.zoom_percent
    qtbot.keyClick(canvas, Qt.Key.Key_D)
    assert canvas.mode is ViewMode.SIDE_BY_SIDE and canvas.zoom_percent < fitted_scale * 0.8
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    assert canvas.mode is ViewMode.SPLIT
    assert canvas.zoom_percent == pytest.approx(fitted_scale, rel=0.01)
    split_x = canvas.split_x()
    assert canvas.width() * 0.4 < split_x < canvas.width() * 0.6  # on the image, mid-way

    image_x = canvas.image_point(QPointF(split_x, canvas.height() / 2))
    canvas.pan_by(-40, 0)
    assert canvas.split_x() == pytest.approx(split_x - 40, abs=1)
    canvas.zoom_by(1.5, QPointF(10, canvas.height() / 2))
    moved = canvas.image_point(QPointF(canvas.split_x(), canvas.height() / 2))
    assert image_x is not None and moved is not None and abs(moved[0] - image_x[0]) <= 1


def test_a_fill_shows_on_the_after_side_and_the_status_follows_the_result(
    qtbot: QtBot, window: MainWindow, samples: Path
) -> None:
    assert window.open_file(samples / "chelsea.png")
    doc = window.document
    # A hole on the left third, where the split line (mid-image) would show the before side.
    mask = doc.ensure_mask()
    mask[100:140, 60:90] = 1
    window.canvas.mask_changed()
    window.panel.show_task("inpaint")
    section = window.panel.sections["inpaint"]
    qtbot.mouseClick(section.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    assert doc.has_result
    assert window.canvas.split < 60 / doc.current.width

    # The size in the status bar is the result's; the toolbar's Undo keeps its label.
    undo = next(
        b for b in window.findChildren(QToolButton) if b.defaultAction() is window.undo_button
    )
    assert undo.text() == "Undo" and "Inpaint" in window.undo_button.toolTip()
    window.panel.show_task("super_resolve")
    _run_denoise_like(qtbot, window, "super_resolve")
    assert window.size_label.text().startswith(f"{doc.current.width} × {doc.current.height}")
    assert doc.current.width == 2 * doc.original.width
    assert undo.text() == "Undo"

    # Another image starts without the last job's outcome, and no idle progress bar shows.
    assert "done in" in window.panel.time_label.text()
    assert not window.panel.progress.isVisible()
    window.history.setClean()
    assert window.open_file(samples / "coffee.png")
    assert window.panel.time_label.text() == ""


def test_dropping_a_file_opens_it_and_the_view_can_be_copied_and_exported(
    qtbot: QtBot, window: MainWindow, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real drag-and-drop events, Ctrl+C to the clipboard and a labelled before|after export."""
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples / "chelsea_noisy.png"))])
    enter = QDragEnterEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)
    assert window.document is not None and window.document.path.name == "chelsea_noisy.png"
    assert not window.export_comparison_action.isEnabled()  # nothing to compare yet

    _run_denoise(qtbot, window)
    QApplication.clipboard().clear()
    qtbot.keyClick(window.canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QApplication.clipboard().image()
    assert not copied.isNull() and copied.width() >= window.canvas.width() - 1

    out = tmp_path / "comparison.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG"))
    assert window.export_comparison_action.isEnabled()
    window.export_comparison_action.trigger()
    exported = read_image(out).pixels
    doc = window.document
    assert exported.shape[0] == doc.current.height
    assert exported.shape[1] == 2 * doc.current.width + 8
    left = exported[:, : doc.current.width]
    right = exported[:, doc.current.width + 8 :]
    original = doc.original.pixels
    below_label = slice(60, None)  # the labels sit in the top corners
    np.testing.assert_allclose(left[below_label], original[below_label], atol=1 / 255 + 1e-6)
    assert psnr(doc.current.pixels[below_label], right[below_label]) > 45


def test_the_appearance_follows_the_preference(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preferences ▸ Appearance switches to a dark palette and back, and is remembered."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from restorer.gui import dialogs

    app = QApplication.instance()
    original_style, original_palette = app.style().name(), app.palette()

    def choose(theme: str) -> None:
        monkeypatch.setattr(dialogs.PreferencesDialog, "exec", lambda self: True)
        monkeypatch.setattr(dialogs.PreferencesDialog, "chosen_theme", lambda self: theme)
        window.preferences()

    try:
        choose("dark")
        assert window.settings.theme == "dark"
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert app.palette().color(QPalette.ColorRole.WindowText).lightness() > 180
        choose("light")
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        app.setStyle(original_style)
        app.setPalette(original_palette)


def test_preferences_hold_precision_and_jpeg_quality(
    qtbot: QtBot, window: MainWindow, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restorer.gui import dialogs

    def accept_with(self: dialogs.PreferencesDialog) -> bool:
        self.precision.setCurrentIndex(self.precision.findData("float32"))
        self.jpeg_quality.setValue(30)
        self.queue_folder.setText(str(tmp_path / "results"))
        self.queue_pattern.setText("{name}_clean")
        assert "never connects" in self.findChild(dialogs.QLabel, "offline").text()
        return True

    monkeypatch.setattr(dialogs.PreferencesDialog, "exec", accept_with)
    window.preferences()
    assert window.settings.precision == "float32" and window.settings.jpeg_quality == 30
    # The queue starts from the chosen folder and pattern.
    window.open_files([samples / "chelsea.png", samples / "coffee.png"])
    assert window.queue_panel.folder.text() == str(tmp_path / "results")
    assert window.queue_panel.pattern.text() == "{name}_clean"
    window.history.setClean()
    assert window.engine().reduced_precision is False

    assert window.open_file(samples / "chelsea.png")
    _run_denoise(qtbot, window)
    low = tmp_path / "low.jpg"
    assert window._write(low, None)
    window.settings.jpeg_quality = 95
    high = tmp_path / "high.jpg"
    assert window._write(high, None)
    assert low.stat().st_size < 0.6 * high.stat().st_size


def test_the_queue_applies_the_task_to_every_file(
    qtbot: QtBot, window: MainWindow, samples: Path, tmp_path: Path
) -> None:
    """Several files fill the queue; Apply to all writes each result into the folder under
    the pattern, goes on past a broken file and says why, never replaces a file, and a
    finished item opens with its result as "after"."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.png", "b.png"):
        (inputs / name).write_bytes((samples / "chelsea_noisy.png").read_bytes())
    (inputs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}

    window.open_files([inputs])  # a folder of photos queues them
    panel = window.queue_panel
    assert window.queue_dock.isVisible() and panel.list.count() == 3
    # Thumbnails are made off the UI thread; the broken file gets none.
    qtbot.waitUntil(lambda: not window.thumbnail_runner.busy, timeout=JOB_TIMEOUT_MS)
    icons = [not panel.list.item(i).icon().isNull() for i in range(3)]
    assert icons == [True, True, False]
    out = tmp_path / "out"
    panel.folder.setText(str(out))
    window.panel.show_task("denoise")
    shown: list[str] = []  # every text the list showed while the queue ran
    panel.list.model().dataChanged.connect(
        lambda first, *_: shown.append(panel.list.item(first.row()).text())
    )
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    assert sorted(p.name for p in out.iterdir()) == ["a_restored.png", "b_restored.png"]
    # Each file shows its own progress beside its name while it runs.
    running = [t for t in shown if t.startswith("… ") and "%" in t and t.endswith("a.png")]
    percents = [int(t.split()[1]) for t in running]
    assert any(0 < p < 100 for p in percents), shown
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before
    texts = [panel.list.item(i).text() for i in range(3)]
    assert texts[0].startswith("✓ a.png") and texts[1].startswith("✓ b.png")
    assert texts[2].startswith("✗ broken.png") and "broken.png" in panel.status.text()
    assert "not" in panel.list.item(2).toolTip()  # why it failed, beside it
    assert panel.progress.value() == 1000

    # Again: the results exist, so nothing is replaced and each says so.
    written = (out / "a_restored.png").stat().st_mtime_ns
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    assert (out / "a_restored.png").stat().st_mtime_ns == written
    assert "already exists" in panel.list.item(0).toolTip()

    # The first run's result opens as "after".
    panel.targets[0] = out / "a_restored.png"
    window.history.setClean()
    window.open_queued(0)
    doc = window.document
    assert doc.path.name == "a.png" and doc.has_result
    clean = read_image(samples / "chelsea.png").pixels
    assert psnr(clean, doc.current.pixels) > psnr(clean, doc.original.pixels) + 5


def test_a_dropped_archive_folder_queues_its_subfolders_and_keeps_them(
    qtbot: QtBot,
    window: MainWindow,
    samples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scans filed in folders, dropped as their top folder: every scan is queued with its
    folder shown, Apply to all writes each result into the same folder below the output
    folder, and dropping the folder again does not queue the results."""
    scans = tmp_path / "scans"
    noisy = (samples / "chelsea_noisy.png").read_bytes()
    for name in ("1951/box1/scan.png", "1952/scan.png"):
        (scans / name).parent.mkdir(parents=True)
        (scans / name).write_bytes(noisy)
    window.open_files([scans])  # the top folder holds no photo of its own
    panel = window.queue_panel
    labels = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert labels == [str(Path("1951/box1/scan.png")), str(Path("1952/scan.png"))]
    assert panel.folder.text() == str(scans / "restored")
    window.panel.show_task("denoise")
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_TIMEOUT_MS)
    written = sorted(p.relative_to(scans).as_posix() for p in scans.rglob("*_restored.png"))
    assert written == ["restored/1951/box1/scan_restored.png", "restored/1952/scan_restored.png"]
    assert panel.list.item(1).text() == "✓ " + str(Path("1952/scan.png"))
    window.history.setClean()
    # The tree is listed off the window's thread (an archive on a network drive is slow).
    from restorer.gui import queue_commands

    threads: list[threading.Thread] = []
    listing = queue_commands.photos_to_queue

    def recorded(*args: Any) -> dict[Path, Path]:
        threads.append(threading.current_thread())
        return listing(*args)

    monkeypatch.setattr(queue_commands, "photos_to_queue", recorded)
    window.open_files([scans])
    assert threads and threads[0] is not threading.main_thread()
    assert panel.sources == [scans / "1951/box1/scan.png", scans / "1952/scan.png"]


def test_file_open_with_several_files_fills_the_queue(
    qtbot: QtBot, window: MainWindow, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = [samples / "chelsea.png", samples / "coffee.png", samples / "camera.png"]
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(p) for p in chosen], "")
    )
    window.open_action.trigger()
    assert window.queue_panel.sources == chosen and window.queue_dock.isVisible()
    assert window.document is not None and window.document.path == chosen[0]
    # One file chosen opens it, without a queue.
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(chosen[1])], ""))
    window.open_action.trigger()
    assert window.document.path == chosen[1]
    assert window.queue_panel.sources == chosen  # the queue stays as it was
