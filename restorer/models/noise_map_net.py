"""Noise-level map estimator: noisy image -> the standard deviation of its noise at each
pixel and in each channel, which the denoisers take as their condition.

A white-noise estimate (one number from the smallest eigenvalues of the patch covariance) reads
the spatially correlated noise of a demosaiced, JPEG-compressed camera file as almost clean and
cannot follow noise that grows with brightness. This network learns both from the realistic
synthesis in restorer.physics.camera, as the noise estimator of CBDNet (Guo et al. 2019) does.
The level varies slowly, so it is predicted at an eighth of the resolution and interpolated:
cheap (a few percent of a denoiser pass) and smooth.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from restorer.models.blocks import conv3x3

# The smallest level it reports (on the 0-255 scale): log-space output needs a floor.
FLOOR = 0.1 / 255


class NoiseMapNet(nn.Module):
    """(B, C, H, W) in [0, 1] -> (B, C, H, W) noise standard deviation on the [0, 1] scale.
    H and W must be multiples of 8 (the engine pads)."""

    def __init__(self, channels: int = 3, width: int = 48) -> None:
        super().__init__()
        self.channels = channels
        relu = nn.ReLU(inplace=True)
        self.body = nn.Sequential(
            conv3x3(4 * channels, width),
            relu,
            conv3x3(width, width),
            relu,
            nn.Conv2d(width, width, 2, stride=2),
            relu,
            conv3x3(width, width),
            relu,
            nn.Conv2d(width, width, 2, stride=2),
            relu,
            conv3x3(width, width),
            relu,
            conv3x3(width, width, dilation=2),
            relu,
            conv3x3(width, width, dilation=4),
            relu,
            conv3x3(width, channels),
        )
        # Start from a plausible level (5 on the 0-255 scale) instead of exp(0) = 255.
        last = self.body[-1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.constant_(last.bias, math.log(5 / 255))

    @property
    def size_multiple(self) -> int:
        return 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Fine detail is what tells noise from texture: the first layers see every pixel.
        log_level = self.body(F.pixel_unshuffle(x - 0.5, 2))
        level = F.interpolate(log_level, size=x.shape[2:], mode="bilinear", align_corners=False)
        return torch.exp(level) + FLOOR
