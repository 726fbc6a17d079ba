from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from restorer.engine.engine import Engine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Models converted for OpenVINO go to a cache of this test run (and its subprocesses), not the
# user's: every run starts without one, as a fresh installation does.
os.environ.setdefault("RESTORER_CACHE_DIR", tempfile.mkdtemp(prefix="restorer-test-cache-"))
# Likewise the user's model library: tests never see or change the user's own.
os.environ.setdefault("RESTORER_DATA_DIR", tempfile.mkdtemp(prefix="restorer-test-data-"))

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "resources" / "samples"
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine("cpu")


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The main window as a user opens it (CPU, settings and model library of its own),
    shown at 1000 x 700; closing it asks nothing."""
    from PySide6.QtCore import QSettings

    from restorer.gui.main_window import MainWindow
    from restorer.gui.settings import Settings

    monkeypatch.setenv("RESTORER_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.device = "cpu"
    win = MainWindow(settings)
    qtbot.addWidget(win, before_close_func=lambda w: w.history.setClean())
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
