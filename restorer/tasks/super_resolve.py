"""Super-resolution x2 and x4 with the bundled encoder-decoder networks.

Colour goes through the network as is; gray images (and CT slices, mapped linearly from
-1024..3071 HU to 0..1) are replicated to three channels and averaged back. Alpha is enlarged
separately with bicubic interpolation; the bit depth and metadata of the source are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported when a model runs, not to parse a command line
    pass

from restorer.core.image import Image
from restorer.core.progress import Note
from restorer.core.resample import enlarge_cubic
from restorer.tasks.base import RunContext, TaskSpec, param, validate_params

CT_RANGE = (-1024.0, 3071.0)
MODELS = {"scans": "sr-x{scale}-real", "clean": "sr-x{scale}"}


@dataclass(frozen=True)
class SuperResolveParams:
    scale: int = field(
        default=2, metadata=param("Scale", "choice", choices=(2, 4), help="Enlargement factor.")
    )
    model: str = field(
        default="scans",
        metadata=param(
            "Model",
            "choice",
            choices=tuple(MODELS),
            help="'scans' is trained on blurred, noisy, JPEG-compressed inputs like real scans and "
            "old digital photos; 'clean' is trained on clean bicubic downsampling (benchmarks).",
        ),
    )


def model_id(params: SuperResolveParams) -> str:
    """The model these params ask for (run falls back to the clean one when it is missing)."""
    return MODELS[params.model].format(scale=params.scale)


def run(image: Image, params: SuperResolveParams, ctx: RunContext) -> Image:
    validate_params(params)
    s = params.scale
    x = image.pixels
    if image.is_ct:
        lo, hi = CT_RANGE
        x = (x - lo) / (hi - lo)
    gray = x.ndim == 2
    rgb = np.repeat(x[:, :, None], 3, axis=2) if gray else x

    wanted = model_id(params)
    chosen = wanted if ctx.has_model(wanted) else model_id(replace(params, model="clean"))
    if chosen != wanted:
        ctx.progress.message(
            Note(
                "No '{model}' model for ×{scale} is installed: using the clean one",
                model=params.model,
                scale=params.scale,
            )
        )
    out = ctx.run_model(chosen, np.ascontiguousarray(rgb))
    # In place where it can be: the output is 16 or 4 times the input, and every whole copy
    # of it would add as much again to the peak memory.
    out = out.mean(axis=2, dtype=np.float32) if gray else out
    if image.is_ct:
        lo, hi = CT_RANGE
        out *= np.float32(hi - lo)
        out += np.float32(lo)
    else:
        np.clip(out, 0.0, 1.0, out=out)
    alpha = None
    if image.alpha is not None:
        h, w = image.alpha.shape
        alpha = np.clip(enlarge_cubic(image.alpha, (w * s, h * s)), 0.0, 1.0).astype(np.float32)
    return image.with_pixels(out, alpha=alpha)


TASK = TaskSpec(
    name="super_resolve",
    cli_name="upscale",
    title="Super-resolve",
    description="Enlarge ×2 or ×4, restoring detail that bicubic enlargement blurs.",
    params_type=SuperResolveParams,
    run=run,
)
