"""Device choice and out-of-memory fallback, detected by exception type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorer.core.image import Image
from restorer.core.ops import psnr
from restorer.engine.device import (
    CPU,
    Device,
    DeviceUnavailableError,
    choose_device,
    cpu_has_bfloat16_matrix_units,
)
from restorer.engine.engine import Engine
from restorer.engine.fallback import run_with_fallback
from restorer.io import read_image
from tests.progress_helpers import Messages


def test_auto_is_cpu_without_accelerators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("restorer.engine.device._mps_available", lambda: False)
    assert choose_device("auto").type == "cpu"


def test_cuda_is_preferred_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("restorer.engine.device.gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto").type == "cuda"
    assert choose_device("cpu").type == "cpu"


def test_without_a_gpu_driver_torch_is_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No driver library loads: the CPU, decided without torch (whose import is the time a
    whole 2048² denoise takes on OpenVINO); a GPU the user names is still asked for."""

    def must_not_ask() -> bool:
        raise AssertionError("torch was asked")

    monkeypatch.setattr("restorer.engine.device.gpu_driver_present", lambda: False)
    monkeypatch.setattr("restorer.engine.device.sys.platform", "linux")
    monkeypatch.setattr(torch.cuda, "is_available", must_not_ask)
    assert choose_device("auto").type == "cpu"
    with pytest.raises(AssertionError, match="torch was asked"):
        choose_device("cuda")


def test_unavailable_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError, match="no CUDA GPU"):
        choose_device("cuda")


def test_oom_halves_the_tile_then_succeeds() -> None:
    tried: list[int] = []

    def attempt(tile: int, device: Device) -> str:
        tried.append(tile)
        if tile > 256:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return f"ok at {tile} on {device.type}"

    messages = Messages()
    result, tile, device = run_with_fallback(attempt, 1024, Device("cuda"), messages)
    assert tried == [1024, 512, 256]
    assert (result, tile, device.type) == ("ok at 256 on cuda", 256, "cuda")
    assert any("512-pixel tiles" in t for t in messages.texts)


def test_oom_below_the_minimum_tile_moves_to_cpu() -> None:
    def attempt(tile: int, device: Device) -> str:
        if device.type != "cpu":
            raise torch.OutOfMemoryError("simulated")
        return "cpu result"

    messages = Messages()
    result, _tile, device = run_with_fallback(attempt, 512, Device("cuda"), messages)
    assert result == "cpu result" and device.type == "cpu"
    assert "continuing on the CPU" in messages.texts[-1]


def test_other_errors_are_not_mistaken_for_oom() -> None:
    def attempt(tile: int, device: Device) -> str:
        raise RuntimeError("CUDA error: out of memory? no: an unrelated failure")

    with pytest.raises(RuntimeError, match="unrelated"):
        run_with_fallback(attempt, 512, Device("cuda"), Messages())


