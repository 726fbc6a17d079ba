"""Training images held in memory (uint8, on the training device) and random patches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from restorer.core.ops import to_gray
from restorer.io import list_images, read_image
from restorer.io.convert import float_to_integer


def split_holdout(paths: list[Path], every: int = 50) -> tuple[list[Path], list[Path]]:
    """Deterministic train/validation split: every `every`-th file is held out."""
    val = paths[::every]
    held = set(val)
    return [p for p in paths if p not in held], val


def colour_split(data: Path, exclude: Sequence[str] = ()) -> tuple[list[Path], list[Path]]:
    """The colour training sets, CBSD432 (stems in `exclude` left out) then T91, split by
    split_holdout into (train, validation)."""
    return split_holdout(
        [
            *list_images(data / "train/color/cbsd432", exclude=exclude),
            *list_images(data / "train/color/t91"),
        ]
    )


def _read_training_image(path: Path) -> np.ndarray:
    """8-bit training images through OpenCV, which every training machine has: a lent GPU has
    neither imagecodecs nor simplejpeg, which the app's strict reader uses. Anything else (16-bit,
    TIFF, DICOM) through that reader."""
    if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"):
        import cv2

        px = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
        if px is not None and px.dtype == np.uint8:
            if px.ndim == 3:
                px = cv2.cvtColor(px[:, :, :3], cv2.COLOR_BGR2RGB)
            return px.astype(np.float32) / 255  # as read_image gives them
    return read_image(path).pixels


def load_uint8(paths: Sequence[Path], gray: bool, min_side: int = 0) -> list[np.ndarray]:
    """(H, W, C) uint8 arrays, gray (C=1) or RGB (C=3); images smaller than min_side skipped."""
    out = []
    for path in paths:
        px = _read_training_image(path)
        if gray:
            px = to_gray(px)[:, :, None]
        elif px.ndim == 2:
            px = np.repeat(px[:, :, None], 3, axis=2)
        if min(px.shape[:2]) >= min_side:
            out.append(float_to_integer(px, 8))
    return out


def no_autocast(device: torch.device) -> torch.autocast:
    """Degradations run in float32 even inside the mixed-precision training step: bicubic
    resizing and JPEG quantisation must not be computed in bfloat16."""
    return torch.autocast(device_type=device.type, enabled=False)


class PatchSampler:
    """Random square patches with random flips and 90-degree rotations (8 symmetries)."""

    def __init__(self, images: Sequence[np.ndarray], device: torch.device) -> None:
        if not images:
            raise ValueError("no training images")
        self.images = [
            torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1).to(device) for im in images
        ]
        self.device = device

    def sample(self, batch: int, size: int, rng: np.random.Generator) -> torch.Tensor:
        patches = []
        for _ in range(batch):
            for _attempt in range(100):
                im = self.images[int(rng.integers(len(self.images)))]
                h, w = im.shape[1:]
                if h >= size and w >= size:
                    break
            y = int(rng.integers(0, h - size + 1))
            x = int(rng.integers(0, w - size + 1))
            patches.append(_symmetry(im[:, y : y + size, x : x + size], rng))
        return torch.stack(patches).float() / 255.0

    def sample_around(
        self, points: Sequence[tuple[int, int, int]], size: int, rng: np.random.Generator
    ) -> torch.Tensor:
        """One patch per (image index, y, x), placed at random among those that contain that
        pixel (and fit in the image), with a random symmetry."""
        patches = []
        for index, py, px in points:
            im = self.images[index]
            h, w = im.shape[1:]
            y = int(rng.integers(max(0, py - size + 1), min(py, h - size) + 1))
            x = int(rng.integers(max(0, px - size + 1), min(px, w - size) + 1))
            patches.append(_symmetry(im[:, y : y + size, x : x + size], rng))
        return torch.stack(patches).float() / 255.0


def _symmetry(patch: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """One of the 8 flips and 90-degree rotations of a (C, H, W) patch, at random."""
    k = int(rng.integers(8))
    if k & 4:
        patch = patch.flip(2)
    return torch.rot90(patch, k & 3, dims=(1, 2))


def centre_crops(
    images: Sequence[np.ndarray], size: int, device: torch.device
) -> list[torch.Tensor]:
    """Validation tensors (1, C, h, w): a centre crop of at most size x size, multiple of 16."""
    out = []
    for im in images:
        h, w = im.shape[:2]
        ch, cw = min(size, h) // 16 * 16, min(size, w) // 16 * 16
        y, x = (h - ch) // 2, (w - cw) // 2
        out.append(_unit_tensor(im[y : y + ch, x : x + cw], device))
    return out


def whole_images(
    images: Sequence[np.ndarray], multiple: int, device: torch.device
) -> list[torch.Tensor]:
    """Validation tensors (1, C, h, w) of whole images, cut at the bottom and right to sides
    that are a multiple of `multiple`."""
    return [
        _unit_tensor(
            im[: im.shape[0] // multiple * multiple, : im.shape[1] // multiple * multiple], device
        )
        for im in images
    ]


def _unit_tensor(pixels: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(pixels))
    return t.permute(2, 0, 1)[None].float().div(255).to(device)


class PairSampler:
    """Aligned random patches of (noisy, clean) pairs, with the same symmetry for both."""

    def __init__(
        self, pairs: Sequence[tuple[np.ndarray, np.ndarray]], device: torch.device
    ) -> None:
        self.channels = pairs[0][0].shape[2]
        self.stacked = PatchSampler([np.concatenate(p, axis=2) for p in pairs], device)

    def sample(
        self, batch: int, size: int, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        both = self.stacked.sample(batch, size, rng)
        return both[:, : self.channels], both[:, self.channels :]


def load_real_pairs(
    folder: Path, gray: bool, held_out: bool
) -> tuple[list[str], list[tuple[np.ndarray, np.ndarray]]]:
    """The names and (noisy, clean) uint8 arrays of a real-pair folder's training scenes
    (held_out=False) or its held-out scenes (restorer.io.pairs decides which)."""
    from restorer.io.pairs import list_pairs

    pairs = [p for p in list_pairs(folder) if p.held_out == held_out]
    arrays = [(load_uint8([p.noisy], gray)[0], load_uint8([p.clean], gray)[0]) for p in pairs]
    return [p.name for p in pairs], arrays


def real_pairs_description(fraction: float, names: Sequence[str], folder: Path, held: int) -> str:
    """How a job used a folder of real pairs, as its model card records it."""
    return (
        f"; {fraction:.0%} of each batch from {len(names)} real noisy/clean pairs of {folder} "
        f"(training scenes; licence: research only), {held} pairs of held-out scenes validated"
    )
