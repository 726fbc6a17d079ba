"""The image canvas: zoom around the cursor, pan, and the before/after comparison views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
    qRgba,
)
from PySide6.QtWidgets import QWidget

from restorer.core.brush import paint_segment
from restorer.core.change import ChangeMap, change_rgb
from restorer.gui.display import Display, Pyramid, difference_rgb, draw_change_legend
from restorer.gui.i18n import tr

MIN_SCALE = 1 / 64
MAX_SCALE = 32.0
SPLIT_GRAB_PX = 8
WHEEL_STEP = 1.25


class Tool(Enum):
    NONE = "none"
    BRUSH = "brush"
    ERASER = "eraser"


MASK_COLOURS = [qRgba(0, 0, 0, 0), qRgba(255, 40, 40, 120)]


@dataclass(frozen=True)
class MaskStroke:
    """One brush or eraser stroke: the changed rectangle before and after, for undo."""

    rows: slice
    cols: slice
    before: np.ndarray
    after: np.ndarray


class ViewMode(Enum):
    SPLIT = "split"
    BEFORE = "before"
    AFTER = "after"
    SIDE_BY_SIDE = "side by side"
    DIFFERENCE = "difference"
    UNCERTAINTY = "uncertainty"


class ImageCanvas(QWidget):
    """Shows `before` and `after` (same size) under one zoom and pan.

    The scale is screen (logical) pixels per image pixel. At 100% one image pixel covers one
    physical pixel of a high-DPI screen.
    """

    cursorMoved = Signal(object)  # (x, y) image pixel under the cursor, or None
    scaleChanged = Signal(float)  # zoom in percent
    splitMoved = Signal(float)
    rightDragged = Signal(float, float)  # dx, dy in screen pixels (CT window/level)
    maskStroked = Signal(object)  # MaskStroke, after the mouse is released

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # the main window takes file drops
        self.setMinimumSize(200, 150)
        self._before: Pyramid | None = None
        self._after: Pyramid | None = None
        self._before_rgb: np.ndarray | None = None
        self._after_rgb: np.ndarray | None = None
        self._difference: Pyramid | None = None
        self._change_source: Callable[[], ChangeMap] | None = None
        self.change: ChangeMap | None = None  # the one the Difference view shows, once made
        self._uncertainty_source: Callable[[], ChangeMap] | None = None
        self._uncertainty: Pyramid | None = None
        self.uncertainty: ChangeMap | None = None
        self._mode = ViewMode.SPLIT
        # The split line's place as a fraction of the image's width: it stays on the same part
        # of the image when the view is zoomed or panned.
        self._split = 0.5
        self._fitted = False  # the view is as fit() left it (no zoom or pan since)
        self._scale = 1.0
        self._origin = QPointF(0, 0)
        self._drag: str | None = None  # "split", "pan" or "right"
        self._last_pos = QPointF()
        self._space_down = False
        self._fit_pending = True
        self._mask: np.ndarray | None = None  # uint8 (H, W), 1 = to fill; shared, edited here
        self._mask_image: QImage | None = None
        self.mask_visible = True
        self._tool = Tool.NONE
        self.brush_radius = 2  # image pixels (the panel's 4 px brush)
        self._stroke_before: np.ndarray | None = None
        self._stroke_box: list[int] | None = None  # y0, y1, x0, x1
        self._hover = QPointF(-1, -1)
        self.notice = ""  # shown along the bottom edge, e.g. "not for diagnostic use"

    # --- mask and brush --------------------------------------------------------------------
    def set_mask(self, mask: np.ndarray | None) -> None:
        """Show (and edit in place) this uint8 mask, or none."""
        self._mask = mask
        if mask is None:
            self._mask_image = None
        else:
            h, w = mask.shape
            image = QImage(mask.data, w, h, w, QImage.Format.Format_Indexed8)
            image.setColorTable(MASK_COLOURS)
            self._mask_image = image
        self.update()

    @property
    def mask_array(self) -> np.ndarray | None:
        """The mask shown and painted (QWidget.mask() is the widget's own shape mask)."""
        return self._mask

    def mask_changed(self) -> None:
        """The mask array was edited outside the canvas (undo, clear, invert...)."""
        self.update()

    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        self._tool = tool
        self.update()

    def _paint_mask(self, pos: QPointF, previous: QPointF | None) -> None:
        if self._mask is None:
            return
        p = (pos - self._origin) / self._scale
        q = (previous - self._origin) / self._scale if previous is not None else p
        value = 1 if self._tool is Tool.BRUSH else 0
        r = int(self.brush_radius)
        a, b = (round(p.x()), round(p.y())), (round(q.x()), round(q.y()))
        h, w = self._mask.shape
        y0, y1 = max(0, min(a[1], b[1]) - r - 1), min(h, max(a[1], b[1]) + r + 2)
        x0, x1 = max(0, min(a[0], b[0]) - r - 1), min(w, max(a[0], b[0]) + r + 2)
        if y0 >= y1 or x0 >= x1:
            return
        box = self._stroke_box
        self._stroke_box = (
            [y0, y1, x0, x1]
            if box is None
            else [min(box[0], y0), max(box[1], y1), min(box[2], x0), max(box[3], x1)]
        )
        paint_segment(self._mask, a, b, r, value)
        self.update()

    def _finish_stroke(self) -> None:
        box, before = self._stroke_box, self._stroke_before
        self._stroke_box, self._stroke_before = None, None
        if box is None or before is None or self._mask is None:
            return
        rows, cols = slice(box[0], box[1]), slice(box[2], box[3])
        stroke = MaskStroke(rows, cols, before[rows, cols].copy(), self._mask[rows, cols].copy())
        self.maskStroked.emit(stroke)

    # --- content ---------------------------------------------------------------------------
    def set_images(
        self,
        before: Display,
        after: Display | None = None,
        keep_view: bool = False,
        change: Callable[[], ChangeMap] | None = None,
        uncertainty: Callable[[], ChangeMap] | None = None,
    ) -> None:
        """New content; after None shows the before image alone. change, when given, makes
        the signed change map (HU or levels) the Difference view shows, when it is shown;
        uncertainty the map the Uncertainty view shows."""
        old_size = self.image_size()
        self._before_rgb = before.rgb
        self._after_rgb = after.rgb if after is not None else None
        self._before = before.pyramid
        self._after = after.pyramid if after is not None else None
        self._difference = None
        self._change_source = change
        self.change = None
        self._uncertainty_source = uncertainty
        self._uncertainty = None
        self.uncertainty = None
        if not keep_view or old_size != self.image_size():
            self._fit_pending = True
            if self.isVisible():
                self.fit()
        self.update()

    def has_image(self) -> bool:
        return self._before is not None

    def image_size(self) -> tuple[int, int] | None:
        return (self._before.width, self._before.height) if self._before else None

    @property
    def mode(self) -> ViewMode:
        return self._mode

    def set_mode(self, mode: ViewMode) -> None:
        """Side by side shows each image in half the width: entering or leaving it re-fits a
        fitted view, or keeps the image point at the centre of the view at the centre."""
        old = self._mode
        self._mode = mode
        if (old is ViewMode.SIDE_BY_SIDE) != (mode is ViewMode.SIDE_BY_SIDE):
            if self._fitted:
                self.fit()
            else:
                old_width = self.width() / (2 if old is ViewMode.SIDE_BY_SIDE else 1)
                new_width = self._view_width()
                self._origin += QPointF((new_width - old_width) / 2, 0)
        self.update()

    def _view_width(self) -> float:
        return self.width() / (2 if self._mode is ViewMode.SIDE_BY_SIDE else 1)

    @property
    def split(self) -> float:
        return self._split

    def set_split(self, fraction: float) -> None:
        """Place the split line at this fraction of the image's width."""
        self._split = float(min(max(fraction, 0.0), 1.0))
        self.splitMoved.emit(self._split)
        self.update()

    def _split_at(self, x: float) -> float:
        """The image-width fraction under widget x."""
        size = self.image_size()
        if size is None:
            return 0.5
        return (x - self._origin.x()) / max(1e-9, size[0] * self._scale)

    # --- zoom and pan ----------------------------------------------------------------------
    @property
    def zoom_percent(self) -> float:
        return self._scale * self.devicePixelRatioF() * 100.0

    def set_zoom_percent(self, percent: float, anchor: QPointF | None = None) -> None:
        self._zoom_to(percent / 100.0 / self.devicePixelRatioF(), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self._zoom_to(self._scale * factor, anchor)

    def _zoom_to(self, scale: float, anchor: QPointF | None) -> None:
        if not self.has_image():
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        image_point = (anchor - self._origin) / self._scale
        self._scale = scale
        self._origin = anchor - image_point * scale
        self._fitted = False
        self.scaleChanged.emit(self.zoom_percent)
        self.update()

    def fit(self) -> None:
        size = self.image_size()
        if size is None or self.width() < 2 or self.height() < 2:
            return
        self._fit_pending = False
        self._fitted = True
        w, h = size
        view_w = self._view_width()
        self._scale = min(view_w / w, self.height() / h) * 0.98
        self._origin = QPointF(
            (view_w - w * self._scale) / 2, (self.height() - h * self._scale) / 2
        )
        self.scaleChanged.emit(self.zoom_percent)
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        self._origin += QPointF(dx, dy)
        self._fitted = False
        self.update()

    def image_point(self, pos: QPointF) -> tuple[int, int] | None:
        size = self.image_size()
        if size is None:
            return None
        origin = self._origin
        if self._mode is ViewMode.SIDE_BY_SIDE and pos.x() >= self.width() / 2:
            origin = origin + QPointF(self.width() / 2, 0)
        p = (pos - origin) / self._scale
        x, y = int(np.floor(p.x())), int(np.floor(p.y()))
        if 0 <= x < size[0] and 0 <= y < size[1]:
            return x, y
        return None

    def split_x(self) -> float:
        """Where the split line is drawn: on its image position, kept inside the widget."""
        size = self.image_size()
        if size is None:
            return self._split * self.width()
        x = self._origin.x() + self._split * size[0] * self._scale
        return min(max(x, 0.0), float(self.width()))

    # --- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(self.backgroundRole()).darker(115))
        if self._before is None:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                tr("Open an image (Ctrl+O) or drop a file here"),
            )
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 1.0)
        after = self._after or self._before
        full = QRectF(0, 0, self.width(), self.height())
        if self._mode is ViewMode.SPLIT and self._after is not None:
            x = self.split_x()
            self._draw(painter, self._before, QRectF(0, 0, x, self.height()), self._origin)
            self._draw(painter, after, QRectF(x, 0, self.width() - x, self.height()), self._origin)
            self._draw_split_line(painter, x)
        elif self._mode is ViewMode.BEFORE:
            self._draw(painter, self._before, full, self._origin)
            self._label(painter, tr("Before"), 8)
        elif self._mode is ViewMode.SIDE_BY_SIDE:
            half = self.width() / 2
            self._draw(painter, self._before, QRectF(0, 0, half, self.height()), self._origin)
            self._draw(
                painter,
                after,
                QRectF(half, 0, half, self.height()),
                self._origin + QPointF(half, 0),
            )
            painter.setPen(QPen(QColor(255, 255, 255, 160), 1))
            painter.drawLine(QPointF(half, 0), QPointF(half, self.height()))
            self._label(painter, tr("Before"), 8)
            self._label(painter, tr("After"), int(half) + 8)
        elif self._mode is ViewMode.DIFFERENCE:
            self._draw(painter, self._difference_pyramid(), full, self._origin)
            if self.change is not None:
                self._label(painter, tr("After − before ({unit})").format(unit=self.change.unit), 8)
                draw_change_legend(painter, self.change, QPointF(8, 36))  # under the label
            else:
                self._label(painter, tr("Difference ×4"), 8)
        elif self._mode is ViewMode.UNCERTAINTY and self._uncertainty_source is not None:
            self._draw(painter, self._uncertainty_pyramid(), full, self._origin)
            assert self.uncertainty is not None
            self._label(
                painter,
                tr("Uncertainty: spread of the mirrored runs ({unit})").format(
                    unit=self.uncertainty.unit
                ),
                8,
            )
            draw_change_legend(painter, self.uncertainty, QPointF(8, 36))
        else:
            self._draw(painter, after, full, self._origin)
            if self._after is not None:
                self._label(painter, tr("After"), 8)
        self._draw_mask(painter)
        if self.notice:
            metrics = painter.fontMetrics()
            width = metrics.horizontalAdvance(self.notice) + 16
            rect = QRectF(
                (self.width() - width) / 2,
                self.height() - metrics.height() - 14,
                width,
                metrics.height() + 8,
            )
            painter.fillRect(rect, QColor(160, 0, 0, 200))
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.notice)

    def _draw_mask(self, painter: QPainter) -> None:
        if self._mask_image is None or not self.mask_visible:
            return
        if self._mode not in (ViewMode.SPLIT, ViewMode.BEFORE, ViewMode.AFTER):
            return
        w, h = self._mask_image.width(), self._mask_image.height()
        target = QRectF(self._origin.x(), self._origin.y(), w * self._scale, h * self._scale)
        visible = target.intersected(QRectF(self.rect()))
        if not visible.isEmpty():
            source = QRectF(
                (visible.x() - self._origin.x()) / self._scale,
                (visible.y() - self._origin.y()) / self._scale,
                visible.width() / self._scale,
                visible.height() / self._scale,
            )
            painter.drawImage(visible, self._mask_image, source)
        if self._tool is not Tool.NONE and self._hover.x() >= 0:
            painter.setPen(QPen(QColor(255, 255, 255, 220), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            radius = (self.brush_radius + 0.5) * self._scale
            painter.drawEllipse(self._hover, radius, radius)

    def _difference_pyramid(self) -> Pyramid:
        if self._difference is None:
            assert self._before_rgb is not None
            if self._change_source is not None:
                self.change = self._change_source()
                rgb = change_rgb(self.change, self._before_rgb)
            else:
                after = self._after_rgb if self._after_rgb is not None else self._before_rgb
                rgb = difference_rgb(self._before_rgb, after)
            self._difference = Pyramid.from_rgb(rgb)
        return self._difference

    def _uncertainty_pyramid(self) -> Pyramid:
        if self._uncertainty is None:
            assert self._before_rgb is not None and self._uncertainty_source is not None
            self.uncertainty = self._uncertainty_source()
            base = self._after_rgb if self._after_rgb is not None else self._before_rgb
            self._uncertainty = Pyramid.from_rgb(change_rgb(self.uncertainty, base))
        return self._uncertainty

    def _draw(self, painter: QPainter, pyramid: Pyramid, clip: QRectF, origin: QPointF) -> None:
        level, level_scale = pyramid.level_for(self._scale * self.devicePixelRatioF())
        target = QRectF(
            origin.x(), origin.y(), pyramid.width * self._scale, pyramid.height * self._scale
        )
        visible = target.intersected(clip)
        if visible.isEmpty():
            return
        # Only the visible part of the chosen level is drawn: painting cost follows the screen,
        # not the image.
        source = QRectF(
            (visible.x() - origin.x()) / self._scale * level_scale,
            (visible.y() - origin.y()) / self._scale * level_scale,
            visible.width() / self._scale * level_scale,
            visible.height() / self._scale * level_scale,
        )
        painter.save()
        painter.setClipRect(clip)
        painter.drawImage(visible, level, source)
        painter.restore()

    def _draw_split_line(self, painter: QPainter, x: float) -> None:
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.drawEllipse(QPointF(x, self.height() / 2), 7, 7)
        self._label(painter, tr("Before"), 8)
        after_width = painter.fontMetrics().horizontalAdvance(tr("After")) + 16
        self._label(painter, tr("After"), int(self.width() - after_width))

    def _label(self, painter: QPainter, text: str, x: int) -> None:
        metrics = painter.fontMetrics()
        rect = QRectF(x, 8, metrics.horizontalAdvance(text) + 10, metrics.height() + 4)
        painter.fillRect(rect, QColor(0, 0, 0, 140))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    # --- input -----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A fitted view stays fitted (a dock appearing beside the canvas cut the image off).
        if self._fit_pending or self._fitted:
            self.fit()

    def showEvent(self, event: object) -> None:
        if self._fit_pending:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._last_pos = pos
        button = event.button()
        near_split = (
            self._mode is ViewMode.SPLIT
            and self._after is not None
            and abs(pos.x() - self.split_x()) <= SPLIT_GRAB_PX
        )
        painting = (
            self._tool is not Tool.NONE
            and self._mask is not None
            and not self._space_down
            and self._mode is not ViewMode.SIDE_BY_SIDE
        )
        if button == Qt.MouseButton.LeftButton and painting and self._mask is not None:
            self._drag = "paint"
            self._stroke_before = self._mask.copy()
            self._paint_mask(pos, None)
        elif button == Qt.MouseButton.LeftButton and near_split and not self._space_down:
            self._drag = "split"
        elif button in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._drag = "pan"
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.RightButton:
            self._drag = "right"
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        delta = pos - self._last_pos
        self._last_pos = pos
        self._hover = pos
        if self._drag == "paint":
            self._paint_mask(pos, pos - delta)
        elif self._drag == "split":
            self.set_split(self._split_at(pos.x()))
        elif self._drag == "pan":
            self.pan_by(delta.x(), delta.y())
        elif self._drag == "right":
            self.rightDragged.emit(delta.x(), delta.y())
        elif self._tool is not Tool.NONE:
            self.update()  # the brush outline follows the cursor
        elif self._mode is ViewMode.SPLIT and self._after is not None:
            near = abs(pos.x() - self.split_x()) <= SPLIT_GRAB_PX
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
        self.cursorMoved.emit(self.image_point(pos))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag == "paint":
            self._finish_stroke()
        self._drag = None
        self.unsetCursor()

    def leaveEvent(self, event: object) -> None:
        self._hover = QPointF(-1, -1)
        self.cursorMoved.emit(None)
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.unsetCursor()
            return
        super().keyReleaseEvent(event)
