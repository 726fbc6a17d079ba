"""How many CPU threads the user asked for, and how many file encoding may use."""

from __future__ import annotations

import os

MAX_ENCODING_THREADS = 4


def requested_cpu_threads() -> int | None:
    """The CPU threads the user asked for (OMP_NUM_THREADS, which torch reads too, and which
    the batch command sets for each worker process), or None for the runtime's own choice
    (one per physical core, for OpenVINO and for torch)."""
    try:
        value = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def io_threads() -> int:
    """Threads for encoding a file (PNG filtering, TIFF strips): the user's OMP_NUM_THREADS
    (batch workers get their share through it), else the CPU's cores, at most
    MAX_ENCODING_THREADS: encoding is memory-bound (two threads halve PNG filtering on this
    project's 2-core machine; more were not measured)."""
    asked = requested_cpu_threads()
    return max(1, min(MAX_ENCODING_THREADS, asked or os.cpu_count() or 1))