def test_engine_retries_a_real_image_with_smaller_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """An OOM raised from inside the model part-way through an image restarts it with smaller
    tiles, and the result is still the denoised image."""
    from restorer.core.image import Image
    from restorer.engine.engine import Engine
    from restorer.tasks.denoise import TASK, DenoiseParams

    # On PyTorch: the simulated failure is raised by its module (OpenVINO on the CPU, like
    # PyTorch there, meets a real allocation failure as an error, not a retry).
    engine = Engine("cpu", tile=512, backend="torch")
    model, _ = engine.model("denoise-gray", CPU)
    original_forward = model.forward
    sizes: list[int] = []

    def forward(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        sizes.append(x.shape[-1])
        if x.shape[-1] > 256:
            raise torch.OutOfMemoryError("simulated")
        return original_forward(x, sigma)

    monkeypatch.setattr(model, "forward", forward)
    rng = np.random.default_rng(0)
    clean = np.tile(np.linspace(0.2, 0.8, 600, dtype=np.float32), (600, 1))
    noisy = (clean + rng.normal(0, 0.1, clean.shape)).astype(np.float32)
    progress = Messages()
    out = engine.run_task(TASK, Image(noisy), DenoiseParams(sigma=25.5), progress).pixels
    assert sizes[0] > 256 and max(sizes[1:]) <= 256
    assert any("256-pixel tiles" in t for t in progress.texts)
    assert np.abs(out - clean).mean() < 0.5 * np.abs(noisy - clean).mean()


def test_oom_at_the_smallest_cpu_tile_is_a_memory_error() -> None:
    def attempt(tile: int, device: Device) -> str:
        raise torch.OutOfMemoryError("simulated")

    with pytest.raises(MemoryError, match="not enough memory"):
        run_with_fallback(attempt, 256, CPU, Messages())


amx = pytest.mark.skipif(
    not cpu_has_bfloat16_matrix_units(), reason="PyTorch runs bfloat16 on CPUs with AMX only"
)


def _openvino_bfloat16() -> bool:
    engine = Engine("cpu", backend="openvino")
    return engine._cpu_runtime_usable() and engine._openvino_bfloat16()


openvino_bfloat16 = pytest.mark.skipif(
    not _openvino_bfloat16(), reason="OpenVINO runs bfloat16 on CPUs with AVX-512 bf16 or AMX"
)


def _upscale_close_to_float32(backend: str, samples: Path) -> tuple[Engine, float, float]:
    """The largest difference and the PSNR of a reduced-precision ×2 upscale (int8 off: this
    is bfloat16's bound; test_int8 holds the int8 versions to theirs) against float32."""
    from restorer.tasks.super_resolve import TASK, SuperResolveParams

    lr = read_image(samples / "coffee.png").pixels[:160, :200]
    params = SuperResolveParams(2, "clean")
    fast = Engine("cpu", precision="auto", backend=backend)
    fast.int8 = False
    reduced = fast.run_task(TASK, Image(lr), params).pixels
    full = Engine("cpu", precision="float32", backend=backend).run_task(TASK, Image(lr), params)
    assert not np.array_equal(reduced, full.pixels)  # the reduced path did run
    return fast, float(np.abs(reduced - full.pixels).max()), psnr(full.pixels, reduced)


@amx
def test_pytorch_bfloat16_on_amx_stays_within_a_level_of_float32(samples: Path) -> None:
    fast, largest, close = _upscale_close_to_float32("torch", samples)
    assert fast.cpu_bfloat16 and "bfloat16" in fast.last_report.device
    # Measured on a 2-core AMX Xeon: 0.0043 at most, 72.0 dB.
    assert largest < 3 / 255
    assert close > 60


@openvino_bfloat16
def test_openvino_bfloat16_stays_within_a_level_of_float32(samples: Path) -> None:
    fast, largest, close = _upscale_close_to_float32("openvino", samples)
    assert "bfloat16" in fast.last_report.device and "int8" not in fast.last_report.device
    # Measured on a 2-core AMX Xeon: 0.0066 at most, 60.0 dB (the int8 version: 0.082 and
    # 56.9 dB, which a level's bound would catch).
    assert largest < 4 / 255
    assert close > 55


@pytest.mark.parametrize("backend", ["torch", "openvino"])
def test_models_without_reduced_precision_run_in_float32(backend: str, samples: Path) -> None:
    from restorer.tasks.inpaint import TASK, InpaintParams

    if not (cpu_has_bfloat16_matrix_units() if backend == "torch" else _openvino_bfloat16()):
        pytest.skip(f"{backend} has no reduced precision on this CPU")
    pixels = read_image(samples / "coffee.png").pixels[:128, :128]
    mask = np.zeros(pixels.shape[:2], np.float32)
    mask[40:70, 50:90] = 1
    params = InpaintParams(mask=mask)
    fast_engine = Engine("cpu", precision="auto", backend=backend)
    fast = fast_engine.run_task(TASK, Image(pixels), params).pixels
    assert "bfloat16" not in fast_engine.last_report.device
    full = Engine("cpu", precision="float32", backend=backend).run_task(TASK, Image(pixels), params)
    np.testing.assert_array_equal(fast, full.pixels)


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        Engine("cpu", precision="int8")
    assert not Engine("cpu", precision="float32").cpu_bfloat16


def test_smaller_images_get_larger_cpu_tiles() -> None:
    """A 2048² photo's denoise runs as 2 x 2 tiles on the CPU (3 x 3 with the model's own
    1024-px tile side); a 24 MP photo keeps the model's tiles, which its 1.0 GB memory target
    needs (bench memory: 0.99 GiB with them, 1.07 with 1120-px tiles)."""
    from restorer.core.tiling import tile_layout
    from restorer.engine.engine import cpu_tile
    from restorer.models.registry import get_model

    denoiser = get_model("denoise-color")
    tile = cpu_tile(denoiser.tile, 2048, 2048)
    starts, _ = tile_layout(2048, tile, denoiser.tile_overlap, denoiser.size_multiple)
    assert len(starts) == 2
    assert len(tile_layout(2048, denoiser.tile, denoiser.tile_overlap, 16)[0]) == 3
    assert cpu_tile(denoiser.tile, 4000, 6000) == denoiser.tile
