"""Damage as old photographic prints show it, drawn on clean photographs for training the
defect detector (numpy + OpenCV drawing; a training dependency, not the application's).

Drawn strokes and specks are not what a cracked print looks like. Real damage, as archivists
describe it and as it is drawn here:
- craquelure: networks of branching cracks 1-6 px wide where the emulsion has split and the
  paper base shows through (cream, light yellow, sometimes dark), here the jittered edges of
  random cells (a fracture pattern) plus cracks grown from seeds that branch as they run;
- folds and creases: long, nearly straight lines with a light side and a dark side;
- chipped and torn corners and edges: rough-edged areas along the border down to the paper or
  the scanner lid;
- stains and silvering: soft, tinted or metallic areas. Left unmarked on purpose: they are
  corrected by colour, not filled, and a detector that marks them proposes filling half a
  face;
- dust, hairs and scratches, as restorer.physics.masks draws them.
The damaged print is then optionally toned (sepia, faded) before the damage, and softened,
grained and JPEG-compressed after it, as a scan of an old print is.

Every function returns (damaged, marked) where marked is the boolean mask of pixels that a
restorer should fill: drawn damage that visibly changed the image.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from restorer.physics.masks import varied_scan_defects

# Paper base and the tones a crack shows, RGB in 0..1.
PAPER_TONES = np.array(
    [
        [0.96, 0.94, 0.86],  # cream
        [0.93, 0.89, 0.74],  # light yellow
        [0.98, 0.97, 0.95],  # white
        [0.85, 0.80, 0.68],  # aged, darker cream
    ],
    np.float32,
)
VISIBLE_CHANGE = 0.06


def _cv2():  # noqa: ANN202 - the module
    import cv2

    return cv2


def _paper_colour(rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.15:  # a dark crack: dirt in the split, or a dark mount behind a tear
        return rng.uniform(0.05, 0.3) * np.ones(3, np.float32)
    tone = PAPER_TONES[rng.integers(len(PAPER_TONES))]
    return np.clip(tone + rng.normal(0, 0.02, 3), 0, 1).astype(np.float32)


def _jagged_steps(
    rng: np.random.Generator, x: float, y: float, heading: float, count: int
) -> Iterator[tuple[float, float, float]]:
    """(x, y, direction) after each of `count` steps of 2-5 px: a crack keeps its general
    heading but runs in short jagged stretches around it."""
    angle = heading
    for _ in range(count):
        angle = heading + 0.6 * (angle - heading) + rng.normal(0, 0.45)
        step = rng.uniform(2, 5)
        x, y = x + step * np.cos(angle), y + step * np.sin(angle)
        yield x, y, angle


def _grow_crack(layer: np.ndarray, rng: np.random.Generator, width: float, depth: int = 0) -> None:
    """A crack that runs from a random point and branches now and then."""
    cv2 = _cv2()
    h, w = layer.shape
    start_x, start_y = rng.uniform(0, w), rng.uniform(0, h)
    points = [(start_x, start_y)]
    heading = rng.uniform(0, 2 * np.pi)
    steps = _jagged_steps(rng, start_x, start_y, heading, int(rng.integers(20, 120)))
    for x, y, angle in steps:
        points.append((x, y))
        if depth < 3 and rng.random() < 0.03:
            branch = np.zeros_like(layer)
            _grow_branch(
                branch,
                rng,
                (x, y),
                angle + rng.choice([-1, 1]) * rng.uniform(0.5, 1.5),
                max(1.0, width * rng.uniform(0.5, 0.9)),
            )
            np.maximum(layer, branch, out=layer)
    thickness = max(1, round(width))
    cv2.polylines(layer, [np.array(points, np.int32)], False, 1.0, thickness, cv2.LINE_AA)


def _grow_branch(
    layer: np.ndarray,
    rng: np.random.Generator,
    start: tuple[float, float],
    angle: float,
    width: float,
) -> None:
    cv2 = _cv2()
    points = [start]
    count = int(rng.integers(8, 50))
    points += [(x, y) for x, y, _ in _jagged_steps(rng, *start, angle, count)]
    cv2.polylines(
        layer, [np.array(points, np.int32)], False, 1.0, max(1, round(width)), cv2.LINE_AA
    )


def _jittered_segment(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Points from a to b with a sideways wobble, as a fracture runs."""
    n = max(2, int(np.linalg.norm(b - a) / 4))
    t = np.linspace(0, 1, n)[:, None]
    normal = np.array([-(b - a)[1], (b - a)[0]]) / max(np.linalg.norm(b - a), 1e-6)
    wobble = rng.normal(0, 1.2, n).cumsum()
    wobble -= np.linspace(wobble[0], wobble[-1], n)  # ends stay on the cell corners
    return a + (b - a) * t + normal * wobble[:, None]


