"""CT metal-artifact reduction: linear interpolation (LI, bone set aside), normalised MAR
(NMAR) and the learned dual-domain pipeline (when its models are bundled).

The metal is found by thresholding (default 2500 HU), its trace in the re-projected sinogram
is corrected, the slice is reconstructed and the metal is put back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from restorer.core.filters import median_filter
from restorer.core.image import Image
from restorer.core.morphology import distance_inside
from restorer.core.progress import Note, Progress, sub_progress
from restorer.physics.mar import (
    DEFAULT_THRESHOLD,
    PRIOR_MEDIAN,
    WORK_SIZE,
    at_work_size,
    linear_interpolation_mar,
    metal_pixels,
    normalized_mar,
    outside_air,
    outside_field_of_view,
    segment_metal,
)
from restorer.tasks.base import (
    UNCERTAINTY_KEY,
    RunContext,
    TaskSpec,
    param,
    validate_params,
)

METHODS = ("learned", "nmar", "li")
# Bone, for the learned method, comes from NMAR: the networks lower dense bone far from the
# metal (a skull of 2000 HU read 1600), which the second simulator showed on the training
# patients' anatomy (learned 1.21x the uncorrected error far from the metal, 239 HU RMSE in
# bone above 1000 HU against 66 uncorrected), while NMAR's prior keeps bone. NMAR's share
# rises from 0 to 1 as the slice's 5x5 median goes from BONE_FROM_HU to BONE_FULL_HU; 700 HU
# (the ramp's middle) was chosen on that validation set against 1000.
BONE_FROM_HU = 500.0
BONE_FULL_HU = 900.0
# Along the skin next to metal on the skin (ECG electrodes), the learned result comes from
# NMAR too. The networks learned from implants at least 15 mm inside the body; where metal
# sits on the skin, the rays tangent to the skin through it are its trace, and the learned
# result drew a band along the skin, in and outside it (16 scans of electrodes on 512 px chest
# slices by the second simulator, within 5 px of the skin near the metal: 168 HU RMSE,
# uncorrected 149, NMAR 118; the real chest slices with electrodes: 220 and 112 HU RMS change
# within 5 px of the skin and 4-50 px of an electrode, NMAR 48 and 51). Metal counts as on the
# skin within METAL_ON_SKIN_PX of the outside air; NMAR's share is 1 within SKIN_NMAR_PX of
# that air and falls to 0 at SKIN_LEARNED_PX, and fades out between SKIN_NEAR_METAL_PX and
# SKIN_FAR_METAL_PX from the metal; all in pixels of a WORK_SIZE slice. Near the metal, the
# networks' result -> with this: those 16 scans 0.915x -> 0.687x uncorrected (NMAR 0.772x),
# our simulations with random scanners 0.400x -> 0.371x (the benchmark's (b), one scanner:
# 0.34x -> 0.35x), implants in 512 px chest slices 0.294x -> 0.302x, the second simulator
# 0.425x -> 0.431x, SynDeepLesion unchanged (no metal on its skin); far from
# it the same or better. The depth was chosen on both: 2-4 px read 0.635x on the 16 scans but
# left a dark patch 5-10 px under an electrode of a real slice (98 HU RMS change there against
# NMAR's 35), 3-6 px 0.658x (48 HU), 4-8 px 0.687x (35 HU), 6-12 px 0.730x.
METAL_ON_SKIN_PX = 4.0
SKIN_NMAR_PX = 4.0
SKIN_LEARNED_PX = 8.0
SKIN_NEAR_METAL_PX = 25.0
SKIN_FAR_METAL_PX = 40.0
METHOD_LABELS = {
    "nmar": "NMAR (normalised interpolation)",
    "learned": "Learned (dual-domain networks)",
    "li": "Linear interpolation",
}


@dataclass(frozen=True)
class MarParams:
    method: str = field(
        default="nmar",
        metadata=param(
            "Method",
            "choice",
            choices=METHODS,
            choice_labels=tuple(METHOD_LABELS[m] for m in METHODS),
            help="nmar: normalised MAR (Meyer 2010); learned: dual-domain networks trained on "
            "simulated implants - removes more streaks but also smooths the noise texture; "
            "li: linear interpolation of the metal trace, with the bone's own projection set "
            "aside.",
        ),
    )
    threshold: float = field(
        default=DEFAULT_THRESHOLD,
        metadata=param(
            "Metal threshold (HU)",
            "float",
            minimum=1000.0,
            maximum=4000.0,
            step=50.0,
            help="Pixels above this are metal. Lower it for thin or low-density implants.",
        ),
    )
    uncertainty: bool = field(
        default=False,
        metadata=param(
            "Uncertainty map",
            "bool",
            help="Learned method: run the networks on the slice and on its three mirror images, "
            "keep their mean, and show where they disagree (View > Uncertainty, in HU). Four "
            "times slower.",
        ),
    )
    keep_texture: bool = field(
        default=False,
        metadata=param(
            "Keep texture",
            "bool",
            help="Learned method: keep only the part of the networks' correction that lies "
            "along the rays through the metal, so the slice keeps its noise texture and fine "
            "detail away from the streaks. Off: their whole output, smoother.",
        ),
    )
    # On by default: at 256 the correction misses streaks finer than a 256 pixel, and on
    # 512 px slices that costs every method its margin (second simulator at 512 px, near /
    # far the metal: NMAR 0.52 / 0.86x uncorrected at full resolution, 0.65 / 1.02x at 256;
    # simulated skin electrodes 0.71 / 0.94x against 0.97 / 1.04x). See the README's MAR
    # benchmark.
    full_resolution: bool = field(
        default=True,
        metadata=param(
            "Full resolution",
            "bool",
            help="On: the correction is computed on the slice's own grid (a 512 slice on a "
            "2-core CPU: LI ~1.5 s, NMAR ~3 s, learned ~7 s). Off: at 256 and enlarged, three "
            "to five times faster, for a quick look or a long series; it misses streaks finer "
            "than a 256 pixel and near small metal it can add error. The slice itself always "
            "keeps its full resolution.",
        ),
    )


LEARNED_MODELS = ("mar-sinogram", "mar-image")


def learned_available(has_model: Callable[[str], bool]) -> bool:
    """Whether both networks of the learned method are installed (asked of a RunContext or
    an Engine)."""
    return all(has_model(m) for m in LEARNED_MODELS)


def run(image: Image, params: MarParams, ctx: RunContext) -> Image:
    validate_params(params)
    if not image.is_ct:
        raise ValueError("metal-artifact reduction needs a CT image in Hounsfield units")
    hu = image.pixels
    if hu.shape[0] != hu.shape[1]:
        raise ValueError(
            f"metal-artifact reduction needs a square slice, not {image.width}×{image.height}"
        )
    mask = segment_metal(hu, params.threshold)
    if not mask.any():
        ctx.progress.message(
            Note(
                "No metal above {threshold} HU: the slice is unchanged",
                threshold=f"{params.threshold:.0f}",
            )
        )
        return image
    ctx.progress.message(
        Note(
            "Metal: {count} pixels above {threshold} HU",
            count=int(mask.sum()),
            threshold=f"{params.threshold:.0f}",
        )
    )
    method = params.method
    if method == "learned" and not learned_available(ctx.has_model):
        ctx.progress.message(Note("The learned MAR models are not bundled yet: using NMAR"))
        method = "nmar"
    ctx.progress.set_progress(0.1)
    ctx.progress.check_aborted()
    outside_fov = outside_field_of_view(hu)
    spread: np.ndarray | None = None
    # What stays as stored: the metal itself. The partial-volume rim around it is corrected:
    # by LI and NMAR themselves, and in the learned result by NMAR.
    kept = metal_pixels(hu, params.threshold)
    if method in ("li", "nmar"):
        correct = (
            linear_interpolation_mar
            if method == "li"
            else _nmar_reporting(ctx, sub_progress(ctx.progress, 0.1, 1.0))
        )
        out = interpolated(correct, hu, kept, params.full_resolution)
    else:
        out, spread = _learned_blended_with_nmar(hu, mask, kept, outside_fov, params, ctx)
    if params.uncertainty and spread is None:
        ctx.progress.message(Note("The uncertainty map is made for the learned method only"))
    # Metal, and padding outside the scanner's field of view (not a measurement), stay as
    # stored: the interpolation methods would otherwise add their correction's streaks there.
    out = np.where(kept | outside_fov, hu, out)
    ctx.progress.set_progress(1.0)
    result = image.with_pixels(out.astype(np.float32))
    if spread is None:
        return result
    spread = np.where(mask | outside_fov, 0.0, spread).astype(np.float32)
    extra = {**result.meta.extra, UNCERTAINTY_KEY: spread}
    return replace(result, meta=replace(result.meta, extra=extra))


def _learned_blended_with_nmar(
    hu: np.ndarray,
    mask: np.ndarray,
    metal: np.ndarray,
    outside_fov: np.ndarray,
    params: MarParams,
    ctx: RunContext,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The learned result, with NMAR's values in the grown metal `mask`, in bone and along
    the skin next to metal on the skin; and the spread over mirrored runs when asked for
    (NMAR's share does not vary with the views)."""
    from restorer.tasks.mar_learned import learned_mar, learned_mar_with_spread

    how = {"full_resolution": params.full_resolution, "keep_texture": params.keep_texture}
    spread: np.ndarray | None = None
    if params.uncertainty:
        out, spread = learned_mar_with_spread(hu, mask, outside_fov, ctx, **how)
    else:
        out = learned_mar(hu, mask, outside_fov, ctx, **how)
    ctx.progress.check_aborted()
    nmar = interpolated(_nmar_reporting(ctx), hu, metal, params.full_resolution)
    # The networks keep the grown mask as stored; NMAR corrects that rim (its partial-volume
    # blooming), so the rim comes from NMAR, and so do bone and the skin beside electrodes.
    smooth = median_filter(hu.astype(np.float32), PRIOR_MEDIAN)
    share = np.where(mask, 1.0, np.maximum(bone_share(smooth), skin_share(smooth, metal)))
    out = out + share * (nmar - out)
    if spread is not None:
        spread = spread * (1.0 - share)
    return out, spread


