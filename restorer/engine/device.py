"""Device choice: CUDA, then Apple MPS, then CPU, unless the user names one."""

from __future__ import annotations

import torch

from restorer.engine.choices import DEVICE_CHOICES


class DeviceUnavailableError(Exception):
    pass


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.insert(0, "cuda")
    if _mps_available():
        devices.insert(0, "mps")
    return devices


def choose_device(preference: str = "auto") -> torch.device:
    if preference not in DEVICE_CHOICES:
        raise DeviceUnavailableError(
            f"unknown device {preference!r} (use {', '.join(DEVICE_CHOICES)})"
        )
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError("CUDA was requested but no CUDA GPU is available")
    if preference == "mps" and not _mps_available():
        raise DeviceUnavailableError("MPS was requested but Apple Metal is not available")
    return torch.device(preference)


def cpu_has_bfloat16_matrix_units() -> bool:
    """True on CPUs with AMX tiles (Intel Xeon since Sapphire Rapids), where oneDNN runs
    bfloat16 convolutions several times faster than float32; elsewhere bfloat16 gains little."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def describe_device(device: torch.device, cpu_bfloat16: bool = False, runtime: str = "") -> str:
    """How a run is described to the user: "CPU (2 threads, OpenVINO, bfloat16)". runtime
    names what runs the models on the CPU, where that is worth saying."""
    if device.type == "cuda":
        try:
            return f"CUDA ({torch.cuda.get_device_name(device)})"
        except (RuntimeError, AssertionError):
            return "CUDA"
    if device.type == "mps":
        return "Apple MPS"
    precision = ", bfloat16" if cpu_bfloat16 else ""
    by = f", {runtime}" if runtime else ""
    return f"CPU ({torch.get_num_threads()} threads{by}{precision})"
