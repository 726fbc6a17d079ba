"""Sinogram-domain metal-artifact reduction on reconstructed slices: metal segmentation, its
trace in the sinogram, linear interpolation (LI) and normalised MAR (NMAR, Meyer et al. 2010).

A DICOM slice carries no raw projections, so the slice itself is re-projected; the metal
trace of that sinogram holds the inconsistent data the streaks come from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from restorer.core.filters import gaussian_blur
from restorer.core.morphology import connected_components, dilate
from restorer.core.resample import resize, resize_mask

if TYPE_CHECKING:  # torch loads when a slice is projected, not when a command line is parsed
    import torch

    from restorer.physics.radon import ParallelGeometry

# The grid LI, NMAR and the learned networks work on unless asked for full resolution.
WORK_SIZE = 256
DEFAULT_THRESHOLD = 2500.0  # HU; cortical bone stays below ~2000
AIR_HU = -1000.0
OUTSIDE_FOV_HU = -1500.0  # below this a pixel is padding, not a measurement


@lru_cache(maxsize=4)
def geometry_for(size: int) -> ParallelGeometry:
    """Views enough for the image's resolution: about 1.4 per pixel across."""
    from restorer.physics.radon import ParallelGeometry

    return ParallelGeometry(size, math.ceil(size * 1.41))


