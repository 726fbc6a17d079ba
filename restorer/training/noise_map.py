"""Training of the noise-map estimator (restorer.models.noise_map_net).

It sees the same noise as the denoisers (restorer.training.noise_synthesis) on colour patches,
a quarter of them gray (replicated to three channels, as the task feeds gray images), and
learns each patch's noise-level map: L1 between the logarithms, so that a level of 2 read as 4
costs as much as 20 read as 40. With --real, a quarter of each batch are patches of real
noisy/clean pairs from the folder's training scenes with their measured maps; the held-out
scenes are validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from restorer.models.noise_map_net import FLOOR, NoiseMapNet
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
)
from restorer.training.noise_synthesis import NoiseMix, synthesise

GRAY_FRACTION = 0.25
REAL_FRACTION = 0.25


def log_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """|log(predicted) - log(target)| per sample, with the estimator's floor on both."""
    return (torch.log(predicted.float() + FLOOR) - torch.log(target.float() + FLOOR)).abs()


@dataclass
class NoiseMapJob:
    data: Path
    device: torch.device
    batch: int = 16
    patch: int = 128
    width: int = 48
    real: Path | None = None
    mix: NoiseMix = field(
        default_factory=lambda: NoiseMix(realistic=0.45, clipped_level="measured")
    )

    def __post_init__(self) -> None:
        self.model_id = "noise-map"
        train, val = colour_split(self.data)
        self.train_files, self.val_files = train, val
        self.sampler = PatchSampler(load_uint8(train, gray=False), self.device)
        val_rng = np.random.default_rng(2468)
        self.val_cases = []
        for crop in centre_crops(load_uint8(val, gray=False), 256, self.device):
            noisy, _target, level = synthesise(crop, val_rng, self.mix)
            # The network takes whole patches; the noise is drawn on the crop as before, so
            # the draws of the other cases stay the same.
            on_grid = self._on_patch_grid(noisy, level)
            if on_grid is not None:
                self.val_cases.append(on_grid)
        self.real_sampler: PairSampler | None = None
        self.val_real: list[tuple[torch.Tensor, torch.Tensor]] = []
        if self.real is not None:
            self.real_names, pairs = load_real_pairs(self.real, gray=False, held_out=False)
            self.real_sampler = PairSampler(pairs, self.device)
            for noisy_u8, clean_u8 in load_real_pairs(self.real, gray=False, held_out=True)[1]:
                noisy, clean = centre_crops([noisy_u8, clean_u8], 512, self.device)
                self.val_real.append((noisy, noise_level_map(noisy, clean)))

    def _on_patch_grid(
        self, noisy: torch.Tensor, level: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The centred part of a validation case that is whole patches; None below one."""
        h, w = (side // self.patch * self.patch for side in noisy.shape[2:])
        if not h or not w:
            return None
        y, x = (noisy.shape[2] - h) // 2, (noisy.shape[3] - w) // 2
        return noisy[:, :, y : y + h, x : x + w], level[:, :, y : y + h, x : x + w]

    @property
    def data_description(self) -> str:
        text = (
            f"CBSD432 + T91 ({len(self.train_files)} images; every 50th file held out: "
            f"{len(self.val_files)}), {self.patch}x{self.patch} patches, "
            f"{GRAY_FRACTION:.0%} converted to gray; " + self.mix.describe()
        )
        if self.real_sampler is not None and self.real is not None:
            text += real_pairs_description(
                REAL_FRACTION, self.real_names, self.real, len(self.val_real)
            )
        return text

    loss_description = "L1 between log noise levels"

    def build_model(self) -> nn.Module:
        # Trained and run on patch-sized squares (see NoiseMapNet.forward); the training
        # patches are one square each.
        return NoiseMapNet(channels=3, width=self.width, patch=self.patch)

    def noisy_batch(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        real_count = int(rng.binomial(self.batch, REAL_FRACTION)) if self.real_sampler else 0
        gray_count = int(rng.binomial(self.batch - real_count, GRAY_FRACTION))
        colour_count = self.batch - real_count - gray_count
        parts = []
        if colour_count:
            noisy, _, level = synthesise(
                self.sampler.sample(colour_count, self.patch, rng), rng, self.mix
            )
            parts.append((noisy, level))
        if gray_count:
            clean = self.sampler.sample(gray_count, self.patch, rng)
            luma = torch.tensor([0.299, 0.587, 0.114], device=clean.device).view(1, 3, 1, 1)
            noisy, _, level = synthesise((clean * luma).sum(1, keepdim=True), rng, self.mix)
            parts.append((noisy.expand(-1, 3, -1, -1), level.expand(-1, 3, -1, -1)))
        if real_count and self.real_sampler is not None:
            noisy, clean = self.real_sampler.sample(real_count, self.patch, rng)
            parts.append((noisy, noise_level_map(noisy, clean)))
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        with no_autocast(self.device):
            noisy, level = self.noisy_batch(rng)
        return log_error(model(noisy), level).mean()

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Mean |log ratio| per pixel and of each image's mean level (0.1 = 10% off), on
        held-out synthetic noise and on held-out real pairs; the score is minus the mean of
        the per-image errors."""

        def errors(cases: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[float, float]:
            per_pixel, per_image = [], []
            for noisy, level in cases:
                predicted = model(noisy)
                per_pixel.append(float(log_error(predicted, level).mean()))
                per_image.append(float(log_error(predicted.mean(), level.mean())))
            return float(np.mean(per_pixel)), float(np.mean(per_image))

        pixel, image = errors(self.val_cases)
        metrics = {"log_error_pixel": pixel, "log_error_image": image}
        if self.val_real:
            metrics["real_log_error_pixel"], metrics["real_log_error_image"] = errors(self.val_real)
        image_errors = [v for k, v in metrics.items() if k.endswith("image")]
        return {"score": -float(np.mean(image_errors)), **metrics}

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "noise_estimate",
            "architecture": "noise_map",
            "hyperparameters": {"channels": 3, "width": self.width, "patch": self.patch},
            "channels": 3,
            "scale": 1,
            "size_multiple": self.patch,
            # The network cuts each tile into training-sized patches itself (run whole on
            # larger squares it read white noise 1.2-1.4x too high: σ 25 as 29-31, σ 50 as
            # 64-70), so tiles can be large, few calls per photo, and need no overlap: no
            # patch sees beyond itself, and tiles start on the patch grid.
            "tile": 1024,
            "tile_overlap": 0,
            "supports_half": True,
            "title": "Noise-level estimator",
            "description": "Estimates the standard deviation of the noise at each pixel and in "
            "each channel: the automatic strength of the denoisers.",
            "license": "MIT",
        }
