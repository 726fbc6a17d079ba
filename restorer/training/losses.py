"""Differentiable losses shared by training jobs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5


def _gaussian_window(channels: int, device: torch.device) -> torch.Tensor:
    x = torch.arange(SSIM_WINDOW, dtype=torch.float32, device=device) - SSIM_WINDOW // 2
    g = torch.exp(-(x**2) / (2 * SSIM_SIGMA**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, SSIM_WINDOW, SSIM_WINDOW).contiguous()


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM of (B, C, H, W) images in [0, 1], per channel, with the window of
    restorer.core.ops.ssim (11x11 Gaussian, sigma 1.5) and mirrored borders; computed in
    float32 even inside mixed precision: bfloat16 variances of nearly flat regions round to
    negative values and the ratio to NaN."""
    with torch.autocast(device_type=a.device.type, enabled=False):
        return _ssim_map(a.float(), b.float())


def _ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    channels = a.shape[1]
    window = _gaussian_window(channels, a.device)
    pad = SSIM_WINDOW // 2

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (pad,) * 4, mode="reflect"), window, groups=channels)

    c1, c2 = 0.01**2, 0.03**2
    ma, mb = blur(a), blur(b)
    saa = blur(a * a) - ma * ma
    sbb = blur(b * b) - mb * mb
    sab = blur(a * b) - ma * mb
    return ((2 * ma * mb + c1) * (2 * sab + c2)) / ((ma * ma + mb * mb + c1) * (saa + sbb + c2))


def masked_ssim(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean SSIM over the pixels where mask (B, 1, H, W) is 1, all channels."""
    weight = mask.float().expand_as(a)
    return (ssim_map(a, b) * weight).sum() / weight.sum().clamp(min=1)
