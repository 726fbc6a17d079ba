"""`restorer bench inpaint` and `restorer bench automask`.

inpaint: a fixed, seeded set of masks per image in three sizes (small: scratches and dust,
medium: brush strokes, large: blobs and rectangles); PSNR and SSIM inside the hole for our
network, OpenCV Telea and OpenCV Navier-Stokes; seconds per image.

automask: synthetic scratches and dust drawn on test images (restorer.physics.masks.
scan_defects; the detector's training generator draws the same kinds, and more, on other
images), then detected by our network and by the contrast rule it replaced; pixel precision
and recall with one pixel of tolerance (defect edges are soft), recall also over the visible
defect pixels only, the area flagged on the undamaged images, and megapixels per second.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from restorer.bench.common import Score, image_files, markdown_table, seed_for, timed
from restorer.core.image import Image
from restorer.core.ops import psnr, ssim, to_gray
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.io.convert import float_to_integer
from restorer.physics.masks import benchmark_mask, scan_defects
from restorer.tasks.defects import DefectSettings, contrast_defects
from restorer.tasks.inpaint import DETECT_TASK, TASK, DetectParams, InpaintParams

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]
SIZES = ("small", "medium", "large")


def _opencv(flag: int) -> Method:
    import cv2  # a benchmark and training dependency, not the application's

    def run(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        u8 = float_to_integer(pixels, 8)
        if u8.ndim == 3:
            u8 = np.ascontiguousarray(u8[:, :, ::-1])
        out = cv2.inpaint(u8, (mask > 0.5).astype(np.uint8), 5, flag)
        if out.ndim == 3:
            out = out[:, :, ::-1]
        # Only the hole is the method's work; the rest stays as it was.
        filled = out.astype(np.float32) / 255.0
        return np.where((mask > 0.5)[..., None] if pixels.ndim == 3 else mask > 0.5, filled, pixels)

    return run


def ours(engine: Engine) -> Method:
    def run(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return engine.run_task(TASK, Image(pixels), InpaintParams(mask=mask)).pixels

    return run


def evaluate(
    folder: Path, fills: dict[str, Method], limit: int | None = None
) -> dict[tuple[str, str], Score]:
    scores: dict[tuple[str, str], Score] = {}
    for path in image_files(folder)[:limit]:
        clean = read_image(path).pixels
        for size in SIZES:
            damaged, mask = masked(clean, path.name, size)
            hole = mask > 0.5
            for name, method in fills.items():
                out, seconds = timed(partial(method, damaged, mask))
                scores.setdefault((size, name), Score()).add(
                    psnr(clean, out, mask=hole),
                    ssim(clean, out, mask=hole),
                    seconds,
                    float(mask.mean()),
                )
    return scores


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        required=True,
        help="test folders, e.g. ../shared/data/test/cbsd68",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N images per folder")


def methods(engine: Engine) -> dict[str, Method]:
    """The compared fills by name (the table's rows and the README figure's columns)."""
    import cv2  # a benchmark and training dependency, not the application's

    return {
        "ours": ours(engine),
        "OpenCV Telea": _opencv(cv2.INPAINT_TELEA),
        "OpenCV Navier-Stokes": _opencv(cv2.INPAINT_NS),
    }


def masked(clean: np.ndarray, name: str, size: str) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's damaged image (hole set to 0) and mask for image `name` and a size."""
    rng = np.random.default_rng(seed_for(name, size))
    mask = benchmark_mask(clean.shape[0], clean.shape[1], size, rng)
    hole = mask > 0.5
    damaged = np.where(hole[..., None] if clean.ndim == 3 else hole, 0.0, clean)
    return damaged.astype(np.float32), mask


