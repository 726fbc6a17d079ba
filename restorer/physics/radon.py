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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import torch

# Views x images processed together. On a CPU a chunk's arrays should stay in the cache: 4
# of them are 4 MB per array for a 512 slice (one view of the four symmetric images below);
# 8 took 1.1x as long, 16 1.3x and 32 2x (2-core EPYC). A GPU wants fewer, larger launches.
CPU_CHUNK_ROWS = 4
GPU_CHUNK_ROWS = 512

CACHE_LIMIT = 256 * 256 * 400  # pixels x views up to which the weights are kept (~0.5 GB)


def views_for(size: int) -> int:
    """Views over 180 degrees enough for a slice `size` pixels across: about 1.4 per pixel,
    so that the outermost pixels are sampled along the circumference as finely as across."""
    return math.ceil(size * 1.41)


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
        t = (offsets * cos + self.centre) - offsets[:, None] * sin
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


@dataclass(frozen=True)
class _Symmetry:
    """A turn or flip of the square image whose view k is view `views[k]` of the image (-1:
    none). View k of any of them uses the spline weights of view k, so the weights are
    computed for a quarter of the views only: they were the largest part of the cost."""

    turn: Callable[[torch.Tensor], torch.Tensor]
    turn_back: Callable[[torch.Tensor], torch.Tensor]  # its inverse, and adjoint
    views: torch.Tensor  # (base views,) int64


def _clockwise(x: torch.Tensor) -> torch.Tensor:
    return torch.rot90(x, -1, (-2, -1))


def _anticlockwise(x: torch.Tensor) -> torch.Tensor:
    return torch.rot90(x, 1, (-2, -1))


def _mirrored(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, (-1,))


