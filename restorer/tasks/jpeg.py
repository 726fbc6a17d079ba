"""JPEG-artifact removal: the 8x8 blocking, ringing around edges and smeared colour of
photographs saved at a low JPEG quality (web downloads, scans saved small).

The network is the colour denoising U-Net trained on JPEG-compressed photographs
(restorer.training.jpeg), conditioned on how coarse the compression was. The quality is read
from the file's quantisation table (restorer.io records it); for other files, or to clean
harder or softer, it is set by hand. Gray images go through as three equal channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from restorer.core.coarse import CoarseMap, PlanesWithMap
from restorer.core.image import JPEG_QUALITY_KEY, Image
from restorer.core.jpeg_quality import artifact_level
from restorer.core.progress import Note
from restorer.tasks.base import RunContext, TaskSpec, param, validate_params

MODEL = "jpeg-color"
UNKNOWN_QUALITY = 30  # for images that are not JPEG files and were given no quality
LEVEL_BLOCK = 8


@dataclass(frozen=True)
class JpegParams:
    source_quality: int | None = field(
        default=None,
        metadata=param(
            "Saved at quality",
            "int",
            minimum=5,
            maximum=95,
            optional=True,
            step=5,
            help="The quality the photo was saved at (1-100, as image editors ask for it). "
            "Leave empty to read it from the JPEG file itself (30 for other files). A lower "
            "value cleans harder.",
        ),
    )


# What the task says of the quality it uses, by where it came from.
QUALITY_SET = "JPEG quality {quality} (as set)"
QUALITY_READ = "JPEG quality {quality} (read from the file)"
QUALITY_ASSUMED = "JPEG quality {quality} (not a JPEG file: assumed)"


def quality_for(image: Image, params: JpegParams) -> tuple[int, str]:
    """(quality, the message saying where it came from) for this image and settings."""
    if params.source_quality is not None:
        return int(params.source_quality), QUALITY_SET
    found = image.meta.extra.get(JPEG_QUALITY_KEY)
    if found is not None:
        return int(found), QUALITY_READ
    return UNKNOWN_QUALITY, QUALITY_ASSUMED


def run(image: Image, params: JpegParams, ctx: RunContext) -> Image:
    validate_params(params)
    if image.is_ct:
        raise ValueError("JPEG-artifact removal is for photographs, not CT slices")
    quality, said = quality_for(image, params)
    ctx.progress.message(Note(said, quality=quality))
    x = image.pixels
    gray = x.ndim == 2
    planes = np.repeat(x[:, :, None], 3, axis=2) if gray else x
    level = CoarseMap.constant(planes.shape, LEVEL_BLOCK, artifact_level(quality))
    out = ctx.run_model(MODEL, PlanesWithMap(planes, level))  # the image, then its level
    out = out.mean(axis=2) if gray else out
    result = image.with_pixels(np.clip(out, 0.0, 1.0).astype(np.float32))
    if params.source_quality is not None:
        return result
    # What "automatic" chose, for front ends to show beside the control.
    extra = {**result.meta.extra, "estimated": {"source_quality": quality}}
    return replace(result, meta=replace(result.meta, extra=extra))


TASK = TaskSpec(
    name="jpeg",
    title="JPEG artifacts",
    description="Remove the blocks, ringing and smeared colour of photos saved at a low JPEG "
    "quality.",
    params_type=JpegParams,
    run=run,
)
