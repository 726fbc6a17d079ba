"""Start the application: `restorer` with no arguments, or `restorer FILE...`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from restorer import __version__
from restorer.resources import icons_dir


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Restorer")
    app.setOrganizationName("Restorer")
    app.setApplicationVersion(__version__)
    icon = icons_dir() / "restorer.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_app(files: list[Path]) -> int:
    app = make_application()
    from restorer.gui.i18n import install_translators
    from restorer.gui.main_window import MainWindow
    from restorer.gui.settings import Settings
    from restorer.gui.theme import apply_theme

    settings = Settings()
    install_translators(app, settings.language)  # before any window text is made
    apply_theme(app, settings.theme)
    window = MainWindow(settings)
    window.show()
    report = os.environ.get("RESTORER_STARTUP_REPORT")
    if report:
        # For the cold-start benchmark: the wall-clock time once the first frame is on
        # screen, then quit.
        def shown() -> None:
            Path(report).write_text(f"{time.time():.3f}\n")
            app.quit()

        QTimer.singleShot(0, shown)
    if files:
        QTimer.singleShot(0, lambda: window.open_files(files))
    return app.exec()
