"""The realistic camera and film noise synthesis: reproducible, signal dependent, correlated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from restorer.io import read_image
from restorer.physics.camera import (
    CameraNoiseRanges,
    demosaic_bilinear,
    noise_level_map,
    realistic_noise,
)

# Sensor noise only, at one shot level, no JPEG or chroma smoothing: the statistics the sensor
# model promises, without the later stages blurring them.
SENSOR_ONLY = CameraNoiseRanges(
    shot=(4e-3, 4e-3),
    read_spread=0.0,
    chroma_blur_probability=0.0,
    jpeg_probability=0.0,
    film_probability=0.0,
)


def _batch(samples: Path) -> torch.Tensor:
    pixels = read_image(samples / "chelsea.png").pixels[:256, :256]
    return torch.from_numpy(pixels).permute(2, 0, 1)[None].repeat(4, 1, 1, 1).float()


def test_same_seed_same_noise_other_seed_other_noise(samples: Path) -> None:
    clean = _batch(samples)

    def draw(seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return realistic_noise(clean, np.random.default_rng(seed), gen)[0]

    assert torch.equal(draw(7), draw(7))
    assert not torch.equal(draw(7), draw(8))


def test_target_is_the_clean_image(samples: Path) -> None:
    clean = _batch(samples)
    _, target = realistic_noise(clean, np.random.default_rng(0), torch.Generator().manual_seed(0))
    assert float((target - clean).abs().max()) < 1e-4


def test_noise_grows_with_intensity() -> None:
    """Shot noise: the same camera (same seed) on a dark and a mid-grey image."""
    spread = []
    for level in (0.1, 0.5):
        flat = torch.full((1, 3, 64, 64), level)
        noisy, target = realistic_noise(
            flat, np.random.default_rng(3), torch.Generator().manual_seed(3), SENSOR_ONLY
        )
        spread.append(float((noisy - target)[:, 1].std()))
    assert spread[1] > spread[0] * 1.3, spread


def test_demosaicing_correlates_neighbours_and_channels() -> None:
    clean = torch.full((2, 3, 128, 128), 0.5)
    noisy, target = realistic_noise(
        clean, np.random.default_rng(4), torch.Generator().manual_seed(4), SENSOR_ONLY
    )
    noise = (noisy - target)[0]
    green = noise[1]
    horizontal = np.corrcoef(green[:, :-1].flatten(), green[:, 1:].flatten())[0, 1]
    across = np.corrcoef(noise[0].flatten(), noise[1].flatten())[0, 1]
    assert horizontal > 0.2, horizontal
    assert abs(across) > 0.05, across
    # White noise has neither.
    white = torch.randn(128, 128)
    assert abs(np.corrcoef(white[:, :-1].flatten(), white[:, 1:].flatten())[0, 1]) < 0.05


def test_demosaicing_keeps_a_flat_image_flat() -> None:
    from restorer.physics.camera import bayer_mask

    flat = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(demosaic_bilinear(flat * bayer_mask(16, 16, flat.device)), flat)


def test_level_map_reads_white_noise_level() -> None:
    clean = torch.full((1, 3, 96, 96), 0.5)
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(5))
    level = noise_level_map(noisy, clean)
    assert abs(float(level.mean()) - 0.1) < 0.01
