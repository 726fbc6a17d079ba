"""The README's figure of camera-noise removal, at 100 %.

    python build_scripts/real_noise_figure.py --out docs/camera_noise.jpg

The real noisy/clean pairs (PolyU, research licence) may not be shown in this repository, so
the noisy input is the realistic synthesis of restorer.physics.camera (Canon-like: shot noise
on the sensor, demosaicing, chroma noise reduction, 4:2:0 JPEG) on the bundled chelsea.png,
labelled as such. Panels: the noisy input, the previous blind mode (one white-noise level per
image), ours blind with the noise-map estimate, and the clean photograph; PSNR on each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from figures import labelled, write_figure

from restorer.core.image import Image
from restorer.core.noise_estimate import estimate_noise_sigma
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.physics.camera import CameraNoiseRanges, realistic_noise
from restorer.resources import samples_dir
from restorer.tasks.denoise import TASK, DenoiseParams

CANON_LIKE = CameraNoiseRanges(
    shot=(6e-3, 6e-3),
    film_probability=0.0,
    chroma_blur_probability=1.0,
    jpeg_probability=1.0,
    jpeg_subsampled=1.0,
    jpeg_quality=(90, 90),
)
CROP = (slice(40, 240), slice(120, 400))  # the eyes and the fur around them


def _bgr(pixels: np.ndarray) -> np.ndarray:
    return (np.clip(pixels[CROP], 0, 1)[:, :, ::-1] * 255).round().astype(np.uint8)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/camera_noise.jpg"))
    args = parser.parse_args()
    clean = read_image(samples_dir() / "chelsea.png").pixels[:288, :448]
    tensor = torch.from_numpy(clean).permute(2, 0, 1)[None]
    noisy_t, _ = realistic_noise(
        tensor, np.random.default_rng(3), torch.Generator().manual_seed(3), CANON_LIKE
    )
    noisy = np.ascontiguousarray(noisy_t[0].permute(1, 2, 0).numpy())
    rms = float(np.sqrt(np.mean((noisy - clean) ** 2))) * 255
    engine = Engine("cpu")
    white_sigma = min(estimate_noise_sigma(noisy) * 255, 50.0)
    previous = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=white_sigma)).pixels
    result = engine.run_task(TASK, Image(noisy), DenoiseParams())
    ours, estimated = result.pixels, result.meta.extra["estimated"]["sigma"]
    panels = [
        labelled(_bgr(noisy), f"synthetic camera noise {rms:.1f}: {psnr(clean, noisy):.2f} dB"),
        labelled(
            _bgr(previous),
            f"white-noise estimate ({white_sigma:.1f}) {psnr(clean, previous):.2f} dB",
        ),
        labelled(_bgr(ours), f"ours, blind (estimated {estimated:.1f}) {psnr(clean, ours):.2f} dB"),
        labelled(_bgr(clean), "clean"),
    ]
    top = np.concatenate(panels[:2], axis=1)
    bottom = np.concatenate(panels[2:], axis=1)
    write_figure(args.out, np.concatenate([top, bottom], axis=0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
