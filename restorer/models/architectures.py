"""Architecture names as written in the manifest -> network classes. An explicit table:
a frozen application cannot discover classes by scanning folders."""

from __future__ import annotations

from typing import Any

from torch import nn

from restorer.models.defect_net import DefectNet
from restorer.models.denoise_unet import DenoiseUNet
from restorer.models.inpaint_net import InpaintNet
from restorer.models.mar_nets import ImageNet, SinogramNet
from restorer.models.noise_map_net import NoiseMapNet
from restorer.models.sr_unet import SRUNet

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "denoise_unet": DenoiseUNet,
    "sr_unet": SRUNet,
    "inpaint_gated_ffc": InpaintNet,
    "mar_sinogram_unet": SinogramNet,
    "mar_image_unet": ImageNet,
    "defect_unet": DefectNet,
    "noise_map": NoiseMapNet,
}


def build(architecture: str, hyperparameters: dict[str, Any]) -> nn.Module:
    try:
        cls = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}") from None
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in hyperparameters.items()}
    return cls(**params)
