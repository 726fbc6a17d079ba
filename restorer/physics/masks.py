"""Random hole masks for inpainting: free-form strokes, thin scratches, dust specks, blobs and
rectangles. numpy + OpenCV drawing; 1.0 marks missing pixels."""

from __future__ import annotations

import numpy as np


def _stroke(mask: np.ndarray, rng: np.random.Generator, max_width: int) -> None:
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
    width = int(rng.integers(max(3, max_width // 4), max_width + 1))
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(3, 10))):
        angle += rng.uniform(-1.2, 1.2)
        length = rng.uniform(0.05, 0.25) * max(h, w)
        nx = int(np.clip(x + length * np.cos(angle), 0, w - 1))
        ny = int(np.clip(y + length * np.sin(angle), 0, h - 1))
        cv2.line(mask, (x, y), (nx, ny), 1.0, width, lineType=cv2.LINE_AA)
        x, y = nx, ny


def scratch(mask: np.ndarray, rng: np.random.Generator) -> None:
    """A long, thin, gently curved line, like a scratch on film or a print."""
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    vertical = rng.random() < 0.6
    n = 12
    t = np.linspace(0, 1, n)
    start, end = rng.uniform(0, 1, 2)
    bend = rng.normal(0, 0.008, n).cumsum()  # gently curved, as a scratch drags along
    along = t * rng.uniform(0.4, 1.0) + rng.uniform(0, 0.3)
    across = start + (end - start) * t * 0.2 + bend
    if vertical:
        pts = np.stack([across * w, along * h], axis=1)
    else:
        pts = np.stack([along * w, across * h], axis=1)
    thickness = int(rng.integers(1, 4))
    cv2.polylines(mask, [pts.astype(np.int32)], False, 1.0, thickness, lineType=cv2.LINE_AA)


def specks(mask: np.ndarray, rng: np.random.Generator, count: int) -> None:
    """Dust: small round or irregular spots."""
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    for _ in range(count):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        cv2.ellipse(mask, c, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)


def _blob(mask: np.ndarray, rng: np.random.Generator, size: float) -> None:
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    n = int(rng.integers(6, 12))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = size * rng.uniform(0.5, 1.0, n)
    pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    cv2.fillPoly(mask, [pts.astype(np.int32)], 1.0)


def _rectangle(mask: np.ndarray, rng: np.random.Generator, size: float) -> None:
    h, w = mask.shape
    rh, rw = (size * rng.uniform(0.5, 1.5, 2)).astype(int)
    y, x = int(rng.integers(0, max(1, h - rh))), int(rng.integers(0, max(1, w - rw)))
    mask[y : y + rh, x : x + rw] = 1.0


def random_mask(
    h: int, w: int, rng: np.random.Generator, coverage: tuple[float, float] = (0.01, 0.4)
) -> np.ndarray:
    """A training mask mixing all hole kinds, with hole fraction inside `coverage`."""
    target = rng.uniform(*coverage)
    mask = np.zeros((h, w), np.float32)
    side = min(h, w)
    for _ in range(40):
        kind = rng.choice(5, p=[0.35, 0.15, 0.1, 0.25, 0.15])
        if kind == 0:
            _stroke(mask, rng, max_width=max(4, int(side * rng.uniform(0.03, 0.12))))
        elif kind == 1:
            scratch(mask, rng)
        elif kind == 2:
            specks(mask, rng, int(rng.integers(5, 40)))
        elif kind == 3:
            _blob(mask, rng, side * rng.uniform(0.05, 0.3))
        else:
            _rectangle(mask, rng, side * rng.uniform(0.05, 0.35))
        if mask.mean() >= target:
            break
    return (mask > 0.5).astype(np.float32)


def benchmark_mask(h: int, w: int, size: str, rng: np.random.Generator) -> np.ndarray:
    """Fixed-kind masks for the benchmark: small (specks and scratches, ~2-5%), medium
    (strokes and a blob, ~10-20%), large (big blobs and rectangles, ~30-40%)."""
    mask = np.zeros((h, w), np.float32)
    side = min(h, w)
    if size == "small":
        for _ in range(3):
            scratch(mask, rng)
        specks(mask, rng, 60)
    elif size == "medium":
        while mask.mean() < 0.12:
            _stroke(mask, rng, max_width=max(6, side // 16))
        _blob(mask, rng, side * 0.1)
    elif size == "large":
        while mask.mean() < 0.3:
            if rng.random() < 0.5:
                _blob(mask, rng, side * 0.22)
            else:
                _rectangle(mask, rng, side * 0.3)
    else:
        raise ValueError(f"unknown mask size {size!r}")
    return (mask > 0.5).astype(np.float32)


def scan_defects(
    pixels: np.ndarray, rng: np.random.Generator, scratches: int = 3, dust: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    """Scratches and dust drawn onto an image as a scanner sees them: thin lines and specks,
    each either near-white (damaged emulsion on a print) or near-black (dirt).

    Returns the damaged pixels and the true defect mask (float32, 1 = defect).
    """
    h, w = pixels.shape[:2]
    truth = np.zeros((h, w), np.float32)
    damaged = pixels.copy()
    for kind, count in (("scratch", scratches), ("dust", dust)):
        for _ in range(count):
            layer = np.zeros((h, w), np.float32)
            if kind == "scratch":
                scratch(layer, rng)
            else:
                specks(layer, rng, 1)
            value = rng.uniform(0.85, 1.0) if rng.random() < 0.6 else rng.uniform(0.0, 0.12)
            alpha = layer[:, :, None] if damaged.ndim == 3 else layer
            damaged = damaged * (1 - alpha) + value * alpha
            truth = np.maximum(truth, (layer > 0.5).astype(np.float32))
    return damaged.astype(np.float32), truth
