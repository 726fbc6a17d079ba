"""The noise the denoisers and the noise-map estimator learn from, drawn per patch: white
Gaussian noise (what the synthetic benchmarks measure), Poisson-Gaussian sensor noise on the
sRGB values, and the realistic camera and film synthesis of restorer.physics.camera; each comes
with its noise-level map (B, C, H, W), the condition the denoiser takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from restorer.physics.camera import noise_level_map, realistic_noise
from restorer.physics.noise import gaussian, poisson_gaussian, poisson_gaussian_level

MAX_TRAIN_SIGMA = 55.0
_LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class NoiseMix:
    """Fractions of each batch (the rest is white Gaussian noise)."""

    realistic: float = 0.5
    poisson_gaussian: float = 0.1
    clipped: float = 0.25  # of the white and Poisson-Gaussian samples, clipped to [0, 1]
    # The level of a clipped sample: "nominal" (the sigma drawn, as the denoisers were trained)
    # or "measured" (what clipping left, what an estimator must report: trained on the nominal
    # level, the noise-map network read white noise 1.3-1.5x too high, more so at high sigma
    # where clipping removes more).
    clipped_level: str = "nominal"

    def describe(self) -> str:
        white = 1 - self.realistic - self.poisson_gaussian
        return (
            f"noise per patch: {white:.0%} white Gaussian (sigma 0-{MAX_TRAIN_SIGMA:.0f}), "
            f"{self.poisson_gaussian:.0%} Poisson-Gaussian on sRGB values, "
            f"{self.realistic:.0%} realistic camera/film synthesis (restorer.physics.camera: "
            "unprocessing, Poisson-Gaussian on linear Bayer sites, bilinear demosaicing, white "
            "balance 1.9-2.4 / 1.5-1.9, random colour matrix, gamma and tone curve, chroma noise "
            "reduction in 4/5 (10-70% of the colour noise kept, blurred 1-4 px; "
            "the grain coarsened by 0.3-1 px in half), JPEG q60-95 in 3/4 (4:2:0 in 7/10 of "
            "those), film grain 3-25 in 15%); "
            f"{self.clipped:.0%} of the others clipped to [0, 1] (labelled with the "
            f"{self.clipped_level} level)"
        )


def _to_gray(x: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor(_LUMA, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def synthesise(
    clean: torch.Tensor, rng: np.random.Generator, mix: NoiseMix = NoiseMix()
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(noisy, target, level map) for a batch of clean patches (B, C, H, W), C = 1 or 3,
    sides multiples of 16. The target differs from `clean` only where the realistic camera's
    tone curve round trip clips."""
    b, c = clean.shape[:2]
    gen = torch.Generator(device=clean.device).manual_seed(int(rng.integers(2**31)))
    kind = rng.random(b)
    realistic = kind < mix.realistic
    pg = (kind >= mix.realistic) & (kind < mix.realistic + mix.poisson_gaussian)

    sigma = torch.from_numpy(rng.uniform(0, MAX_TRAIN_SIGMA, b) / 255).float().to(clean.device)
    noisy = gaussian(clean, sigma, gen)
    level = sigma.view(-1, 1, 1, 1).expand_as(clean).clone()
    target = clean.clone()

    if pg.any():
        peak = torch.from_numpy(np.exp(rng.uniform(np.log(20), np.log(1000), b))).float()
        read = torch.from_numpy(rng.uniform(0, 10, b) / 255).float()
        where = torch.from_numpy(pg).to(clean.device).view(-1, 1, 1, 1)
        noisy = torch.where(where, poisson_gaussian(clean, peak, read, gen), noisy)
        level = torch.where(where, poisson_gaussian_level(clean, peak, read), level)

    clip = torch.from_numpy(rng.random(b) < mix.clipped).to(clean.device).view(-1, 1, 1, 1)
    noisy = torch.where(clip, noisy.clamp(0, 1), noisy)
    if mix.clipped_level == "measured" and bool(clip.any()):
        # Clipping removes part of the noise near black and white: the level is what is left.
        level = torch.where(clip, noise_level_map(noisy, clean), level)

    if realistic.any():
        index = torch.from_numpy(np.nonzero(realistic)[0]).to(clean.device)
        subset = clean[index]
        rgb = subset if c == 3 else subset.expand(-1, 3, -1, -1)
        r_noisy, r_target = realistic_noise(rgb, rng, gen)
        if c == 1:
            r_noisy, r_target = _to_gray(r_noisy), _to_gray(r_target)
        noisy[index] = r_noisy
        target[index] = r_target
        level[index] = noise_level_map(r_noisy, r_target)
    return noisy, target, level
