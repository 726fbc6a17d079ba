"""Scratch and dust detector for scanned photographs: a small U-Net that maps an image to the
probability that each pixel is a defect.

Learned from synthetic defects drawn on clean photographs, as the scratch detector of Wan et
al. 2020 ("Bringing Old Photos Back to Life"): a rule on local contrast cannot tell a scratch
from a wire, a twig or an eyelash, a network that sees ~100 pixels around each pixel can.
"""

from __future__ import annotations

import torch
from torch import nn

from restorer.models.blocks import UNetTrunk, conv3x3


class DefectNet(nn.Module):
    """(B, 3, H, W) RGB in 0..1 (gray replicated) -> (B, 1, H, W) defect probability.
    H and W must be multiples of 2 ** (len(widths) - 1) (the engine pads)."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128), blocks: int = 1) -> None:
        super().__init__()
        self.head = conv3x3(3, widths[0])
        self.trunk = UNetTrunk(tuple(widths), blocks)
        self.tail = conv3x3(widths[0], 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        f = self.head(x - 0.5)
        return self.tail(f + self.trunk(f))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Probabilities, not logits: overlapping tiles are blended in this space.
        return torch.sigmoid(self.logits(x))
