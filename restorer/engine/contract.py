"""One way to call any bundled network: from its descriptor, never from a task's own code.

A task hands the engine one array whose channels are the model's inputs side by side, in the
order of `ModelDescriptor.inputs` (image then noise map, image then mask, ...); tiling,
flips and rotations treat it as one image. Here each tile is split back into the inputs the
network's forward() takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restorer.models.descriptor import ModelDescriptor

if TYPE_CHECKING:  # torch loads when a model runs on it
    import torch
    from torch import nn

    from restorer.engine.ensemble import Forward


def forward_for(descriptor: ModelDescriptor) -> Forward:
    """forward(model, tile) for this model: the tile (N, sum of input channels, H, W) split
    into the model's inputs."""
    sizes = descriptor.input_channels
    expected = sum(sizes)

    def forward(model: nn.Module, tile: torch.Tensor) -> torch.Tensor:
        if tile.shape[1] != expected:
            names = " + ".join(f"{n} ({c})" for n, c in zip(descriptor.inputs, sizes, strict=True))
            raise ValueError(
                f"model {descriptor.id} takes {names} = {expected} channels, not {tile.shape[1]}"
            )
        if len(sizes) == 1:
            return model(tile)
        return model(*tile.split(list(sizes), dim=1))

    return forward
