"""Parallel-beam CT geometry in torch: forward projection (Radon transform), its exact adjoint
(back-projection) and filtered back-projection.

The projector is pixel-driven: the centre of every pixel projects onto the detector at
t = x cos(theta) + y sin(theta) and spreads its value over the three nearest detector bins
with quadratic B-spline weights (a pixel's footprint, smoothed: plain two-bin linear
splatting leaves a moire pattern in reconstructions). Back-projection gathers with the same
weights, so it is the exact transpose of the forward projection (<A x, y> = <x, A^T y> up to
rounding), which the tests check. Unit lengths: one image pixel; bins are one pixel wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

# Angles processed together. On a CPU a chunk's arrays should stay in the cache: with 8
# angles they are 8 MB per array for a 512 slice, and a projection takes ~1.8 s where 32
# angles took 8.4 s (2-core EPYC). A GPU wants fewer, larger launches.
CPU_ANGLE_CHUNK = 8
GPU_ANGLE_CHUNK = 32


def _chunks(geometry: ParallelGeometry, device: torch.device) -> list[slice]:
    step = CPU_ANGLE_CHUNK if device.type == "cpu" else GPU_ANGLE_CHUNK
    return [
        slice(start, min(start + step, geometry.angles))
        for start in range(0, geometry.angles, step)
    ]


CACHE_LIMIT = 256 * 256 * 400  # pixels x views up to which the weights are kept (~0.5 GB)


@dataclass(frozen=True)
class ParallelGeometry:
    size: int  # the image is size x size pixels
    angles: int  # views over 180 degrees

    @property
    def detectors(self) -> int:
        # Enough bins for the image diagonal and the spline's reach, odd so that bin
        # `centre` sits on the rotation axis.
        n = math.ceil(self.size * math.sqrt(2)) + 4
        return n + 1 - n % 2

    @property
    def centre(self) -> float:
        return (self.detectors - 1) / 2

    @cached_property
    def thetas(self) -> torch.Tensor:
        return torch.arange(self.angles, dtype=torch.float64) * math.pi / self.angles

    def detector_positions(
        self, device: torch.device, chunk: slice
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(first bin index, weights of that bin and the next two) for every pixel and angle
        in `chunk`, as (k, size*size) tensors. Small geometries keep them (training data
        generation projects thousands of slices of one size)."""
        key = (str(device), chunk.start, chunk.stop)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        c = (self.size - 1) / 2
        offsets = torch.arange(self.size, dtype=torch.float32, device=device) - c
        theta = self.thetas[chunk].to(device)
        cos = torch.cos(theta).float()[:, None, None]
        sin = torch.sin(theta).float()[:, None, None]
        # t = x cos + y sin with x = column offset and y = -row offset (row 0 at the top):
        # separable, so it is one broadcast add of two small products. float32 keeps the
        # bin position to ~1e-4 bins, far below the spline's scale.
        t = offsets[None, None, :] * cos - offsets[None, :, None] * sin + self.centre
        result = spline_taps(t.reshape(t.shape[0], -1))
        if self.size * self.size * self.angles <= CACHE_LIMIT:
            self._cache[key] = result
        return result

    @cached_property
    def _cache(self) -> dict[tuple[str, int, int], tuple[torch.Tensor, list[torch.Tensor]]]:
        return {}


