"""Out-of-memory handling: halve the tile and retry; below a minimum tile, use the CPU.

Detected by exception type (torch.OutOfMemoryError covers CUDA and MPS), never by message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from restorer.core.progress import Note, Progress
from restorer.engine.device import CPU, Device

T = TypeVar("T")
MIN_TILE = 128


def oom_errors() -> tuple[type[BaseException], ...]:
    """The out-of-memory errors a run can raise: torch's, once torch is loaded (a run on
    OpenVINO alone never loads it, and then has none to catch)."""
    torch = sys.modules.get("torch")
    return (torch.OutOfMemoryError,) if torch is not None else ()


def free_device_cache(device: Device) -> None:
    """Hand the GPU memory torch keeps cached for reuse back to the driver (nothing on the
    CPU, or before torch is loaded)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def run_with_fallback(
    attempt: Callable[[int, Device], T],
    tile: int,
    device: Device,
    progress: Progress,
    min_tile: int = MIN_TILE,
) -> tuple[T, int, Device]:
    """Call attempt(tile, device) until it fits; returns (result, tile, device) that worked."""
    while True:
        try:
            return attempt(tile, device), tile, device
        except oom_errors() as exc:
            free_device_cache(device)
            if tile // 2 >= min_tile:
                tile //= 2
                progress.message(
                    Note(
                        "Out of memory on {device}: retrying with {tile}-pixel tiles",
                        device=device.type.upper(),
                        tile=tile,
                    )
                )
            elif device.type != "cpu":
                progress.message(
                    Note(
                        "Out of memory on {device} even with {tile}-pixel tiles: "
                        "continuing on the CPU",
                        device=device.type.upper(),
                        tile=tile,
                    )
                )
                device = CPU
            else:
                raise MemoryError(
                    f"not enough memory, even with {tile}-pixel tiles on the CPU"
                ) from exc
