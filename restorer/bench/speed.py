"""`restorer bench speed`: megapixels per second of each task for every runtime and precision
this machine has, with the quality each one gives on the standard sets.

Speed: the task through the engine as the command line runs it (tiles, noise estimate,
blending; file reading and writing not counted), on a bundled photo enlarged to the size with
noise σ 8, best of `--repeat` runs after two warm-ups (which also convert the model for
OpenVINO and compile its tile shapes). Quality: denoise σ 25 with the level given on Set12
(gray) and CBSD68 (colour), ×2 on Set5 (Y channel, the usual protocol), so that a reduced
precision shows what it costs.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from restorer.bench.common import image_files, markdown_table, require_data_layout
from restorer.core.image import Image
from restorer.core.ops import psnr, rgb_to_y
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.models.registry import bundled_models
from restorer.resources import samples_dir
from restorer.tasks.denoise import TASK as DENOISE
from restorer.tasks.denoise import DenoiseParams
from restorer.tasks.super_resolve import TASK as UPSCALE
from restorer.tasks.super_resolve import SuperResolveParams

# (backend, precision, int8): "auto" precision with and without the int8 versions that some
# models ship (the engine's default uses them), so that each shows what it costs and gives.
CONFIGS = (
    ("torch", "float32", False),
    ("torch", "auto", False),
    ("openvino", "float32", False),
    ("openvino", "auto", False),
    ("openvino", "auto", True),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, help="../shared/data, for PSNR")
    parser.add_argument("--size", type=int, default=2048, help="side of the speed image")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="images per PSNR set")


def photo(side: int, seed: int = 0) -> np.ndarray:
    from restorer.core.resample import resize

    source = read_image(samples_dir() / "chelsea.png").pixels[:, :, :3]
    big = resize(source, (side, side))
    rng = np.random.default_rng(seed)
    return np.clip(big + rng.normal(0, 8 / 255, big.shape), 0, 1).astype(np.float32)


WARM_UPS = 2


def _best_seconds(run: Callable[[], object], repeat: int) -> float:
    # Warm-up: model loading, OpenVINO conversion and compilation. One was too little for the
    # x2 upscale: OpenVINO compiles each new tile shape, and three runs in a row took 4.70,
    # 4.13 and 3.19 s.
    for _ in range(WARM_UPS):
        run()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _denoise_psnr(engine: Engine, folder: Path, limit: int | None) -> float:
    scores = []
    for index, path in enumerate(image_files(folder)[:limit]):
        clean = read_image(path).pixels
        rng = np.random.default_rng(index)
        noisy = (clean + rng.normal(0, 25 / 255, clean.shape)).astype(np.float32)
        out = engine.run_task(DENOISE, Image(noisy), DenoiseParams(sigma=25.0)).pixels
        scores.append(psnr(out, clean))
    return float(np.mean(scores))


def _upscale_psnr(engine: Engine, folder: Path, limit: int | None) -> float:
    from restorer.bench.upscale import downscale

    scores = []
    for path in image_files(folder)[:limit]:
        hr = read_image(path).pixels
        h, w = hr.shape[:2]
        hr = hr[: h - h % 2, : w - w % 2]
        params = SuperResolveParams(scale=2, model="clean")
        sr = engine.run_task(UPSCALE, Image(downscale(hr, 2)), params).pixels
        y_sr = rgb_to_y(sr) if sr.ndim == 3 else sr
        y_hr = rgb_to_y(hr) if hr.ndim == 3 else hr
        scores.append(psnr(y_sr[2:-2, 2:-2], y_hr[2:-2, 2:-2]))
    return float(np.mean(scores))


def run(args: argparse.Namespace) -> int:
    if args.data is not None:
        require_data_layout(args.data, ("test/set12", "test/cbsd68", "test/set5"))
    big = photo(args.size)
    half = photo(args.size // 2, seed=1)
    rows = []
    seen: set[str] = set()
    int8_models = [d.id for d in bundled_models() if d.int8]
    for backend, precision, int8 in CONFIGS:
        engine = Engine("cpu", precision=precision, backend=backend)
        engine.int8 = int8
        name = engine.device_name
        if int8 and int8_models and "OpenVINO" in name:  # OpenVINO is what runs them
            name = f"{name}, int8 for {', '.join(int8_models)}"
        if name in seen:  # "auto" is float32 here, or no model ships int8: the same row again
            continue
        seen.add(name)
        mp = big.shape[0] * big.shape[1] / 1e6
        denoise = _best_seconds(
            partial(engine.run_task, DENOISE, Image(big), DenoiseParams()), args.repeat
        )
        eight = _best_seconds(
            partial(engine.run_task, DENOISE, Image(half), DenoiseParams(passes=8)), 1
        )
        upscale = _best_seconds(
            partial(engine.run_task, UPSCALE, Image(half), SuperResolveParams(scale=2)),
            args.repeat,
        )
        row: list[object] = [
            name,
            f"{mp / denoise:.2f}",
            f"{mp / 4 / eight:.2f}",
            f"{mp / upscale:.2f}",  # output megapixels
        ]
        if args.data is not None:
            test = args.data / "test"
            row += [
                f"{_denoise_psnr(engine, test / 'set12', args.limit):.3f}",
                f"{_denoise_psnr(engine, test / 'cbsd68', args.limit):.3f}",
                f"{_upscale_psnr(engine, test / 'set5', args.limit):.3f}",
            ]
        rows.append(row)
        print(f"done: {name}", flush=True)
    header = [
        "runtime",
        f"denoise {args.size}² MP/s",
        "denoise 8 passes MP/s",
        "×2 upscale output MP/s",
    ]
    if args.data is not None:
        header += ["Set12 σ25 dB", "CBSD68 σ25 dB", "Set5 ×2 dB (Y)"]
    print(markdown_table(header, rows))
    return 0
