"""Denoising with the U-Net denoising autoencoders (gray and colour).

Photos: a noise-map network estimates the level of the noise at each pixel and in each channel
(real camera noise grows with brightness and differs between channels, and demosaicing and
JPEG make it spatially correlated, which a white-noise estimate reads as almost clean); the
strength multiplies that map. A fixed level (white noise, as in the synthetic benchmarks) can
be given instead.
Salt-and-pepper impulses (samples stuck at 0 or 1, far from their 5x5 median) are replaced
by that median when enough of them stand alone, unlike any neighbour, because a Gaussian
denoiser treats them as detail; the remaining noise then goes through the network.
CT: Hounsfield units are mapped linearly from a [-1000, 1000] HU window onto [0, 1] without
clipping, denoised as gray, and mapped back; its level is estimated as white noise (the
noise-map network has learned photographs, not CT).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported when a model runs, not to parse a command line
    pass

from restorer.core.coarse import BlockAccumulator, CoarseMap, PlanesWithMap
from restorer.core.filters import gaussian_blur
from restorer.core.image import Image
from restorer.core.noise_estimate import (
    estimate_noise_sigma,
    impulse_mask,
    isolated_fraction,
    replace_by_median,
)
from restorer.core.progress import Note, Progress, sub_progress
from restorer.tasks.base import RunContext, TaskSpec, param, validate_params

GRAY_MODEL = "denoise-gray"
COLOR_MODEL = "denoise-color"
NOISE_MAP_MODEL = "noise-map"
CT_WINDOW = (-1000.0, 1000.0)
# Below this fraction of isolated impulse-like samples an image is left to the network alone
# (Gaussian noise on Set12 and CBSD68 gives at most 0.03 %).
IMPULSE_FRACTION = 0.002
MAX_SIGMA = 50.0
# Scale (Gaussian sigma, pixels) above which the result keeps the input's local mean: noise has
# no mean, so a shift of brightness or colour over hundreds of pixels is never noise removed.
# The fine-tuned colour network shifted some real photos by 3/255 when given a fixed level;
# restoring the mean lifted the held-out Canon pairs blind 39.63 -> 39.75 dB and at a fixed
# σ 5 36.52 -> 38.89.
KEEP_MEAN_ABOVE = 64.0
PASS_CHOICES = (1, 2, 4, 8)  # the self-ensemble sizes restorer.engine.ensemble knows


@dataclass(frozen=True)
class DenoiseParams:
    strength: float = field(
        default=1.0,
        metadata=param(
            "Strength",
            "float",
            minimum=0.0,
            maximum=4.0,
            step=0.1,
            help="How much of the estimated noise to remove: 1.0 as estimated, more for a "
            "smoother result, less to keep some grain.",
        ),
    )
    sigma: float | None = field(
        default=None,
        metadata=param(
            "Noise level",
            "float",
            minimum=0.0,
            maximum=MAX_SIGMA,
            optional=True,
            step=1.0,
            help="A fixed noise standard deviation on the 0–255 scale (white noise), instead "
            "of the level estimated at each pixel. Leave empty to estimate it.",
        ),
    )
    passes: int = field(
        default=1,
        metadata=param(
            "Passes",
            "choice",
            choices=PASS_CHOICES,
            help="Average the network over this many flips and rotations of the image: a "
            "little cleaner (about +0.07 dB at 2 passes, +0.13 dB at 8), that many times slower.",
        ),
    )


# The level map is kept as means of LEVEL_BLOCK x LEVEL_BLOCK blocks (the estimator itself
# works at 1/8 resolution, so nothing is lost) and the image is estimated and corrected in
# strips of STRIP_ROWS: on a 100-megapixel photo a full-resolution map would cost as much
# memory as the photo.
LEVEL_BLOCK = 8
MEAN_BLOCK = 16  # the local-mean correction's blocks (KEEP_MEAN_ABOVE / 4)
# A multiple of both blocks and of the estimator's patch: it estimates each 128-px square of
# its input on its own (the noise-map model's `patch`), so strips on that grid need no rows of
# context and give what the whole image would.
STRIP_ROWS = 256


def _to_unit(image: Image) -> np.ndarray:
    """float32 on the networks' [0, 1] scale; a photo's own pixels, not a copy."""
    if image.is_ct:
        lo, hi = CT_WINDOW
        return ((image.pixels - lo) / np.float32(hi - lo)).astype(np.float32, copy=False)
    return image.pixels


def _from_unit_in_place(image: Image, x: np.ndarray) -> np.ndarray:
    if image.is_ct:
        lo, hi = CT_WINDOW
        x *= np.float32(hi - lo)
        x += np.float32(lo)
        return x
    return np.clip(x, 0.0, 1.0, out=x)


def run(image: Image, params: DenoiseParams, ctx: RunContext) -> Image:
    validate_params(params)
    x = _to_unit(image)

    if not image.is_ct:
        impulses = impulse_mask(x)
        if isolated_fraction(x, impulses) > IMPULSE_FRACTION:
            fraction = float(impulses.mean())
            x = replace_by_median(x, impulses)
            ctx.progress.message(
                Note(
                    "Removed salt-and-pepper noise ({share} of samples) with a median filter",
                    share=f"{fraction:.1%}",
                )
            )
        del impulses

    gray = x.ndim == 2
    planes = x[:, :, None] if gray else x
    # The level as estimated (0-1 scale), or as given; Strength scales it.
    denoise_progress = ctx.progress
    if params.sigma is not None:
        estimate = CoarseMap.constant(planes.shape, LEVEL_BLOCK, params.sigma / 255.0)
    elif image.is_ct:
        sigma = min(estimate_noise_sigma(x) * 255.0, MAX_SIGMA)
        ctx.progress.message(
            Note("Estimated noise level σ = {sigma} (white noise)", sigma=f"{sigma:.1f}")
        )
        estimate = CoarseMap.constant(planes.shape, LEVEL_BLOCK, sigma / 255.0)
    else:
        estimate = estimated_level(planes, ctx, sub_progress(ctx.progress, 0.0, 0.15))
        ctx.progress.message(describe_level(estimate))
        denoise_progress = sub_progress(ctx.progress, 0.15, 1.0)
    level = estimate.scaled(params.strength, MAX_SIGMA / 255.0)

    # The result may replace the input where the input is ours to change: its own copy (CT,
    # salt-and-pepper) or a batch that has handed its image over.
    reusable = ctx.may_overwrite_input or x is not image.pixels
    local_mean = None if image.is_ct else LocalMeanCorrection(planes.shape, level)
    out = ctx.run_model(
        GRAY_MODEL if gray else COLOR_MODEL,
        PlanesWithMap(planes, level),  # the image, then its noise map
        passes=params.passes,
        progress=denoise_progress,
        write_into=planes if reusable else None,
        on_rows_done=(
            None
            if local_mean is None
            else lambda top, rows: local_mean.add_rows(top, planes[top : top + len(rows)], rows)
        ),
    )
    if local_mean is not None:
        local_mean.apply(out)
    out = out[:, :, 0] if gray else out
    result = image.with_pixels(_from_unit_in_place(image, out))
    if params.sigma is None:
        # What "automatic" chose, for front ends to show beside the control (0-255 scale).
        estimated = {"sigma": round(estimate.mean() * 255.0, 1)}
        result = replace(
            result, meta=replace(result.meta, extra={**result.meta.extra, "estimated": estimated})
        )
    return result


class LocalMeanCorrection:
    """Puts the result's mean over KEEP_MEAN_ABOVE pixels back to the input's, where the noise
    is weak. Where it is strong, an 8-bit file has clipped it at black and white and biased
    the input's mean, and the network's mean is the better one (put back there, the mean cost
    0.4-0.9 dB on clipped σ 25-50 noise): the input's mean counts fully below σ 5, not at all
    above σ 15 (on the 0-255 scale; real camera noise is mostly 2-8), and never within two
    noise levels of black or white (a normalised convolution over the samples that count).

    Gathered from the rows as the tiler finishes them (the input under them still intact,
    even when the result replaces it), blurred at 1/MEAN_BLOCK of the size, then applied."""

    def __init__(self, shape: tuple[int, ...], level: CoarseMap) -> None:
        height, width, channels = shape
        self.level = level
        self.weight = BlockAccumulator(height, width, channels, MEAN_BLOCK)
        self.shift = BlockAccumulator(height, width, channels, MEAN_BLOCK)

    def add_rows(self, top: int, noisy: np.ndarray, out: np.ndarray) -> None:
        for start in range(0, len(out), STRIP_ROWS):  # bounded temporaries
            stop = min(len(out), start + STRIP_ROWS)
            lvl = self.level.window(slice(top + start, top + stop), slice(0, self.level.width))
            rows = out[start:stop]
            # In place where the arithmetic allows (the same values as the plain expressions
            # weak * ((rows > 2 lvl) & (rows < 1 - 2 lvl)) and that times noisy - rows):
            # each temporary the size of the strip costs a pass and its page faults.
            limit = lvl * 2
            trusted = rows > limit
            np.subtract(1, limit, out=limit)
            trusted &= rows < limit
            weak = lvl
            np.subtract(15.0 / 255, weak, out=weak)
            weak /= 10.0 / 255
            np.clip(weak, 0.0, 1.0, out=weak)
            weak *= trusted
            self.weight.add_rows(top + start, weak)
            change = noisy[start:stop] - rows
            change *= weak
            self.shift.add_rows(top + start, change)

    def apply(self, out: np.ndarray) -> None:
        """Correct out (H, W, C) in place."""
        weight, shift = self.weight.means(), self.shift.means()
        sigma = KEEP_MEAN_ABOVE / MEAN_BLOCK
        for small in (weight.values, shift.values):
            for c in range(small.shape[2]):
                small[:, :, c] = gaussian_blur(small[:, :, c], sigma, border="symmetric")
        for top in range(0, out.shape[0], STRIP_ROWS):
            rows, cols = slice(top, top + STRIP_ROWS), slice(0, out.shape[1])
            w, d = weight.window(rows, cols), shift.window(rows, cols)
            # np.where(w > 0.05, d / np.maximum(w, 1e-6), 0.0), in place
            ignored = w <= 0.05
            np.maximum(w, 1e-6, out=w)
            d /= w
            np.copyto(d, 0.0, where=ignored)
            out[rows] += d


def estimated_level(
    planes: np.ndarray, ctx: RunContext, progress: Progress | None = None
) -> CoarseMap:
    """The noise-map network's estimate on the [0, 1] scale, per channel, as LEVEL_BLOCK
    block means; strip by strip. A gray image is shown to it as RGB and the channels'
    estimates averaged."""
    progress = progress or ctx.progress
    height, width, channels = planes.shape
    level = BlockAccumulator(height, width, channels, LEVEL_BLOCK)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        strip = planes[top:bottom]
        rgb = np.repeat(strip, 3, axis=2) if channels == 1 else strip
        part = sub_progress(progress, top / height, bottom / height)
        estimate = ctx.run_model(NOISE_MAP_MODEL, rgb, progress=part)
        level.add_rows(top, estimate.mean(axis=2, keepdims=True) if channels == 1 else estimate)
    return level.means()


def describe_level(level: CoarseMap) -> Note:
    """'Estimated noise level σ = 6.2 (3.0–9.5 across the image)', on the 0–255 scale."""
    per_block = level.values.mean(axis=2) * 255.0
    low, high = np.percentile(per_block, [5, 95])
    return Note(
        "Estimated noise level σ = {sigma} ({low}–{high} across the image)",
        sigma=f"{level.mean() * 255.0:.1f}",
        low=f"{low:.1f}",
        high=f"{high:.1f}",
    )


TASK = TaskSpec(
    name="denoise",
    title="Denoise",
    description="Remove grain, sensor noise and salt-and-pepper specks; works on CT slices too.",
    params_type=DenoiseParams,
    run=run,
)