def _symmetries(geometry: ParallelGeometry) -> tuple[int, list[_Symmetry]]:
    """(views whose weights are computed, the symmetries that give every view once).

    View A - k is view k of the mirrored image, and with an even view count A = 2h, view k + h
    is view k of the image turned a quarter clockwise and view h - k view k of the mirrored
    image turned: views 0..h/2 of the four give all A (0..A/2 of two for an odd count)."""
    a = geometry.angles
    identity: Callable[[torch.Tensor], torch.Tensor] = lambda x: x  # noqa: E731
    if a % 2:
        base = torch.arange(a // 2 + 1)
        candidates = [(identity, identity, base), (_mirrored, _mirrored, a - base)]
    else:
        h = a // 2
        base = torch.arange(h // 2 + 1)
        candidates = [
            (identity, identity, base),
            (_clockwise, _anticlockwise, base + h),
            (_mirrored, _mirrored, a - base),
            (
                lambda x: _clockwise(_mirrored(x)),
                lambda x: _mirrored(_anticlockwise(x)),
                h - base,
            ),
        ]
    claimed = torch.zeros(a, dtype=torch.bool)
    symmetries = []
    for turn, turn_back, views in candidates:
        valid = (views >= 0) & (views < a)
        valid[valid.clone()] &= ~claimed[views[valid]]  # each view from one symmetry only
        claimed[views[valid]] = True
        symmetries.append(_Symmetry(turn, turn_back, torch.where(valid, views, -1)))
    assert bool(claimed.all())
    return len(base), symmetries


def _workers() -> int:
    # The scatter and gather kernels below run on one core each, so chunks of views go to
    # threads (torch releases the GIL): 2 threads on 2 cores, 1.5x.
    return max(1, torch.get_num_threads())


def _in_parallel(
    work: Callable[[list[slice]], None], chunks: list[slice], device: torch.device
) -> None:
    """work(chunks) on one share of the chunks per thread (each share can keep one
    accumulator), interleaved so that the shares take about as long."""
    workers = min(_workers(), len(chunks)) if device.type == "cpu" else 1
    if workers == 1:
        work(chunks)
        return
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(work, [chunks[i::workers] for i in range(workers)]):
            pass  # re-raises a worker's exception


def _view_chunks(views: int, rows: int, device: torch.device) -> list[slice]:
    budget = CPU_CHUNK_ROWS if device.type == "cpu" else GPU_CHUNK_ROWS
    step = max(1, budget // rows)
    return [slice(start, min(start + step, views)) for start in range(0, views, step)]


def forward_project(image: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """(..., N, N) -> sinogram (..., angles, detectors). Line integrals in pixel units."""
    lead = image.shape[:-2]
    n2 = geometry.size * geometry.size
    stack = image.reshape(-1, geometry.size, geometry.size)
    batch = stack.shape[0]
    det = geometry.detectors
    views, symmetries = _symmetries(geometry)
    flat = torch.cat([s.turn(stack) for s in symmetries]).reshape(-1, n2)
    rows = flat.shape[0]
    out = torch.zeros(batch, geometry.angles, det, dtype=image.dtype, device=image.device)

    def splat(chunks: list[slice]) -> None:
        # One buffer of each kind per thread, not per chunk: fresh memory for every chunk
        # cost page faults that made a 512 slice's NMAR 2.6 s in a loop but 3.8 s per file
        # in the command line, where other work between the files returns it to the system.
        longest = max(c.stop - c.start for c in chunks)
        weighted_buffer = torch.empty(rows * longest * n2, dtype=image.dtype, device=image.device)
        part_buffer = torch.empty(rows * longest * det, dtype=image.dtype, device=image.device)
        for chunk in chunks:
            first, weights = geometry.detector_positions(image.device, chunk)
            k = first.shape[0]
            base = torch.arange(k, device=image.device)[:, None] * det
            idx = (base + first).reshape(-1)  # a new tensor: stepped in place from tap to tap
            weighted = weighted_buffer[: rows * k * n2].view(rows, k, n2)
            part = part_buffer[: rows * k * det].view(rows, k * det).zero_()
            for tap, w in enumerate(weights):
                if tap:
                    idx += 1
                torch.mul(flat[:, None], w.to(image.dtype), out=weighted)  # angle-major
                # scatter_add_ rather than index_add_: 1.7x faster on the CPU for this.
                part.scatter_add_(1, idx.expand(rows, -1), weighted.view(rows, -1))
            part = part.view(len(symmetries), batch, k, det)
            for symmetry, sinograms in zip(symmetries, part, strict=True):
                targets = symmetry.views[chunk]
                valid = targets >= 0
                out[:, targets[valid].to(image.device)] = sinograms[:, valid.to(image.device)]

    _in_parallel(splat, _view_chunks(views, rows, image.device), image.device)
    return out.reshape(*lead, geometry.angles, det)


def forward_project_sparse(image: torch.Tensor, geometry: ParallelGeometry) -> torch.Tensor:
    """forward_project of an (N, N) image that is zero almost everywhere (a metal mask), done
    for its nonzero pixels only: the same splatting, a cost that grows with the pixels that
    count instead of with N^2 x angles (the dense projector takes ~0.5 s for a 512 slice)."""
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
    size = geometry.size
    stack = sinogram.reshape(-1, geometry.angles, det)
    batch = stack.shape[0]
    views, symmetries = _symmetries(geometry)
    # Each symmetry's views, in the order of the views whose weights serve them (zero where a
    # symmetry has no view: its back-projection adds nothing there).
    padded = torch.cat([stack, stack.new_zeros(batch, 1, det)], dim=1)
    table = torch.cat([padded[:, s.views.to(sinogram.device)] for s in symmetries])
    flat = table.reshape(-1, views * det)
    rows = flat.shape[0]
    sums: list[torch.Tensor] = []

    def gather(chunks: list[slice]) -> None:
        acc = torch.zeros(rows, size * size, dtype=sinogram.dtype, device=sinogram.device)
        longest = max(c.stop - c.start for c in chunks)
        # One buffer per thread (see splat in forward_project).
        buffer = torch.empty(
            rows * longest * size * size, dtype=sinogram.dtype, device=sinogram.device
        )
        for chunk in chunks:
            first, weights = geometry.detector_positions(sinogram.device, chunk)
            k = first.shape[0]
            base = (torch.arange(k, device=sinogram.device)[:, None] + chunk.start) * det
            idx = (base + first).reshape(-1)  # a new tensor: stepped in place from tap to tap
            taken = buffer[: rows * k * size * size].view(rows, k * size * size)
            gathered = taken.view(rows, k, -1)
            for tap, w in enumerate(weights):
                if tap:
                    idx += 1
                torch.index_select(flat, 1, idx, out=taken)
                w = w.to(sinogram.dtype)
                for view in range(k):  # fused multiply-adds: no temporaries
                    acc.addcmul_(gathered[:, view], w[view])
        sums.append(acc)  # one accumulator per thread; list.append is atomic

    _in_parallel(gather, _view_chunks(views, rows, sinogram.device), sinogram.device)
    total = (torch.stack(sums).sum(dim=0) if len(sums) > 1 else sums[0]).view(
        len(symmetries), batch, size, size
    )
    out = symmetries[0].turn_back(total[0])
    for symmetry, part in zip(symmetries[1:], total[1:], strict=True):
        out += symmetry.turn_back(part)
    return out.reshape(*lead, size, size)


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
