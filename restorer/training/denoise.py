"""Training of the U-Net denoising autoencoders, gray and colour, blind over sigma 0-50.

Noise is synthesised per patch by restorer.physics: Gaussian (sigma uniform in [0, 55] on the
0-255 scale) for three patches in four, Poisson-Gaussian sensor noise for the rest; a quarter
of noisy patches are clipped to [0, 1] as real 8-bit files are. The network is conditioned on
the true (or, for Poisson-Gaussian, RMS) level with 5% jitter, so that it tolerates the error
of the blind estimator used at inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restorer.core.ops import psnr
from restorer.io import list_images
from restorer.models.denoise_unet import DenoiseUNet
from restorer.physics.noise import effective_sigma, gaussian, poisson_gaussian
from restorer.training.data import (
    PatchSampler,
    centre_crops,
    colour_split,
    load_uint8,
    no_autocast,
    split_holdout,
)

MAX_TRAIN_SIGMA = 55.0
VAL_SIGMA = 25.0


@dataclass
class DenoiseJob:
    data: Path
    gray: bool
    device: torch.device
    batch: int = 32
    patch: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: int = 2
    # L1 trains faster from scratch; a last stretch on the squared error aims at the mean of
    # the posterior, which is what PSNR rewards.
    loss_name: str = "l1"

    def __post_init__(self) -> None:
        self.model_id = "denoise-gray" if self.gray else "denoise-color"
        train, val = colour_split(self.data)
        if self.gray:
            g_train, g_val = split_holdout(list_images(self.data / "train/bsd400"))
            train, val = g_train + train, g_val + val
        self.train_files, self.val_files = train, val
        self.sampler = PatchSampler(load_uint8(train, self.gray), self.device)
        self.val_images = centre_crops(load_uint8(val, self.gray), 256, self.device)
        gen = torch.Generator().manual_seed(1234)
        self.val_noise = [
            torch.randn(v.shape, generator=gen).to(self.device) * VAL_SIGMA / 255
            for v in self.val_images
        ]

    @property
    def data_description(self) -> str:
        sets = "BSD400 gray + CBSD432 and T91 converted to gray" if self.gray else "CBSD432 + T91"
        return (
            f"{sets} ({len(self.train_files)} images; every 50th file of each set held out "
            f"for validation: {len(self.val_files)} images), {self.patch}x{self.patch} patches"
        )

    def build_model(self) -> nn.Module:
        return DenoiseUNet(channels=1 if self.gray else 3, widths=self.widths, blocks=self.blocks)

    def degrade(
        self, clean: torch.Tensor, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b = clean.shape[0]
        seed = int(rng.integers(2**31))
        gen = torch.Generator(device=clean.device).manual_seed(seed)
        sigma = torch.from_numpy(rng.uniform(0, MAX_TRAIN_SIGMA, b) / 255).float().to(clean.device)
        noisy = gaussian(clean, sigma, gen)
        pg = torch.from_numpy(rng.random(b) < 0.25).to(clean.device)
        if pg.any():
            peak = torch.from_numpy(np.exp(rng.uniform(np.log(20), np.log(1000), b))).float()
            read = torch.from_numpy(rng.uniform(0, 10, b) / 255).float()
            peak, read = peak.to(clean.device), read.to(clean.device)
            noisy_pg = poisson_gaussian(clean, peak, read, gen)
            noisy = torch.where(pg.view(-1, 1, 1, 1), noisy_pg, noisy)
            sigma = torch.where(pg, effective_sigma(clean, peak, read), sigma)
        clip = torch.from_numpy(rng.random(b) < 0.25).to(clean.device).view(-1, 1, 1, 1)
        noisy = torch.where(clip, noisy.clamp(0, 1), noisy)
        jitter = torch.from_numpy(1 + 0.05 * rng.standard_normal(b)).float().to(clean.device)
        return noisy, (sigma * jitter).clamp(min=0)

    @property
    def loss_description(self) -> str | None:
        """The loss as the model card records it: named only when not the usual L1."""
        return None if self.loss_name == "l1" else self.loss_name

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        clean = self.sampler.sample(self.batch, self.patch, rng)
        with no_autocast(clean.device):
            noisy, level = self.degrade(clean, rng)
        out = model(noisy, level)
        if self.loss_name == "mse":
            return F.mse_loss(out.float(), clean)
        return F.l1_loss(out, clean)

    def validate(self, model: nn.Module) -> dict[str, float]:
        scores = []
        level = torch.tensor([VAL_SIGMA / 255], device=self.device)
        for clean, noise in zip(self.val_images, self.val_noise, strict=True):
            out = model(clean + noise, level).clamp(0, 1)
            scores.append(psnr(clean.cpu().numpy(), out.float().cpu().numpy()))
        return {"score": float(np.mean(scores)), "psnr_sigma25": float(np.mean(scores))}

    def descriptor_fields(self) -> dict[str, Any]:
        channels = 1 if self.gray else 3
        return {
            "task": "denoise",
            "architecture": "denoise_unet",
            "hyperparameters": {
                "channels": channels,
                "widths": list(self.widths),
                "blocks": self.blocks,
            },
            "channels": channels,
            "scale": 1,
            "size_multiple": 2 ** len(self.widths),
            # Whole-image equivalence within 1/255 needs 160 px of shared context (the
            # bottleneck sees far; 128 px left up to 2/255 once the models were trained
            # longer); large CPU tiles keep that overlap cheap.
            "tile": 1024,
            "tile_overlap": 160,
            "supports_half": True,
            "title": "Denoise (gray)" if self.gray else "Denoise (colour)",
            "description": "U-Net denoising autoencoder conditioned on the noise level, "
            "blind over sigma 0-50 with the built-in estimator.",
            "license": "MIT",
        }
