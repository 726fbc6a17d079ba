"""U-Net denoising autoencoder conditioned on a noise-level map.

The image is folded to half resolution (pixel unshuffle) with the noise level as extra planes,
as FFDNet does: this quarters the cost of every layer, which is what lets the network run at
over a megapixel per second on two CPU cores. The output is the input minus the predicted
noise (residual learning).

The level is one plane per channel (the standard deviation of the noise at each pixel and in
each channel, on the [0, 1] scale), so that real camera noise - stronger in the highlights of
one channel than in the shadows of another - can be described; a single number stands for a
uniform map. Weights saved when the level was one plane for all channels load into the wider
head exactly: that plane's filters are shared out equally, so a uniform map gives the same
output as before.
"""

from __future__ import annotations

from typing import Any

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
        self.head = conv3x3(5 * channels, widths[0])
        self.trunk = UNetTrunk(tuple(widths), blocks)
        self.tail = conv3x3(widths[0], 4 * channels)

    @property
    def size_multiple(self) -> int:
        return 2 * self.trunk.size_multiple

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) in [0, 1]; sigma: the noise standard deviation on the [0, 1] scale,
        either (B,) for white noise or a (B, C, H, W) map."""
        folded = F.pixel_unshuffle(x, 2)
        if sigma.ndim == 1:
            level = sigma.view(-1, 1, 1, 1).to(x.dtype).expand(-1, self.channels, *folded.shape[2:])
        else:
            level = F.avg_pool2d(sigma.to(x.dtype), 2)
        features = self.head(torch.cat([folded, level], dim=1))
        noise = F.pixel_shuffle(self.tail(self.trunk(features)), 2)
        return x - noise

    def _load_from_state_dict(
        self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        weight = state_dict.get(prefix + "head.weight")
        if weight is not None and weight.shape[1] == 4 * self.channels + 1:
            scalar_plane = weight[:, -1:] / self.channels
            state_dict[prefix + "head.weight"] = torch.cat(
                [weight[:, :-1], scalar_plane.expand(-1, self.channels, -1, -1)], dim=1
            )
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