def _nmar_reporting(
    ctx: RunContext, bar: Progress | None = None
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """NMAR that can be stopped between its passes (a full-resolution 512 px slice takes
    about a second each) and, given a `bar`, moves it from 0 to 1 over the passes."""

    def after_pass(done: float) -> None:
        if bar is not None:
            bar.set_progress(done)
        ctx.progress.check_aborted()

    return lambda hu, metal: normalized_mar(hu, metal, after_pass=after_pass)


def interpolated(
    correct: Callable[[np.ndarray, np.ndarray], np.ndarray],
    hu: np.ndarray,
    metal: np.ndarray,
    full_resolution: bool,
) -> np.ndarray:
    """LI or NMAR at the working size (the change enlarged) or on the slice's own grid, as
    the task runs them (slices of WORK_SIZE or less always on their own grid)."""
    if full_resolution or hu.shape[0] <= WORK_SIZE:
        return correct(hu, metal)
    return at_work_size(correct, hu, metal)


def bone_share(smooth_hu: np.ndarray) -> np.ndarray:
    """0 in soft tissue, 1 in dense bone: the share of NMAR in the learned result, from the
    slice's PRIOR_MEDIAN median `smooth_hu` (NMAR's own prior's smoothing), so that streaks a
    few pixels wide do not count as bone."""
    return np.clip((smooth_hu - BONE_FROM_HU) / (BONE_FULL_HU - BONE_FROM_HU), 0.0, 1.0)


def skin_share(smooth_hu: np.ndarray, metal: np.ndarray) -> np.ndarray:
    """1 along the skin next to metal that sits on the skin, 0 elsewhere and everywhere when
    no metal does: the share of NMAR in the learned result there (see METAL_ON_SKIN_PX).
    `smooth_hu` as for bone_share; `metal` the metal pixels."""
    scale = smooth_hu.shape[0] / WORK_SIZE
    from_air = distance_inside(~outside_air(smooth_hu))
    if not (metal & (from_air <= METAL_ON_SKIN_PX * scale)).any():
        return np.zeros(smooth_hu.shape, np.float32)
    from_metal = distance_inside(~metal)
    along_skin = _falling(from_air, SKIN_NMAR_PX * scale, SKIN_LEARNED_PX * scale)
    near_metal = _falling(from_metal, SKIN_NEAR_METAL_PX * scale, SKIN_FAR_METAL_PX * scale)
    return (along_skin * near_metal).astype(np.float32)


def _falling(distance: np.ndarray, full: float, none: float) -> np.ndarray:
    """1 up to `full`, falling linearly to 0 at `none`."""
    return np.clip((none - distance) / (none - full), 0.0, 1.0)


TASK = TaskSpec(
    name="mar",
    title="Metal artifacts (CT)",
    description="Reduce dark and bright streaks from metal implants in CT slices (HU).",
    params_type=MarParams,
    run=run,
    ct_only=True,
    metal_threshold=lambda params: params.threshold,
)
