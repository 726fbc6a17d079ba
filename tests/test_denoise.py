"""The bundled denoisers make real photos measurably better, blind or with a strength."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image
from restorer.core.noise_estimate import estimate_noise_sigma, impulse_mask, isolated_fraction
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.tasks.denoise import TASK, DenoiseParams
from tests.progress_helpers import Messages


def _noisy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)


@pytest.mark.parametrize("name", ["camera.png", "chelsea.png"])
def test_denoiser_gains_at_least_8_db_at_sigma_25(engine: Engine, samples: Path, name: str) -> None:
    clean = read_image(samples / name).pixels
    noisy = _noisy(clean, 25)
    out = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=25)).pixels
    before, after = psnr(clean, np.clip(noisy, 0, 1)), psnr(clean, out)
    assert after - before >= 8.0, (before, after)


@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png"])
@pytest.mark.parametrize("sigma", [15, 25])
def test_blind_denoising_matches_given_strength(
    engine: Engine, samples: Path, name: str, sigma: float
) -> None:
    """Blind, white noise comes out as with its level given. The estimator run whole on its
    larger tiles, not in the 128-px patches it was trained on, read it 15-20 % high and cost
    0.06-0.52 dB here (0.3 on CBSD68 at σ 25)."""
    clean = read_image(samples / name).pixels
    noisy = _noisy(clean, sigma, seed=1)
    blind = engine.run_task(TASK, Image(noisy), DenoiseParams()).pixels
    given = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=sigma)).pixels
    assert psnr(clean, blind) > psnr(clean, given) - 0.05
    assert psnr(clean, blind) > psnr(clean, np.clip(noisy, 0, 1)) + 6


def test_the_level_map_of_strips_is_the_whole_images(engine: Engine, samples: Path) -> None:
    """The estimate is made in strips of rows with no context between them: it must be what
    the estimator gives on the whole image (its patches see nothing beyond themselves)."""
    from restorer.core.coarse import BlockAccumulator
    from restorer.core.progress import NullProgress
    from restorer.tasks.denoise import LEVEL_BLOCK, NOISE_MAP_MODEL, estimated_level

    clean = read_image(samples / "chelsea.png").pixels
    tall = _noisy(np.concatenate([clean, clean[::-1]], axis=0)[:600], 10, seed=4)

    class Context:
        progress = NullProgress()

        def run_model(self, model_id: str, pixels: np.ndarray, **kw: object) -> np.ndarray:
            return engine.run_model(model_id, pixels, self.progress)

    strips = estimated_level(tall, Context())  # type: ignore[arg-type]
    whole_map = engine.run_model(NOISE_MAP_MODEL, tall, NullProgress(), tiled=False)
    whole = BlockAccumulator(*tall.shape, LEVEL_BLOCK)
    whole.add_rows(0, whole_map)
    assert np.abs(strips.values - whole.means().values).max() < 1e-4


@pytest.mark.parametrize("sigma", [10, 25, 50])
def test_noise_estimate_is_close(samples: Path, sigma: float) -> None:
    clean = read_image(samples / "camera.png").pixels
    estimate = estimate_noise_sigma(_noisy(clean, sigma, seed=2)) * 255
    assert abs(estimate - sigma) < 0.12 * sigma + 1.5


def test_strength_controls_smoothing(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "camera.png").pixels
    noisy = _noisy(clean, 10)
    weak = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=5)).pixels
    strong = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=40)).pixels
    assert np.abs(weak - noisy).mean() < np.abs(strong - noisy).mean()


def test_salt_and_pepper_is_removed(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "chelsea.png").pixels
    rng = np.random.default_rng(3)
    u = rng.random(clean.shape)
    speckled = clean.copy()
    speckled[u < 0.03] = 0.0
    speckled[u > 0.97] = 1.0
    progress = Messages()
    out = engine.run_task(TASK, Image(speckled), DenoiseParams(), progress).pixels
    assert psnr(clean, out) > psnr(clean, speckled) + 10
    assert any("salt-and-pepper" in m for m in progress.texts)


@pytest.mark.parametrize("sigma", [15, 25, 50])
@pytest.mark.parametrize("as_file", [False, True])
def test_gaussian_noise_is_not_taken_for_salt_and_pepper(
    engine: Engine, samples: Path, sigma: float, as_file: bool
) -> None:
    """Gaussian noise reaches 0 and 1 too; the median replacement must not run on it (it
    cost 0.2 dB on Set12 at σ 25 when it did)."""
    for name in ("camera.png", "chelsea.png"):
        noisy = _noisy(read_image(samples / name).pixels, sigma, seed=6)
        if as_file:  # clipped and quantised, as a noisy 8-bit photo holds it
            noisy = np.clip(np.rint(noisy * 255) / 255, 0, 1).astype(np.float32)
        progress = Messages()
        engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=sigma), progress)
        assert not any("salt-and-pepper" in m for m in progress.texts), (name, sigma)


def test_thin_lines_and_edges_are_not_evidence_of_impulses() -> None:
    drawing = np.full((64, 64), 0.6, np.float32)
    drawing[20, 5:60] = 0.0  # a one-pixel black line
    drawing[40:50, 30:34] = 1.0  # a narrow white bar
    impulses = impulse_mask(drawing)
    assert impulses[20, 10]  # far from its median, as an impulse would be...
    assert isolated_fraction(drawing, impulses) == 0.0  # ...but it has neighbours like it
    speckled = drawing.copy()
    speckled[5, 5] = speckled[55, 10] = 1.0
    assert isolated_fraction(speckled, impulse_mask(speckled)) == 2 / drawing.size


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
    out = engine.run_task(TASK, img, DenoiseParams(sigma=10))
    assert out.alpha is alpha and out.meta.bit_depth == 16


def test_out_of_range_strength_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at most 50"):
        engine.run_task(TASK, Image(np.zeros((32, 32), np.float32)), DenoiseParams(sigma=80))


def _estimated_sigma(engine: Engine, noisy: np.ndarray) -> float:
    return engine.run_task(TASK, Image(noisy), DenoiseParams()).meta.extra["estimated"]["sigma"]


@pytest.mark.parametrize("sigma", [10, 25])
def test_noise_map_estimates_white_noise(engine: Engine, samples: Path, sigma: float) -> None:
    noisy = _noisy(read_image(samples / "chelsea.png").pixels, sigma, seed=7)
    assert abs(_estimated_sigma(engine, noisy) - sigma) < 0.2 * sigma


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_map_estimates_realistic_camera_noise(
    engine: Engine, samples: Path, seed: int
) -> None:
    """Within 20 % of the true level on the realistic synthesis, where the white-noise estimate
    reads a fraction of it. The true level is the mean of the noise's local standard deviation
    (restorer.physics.camera.noise_level_map, what the estimator reports), not the RMS of the
    whole noise: shot noise is stronger in the highlights, and the RMS weights those more."""
    import torch

    from restorer.physics.camera import CameraNoiseRanges, noise_level_map, realistic_noise

    clean = torch.from_numpy(read_image(samples / "chelsea.png").pixels[:288, :448])
    ranges = CameraNoiseRanges(shot=(2e-3, 1e-2), film_probability=0.0)
    noisy, target = realistic_noise(
        clean.permute(2, 0, 1)[None].float(),
        np.random.default_rng(seed),
        torch.Generator().manual_seed(seed),
        ranges,
    )
    noisy_px = noisy[0].permute(1, 2, 0).numpy()
    true_sigma = float(noise_level_map(noisy, target).mean()) * 255
    estimate = _estimated_sigma(engine, noisy_px)
    assert abs(estimate - true_sigma) < 0.2 * true_sigma, (estimate, true_sigma)
    assert estimate_noise_sigma(noisy_px) * 255 < 0.8 * true_sigma  # what it replaced


def test_real_camera_noise_is_removed_blind(engine: Engine, shared_data: Path) -> None:
    """A pair from a scene the models never trained on (restorer.io.pairs holds it out)."""
    from restorer.io.pairs import list_pairs

    pair = next(
        p
        for p in list_pairs(shared_data / "real" / "polyu_canon")
        if p.name == "Canon80D_8_8_6400_comproom_13.jpg"
    )
    assert pair.held_out
    noisy, clean = read_image(pair.noisy).pixels, read_image(pair.clean).pixels
    out = engine.run_task(TASK, Image(noisy), DenoiseParams()).pixels
    assert psnr(clean, out) >= psnr(clean, noisy) + 1.5, (psnr(clean, noisy), psnr(clean, out))


def test_denoising_never_shifts_the_brightness_of_weak_noise(
    engine: Engine, shared_data: Path
) -> None:
    """On real camera noise a fixed level shifted whole images by 3/255 (the network's own
    mean); the task keeps the input's mean over large areas where the noise is weak."""
    from restorer.io.pairs import list_pairs

    pair = next(
        p
        for p in list_pairs(shared_data / "real" / "polyu_canon")
        if p.name == "Canon80D_8_8_12800_printer_14.jpg"
    )
    noisy = read_image(pair.noisy).pixels
    out = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=5)).pixels
    assert abs(float((out - noisy).mean())) * 255 < 0.3


def test_a_handed_over_image_is_denoised_in_place_with_the_same_result(engine: Engine) -> None:
    """A batch hands its image over (consume_input) and the result replaces the input's
    pixels, a whole image less memory; the result is the one a kept input gets, also across
    several tile rows and with the local-mean correction gathered as rows finish."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:700, 0:600].astype(np.float32)
    clean = np.stack([0.5 + 0.3 * np.sin(x / 37), 0.4 + 0.2 * np.cos(y / 23), x / 1200], axis=2)
    noisy = np.clip(clean + rng.normal(0, 6 / 255, clean.shape), 0, 1).astype(np.float32)
    tiled = Engine("cpu", tile=256)
    kept_input = Image(noisy.copy())
    kept = tiled.run_task(TASK, kept_input, DenoiseParams())
    np.testing.assert_array_equal(kept_input.pixels, noisy)  # the window's original is intact
    handed = Image(noisy.copy())
    consumed = tiled.run_task(TASK, handed, DenoiseParams(), consume_input=True)
    assert np.shares_memory(consumed.pixels, handed.pixels)
    np.testing.assert_array_equal(consumed.pixels, kept.pixels)
    assert psnr(clean, kept.pixels) > psnr(clean, noisy) + 3
