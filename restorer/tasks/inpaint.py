"""Inpainting with the mask-conditioned encoder-decoder.

Each connected hole is filled in a crop around it with context on every side; holes closer
than the context distance share one crop, so a scan with hundreds of dust specks needs a few
network runs, not hundreds. Small holes are filled at full resolution; a crop whose largest
hole is wider than what the network learned (96 pixels) is reduced until it fits, filled,
and enlarged back, and near the hole's edge that softer fill is cross-faded into a smooth
full-resolution fill that continues the edge (feathered inside the hole). Crops larger
than a tile run tiled. Every pixel outside the mask stays bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported when a model runs, not to parse a command line
    pass

from restorer.core.fill import smooth_fill
from restorer.core.image import Image
from restorer.core.morphology import connected_components, distance_inside
from restorer.core.progress import Note
from restorer.core.resample import enlarge_cubic, reduce_area
from restorer.tasks.base import MaskInput, RunContext, TaskSpec, param, validate_params
from restorer.tasks.defects import find_defects

MODEL = "inpaint"
CONTEXT = 48  # pixels of known surroundings around every hole (and the merge distance)
MAX_HOLE = 96  # widest hole filled at full resolution (the network trained on 256 crops)
CT_WINDOW = (-1024.0, 3071.0)
# Scratches and dust seldom cover more than a few percent of a photograph (a scan with three
# long scratches and 40 specks drawn on it is marked ~5 %); above this share the proposal
# likely holds texture taken for damage (Set14's mandrill, fur and whiskers: 6.4 %).
# Above this share of the image a proposal is likely texture taken for damage. A badly cracked
# print has 5-15 % of its area cracked (the detector now learns crack networks), so the caution
# starts above that; at 6 % it cautioned on every such print.
LIKELY_TEXTURE_AREA = 0.16

# Shared by the inpaint panel and the detect-defects command.
SENSITIVITY = param(
    "Detection sensitivity",
    "float",
    minimum=0.5,
    maximum=2.0,
    step=0.1,
    help="Higher finds fainter defects (and more false ones).",
)


@dataclass(frozen=True)
class InpaintParams:
    auto_mask: bool = field(
        default=False,
        metadata=param(
            "Find scratches and dust",
            "bool",
            help="Detect thin scratches and dust specks and add them to the mask.",
        ),
    )
    sensitivity: float = field(default=1.0, metadata=SENSITIVITY)
    # The mask itself comes from the brush or a mask file, not from a form field.
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)


def _unit(image: Image) -> np.ndarray:
    if image.is_ct:
        return (image.pixels - CT_WINDOW[0]) / (CT_WINDOW[1] - CT_WINDOW[0])
    return image.pixels


def proposed_mask(image: Image, ctx: RunContext, sensitivity: float = 1.0) -> np.ndarray:
    """Detected scratches, dust and hairs, for the user to edit before filling."""
    return find_defects(ctx, _unit(image), sensitivity)


def detection_summary(marked: float) -> Note:
    """What to tell the user about a proposed mask covering the fraction `marked`."""
    if marked > LIKELY_TEXTURE_AREA:
        return Note(
            "Marked {share} of the image: check the mask before filling (damage seldom "
            "covers this much: fur, foliage and fine texture can be taken for it; lower the "
            "sensitivity or erase over them)",
            share=f"{marked:.2%}",
        )
    return Note("Marked {share} of the image: check the mask before filling", share=f"{marked:.2%}")


def full_mask(image: Image, params: InpaintParams, ctx: RunContext) -> np.ndarray:
    """The user's mask, plus detected defects when asked; float32 (H, W), 1 = fill."""
    mask = np.zeros(image.pixels.shape[:2], np.float32)
    if params.mask is not None:
        if params.mask.shape[:2] != mask.shape:
            raise ValueError(
                f"the mask is {params.mask.shape[1]}×{params.mask.shape[0]} but the "
                f"image is {image.width}×{image.height}"
            )
        mask = np.maximum(mask, (params.mask > 0.5).astype(np.float32))
    if params.auto_mask:
        found = proposed_mask(image, ctx, params.sensitivity)
        marked = float(found.mean())
        if marked > LIKELY_TEXTURE_AREA:
            # The same caution as the Detect button's, with where to look at the proposal:
            # this runs from the window's checkbox as well as from --auto-mask.
            ctx.progress.message(
                Note(
                    "the detected defects cover {share} of the image (damage seldom covers this "
                    "much: fur, foliage and fine texture can be taken for it); lower the "
                    "sensitivity, or look at the proposal first: Detect scratches & dust in the "
                    "window, restorer detect-defects on the command line",
                    share=f"{marked:.1%}",
                )
            )
        mask = np.maximum(mask, found)
    return mask


