"""MATLAB-compatible bicubic resizing (imresize): the degradation that super-resolution
benchmarks assume. torch's own bicubic uses a = -0.75 and no antialiasing by default, which
would make our LR inputs differ from everyone else's."""

from __future__ import annotations

import math
from functools import lru_cache

import torch


def _cubic(x: torch.Tensor) -> torch.Tensor:
    a = x.abs()
    a2, a3 = a * a, a * a * a
    return (1.5 * a3 - 2.5 * a2 + 1) * (a <= 1) + (-0.5 * a3 + 2.5 * a2 - 4 * a + 2) * (
        (a > 1) & (a <= 2)
    )


@lru_cache(maxsize=64)
def _resize_matrix_cpu(in_len: int, out_len: int, scale: float) -> torch.Tensor:
    antialias = scale < 1
    width = 4.0 / scale if antialias else 4.0
    x = torch.arange(1, out_len + 1, dtype=torch.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - width / 2)
    taps = math.ceil(width) + 2
    idx = left[:, None] + torch.arange(taps, dtype=torch.float64)[None, :]
    dist = u[:, None] - idx
    weights = scale * _cubic(dist * scale) if antialias else _cubic(dist)
    weights = weights / weights.sum(dim=1, keepdim=True)
    # Mirror indices that fall outside the signal, as MATLAB's 'symmetric' padding does.
    mirror = torch.cat([torch.arange(in_len), torch.arange(in_len - 1, -1, -1)])
    idx0 = (idx.long() - 1) % (2 * in_len)
    cols = mirror[idx0]
    matrix = torch.zeros(out_len, in_len, dtype=torch.float64)
    matrix.scatter_add_(1, cols, weights)
    return matrix


def resize_matrix(
    in_len: int, out_len: int, scale: float, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    return _resize_matrix_cpu(in_len, out_len, float(scale)).to(device=device, dtype=dtype)


def imresize(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Resize the last two dimensions of x by scale (e.g. 0.5 down, 2 up), bicubic."""
    h, w = x.shape[-2:]
    oh, ow = math.ceil(h * scale), math.ceil(w * scale)
    mh = resize_matrix(h, oh, scale, x.device, torch.float32)
    mw = resize_matrix(w, ow, scale, x.device, torch.float32)
    return (mh @ x.float() @ mw.T).to(x.dtype)