def craquelure(layer: np.ndarray, rng: np.random.Generator) -> None:
    """A fracture network: the jittered edges of random cells, some edges left out, 1-4 px."""
    cv2 = _cv2()
    h, w = layer.shape
    cell = rng.uniform(25, 120)
    count = max(4, int(h * w / cell**2))
    subdiv = cv2.Subdiv2D((-w, -h, 3 * w, 3 * h))
    for px, py in zip(
        rng.uniform(-cell, w + cell, count), rng.uniform(-cell, h + cell, count), strict=True
    ):
        subdiv.insert((float(px), float(py)))
    facets, _ = subdiv.getVoronoiFacetList([])
    keep = rng.uniform(0.5, 0.95)
    width = rng.uniform(1, min(4.0, cell / 10))
    for facet in facets:
        for a, b in zip(facet, np.roll(facet, -1, axis=0), strict=True):
            if rng.random() > keep:
                continue
            points = _jittered_segment(np.asarray(a, float), np.asarray(b, float), rng)
            thickness = max(1, round(width * rng.uniform(0.6, 1.3)))
            cv2.polylines(layer, [points.astype(np.int32)], False, 1.0, thickness, cv2.LINE_AA)


def fold(image: np.ndarray, layer: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A crease across the print: a light line (the cracked emulsion) with a shadow on one side.
    Draws the crease into `layer` and returns the image with the shadow applied."""
    cv2 = _cv2()
    h, w = layer.shape
    angle = rng.uniform(0, np.pi)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    length = 2 * max(h, w)
    direction = np.array([np.cos(angle), np.sin(angle)])
    a = np.array([cx, cy]) - direction * length / 2
    b = np.array([cx, cy]) + direction * length / 2
    points = _jittered_segment(a, b, rng)
    width = int(rng.integers(2, 7))
    cv2.polylines(layer, [points.astype(np.int32)], False, 1.0, width, cv2.LINE_AA)
    shadow = np.zeros_like(layer)
    offset = np.array([-direction[1], direction[0]]) * (width / 2 + rng.uniform(1, 3))
    cv2.polylines(
        shadow,
        [(points + offset).astype(np.int32)],
        False,
        1.0,
        int(rng.integers(2, 6)),
        cv2.LINE_AA,
    )
    shadow = cv2.GaussianBlur(shadow, (0, 0), 1.5) * rng.uniform(0.15, 0.4)
    return image * (1 - shadow[:, :, None])


def chipped_edge(layer: np.ndarray, rng: np.random.Generator) -> None:
    """A rough-edged piece missing at a corner or along an edge."""
    cv2 = _cv2()
    h, w = layer.shape
    size = rng.uniform(0.05, 0.25) * min(h, w)
    if rng.random() < 0.5:  # a corner
        cx, cy = (0 if rng.random() < 0.5 else w), (0 if rng.random() < 0.5 else h)
    else:  # an edge
        if rng.random() < 0.5:
            cx, cy = rng.uniform(0, w), (0 if rng.random() < 0.5 else h)
        else:
            cx, cy = (0 if rng.random() < 0.5 else w), rng.uniform(0, h)
    n = 24
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radii = size * np.exp(rng.normal(0, 0.25, n).cumsum() * 0.3)
    points = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    cv2.fillPoly(layer, [points.astype(np.int32)], 1.0, cv2.LINE_AA)


def stain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft tinted stain or a silvered patch (unmarked: corrected by colour, not filled)."""
    cv2 = _cv2()
    h, w = image.shape[:2]
    blob = np.zeros((h, w), np.float32)
    radius = rng.uniform(0.05, 0.3) * min(h, w)
    cv2.circle(blob, (int(rng.uniform(0, w)), int(rng.uniform(0, h))), int(radius), 1.0, -1)
    blob = cv2.GaussianBlur(blob, (0, 0), radius * rng.uniform(0.2, 0.6))
    strength = rng.uniform(0.15, 0.45)
    if rng.random() < 0.6:  # a brown water or foxing stain
        tint = np.array([0.75, 0.6, 0.4], np.float32) * rng.uniform(0.8, 1.1)
        return image * (1 - strength * blob[:, :, None]) + (
            tint * image.mean(axis=2, keepdims=True) * strength * blob[:, :, None]
        )
    # Silvering: a bluish metallic sheen that lifts the shadows.
    sheen = np.array([0.75, 0.78, 0.85], np.float32)
    return image * (1 - strength * blob[:, :, None]) + sheen * strength * blob[:, :, None]


def age_print(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Toning and fading of an old print: sepia or gray, lifted blacks, lower contrast."""
    if rng.random() < 0.5:
        gray = image.mean(axis=2, keepdims=True)
        if rng.random() < 0.6:
            tone = np.array([1.0, 0.88, 0.7], np.float32) * rng.uniform(0.95, 1.05)
            image = np.clip(gray * tone + (1 - tone) * 0.1 * gray, 0, 1)
        else:
            image = np.repeat(gray, 3, axis=2)
    fade = rng.uniform(0.0, 0.25)
    return (image * (1 - fade) + fade * PAPER_TONES[0] * rng.uniform(0.7, 1.0)).astype(np.float32)


def scan(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Soft, grainy and JPEG-compressed, as a scan of an old print is."""
    cv2 = _cv2()
    sigma = rng.uniform(0, 1.2)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    grain = rng.normal(0, rng.uniform(0, 0.025), image.shape[:2])[:, :, None]
    image = np.clip(image + grain, 0, 1)
    if rng.random() < 0.6:
        quality = int(rng.integers(50, 96))
        u8 = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode(
            ".jpg", np.ascontiguousarray(u8[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality]
        )
        if ok:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32) / 255
    return image.astype(np.float32)


def old_print_damage(
    clean: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A clean (H, W, 3) float32 photo as a damaged old print scanned: (damaged, drawn, marked).

    `drawn` is every pixel damage was drawn on (over half its opacity); `marked` those where it
    visibly changed the image (a cream crack across a cream sky is drawn but not visible: no
    pixel says it is there). One print in ten is left undamaged, so that the detector learns to
    mark nothing too.
    """
    cv2 = _cv2()
    h, w = clean.shape[:2]
    image = age_print(clean, rng) if rng.random() < 0.6 else clean.astype(np.float32)
    drawn = np.zeros((h, w), bool)
    if rng.random() < 0.1:
        return scan(image, rng), drawn, drawn.copy()
    if rng.random() < 0.3:
        image = stain(image, rng)
    before = image.copy()
    kinds = {
        "craquelure": rng.random() < 0.35,
        "cracks": int(rng.integers(0, 5)),
        "fold": rng.random() < 0.25,
        "chip": rng.random() < 0.2,
    }
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    if kinds["craquelure"]:
        layer = np.zeros((h, w), np.float32)
        craquelure(layer, rng)
        layers.append((layer, _paper_colour(rng)))
    for _ in range(kinds["cracks"]):
        layer = np.zeros((h, w), np.float32)
        _grow_crack(layer, rng, width=rng.uniform(1, 6))
        layers.append((layer, _paper_colour(rng)))
    if kinds["fold"]:
        layer = np.zeros((h, w), np.float32)
        image = fold(image, layer, rng)
        layers.append((layer, _paper_colour(rng)))
    if kinds["chip"]:
        layer = np.zeros((h, w), np.float32)
        chipped_edge(layer, rng)
        colour = (
            _paper_colour(rng) if rng.random() < 0.7 else np.full(3, rng.uniform(0, 1), np.float32)
        )
        layers.append((layer, colour))
    for layer, colour in layers:
        if rng.random() < 0.5:
            layer = cv2.GaussianBlur(layer, (0, 0), rng.uniform(0.3, 0.8))
        layer = layer * rng.uniform(0.75, 1.0)
        # The paper base is not flat: mottle the fill a little.
        mottle = 1 + rng.normal(0, 0.03, (h, w, 1)).astype(np.float32)
        image = image * (1 - layer[:, :, None]) + colour * mottle * layer[:, :, None]
        drawn |= layer > 0.5
    # Dust, hairs and scratches as before, on about half of the prints.
    if rng.random() < 0.5:
        image, more, _ = varied_scan_defects(image, rng)
        drawn |= more
    change = np.abs(image - before).max(axis=2)
    marked = drawn & (change > VISIBLE_CHANGE)
    return scan(np.clip(image, 0, 1), rng), drawn, marked
