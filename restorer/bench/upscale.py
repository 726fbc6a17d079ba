"""`restorer bench upscale`: our super-resolution against bicubic and Lanczos.

The usual protocol: HR cropped to a multiple of the scale, LR made by MATLAB-style bicubic
downsampling and rounded to 8 bits, PSNR and SSIM on the BT.601 Y channel with `scale` pixels
cropped at each border. Speed is output megapixels per second through the engine (tiles
included).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

from restorer.bench.common import Score, image_files, markdown_table, timed
from restorer.core.image import Image
from restorer.core.ops import psnr, rgb_to_y, ssim
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.physics.resize import imresize
from restorer.tasks.super_resolve import TASK, SuperResolveParams

Method = Callable[[np.ndarray, int], np.ndarray]


def _to_tensor(pixels: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(pixels)).double()
    return t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]


def _from_tensor(t: torch.Tensor, gray: bool) -> np.ndarray:
    t = t[0]
    return (t[0] if gray else t.permute(1, 2, 0)).float().numpy()


def downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    lr = imresize(_to_tensor(hr), 1 / scale)
    return _from_tensor(torch.round(lr.clamp(0, 1) * 255) / 255, hr.ndim == 2)


def bicubic(lr: np.ndarray, scale: int) -> np.ndarray:
    return _from_tensor(imresize(_to_tensor(lr), scale), lr.ndim == 2)


def lanczos(lr: np.ndarray, scale: int) -> np.ndarray:
    import cv2  # a benchmark and training dependency, not the application's

    h, w = lr.shape[:2]
    return cv2.resize(lr, (w * scale, h * scale), interpolation=cv2.INTER_LANCZOS4)


def ours(engine: Engine, model: str) -> Method:
    def run(lr: np.ndarray, scale: int) -> np.ndarray:
        return engine.run_task(TASK, Image(lr), SuperResolveParams(scale=scale, model=model)).pixels

    return run


def evaluate(
    folder: Path, scales: list[int], methods: dict[str, Method], limit: int | None = None
) -> dict[tuple[int, str], Score]:
    scores: dict[tuple[int, str], Score] = {}
    for path in image_files(folder)[:limit]:
        hr_full = read_image(path).pixels
        for s in scales:
            h, w = hr_full.shape[:2]
            hr = hr_full[: h - h % s, : w - w % s]
            lr = downscale(hr, s)
            ref_y = rgb_to_y(hr)[s:-s, s:-s]
            for name, method in methods.items():
                out, seconds = timed(partial(method, lr, s))
                out = np.clip(np.round(np.clip(out, 0, 1) * 255) / 255, 0, 1)
                y = rgb_to_y(out)[s:-s, s:-s]
                scores.setdefault((s, name), Score()).add(
                    psnr(ref_y, y), ssim(ref_y, y), seconds, hr.shape[0] * hr.shape[1] / 1e6
                )
    return scores


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        required=True,
        help="test folders, e.g. ../shared/data/test/set5",
    )
    parser.add_argument("--scale", default="2,4", help="comma-separated scales")
    parser.add_argument("--limit", type=int, default=None, help="first N images per folder")
    parser.add_argument(
        "--models", default="clean,scans", help="which of our models to include (clean, scans)"
    )
    parser.add_argument(
        "--speed-side",
        type=int,
        default=1024,
        help="side of the low-resolution image timed for x2 output MP/s (0: skip)",
    )


def run(args: argparse.Namespace, engine: Engine) -> int:
    scales = [int(s) for s in args.scale.split(",")]
    methods: dict[str, Method] = {}
    for model in args.models.split(","):
        methods[f"ours ({model})"] = ours(engine, model)
    methods["bicubic"] = bicubic
    methods["Lanczos"] = lanczos
    rows = []
    for folder in args.data:
        for (s, name), score in evaluate(folder, scales, methods, args.limit).items():
            rows.append(
                (
                    folder.name,
                    f"×{s}",
                    name,
                    float(np.mean(score.psnr)),
                    float(np.mean(score.ssim)),
                    score.mp_per_s,
                )
            )
    print(markdown_table(["set", "scale", "method", "PSNR-Y dB", "SSIM-Y", "output MP/s"], rows))
    if args.speed_side:
        mps = speed(engine, args.speed_side)
        side = args.speed_side
        print(
            f"\nours (clean) ×2, {side}×{side} → {2 * side}×{2 * side}, {engine.device_name}: "
            f"{mps:.2f} output MP/s"
        )
    return 0


def speed(engine: Engine, side: int, repeats: int = 2) -> float:
    """Output megapixels per second at x2 on a side x side colour image, end to end."""
    rng = np.random.default_rng(0)
    lr = np.clip(0.5 + 0.1 * rng.standard_normal((side, side, 3)), 0, 1).astype(np.float32)
    run = ours(engine, "clean")
    run(lr[:64, :64], 2)  # load the model outside the timing
    best = min(timed(partial(run, lr, 2))[1] for _ in range(repeats))
    return (2 * side) ** 2 / 1e6 / best
