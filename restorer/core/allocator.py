"""Keep the C heap from holding on to memory between the stages of a large job.

glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MB), so
that later blocks of a few megabytes (tiles, network activations, bands of rows) come from
the heap, where freed ones fragment it and are not given back to the system. A 24-megapixel
denoise peaked 1.11 GB with the moving threshold and 0.93 GB with it fixed at 8 MB, for about
a tenth more time. Other systems' allocators are left as they are.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD_BYTES = 8 * 2**20


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at MMAP_THRESHOLD_BYTES; True if it was set."""
    if not sys.platform.startswith("linux"):
        return False
    # The process's own symbols include the C library's: no search for the library file.
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
