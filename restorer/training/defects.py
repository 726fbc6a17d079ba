"""Training of the scratch and dust detector.

Clean colour crops (two in five turned gray, as many old prints are) get synthetic scratches,
dust and hairs from restorer.physics.masks.varied_scan_defects and a little film grain; the
network learns where they are. Loss: binary cross-entropy plus half a soft Dice term, which
keeps thin lines (~2 % of the pixels) from being traded away for the background. Defects are
not weighted up in the cross-entropy: with weight 3 the network marked door frames and
outlines in real old photographs (3-6 % of Set12's old scans at p > 0.5), and a wrongly
marked edge is painted over by the fill. Defect pixels that do not change the image (white
on white) are left out of the loss: nothing in the pixels says they are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restorer.models.defect_net import DefectNet
from restorer.physics.masks import varied_scan_defects
from restorer.training.data import PatchSampler, centre_crops, colour_split, load_uint8

DICE_WEIGHT = 0.5
GRAIN = 0.02  # largest film-grain sigma added to the damaged image (0..1 scale)


def damage(
    clean: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(damaged with grain, target, loss weight) for one (H, W, 3) float32 image."""
    if rng.random() < 0.4:
        clean = np.repeat(clean.mean(axis=2, keepdims=True), 3, axis=2)
    damaged, drawn, visible = varied_scan_defects(clean, rng)
    grain = rng.normal(0, rng.uniform(0, GRAIN), damaged.shape[:2])[:, :, None]
    damaged = np.clip(damaged + grain, 0, 1).astype(np.float32)
    weight = np.where(drawn & ~visible, 0.0, 1.0).astype(np.float32)
    return damaged, visible.astype(np.float32), weight


def _batch(
    clean: torch.Tensor, rng: np.random.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    images, targets, weights = [], [], []
    for sample in clean.permute(0, 2, 3, 1).cpu().numpy():
        damaged, target, weight = damage(sample, rng)
        images.append(damaged)
        targets.append(target)
        weights.append(weight)

    def stacked(arrays: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(arrays)).to(device)

    return (
        stacked(images).permute(0, 3, 1, 2),
        stacked(targets)[:, None],
        stacked(weights)[:, None],
    )


def f1_score(probability: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> float:
    found = (probability > 0.5).float() * weight
    true = target * weight
    hits = float((found * true).sum())
    return 2 * hits / max(float(found.sum() + true.sum()), 1.0)


@dataclass
class DefectJob:
    data: Path
    device: torch.device
    batch: int = 16
    patch: int = 128
    widths: tuple[int, ...] = (16, 32, 64, 128)
    blocks: int = 1

    def __post_init__(self) -> None:
        self.model_id = "defects"
        self.train_files, self.val_files = colour_split(self.data)
        self.sampler = PatchSampler(
            load_uint8(self.train_files, gray=False, min_side=self.patch), self.device
        )
        rng = np.random.default_rng(7)
        self.val = [
            _batch(crop, rng, self.device)
            for crop in centre_crops(load_uint8(self.val_files, gray=False), 256, self.device)
        ]

    @property
    def data_description(self) -> str:
        return (
            f"CBSD432 + T91 ({len(self.train_files)} images; every 50th held out: "
            f"{len(self.val_files)}), {self.patch}px crops with synthetic scratches (1-4 px), "
            "dust specks and hairs, near-white or near-black, 60-100% opaque, plus grain; "
            "2 in 5 crops gray"
        )

    def build_model(self) -> nn.Module:
        return DefectNet(widths=self.widths, blocks=self.blocks)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        clean = self.sampler.sample(self.batch, self.patch, rng)
        images, target, weight = _batch(clean, rng, self.device)
        logits = model.logits(images).float()
        bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight)
        p = torch.sigmoid(logits) * weight
        dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + (target * weight).sum() + 1)
        return bce + DICE_WEIGHT * dice

    def validate(self, model: nn.Module) -> dict[str, float]:
        scores = [f1_score(model(images).float(), t, w) for images, t, w in self.val]
        return {"score": float(np.mean(scores)), "f1": float(np.mean(scores))}

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "inpaint",
            "architecture": "defect_unet",
            "hyperparameters": {"widths": list(self.widths), "blocks": self.blocks},
            "channels": 3,
            "scale": 1,
            "size_multiple": 2 ** (len(self.widths) - 1),
            "tile": 1024,
            "tile_overlap": 64,
            "supports_half": True,
            "title": "Scratch and dust detector",
            "description": "Small U-Net that marks scratches, dust and hairs on scans, trained "
            "on synthetic defects; proposes the mask for inpainting.",
            "license": "MIT",
        }
