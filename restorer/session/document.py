"""The open image: the original (a slice of a series, for CT), the results applied to it, the
CT display window and the mask being painted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from restorer.core.image import Image

# Each step holds a full float32 image; a 50-megapixel colour step is 600 MB.
UNDO_LIMIT = 8


@dataclass
class Document:
    path: Path
    original: Image
    steps: list[Image] = field(default_factory=list)
    save_path: Path | None = None
    window: tuple[float, float] | None = None  # CT display window (center, width)
    mask: np.ndarray | None = None  # uint8 (H, W) at the current image's size, 1 = fill
    stack: list[Image] = field(default_factory=list)  # a CT series or multi-frame file
    slice_index: int = 0

    def ensure_mask(self) -> np.ndarray:
        """The mask for the current image, new and empty when the size changed."""
        shape = self.current.pixels.shape[:2]
        if self.mask is None or self.mask.shape != shape:
            self.mask = np.zeros(shape, np.uint8)
        return self.mask

    @property
    def current(self) -> Image:
        return self.steps[-1] if self.steps else self.original

    @property
    def has_result(self) -> bool:
        return bool(self.steps)

    def __post_init__(self) -> None:
        if self.window is None and self.original.is_ct:
            self.window = self.original.meta.extra.get("window", (40.0, 400.0))
