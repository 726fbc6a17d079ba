"""Training of the x2 / x4 super-resolution networks.

Clean variant: LR = MATLAB-style bicubic downsampling of the HR patch, rounded to 8 bits
(the benchmark protocol). Realistic variant, for real scans: before downsampling, a mild
Gaussian blur (sigma 0.2-1.2 HR pixels, half the patches); after it, Gaussian noise (sigma
0-8/255, half the patches) and JPEG (quality 50-95, half the patches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restorer.core.ops import psnr, rgb_to_y
from restorer.models.sr_unet import SRUNet
from restorer.physics.blur import gaussian_blur
from restorer.physics.jpeg import jpeg_compress
from restorer.physics.noise import gaussian
from restorer.physics.resize import imresize
from restorer.training.data import (
    PatchSampler,
    centre_crops,
    colour_split,
    load_uint8,
    no_autocast,
)

# CBSD432 images that are also in BSD100 (MANIFEST.md): left out so that BSD100 stays a test set.
BSD100_OVERLAP = [
    "156065",
    "361010",
    "37073",
    "376043",
    "38082",
    "38092",
    "385039",
    "41033",
    "41069",
    "42012",
    "42049",
    "43074",
    "45096",
    "54082",
    "55073",
    "58060",
    "62096",
    "65033",
    "66053",
    "69015",
    "69020",
    "69040",
    "76053",
    "78004",
    "8023",
    "85048",
    "86000",
    "86016",
    "86068",
    "87046",
    "89072",
    "97033",
]


def quantise(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0, 1) * 255) / 255


@dataclass
class SRJob:
    data: Path
    scale: int
    realistic: bool
    device: torch.device
    batch: int = 32
    patch: int = 48  # LR patch side; HR is patch * scale
    widths: tuple[int, ...] = ()
    blocks: int = 2

    def __post_init__(self) -> None:
        # x2 must run at over a megapixel per second on two CPU cores; x4 produces 4x the
        # pixels per input pixel and can afford a wider network.
        self.widths = self.widths or ((48, 96, 192) if self.scale == 2 else (64, 128, 256))
        self.model_id = f"sr-x{self.scale}" + ("-real" if self.realistic else "")
        self.train_files, self.val_files = colour_split(self.data, exclude=BSD100_OVERLAP)
        hr = self.patch * self.scale
        self.sampler = PatchSampler(
            load_uint8(self.train_files, gray=False, min_side=hr), self.device
        )
        self.val_hr = [
            hr[
                ...,
                : hr.shape[-2] // (8 * self.scale) * 8 * self.scale,
                : hr.shape[-1] // (8 * self.scale) * 8 * self.scale,
            ]
            for hr in centre_crops(load_uint8(self.val_files, gray=False), 192, self.device)
        ]
        # The realistic model is chosen on realistically degraded inputs (fixed per image),
        # the clean one on clean bicubic inputs: each is validated on what it is for.
        rng = np.random.default_rng(2024)
        with torch.no_grad():
            self.val_lr = [
                self.degrade(hr, rng) if self.realistic else quantise(imresize(hr, 1 / self.scale))
                for hr in self.val_hr
            ]

    @property
    def data_description(self) -> str:
        return (
            f"CBSD432 without the 32 images shared with BSD100, + T91 ({len(self.train_files)}"
            f" images; every 50th held out: {len(self.val_files)}), HR patches "
            f"{self.patch * self.scale}px, MATLAB bicubic x{self.scale} downsampling"
            + (" with random blur, noise and JPEG" if self.realistic else "")
        )

    def build_model(self) -> nn.Module:
        return SRUNet(scale=self.scale, widths=self.widths, blocks=self.blocks)

    def degrade(self, hr: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        return low_resolution_input(hr, self.scale, self.realistic, rng)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        hr = self.sampler.sample(self.batch, self.patch * self.scale, rng)
        with no_autocast(hr.device):
            lr = self.degrade(hr, rng)
        return F.l1_loss(model(lr), hr)

    def validate(self, model: nn.Module) -> dict[str, float]:
        scores: list[float] = []
        bicubic: list[float] = []
        s = self.scale
        for hr, lr in zip(self.val_hr, self.val_lr, strict=True):
            sr = quantise(model(lr).float())
            ref = rgb_to_y(hr[0].permute(1, 2, 0).cpu().numpy())[s:-s, s:-s]
            for out, acc in ((sr, scores), (quantise(imresize(lr, s)), bicubic)):
                y = rgb_to_y(out[0].permute(1, 2, 0).cpu().numpy())[s:-s, s:-s]
                acc.append(psnr(ref, y))
        inputs = "degraded" if self.realistic else "clean_bicubic"
        return {
            "score": float(np.mean(scores)),
            f"psnr_y_{inputs}": float(np.mean(scores)),
            f"bicubic_psnr_y_{inputs}": float(np.mean(bicubic)),
        }

    def descriptor_fields(self) -> dict[str, Any]:
        kind = "realistic scans (blur, noise, JPEG)" if self.realistic else "clean bicubic"
        return {
            "task": "super_resolve",
            "architecture": "sr_unet",
            "hyperparameters": {
                "scale": self.scale,
                "channels": 3,
                "widths": list(self.widths),
                "blocks": self.blocks,
            },
            "channels": 3,
            "scale": self.scale,
            "size_multiple": 2 ** (len(self.widths) - 1),
            # 48 low-resolution pixels of shared context keep tiled output within 0.1/255 of a
            # whole-image run (measured on coffee.png).
            # x2: 832 (1040 on the CPU for images up to 12 MP, engine.cpu_tile) runs a 1 MP
            # photo as one tile, without the 21 % of overlap that 3 x 3 tiles computed twice:
            # 1.37 -> 1.80 output MP/s; a 12 MP photo's peak 1.30 -> 2.05 GiB (48 MP out).
            # x4: 384, its output being four times larger per input pixel.
            "tile": 832 if self.scale == 2 else 384,
            "tile_overlap": 48,
            "supports_half": True,
            "title": f"Super-resolve x{self.scale} ({kind})",
            "description": f"Encoder-decoder at low resolution, pixel-shuffle upsampling, global "
            f"residual over bicubic; trained on {kind} degradations.",
            "license": "MIT",
        }


def low_resolution_input(
    hr: torch.Tensor, scale: int, realistic: bool, rng: np.random.Generator
) -> torch.Tensor:
    """The low-resolution input a model learns from: MATLAB bicubic downsampling, rounded to
    8 bits; realistic, also a random blur before, and noise and JPEG after, each half of the
    time (also what build_scripts/quantize_int8.py calibrates the realistic models on)."""
    if not realistic:
        return quantise(imresize(hr, 1 / scale))
    b = hr.shape[0]
    if rng.random() < 0.5:
        hr = gaussian_blur(hr, float(rng.uniform(0.2, 1.2)))
    lr = imresize(hr, 1 / scale)
    gen = torch.Generator(device=hr.device).manual_seed(int(rng.integers(2**31)))
    noisy = torch.from_numpy(rng.random(b) < 0.5).to(hr.device).view(-1, 1, 1, 1)
    sigma = torch.from_numpy(rng.uniform(0, 8, b) / 255).float().to(hr.device)
    lr = torch.where(noisy, gaussian(lr, sigma, gen), lr).clamp(0, 1)
    compress = torch.from_numpy(rng.random(b) < 0.5).to(hr.device).view(-1, 1, 1, 1)
    quality = torch.from_numpy(rng.integers(50, 96, b)).to(hr.device)
    return torch.where(compress, jpeg_compress(lr, quality), quantise(lr))