def _network_fill(ctx: RunContext, crop: np.ndarray, hole: np.ndarray, scale: float) -> np.ndarray:
    """The network's fill of a crop, computed `scale` times smaller and enlarged back."""
    h, w = hole.shape
    if scale > 1:
        size = (max(8, round(w / scale)), max(8, round(h / scale)))
        crop = reduce_area(crop, size)
        hole = (reduce_area(hole, size) > 0).astype(np.float32)
    packed = np.ascontiguousarray(np.concatenate([crop, hole[:, :, None]], axis=2), np.float32)
    out = ctx.run_model(MODEL, packed)  # the image, then the mask
    if scale > 1:
        out = enlarge_cubic(out, (w, h))
    return out


def clusters(mask: np.ndarray) -> list[tuple[slice, slice, float]]:
    """Crops to fill: holes closer than CONTEXT pixels share one crop (one network run), each
    crop holds its holes plus context around them, and carries the reduction factor that
    brings its widest hole to at most MAX_HOLE pixels."""
    height, width = mask.shape
    holes = mask > 0.5
    near = distance_inside(~holes) <= CONTEXT  # the holes grown by CONTEXT pixels
    groups = connected_components(near, connectivity=8)
    crops = []
    for i in range(1, groups.count + 1):
        x, y, w, h, _ = groups.box(i)
        inner = holes[y : y + h, x : x + w] & (groups.labels[y : y + h, x : x + w] == i)
        # A hole's difficulty is its width, not its length: a long thin scratch fills well
        # at full resolution, a wide blob needs the view from further away.
        width_px = 2.0 * float(distance_inside(inner).max())
        scale = max(1.0, width_px / MAX_HOLE)
        grow = int(max(0, width_px - CONTEXT))  # context at least as wide as the hole
        x0, y0 = max(0, x - grow), max(0, y - grow)
        x1, y1 = min(width, x + w + grow), min(height, y + h + grow)
        crops.append((slice(y0, y1), slice(x0, x1), scale))
    return crops


def run(image: Image, params: InpaintParams, ctx: RunContext) -> Image:
    validate_params(params)
    mask = full_mask(image, params, ctx)
    if not mask.any():
        ctx.progress.message(Note("The mask is empty: nothing to fill"))
        return image
    x = _unit(image)
    gray = x.ndim == 2
    work = np.repeat(x[:, :, None], 3, axis=2) if gray else x.copy()
    crops = clusters(mask)
    for done, (rows, cols, scale) in enumerate(crops):
        ctx.progress.check_aborted()
        hole = mask[rows, cols]
        fill = _network_fill(ctx, work[rows, cols], hole, scale)
        if scale > 1:
            # The enlarged fill is softer than the pixels around it. Within `scale` pixels of
            # the hole's edge, cross-fade to a full-resolution fill that continues the edge.
            inside = distance_inside(hole > 0.5)
            ramp = np.clip((inside - 1) / scale, 0, 1)[:, :, None]
            fill = smooth_fill(work[rows, cols], hole > 0.5) * (1 - ramp) + fill * ramp
        region = work[rows, cols]
        region[:] = np.where(hole[:, :, None] > 0.5, fill, region)
        ctx.progress.set_progress((done + 1) / len(crops))
    out = work.mean(axis=2) if gray else work
    if image.is_ct:
        out = out * (CT_WINDOW[1] - CT_WINDOW[0]) + CT_WINDOW[0]
    # Outside the mask the source pixels are copied back exactly.
    holes = mask > 0.5
    result = np.where(holes if gray else holes[:, :, None], out, image.pixels)
    return image.with_pixels(result.astype(np.float32))


@dataclass(frozen=True)
class DetectParams:
    # In the window the inpaint panel's sensitivity is passed on.
    sensitivity: float = field(default=1.0, metadata=SENSITIVITY)


def detect(image: Image, params: DetectParams, ctx: RunContext) -> Image:
    """The proposed defect mask as an image (1 = defect), for the window's Detect button."""
    mask = proposed_mask(image, ctx, params.sensitivity)
    ctx.progress.message(detection_summary(float(mask.mean())))
    return Image(mask)


DETECT_TASK = TaskSpec(
    name="detect-defects",
    title="Detect scratches and dust",
    description="Write a mask of the scratches, dust and hairs found (white = defect), to "
    "check and edit before `restorer inpaint --mask`.",
    params_type=DetectParams,
    run=detect,
    output_format="png",  # a mask must survive exactly: never the input's JPEG
)


TASK = TaskSpec(
    name="inpaint",
    title="Inpaint",
    description="Fill scratches, dust, tears and unwanted objects painted with the mask brush.",
    params_type=InpaintParams,
    run=run,
    mask_input=MaskInput(
        found_by_task=lambda params: params.auto_mask,
        detection=lambda params: (DETECT_TASK, DetectParams(params.sensitivity)),
    ),
)
