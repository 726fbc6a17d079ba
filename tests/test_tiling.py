"""The one tiler: tiled equals whole-image output, no seams, progress and cancel per tile."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from restorer.core.progress import Cancelled
from restorer.core.tiling import TileSpec, process_tiled, smallest_tile, tile_layout
from restorer.io import read_image
from restorer.models.registry import get_model


@pytest.fixture(scope="module")
def denoiser() -> Callable[[np.ndarray], np.ndarray]:
    from restorer.models.loader import load_bundled
    from restorer.resources import models_dir

    model = load_bundled(get_model("denoise-gray"), models_dir())
    level = torch.tensor([25 / 255])

    def run(tile: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(tile)).permute(2, 0, 1)[None]
            return model(t, level)[0].permute(1, 2, 0).numpy()

    return run


@pytest.fixture(scope="module")
def noisy_photo(samples: Path) -> np.ndarray:
    clean = read_image(samples / "camera.png").pixels
    clean = cv2.resize(clean, (1000, 760), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(5)
    return (clean + rng.normal(0, 25 / 255, clean.shape)).astype(np.float32)[:, :, None]


def test_layout_covers_the_image_with_the_overlap() -> None:
    for length in (1, 100, 511, 512, 513, 1000, 2048, 4097):
        starts, size = tile_layout(length, 512, 96, 16)
        padded = -(-length // 16) * 16
        assert starts[0] == 0 and starts[-1] + size == padded
        assert size <= 512 or len(starts) == 1
        assert all(s % 16 == 0 for s in starts) and size % 16 == 0
        for a, b in itertools.pairwise(starts):
            assert a + size - b >= 96  # neighbours share at least the overlap


def test_layout_without_overlap_covers_the_image_without_extra_pixels() -> None:
    """Networks that see fixed patches (the noise-map estimator) tile without an overlap:
    the tiles then cover the padded length exactly once, as few and as small as can be."""
    for length in (1, 100, 1000, 1280, 1281, 2048, 3000, 4097, 6000):
        starts, size = tile_layout(length, 1280, 0, 128)
        padded = -(-length // 128) * 128
        count = -(-padded // 1280)
        assert len(starts) == count and starts[0] == 0 and starts[-1] + size == padded
        assert size == -(-padded // count // 128) * 128 <= 1280
        assert all(s % 128 == 0 for s in starts)
        for a, b in itertools.pairwise(starts):
            assert b <= a + size  # no gap
    assert tile_layout(2048, 1280, 0, 128) == ([0, 1024], 1024)


def test_tiled_equals_whole_image_within_one_level(
    denoiser: Callable[[np.ndarray], np.ndarray], noisy_photo: np.ndarray
) -> None:
    overlap = get_model("denoise-gray").tile_overlap  # the overlap the app uses
    whole = process_tiled(noisy_photo, denoiser, TileSpec(tile=0, overlap=0, multiple=16))
    tiled = process_tiled(noisy_photo, denoiser, TileSpec(tile=384, overlap=overlap, multiple=16))
    assert tiled.shape == whole.shape
    assert np.abs(tiled - whole).max() < 1 / 255


def test_no_seam_along_tile_borders(
    denoiser: Callable[[np.ndarray], np.ndarray], noisy_photo: np.ndarray
) -> None:
    spec = TileSpec(tile=256, overlap=64, multiple=16)
    whole = process_tiled(noisy_photo, denoiser, TileSpec(tile=0, overlap=0, multiple=16))
    tiled = process_tiled(noisy_photo, denoiser, spec)
    diff = np.abs(tiled - whole)[:, :, 0]
    starts, size = tile_layout(noisy_photo.shape[1], spec.tile, spec.overlap, spec.multiple)
    # Columns where one tile hands over to the next, against the image as a whole.
    seams = sorted({s + size // 2 for s in starts[:-1]} | {s for s in starts[1:]})
    seam_error = diff[:, [c for c in seams if c < diff.shape[1]]].mean()
    assert seam_error < 3 * diff.mean() + 0.2 / 255


def test_scaled_tiles_blend_to_the_right_size() -> None:
    img = np.random.default_rng(0).random((100, 130, 3)).astype(np.float32)

    def upscale(tile: np.ndarray) -> np.ndarray:
        return np.repeat(np.repeat(tile, 2, axis=0), 2, axis=1)

    out = process_tiled(img, upscale, TileSpec(tile=48, overlap=16, scale=2, multiple=4))
    np.testing.assert_allclose(out, upscale(img), atol=1e-6)


def test_progress_per_tile_and_cancel_between_tiles() -> None:
    img = np.zeros((300, 300, 1), np.float32)
    seen: list[float] = []

    class Recorder:
        def set_progress(self, fraction: float) -> None:
            seen.append(fraction)

        def message(self, text: str) -> None:
            pass

        def check_aborted(self) -> None:
            if len(seen) >= 2:
                raise Cancelled

    calls = []

    def identity(tile: np.ndarray) -> np.ndarray:
        calls.append(tile.shape)
        return tile

    with pytest.raises(Cancelled):
        process_tiled(img, identity, TileSpec(tile=128, overlap=32), Recorder())
    assert len(calls) == 2  # stopped before the third tile
    assert seen == pytest.approx([1 / 9, 2 / 9])


def test_tile_padding_to_the_model_multiple() -> None:
    img = np.random.default_rng(1).random((37, 45, 1)).astype(np.float32)
    shapes = []

    def check(tile: np.ndarray) -> np.ndarray:
        shapes.append(tile.shape[:2])
        assert tile.shape[0] % 16 == 0 and tile.shape[1] % 16 == 0
        return tile

    out = process_tiled(img, check, TileSpec(tile=0, overlap=0, multiple=16))
    np.testing.assert_array_equal(out, img)
    assert shapes == [(48, 48)]


def test_result_written_over_its_own_input_equals_a_separate_result(
    denoiser: Callable[[np.ndarray], np.ndarray], noisy_photo: np.ndarray
) -> None:
    """The band-by-band write lets a caller that owns its input have the result replace it
    (saving a whole image of memory): no tile may read rows already overwritten."""
    spec = TileSpec(tile=256, overlap=32, multiple=16)
    separate = process_tiled(noisy_photo, denoiser, spec)
    own = noisy_photo.copy()
    seen: list[tuple[int, int]] = []
    in_place = process_tiled(
        own, denoiser, spec, out=own, on_rows_done=lambda top, rows: seen.append((top, len(rows)))
    )
    assert in_place is own
    np.testing.assert_array_equal(in_place, separate)
    # Every output row is reported exactly once, top to bottom.
    assert [top for top, _ in seen] == sorted(top for top, _ in seen)
    assert sum(n for _, n in seen) == noisy_photo.shape[0]


def test_rows_done_sees_the_input_rows_still_intact() -> None:
    img = np.random.default_rng(1).random((300, 200, 3)).astype(np.float32)
    original = img.copy()

    def check(top: int, rows: np.ndarray) -> None:
        np.testing.assert_array_equal(img[top : top + len(rows)], original[top : top + len(rows)])

    process_tiled(img, lambda t: t * 2, TileSpec(tile=96, overlap=32), out=img, on_rows_done=check)
    np.testing.assert_allclose(img, original * 2, rtol=1e-6)


@pytest.mark.parametrize(("overlap", "multiple"), [(32, 8), (0, 128), (96, 16), (32, 1)])
def test_smallest_tile_is_the_smallest_a_spec_takes(overlap: int, multiple: int) -> None:
    tile = smallest_tile(overlap, multiple)
    assert tile % multiple == 0
    TileSpec(tile=tile, overlap=overlap, multiple=multiple)
    with pytest.raises(ValueError):
        TileSpec(tile=tile - multiple, overlap=overlap, multiple=multiple)
