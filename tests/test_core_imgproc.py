"""The numpy image operations that stand in for OpenCV in the application, checked against
OpenCV itself (a test dependency only)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from restorer.core.brush import paint_segment
from restorer.core.fill import smooth_fill
from restorer.core.filters import box_extremes, gaussian_blur, median_at, median_at_samples
from restorer.core.morphology import (
    connected_components,
    dilate,
    disc,
    distance_inside,
    hysteresis,
)
from restorer.core.resample import enlarge_cubic, enlarge_linear, reduce_area, resize_mask


def median_filter(plane: np.ndarray, size: int) -> np.ndarray:
    """The median everywhere, through median_at."""
    rows, cols = np.indices(plane.shape)
    return median_at(plane, size, rows.ravel(), cols.ravel()).reshape(plane.shape)


@pytest.fixture
def masks(rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for _ in range(25):
        h, w = rng.integers(1, 70, 2)
        out.append(rng.random((h, w)) < rng.uniform(0.05, 0.8))
    return out


@pytest.mark.parametrize("connectivity", [4, 8])
def test_components_match_opencv(masks: list[np.ndarray], connectivity: int) -> None:
    for mask in masks:
        ours = connected_components(mask, connectivity)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask.astype(np.uint8), connectivity=connectivity
        )
        assert ours.count == count - 1
        pairs = set(zip(ours.labels[mask].tolist(), labels[mask].tolist(), strict=True))
        assert len(pairs) == ours.count  # the same partition, whatever the numbering
        for a, b in pairs:
            assert ours.box(a) == tuple(int(v) for v in stats[b])
        assert (ours.labels[~mask] == 0).all()


def test_long_snake_is_one_component() -> None:
    mask = np.zeros((41, 41), bool)
    mask[::4, 1:-1] = True  # rows joined alternately at the right and left ends
    mask[np.arange(41) % 8 < 4, -2] = True
    mask[(np.arange(41) + 4) % 8 < 4, 1] = True
    expected = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)[0] - 1
    assert connected_components(mask, 4).count == expected == 1


def test_hysteresis_keeps_weak_parts_of_strong_detections(rng: np.random.Generator) -> None:
    strength = cv2.GaussianBlur(rng.random((120, 160)).astype(np.float32), (0, 0), 2.0)
    strength = (strength - strength.min()) / (strength.max() - strength.min())
    low, high = 0.55, 0.8
    count, labels = cv2.connectedComponents((strength > low).astype(np.uint8), connectivity=8)
    expected = np.zeros(strength.shape, bool)
    for label in range(1, count):
        part = labels == label
        if strength[part].max() > high:
            expected |= part
    kept = hysteresis(strength, low, high)
    assert np.array_equal(kept, expected)
    assert 0 < kept.sum() < (strength > low).sum()  # some components kept, some dropped


def test_distance_matches_opencv(masks: list[np.ndarray]) -> None:
    for mask in masks:
        ours = distance_inside(mask)
        ref = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
        np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_disc_and_dilation_match_opencv(masks: list[np.ndarray]) -> None:
    for d in (1, 3, 5, 9, 15, 97):
        element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))
        np.testing.assert_array_equal(disc(d), element.astype(bool))
    for mask in masks:
        for footprint in (disc(5), np.ones((1, 3), bool), np.ones((3, 3), bool)):
            ref = cv2.dilate(mask.astype(np.uint8), footprint.astype(np.uint8))
            np.testing.assert_array_equal(dilate(mask, footprint), ref.astype(bool))


def test_filters_match_opencv(rng: np.random.Generator) -> None:
    x = rng.random((37, 52))
    np.testing.assert_allclose(
        gaussian_blur(x, 1.5, 11, border="symmetric"),
        cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT),
        atol=1e-12,
    )
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(
        gaussian_blur(x32, 1.0), cv2.GaussianBlur(x32, (0, 0), 1.0), atol=1e-6
    )
    u8 = (x * 255).astype(np.uint8)
    for size in (5, 9, 15):
        np.testing.assert_array_equal(median_filter(u8, size), cv2.medianBlur(u8, size))
    np.testing.assert_array_equal(median_filter(x32, 5), cv2.medianBlur(x32, 5))
    rows, cols = np.array([0, 36, 10]), np.array([0, 51, 20])
    np.testing.assert_array_equal(median_at(u8, 9, rows, cols), cv2.medianBlur(u8, 9)[rows, cols])
    lo, hi = box_extremes(u8, 9)
    square = np.ones((9, 9), np.uint8)
    np.testing.assert_array_equal(lo, cv2.erode(u8, square, borderType=cv2.BORDER_REPLICATE))
    np.testing.assert_array_equal(hi, cv2.dilate(u8, square, borderType=cv2.BORDER_REPLICATE))


@pytest.mark.parametrize("size", [(256, 256), (111, 139), (166, 208), (1, 1), (333, 417)])
def test_area_reduction_matches_opencv(rng: np.random.Generator, size: tuple[int, int]) -> None:
    x = rng.random((417, 333, 3)).astype(np.float32)
    ref = cv2.resize(x, size, interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(reduce_area(x, size), ref, atol=1e-6)


@pytest.mark.parametrize("size", [(66, 82), (100, 125), (33, 41)])
def test_interpolation_matches_opencv(rng: np.random.Generator, size: tuple[int, int]) -> None:
    x = rng.random((41, 33, 3)).astype(np.float32)
    cubic = cv2.resize(x, size, interpolation=cv2.INTER_CUBIC)
    linear = cv2.resize(x, size, interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(enlarge_cubic(x, size), cubic, atol=1e-5)
    np.testing.assert_allclose(enlarge_linear(x, size), linear, atol=1e-5)


def test_reduced_mask_keeps_every_touched_pixel() -> None:
    mask = np.zeros((512, 512), bool)
    mask[101, 301] = True
    small = resize_mask(mask, (256, 256))
    assert small.sum() == 1 and small[50, 150]
    assert resize_mask(small, (512, 512)).sum() == 4


def test_smooth_fill_continues_the_edges() -> None:
    image = np.zeros((100, 120, 3), np.float32)
    image[:, :60] = 1.0
    hole = np.zeros((100, 120), bool)
    hole[30:70, 40:80] = True
    filled = smooth_fill(image, hole)
    np.testing.assert_array_equal(filled[~hole], image[~hole])
    row = filled[50, 40:80, 0]
    assert row[0] > 0.9 and row[-1] < 0.15  # each side takes its neighbour's value
    assert (np.diff(row) <= 1e-6).all()  # and the fill passes smoothly between them


def test_brush_paints_a_capsule() -> None:
    mask = np.zeros((40, 60), np.uint8)
    paint_segment(mask, (10, 20), (50, 20), 3, 1)
    assert mask[20, 10:51].all() and mask[17:24, 30].all()
    assert not mask[15, 30] and not mask[20, 5]
    paint_segment(mask, (30, 20), (30, 20), 0, 0)  # a zero-radius eraser clears one pixel
    assert mask[20, 30] == 0 and mask[20, 29] == 1


def test_median_bounds_hold(rng: np.random.Generator) -> None:
    from restorer.core.filters import median_bounds

    u8 = (rng.random((60, 70)) * 255).astype(np.uint8)
    median = cv2.medianBlur(u8, 9)
    lo, hi = median_bounds(u8, 9)
    assert (lo <= median).all() and (median <= hi).all()
    assert (hi.astype(int) - lo).mean() < 0.5 * (
        box_extremes(u8, 9)[1].astype(int) - box_extremes(u8, 9)[0]
    ).mean()


def _defects_with_opencv(pixels: np.ndarray, sensitivity: float) -> np.ndarray:
    """The detector written with OpenCV's whole-image medians, as it was before."""
    from restorer.core.ops import to_gray
    from restorer.io.convert import float_to_integer
    from restorer.tasks.defects import DefectSettings

    s = DefectSettings(sensitivity=sensitivity)
    gray = np.ascontiguousarray(np.clip(to_gray(pixels), 0, 1), dtype=np.float32)

    def median(plane: np.ndarray, size: int) -> np.ndarray:
        return cv2.medianBlur(float_to_integer(plane, 8), size).astype(np.float32) / 255.0

    residual = np.abs(gray - median(gray, 9))
    typical = median(residual, 15)
    candidates = (residual > s.min_contrast / sensitivity) & (
        residual > s.texture_ratio / sensitivity * typical
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates.astype(np.uint8), 8)
    keep = np.zeros(count, bool)
    for i in range(1, count):
        x, y, w, h, area = stats[i]
        if area <= s.max_speck_area and max(w, h) <= 3 * min(w, h) + 2:
            keep[i] = True
        elif max(w, h) >= s.min_scratch_length:
            part = np.pad((labels[y : y + h, x : x + w] == i).astype(np.uint8), 1)
            half = float(cv2.distanceTransform(part, cv2.DIST_L2, 3).max())
            keep[i] = half <= s.max_scratch_width and area / max(half, 1.0) >= s.min_scratch_length
    grown = cv2.dilate(keep[labels].astype(np.uint8), cv2.getStructuringElement(2, (3, 3)))
    return grown.astype(np.float32)


