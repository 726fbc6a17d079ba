"""Images to screen pixels: 8-bit RGB views, a pyramid for zoomed-out painting, and the
difference view. numpy only plus QImage wrapping; no decoding, no torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from restorer.core.change import ChangeMap, change_rgb, legend_colours
from restorer.core.image import Image
from restorer.core.resample import resize
from restorer.gui.i18n import tr
from restorer.io.ct_view import apply_window

# The "inferno" colour map (Smith and van der Walt, matplotlib), every 16th entry of its 256;
# the rest is interpolated linearly.
_INFERNO_STOPS = np.array(
    [
        (0, 0, 4),
        (11, 7, 36),
        (33, 12, 74),
        (61, 9, 101),
        (87, 16, 110),
        (113, 25, 110),
        (138, 34, 106),
        (163, 44, 97),
        (188, 55, 84),
        (210, 70, 68),
        (228, 90, 49),
        (241, 115, 29),
        (249, 142, 9),
        (252, 172, 17),
        (249, 203, 53),
        (242, 234, 105),
        (252, 255, 164),
    ],
    np.float64,
)
_INFERNO = (
    np.stack(
        [
            np.interp(np.arange(256), [*range(0, 256, 16), 255], _INFERNO_STOPS[:, c])
            for c in range(3)
        ],
        axis=1,
    )
    .round()
    .astype(np.uint8)
)

# Levels are built down to this longest side; beyond that a level costs more than it saves.
MIN_LEVEL_SIDE = 256


def to_display_rgb(image: Image, window: tuple[float, float] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 for the screen: photos as they are, CT under a window (center, width)."""
    if image.is_ct:
        center, width = window or image.meta.extra.get("window", (40.0, 400.0))
        pixels = apply_window(image.pixels, center, width)
    else:
        pixels = image.pixels
    u8 = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    if u8.ndim == 2:
        u8 = np.repeat(u8[:, :, None], 3, axis=2)
    return np.ascontiguousarray(u8)


def resized_like(reference: Image, size: tuple[int, int]) -> Image:
    """reference enlarged (bicubic) or reduced (area) to (width, height), for comparisons
    with results of another size, such as super-resolution."""
    w, h = size
    if (reference.width, reference.height) == (w, h):
        return reference
    pixels = resize(reference.pixels, (w, h))
    return reference.with_pixels(pixels.astype(np.float32), alpha=None)


