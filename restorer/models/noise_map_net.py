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
    H and W must be multiples of 8, or of the patch (the engine pads)."""

    def __init__(self, channels: int = 3, width: int = 48, patch: int = 0) -> None:
        """patch: when set, the image is cut into patch x patch squares that are estimated
        each on its own (see forward); H and W must then be multiples of it."""
        super().__init__()
        self.channels = channels
        self.patch = patch
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
        return self.patch or 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.patch:
            return self._estimate(x)
        # Its receptive field (160 px) is wider than the 128-px patches it was trained on, so
        # every output it learned had seen the patches' zero padding; on larger tiles it read
        # white noise 15-20 % high and less evenly. So a tile is cut into such patches, run as
        # one batch (one call per tile, not one per patch) and put back together. Reshapes
        # with one -1 each keep the graph free of fixed sizes for OpenVINO.
        b, c, h, w = x.shape
        p = self.patch
        rows = x.reshape(b, c, -1, p, w).permute(0, 2, 1, 3, 4).reshape(-1, c, p, w)
        patches = rows.reshape(rows.shape[0], c, p, -1, p).permute(0, 3, 1, 2, 4)
        level = self._estimate(patches.reshape(-1, c, p, p))
        level = level.reshape(rows.shape[0], -1, c, p, p).permute(0, 2, 3, 1, 4)
        level = level.reshape(b, -1, c, p, w).permute(0, 2, 1, 3, 4)
        return level.reshape(b, c, h, w)

    def _estimate(self, x: torch.Tensor) -> torch.Tensor:
        # Fine detail is what tells noise from texture: the first layers see every pixel.
        log_level = self.body(F.pixel_unshuffle(x - 0.5, 2))
        level = F.interpolate(log_level, size=x.shape[2:], mode="bilinear", align_corners=False)
        return torch.exp(level) + FLOOR
