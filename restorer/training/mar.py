"""Training of the learned MAR pair on simulated data (restorer.training.mar_data).

Stage 1, `mar-sinogram`: LI-filled sinogram + trace -> the clean slice's sinogram inside the
trace (L1 there). Stage 2, `mar-image`: the reconstruction of stage 1's output + the LI image
-> the clean slice (L1 outside the metal); stage 1 is frozen and its outputs are computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from restorer.core.ops import psnr
from restorer.models.mar_nets import HU_SCALE, SINO_SCALE, ImageNet, SinogramNet
from restorer.physics.mar import correction_hu, geometry_for

WINDOW = (-1000.0, 2000.0)  # HU range the image metrics are computed over


def load_cache(folder: Path, limit: int | None = None) -> list[dict[str, np.ndarray]]:
    files = sorted(folder.glob("*.npz"))[:limit]
    if not files:
        raise SystemExit(
            f"no simulated MAR samples in {folder}: run python -m restorer.training.mar_data first"
        )
    out = []
    for f in files:
        with np.load(f) as z:
            out.append({k: z[k] for k in z.files})
    return out


def ensure_cache(data: Path, cache: Path) -> Path:
    if not (cache / "train").is_dir() or not any((cache / "train").glob("*.npz")):
        from restorer.training.mar_data import main as make_cache

        make_cache(["--data", str(data), "--out", str(cache)])
    return cache


def hu_psnr(reference: np.ndarray, test: np.ndarray, keep: np.ndarray) -> float:
    lo, hi = WINDOW
    return psnr(np.clip(reference, lo, hi)[keep], np.clip(test, lo, hi)[keep], data_range=hi - lo)


def _stack(samples: list[dict[str, np.ndarray]], keys: tuple[str, ...]) -> list[torch.Tensor]:
    return [torch.from_numpy(np.stack([s[k] for s in samples]).astype(np.float32)) for k in keys]


@dataclass
class MarSinogramJob:
    data: Path
    device: torch.device
    cache: Path = Path("runs/mar_cache")
    batch: int = 4
    patch: int = 0  # whole sinograms
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: int = 1
    model_id: str = field(default="mar-sinogram", init=False)

    def __post_init__(self) -> None:
        ensure_cache(self.data, self.cache)
        train = load_cache(self.cache / "train")
        val = load_cache(self.cache / "eval")
        self.n_train, self.n_val = len(train), len(val)
        self.li, self.trace, self.clean = _stack(train, ("sino_li", "trace", "sino_clean"))
        self.val_li, self.val_trace, self.val_clean = _stack(
            val, ("sino_li", "trace", "sino_clean")
        )

    @property
    def data_description(self) -> str:
        return (
            f"{self.n_train} simulated metal cases (restorer.training.mar_data on the clean "
            f"CT slices of ../shared/data/ct), {self.n_val} held-out cases for validation"
        )

    def build_model(self) -> nn.Module:
        return SinogramNet(self.widths, self.blocks)

    def _batch(self, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        to = self.device
        return (
            self.li[idx, None].to(to) * SINO_SCALE,
            self.trace[idx, None].to(to),
            self.clean[idx, None].to(to) * SINO_SCALE,
        )

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        li, trace, clean = self._batch(rng.integers(0, self.n_train, self.batch))
        out = model(li, trace)
        return ((out - clean).abs() * trace).sum() / trace.sum().clamp(min=1)

    def validate(self, model: nn.Module) -> dict[str, float]:
        errors, li_errors = [], []
        for i in range(self.n_val):
            li = self.val_li[i][None, None].to(self.device) * SINO_SCALE
            trace = self.val_trace[i][None, None].to(self.device)
            clean = self.val_clean[i][None, None].to(self.device) * SINO_SCALE
            n = trace.sum().clamp(min=1)
            errors.append(float(((model(li, trace) - clean).abs() * trace).sum() / n))
            li_errors.append(float(((li - clean).abs() * trace).sum() / n))
        return {
            "score": -float(np.mean(errors)),
            "l1_in_trace": float(np.mean(errors)),
            "l1_in_trace_li": float(np.mean(li_errors)),
        }

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "mar_sinogram",
            "architecture": "mar_sinogram_unet",
            "hyperparameters": {"widths": list(self.widths), "blocks": self.blocks},
            "channels": 2,
            "scale": 1,
            "size_multiple": 1,
            "tile": 4096,
            "tile_overlap": 0,
            "supports_half": False,
            "title": "MAR sinogram completion",
            "description": "Fills the metal trace of a 256-pixel slice's parallel-beam "
            "sinogram (361 views x 367 bins).",
            "license": "MIT",
        }


@dataclass
class MarImageJob:
    data: Path
    device: torch.device
    cache: Path = Path("runs/mar_cache")
    sinogram_weights: Path | None = None
    batch: int = 4
    patch: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: int = 2
    model_id: str = field(default="mar-image", init=False)

    def __post_init__(self) -> None:
        ensure_cache(self.data, self.cache)
        stage1 = self._stage1()
        train, val = load_cache(self.cache / "train"), load_cache(self.cache / "eval")
        self.n_train, self.n_val = len(train), len(val)
        self.inputs, self.targets, self.keep = self._prepare(train, stage1)
        self.val_inputs, self.val_targets, self.val_keep = self._prepare(val, stage1)

    def _stage1(self) -> nn.Module:
        from safetensors.torch import load_file

        path = self.sinogram_weights
        if path is None:
            from restorer.resources import models_dir

            path = models_dir() / "mar-sinogram.safetensors"
        model = SinogramNet()
        model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
        return model.eval()

    @torch.no_grad()
    def _prepare(
        self, samples: list[dict[str, np.ndarray]], stage1: nn.Module
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        geometry = geometry_for(samples[0]["clean"].shape[0])
        inputs, targets, keep = [], [], []
        for s in samples:
            li = torch.from_numpy(s["sino_li"].astype(np.float32))[None, None] * SINO_SCALE
            trace = torch.from_numpy(s["trace"].astype(np.float32))[None, None]
            completed = stage1(li, trace)[0, 0] / SINO_SCALE
            sino_li = s["sino_li"].astype(np.float32)
            recon = s["li"].astype(np.float32) + correction_hu(
                completed.numpy() - sino_li, geometry
            )
            inputs.append(np.stack([recon, s["li"].astype(np.float32)]) * HU_SCALE)
            targets.append(s["clean"].astype(np.float32)[None] * HU_SCALE)
            keep.append(~s["mask"][None])
        return (
            torch.from_numpy(np.stack(inputs)).float(),
            torch.from_numpy(np.stack(targets)),
            torch.from_numpy(np.stack(keep)).float(),
        )

    @property
    def data_description(self) -> str:
        return (
            f"{self.n_train} simulated metal cases, inputs reconstructed from the frozen "
            f"mar-sinogram output; {self.n_val} held-out cases for validation"
        )

    def build_model(self) -> nn.Module:
        return ImageNet(self.widths, self.blocks)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        idx = rng.integers(0, self.n_train, self.batch)
        size = self.inputs.shape[-1]
        p = self.patch or size
        y, x = (int(v) for v in rng.integers(0, size - p + 1, 2))
        window = (slice(None), slice(None), slice(y, y + p), slice(x, x + p))
        inputs = self.inputs[idx][window].to(self.device)
        target = self.targets[idx][window].to(self.device)
        keep = self.keep[idx][window].to(self.device)
        out = model(inputs[:, :1], inputs[:, 1:])
        return ((out - target).abs() * keep).sum() / keep.sum().clamp(min=1)

    def validate(self, model: nn.Module) -> dict[str, float]:
        ours, li = [], []
        for i in range(self.n_val):
            inputs = self.val_inputs[i : i + 1].to(self.device)
            out = model(inputs[:, :1], inputs[:, 1:])[0, 0].cpu().numpy() / HU_SCALE
            target = self.val_targets[i, 0].numpy() / HU_SCALE
            keep = self.val_keep[i, 0].numpy() > 0.5
            ours.append(hu_psnr(target, out, keep))
            li.append(hu_psnr(target, self.val_inputs[i, 1].numpy() / HU_SCALE, keep))
        return {
            "score": float(np.mean(ours)),
            "psnr_hu": float(np.mean(ours)),
            "psnr_hu_li": float(np.mean(li)),
        }

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "mar_image",
            "architecture": "mar_image_unet",
            "hyperparameters": {"widths": list(self.widths), "blocks": self.blocks},
            "channels": 2,
            "scale": 1,
            "size_multiple": 1,
            "tile": 4096,
            "tile_overlap": 0,
            "supports_half": False,
            "title": "MAR image refinement",
            "description": "Removes the streaks left after sinogram completion (256-pixel "
            "slices, HU/1000).",
            "license": "MIT",
        }
