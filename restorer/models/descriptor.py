"""A model's contract, read from the manifest: callers never guess input range, scale,
size multiple, tiling or precision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How each architecture is called: its forward() takes these inputs, in this order, each an
# (N, C, H, W) tensor. The engine packs them along the channels of one tile and splits the
# tile back (restorer.engine.contract), so no task writes its own call. "image" and
# "noise_map" have the model's `channels`; the others one channel. Kept here, without torch,
# so that reading the manifest does not load it; tests check it against the classes.
ARCHITECTURE_INPUTS: dict[str, tuple[str, ...]] = {
    "denoise_unet": ("image", "noise_map"),
    "sr_unet": ("image",),
    "inpaint_gated_ffc": ("image", "mask"),
    "mar_sinogram_unet": ("normalized_sinogram", "trace"),
    "mar_image_unet": ("reconstruction", "li_image"),
    "defect_unet": ("image",),
    "noise_map": ("image",),
}
_IMAGE_SHAPED = ("image", "noise_map")
# A user's own model (restorer.models.user_models): "spandrel:<architecture>". It takes the
# image, and an inpainting model the mask too.
USER_ARCHITECTURE_PREFIX = "spandrel:"
# The files a user's model may come in (read by restorer.models.user_models).
WEIGHT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")


# The two errors below live beside the descriptor rather than with the loaders, so that
# listing, removing and checking models (which read names and manifests only) never
# imports torch: `restorer models` starts in 0.24 s instead of 1.7 s.
class ModelIntegrityError(Exception):
    """A weight file is missing, altered or unreadable; it is never loaded."""


class UserModelError(ValueError):
    """A user's file is not a model Restorer can run; the message says why, for the user."""


@dataclass(frozen=True)
class ModelDescriptor:
    id: str
    task: str  # denoise, super_resolve, inpaint, mar_sinogram, mar_image, noise_estimate
    architecture: str  # key of models.architectures.ARCHITECTURES
    hyperparameters: dict[str, Any]
    file: str  # relative to resources/models
    sha256: str
    channels: int = 3  # input channels the network takes: 1 gray, 3 RGB (4 RGBA: user models)
    output_channels: int = 0  # 0: as many as `channels`
    scale: int = 1
    size_multiple: int = 1
    tile: int = 512  # default input tile side on CPU
    tile_overlap: int = 32
    supports_half: bool = False
    tiling: str = "supported"  # or "discouraged" (larger tiles), "internal": the whole image
    title: str = ""
    description: str = ""
    license: str = "MIT"
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # An int8 version for the CPU runtime, where one was measured harmless: OpenVINO IR files
    # beside the weights with their sha256 and the weights they were made from
    # (build_scripts/quantize_int8.py). Empty: the model runs in floating point only.
    int8: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names of the network's inputs, in the order its forward() takes them."""
        if self.is_user_model:
            return ("image", "mask") if self.task == "inpaint" else ("image",)
        try:
            return ARCHITECTURE_INPUTS[self.architecture]
        except KeyError:
            raise ValueError(f"unknown architecture {self.architecture!r}") from None

    @property
    def is_user_model(self) -> bool:
        return self.architecture.startswith(USER_ARCHITECTURE_PREFIX)

    @property
    def tiles(self) -> bool:
        """Whether the image may be cut into tiles for this model (some see it whole)."""
        return self.tiling != "internal"

    @property
    def input_channels(self) -> tuple[int, ...]:
        """Channels of each input: how a packed tile is split into them."""
        return tuple(self.channels if name in _IMAGE_SHAPED else 1 for name in self.inputs)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelDescriptor:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})
