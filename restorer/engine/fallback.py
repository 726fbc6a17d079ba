"""Out-of-memory handling: halve the tile and retry; below a minimum tile, use the CPU.

Detected by exception type (torch.OutOfMemoryError covers CUDA and MPS), never by message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

from restorer.core.progress import Note, Progress

T = TypeVar("T")
MIN_TILE = 128
OOM_ERRORS: tuple[type[BaseException], ...] = (torch.OutOfMemoryError,)


def _free_cache(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def run_with_fallback(
    attempt: Callable[[int, torch.device], T],
    tile: int,
    device: torch.device,
    progress: Progress,
    min_tile: int = MIN_TILE,
) -> tuple[T, int, torch.device]:
    """Call attempt(tile, device) until it fits; returns (result, tile, device) that worked."""
    while True:
        try:
            return attempt(tile, device), tile, device
        except OOM_ERRORS as exc:
            _free_cache(device)
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
                device = torch.device("cpu")
            else:
                raise MemoryError(
                    f"not enough memory, even with {tile}-pixel tiles on the CPU"
                ) from exc
