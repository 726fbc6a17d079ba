"""How many threads file encoding may use (PNG filtering, TIFF strips)."""

from __future__ import annotations

import os

MAX_THREADS = 4


def io_threads() -> int:
    """The user's OMP_NUM_THREADS (batch workers get their share through it), else the
    CPU's cores, at most MAX_THREADS: encoding is memory-bound (two threads halve PNG
    filtering on this project's 2-core machine; more were not measured)."""
    try:
        asked = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        asked = 0
    return max(1, min(MAX_THREADS, asked if asked > 0 else os.cpu_count() or 1))
