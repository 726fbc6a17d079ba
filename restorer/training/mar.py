"""Training of the learned MAR pair on simulated data (restorer.training.mar_data).

Stage 1, `mar-sinogram`: LI-filled sinogram + trace -> the clean slice's sinogram inside the
trace (L1 there). Stage 2, `mar-image`: the reconstruction of stage 1's output + the LI image
-> the clean slice (L1 outside the metal); stage 1 is frozen and its outputs are computed once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from restorer.core.ops import psnr
from restorer.models.mar_nets import HU_SCALE, SINO_SCALE, ImageNet, SinogramNet
from restorer.physics.mar import NmarSinograms, geometry_for, nmar_sinograms
from restorer.tasks.mar_learned import image_inputs, sinogram_inputs

CACHE_NOTE = (
    "cases made by python -m restorer.training.mar_data --data ../shared/data --out "
    "<checkpoint dir>/mar_cache: a scanner drawn at random for each case "
    "(restorer.physics.metal.ScanProtocol.random), 6 metal configurations per training slice "
    "unless --per-slice says otherwise, ECG electrodes on the skin in 30 % of the training "
    "cases (restorer.physics.metal.electrodes_on_skin) unless --no-electrodes, half of the "
    "cases scanned by a fan beam rebinned to parallel (restorer.physics.metal.through_fan_beam) "
    "unless --no-fan, 4 per held-out slice and 2 more with electrodes, seed 0"
)
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


def _orient(t: torch.Tensor, turns: int, flip: bool) -> torch.Tensor:
    t = torch.rot90(t, turns, dims=(-2, -1))
    return t.flip(-1) if flip else t


@dataclass
class Prepared:
    """One simulated case with NMAR's sinograms computed (float32)."""

    corrupted: np.ndarray
    clean: np.ndarray
    mask: np.ndarray
    sinos: NmarSinograms
    clean_sino: np.ndarray


def _nmar_case(case: tuple[np.ndarray, np.ndarray]) -> NmarSinograms:
    """On the case's own grid: WORK_SIZE, or the scanners' 512 px (mar_data.FULL_SIZE), where
    the learned pipeline runs at full resolution."""
    corrupted, mask = case
    return nmar_sinograms(corrupted, mask, geometry_for(corrupted.shape[0]))


def _nmar_all(cases: list[dict[str, np.ndarray]]) -> list[NmarSinograms]:
    """NMAR's sinograms of every case; on a machine with many cores (a lent GPU's host has 16)
    in worker processes, since hundreds of cases take minutes one after another."""
    inputs = [(c["corrupted"].astype(np.float32), c["mask"]) for c in cases]
    workers = min(os.cpu_count() or 1, 16)
    if workers <= 2 or len(inputs) < 32:
        return [_nmar_case(case) for case in inputs]
    # spawn: a forked child of a process that has run torch can hang in its thread pool.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        return list(pool.map(_nmar_case, inputs, chunksize=4))


def prepare(folder: Path) -> list[Prepared]:
    """The cached cases of `folder` with their NMAR sinograms, themselves cached beside them
    (about half a second per case)."""
    cases = load_cache(folder)
    derived = folder.parent / f"nmar_{folder.name}.npz"
    fields = ("measured", "trace", "li", "normalizer", "normalized")
    newest_case = max(f.stat().st_mtime for f in folder.glob("*.npz"))
    stored: dict[str, np.ndarray] = {}
    if derived.is_file() and derived.stat().st_mtime > newest_case:
        with np.load(derived) as z:
            stored = {k: z[k] for k in z.files}
        # One entry per case and field (cases of two sizes do not stack).
        if len(stored) != len(cases) * len(fields) or f"measured/{len(cases) - 1}" not in stored:
            stored = {}
    if not stored:
        per_case = _nmar_all(cases)
        stored = {f"{f}/{i}": getattr(x, f) for i, x in enumerate(per_case) for f in fields}
        np.savez(derived, allow_pickle=False, **stored)
    return [
        Prepared(
            corrupted=c["corrupted"].astype(np.float32),
            clean=c["clean"].astype(np.float32),
            mask=c["mask"],
            sinos=NmarSinograms(*(stored[f"{f}/{i}"] for f in fields)),
            clean_sino=c["sino_clean"].astype(np.float32),
        )
        for i, c in enumerate(cases)
    ]


