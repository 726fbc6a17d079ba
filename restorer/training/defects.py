"""Training of the scratch, crack and dust detector.

Clean colour crops (two in five turned gray, as many old prints are) get, three times in four,
the damage of an old print from restorer.physics.damage.old_print_damage (crack networks,
branching cracks, folds, chipped edges, stains and silvering left unmarked, dust, hairs and
scratches; toned, then softened, grained and JPEG-compressed as a scan), otherwise the synthetic
scratches, dust and hairs of restorer.physics.masks.varied_scan_defects with a little film
grain; the network learns where they are. Loss: binary cross-entropy plus half a soft Dice
term, which keeps thin lines (~2 % of the pixels) from being traded away for the background.
Defects are not weighted up in the cross-entropy: with weight 3 the network marked door frames and
outlines in real old photographs (3-6 % of Set12's old scans at p > 0.5), and a wrongly
marked edge is painted over by the fill. Defect pixels that do not change the image (white
on white) are left out of the loss: nothing in the pixels says they are there.

Hard negatives: a detector trained on random crops marked fur, whiskers and dense foliage
(16.6 % of Set14's mandrill as the window marks it), textures that random crops seldom show.
Fine-tuning from such a detector (--init) first runs it over the clean training images, in
colour and in gray, and then draws half of every batch around the pixels it wrongly marks;
defects are drawn on those crops as on the others, so it learns to find them in such texture
as well as to leave the texture alone (hard example mining as in Shrivastava et al. 2016,
but once per run instead of online).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from restorer.engine.device import cpu_has_bfloat16_matrix_units
from restorer.models.defect_net import DefectNet
from restorer.physics.damage import old_print_damage
from restorer.physics.masks import varied_scan_defects
from restorer.training.data import PatchSampler, centre_crops, colour_split, load_uint8

DICE_WEIGHT = 0.5
GRAIN = 0.02  # largest film-grain sigma added to the damaged image (0..1 scale)
OLD_PRINT_FRACTION = 0.75  # crops damaged as old prints; the rest as before
HARD_FRACTION = 0.5  # share of each batch drawn around the mined false alarms
MAX_HARD_PER_IMAGE = 4000  # false-alarm pixels kept per image: no image dominates the pool
VAL_HARD_CROPS = 64


def damage(
    clean: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(damaged with grain, target, loss weight) for one (H, W, 3) float32 image."""
    if rng.random() < 0.4:
        clean = np.repeat(clean.mean(axis=2, keepdims=True), 3, axis=2)
    if rng.random() < OLD_PRINT_FRACTION:
        damaged, drawn, visible = old_print_damage(clean, rng)
    else:
        damaged, drawn, visible = varied_scan_defects(clean, rng)
        grain = rng.normal(0, rng.uniform(0, GRAIN), damaged.shape[:2])[:, :, None]
        damaged = np.clip(damaged + grain, 0, 1).astype(np.float32)
    weight = np.where(drawn & ~visible, 0.0, 1.0).astype(np.float32)
    return damaged, visible.astype(np.float32), weight


def _batch(
    clean: torch.Tensor, rng: np.random.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    images, targets, weights = [], [], []
    for sample in clean.permute(0, 2, 3, 1).cpu().numpy():
        damaged, target, weight = damage(sample, rng)
        images.append(damaged)
        targets.append(target)
        weights.append(weight)

    def stacked(arrays: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(arrays)).to(device)

    return (
        stacked(images).permute(0, 3, 1, 2),
        stacked(targets)[:, None],
        stacked(weights)[:, None],
    )


def f1_counts(
    probability: torch.Tensor, target: torch.Tensor, weight: torch.Tensor
) -> tuple[float, float, float]:
    """(pixels rightly marked, pixels marked, defect pixels), weighted."""
    found = (probability > 0.5).float() * weight
    true = target * weight
    return float((found * true).sum()), float(found.sum()), float(true.sum())


def f1(hits: float, found: float, true: float) -> float:
    return 2 * hits / max(found + true, 1.0)


@torch.inference_mode()
def false_alarms(
    model: nn.Module, images: list[np.ndarray], multiple: int, rng: np.random.Generator
) -> list[tuple[int, int, int]]:
    """(image index, y, x) of the pixels that `model` marks (p > 0.5) in the clean images,
    seen in colour and in gray; at most MAX_HARD_PER_IMAGE per image. The network's input
    sides must be multiples of `multiple`."""
    points: list[tuple[int, int, int]] = []
    for index, image in enumerate(images):
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
        h, w = x.shape[-2:]
        x = F.pad(x, (0, -w % multiple, 0, -h % multiple), mode="reflect")
        gray = x.mean(dim=1, keepdim=True).expand_as(x)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_bfloat16_matrix_units()):
            probability = model(torch.cat([x, gray])).float()
        marked = (probability > 0.5).any(dim=0)[0, :h, :w].numpy()
        ys, xs = np.nonzero(marked)
        if len(ys) > MAX_HARD_PER_IMAGE:
            keep = rng.choice(len(ys), MAX_HARD_PER_IMAGE, replace=False)
            ys, xs = ys[keep], xs[keep]
        points.extend((index, int(y), int(x_)) for y, x_ in zip(ys, xs, strict=True))
    return points


