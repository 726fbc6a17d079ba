"""Measure a one-folder build: its size, the self-test, and the cold start to a shown window.

    python build_scripts/measure_bundle.py dist/restorer [--runs 3]

The window is shown on the screen in $DISPLAY (run under xvfb-run on a headless machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    exe = args.bundle / ("restorer.exe" if sys.platform == "win32" else "restorer")
    print(f"bundle size: {folder_size(args.bundle) / 1e6:.0f} MB")
    selftest = subprocess.run(
        [str(exe), "--selftest"],
        capture_output=True,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    print(selftest.stdout.strip())
    print(f"self-test exit code: {selftest.returncode}")
    starts = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "shown"
            env = dict(os.environ, RESTORER_STARTUP_REPORT=str(report), XDG_CONFIG_HOME=tmp)
            begin = time.time()
            subprocess.run([str(exe)], env=env, timeout=120)
            starts.append(float(report.read_text()) - begin)
    print("cold start to window shown: " + ", ".join(f"{s:.2f} s" for s in starts))
    return selftest.returncode


if __name__ == "__main__":
    raise SystemExit(main())
