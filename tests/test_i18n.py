"""Interface languages: the Chinese catalogue is complete and compiled, the language follows
the system unless Preferences say otherwise, and every string the window shows is
translated (pytest-qt, offscreen)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QTableWidget,
    QToolBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from restorer.gui.i18n import install_translators, language_for, tr, tr_task
from restorer.gui.main_window import MainWindow
from restorer.gui.settings import Settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "build_scripts"))
import translations  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")
# Shown as is in every language: names, units, formats, numbers, what the user typed.
NEUTRAL = re.compile(
    r"^(RGB|RGBA|CT|kVp|CPU|OpenVINO|PyTorch|English|PNG \(\*\.png\)|[\d\s.,:/×%+−-]*|"
    r"[\d\s×·]*CT（HU）|ESRGAN ×4|[\w.-]+\.(png|dcm)|\{name\}_restored|(.* — )?Restorer)$"
)


def test_every_string_has_a_translation_and_the_qm_is_current() -> None:
    """translations.py check: every string of the window and the tasks has a translation,
    and the committed .qm is what lrelease makes of the .ts."""
    done = subprocess.run(
        [sys.executable, str(REPO / "build_scripts" / "translations.py"), "check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_placeholders_survive_translation() -> None:
    known = translations.read_ts(translations.ts_path("zh_CN"))
    for (context, source), translation in known.items():
        braces = sorted(re.findall(r"\{\w*\}", source))
        assert braces == sorted(re.findall(r"\{\w*\}", translation)), (context, source)


@pytest.mark.parametrize(
    ("preference", "system", "expected"),
    [
        ("system", "zh_CN", "zh_CN"),
        ("system", "zh_SG", "zh_CN"),
        ("system", "zh_TW", "en"),  # traditional script: not ours to guess
        ("system", "de_DE", "en"),
        ("en", "zh_CN", "en"),
        ("zh_CN", "en_US", "zh_CN"),
    ],
)
def test_the_language_follows_the_system_unless_chosen(
    preference: str, system: str, expected: str
) -> None:
    assert language_for(preference, QLocale(system)) == expected


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    assert install_translators(qapp, "zh_CN") == "zh_CN"
    yield
    install_translators(qapp, "en")


def _texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a user reads in root and its children."""
    for action in root.findChildren(QMenu):
        yield "menu", action.title()
    for widget in [root, *root.findChildren(QWidget)]:
        for action in widget.actions():
            yield "action", action.text()
            yield "tip", action.toolTip()
        if isinstance(widget, QLabel):
            yield "label", widget.text()
        if isinstance(widget, QAbstractButton):
            yield "button", widget.text()
        if isinstance(widget, QGroupBox):
            yield "group", widget.title()
        if isinstance(widget, QDockWidget):
            yield "dock", widget.windowTitle()
        if isinstance(widget, QComboBox):
            yield from (("choice", widget.itemText(i)) for i in range(widget.count()))
        if isinstance(widget, QToolBox):
            yield from (("section", widget.itemText(i)) for i in range(widget.count()))
        if isinstance(widget, QLineEdit):
            yield "placeholder", widget.placeholderText()
        if isinstance(widget, QSpinBox):
            yield "spin", widget.specialValueText() + widget.suffix()
        if isinstance(widget, QTableWidget):
            for column in range(widget.columnCount()):
                item = widget.horizontalHeaderItem(column)
                yield "header", item.text() if item is not None else ""
        yield "tooltip", widget.toolTip()


def _untranslated(root: QWidget) -> list[str]:
    missing = []
    for where, text in _texts(root):
        plain = re.sub(r"<[^>]+>", " ", text).replace("&", "").strip()
        if plain and not CJK.search(plain) and not NEUTRAL.match(plain):
            missing.append(f"{where}: {plain!r}")
    return sorted(set(missing))


def test_every_string_in_the_window_is_chinese(
    qtbot: QtBot, chinese: None, tmp_path: Path, samples: Path
) -> None:
    from restorer.gui.dialogs import AboutDialog, PreferencesDialog
    from restorer.gui.user_models import AddModelDialog, LibraryDialog
    from restorer.models.registry import bundled_models

    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.device = "cpu"
    window = MainWindow(settings)
    qtbot.addWidget(window, before_close_func=lambda w: w.history.setClean())
    window.show()
    assert window.open_file(samples / "ct_small.dcm")  # the CT panel fills in too
    window.ct_dock.show()
    dialogs = [
        PreferencesDialog(["cpu"], "auto", 0, parent=window),
        AboutDialog(bundled_models(), window),
        AddModelDialog("ESRGAN ×4", "超分辨率", "x", window),
        LibraryDialog(window.user_models, window),
    ]
    missing = [m for root in (window, *dialogs) for m in _untranslated(root)]
    assert missing == [], "\n".join(missing)
    assert tr_task("Denoise") == "降噪" and tr("&Undo") == "撤销(&U)"


def test_what_tasks_report_is_translated_in_the_window(chinese: None) -> None:
    from restorer.core.progress import Note
    from restorer.gui.i18n import tr_note

    note = Note("Estimated noise level σ = {sigma} (white noise)", sigma="12.5")
    assert note == "Estimated noise level σ = 12.5 (white noise)"  # the command line's
    assert tr_note(note) == "估计噪声水平 σ = 12.5（白噪声）"
    assert tr_note("a message without a template") == "a message without a template"
