"""Patch sampling for training, and the detector's hard-negative mining."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from restorer.training.data import PatchSampler
from restorer.training.defects import false_alarms


def test_patches_around_a_pixel_contain_it_and_stay_inside_the_image() -> None:
    h, w, size = 50, 70, 16
    # Every pixel holds its own index, so a patch tells where it was cut from.
    index = np.arange(h * w, dtype=np.int64).reshape(h, w, 1)
    sampler = PatchSampler([index], torch.device("cpu"))
    rng = np.random.default_rng(0)
    points = [(0, 0, 0), (0, h - 1, w - 1), (0, 25, 3), (0, 10, 60)] * 20
    patches = sampler.sample_around(points, size, rng) * 255  # the sampler scales by 1/255
    assert patches.shape == (len(points), 1, size, size)
    for (_, y, x), patch in zip(points, patches, strict=True):
        values = set(patch.flatten().round().long().tolist())
        assert y * w + x in values
    # The patch is placed at random, not always in the same corner.
    corners = {int(p.min()) for p, (_, y, _x) in zip(patches, points, strict=True) if y == 25}
    assert len(corners) > 3


class _MarksBrightPixels(nn.Module):
    """A stand-in detector: 'probability' 1 wherever the image is brighter than 0.9."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.mean(dim=1, keepdim=True) > 0.9).float()


def test_false_alarms_are_the_pixels_the_detector_marks_in_clean_images() -> None:
    a = np.zeros((20, 30, 3), np.uint8)
    a[5, 7] = 255
    a[12, 29] = 255
    b = np.zeros((17, 9, 3), np.uint8)  # sides not multiples of 8: padded, then cropped
    b[16, 8] = 255
    points = false_alarms(_MarksBrightPixels(), [a, b], 8, np.random.default_rng(0))
    assert sorted(points) == [(0, 5, 7), (0, 12, 29), (1, 16, 8)]
