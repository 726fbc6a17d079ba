"""`restorer bench denoise`: our U-Nets against OpenCV non-local means and BM3D.

Gaussian noise with a fixed seed per image and sigma, not clipped (the usual protocol).
Ours runs as users run it (engine, tiles, float32); "ours, blind" estimates the level itself.
Non-local means needs 8-bit input, so it receives the clipped, rounded noisy image.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from restorer.bench.common import Score, image_files, markdown_table, nlmeans, seed_for, timed
from restorer.core.image import Image
from restorer.core.ops import psnr, ssim
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.tasks.denoise import PASS_CHOICES, TASK, DenoiseParams

Method = Callable[[np.ndarray, float], np.ndarray]


def _ours(engine: Engine, blind: bool, passes: int = 1) -> Method:
    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        params = DenoiseParams(sigma=None if blind else sigma, passes=passes)
        return engine.run_task(TASK, Image(noisy.astype(np.float32)), params).pixels

    return run


def _bm3d() -> Method | None:
    try:
        import bm3d  # optional: pip install bm3d
    except ImportError:
        return None

    def run(noisy: np.ndarray, sigma: float) -> np.ndarray:
        if noisy.ndim == 2:
            return np.asarray(bm3d.bm3d(noisy, sigma_psd=sigma / 255), np.float32)
        return np.asarray(bm3d.bm3d_rgb(noisy, sigma_psd=sigma / 255), np.float32)

    return run


def methods(
    engine: Engine, include_bm3d: bool = True, passes: tuple[int, ...] = (1,)
) -> dict[str, Method]:
    """Ours with the level given, for each pass count; ours blind (one pass); the baselines."""
    table: dict[str, Method] = {}
    for count in passes:
        name = "ours" if count == 1 else f"ours, {count} passes"
        table[name] = _ours(engine, blind=False, passes=count)
    table["ours, blind"] = _ours(engine, blind=True)
    table["OpenCV NL-means"] = nlmeans
    bm = _bm3d() if include_bm3d else None
    if bm is not None:
        table["BM3D"] = bm
    return table


def evaluate(
    folder: Path, sigmas: list[float], table: dict[str, Method], limit: int | None = None
) -> dict[tuple[float, str], Score]:
    scores: dict[tuple[float, str], Score] = {}
    images = [(path.name, read_image(path).pixels) for path in image_files(folder)[:limit]]
    # One method at a time over all images: BM3D's OpenMP threads keep spinning after each
    # call and would slow whichever method ran next on this small machine.
    for name, method in table.items():
        for image_name, clean in images:
            for sigma in sigmas:
                rng = np.random.default_rng(seed_for(image_name, sigma))
                noisy = (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)
                out, seconds = timed(partial(method, noisy, sigma))
                out = np.clip(out, 0, 1)
                scores.setdefault((sigma, name), Score()).add(
                    psnr(clean, out),
                    ssim(clean, out),
                    seconds,
                    clean.shape[0] * clean.shape[1] / 1e6,
                )
    return scores


def speed(engine: Engine, side: int = 2048, repeats: int = 2, passes: int = 1) -> float:
    """Megapixels per second of the colour denoiser on a side x side image, end to end."""
    rng = np.random.default_rng(0)
    img = np.clip(0.5 + 0.1 * rng.standard_normal((side, side, 3)), 0, 1).astype(np.float32)
    run = _ours(engine, blind=False, passes=passes)
    run(img[:256, :256], 25)  # load the model outside the timing
    best = min(timed(lambda: run(img, 25))[1] for _ in range(repeats))
    return side * side / 1e6 / best


def _pass_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or any(count not in PASS_CHOICES for count in counts):
        raise argparse.ArgumentTypeError(
            f"expected pass counts from {', '.join(map(str, PASS_CHOICES))}, e.g. 1,2,8"
        )
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from restorer.bench import real_noise

    real_noise.add_arguments(parser)
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=[],
        help="test folders, e.g. ../shared/data/test/set12 (white Gaussian noise)",
    )
    parser.add_argument("--sigma", default="15,25,50", help="comma-separated noise levels")
    parser.add_argument("--limit", type=int, default=None, help="first N images per folder")
    parser.add_argument("--no-bm3d", action="store_true", help="skip BM3D (slow)")
    parser.add_argument(
        "--passes",
        type=_pass_counts,
        default=(1,),
        help="comma-separated self-ensemble pass counts for ours (1, 2, 4, 8), e.g. 1,2,8",
    )
    parser.add_argument(
        "--speed-side",
        type=int,
        default=2048,
        help="side of the colour image timed for MP/s (0 to skip)",
    )


def run(args: argparse.Namespace, engine: Engine) -> int:
    if not args.data and not args.real:
        raise SystemExit("give --data test folders, --real pair folders, or both")
    if args.real:
        from restorer.bench import real_noise

        real_noise.run(args, engine)
        if not args.data:
            return 0
        print()
    sigmas = [float(s) for s in args.sigma.split(",")]
    passes: tuple[int, ...] = args.passes
    table = methods(engine, include_bm3d=not args.no_bm3d, passes=passes)
    rows = []
    for folder in args.data:
        scores = evaluate(folder, sigmas, table, args.limit)
        for sigma, name in ((s, n) for s in sigmas for n in table):
            score = scores[(sigma, name)]
            rows.append(
                (
                    folder.name,
                    int(sigma),
                    name,
                    float(np.mean(score.psnr)),
                    float(np.mean(score.ssim)),
                    score.mp_per_s,
                )
            )
    print(markdown_table(["set", "σ", "method", "PSNR dB", "SSIM", "MP/s"], rows))
    for count in passes if args.speed_side else ():
        mps = speed(engine, args.speed_side, passes=count)
        label = "" if count == 1 else f", {count} passes"
        print(
            f"\nours{label}, colour, {args.speed_side}×{args.speed_side}, "
            f"{engine.device_name}: {mps:.2f} MP/s"
        )
    return 0
