"""Maps that vary slowly across an image, held at a fraction of its size.

A noise-level map or a local-mean correction changes over tens to hundreds of pixels; kept at
full resolution for a 100-megapixel photo it would cost as much memory as the photo. Here
such a map is stored as means of factor x factor blocks and enlarged bilinearly (between
block centres, in float32) only for the window being worked on, so a tile or a strip of rows
sees exactly the values a whole-image enlargement would give it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def block_counts(height: int, width: int, factor: int) -> np.ndarray:
    """How many pixels each block of an (height, width) image holds, (Hb, Wb) float64."""
    per_row = np.minimum(factor, height - np.arange(0, height, factor))
    per_col = np.minimum(factor, width - np.arange(0, width, factor))
    return np.outer(per_row, per_col).astype(np.float64)


def _axis_weights(start: int, stop: int, factor: int, blocks: int) -> tuple[np.ndarray, ...]:
    """For pixels start..stop-1 along one axis: the two neighbouring block indices and the
    weight of the second (bilinear between block centres, constant beyond the outer ones)."""
    t = (np.arange(start, stop, dtype=np.float64) - (factor - 1) / 2) / factor
    t = np.clip(t, 0.0, blocks - 1)
    first = np.minimum(np.floor(t).astype(np.int64), blocks - 1)
    second = np.minimum(first + 1, blocks - 1)
    return first, second, (t - first)


@dataclass(frozen=True)
class CoarseMap:
    """values: (Hb, Wb[, C]) block means of a (height, width[, C]) map, blocks of factor."""

    values: np.ndarray
    factor: int
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.height, self.width, *self.values.shape[2:])

    @classmethod
    def empty(cls, height: int, width: int, channels: int, factor: int) -> CoarseMap:
        blocks = (-(-height // factor), -(-width // factor), channels)
        return cls(np.zeros(blocks, np.float32), factor, height, width)

    @classmethod
    def constant(cls, shape: tuple[int, ...], factor: int, value: float) -> CoarseMap:
        """A map of `value` everywhere over an (H, W, C) shape (a level given rather than
        estimated)."""
        height, width, channels = shape
        level = cls.empty(height, width, channels, factor)
        level.values[...] = value
        return level

    def window(self, rows: slice, cols: slice) -> np.ndarray:
        """The map enlarged to full resolution over rows x cols (steps of 1), float32."""
        y0, y1, _ = rows.indices(self.height)
        x0, x1, _ = cols.indices(self.width)
        blocks_y, blocks_x = self.values.shape[:2]
        r0, r1, ry = _axis_weights(y0, y1, self.factor, blocks_y)
        c0, c1, cx = _axis_weights(x0, x1, self.factor, blocks_x)
        # Columns first, on the few block rows the window needs; then rows.
        first = int(r0[0])
        v = self.values[first : int(r1[-1]) + 1]
        trailing = (1,) * (v.ndim - 2)
        cx = cx.astype(np.float32).reshape(1, -1, *trailing)
        # np.take, not v[:, c0]: an advanced index on the middle axis of a 3-D array gives a
        # result whose rows are not contiguous, and everything after ran on that layout.
        by_col = np.take(v, c0, axis=1) * (1 - cx)
        by_col += np.take(v, c1, axis=1) * cx
        ry = ry.astype(np.float32).reshape(-1, 1, *trailing)
        out = np.empty((y1 - y0, *by_col.shape[1:]), np.float32)
        # Rows between the same two block centres (factor of them) share their two block
        # rows: each run is low + (high - low) * ry, written straight into out. Gathering
        # the two block rows of every output row first, as this did, cost two more passes
        # over the window (24 MP denoise: 1.2 s in this function).
        change = np.flatnonzero(r0[1:] != r0[:-1]) + 1
        for start, stop in zip([0, *change], [*change, len(r0)], strict=True):
            low = by_col[r0[start] - first]
            run = out[start:stop]
            np.multiply(by_col[r1[start] - first] - low, ry[start:stop], out=run)
            run += low
        return out

    def mean(self) -> float:
        counts = block_counts(self.height, self.width, self.factor)
        weights = counts[:, :, None] if self.values.ndim == 3 else counts
        total = float((self.values * weights).sum())
        return total / (self.height * self.width * (self.values.size // counts.size))

    def scaled(self, multiplier: float, ceiling: float) -> CoarseMap:
        """The map times multiplier, capped at ceiling."""
        values = np.minimum(self.values * np.float32(multiplier), np.float32(ceiling))
        return CoarseMap(values.astype(np.float32), self.factor, self.height, self.width)


class BlockAccumulator:
    """Block means of a (height, width, C) map built from runs of rows that arrive in any
    sizes and at any offsets (a tiler's finished rows), each row once."""

    def __init__(self, height: int, width: int, channels: int, factor: int) -> None:
        self.factor = factor
        self.height = height
        self.width = width
        self._sums = np.zeros((-(-height // factor), -(-width // factor), channels), np.float64)

    def add_rows(self, top: int, rows: np.ndarray) -> None:
        rows = rows if rows.ndim == 3 else rows[:, :, None]
        factor = self.factor
        if top % factor == 0 and rows.shape[0] % factor == 0:
            # Whole blocks of rows (the usual case): summed through a reshape, in the same
            # order as reduceat and ten times faster (6 -> 0.6 ms for 256 rows of 2048 x 3).
            count = rows.shape[0] // factor
            by_row = rows.reshape(count, factor, *rows.shape[1:]).sum(axis=1, dtype=np.float64)
            block_rows = top // factor + np.arange(count)
        else:
            block_of_row = (top + np.arange(rows.shape[0])) // factor
            starts = np.flatnonzero(np.r_[True, block_of_row[1:] != block_of_row[:-1]])
            by_row = np.add.reduceat(rows, starts, axis=0, dtype=np.float64)
            block_rows = block_of_row[starts]
        sums = np.add.reduceat(by_row, np.arange(0, rows.shape[1], factor), axis=1)
        self._sums[block_rows] += sums

    def means(self) -> CoarseMap:
        counts = block_counts(self.height, self.width, self.factor)[:, :, None]
        values = (self._sums / counts).astype(np.float32)
        return CoarseMap(values, self.factor, self.height, self.width)


class PlanesWithMap:
    """Image planes (H, W, C) with a coarse map's channels appended, made tile by tile: what a
    conditional network reads (the denoisers take a noise-level map beside the image)."""

    def __init__(self, planes: np.ndarray, level: CoarseMap) -> None:
        if planes.shape[:2] != (level.height, level.width):
            raise ValueError("the map and the planes differ in size")
        self.planes = planes
        self.level = level

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.planes.shape[:2], self.planes.shape[2] + self.level.values.shape[2])

    def __getitem__(self, index: tuple[slice, slice]) -> np.ndarray:
        rows, cols = index
        return np.concatenate([self.planes[rows, cols], self.level.window(rows, cols)], axis=2)
