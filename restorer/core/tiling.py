"""The one tiler: any model on any image size, in overlapping tiles with feathered blending.

Memory stays bounded by the output array and one tile: the image is never handed whole to
the model unless it fits in one tile, and the blending weights are kept as one row and one
column (every tile row shares the same column layout, so the sum of the tiles' weights at a
pixel is the product of a row sum and a column sum).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from restorer.core.progress import NullProgress, Progress

TileFn = Callable[[np.ndarray], np.ndarray]


class TileSource(Protocol):
    """What the tiler reads tiles from: an array, or anything that makes one for a window
    (restorer.core.planes.PlanesWithMap adds a full-resolution map enlarged from a small one
    tile by tile, so the map is never whole at full size)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, index: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class TileSpec:
    """tile: input tile side in pixels (0 = whole image); overlap: input pixels shared by
    neighbours; scale: output/input size ratio; multiple: the model's size multiple."""

    tile: int = 512
    overlap: int = 32
    scale: int = 1
    multiple: int = 1

    def __post_init__(self) -> None:
        if self.tile and self.tile <= _too_small(self.overlap, self.multiple):
            raise ValueError(f"tile {self.tile} is too small for an overlap of {self.overlap}")


def _too_small(overlap: int, multiple: int) -> int:
    """The largest tile side that cannot hold `overlap` plus the layout's slack of one
    multiple on each side (tile_layout)."""
    return overlap + 2 * multiple


def smallest_tile(overlap: int, multiple: int) -> int:
    """The smallest tile side a TileSpec takes for this overlap and size multiple, on the
    multiple (a model that works in 128-px patches needs at least 384 px: two patches and
    the layout's slack)."""
    return _too_small(overlap, multiple) // multiple * multiple + multiple


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
    # Without an overlap there is none to shave (tiles of at least padded/count pixels on the
    # multiple leave no gap), and the slack cost the noise-map estimator 1/8 more pixels on
    # a 2048-px-wide photo (two tiles of 1152 for 2048).
    share = overlap + multiple if overlap else 0
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
    mode: Literal["reflect", "edge"] = "reflect" if h > ph and w > pw else "edge"
    return np.pad(tile, pad, mode=mode)


def run_padded(tile: np.ndarray, fn: TileFn, multiple: int, scale: int) -> np.ndarray:
    """Run fn on tile padded up to the model's multiple; crop the padding off the result."""
    h, w = tile.shape[:2]
    out = fn(_pad_to_multiple(tile, multiple))
    return out[: h * scale, : w * scale]


RowsDone = Callable[[int, np.ndarray], None]


def process_tiled(
    pixels: TileSource,
    fn: TileFn,
    spec: TileSpec,
    progress: Progress | None = None,
    *,
    out: np.ndarray | None = None,
    on_rows_done: RowsDone | None = None,
) -> np.ndarray:
    """Apply fn to pixels (H, W) or (H, W, C) tile by tile and blend the results.

    fn takes an (h, w[, C]) float32 array and returns (h*scale, w*scale[, C']) float32.
    Progress is reported after each tile; cancellation is checked before each tile.

    Tiles are blended one tile row at a time in a band buffer; output rows are written once,
    when no later tile touches them, and no later tile reads input rows above them. So `out`
    (the result array, allocated when not given) may be the very array pixels reads from: a
    caller that owns its input can have the result written over it and save a whole image
    of memory. on_rows_done(top, rows) sees each finished run of output rows just before it
    is written, while the input rows under it are still intact (rows: a view of the tiler's
    buffer, valid during the call only).
    """
    progress = progress or NullProgress()
    h, w = pixels.shape[:2]
    s = spec.scale
    ys, tile_h = tile_layout(h, spec.tile, spec.overlap, spec.multiple)
    xs, tile_w = tile_layout(w, spec.tile, spec.overlap, spec.multiple)
    total = len(ys) * len(xs)

    if total == 1:
        progress.check_aborted()
        result = np.asarray(run_padded(np.asarray(pixels[0:h, 0:w]), fn, spec.multiple, s))
        progress.set_progress(1.0)
        if on_rows_done is not None:
            on_rows_done(0, result)
        if out is None:
            return np.ascontiguousarray(result, dtype=np.float32)
        out[...] = result
        return out

    col_weight = np.zeros(w * s, np.float32)
    col_ramps = []
    for ix, x0 in enumerate(xs):
        tw = min(tile_w, w - x0)
        ramp_left = (xs[ix - 1] + tile_w - x0) * s if ix > 0 else 0
        ramp_right = (x0 + tw - xs[ix + 1]) * s if ix + 1 < len(xs) else 0
        col_ramps.append(_ramp(tw * s, ramp_left, ramp_right))
        col_weight[x0 * s : (x0 + tw) * s] += col_ramps[-1]

    # band / band_weight hold the output rows from the current tile row's top, blended so far
    # (the rows the previous tile row left unfinished are already in).
    band: np.ndarray | None = None
    band_weight = np.zeros(tile_h * s, np.float32)
    done = 0
    for iy, y0 in enumerate(ys):
        th = min(tile_h, h - y0)
        # Ramps cover the part shared with the previous/next tile, in output pixels.
        ramp_top = (ys[iy - 1] + tile_h - y0) * s if iy > 0 else 0
        ramp_bottom = (y0 + th - ys[iy + 1]) * s if iy + 1 < len(ys) else 0
        wy = _ramp(th * s, ramp_top, ramp_bottom)
        for x0, wx in zip(xs, col_ramps, strict=True):
            progress.check_aborted()
            tw = min(tile_w, w - x0)
            tile = np.asarray(pixels[y0 : y0 + th, x0 : x0 + tw])
            result = run_padded(tile, fn, spec.multiple, s)
            if band is None:
                band = np.zeros((tile_h * s, w * s, *result.shape[2:]), np.float32)
                if out is None:
                    out = np.empty((h * s, w * s, *result.shape[2:]), np.float32)
            wt = np.outer(wy, wx)
            region = (slice(0, th * s), slice(x0 * s, (x0 + tw) * s))
            band[region] += result * (wt[:, :, None] if result.ndim == 3 else wt)
            done += 1
            progress.set_progress(done / total)
        assert band is not None and out is not None
        band_weight[: th * s] += wy
        # Rows above the next tile row's top are final: no later tile writes or reads there.
        top, bottom = y0 * s, (ys[iy + 1] if iy + 1 < len(ys) else h) * s
        final = bottom - top
        weight = np.outer(band_weight[:final], col_weight)
        # Divided where they are (these band rows are not read again): a temporary the size
        # of the band was allocated, and its pages faulted in, for every tile row.
        rows = band[:final]
        rows /= weight[:, :, None] if band.ndim == 3 else weight
        if on_rows_done is not None:
            on_rows_done(top, rows)
        out[top:bottom] = rows
        # Carry the unfinished rows to the top of the band.
        keep = th * s - final
        band[:keep] = band[final : final + keep]
        band[keep:] = 0.0
        band_weight[:keep] = band_weight[final : final + keep]
        band_weight[keep:] = 0.0
    assert out is not None
    return out
