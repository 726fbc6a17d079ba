"""Training of the mask-conditioned inpainting network.

256x256 colour crops (one in five converted to gray and replicated, so gray images work)
with random masks from restorer.physics.masks: free-form strokes, thin scratches, specks,
blobs and rectangles covering 1-40% of the crop. Loss: L1 inside the hole, plus 1 - SSIM
inside the hole (local contrast and structure, which L1 alone lets fade), plus an edge term
(L1 between image gradients), which keeps fills from settling on a flat average.

Validation fills seeded medium masks (restorer.physics.masks.benchmark_mask, as `restorer
bench inpaint` draws them) on the whole held-out images, as the application runs the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from restorer.core.ops import psnr, ssim
from restorer.models.inpaint_net import InpaintNet
from restorer.physics.masks import benchmark_mask, random_mask
from restorer.training.data import PatchSampler, colour_split, load_uint8, whole_images
from restorer.training.losses import masked_ssim

WORK_SIZE = 256


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


@dataclass
class InpaintJob:
    data: Path
    device: torch.device
    batch: int = 16
    patch: int = WORK_SIZE
    width: int = 32
    bottleneck_blocks: int = 6
    edge_weight: float = 0.5
    ssim_weight: float = 0.2
    mask_bank: int = 3000

    def __post_init__(self) -> None:
        self.model_id = "inpaint"
        self.train_files, self.val_files = colour_split(self.data)
        self.sampler = PatchSampler(
            load_uint8(self.train_files, gray=False, min_side=self.patch), self.device
        )
        # Whole images, as the application runs the network (sides a multiple of 8 only).
        self.val_images = whole_images(load_uint8(self.val_files, gray=False), 8, self.device)
        # Drawing masks costs ~1 ms each on the CPU, as long as a GPU step: draw a bank once
        # and vary it with the 8 flips/rotations of the patch sampler.
        bank_rng = np.random.default_rng(99)
        bank = [
            (random_mask(self.patch, self.patch, bank_rng) * 255).astype(np.uint8)[:, :, None]
            for _ in range(self.mask_bank)
        ]
        self.masks = PatchSampler(bank, self.device)
        rng = np.random.default_rng(7)
        self.val_masks = [
            torch.from_numpy(benchmark_mask(v.shape[-2], v.shape[-1], "medium", rng))[
                None, None
            ].to(self.device)
            for v in self.val_images
        ]

    @property
    def data_description(self) -> str:
        return (
            f"CBSD432 + T91 ({len(self.train_files)} images of at least {self.patch}px; every "
            f"50th held out: {len(self.val_files)}), {self.patch}px crops, random strokes, "
            "scratches, specks, blobs and rectangles covering 1-40%"
        )

    @property
    def loss_description(self) -> str:
        """The loss as the model card records it."""
        return (
            f"L1 + {self.ssim_weight:g} (1 - SSIM) inside the hole + {self.edge_weight:g} edge "
            "(L1 of image gradients)"
        )

    def build_model(self) -> nn.Module:
        return InpaintNet(channels=3, width=self.width, bottleneck_blocks=self.bottleneck_blocks)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        clean = self.sampler.sample(self.batch, self.patch, rng)
        gray = torch.from_numpy(rng.random(self.batch) < 0.2).to(clean.device).view(-1, 1, 1, 1)
        clean = torch.where(gray, clean.mean(dim=1, keepdim=True).expand_as(clean), clean)
        mask = (self.masks.sample(self.batch, self.patch, rng) > 0.5).float()
        out = model(clean, mask)
        hole = mask.sum().clamp(min=1) * clean.shape[1]
        l1 = ((out - clean).abs() * mask).sum() / hole
        gy_o, gx_o = _gradients(out)
        gy_c, gx_c = _gradients(clean)
        edge = (gy_o - gy_c).abs().mean() + (gx_o - gx_c).abs().mean()
        structure = 1 - masked_ssim(out, clean, mask)
        return l1 + self.ssim_weight * structure + self.edge_weight * edge

    def validate(self, model: nn.Module) -> dict[str, float]:
        psnrs, ssims = [], []
        for clean, mask in zip(self.val_images, self.val_masks, strict=True):
            out = model(clean, mask).float().clamp(0, 1)
            m = mask[0, 0].cpu().numpy() > 0.5
            reference = clean[0].permute(1, 2, 0).cpu().numpy()
            filled = out[0].permute(1, 2, 0).cpu().numpy()
            psnrs.append(psnr(reference, filled, mask=m))
            ssims.append(ssim(reference, filled, mask=m))
        score = float(np.mean(psnrs))
        return {
            "score": score,
            "psnr_hole_medium": score,
            "ssim_hole_medium": float(np.mean(ssims)),
        }

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "inpaint",
            "architecture": "inpaint_gated_ffc",
            "hyperparameters": {
                "channels": 3,
                "width": self.width,
                "bottleneck_blocks": self.bottleneck_blocks,
            },
            "channels": 3,
            "scale": 1,
            "size_multiple": 8,
            # Crops larger than this run tiled (very large images full of dust).
            "tile": 768,
            "tile_overlap": 128,
            "supports_half": False,
            "title": "Inpaint",
            "description": "Mask-conditioned encoder-decoder with gated convolutions and a "
            "dilated + Fourier bottleneck; fills holes in a 256px working crop.",
            "license": "MIT",
        }
