"""The learned dual-domain MAR pair: a sinogram-completion encoder-decoder that fills the
metal trace, and an image-domain U-Net autoencoder that removes the streaks left after
reconstruction (DuDoNet's division of labour, Lin et al. 2019, trained separately here)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from restorer.models.blocks import UNetTrunk, conv3x3

SINO_SCALE = 1 / 50.0  # line integrals of a 256-pixel slice reach ~50 (cm^-1 x pixel): losses
HU_SCALE = 1 / 1000.0


def _pad(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate"), h, w


class SinogramNet(nn.Module):
    """(B, 2, views, bins): NMAR's normalised sinogram (the measured one divided by the prior's,
    linearly interpolated in the trace; about 1 inside the body) and the trace -> the completed
    normalised sinogram. Normalising removes most of the anatomy, so the network learns the
    trace's content rather than the training patients. Only the trace changes."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), blocks: int = 1) -> None:
        super().__init__()
        self.head = conv3x3(2, widths[0])
        self.trunk = UNetTrunk(tuple(widths), blocks)
        self.tail = conv3x3(widths[0], 1)
        # Start as the identity (NMAR): training moves away from a sound baseline only where
        # validation says it helps (the best validated weights are kept, step 0 included).
        nn.init.zeros_(self.tail.weight)
        assert self.tail.bias is not None
        nn.init.zeros_(self.tail.bias)
        self.multiple = self.trunk.size_multiple

    def forward(self, normalized: torch.Tensor, trace: torch.Tensor) -> torch.Tensor:
        x, h, w = _pad(torch.cat([normalized, trace], dim=1), self.multiple)
        f = self.head(x)
        delta = self.tail(f + self.trunk(f))[..., :h, :w]
        return normalized + trace * delta


class ImageNet(nn.Module):
    """(B, 2, H, W): reconstruction from the completed sinogram and the LI image (HU/1000)
    -> the slice without streaks (residual learning; starts as the identity)."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), blocks: int = 2) -> None:
        super().__init__()
        self.head = conv3x3(2, widths[0])
        self.trunk = UNetTrunk(tuple(widths), blocks)
        self.tail = conv3x3(widths[0], 1)
        nn.init.zeros_(self.tail.weight)  # starts by returning its input unchanged
        assert self.tail.bias is not None
        nn.init.zeros_(self.tail.bias)
        self.multiple = self.trunk.size_multiple

    def forward(self, recon: torch.Tensor, li: torch.Tensor) -> torch.Tensor:
        x, h, w = _pad(torch.cat([recon, li], dim=1), self.multiple)
        f = self.head(x)
        return recon + self.tail(f + self.trunk(f))[..., :h, :w]
