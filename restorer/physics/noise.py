"""Noise models on tensors in [0, 1]."""

from __future__ import annotations

import torch


def _normal_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _per_sample(value: float | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A scalar or a (B,) tensor, shaped to broadcast over (B, C, H, W)."""
    t = torch.as_tensor(value, device=x.device, dtype=x.dtype)
    return t.view(-1, *([1] * (x.ndim - 1))) if t.ndim else t


def gaussian(
    x: torch.Tensor, sigma: float | torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Additive white Gaussian noise of standard deviation sigma ([0, 1] scale), not clipped."""
    return x + _per_sample(sigma, x) * _normal_like(x, generator)


def poisson_gaussian_level(
    x: torch.Tensor, peak: float | torch.Tensor, sigma_read: float | torch.Tensor
) -> torch.Tensor:
    """The standard deviation of poisson_gaussian noise at each sample of x: its noise-level
    map, which the denoisers are conditioned on."""
    variance = x.clamp(min=0) / _per_sample(peak, x) + _per_sample(sigma_read, x) ** 2
    return variance.sqrt()


def poisson_gaussian(
    x: torch.Tensor,
    peak: float | torch.Tensor,
    sigma_read: float | torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Sensor noise: photon shot noise (Poisson, `peak` photons at white) plus read noise.

    The Poisson part is its Gaussian approximation with variance x / peak, accurate above a
    few photons and fast on any device.
    """
    return x + poisson_gaussian_level(x, peak, sigma_read) * _normal_like(x, generator)


def salt_and_pepper(
    x: torch.Tensor, amount: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Set a fraction `amount` of samples to 0 or 1 at random (impulse noise)."""
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    out = x.clone()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out
