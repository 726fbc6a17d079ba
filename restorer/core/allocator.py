"""Keep the C heap from holding on to memory between the stages of a large job.

glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MB), so
that later blocks of a few megabytes (tiles, network activations, bands of rows) come from
the heap, where freed ones fragment it and are not given back to the system. A 24-megapixel
denoise (on PyTorch, then) peaked 1.11 GB with the moving threshold and 0.93 GB with it fixed
at 8 MB, for about a tenth more time. Fixed, the threshold also leaves the trim threshold at
its small default, so the top of the heap is given back as soon as it is free.

Fixed at 32 MB since: the tiles and bands of a 2048² photo (14-28 MB each, allocated and freed
at every tile) then come from the heap, whose pages stay mapped, instead of fresh mappings
whose every page faults on first touch. On the OpenVINO path, six runs each alternating
(medians), the whole 2048² denoise 3.98 -> 3.78 s and the 1024² x2 upscale 3.64 -> 3.47 s;
peaks of `restorer bench memory` 0.75 -> 0.79 GiB (24 MP denoise), 1.93 -> 2.03 (x4 of 6 MP),
2.07 -> 2.11 (x2 of 12 MP). 64 MB was faster still (3.62 and 3.27 s) but took the x2 of 12 MP
to 2.29 GiB, at its 2.5 GB target. Other systems' allocators are left as they are.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD_BYTES = 32 * 2**20


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at MMAP_THRESHOLD_BYTES; True if it was set."""
    if not sys.platform.startswith("linux"):
        return False
    # The process's own symbols include the C library's: no search for the library file.
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def return_free_memory() -> bool:
    """Give the C heap's free pages back to the system (glibc's malloc_trim); True if done.

    Freed blocks below the mmap threshold stay mapped in the heap for reuse: after a 1024²
    denoise in the window, about 150 MB of them, held while the window sits idle."""
    if not sys.platform.startswith("linux"):
        return False
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
