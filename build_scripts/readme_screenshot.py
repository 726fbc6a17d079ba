"""Take the README's screenshot of the real window restoring a photo.

Run under a virtual screen:
    xvfb-run -a -s "-screen 0 1280x800x24" python build_scripts/readme_screenshot.py IMAGE OUT.png
It opens IMAGE, runs the default denoise, puts the split line in the middle and captures the
screen with ImageMagick's `import`. README.zh-CN.md's screenshot is the same with
`--language zh_CN --theme dark` (OUT.jpg: `import` writes the format the name asks for).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from restorer.gui.app import make_application
from restorer.gui.i18n import install_translators
from restorer.gui.main_window import MainWindow
from restorer.gui.settings import Settings
from restorer.gui.theme import apply_theme
from restorer.tasks.registry import get_task


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("image", type=Path)
    parser.add_argument("out", type=Path)
    # The defaults are the window's own (Settings): the README's screenshot as before.
    parser.add_argument("--language", default="system", help="system, en or zh_CN")
    parser.add_argument("--theme", default="system", help="system, light or dark")
    args = parser.parse_args()
    image, out = args.image, args.out
    app = make_application()
    install_translators(app, args.language)  # before any window text is made
    apply_theme(app, args.theme)
    tmp = tempfile.mkdtemp()
    window = MainWindow(Settings(QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat)))
    window.setGeometry(0, 0, 1280, 800)
    window.show()
    window.open_file(image)
    task = get_task("denoise")
    window.run_task(task, task.default_params())

    def wait_for_job() -> None:
        if window.runner.busy:
            QTimer.singleShot(200, wait_for_job)
            return
        window.canvas.set_split(0.5)
        window.canvas.fit()
        QTimer.singleShot(800, capture)

    def capture() -> None:
        subprocess.run(["import", "-window", "root", "-crop", "1280x800+0+0", str(out)], check=True)
        window.history.setClean()
        QApplication.quit()

    QTimer.singleShot(500, wait_for_job)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
