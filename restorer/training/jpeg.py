"""Training of the JPEG-artifact network: the colour denoising U-Net's architecture, given
JPEG-compressed patches and the level of their quality (restorer.core.jpeg_quality), trained
to give back the uncompressed patch.

Compression is restorer.physics.jpeg (IJG tables, 8x8 DCT; 4:2:0 chroma for half the
patches, as cameras and most web images have it) at qualities drawn from 10-60. Each patch is
compressed with 16 pixels to spare and cut at a random offset, so that the network meets the
8x8 block grid at every alignment: a tile of a large image starts wherever the tiler puts it.
Starting from the bundled colour denoiser (--init) is what makes a CPU run worthwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restorer.core.jpeg_quality import artifact_level
from restorer.core.ops import psnr
from restorer.models.denoise_unet import DenoiseUNet
from restorer.physics.jpeg import jpeg_compress
from restorer.training.data import (
    PatchSampler,
    centre_crops,
    colour_split,
    load_uint8,
    no_autocast,
)

QUALITIES = (10, 60)
VAL_QUALITIES = (10, 20, 40)
GRID = 16  # compressing with this much to spare gives every block-grid alignment


@dataclass
class JpegJob:
    data: Path
    device: torch.device
    batch: int = 16
    patch: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: int = 2

    def __post_init__(self) -> None:
        self.model_id = "jpeg-color"
        self.train_files, self.val_files = colour_split(self.data)
        self.sampler = PatchSampler(load_uint8(self.train_files, False), self.device)
        # Held-out crops compressed once at each validation quality (4:2:0, as files are).
        crops = centre_crops(load_uint8(self.val_files, False), 256, self.device)
        self.val_cases = []
        for quality in VAL_QUALITIES:
            q = torch.tensor([float(quality)], device=self.device)
            for clean in crops:
                compressed = jpeg_compress(clean, q, subsample_chroma=True)
                self.val_cases.append((compressed, clean, quality))

    @property
    def data_description(self) -> str:
        return (
            f"CBSD432 + T91 ({len(self.train_files)} images; every 50th file of each set held "
            f"out for validation: {len(self.val_files)} images), {self.patch}x{self.patch} "
            f"patches compressed by restorer.physics.jpeg at IJG quality {QUALITIES[0]}-"
            f"{QUALITIES[1]} (uniform), 4:2:0 chroma for half, at a random block-grid offset"
        )

    def build_model(self) -> nn.Module:
        return DenoiseUNet(channels=3, widths=self.widths, blocks=self.blocks)

    def compressed_batch(
        self, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(compressed, clean, level per sample) for one batch."""
        big = self.sampler.sample(self.batch, self.patch + GRID, rng)
        quality = rng.uniform(*QUALITIES, size=self.batch).round()
        subsample = rng.random(self.batch) < 0.5
        q = torch.from_numpy(quality).float().to(self.device)
        compressed = torch.empty_like(big)
        for flag in (False, True):
            chosen = torch.from_numpy(subsample == flag).to(self.device)
            if chosen.any():
                compressed[chosen] = jpeg_compress(big[chosen], q[chosen], subsample_chroma=flag)
        dy, dx = (int(v) for v in rng.integers(0, GRID, size=2))
        window = (slice(None), slice(None), slice(dy, dy + self.patch), slice(dx, dx + self.patch))
        level = torch.tensor([artifact_level(v) for v in quality], device=self.device)
        return compressed[window], big[window], level.float()

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        with no_autocast(self.device):
            compressed, clean, level = self.compressed_batch(rng)
        return F.l1_loss(model(compressed, level), clean)

    def validate(self, model: nn.Module) -> dict[str, float]:
        """PSNR on the held-out crops at each validation quality; the score is their mean."""
        metrics = {}
        for quality in VAL_QUALITIES:
            scores = []
            level = torch.tensor([artifact_level(quality)], device=self.device)
            for compressed, clean, q in self.val_cases:
                if q != quality:
                    continue
                out = model(compressed, level).clamp(0, 1)
                scores.append(psnr(clean.cpu().numpy(), out.float().cpu().numpy()))
            metrics[f"psnr_q{quality}"] = float(np.mean(scores))
        return {"score": float(np.mean(list(metrics.values()))), **metrics}

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "jpeg",
            "architecture": "denoise_unet",
            "hyperparameters": {"channels": 3, "widths": list(self.widths), "blocks": self.blocks},
            "channels": 3,
            "scale": 1,
            "size_multiple": 2 ** len(self.widths),
            "tile": 1024,  # as the colour denoiser (training.denoise): 96 px keep 0.40/255
            "tile_overlap": 96,
            "supports_half": True,
            "title": "JPEG artifacts",
            "description": "The colour denoising U-Net trained on JPEG-compressed photographs "
            "(quality 10-60), conditioned on the quality's quantisation level.",
            "license": "MIT",
        }
