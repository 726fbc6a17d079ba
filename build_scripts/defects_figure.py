"""The README's figure of scratch and dust detection on a real old photograph.

    python build_scripts/defects_figure.py --data ../shared/data --out docs/defects.jpg

Set12's "man" (an old scanned print, USC-SIPI) carries no visible damage of its own, so scratches
and dust are drawn on it by the benchmark's generator (restorer.physics.masks.scan_defects).
Top row: the damaged photograph, what our network marks, what the contrast rule it replaced
marks (green: found, red: missed, blue: marked but undamaged). Bottom row: the undamaged
photograph with the network's marks (everything marked there is a false alarm) and the
damaged one filled by the inpainting network through the proposed mask.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from figures import labelled, write_figure

from restorer.core.image import Image
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.physics.masks import scan_defects
from restorer.tasks.defects import contrast_defects
from restorer.tasks.inpaint import DETECT_TASK, TASK, DetectParams, InpaintParams

PHOTO = "test/set12/11.png"
SEED = 2


def _gray(pixels: np.ndarray) -> np.ndarray:
    u8 = (np.clip(pixels, 0, 1) * 255).round().astype(np.uint8)
    return cv2.cvtColor(u8, cv2.COLOR_GRAY2BGR)


def _marks(pixels: np.ndarray, found: np.ndarray, truth: np.ndarray | None) -> np.ndarray:
    """Marks over the dimmed photograph: green found, red missed, blue marked but undamaged
    (all blue without a truth). Marks are grown by a pixel, so one within two pixels of a
    defect counts as found."""
    out = _gray(pixels) // 2
    if truth is None:
        out[found] = (255, 128, 0)
        return out
    near_truth = cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    near_found = cv2.dilate(found.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    out[truth & ~near_found] = (0, 0, 255)
    out[found & near_truth] = (0, 220, 0)
    out[found & ~near_truth] = (255, 128, 0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/defects.jpg"))
    args = parser.parse_args(argv)
    engine = Engine("auto")
    clean = read_image(args.data / PHOTO).pixels
    damaged, truth_f = scan_defects(clean, np.random.default_rng(SEED))
    truth = truth_f > 0.5

    def detect(pixels: np.ndarray) -> np.ndarray:
        return engine.run_task(DETECT_TASK, Image(pixels), DetectParams()).pixels > 0.5

    ours = detect(damaged)
    rule = contrast_defects(damaged) > 0.5
    on_clean = detect(clean)
    filled = engine.run_task(TASK, Image(damaged), InpaintParams(mask=ours.astype(np.float32)))

    top = [
        labelled(_gray(damaged), "drawn scratches and dust"),
        labelled(_marks(damaged, ours, truth), f"network: {ours.mean():.1%} marked"),
        labelled(_marks(damaged, rule, truth), f"contrast rule: {rule.mean():.1%} marked"),
    ]
    bottom = [
        labelled(_marks(clean, on_clean, None), f"undamaged: {on_clean.mean():.2%} marked"),
        labelled(_gray(filled.pixels), "filled through the network's mask"),
        labelled(_gray(clean), "the photograph (Set12 'man')"),
    ]
    figure = np.vstack([np.hstack(top), np.hstack(bottom)])
    # JPEG at quality 92: a tenth of the PNG's size, and the marks stay crisp at this size.
    write_figure(args.out, figure, jpeg_quality=92)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