def difference_rgb(before: np.ndarray, after: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """Where and how much the result changed: |after - before| amplified, as a heat map."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=2)
    amplified = np.clip(diff.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(_INFERNO[amplified])


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of the bytes (the numpy array may go away)."""
    h, w = rgb.shape[:2]
    view = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return view.copy()


@dataclass
class Pyramid:
    """QImages at full size, 1/2, 1/4, ...: painting a zoomed-out 50-megapixel image draws a
    small level instead of filtering the whole image on every paint."""

    levels: list[QImage]

    @classmethod
    def from_rgb(cls, rgb: np.ndarray) -> Pyramid:
        levels = [qimage_from_rgb(rgb)]
        while max(levels[-1].width(), levels[-1].height()) > MIN_LEVEL_SIDE * 2:
            current = levels[-1]
            # Qt's smooth reduction averages the covered pixels, like an area resize.
            levels.append(
                current.scaled(
                    (current.width() + 1) // 2,
                    (current.height() + 1) // 2,
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        return cls(levels)

    @property
    def width(self) -> int:
        return self.levels[0].width()

    @property
    def height(self) -> int:
        return self.levels[0].height()

    def level_for(self, scale: float) -> tuple[QImage, float]:
        """The smallest level still at least as large as the screen needs at this scale,
        and its size relative to full resolution."""
        index = 0
        while index + 1 < len(self.levels) and scale <= 0.5 ** (index + 1):
            index += 1
        level = self.levels[index]
        return level, level.width() / self.width


@dataclass(frozen=True)
class Display:
    """An image ready for the screen: 8-bit RGB and its pyramid."""

    rgb: np.ndarray
    pyramid: Pyramid


def make_display(image: Image, window: tuple[float, float] | None = None) -> Display:
    """Safe to call from a worker thread (QImage, unlike QPixmap, is not tied to the GUI)."""
    rgb = to_display_rgb(image, window)
    return Display(rgb, Pyramid.from_rgb(rgb))


class DisplayCache:
    """Screen versions of the images on show. Building one for a 50-megapixel image takes
    most of a second, so results arrive with theirs built by the worker thread and the GUI
    thread only looks them up."""

    def __init__(self, size: int = 6) -> None:
        self._size = size
        self._items: dict[tuple[object, ...], tuple[Image, Display]] = {}

    def get(
        self, image: Image, window: tuple[float, float] | None, size: tuple[int, int] | None = None
    ) -> Display:
        """The display of image (enlarged or reduced to size, when given) under window."""
        key = (id(image), window, size)
        hit = self._items.pop(key, None)
        if hit is None:
            shown = resized_like(image, size) if size is not None else image
            hit = (image, make_display(shown, window))
        self._items[key] = hit  # most recently used last
        while len(self._items) > self._size:
            self._items.pop(next(iter(self._items)))
        return hit[1]

    def put(
        self,
        image: Image,
        window: tuple[float, float] | None,
        display: Display,
        size: tuple[int, int] | None = None,
    ) -> None:
        self._items[(id(image), window, size)] = (image, display)


def comparison_rgb(before: np.ndarray, after: np.ndarray, gap: int = 8) -> np.ndarray:
    """Before | after side by side at full size, on a dark strip, each labelled in its top
    left corner (uint8 RGB): what "Export Comparison" writes for sharing."""
    from PySide6.QtGui import QColor, QFont, QPainter

    h = max(before.shape[0], after.shape[0])
    w = before.shape[1] + gap + after.shape[1]
    canvas = np.full((h, w, 3), 32, np.uint8)
    canvas[: before.shape[0], : before.shape[1]] = before
    canvas[: after.shape[0], before.shape[1] + gap :] = after
    image = qimage_from_rgb(canvas)
    painter = QPainter(image)
    font = QFont()
    font.setPixelSize(max(12, h // 30))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    for text, x in ((tr("Before"), 0), (tr("After"), before.shape[1] + gap)):
        box_w, box_h = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
        painter.fillRect(x + 6, 6, box_w, box_h, QColor(0, 0, 0, 160))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(x + 12, 6 + metrics.ascent() + 3, text)
    painter.end()
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    stride = converted.bytesPerLine()
    data = np.frombuffer(converted.constBits(), np.uint8, stride * h).reshape(h, stride)
    return data[:, : 3 * w].reshape(h, w, 3).copy()


LEGEND_WIDTH = 220
LEGEND_HEIGHT = 36


def draw_change_legend(painter: QPainter, change: ChangeMap, at: QPointF) -> None:
    """The change map's colour bar, −scale to +scale in its unit, with its top left at `at`."""
    colours = legend_colours(2 * LEGEND_WIDTH)
    row = colours[::2] if change.signed else colours[LEGEND_WIDTH:]
    bar = np.ascontiguousarray(np.repeat(row[None], 10, axis=0))
    metrics = painter.fontMetrics()
    box = QRectF(at.x(), at.y(), LEGEND_WIDTH + 12, 16 + metrics.height())
    painter.fillRect(box, QColor(0, 0, 0, 160))
    painter.drawImage(QPointF(at.x() + 6, at.y() + 4), qimage_from_rgb(bar))
    painter.setPen(QColor(255, 255, 255))
    if change.signed:
        texts = (f"−{change.scale:g}", "0", f"+{change.scale:g} {change.unit}")
    else:
        texts = ("0", "", f"{change.scale:g} {change.unit}")
    baseline = at.y() + 14 + metrics.ascent()
    for text, fraction in zip(texts, (0.0, 0.5, 1.0), strict=True):
        width = metrics.horizontalAdvance(text)
        x = at.x() + 6 + fraction * (LEGEND_WIDTH - width)
        painter.drawText(QPointF(x, baseline), text)


def change_picture(change: ChangeMap, base_rgb: np.ndarray) -> np.ndarray:
    """The change map over the gray image at full size, with its legend under it (RGB uint8),
    for File > Export Change."""
    rgb = change_rgb(change, base_rgb)
    h, w = rgb.shape[:2]
    canvas = np.zeros((h + LEGEND_HEIGHT + 8, max(w, LEGEND_WIDTH + 12), 3), np.uint8)
    canvas[:h, :w] = rgb
    image = qimage_from_rgb(canvas)
    painter = QPainter(image)
    try:
        draw_change_legend(painter, change, QPointF(0, h + 4))
    finally:
        painter.end()
    out = image.convertToFormat(QImage.Format.Format_RGB888)
    ptr = out.constBits()
    stride = out.bytesPerLine()
    rows = np.frombuffer(ptr, np.uint8, count=stride * out.height()).reshape(out.height(), stride)
    return rows[:, : out.width() * 3].reshape(out.height(), out.width(), 3).copy()
