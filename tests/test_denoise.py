"""The bundled denoisers make real photos measurably better, blind or with a strength."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image
from restorer.core.noise_estimate import estimate_noise_sigma
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.tasks.denoise import TASK, DenoiseParams


def _noisy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)


@pytest.mark.parametrize("name", ["camera.png", "chelsea.png"])
def test_denoiser_gains_at_least_8_db_at_sigma_25(engine: Engine, samples: Path, name: str) -> None:
    clean = read_image(samples / name).pixels
    noisy = _noisy(clean, 25)
    out = engine.run_task(TASK, Image(noisy), DenoiseParams(strength=25)).pixels
    before, after = psnr(clean, np.clip(noisy, 0, 1)), psnr(clean, out)
    assert after - before >= 8.0, (before, after)


def test_blind_denoising_matches_given_strength(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "chelsea.png").pixels
    noisy = _noisy(clean, 15, seed=1)
    blind = engine.run_task(TASK, Image(noisy), DenoiseParams()).pixels
    given = engine.run_task(TASK, Image(noisy), DenoiseParams(strength=15)).pixels
    assert psnr(clean, blind) > psnr(clean, given) - 0.3
    assert psnr(clean, blind) > psnr(clean, np.clip(noisy, 0, 1)) + 6


@pytest.mark.parametrize("sigma", [10, 25, 50])
def test_noise_estimate_is_close(samples: Path, sigma: float) -> None:
    clean = read_image(samples / "camera.png").pixels
    estimate = estimate_noise_sigma(_noisy(clean, sigma, seed=2)) * 255
    assert abs(estimate - sigma) < 0.12 * sigma + 1.5


def test_strength_controls_smoothing(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "camera.png").pixels
    noisy = _noisy(clean, 10)
    weak = engine.run_task(TASK, Image(noisy), DenoiseParams(strength=5)).pixels
    strong = engine.run_task(TASK, Image(noisy), DenoiseParams(strength=40)).pixels
    assert np.abs(weak - noisy).mean() < np.abs(strong - noisy).mean()


def test_salt_and_pepper_is_removed(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "chelsea.png").pixels
    rng = np.random.default_rng(3)
    u = rng.random(clean.shape)
    speckled = clean.copy()
    speckled[u < 0.03] = 0.0
    speckled[u > 0.97] = 1.0
    messages: list[str] = []

    class P:
        def set_progress(self, f: float) -> None: ...
        def message(self, text: str) -> None:
            messages.append(text)

        def check_aborted(self) -> None: ...

    out = engine.run_task(TASK, Image(speckled), DenoiseParams(), P()).pixels
    assert psnr(clean, out) > psnr(clean, speckled) + 10
    assert any("salt-and-pepper" in m for m in messages)


def test_ct_slice_stays_in_hounsfield_units(engine: Engine, samples: Path) -> None:
    ct = read_image(samples / "ct_small.dcm")
    rng = np.random.default_rng(4)
    noisy = ct.with_pixels((ct.pixels + rng.normal(0, 40, ct.pixels.shape)).astype(np.float32))
    out = engine.run_task(TASK, noisy, DenoiseParams())
    assert out.is_ct and out.meta.dicom_dataset is ct.meta.dicom_dataset
    assert abs(float(out.pixels.mean()) - float(ct.pixels.mean())) < 15  # HU level kept
    err_before = np.abs(noisy.pixels - ct.pixels).mean()
    err_after = np.abs(out.pixels - ct.pixels).mean()
    assert err_after < 0.6 * err_before


def test_alpha_and_sixteen_bits_pass_through(engine: Engine) -> None:
    from restorer.core.image import ImageMeta

    rng = np.random.default_rng(5)
    alpha = rng.random((64, 64)).astype(np.float32)
    img = Image(rng.random((64, 64, 3)).astype(np.float32), ImageMeta(bit_depth=16), alpha)
    out = engine.run_task(TASK, img, DenoiseParams(strength=10))
    assert out.alpha is alpha and out.meta.bit_depth == 16


def test_out_of_range_strength_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at most 50"):
        engine.run_task(TASK, Image(np.zeros((32, 32), np.float32)), DenoiseParams(strength=80))