def held_out(cache: Path) -> tuple[list[Prepared], int]:
    """The validation cases: the held-out patients' cases of `eval`, then those with ECG
    electrodes (mar_data's ELECTRODES_SPLIT) where the cache has them; and how many of the
    first kind there are (their mean is reported apart: the electrodes' cases are what a
    fine-tune on electrodes should gain on, `eval` what it must not lose)."""
    from restorer.training.mar_data import ELECTRODES_SPLIT

    plain = prepare(cache / "eval")
    extra = cache / ELECTRODES_SPLIT
    with_electrodes = prepare(extra) if any(extra.glob("*.npz")) else []
    return plain + with_electrodes, len(plain)


def _split_means(values: list[float], plain: int, name: str) -> dict[str, float]:
    """The mean of `values` over the plain held-out cases and, where there are others, over
    those with electrodes."""
    out = {f"{name}_eval": float(np.mean(values[:plain]))}
    if len(values) > plain:
        out[f"{name}_electrodes"] = float(np.mean(values[plain:]))
    return out


def _stack(cases: list[Prepared], get: Callable[[Prepared], np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack([get(c) for c in cases]).astype(np.float32))


def _by_size(cases: list[Prepared]) -> list[list[Prepared]]:
    """The cases grouped by slice size (a batch is cut from cases of one size)."""
    sizes = sorted({c.clean.shape[0] for c in cases})
    return [[c for c in cases if c.clean.shape[0] == size] for size in sizes]


Group = TypeVar("Group", bound=tuple[torch.Tensor, ...])


def _pick_group(groups: list[Group], rng: np.random.Generator) -> Group:
    """The tensors of one size group for the next batch, drawn in proportion to its number
    of cases (the first tensor's length)."""
    counts = np.array([len(group[0]) for group in groups])
    return groups[int(rng.choice(len(groups), p=counts / counts.sum()))]


@dataclass
class MarSinogramJob:
    data: Path
    device: torch.device
    cache: Path = Path("runs/mar_cache")
    batch: int = 4
    patch: int = 96  # consecutive views per training crop (all detector bins)
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: int = 1
    model_id: str = field(default="mar-sinogram", init=False)

    def __post_init__(self) -> None:
        ensure_cache(self.data, self.cache)
        train, (val, self.n_val_plain) = prepare(self.cache / "train"), held_out(self.cache)
        self.n_train, self.n_val = len(train), len(val)
        self.train = [self._tensors(group) for group in _by_size(train)]
        self.val = [self._tensors([case]) for case in val]

    @staticmethod
    def _tensors(cases: list[Prepared]) -> tuple[torch.Tensor, ...]:
        return (
            _stack(cases, lambda c: c.sinos.normalized),
            _stack(cases, lambda c: c.sinos.trace),
            _stack(cases, lambda c: c.sinos.normalizer * SINO_SCALE),
            _stack(cases, lambda c: c.clean_sino * SINO_SCALE),
        )

    @property
    def data_description(self) -> str:
        return (
            f"{self.n_train} simulated metal cases from the clean CT slices of "
            f"{self.data / 'ct'}, {self.n_val} cases of held-out patients for validation "
            f"({CACHE_NOTE})"
        )

    def build_model(self) -> nn.Module:
        return SinogramNet(self.widths, self.blocks)

    @staticmethod
    def _trace_l1(
        model: nn.Module,
        normalized: torch.Tensor,
        trace: torch.Tensor,
        scale: torch.Tensor,
        clean: torch.Tensor,
    ) -> torch.Tensor:
        """Mean absolute error inside the trace, in line integrals x SINO_SCALE."""
        out = model(normalized, trace) * scale
        return ((out - clean).abs() * trace).sum() / trace.sum().clamp(min=1)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        group = _pick_group(self.train, rng)
        idx = rng.integers(0, len(group[0]), self.batch)
        views = group[0].shape[1]
        p = min(self.patch or views, views)
        v0 = int(rng.integers(0, views - p + 1))
        normalized, trace, scale, clean = (t[idx, None, v0 : v0 + p].to(self.device) for t in group)
        if rng.random() < 0.5:  # a mirrored slice has a mirrored sinogram (bins reversed)
            normalized, trace, scale, clean = (
                t.flip(-1) for t in (normalized, trace, scale, clean)
            )
        return self._trace_l1(model, normalized, trace, scale, clean)

    def validate(self, model: nn.Module) -> dict[str, float]:
        errors, nmar = [], []
        for case in self.val:
            normalized, trace, scale, clean = (t[:, None].to(self.device) for t in case)
            errors.append(float(self._trace_l1(model, normalized, trace, scale, clean)))
            n = trace.sum().clamp(min=1)
            nmar.append(float(((normalized * scale - clean).abs() * trace).sum() / n))
        return {
            "score": -float(np.mean(errors)),
            "l1_in_trace": float(np.mean(errors)),
            "l1_in_trace_nmar": float(np.mean(nmar)),
            **_split_means(errors, self.n_val_plain, "l1_in_trace"),
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
            "description": "Completes the metal trace of NMAR's normalised sinogram of a "
            "256-pixel slice (parallel beam, 361 views x 367 bins).",
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
        train, (val, self.n_val_plain) = prepare(self.cache / "train"), held_out(self.cache)
        self.n_train, self.n_val = len(train), len(val)
        self.train = [self._prepare(group, stage1) for group in _by_size(train)]
        self.val = [self._prepare([case], stage1) for case in val]

    def _stage1(self) -> nn.Module:
        """The frozen first stage: the bundled one, checked against its manifest sha256 and
        built with its recorded hyperparameters, or the weights of a training run given by
        --sinogram-weights (which no manifest knows yet)."""
        if self.sinogram_weights is None:
            from restorer.models.loader import load_bundled
            from restorer.models.registry import get_model
            from restorer.resources import models_dir

            return load_bundled(get_model("mar-sinogram"), models_dir()).eval()
        from restorer.training.export import load_exported

        return load_exported(self.sinogram_weights)[1]

    @torch.no_grad()
    def _prepare(
        self, cases: list[Prepared], stage1: nn.Module
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        geometry = geometry_for(cases[0].clean.shape[0])  # one size (_by_size)
        stage1 = stage1.to(self.device)
        inputs, targets, keep = [], [], []
        for c in cases:
            packed = torch.from_numpy(sinogram_inputs(c.sinos)).permute(2, 0, 1)[None]
            packed = packed.to(self.device)
            completed = stage1(packed[:, :1], packed[:, 1:])[0, 0].cpu().numpy()
            both = image_inputs(c.corrupted, c.sinos, completed, geometry, self.device)
            inputs.append(both.transpose(2, 0, 1))
            targets.append(c.clean[None] * HU_SCALE)
            keep.append(~c.mask[None])
        return (
            torch.from_numpy(np.stack(inputs)).float(),
            torch.from_numpy(np.stack(targets)),
            torch.from_numpy(np.stack(keep)).float(),
        )

    @property
    def data_description(self) -> str:
        return (
            f"{self.n_train} simulated metal cases, inputs reconstructed from the frozen "
            f"mar-sinogram output; {self.n_val} cases of held-out patients for validation "
            f"({CACHE_NOTE})"
        )

    def build_model(self) -> nn.Module:
        return ImageNet(self.widths, self.blocks)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        group = _pick_group(self.train, rng)
        idx = rng.integers(0, len(group[0]), self.batch)
        size = group[0].shape[-1]
        p = self.patch or size
        y, x = (int(v) for v in rng.integers(0, size - p + 1, 2))
        window = (slice(None), slice(None), slice(y, y + p), slice(x, x + p))
        inputs, target, keep = (t[idx][window].to(self.device) for t in group)
        turns, flip = int(rng.integers(0, 4)), bool(rng.random() < 0.5)
        inputs, target, keep = (_orient(t, turns, flip) for t in (inputs, target, keep))
        out = model(inputs[:, :1], inputs[:, 1:])
        return ((out - target).abs() * keep).sum() / keep.sum().clamp(min=1)

    def validate(self, model: nn.Module) -> dict[str, float]:
        ours, stage1, li = [], [], []
        for case_inputs, case_target, case_keep in self.val:
            inputs = case_inputs.to(self.device)
            out = model(inputs[:, :1], inputs[:, 1:])[0, 0].cpu().numpy() / HU_SCALE
            target = case_target[0, 0].numpy() / HU_SCALE
            keep = case_keep[0, 0].numpy() > 0.5
            ours.append(hu_psnr(target, out, keep))
            stage1.append(hu_psnr(target, case_inputs[0, 0].numpy() / HU_SCALE, keep))
            li.append(hu_psnr(target, case_inputs[0, 1].numpy() / HU_SCALE, keep))
        return {
            "score": float(np.mean(ours)),
            "psnr_hu": float(np.mean(ours)),
            "psnr_hu_stage1": float(np.mean(stage1)),
            "psnr_hu_li": float(np.mean(li)),
            **_split_means(ours, self.n_val_plain, "psnr_hu"),
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
