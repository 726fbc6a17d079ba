"""The one tiler: any model on any image size, in overlapping tiles with feathered blending.

Memory stays bounded by the output array, one weight plane and one tile: the image is never
handed whole to the model unless it fits in one tile.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from restorer.core.progress import NullProgress, Progress

TileFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TileSpec:
    """tile: input tile side in pixels (0 = whole image); overlap: input pixels shared by
    neighbours; scale: output/input size ratio; multiple: the model's size multiple."""

    tile: int = 512
    overlap: int = 32
    scale: int = 1
    multiple: int = 1

    def __post_init__(self) -> None:
        if self.tile and self.tile <= self.overlap + 2 * self.multiple:
            raise ValueError(f"tile {self.tile} is too small for an overlap of {self.overlap}")


def tile_layout(length: int, tile: int, overlap: int, multiple: int = 1) -> tuple[list[int], int]:
    """Start offsets and the common tile length covering [0, length).

    Works on the length padded up to the model's size multiple, with starts on that multiple:
    every tile then sees the same downsampling grid and, at the far border, the same
    reflected padding as the whole image would, so tiled and whole-image results agree.
    The fewest tiles of at most `tile` pixels sharing at least `overlap` are spread evenly.
    """
    padded = math.ceil(length / multiple) * multiple
    if tile <= 0 or padded <= tile:
        return [0], padded
    # One extra multiple of slack: rounding the starts may shave that much off an overlap.
    share = overlap + multiple
    count = math.ceil((padded - share) / (tile - share))
    size = math.ceil((padded + (count - 1) * share) / count / multiple) * multiple
    step = (padded - size) / (count - 1)
    starts = [round(i * step / multiple) * multiple for i in range(count)]
    return starts, size


def _edge_weights(n: int) -> np.ndarray:
    """Weights over an overlap of n pixels, rising from 0 to 1 away from the tile's edge.

    The outer 3/8 is dropped entirely (there the network sees less context than its
    receptive field, so its output differs from a whole-image run), the middle 1/4 is a
    linear cross-fade and the inner 3/8 is kept whole; a neighbour's mirrored weights add up
    to exactly 1.
    """
    t = (np.arange(n, dtype=np.float32) + 0.5) / n
    return np.clip((t - 3 / 8) * 4.0, 0.0, 1.0)


def _ramp(length: int, ramp_in: int, ramp_out: int) -> np.ndarray:
    """1-D weights: rising over ramp_in at the start, falling over ramp_out at the end."""
    w = np.ones(length, np.float32)
    if ramp_in > 0:
        w[:ramp_in] = _edge_weights(ramp_in)
    if ramp_out > 0:
        w[length - ramp_out :] = np.minimum(w[length - ramp_out :], _edge_weights(ramp_out)[::-1])
    return w


def _pad_to_multiple(tile: np.ndarray, multiple: int) -> np.ndarray:
    h, w = tile.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not ph and not pw:
        return tile
    pad = [(0, ph), (0, pw)] + [(0, 0)] * (tile.ndim - 2)
    mode = "reflect" if h > ph and w > pw else "edge"
    return np.pad(tile, pad, mode=mode)


def run_padded(tile: np.ndarray, fn: TileFn, multiple: int, scale: int) -> np.ndarray:
    """Run fn on tile padded up to the model's multiple; crop the padding off the result."""
    h, w = tile.shape[:2]
    out = fn(_pad_to_multiple(tile, multiple))
    return out[: h * scale, : w * scale]


def process_tiled(
    pixels: np.ndarray,
    fn: TileFn,
    spec: TileSpec,
    progress: Progress | None = None,
) -> np.ndarray:
    """Apply fn to pixels (H, W) or (H, W, C) tile by tile and blend the results.

    fn takes an (h, w[, C]) float32 array and returns (h*scale, w*scale[, C']) float32.
    Progress is reported after each tile; cancellation is checked before each tile.
    """
    progress = progress or NullProgress()
    h, w = pixels.shape[:2]
    s = spec.scale
    ys, tile_h = tile_layout(h, spec.tile, spec.overlap, spec.multiple)
    xs, tile_w = tile_layout(w, spec.tile, spec.overlap, spec.multiple)
    total = len(ys) * len(xs)

    if total == 1:
        progress.check_aborted()
        out = run_padded(pixels, fn, spec.multiple, s)
        progress.set_progress(1.0)
        return np.ascontiguousarray(out, dtype=np.float32)

    out: np.ndarray | None = None
    weight = np.zeros((h * s, w * s), np.float32)
    done = 0
    for iy, y0 in enumerate(ys):
        th = min(tile_h, h - y0)
        # Ramps cover the part shared with the previous/next tile, in output pixels.
        ramp_top = (ys[iy - 1] + tile_h - y0) * s if iy > 0 else 0
        ramp_bottom = (y0 + th - ys[iy + 1]) * s if iy + 1 < len(ys) else 0
        wy = _ramp(th * s, ramp_top, ramp_bottom)
        for ix, x0 in enumerate(xs):
            progress.check_aborted()
            tw = min(tile_w, w - x0)
            ramp_left = (xs[ix - 1] + tile_w - x0) * s if ix > 0 else 0
            ramp_right = (x0 + tw - xs[ix + 1]) * s if ix + 1 < len(xs) else 0
            wx = _ramp(tw * s, ramp_left, ramp_right)
            result = run_padded(pixels[y0 : y0 + th, x0 : x0 + tw], fn, spec.multiple, s)
            if out is None:
                out = np.zeros((h * s, w * s, *result.shape[2:]), np.float32)
            wt = np.outer(wy, wx)
            oy, ox = y0 * s, x0 * s
            region = (slice(oy, oy + th * s), slice(ox, ox + tw * s))
            if result.ndim == 3:
                out[region] += result * wt[:, :, None]
            else:
                out[region] += result * wt
            weight[region] += wt
            done += 1
            progress.set_progress(done / total)
    assert out is not None
    if out.ndim == 3:
        out /= weight[:, :, None]
    else:
        out /= weight
    return out