def spline_taps(t: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(first bin index, the weights of that bin and the next two) for detector positions t
    (float32; overwritten: for the dense projector these arrays are chunk x N^2)."""
    nearest = torch.round(t)
    u = t.sub_(nearest)  # in [-0.5, 0.5]
    # The quadratic B-spline's three weights, 0.5 (0.5 - u)^2, 0.75 - u^2 and 0.5 (0.5 + u)^2,
    # with the last two from the first (they differ by u and sum to 1): half the memory
    # traffic, which is what this costs.
    low = (0.5 - u).square_().mul_(0.5)
    high = low + u
    middle = torch.sub(1.0, low).sub_(high)
    return nearest.to(torch.int64).sub_(1), [low, middle, high]


def forward_project(image: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """(..., N, N) -> sinogram (..., angles, detectors). Line integrals in pixel units."""
    lead = image.shape[:-2]
    flat = image.reshape(-1, geometry.size * geometry.size)
    batch = flat.shape[0]
    det = geometry.detectors
    out = torch.zeros(batch, geometry.angles, det, dtype=image.dtype, device=image.device)
    for chunk in _chunks(geometry, image.device):
        first, weights = geometry.detector_positions(image.device, chunk)
        k = first.shape[0]
        base = torch.arange(k, device=image.device)[:, None] * det
        idx = (base + first).reshape(-1)  # a new tensor: stepped in place from tap to tap
        values = flat.repeat(1, k)  # (batch, k*N*N), angle-major like idx
        weighted = torch.empty_like(values)
        part = torch.zeros(batch, k * det, dtype=image.dtype, device=image.device)
        for tap, w in enumerate(weights):
            if tap:
                idx += 1
            torch.mul(values, w.to(image.dtype).reshape(-1), out=weighted)
            part.index_add_(1, idx, weighted)
        out[:, chunk] = part.view(batch, k, det)
    return out.reshape(*lead, geometry.angles, det)


def forward_project_sparse(image: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """forward_project of an (N, N) image that is zero almost everywhere (a metal mask), done
    for its nonzero pixels only: the same splatting, a cost that grows with the pixels that
    count instead of with N^2 x angles (the dense projector takes ~7 s for a 512 slice)."""
    rows, cols = torch.nonzero(image, as_tuple=True)
    values = image[rows, cols]
    det = geometry.detectors
    c = (geometry.size - 1) / 2
    cos = torch.cos(geometry.thetas).float().to(image.device)[:, None]
    sin = torch.sin(geometry.thetas).float().to(image.device)[:, None]
    # The same t as detector_positions: column offset x cos - row offset x sin.
    t = (cols.float() - c)[None] * cos - (rows.float() - c)[None] * sin + geometry.centre
    first, weights = spline_taps(t)
    base = torch.arange(geometry.angles, device=image.device)[:, None] * det
    idx = (base + first).reshape(-1)
    out = torch.zeros(geometry.angles * det, dtype=image.dtype, device=image.device)
    for tap, w in enumerate(weights):
        out.index_add_(0, idx + tap, (values[None] * w.to(image.dtype)).reshape(-1))
    return out.view(geometry.angles, det)


def back_project(sinogram: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """The exact adjoint of forward_project: (..., angles, detectors) -> (..., N, N)."""
    lead = sinogram.shape[:-2]
    det = geometry.detectors
    flat = sinogram.reshape(-1, geometry.angles * det)
    batch = flat.shape[0]
    out = torch.zeros(
        batch, geometry.size * geometry.size, dtype=sinogram.dtype, device=sinogram.device
    )
    for chunk in _chunks(geometry, sinogram.device):
        first, weights = geometry.detector_positions(sinogram.device, chunk)
        k = first.shape[0]
        base = (torch.arange(k, device=sinogram.device)[:, None] + chunk.start) * det
        idx = (base + first).reshape(-1)  # a new tensor: stepped in place from tap to tap
        for tap, w in enumerate(weights):
            if tap:
                idx += 1
            gathered = flat.index_select(1, idx).view(batch, k, -1)
            out += gathered.mul_(w.to(sinogram.dtype)).sum(dim=1)
    return out.reshape(*lead, geometry.size, geometry.size)


def ramp_filter(sinogram: torch.Tensor) -> torch.Tensor:
    """Filter each projection with the discrete Ram-Lak kernel (Kak & Slaney, eq. 61),
    applied in the Fourier domain with zero padding against wrap-around."""
    det = sinogram.shape[-1]
    padded = 1 << math.ceil(math.log2(2 * det))
    n = torch.arange(-(padded // 2), padded // 2, device=sinogram.device, dtype=torch.float64)
    kernel = torch.zeros_like(n)
    kernel[n == 0] = 0.25
    odd = (n % 2) == 1
    kernel[odd] = -1.0 / (math.pi * n[odd]) ** 2
    response = torch.fft.rfft(torch.fft.ifftshift(kernel)).real.to(sinogram.dtype)
    spectrum = torch.fft.rfft(sinogram, n=padded, dim=-1)
    return torch.fft.irfft(spectrum * response, n=padded, dim=-1)[..., :det]


def fbp(sinogram: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """Filtered back-projection: the attenuation image from parallel-beam line integrals."""
    return back_project(ramp_filter(sinogram), geometry) * (math.pi / geometry.angles)
