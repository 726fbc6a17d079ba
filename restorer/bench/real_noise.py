"""`restorer bench denoise --real DIR`: real camera noise, scored against the clean targets of a
folder of real noisy/clean pairs (restorer.io.pairs).

Only the folder's held-out scenes are scored unless --all-pairs is given: the bundled models
may have seen the other scenes in training. "Best" rows choose one setting for the whole set
(not per image) on the scored pairs themselves, so they are an upper bound on a hand-set
strength, not a blind result.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from restorer.bench.common import Score, markdown_table, nlmeans, timed
from restorer.core.image import Image
from restorer.core.noise_estimate import estimate_noise_sigma
from restorer.core.ops import psnr, ssim
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.io.pairs import list_pairs
from restorer.tasks.denoise import TASK, DenoiseParams

Method = Callable[[np.ndarray], np.ndarray]
MULTIPLIERS = (0.75, 1.0, 1.25, 1.5, 2.0)
FIXED_SIGMAS = (5.0, 10.0, 15.0)
NLMEANS_H = (3.0, 6.0, 9.0)


def _ours(engine: Engine, **params: Any) -> Method:
    def run(noisy: np.ndarray) -> np.ndarray:
        return engine.run_task(TASK, Image(noisy), DenoiseParams(**params)).pixels

    return run


def _ours_white_estimate(engine: Engine) -> Method:
    """The blind mode before the noise-map network: one white-noise level per image."""

    def run(noisy: np.ndarray) -> np.ndarray:
        sigma = min(estimate_noise_sigma(noisy) * 255, 50.0)
        return engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=sigma)).pixels

    return run


def method_groups(engine: Engine) -> dict[str, dict[str, Method]]:
    """Row name -> its candidate settings; a row with several reports the best of them."""
    return {
        "noisy input": {"": lambda noisy: noisy},
        "ours, blind (strength 1.0)": {"": _ours(engine)},
        "ours, best strength": {f"{m:g}": _ours(engine, strength=m) for m in MULTIPLIERS},
        "ours, white-noise estimate (previous blind)": {"": _ours_white_estimate(engine)},
        "ours, best fixed σ": {f"σ {s:g}": _ours(engine, sigma=s) for s in FIXED_SIGMAS},
        "OpenCV NL-means, best h": {f"h {h:g}": partial(nlmeans, sigma=h / 0.9) for h in NLMEANS_H},
    }


def evaluate(folder: Path, all_pairs: bool, engine: Engine) -> list[tuple[object, ...]]:
    pairs = [p for p in list_pairs(folder) if all_pairs or p.held_out]
    if not pairs:
        raise SystemExit(f"no pairs to score in {folder}")
    images = [(read_image(p.noisy).pixels, read_image(p.clean).pixels) for p in pairs]
    rows: list[tuple[object, ...]] = []
    baseline = float(np.mean([psnr(clean, noisy) for noisy, clean in images]))
    label = f"{folder.name} ({len(pairs)} {'pairs' if all_pairs else 'held-out pairs'})"
    for row_name, settings in method_groups(engine).items():
        best: tuple[float, str, Score] | None = None
        for setting, method in settings.items():
            score = Score()
            for noisy, clean in images:
                out, seconds = timed(partial(method, noisy))
                out = np.clip(out, 0, 1)
                score.add(psnr(clean, out), ssim(clean, out), seconds, noisy.size / 3e6)
            mean = float(np.mean(score.psnr))
            if best is None or mean > best[0]:
                best = (mean, setting, score)
        assert best is not None
        mean, setting, score = best
        name = f"{row_name} ({setting})" if setting and len(settings) > 1 else row_name
        gain = f"{mean - baseline:+.2f}"
        rows.append((label, name, mean, gain, float(np.mean(score.ssim))))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--real",
        type=Path,
        nargs="+",
        default=[],
        help="folders of real noisy/clean pairs (real/ and mean/), e.g. "
        "../shared/data/real/polyu_canon",
    )
    parser.add_argument(
        "--all-pairs",
        action="store_true",
        help="score every pair, not only the held-out scenes",
    )


def run(args: argparse.Namespace, engine: Engine) -> None:
    rows = [row for folder in args.real for row in evaluate(folder, args.all_pairs, engine)]
    print(markdown_table(["pairs", "method", "PSNR dB", "gain dB", "SSIM"], rows))
