"""Int8 versions of bundled models (build_scripts/quantize_int8.py): shipped intact, made from
the installed weights, used by default on the CPU runtime, close to float32 on a real photo,
and never used when damaged or when float32 is asked for."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image
from restorer.core.ops import psnr
from restorer.core.progress import NullProgress
from restorer.engine.engine import Engine
from restorer.engine.openvino_runtime import runtime_available
from restorer.io import read_image
from restorer.models.integrity import verify_int8
from restorer.models.registry import bundled_models
from restorer.resources import models_dir
from restorer.tasks.super_resolve import TASK as UPSCALE
from restorer.tasks.super_resolve import SuperResolveParams
from tests.progress_helpers import Messages

# Through the application's own import (no telemetry from the test run either).
if not runtime_available():
    pytest.skip("OpenVINO is not installed", allow_module_level=True)

INT8_MODELS = [d for d in bundled_models() if d.int8]


def test_the_upscaler_ships_an_int8_version() -> None:
    """The x2 upscaler's int8 version is what brings `restorer upscale` near its speed
    target on CPUs without a GPU (README, CPU runtime); losing it should be noticed."""
    assert "sr-x2" in [d.id for d in INT8_MODELS]


@pytest.mark.parametrize("descriptor", INT8_MODELS, ids=lambda d: d.id)
def test_int8_files_are_intact_and_made_from_the_installed_weights(descriptor: object) -> None:
    """A model retrained without running quantize_int8.py again fails here, where the
    application would silently run it in floating point."""
    xml, weights = verify_int8(descriptor, models_dir())  # type: ignore[arg-type]
    assert xml.stat().st_size > 0 and weights.stat().st_size > 0


def _photo_x2(samples: Path) -> np.ndarray:
    return read_image(samples / "chelsea.png").pixels[:160, :224, :3].copy()


def test_the_default_cpu_run_uses_int8_close_to_float32(samples: Path) -> None:
    lr = _photo_x2(samples)
    params = SuperResolveParams(scale=2, model="clean")
    default = Engine("cpu", backend="openvino")
    progress = Messages()
    int8 = default.run_task(UPSCALE, Image(lr), params, progress).pixels
    assert "int8" in default.last_report.device, default.last_report.device
    assert not progress.texts, progress.texts
    float32 = Engine("cpu", precision="float32", backend="openvino")
    reference = float32.run_task(UPSCALE, Image(lr), params).pixels
    assert "int8" not in float32.last_report.device
    without = Engine("cpu", backend="openvino")
    without.int8 = False
    bfloat16 = without.run_task(UPSCALE, Image(lr), params).pixels
    # It is another network (weights in 8 bits)...
    assert np.abs(int8 - bfloat16).max() > 1e-3
    # ...whose result stays close to float32's: 56.5 dB on this AVX-512 bf16 CPU (the
    # operations kept in floating point run in bfloat16), 62.7 with OpenVINO capped at AVX2;
    # every operation in 8 bits, the bicubic skip connection included, gave 52.9.
    assert psnr(reference, int8) > 55.0


def test_a_damaged_int8_file_is_not_used(tmp_path: Path, samples: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_dir(), copy)
    weights = copy / "sr-x2.int8.bin"
    damaged = bytearray(weights.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    weights.write_bytes(bytes(damaged))
    x = _photo_x2(samples)
    engine = Engine("cpu", backend="openvino", models_path=copy)
    progress = Messages()
    first = engine.run_model("sr-x2", x, progress)
    engine.run_model("sr-x2", x, progress)
    assert len(progress.texts) == 1, progress.texts
    assert "int8 version of sr-x2 cannot be used" in progress.texts[0]
    assert "altered or damaged" in progress.texts[0]
    floating = Engine("cpu", backend="openvino")
    floating.int8 = False
    assert np.array_equal(first, floating.run_model("sr-x2", x, NullProgress()))


def test_the_int8_denoiser_restores_a_photo_as_well_as_bfloat16(samples: Path) -> None:
    """The bundled noisy sample, denoised blind (as `restorer denoise` runs it): the int8
    denoiser within 0.05 dB of bfloat16 against the clean photo (measured: 32.706 against
    32.703 dB)."""
    from restorer.tasks.denoise import TASK as DENOISE
    from restorer.tasks.denoise import DenoiseParams

    clean = read_image(samples / "chelsea.png").pixels[:, :, :3]
    noisy = read_image(samples / "chelsea_noisy.png").pixels[:, :, :3].copy()
    default = Engine("cpu", backend="openvino")
    int8 = default.run_task(DENOISE, Image(noisy), DenoiseParams()).pixels
    assert "int8" in default.last_report.device
    without = Engine("cpu", backend="openvino")
    without.int8 = False
    bfloat16 = without.run_task(DENOISE, Image(noisy), DenoiseParams()).pixels
    assert np.abs(int8 - bfloat16).max() > 1e-3
    assert psnr(clean, int8) > psnr(clean, bfloat16) - 0.05
