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


def scratch(
    mask: np.ndarray,
    rng: np.random.Generator,
    thickness: int | None = None,
    *,
    straight: bool = False,
    antialiased: bool = True,
    exact_width: bool = False,
) -> None:
    """A long, thin, gently curved line, like a scratch on film or a print (1-3 px wide
    unless `thickness` says otherwise); `straight` draws it without the bend (film scratches
    run straight along the transport), and `antialiased=False` with hard edges. OpenCV draws
    thickness 2 as 3 px and 3 or 4 as 5 px; `exact_width` makes it `thickness` px wide."""
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    vertical = rng.random() < 0.6
    n = 12
    t = np.linspace(0, 1, n)
    start, end = rng.uniform(0, 1, 2)
    bend = rng.normal(0, 0.008, n).cumsum()  # gently curved, as a scratch drags along
    if straight:
        bend[:] = 0
    along = t * rng.uniform(0.4, 1.0) + rng.uniform(0, 0.3)
    across = start + (end - start) * t * 0.2 + bend
    if vertical:
        pts = np.stack([across * w, along * h], axis=1)
    else:
        pts = np.stack([along * w, across * h], axis=1)
    thickness = thickness or int(rng.integers(1, 4))
    line = cv2.LINE_AA if antialiased else cv2.LINE_8
    if exact_width:
        thin = np.zeros_like(mask)
        cv2.polylines(thin, [pts.astype(np.int32)], False, 1.0, 1, lineType=line)
        np.maximum(mask, cv2.dilate(thin, np.ones((thickness, thickness), np.uint8)), out=mask)
        return
    cv2.polylines(mask, [pts.astype(np.int32)], False, 1.0, thickness, lineType=line)


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


def _hair(mask: np.ndarray, rng: np.random.Generator) -> None:
    """A fibre or hair lying on the scan: thin and curled."""
    import cv2  # a benchmark and training dependency, not the application's

    h, w = mask.shape
    n = int(rng.integers(15, 60))
    turn = rng.normal(0, 0.25, n).cumsum() + rng.uniform(0, 2 * np.pi)
    step = rng.uniform(1.5, 3.0)
    x = rng.uniform(0, w) + (step * np.cos(turn)).cumsum()
    y = rng.uniform(0, h) + (step * np.sin(turn)).cumsum()
    pts = np.stack([x, y], axis=1).astype(np.int32)
    cv2.polylines(mask, [pts], False, 1.0, int(rng.integers(1, 3)), lineType=cv2.LINE_AA)


def varied_scan_defects(
    pixels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training variety around scan_defects: 0-6 scratches 1-4 px wide (a third straight, a
    third hard-edged), 0-60 dust specks, 0-2 hairs; each near-white or near-black, 60-100 %
    opaque, often with softened edges; one image in ten undamaged, so the detector also
    learns to flag nothing.

    Returns the damaged pixels, where a defect was drawn (over half its opacity) and where
    it visibly changed the image; a white scratch on a white sky is drawn but not visible.
    """
    import cv2  # a benchmark and training dependency, not the application's

    h, w = pixels.shape[:2]
    drawn = np.zeros((h, w), bool)
    damaged = pixels.astype(np.float32, copy=True)
    if rng.random() < 0.1:
        return damaged, drawn, drawn.copy()
    counts = {
        "scratch": int(rng.integers(0, 7)),
        "dust": int(rng.integers(0, 61)),
        "hair": int(rng.integers(0, 3)),
    }
    for kind, count in counts.items():
        for _ in range(count):
            layer: np.ndarray = np.zeros((h, w), np.float32)
            if kind == "scratch":
                # Exactly 1-4 px wide (OpenCV alone never draws 2 or 4), a third straight, a
                # third hard-edged: a detector that never saw 2 px found 13-20 % of such lines.
                scratch(
                    layer,
                    rng,
                    thickness=int(rng.integers(1, 5)),
                    straight=rng.random() < 1 / 3,
                    antialiased=rng.random() >= 1 / 3,
                    exact_width=True,
                )
            elif kind == "dust":
                specks(layer, rng, 1)
            else:
                _hair(layer, rng)
            if rng.random() < 0.5:
                layer = cv2.GaussianBlur(layer, (0, 0), rng.uniform(0.3, 0.8))
            layer *= rng.uniform(0.6, 1.0)
            bright = rng.random() < 0.6
            value = rng.uniform(0.75, 1.0) if bright else rng.uniform(0.0, 0.25)
            alpha = layer[:, :, None] if damaged.ndim == 3 else layer
            damaged = damaged * (1 - alpha) + value * alpha
            drawn |= layer > 0.5
    change = np.abs(damaged - pixels)
    change = change.max(axis=2) if change.ndim == 3 else change
    return damaged, drawn, drawn & (change > 0.06)