def segment_metal(hu: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Metal pixels (bool), grown by one pixel: the blooming edge of metal is metal too."""
    return dilate(hu > threshold, np.ones((3, 3), bool))


def outside_field_of_view(hu: np.ndarray) -> np.ndarray:
    """Pixels outside the field of view: below OUTSIDE_FOV_HU and connected to the image border
    (dark streaks next to metal can be as low, but sit inside the body, walled off by air)."""
    labels = connected_components(hu < OUTSIDE_FOV_HU, connectivity=4).labels
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touching = np.unique(border[border > 0])
    return np.isin(labels, touching)


def sinogram(
    hu: np.ndarray, geometry: ParallelGeometry, device: torch.device | None = None
) -> torch.Tensor:
    """Line integrals of attenuation (cm^-1 x pixel) of a slice in HU (returned on the CPU)."""
    import torch

    from restorer.physics.metal import hu_to_mu
    from restorer.physics.radon import forward_project

    mu = hu_to_mu(torch.from_numpy(np.maximum(hu, AIR_HU).astype(np.float32)))
    return forward_project(mu.to(device or "cpu"), geometry).cpu()


def metal_trace(
    mask: np.ndarray, geometry: ParallelGeometry, device: torch.device | None = None
) -> np.ndarray:
    """Detector bins whose rays cross metal (bool, views x bins), one bin wider on each side."""
    import torch

    from restorer.physics.radon import forward_project

    flat = torch.from_numpy(mask.astype(np.float32)).to(device or "cpu")
    projected = forward_project(flat, geometry).cpu().numpy()
    return dilate(projected > 0.05, np.ones((1, 3), bool))


def interpolate_trace(sino: np.ndarray, trace: np.ndarray) -> np.ndarray:
    """Replace the trace in every view by linear interpolation between its edges."""
    out = sino.copy()
    bins = np.arange(sino.shape[1])
    for view in np.nonzero(trace.any(axis=1))[0]:
        inside = trace[view]
        if inside.all():
            continue
        out[view, inside] = np.interp(bins[inside], bins[~inside], sino[view, ~inside])
    return out


def correction_hu(
    delta: np.ndarray, geometry: ParallelGeometry, device: torch.device | None = None
) -> np.ndarray:
    """The change in HU that a change of the sinogram makes, by FBP.

    MAR adds this to the slice instead of replacing the slice with a reconstruction of the
    corrected sinogram: only the streaks change, and the anatomy keeps the full sharpness of
    the scanner's own reconstruction (re-projection and FBP would blur it slightly)."""
    import torch

    from restorer.physics.metal import MU_WATER
    from restorer.physics.radon import fbp

    sino_t = torch.from_numpy(delta.astype(np.float32)).to(device or "cpu")
    return (fbp(sino_t, geometry) * (1000.0 / MU_WATER)).cpu().numpy()


def linear_interpolation_mar(hu: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """LI-MAR: the slice re-projected, the metal trace interpolated, reconstructed, metal put
    back."""
    geometry = geometry_for(hu.shape[0])
    sino = sinogram(hu, geometry).numpy()
    trace = metal_trace(mask, geometry)
    corrected = hu + correction_hu(interpolate_trace(sino, trace) - sino, geometry)
    return np.where(mask, hu, corrected).astype(np.float32)


def prior_image(hu: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """NMAR's prior: air, water-like soft tissue and bone, from a smoothed LI image.

    Where bone touches the metal, LI interpolates it away and this prior lacks it, so NMAR
    removes it too (on a scikit-image phantom with titanium beside bone rings, RMSE within
    25 px of the metal 2.1x the uncorrected slice; tests/test_mar_reference.py). A prior from
    the uncorrected slice fixed that phantom (0.71x) but took in the streaks of our realistic
    simulations as bone and air (held-out simulations 28.70 -> 27.81 dB), and thick-bone
    hybrids helped neither enough: issue 19 is open on this."""
    smooth = gaussian_blur(hu.astype(np.float32), 1.0)
    prior = np.where(smooth < -500, AIR_HU, 0.0)
    bone = smooth > 500
    prior = np.where(bone, smooth, prior)
    prior[mask] = 0.0  # metal becomes tissue in the prior
    return prior.astype(np.float32)


@dataclass(frozen=True)
class NmarSinograms:
    """The sinogram-domain quantities NMAR works with (views x bins, float32)."""

    measured: np.ndarray  # the slice's sinogram, metal trace included
    trace: np.ndarray  # bool
    li: np.ndarray  # measured, with the trace linearly interpolated
    normalizer: np.ndarray  # the prior's sinogram (+ a small floor): dividing by it flattens
    normalized: np.ndarray  # measured / normalizer, with the trace linearly interpolated

    @property
    def completed(self) -> np.ndarray:
        """NMAR's sinogram: the interpolated normalised sinogram multiplied back."""
        return self.normalized * self.normalizer


def nmar_sinograms(hu: np.ndarray, mask: np.ndarray, geometry: ParallelGeometry) -> NmarSinograms:
    sino = sinogram(hu, geometry).numpy()
    trace = metal_trace(mask, geometry)
    sino_li = interpolate_trace(sino, trace)
    li = hu + correction_hu(sino_li - sino, geometry)
    prior_sino = sinogram(prior_image(li, mask), geometry).numpy()
    normalizer = prior_sino + 1e-3 * float(prior_sino.max())
    normalized = interpolate_trace(sino / normalizer, trace)
    return NmarSinograms(sino, trace, sino_li, normalizer, normalized)


def normalized_mar(hu: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """NMAR (Meyer et al., Med. Phys. 2010): the sinogram is divided by the prior's sinogram,
    which flattens it, interpolated in the trace, multiplied back, reconstructed."""
    geometry = geometry_for(hu.shape[0])
    sinos = nmar_sinograms(hu, mask, geometry)
    out = hu + correction_hu(sinos.completed - sinos.measured, geometry)
    return np.where(mask, hu, out).astype(np.float32)


def at_work_size(
    correct: Callable[[np.ndarray, np.ndarray], np.ndarray], hu: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Run a correction on the slice reduced to WORK_SIZE and add the enlarged change to the
    full-resolution slice: streaks are broad, anatomy keeps its detail."""
    size = hu.shape[0]
    small = resize(hu, (WORK_SIZE, WORK_SIZE))
    # Any reduced pixel that holds some metal is metal: blended edge pixels (metal averaged
    # with tissue, thousands of HU) would otherwise be "corrected" and smear the enlarged change.
    small_mask = resize_mask(mask, (WORK_SIZE, WORK_SIZE))
    change = correct(small, small_mask) - small
    change[small_mask] = 0
    out = hu + resize(change, (size, size))
    return np.where(mask, hu, out).astype(np.float32)
