"""`restorer bench mar`: uncorrected, LI, NMAR and ours on

(a) the SynDeepLesion pairs in ../shared/data/ct/syndeeplesion_acdnet (images in attenuation
    units, mu_water = 0.192/cm): PSNR and SSIM over the non-metal region, in those units
    (data range: the clean image's range);
(b) our own simulations of held-out patients (restorer.training.mar_data, `eval` split): PSNR
    and SSIM in HU over -1000..2000 (data range 3000) outside the metal;

plus seconds per 512x512 slice on this machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from restorer.bench.common import Score, markdown_table
from restorer.core.image import Image, ImageMeta, Modality
from restorer.core.ops import psnr, ssim
from restorer.engine.engine import Engine
from restorer.physics.mar import (
    DEFAULT_THRESHOLD,
    linear_interpolation_mar,
    normalized_mar,
    segment_metal,
)
from restorer.tasks.mar import TASK, MarParams, learned_available

MU_WATER_SYNDEEPLESION = 0.192  # cm^-1: their soft tissue sits at 0.17-0.19
Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def methods(engine: Engine) -> dict[str, Method]:
    table: dict[str, Method] = {
        "uncorrected": lambda hu, mask: hu,
        "LI": linear_interpolation_mar,
        "NMAR": normalized_mar,
    }
    if learned_available(engine.has_model):

        def ours(full_resolution: bool) -> Method:
            params = MarParams(method="learned", full_resolution=full_resolution)

            def correct(hu: np.ndarray, mask: np.ndarray) -> np.ndarray:
                image = Image(hu.astype(np.float32), ImageMeta(modality=Modality.CT))
                return engine.run_task(TASK, image, params).pixels

            return correct

        table["ours (learned, 256)"] = ours(False)
        table["ours (learned, full resolution)"] = ours(True)
    return table


def syndeeplesion_cases(folder: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, metal-affected HU, clean HU) for every pair found."""
    cases = []
    for gt in sorted(folder.rglob("gt_image.npy")):
        for ma in sorted(gt.parent.glob("*_ma_CT.npy")):
            to_hu = 1000.0 / MU_WATER_SYNDEEPLESION
            cases.append(
                (
                    f"{gt.parent.parent.name}/{ma.stem.split('_')[0]}",
                    np.load(ma) * to_hu - 1000.0,
                    np.load(gt) * to_hu - 1000.0,
                )
            )
    return cases


def evaluate_syndeeplesion(folder: Path, table: dict[str, Method]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    mu = MU_WATER_SYNDEEPLESION / 1000.0
    for _name, corrupted, clean in syndeeplesion_cases(folder):
        mask = segment_metal(corrupted, DEFAULT_THRESHOLD)
        keep = ~mask
        ref = (clean + 1000.0) * mu
        data_range = float(ref.max() - ref.min())
        for method, fn in table.items():
            start = time.perf_counter()
            out = fn(corrupted.astype(np.float32), mask)
            seconds = time.perf_counter() - start
            test = (out + 1000.0) * mu
            scores.setdefault(method, Score()).add(
                psnr(ref, test, data_range, keep), ssim(ref, test, data_range, keep), seconds, 0
            )
    return scores


def evaluate_simulations(
    cache: Path, table: dict[str, Method], limit: int | None
) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    files = sorted((cache / "eval").glob("*.npz"))[:limit]
    if not files:
        raise SystemExit(
            f"no held-out simulations in {cache / 'eval'}: run "
            "python -m restorer.training.mar_data first"
        )
    for path in files:
        with np.load(path) as z:
            corrupted = z["corrupted"].astype(np.float32)
            clean = z["clean"].astype(np.float32)
        mask = segment_metal(corrupted, DEFAULT_THRESHOLD)
        keep = ~mask & (clean > -900)
        ref = np.clip(clean, -1000, 2000)
        for method, fn in table.items():
            start = time.perf_counter()
            out = np.clip(fn(corrupted, mask), -1000, 2000)
            seconds = time.perf_counter() - start
            scores.setdefault(method, Score()).add(
                psnr(ref, out, 3000.0, keep), ssim(ref, out, 3000.0, keep), seconds, 0
            )
    return scores


def seconds_per_512_slice(table: dict[str, Method]) -> dict[str, float]:
    c = np.arange(512) - 255.5
    y, x = np.meshgrid(c, c, indexing="ij")
    hu = np.where(x**2 + y**2 < 200**2, 40.0, -1000.0).astype(np.float32)
    hu[250:262, 200:212] = 3500.0
    mask = segment_metal(hu)
    timings = {}
    for method, fn in table.items():
        start = time.perf_counter()
        fn(hu, mask)
        timings[method] = time.perf_counter() - start
    return timings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, required=True, help="the shared data folder (../shared/data)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("runs/mar_cache"),
        help="simulated cases from restorer.training.mar_data",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N simulated cases")


def run(args: argparse.Namespace, engine: Engine) -> int:
    table = methods(engine)
    rows = []
    sets = (
        (
            "SynDeepLesion (μ)",
            lambda: evaluate_syndeeplesion(args.data / "ct" / "syndeeplesion_acdnet", table),
        ),
        ("held-out simulations (HU)", lambda: evaluate_simulations(args.cache, table, args.limit)),
    )
    for name, evaluate in sets:
        for method, score in evaluate().items():
            rows.append(
                (
                    name,
                    method,
                    len(score.psnr),
                    float(np.mean(score.psnr)),
                    float(np.mean(score.ssim)),
                )
            )
    timings = seconds_per_512_slice(table)
    print(markdown_table(["data", "method", "cases", "PSNR dB (non-metal)", "SSIM"], rows))
    print()
    print(
        markdown_table(
            ["method", f"s per 512×512 slice ({engine.device_name})"],
            [(m, t) for m, t in timings.items()],
        )
    )
    return 0
