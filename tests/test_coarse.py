"""Slowly varying maps kept at a fraction of the image's size, enlarged window by window."""

from __future__ import annotations

import numpy as np

from restorer.core.coarse import BlockAccumulator, CoarseMap, PlanesWithMap


def _coarse_of(full: np.ndarray, factor: int, strip: int) -> CoarseMap:
    blocks = BlockAccumulator(full.shape[0], full.shape[1], full.shape[2], factor)
    for top in range(0, full.shape[0], strip):
        blocks.add_rows(top, full[top : top + strip])
    return blocks.means()


def test_block_means_include_partial_blocks_at_the_edges() -> None:
    full = np.random.default_rng(0).random((37, 29, 2)).astype(np.float32)
    coarse = _coarse_of(full, 8, 16)
    assert coarse.values.shape == (5, 4, 2)
    np.testing.assert_allclose(coarse.values[4, 3], full[32:, 24:].mean(axis=(0, 1)), rtol=1e-6)
    np.testing.assert_allclose(coarse.mean(), full.mean(), rtol=1e-6)


def test_windows_agree_with_the_whole_enlargement() -> None:
    """A tile sees exactly what an enlargement of the whole map gives at its pixels."""
    full = np.random.default_rng(1).random((100, 70, 3)).astype(np.float32)
    coarse = _coarse_of(full, 8, 32)
    whole = coarse.window(slice(0, 100), slice(0, 70))
    assert whole.shape == full.shape
    np.testing.assert_array_equal(coarse.window(slice(13, 61), slice(7, 50)), whole[13:61, 7:50])


def test_a_smooth_map_comes_back_from_its_blocks() -> None:
    y, x = np.mgrid[0:128, 0:96].astype(np.float32)
    ramp = (0.01 * y + 0.02 * x)[:, :, None]
    back = _coarse_of(ramp, 8, 64).window(slice(0, 128), slice(0, 96))
    inner = (slice(4, -4), slice(4, -4))  # beyond the outer block centres it is held flat
    np.testing.assert_allclose(back[inner], ramp[inner], atol=1e-4)


def test_planes_with_map_appends_the_map_channels() -> None:
    planes = np.zeros((40, 30, 3), np.float32)
    level = CoarseMap.empty(40, 30, 3, 8)
    level.values[...] = 0.1
    source = PlanesWithMap(planes, level)
    assert source.shape == (40, 30, 6)
    tile = source[5:20, 3:9]
    assert tile.shape == (15, 6, 6)
    np.testing.assert_allclose(tile[:, :, 3:], 0.1)


def test_block_sums_are_the_same_whether_rows_arrive_in_whole_blocks_or_not() -> None:
    """Runs of whole blocks take a faster path (a reshape); its sums must be those of the
    general one, bit for bit, or a tiled result would depend on how the tiler cut its rows."""
    rng = np.random.default_rng(3)
    image = rng.random((515, 300, 3)).astype(np.float32)
    whole_blocks, ragged = BlockAccumulator(515, 300, 3, 16), BlockAccumulator(515, 300, 3, 16)
    top = 0
    for rows in (64, 128, 256, 67):  # whole blocks, then the partial last block
        whole_blocks.add_rows(top, image[top : top + rows])
        top += rows
    top = 0
    for rows in (5, 100, 77, 333):  # never aligned to a block
        ragged.add_rows(top, image[top : top + rows])
        top += rows
    np.testing.assert_array_equal(whole_blocks.means().values, ragged.means().values)
