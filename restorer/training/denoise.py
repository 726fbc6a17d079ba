"""Training of the U-Net denoising autoencoders, gray and colour, blind over sigma 0-50.

Noise is synthesised per patch by restorer.training.noise_synthesis: white Gaussian noise,
Poisson-Gaussian noise and the realistic camera and film synthesis of restorer.physics.camera,
each with its noise-level map (per pixel and channel), on which the network is conditioned with
10% jitter per sample so that it tolerates the error of the estimator used at inference. With
--real, a quarter of each batch are patches of real noisy/clean pairs from the folder's
training scenes (restorer.io.pairs), conditioned on their measured noise map; its held-out
scenes are validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restorer.core.ops import psnr
from restorer.io import list_images
from restorer.models.denoise_unet import DenoiseUNet
from restorer.physics.camera import noise_level_map
from restorer.training.data import (
    PairSampler,
    PatchSampler,
    centre_crops,
    colour_split,
    load_real_pairs,
    load_uint8,
    no_autocast,
    real_pairs_description,
    split_holdout,
)
from restorer.training.noise_synthesis import NoiseMix, synthesise

VAL_SIGMA = 25.0
REAL_FRACTION = 0.25


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
    real: Path | None = None
    mix: NoiseMix = field(default_factory=NoiseMix)
    # Distillation: a trained (larger) denoiser whose output on each batch joins the target, so
    # that a narrower network learns in minutes what the larger one learned in hours.
    teacher: Path | None = None
    teacher_weight: float = 0.5

    def __post_init__(self) -> None:
        self.model_id = "denoise-gray" if self.gray else "denoise-color"
        self.teacher_model = self._load_teacher(self.teacher) if self.teacher else None
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
        # The same held-out crops with realistic noise, drawn once.
        val_rng = np.random.default_rng(4321)
        self.val_realistic = []
        for v in self.val_images:
            noisy, target, level = synthesise(v, val_rng, NoiseMix(realistic=1.0))
            self.val_realistic.append((noisy, target, level))
        self.real_sampler: PairSampler | None = None
        self.val_real: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        if self.real is not None:
            self.real_names, train_pairs = load_real_pairs(self.real, self.gray, held_out=False)
            self.real_sampler = PairSampler(train_pairs, self.device)
            _, val_pairs = load_real_pairs(self.real, self.gray, held_out=True)
            for noisy_u8, clean_u8 in val_pairs:
                noisy, clean = centre_crops([noisy_u8, clean_u8], 512, self.device)
                self.val_real.append((noisy, clean, noise_level_map(noisy, clean)))

    def _load_teacher(self, path: Path) -> nn.Module:
        from restorer.training.export import load_exported

        metadata, model = load_exported(path)
        channels = metadata["hyperparameters"].get("channels")
        if metadata["architecture"] != "denoise_unet" or channels != (1 if self.gray else 3):
            raise ValueError(f"{path.name} is not a {self.model_id} network")
        return model.to(self.device).requires_grad_(False)

    @property
    def data_description(self) -> str:
        sets = "BSD400 gray + CBSD432 and T91 converted to gray" if self.gray else "CBSD432 + T91"
        text = (
            f"{sets} ({len(self.train_files)} images; every 50th file of each set held out "
            f"for validation: {len(self.val_files)} images), {self.patch}x{self.patch} patches; "
            + self.mix.describe()
        )
        if self.real_sampler is not None and self.real is not None:
            text += real_pairs_description(
                REAL_FRACTION, self.real_names, self.real, len(self.val_real)
            )
        if self.teacher is not None:
            from restorer.core.checksum import file_sha256

            text += (
                f"; distilled from {self.teacher.name} (sha256 {file_sha256(self.teacher)}): "
                f"L1 to the clean patch x {1 - self.teacher_weight:g} + L1 to that network's "
                f"output x {self.teacher_weight:g}"
            )
        return text

    def build_model(self) -> nn.Module:
        return DenoiseUNet(channels=1 if self.gray else 3, widths=self.widths, blocks=self.blocks)

    def degrade(
        self, clean: torch.Tensor, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(noisy, target, jittered level map) for a batch of clean patches."""
        noisy, target, level = synthesise(clean, rng, self.mix)
        jitter = torch.from_numpy(1 + 0.1 * rng.standard_normal(clean.shape[0])).float()
        return noisy, target, (level * jitter.to(level).view(-1, 1, 1, 1)).clamp(min=0)

    def noisy_batch(
        self, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        real_count = int(rng.binomial(self.batch, REAL_FRACTION)) if self.real_sampler else 0
        clean = self.sampler.sample(self.batch - real_count, self.patch, rng)
        noisy, target, level = self.degrade(clean, rng)
        if real_count and self.real_sampler is not None:
            r_noisy, r_clean = self.real_sampler.sample(real_count, self.patch, rng)
            r_level = noise_level_map(r_noisy, r_clean)
            noisy = torch.cat([noisy, r_noisy])
            target = torch.cat([target, r_clean])
            level = torch.cat([level, r_level])
        return noisy, target, level

    @property
    def loss_description(self) -> str | None:
        """The loss as the model card records it: named only when not the usual L1."""
        return None if self.loss_name == "l1" else self.loss_name

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        with no_autocast(self.device):
            noisy, target, level = self.noisy_batch(rng)
        out = model(noisy, level)
        if self.loss_name == "mse":
            loss = F.mse_loss(out.float(), target)
        else:
            loss = F.l1_loss(out, target)
        if self.teacher_model is None:
            return loss
        with torch.no_grad():
            taught = self.teacher_model(noisy, level)
        return (1 - self.teacher_weight) * loss + self.teacher_weight * F.l1_loss(out, taught)

    def validate(self, model: nn.Module) -> dict[str, float]:
        """PSNR at sigma 25 (white), on the realistic synthesis and on held-out real pairs,
        each with its true level; the score is their mean."""

        def mean_psnr(cases: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> float:
            scores = []
            for noisy, target, level in cases:
                out = model(noisy, level).clamp(0, 1)
                scores.append(psnr(target.cpu().numpy(), out.float().cpu().numpy()))
            return float(np.mean(scores))

        white_level = torch.tensor([VAL_SIGMA / 255], device=self.device)
        metrics = {
            "psnr_sigma25": mean_psnr(
                [
                    (c + n, c, white_level)
                    for c, n in zip(self.val_images, self.val_noise, strict=True)
                ]
            ),
            "psnr_realistic": mean_psnr(self.val_realistic),
        }
        if self.val_real:
            metrics["psnr_real"] = mean_psnr(self.val_real)
        return {"score": float(np.mean(list(metrics.values()))), **metrics}

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
            # Whole-image equivalence within 1/255 (max over Set12 / CBSD68 at σ 25): the
            # gray network sees far and needs 160 px of shared context (0.46/255; 128 px:
            # 0.79, 96 px: 2.6), the colour one 96 px (0.32/255). 1120-px tiles would run a
            # 2048² photo as 2 x 2 tiles (15-20 % faster) but take a 24 MP photo to 1.07 GiB.
            "tile": 1024,
            "tile_overlap": 160 if self.gray else 96,
            "supports_half": True,
            "title": "Denoise (gray)" if self.gray else "Denoise (colour)",
            "description": "U-Net denoising autoencoder conditioned on a per-pixel, per-channel "
            "noise-level map, blind with the noise-map estimator.",
            "license": "MIT",
        }