@dataclass
class DefectJob:
    data: Path
    device: torch.device
    batch: int = 16
    patch: int = 128
    widths: tuple[int, ...] = (16, 32, 64, 128)
    blocks: int = 1
    # A detector whose false alarms on the clean training images are mined (the --init one).
    mine_with: Path | None = None

    def __post_init__(self) -> None:
        self.model_id = "defects"
        self.train_files, self.val_files = colour_split(self.data)
        train_images = load_uint8(self.train_files, gray=False, min_side=self.patch)
        self.sampler = PatchSampler(train_images, self.device)
        val_all = load_uint8(self.val_files, gray=False)
        val_images = [v for v in val_all if min(v.shape[:2]) >= self.patch]
        self.hard: list[tuple[int, int, int]] = []
        # Undamaged held-out crops around the starting detector's false alarms: validation
        # pools them with the damaged crops, so a marked texture costs precision there.
        self.val_hard: list[torch.Tensor] = []
        if self.mine_with is not None:
            miner = self.build_model()
            miner.load_state_dict(load_file(str(self.mine_with)))
            miner.eval()
            mine_rng = np.random.default_rng(3)
            self.hard = false_alarms(miner, train_images, self.size_multiple, mine_rng)
            held_out = false_alarms(miner, val_images, self.size_multiple, mine_rng)
            picks = mine_rng.choice(len(held_out), min(len(held_out), VAL_HARD_CROPS), False)
            around = PatchSampler(val_images, self.device).sample_around(
                [held_out[i] for i in picks], self.patch, mine_rng
            )
            self.val_hard = [crop[None] for crop in around]
        rng = np.random.default_rng(7)
        self.val_clean = centre_crops(val_all, 256, self.device)
        self.val = [_batch(crop, rng, self.device) for crop in self.val_clean]

    @property
    def data_description(self) -> str:
        return (
            f"CBSD432 + T91 ({len(self.train_files)} images; every 50th held out: "
            f"{len(self.val_files)}), {self.patch}px crops, 2 in 5 gray; "
            f"{OLD_PRINT_FRACTION:.0%} damaged as old prints (restorer.physics.damage: crack "
            "networks from jittered cell edges 1-4 px, branching cracks 1-6 px, folds with a "
            "shadow, chipped corners and edges, in paper tones or dark; stains and silvering "
            "unmarked; sepia/gray toning and fading; then blur 0-1.2 px, grain, JPEG q50-95 in "
            "3/5), the rest with synthetic scratches (1-4 px), dust specks and hairs, "
            "near-white or near-black, 60-100% opaque, plus grain"
            + (
                f"; half of each batch around {len(self.hard)} pixels that the starting "
                "detector marked in the clean images (hard negatives)"
                if self.hard
                else ""
            )
        )

    @property
    def size_multiple(self) -> int:
        """Input sides must be multiples of this (one halving per level below the top)."""
        return 2 ** (len(self.widths) - 1)

    def build_model(self) -> nn.Module:
        return DefectNet(widths=self.widths, blocks=self.blocks)

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        hard_count = round(self.batch * HARD_FRACTION) if self.hard else 0
        clean = self.sampler.sample(self.batch - hard_count, self.patch, rng)
        if hard_count:
            picks = rng.choice(len(self.hard), hard_count)
            around = self.sampler.sample_around([self.hard[i] for i in picks], self.patch, rng)
            clean = torch.cat([clean, around])
        images, target, weight = _batch(clean, rng, self.device)
        assert isinstance(model, DefectNet)
        logits = model.logits(images).float()
        bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight)
        p = torch.sigmoid(logits) * weight
        dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + (target * weight).sum() + 1)
        return bce + DICE_WEIGHT * dice

    def validate(self, model: nn.Module) -> dict[str, float]:
        counts = [f1_counts(model(images).float(), t, w) for images, t, w in self.val]
        flagged = [float((model(clean).float() > 0.5).float().mean()) for clean in self.val_clean]
        metrics = {
            "f1": float(np.mean([f1(*c) for c in counts])),
            "flagged_clean": float(np.mean(flagged)),
        }
        if self.val_hard:
            # Pooled: a false alarm in a hard crop costs precision like one anywhere else.
            counts += [
                (0.0, float((model(crop).float() > 0.5).sum()), 0.0) for crop in self.val_hard
            ]
            metrics["f1_with_hard_negatives"] = f1(*(sum(c) for c in zip(*counts, strict=True)))
        metrics["score"] = metrics.get("f1_with_hard_negatives", metrics["f1"])
        return metrics

    def descriptor_fields(self) -> dict[str, Any]:
        return {
            "task": "inpaint",
            "architecture": "defect_unet",
            "hyperparameters": {"widths": list(self.widths), "blocks": self.blocks},
            "channels": 3,
            "scale": 1,
            "size_multiple": self.size_multiple,
            "tile": 1024,
            "tile_overlap": 64,
            "supports_half": True,
            "title": "Scratch, crack and dust detector",
            "description": "Small U-Net that marks cracks, folds, chipped edges, scratches, dust "
            "and hairs on scans of old prints, trained on synthetic damage; proposes the mask "
            "for inpainting.",
            "license": "MIT",
        }
