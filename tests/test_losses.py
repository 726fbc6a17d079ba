"""The training losses agree with the benchmark's metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from restorer.core.ops import ssim
from restorer.io import read_image
from restorer.training.losses import masked_ssim


def _tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)[None]


def test_masked_ssim_is_the_benchmarks_ssim_inside_the_hole(samples: Path) -> None:
    clean = read_image(samples / "chelsea.png").pixels[:96, :128].astype(np.float32)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.08, clean.shape), 0, 1)
    hole = np.zeros(clean.shape[:2], bool)
    hole[20:70, 30:100] = True  # away from the border, which the benchmark leaves out
    expected = ssim(clean, noisy, mask=hole)
    got = masked_ssim(_tensor(clean), _tensor(noisy.astype(np.float32)), _tensor(hole[:, :, None]))
    assert abs(got.item() - expected) < 1e-4
    assert expected < 0.9


def test_masked_ssim_is_computed_in_float32_under_bfloat16_autocast() -> None:
    # Nearly flat regions: in bfloat16 the variances lose all their digits (SSIM 0.84 here
    # instead of 0.999), and in training the loss turned NaN.
    flat = torch.full((1, 3, 64, 64), 0.5)
    out = flat + 1e-3 * torch.randn(flat.shape, generator=torch.Generator().manual_seed(0))
    out.requires_grad_()
    mask = torch.ones_like(flat[:, :1])
    exact = masked_ssim(out, flat, mask).item()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = masked_ssim(out, flat, mask)
    value.backward()
    assert abs(value.item() - exact) < 1e-5 and exact > 0.99
    assert out.grad is not None and torch.isfinite(out.grad).all()
