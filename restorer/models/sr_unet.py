"""Super-resolution encoder-decoder: features at low resolution, sub-pixel upsampling and a
global residual over bicubic interpolation (the network only learns the missing detail)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from restorer.models.blocks import UNetTrunk, conv3x3


class SRUNet(nn.Module):
    def __init__(
        self,
        scale: int = 2,
        channels: int = 3,
        widths: tuple[int, ...] = (48, 96, 192),
        blocks: int = 2,
    ) -> None:
        super().__init__()
        if scale not in (2, 4):
            raise ValueError("scale must be 2 or 4")
        self.scale = scale
        self.channels = channels
        w = widths[0]
        self.head = conv3x3(channels, w)
        self.trunk = UNetTrunk(tuple(widths), blocks)
        # Sub-pixel convolution straight to the output (ESPCN): computed at low resolution,
        # so the upsampling costs almost nothing next to the trunk.
        self.tail = nn.Sequential(conv3x3(w, channels * scale * scale), nn.PixelShuffle(scale))

    @property
    def size_multiple(self) -> int:
        return self.trunk.size_multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, h, w) in [0, 1] -> (B, C, h*scale, w*scale)."""
        features = self.head(x)
        features = features + self.trunk(features)
        detail = self.tail(features)
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + detail
