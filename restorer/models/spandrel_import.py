"""Import spandrel where torchvision cannot be imported.

spandrel imports torchvision for three functions: `rotate` and `InterpolationMode` (a LaMa
option that the published LaMa weights do not use) and `normalize` (RestoreFormer). On Linux
the torchvision wheel on PyPI is built for CUDA torch: beside the CPU torch that Restorer
installs and bundles, its compiled operators fail to load and `import torchvision` raises
(RuntimeError: operator torchvision::nms does not exist), which would stop spandrel from
loading any model. When that happens, or torchvision is missing, spandrel is given these
three functions instead, written with torch. A working torchvision is always preferred.
"""

from __future__ import annotations

import sys
import types
from enum import Enum
from typing import Any

import torch


class InterpolationMode(Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def normalize(
    tensor: torch.Tensor, mean: list[float], std: list[float], inplace: bool = False
) -> torch.Tensor:
    """torchvision's normalize: (x - mean) / std per channel of (..., C, H, W)."""
    m = torch.as_tensor(mean, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
    s = torch.as_tensor(std, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
    return tensor.sub_(m).div_(s) if inplace else (tensor - m) / s


def rotate(*args: Any, **kwargs: Any) -> torch.Tensor:
    raise NotImplementedError(
        "this model rotates its features with torchvision, which cannot be loaded here; "
        "install a torchvision that matches torch"
    )


def _stand_in() -> dict[str, types.ModuleType]:
    root = types.ModuleType("torchvision")
    transforms = types.ModuleType("torchvision.transforms")
    functional = types.ModuleType("torchvision.transforms.functional")
    functional.InterpolationMode = InterpolationMode  # type: ignore[attr-defined]
    functional.normalize = normalize  # type: ignore[attr-defined]
    functional.rotate = rotate  # type: ignore[attr-defined]
    transforms.functional = functional  # type: ignore[attr-defined]
    root.transforms = transforms  # type: ignore[attr-defined]
    return {
        "torchvision": root,
        "torchvision.transforms": transforms,
        "torchvision.transforms.functional": functional,
    }


def import_spandrel() -> types.ModuleType:
    """The spandrel module, with the stand-in for torchvision when the real one fails."""
    if "spandrel" in sys.modules:
        return sys.modules["spandrel"]
    try:
        import torchvision  # noqa: F401
    except Exception:  # missing, or built for another torch (see the module's docstring)
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]  # half-imported pieces of the failed import
        sys.modules.update(_stand_in())
    import spandrel

    return spandrel
