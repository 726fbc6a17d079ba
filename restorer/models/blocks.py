"""Building blocks shared by the networks."""

from __future__ import annotations

import itertools

import torch
from torch import nn


def conv3x3(cin: int, cout: int, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation)


class ResBlock(nn.Module):
    """conv-ReLU-conv with an identity skip (no normalisation: it hurts restoration)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(width, width), nn.ReLU(inplace=True), conv3x3(width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def res_stage(width: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock(width) for _ in range(blocks)])


class UNetTrunk(nn.Module):
    """Encoder-decoder over feature maps: strided-conv downsampling, transposed-conv
    upsampling, additive skips. Input and output have widths[0] channels."""

    def __init__(self, widths: tuple[int, ...], blocks: int) -> None:
        super().__init__()
        self.encoders = nn.ModuleList()
        self.downs = nn.ModuleList()
        for w_in, w_out in itertools.pairwise(widths):
            self.encoders.append(res_stage(w_in, blocks))
            self.downs.append(nn.Conv2d(w_in, w_out, 2, stride=2))
        self.middle = res_stage(widths[-1], blocks)
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for w_in, w_out in zip(widths[:0:-1], widths[-2::-1], strict=True):
            self.ups.append(nn.ConvTranspose2d(w_in, w_out, 2, stride=2))
            self.decoders.append(res_stage(w_out, blocks))

    @property
    def size_multiple(self) -> int:
        return 2 ** len(self.downs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for encode, down in zip(self.encoders, self.downs, strict=True):
            x = encode(x)
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, decode in zip(self.ups, self.decoders, strict=True):
            x = decode(up(x) + skips.pop())
        return x
