"""The learned dual-domain MAR pipeline at its working size (256 x 256).

Other sizes are reduced to 256 for the networks; the correction they compute (result minus
reduced input) is enlarged and added to the full-resolution slice, so anatomy keeps its full
resolution while the streaks, which are broad, are removed (restorer.tasks.mar.at_work_size).
"""

from __future__ import annotations

import numpy as np
import torch

from restorer.models.mar_nets import HU_SCALE, SINO_SCALE
from restorer.physics.mar import (
    correction_hu,
    geometry_for,
    interpolate_trace,
    metal_trace,
    sinogram,
)
from restorer.tasks.base import RunContext

WORK_SIZE = 256


def _at_work_size(hu: np.ndarray, mask: np.ndarray, ctx: RunContext) -> np.ndarray:
    geometry = geometry_for(WORK_SIZE)
    trace = metal_trace(mask, geometry)
    sino = sinogram(hu, geometry).numpy()
    sino_li = interpolate_trace(sino, trace)
    packed = np.stack([sino_li * SINO_SCALE, trace.astype(np.float32)], axis=2)

    def complete(model: torch.nn.Module, t: torch.Tensor) -> torch.Tensor:
        return model(t[:, :1], t[:, 1:])

    completed = ctx.run_model("mar-sinogram", packed.astype(np.float32), complete, tiled=False)
    ctx.progress.set_progress(0.5)
    ctx.progress.check_aborted()
    li = hu + correction_hu(sino_li - sino, geometry)
    recon = li + correction_hu(completed[:, :, 0] / SINO_SCALE - sino_li, geometry)
    images = np.stack([recon, li], axis=2) * HU_SCALE

    def refine(model: torch.nn.Module, t: torch.Tensor) -> torch.Tensor:
        return model(t[:, :1], t[:, 1:])

    out = ctx.run_model("mar-image", images.astype(np.float32), refine, tiled=False)
    return out[:, :, 0] / HU_SCALE


def learned_mar(hu: np.ndarray, mask: np.ndarray, ctx: RunContext) -> np.ndarray:
    from restorer.tasks.mar import at_work_size

    def correct(small: np.ndarray, small_mask: np.ndarray) -> np.ndarray:
        return _at_work_size(small, small_mask, ctx)

    if hu.shape[0] == WORK_SIZE:
        return np.where(mask, hu, correct(hu, mask)).astype(np.float32)
    return at_work_size(correct, hu, mask)