def run(args: argparse.Namespace, engine: Engine) -> int:
    fills = methods(engine)
    rows = []
    for folder in args.data:
        for (size, name), score in evaluate(folder, fills, args.limit).items():
            n = len(score.psnr)
            rows.append(
                (
                    folder.name,
                    size,
                    f"{score.megapixels / n:.1%}",
                    name,
                    float(np.mean(score.psnr)),
                    float(np.mean(score.ssim)),
                    score.seconds / n,
                )
            )
    print(
        markdown_table(
            ["set", "masks", "hole area", "method", "PSNR in hole dB", "SSIM in hole", "s / image"],
            rows,
        )
    )
    return 0


def add_automask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--sensitivity", type=float, default=1.0)


Detector = Callable[[np.ndarray], np.ndarray]
VISIBLE = 0.06  # a defect pixel that changes the image by less than this cannot be seen


def _dilate(mask: np.ndarray, px: int = 1) -> np.ndarray:
    import cv2  # a benchmark and training dependency, not the application's

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def automask_scores(folder: Path, detect: Detector, limit: int | None) -> dict[str, float | str]:
    """precision, recall, recall of the visible defects, area flagged on clean images (mean,
    and the worst image: a mean over many plain photographs hides the textures, such as fur,
    that a detector mistakes for defects), and megapixels per second."""
    hits_det = total_det = hits_true = total_true = hits_visible = total_visible = 0
    false_area: dict[str, float] = {}
    seconds = megapixels = 0.0
    for path in image_files(folder)[:limit]:
        clean = read_image(path).pixels
        rng = np.random.default_rng(seed_for(path.name, "defects"))
        damaged, truth = scan_defects(clean, rng)
        detected, took = timed(partial(detect, damaged))
        found = detected > 0.5
        seconds += took
        megapixels += damaged.shape[0] * damaged.shape[1] / 1e6
        # Detections are grown by one pixel: they count as right within two of a defect.
        near_truth = _dilate(truth, 2)
        true = truth > 0.5
        visible = true & (np.abs(to_gray(damaged) - to_gray(clean)) > VISIBLE)
        found_near = _dilate(found, 1)
        hits_det += int((found & near_truth).sum())
        total_det += int(found.sum())
        hits_true += int((true & found_near).sum())
        total_true += int(true.sum())
        hits_visible += int((visible & found_near).sum())
        total_visible += int(visible.sum())
        false_area[path.stem] = float((detect(clean) > 0.5).mean())
    worst = max(false_area, key=false_area.__getitem__)
    return {
        "precision": hits_det / max(total_det, 1),
        "recall": hits_true / max(total_true, 1),
        "visible recall": hits_visible / max(total_visible, 1),
        "flagged on clean": float(np.mean(list(false_area.values()))),
        "worst clean": false_area[worst],
        "worst clean image": worst,
        "MP/s": megapixels / max(seconds, 1e-9),
    }


def detectors(engine: Engine, sensitivity: float) -> dict[str, Detector]:
    settings = DefectSettings(sensitivity=sensitivity)
    return {
        "ours (network)": lambda pixels: (
            engine.run_task(
                DETECT_TASK, Image(pixels), DetectParams(sensitivity=sensitivity)
            ).pixels
        ),
        "contrast rule": lambda pixels: contrast_defects(pixels, settings),
    }


def run_automask(args: argparse.Namespace, engine: Engine) -> int:
    rows = []
    for folder in args.data:
        for name, detect in detectors(engine, args.sensitivity).items():
            scores = automask_scores(folder, detect, args.limit)
            rows.append(
                (
                    folder.name,
                    name,
                    args.sensitivity,
                    f"{scores['precision']:.2f}",
                    f"{scores['recall']:.2f}",
                    f"{scores['visible recall']:.2f}",
                    f"{scores['flagged on clean']:.2%}",
                    f"{scores['worst clean']:.2%} ({scores['worst clean image']})",
                    f"{scores['MP/s']:.2f}",
                )
            )
    headers = ["set", "detector", "sensitivity", "precision", "recall", "recall (visible)"]
    flagged = ["area flagged on clean images", "worst clean image"]
    print(markdown_table([*headers, *flagged, "MP/s"], rows))
    return 0
