"""The README's gallery of synthetic old-print damage, with what the detector marks.

    python build_scripts/damage_gallery.py --data ../shared/data --out docs/damage_gallery.jpg

Each row: a CBSD68 photograph damaged by restorer.physics.damage.old_print_damage (the
training generator, with a seed the training never draws), the damage's true mask, and what
the bundled detector marks (green: found, red: missed, blue: marked but undamaged). No real
damaged print with a licence that allows it is in the data set; the generator is built after
what real damaged prints show (README, "Inpaint").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from figures import labelled, write_figure

from restorer.core.image import Image
from restorer.engine.engine import Engine
from restorer.io import list_images, read_image
from restorer.physics.damage import old_print_damage
from restorer.tasks.inpaint import DETECT_TASK, DetectParams

PHOTOS = ("21077.png", "105025.png", "157055.png", "253027.png")
SEED = 1000


def _bgr(pixels: np.ndarray) -> np.ndarray:
    return (np.clip(pixels, 0, 1)[:, :, ::-1] * 255).round().astype(np.uint8)


def _marks(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    out = np.zeros((*found.shape, 3), np.uint8)
    out[found & truth] = (0, 200, 0)
    out[~found & truth] = (0, 0, 230)
    out[found & ~truth] = (230, 120, 0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/damage_gallery.jpg"))
    args = parser.parse_args()
    engine = Engine("cpu")
    folder = args.data / "test" / "cbsd68"
    names = [p for p in list_images(folder) if p.name in PHOTOS] or list_images(folder)[:4]
    rows = []
    for index, path in enumerate(names):
        clean = read_image(path).pixels
        if clean.shape[0] > clean.shape[1]:
            clean = np.ascontiguousarray(clean.transpose(1, 0, 2))
        clean = clean[:320, :480]
        damaged, _drawn, truth = old_print_damage(clean, np.random.default_rng(SEED + index))
        found = engine.run_task(DETECT_TASK, Image(damaged), DetectParams()).pixels > 0.5
        recall = found[truth].mean() if truth.any() else float("nan")
        rows.append(
            np.concatenate(
                [
                    labelled(_bgr(damaged), f"synthetic damage ({truth.mean():.1%} marked)"),
                    labelled(
                        cv2.cvtColor(truth.astype(np.uint8) * 255, cv2.COLOR_GRAY2BGR), "true mask"
                    ),
                    labelled(
                        _marks(found, truth),
                        f"detector: recall {recall:.2f}, {(found & ~truth).mean():.2%} extra",
                    ),
                ],
                axis=1,
            )
        )
    write_figure(args.out, np.concatenate(rows, axis=0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