@pytest.mark.parametrize("sensitivity", [0.5, 1.0, 2.0])
def test_defect_detection_equals_the_opencv_version(
    samples: Path, rng: np.random.Generator, sensitivity: float
) -> None:
    from restorer.io import read_image
    from restorer.tasks.defects import DefectSettings, contrast_defects

    for name in ("camera.png", "coffee.png"):
        pixels = read_image(samples / name).pixels.copy()
        for _ in range(6):  # scratches of random brightness
            y = int(rng.integers(0, pixels.shape[0] - 3))
            pixels[y : y + 2, 10:220] = rng.random()
        ours = contrast_defects(pixels, DefectSettings(sensitivity=sensitivity))
        np.testing.assert_array_equal(ours, _defects_with_opencv(pixels, sensitivity))


def test_median_at_samples_equals_median_at_per_channel() -> None:
    """The gathered medians (any channel, at the image's edges too) are median_at's."""
    rng = np.random.default_rng(3)
    image = rng.random((23, 17, 3)).astype(np.float32)
    where = rng.random(image.shape) < 0.3
    where[0, 0, :] = where[-1, -1, :] = True  # corners: the replicated border
    rows, cols, channels = np.nonzero(where)
    got = median_at_samples(image, 5, (rows, cols, channels))
    expected = np.empty_like(got)
    for c in range(3):
        mine = channels == c
        expected[mine] = median_at(np.ascontiguousarray(image[:, :, c]), 5, rows[mine], cols[mine])
    np.testing.assert_array_equal(got, expected)
    gray = image[:, :, 0]
    rows, cols = np.nonzero(where[:, :, 0])
    np.testing.assert_array_equal(
        median_at_samples(gray, 7, (rows, cols)), median_at(gray, 7, rows, cols)
    )
