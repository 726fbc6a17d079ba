"""`restorer bench gui`: how long the window's event loop stalls while a job runs.

A QTimer ticks every 10 ms during a denoise of a large photo; the gaps between ticks beyond
those 10 ms are time when the window could not have answered a click or repainted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

TICK_MS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--side", type=int, default=4096, help="side of the test photo")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer

    from restorer.core.image import Image
    from restorer.gui.app import make_application
    from restorer.gui.main_window import MainWindow
    from restorer.gui.settings import Settings
    from restorer.io import write_image
    from restorer.tasks.denoise import TASK, DenoiseParams

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        settings.device = args.device
        window = MainWindow(settings)
        window.show()
        rng = np.random.default_rng(0)
        side = args.side
        base = np.linspace(0, 1, side, dtype=np.float32)
        photo = np.stack([np.add.outer(base, base) / 2] * 3, axis=2)
        noisy = np.clip(photo + rng.normal(0, 0.1, photo.shape), 0, 1).astype(np.float32)
        path = Path(tmp) / "large.png"
        write_image(Image(noisy), path)
        window.open_file(path)
        window.engine()  # import torch and pick the device before timing

        gaps: list[float] = []
        clock = QElapsedTimer()
        timer = QTimer()
        timer.setInterval(TICK_MS)

        def tick() -> None:
            gaps.append(clock.restart())

        timer.timeout.connect(tick)
        start = time.perf_counter()
        clock.start()
        timer.start()
        window.run_task(TASK, DenoiseParams(sigma=25))
        while window.runner.busy:
            app.processEvents()
            time.sleep(0.001)
        job_seconds = time.perf_counter() - start
        timer.stop()
        window.history.setClean()
        window.close()
    stalls = np.maximum(np.array(gaps[1:], dtype=np.float64) - TICK_MS, 0)
    print("| image | device | job s | ticks | longest stall ms | 99th percentile ms |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {side}×{side} RGB | {window._engine.device_name} | {job_seconds:.1f} | "
        f"{stalls.size} | {stalls.max():.0f} | {np.percentile(stalls, 99):.0f} |"
    )
    return 0
