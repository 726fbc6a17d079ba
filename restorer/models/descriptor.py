"""A model's contract, read from the manifest: callers never guess input range, scale,
size multiple, tiling or precision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelDescriptor:
    id: str
    task: str  # denoise, super_resolve, inpaint, mar_sinogram, mar_image, noise_estimate
    architecture: str  # key of models.architectures.ARCHITECTURES
    hyperparameters: dict[str, Any]
    file: str  # relative to resources/models
    sha256: str
    channels: int = 3  # input channels the network takes: 1 gray, 3 RGB
    scale: int = 1
    size_multiple: int = 1
    tile: int = 512  # default input tile side on CPU
    tile_overlap: int = 32
    supports_half: bool = False
    title: str = ""
    description: str = ""
    license: str = "MIT"
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelDescriptor:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})
