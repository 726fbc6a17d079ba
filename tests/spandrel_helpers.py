"""Small randomly initialised models of several spandrel architectures, saved the way users
have them: a BasicSR checkpoint wrapped in "params_ema", plain state dicts, safetensors."""

from __future__ import annotations

from pathlib import Path

import torch

from restorer.models.spandrel_import import import_spandrel

import_spandrel()
from spandrel.architectures.Compact import Compact  # noqa: E402
from spandrel.architectures.DnCNN import DnCNN  # noqa: E402
from spandrel.architectures.ESRGAN import ESRGAN  # noqa: E402
from spandrel.architectures.LaMa import LaMa  # noqa: E402
from spandrel.architectures.NAFNet import NAFNet  # noqa: E402
from spandrel.architectures.SwinIR import SwinIR  # noqa: E402


def networks() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {
        "esrgan_x2.pth": ESRGAN(num_filters=8, num_blocks=1, scale=2),
        "compact_x4.safetensors": Compact(num_feat=8, num_conv=2, upscale=4),
        "dncnn_gray.pth": DnCNN(in_nc=1, out_nc=1, nc=8, nb=17),
        "nafnet.pth": NAFNet(width=8, enc_blk_nums=[1, 1], dec_blk_nums=[1, 1]),
        "swinir_x2.pth": SwinIR(
            embed_dim=12,
            depths=[1],
            num_heads=[2],
            window_size=4,
            upscale=2,
            upsampler="pixelshuffledirect",
            img_size=32,
        ),
        "lama.pth": LaMa(in_nc=4),
    }


def save_models(folder: Path, names: tuple[str, ...] | None = None) -> dict[str, Path]:
    from safetensors.torch import save_file

    files = {}
    for name, net in networks().items():
        if names is not None and name not in names:
            continue
        state = {k: v.contiguous() for k, v in net.state_dict().items()}
        if name == "lama.pth":  # 51 M parameters: half the bytes on disk
            state = {k: v.half() for k, v in state.items()}
        path = folder / name
        if name.endswith(".safetensors"):
            save_file(state, str(path))
        else:
            torch.save({"params_ema": state} if "esrgan" in name else state, path)
        files[name] = path
    return files
