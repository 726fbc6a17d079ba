"""Users' own models: any architecture spandrel recognises (ESRGAN, SwinIR, HAT, DAT, SCUNet,
NAFNet, DRUNet, LaMa, ...), read from a .pth/.pt/.ckpt or .safetensors file the user picks.

The file is read here, not by spandrel's own loader: .pth goes through
torch.load(weights_only=True), which refuses any pickled object other than tensors and plain
containers, and TorchScript (which spandrel would load) is refused. spandrel then only sees a
state dict: it detects the architecture from the keys and shapes and builds the network.
The result is described by our own ModelDescriptor, so the engine tiles, casts, cancels and
falls back for it exactly as for a bundled model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from restorer.models.descriptor import (
    USER_ARCHITECTURE_PREFIX,
    WEIGHT_SUFFIXES,
    ModelDescriptor,
    UserModelError,
)
from restorer.models.spandrel_import import import_spandrel

# spandrel's purposes -> the kind of task the model runs under (tasks/user_model.py).
# A face model that enlarges is a super-resolution model; one that does not restores.
PURPOSES = {"SR": "super_resolve", "Restoration": "restore", "Inpainting": "inpaint"}
TRANSFORMERS = ("Swin", "HAT", "DAT", "DRCT", "ATD", "RGT", "GRL", "former", "IPT", "SCUNet")
# Wrappers that checkpoints of this field put around the state dict (BasicSR, KAIR, ...).
_WRAPPER_KEYS = ("params_ema", "params", "state_dict", "model", "net", "generator")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a weights file, loaded without running any code from it."""
    if path.suffix.lower() not in WEIGHT_SUFFIXES:
        raise UserModelError(
            f"{path.name}: not a model file (expected {', '.join(WEIGHT_SUFFIXES)})"
        )
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            loaded: Any = load_file(str(path))
        else:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserModelError(f"{path}: no such file") from None
    except Exception as exc:
        # weights_only refuses pickled classes and code; TorchScript archives fail here too.
        raise UserModelError(
            f"{path.name}: not a plain weights file, so it is not loaded "
            f"(Restorer reads tensors only, never code): {exc}"
        ) from exc
    for key in _WRAPPER_KEYS:
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
            break
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()
    ):
        raise UserModelError(f"{path.name}: holds no weights (no tensors by name)")
    return loaded


class SpandrelModule(nn.Module):
    """A spandrel model as the engine calls networks: forward(image) or forward(image, mask),
    (N, C, H, W) in [0, 1]. spandrel's descriptor pads to the architecture's size
    requirements, calls it the way it must be called and clamps the output."""

    def __init__(self, spandrel_descriptor: Any) -> None:
        super().__init__()
        self.network = spandrel_descriptor.model  # registered, so .to() moves it
        self._spandrel = spandrel_descriptor

    def forward(self, image: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return self._spandrel(image)
        return self._spandrel(image, (mask > 0.5).to(image.dtype))


def load_user_model(path: Path) -> tuple[ModelDescriptor, nn.Module]:
    """The descriptor and the network of a user's model file, on the CPU in float32;
    UserModelError when the file cannot be read or its architecture is not recognised."""
    spandrel = import_spandrel()
    path = Path(path)
    state = spandrel.canonicalize_state_dict(read_state_dict(path))
    try:
        found = spandrel.ModelLoader(torch.device("cpu")).load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise UserModelError(
            f"{path.name}: the architecture of these weights is not one Restorer knows "
            "(it reads what spandrel supports: ESRGAN, SwinIR, HAT, DAT, SCUNet, NAFNet, "
            "DRUNet, LaMa and more)"
        ) from None
    except Exception as exc:  # a recognised architecture whose weights do not fit it
        raise UserModelError(f"{path.name}: the weights do not build a model: {exc}") from exc
    return describe(found, path), SpandrelModule(found).eval()


def describe(found: Any, path: Path) -> ModelDescriptor:
    purpose = PURPOSES.get(found.purpose)
    if purpose is None and found.purpose == "FaceSR":
        purpose = "super_resolve" if found.scale > 1 else "restore"
    if purpose is None:
        raise UserModelError(f"{path.name}: a {found.purpose} model, which Restorer cannot run")
    if found.input_channels not in (1, 3, 4) or found.output_channels not in (1, 3, 4):
        raise UserModelError(
            f"{path.name}: takes {found.input_channels} and gives {found.output_channels} "
            "channels; Restorer runs models of 1 (gray), 3 (RGB) or 4 (RGBA) channels"
        )
    requirements = found.size_requirements
    name = found.architecture.name
    # Attention needs many times the memory per pixel of a convolution.
    tile = 256 if any(n.lower() in name.lower() for n in TRANSFORMERS) else 512
    tiling = found.tiling.name.lower()  # supported, discouraged, internal
    if tiling == "discouraged":  # seams are likelier: fewer, larger tiles
        tile *= 2
    return ModelDescriptor(
        id=f"user:{path.name}",
        task=purpose,
        architecture=USER_ARCHITECTURE_PREFIX + name,
        hyperparameters={"tags": list(found.tags)},
        file=str(path),
        sha256="",  # nothing checks a user's file against a record: not worth reading it twice
        channels=found.input_channels,
        output_channels=found.output_channels,
        scale=found.scale,
        size_multiple=requirements.multiple_of,
        tile=max(tile, requirements.minimum),
        tile_overlap=16 if found.scale > 1 else 32,
        # spandrel says which precisions each architecture survives; CUDA float16 and CPU
        # bfloat16 are both reduced precision here, so the model must allow both.
        supports_half=bool(found.supports_half and found.supports_bfloat16),
        tiling=tiling,
        title=name,
        license="the user's (see where the weights came from)",
    )
