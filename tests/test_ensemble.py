"""The geometric self-ensemble undoes each view exactly and makes denoising measurably better."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from restorer.core.image import Image
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.engine.ensemble import self_ensemble
from restorer.io import read_image
from restorer.tasks.denoise import TASK, DenoiseParams


def _plus_column_index(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A 'network' that is not symmetric: it adds each pixel's column number."""
    return x + torch.arange(x.shape[-1], dtype=x.dtype)


def test_each_view_is_undone() -> None:
    x = torch.rand(1, 3, 6, 10)
    rows = torch.arange(6.0)[:, None].expand(6, 10)
    cols = torch.arange(10.0)[None, :].expand(6, 10)
    # Two passes: the image and its transpose, whose columns are the image's rows.
    two = self_ensemble(_plus_column_index, 2)(nn.Identity(), x)
    torch.testing.assert_close(two, x + (cols + rows) / 2)
    # Eight passes: every row and column index meets its mirror image equally often.
    eight = self_ensemble(_plus_column_index, 8)(nn.Identity(), x)
    mean_index = ((10 - 1) / 2 + (6 - 1) / 2) / 2
    torch.testing.assert_close(eight, x + mean_index)
    assert self_ensemble(_plus_column_index, 1) is _plus_column_index


def test_unknown_pass_count_is_refused() -> None:
    with pytest.raises(ValueError, match="passes"):
        self_ensemble(_plus_column_index, 3)


def test_eight_passes_denoise_better_than_one(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "camera.png").pixels[:200, :312]  # not square, not a multiple
    noisy = (clean + np.random.default_rng(7).normal(0, 25 / 255, clean.shape)).astype(np.float32)
    one = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=25)).pixels
    eight = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=25, passes=8)).pixels
    assert eight.shape == clean.shape
    assert psnr(clean, eight) > psnr(clean, one) + 0.05, (psnr(clean, one), psnr(clean, eight))
