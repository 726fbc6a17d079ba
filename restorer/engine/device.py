"""Device choice: CUDA, then Apple MPS, then CPU, unless the user names one.

torch takes 1.5 s to import on a 2-core CPU, as long as a 2048² denoise on OpenVINO takes.
On a machine that has no GPU driver at all (most of our users' laptops) the choice is made
without it, and the bundled networks then run on OpenVINO with torch never imported; torch
is asked only where a GPU may be there to use: an NVIDIA (or ROCm) driver that loads, or a
Mac (MPS), or when the user names a GPU.
"""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from restorer.engine.choices import DEVICE_CHOICES

if TYPE_CHECKING:
    import torch

# The user-space GPU drivers whose presence means that torch may find a GPU to use.
_GPU_DRIVERS = {
    "win32": ("nvcuda.dll", "amdhip64.dll"),
    "linux": ("libcuda.so.1", "libamdhip64.so"),
}


class DeviceUnavailableError(Exception):
    pass


@dataclass(frozen=True)
class Device:
    """Where the engine runs models: "cpu", "cuda" or "mps" (torch.device's own names)."""

    type: str

    def torch(self) -> torch.device:
        import torch

        return torch.device(self.type)

    def __str__(self) -> str:
        return self.type


CPU = Device("cpu")


@cache
def gpu_driver_present() -> bool:
    """Whether this machine may have a GPU that torch can use: a CUDA or ROCm driver library
    loads (milliseconds), or it is a Mac (Metal: Apple Silicon, and the AMD GPUs of some
    Intel Macs). False: without a driver torch finds no GPU either."""
    if sys.platform == "darwin":
        return True
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
    for name in _GPU_DRIVERS.get(sys.platform, _GPU_DRIVERS["linux"]):
        try:
            loader(name)
        except OSError:
            continue
        return True
    return False


def cuda_available(probe: bool = True) -> bool:
    """probe: skip torch where no driver loads (a GPU the user names is always asked for)."""
    if probe and not gpu_driver_present():
        return False
    import torch

    return bool(torch.cuda.is_available())


def _mps_available() -> bool:
    if sys.platform != "darwin":
        return False
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    devices = ["cpu"]
    if cuda_available():
        devices.insert(0, "cuda")
    if _mps_available():
        devices.insert(0, "mps")
    return devices


def choose_engine_device(preference: str = "auto") -> Device:
    """The device the engine runs on; torch is imported only when a GPU may be present."""
    if preference not in DEVICE_CHOICES:
        raise DeviceUnavailableError(
            f"unknown device {preference!r} (use {', '.join(DEVICE_CHOICES)})"
        )
    if preference == "auto":
        if cuda_available():
            return Device("cuda")
        if _mps_available():
            return Device("mps")
        return CPU
    if preference == "cuda" and not cuda_available(probe=False):
        raise DeviceUnavailableError("CUDA was requested but no CUDA GPU is available")
    if preference == "mps" and not _mps_available():
        raise DeviceUnavailableError("MPS was requested but Apple Metal is not available")
    return Device(preference)


def choose_device(preference: str = "auto") -> torch.device:
    """choose_engine_device as a torch.device (training, and physics run on torch)."""
    return choose_engine_device(preference).torch()


def cpu_has_bfloat16_matrix_units() -> bool:
    """True on CPUs with AMX tiles (Intel Xeon since Sapphire Rapids), where oneDNN runs
    bfloat16 convolutions several times faster than float32; elsewhere bfloat16 gains little."""
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def describe_device(
    device: Device, cpu_bfloat16: bool = False, runtime: str = "", threads: int | None = None
) -> str:
    """How a run is described to the user: "CPU (2 threads, OpenVINO, bfloat16)". runtime
    names what runs the models on the CPU, where that is worth saying; threads, when not
    given, are torch's."""
    if device.type == "cuda":
        import torch

        try:
            return f"CUDA ({torch.cuda.get_device_name(device.torch())})"
        except (RuntimeError, AssertionError):
            return "CUDA"
    if device.type == "mps":
        return "Apple MPS"
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    precision = ", bfloat16" if cpu_bfloat16 else ""
    by = f", {runtime}" if runtime else ""
    return f"CPU ({threads} threads{by}{precision})"
