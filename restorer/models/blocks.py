"""Building blocks shared by the networks."""

from __future__ import annotations

import itertools
import re

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


# A residual stage's blocks in a state dict: "<stage>.<block>.<rest>", where the stage is an
# encoder, decoder (numbered) or the middle of a UNetTrunk.
_STAGE_BLOCK = re.compile(r"^(.*\.(?:encoders|decoders)\.\d+|(?:.*\.)?middle)\.(\d+)\.(.+)$")


def keep_last_blocks(state: dict[str, torch.Tensor], blocks: int) -> dict[str, torch.Tensor]:
    """Weights of a network with more residual blocks per stage, for the same network with
    `blocks` per stage: each stage keeps its last `blocks`, renumbered from 0. The other
    weights pass unchanged, as does a state with no more blocks than that.

    Why: a shallower network (for speed on a CPU) then starts from the trained one
    instead of from scratch. Every block adds a residual, so dropping some leaves a working
    network; the last block of each stage is the better one to keep (the colour denoiser with
    one block per level: 25.68 dB at sigma 25 on its validation set keeping the last, 24.69
    keeping the first, both before any training)."""
    counts = _blocks_by_stage(state)
    kept: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        match = _STAGE_BLOCK.match(key)
        if match is None:
            kept[key] = value
            continue
        stage, block, rest = match.group(1), int(match.group(2)), match.group(3)
        first_kept = max(0, counts[stage] - blocks)
        if block >= first_kept:
            kept[f"{stage}.{block - first_kept}.{rest}"] = value
    return kept


def blocks_per_stage(state: dict[str, torch.Tensor]) -> int:
    """The most residual blocks in any stage of the UNetTrunk(s) in a state dict (0: none)."""
    return max(_blocks_by_stage(state).values(), default=0)


def _blocks_by_stage(state: dict[str, torch.Tensor]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in state:
        match = _STAGE_BLOCK.match(key)
        if match:
            stage, block = match.group(1), int(match.group(2))
            counts[stage] = max(counts.get(stage, 0), block + 1)
    return counts
