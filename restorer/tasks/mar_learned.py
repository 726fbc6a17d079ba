"""The learned dual-domain MAR pipeline, at its working size (256 x 256) or at the slice's own.

Stage 1 completes NMAR's normalised sinogram in the metal trace; the change it makes to the
measured sinogram is reconstructed and added to the slice. Stage 2 removes the streaks left
in that image. Both networks start as the identity, so untrained weights give exactly NMAR.

On the fast path (`full_resolution` off; the task's default is on) other sizes are
reduced to 256 for the networks; the correction they compute
(result minus reduced input) is enlarged and added to the full-resolution slice, so anatomy
keeps its full resolution while the broad streaks are removed (restorer.physics.mar.at_work_size).
That misses streaks finer than a 256 pixel: the fine texture of thin streaks around the
metal (over the whole slice in SynDeepLesion's fan-beam simulation) stays. With
`full_resolution` the networks run on the slice's own grid (both are fully convolutional; the
projector's views scale with the size): slower, and that texture goes too - SynDeepLesion's
416 px slices 37.2 dB against 29.5 at 256 (README, `restorer bench mar`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from restorer.models.mar_nets import HU_SCALE
from restorer.physics.mar import (
    AIR_HU,
    WORK_SIZE,
    NmarSinograms,
    along_metal_rays,
    at_work_size,
    correction_hu,
    geometry_for,
    nmar_sinograms_and_li,
)
from restorer.physics.radon import ParallelGeometry
from restorer.tasks.base import RunContext

if TYPE_CHECKING:
    import torch


def sinogram_inputs(sinos: NmarSinograms) -> np.ndarray:
    """Stage 1's input, (views, bins, 2): normalised sinogram and trace."""
    return np.stack([sinos.normalized, sinos.trace.astype(np.float32)], axis=2).astype(np.float32)


def image_inputs(
    hu: np.ndarray,
    sinos: NmarSinograms,
    completed_normalized: np.ndarray,
    geometry: ParallelGeometry,
    device: torch.device | None = None,
    li: np.ndarray | None = None,
) -> np.ndarray:
    """Stage 2's input, (H, W, 2) in HU/1000: the slice corrected with stage 1's sinogram, and
    the LI-corrected slice (a second view of the same anatomy with other streaks; `li`, when
    the caller has it already). device: where the reconstructions run (training prepares
    hundreds of cases on a GPU)."""
    completed = completed_normalized * sinos.normalizer
    recon = hu + correction_hu(completed - sinos.measured, geometry, device)
    if li is None:
        li = hu + correction_hu(sinos.li - sinos.measured, geometry, device)
    return (np.stack([recon, li], axis=2) * HU_SCALE).astype(np.float32)


def _on_own_grid(hu: np.ndarray, mask: np.ndarray, ctx: RunContext) -> np.ndarray:
    geometry = geometry_for(hu.shape[0])
    sinos, li = nmar_sinograms_and_li(hu, mask, geometry)
    completed = ctx.run_model("mar-sinogram", sinogram_inputs(sinos), tiled=False)
    ctx.progress.set_progress(0.5)
    ctx.progress.check_aborted()
    images = image_inputs(hu, sinos, completed[:, :, 0], geometry, li=li)
    out = ctx.run_model("mar-image", images, tiled=False)
    return out[:, :, 0] / HU_SCALE


def learned_mar(
    hu: np.ndarray,
    mask: np.ndarray,
    outside_fov: np.ndarray,
    ctx: RunContext,
    *,
    full_resolution: bool = False,
    keep_texture: bool = False,
) -> np.ndarray:
    """The learned correction of a slice, with metal and the padding outside the field of
    view (`outside_fov`, found once by the caller) as stored. Slices smaller than the working
    size are always enlarged to it: the networks never saw coarser pixels."""

    correct = partial(_on_own_grid, ctx=ctx)
    if keep_texture:
        correct = partial(_along_rays_only, correct)
    # Scanners store the corners outside the field of view at -2048 or -3024 HU, which the
    # networks never saw (noisy air below -1000 they did) and would "correct". The projector
    # treats anything below air as air, so only the image networks' inputs change.
    clipped = np.where(outside_fov, AIR_HU, hu)
    if hu.shape[0] == WORK_SIZE or (full_resolution and hu.shape[0] > WORK_SIZE):
        out = correct(clipped, mask)
    else:
        out = at_work_size(correct, clipped, mask)
    return np.where(mask | outside_fov, hu, out).astype(np.float32)


def _along_rays_only(
    correct: Callable[[np.ndarray, np.ndarray], np.ndarray], hu: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """The networks' correction kept along the rays through the metal (on the grid they ran
    on). Their whole output also smooths the noise texture and fine detail of the slice, which
    reviewers must still see: the real spine slice comes out in smooth patches."""
    change = correct(hu, mask) - hu
    change[mask] = 0.0
    return hu + along_metal_rays(change, mask, geometry_for(hu.shape[0]))


MIRRORS = ((False, False), (False, True), (True, False), (True, True))  # (rows, columns)


def _mirrored(a: np.ndarray, rows: bool, columns: bool) -> np.ndarray:
    if rows:
        a = a[::-1]
    if columns:
        a = a[:, ::-1]
    return np.ascontiguousarray(a)


def learned_mar_with_spread(
    hu: np.ndarray,
    mask: np.ndarray,
    outside_fov: np.ndarray,
    ctx: RunContext,
    *,
    full_resolution: bool = False,
    keep_texture: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The learned correction run on the slice and on its three mirror images (the scan seen
    from the other side: the same physics, other inputs to the networks): their mean, and
    their standard deviation per pixel in HU - where the networks disagree, trust the
    correction less. Four times the work of one run."""
    runs = []
    for rows, columns in MIRRORS:
        ctx.progress.check_aborted()
        out = learned_mar(
            _mirrored(hu, rows, columns),
            _mirrored(mask, rows, columns),
            _mirrored(outside_fov, rows, columns),
            ctx,
            full_resolution=full_resolution,
            keep_texture=keep_texture,
        )
        runs.append(_mirrored(out, rows, columns))
    stack = np.stack(runs)
    return stack.mean(axis=0).astype(np.float32), stack.std(axis=0).astype(np.float32)
