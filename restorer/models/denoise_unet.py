"""U-Net denoising autoencoder conditioned on the noise level.

The image is folded to half resolution (pixel unshuffle) with the noise level as an extra
plane, as FFDNet does: this quarters the cost of every layer, which is what lets the network
run at over a megapixel per second on two CPU cores. The output is the input minus the
predicted noise (residual learning).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from restorer.models.blocks import UNetTrunk, conv3x3


class DenoiseUNet(nn.Module):
    def __init__(
        self, channels: int = 3, widths: tuple[int, ...] = (32, 64, 128, 256), blocks: int = 2
    ) -> None:
        super().__init__()
        self.channels = channels
        self.head = conv3x3(4 * channels + 1, widths[0])
        self.trunk = UNetTrunk(tuple(widths), blocks)
        self.tail = conv3x3(widths[0], 4 * channels)

    @property
    def size_multiple(self) -> int:
        return 2 * self.trunk.size_multiple

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) in [0, 1]; sigma: (B,) noise standard deviation on the [0, 1] scale."""
        folded = F.pixel_unshuffle(x, 2)
        level = sigma.view(-1, 1, 1, 1).to(x.dtype).expand(-1, 1, *folded.shape[2:])
        features = self.head(torch.cat([folded, level], dim=1))
        noise = F.pixel_shuffle(self.tail(self.trunk(features)), 2)
        return x - noise
