"""The command line as a user runs it: a separate process each time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def restorer(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restorer", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
