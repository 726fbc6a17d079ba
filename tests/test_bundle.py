"""The frozen one-folder build: it builds, and its self-test passes without a screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_pyinstaller_bundle_builds_and_passes_its_selftest(tmp_path: Path) -> None:
    if (
        shutil.which("pyinstaller") is None
        and not (Path(sys.executable).parent / "pyinstaller").exists()
    ):
        pytest.skip("PyInstaller is not installed (pip install '.[build]')")
    pyinstaller = shutil.which("pyinstaller") or str(Path(sys.executable).parent / "pyinstaller")
    build = subprocess.run(
        [
            pyinstaller,
            str(REPO / "build_scripts" / "restorer.spec"),
            "--noconfirm",
            "--distpath",
            str(tmp_path / "dist"),
            "--workpath",
            str(tmp_path / "build"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=REPO,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    bundle = tmp_path / "dist" / "restorer"
    exe = bundle / ("restorer.exe" if sys.platform == "win32" else "restorer")
    result = subprocess.run(
        [str(exe), "--selftest"],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    assert str(bundle) in result.stdout  # resources came from the bundle, not the source tree
    # Nothing the bundle left out (OpenCV, most torch sources) is missed, loudly or quietly.
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle: {size / 1e6:.0f} MB")
