"""A second CT simulator, for testing metal-artifact reduction on scans that the project's own
simulator (restorer.physics.metal, which the learned networks train on) did not make.

What differs from ours: a ray-driven projector (bilinear samples every half pixel along each
ray, not pixel-driven splatting), fan-beam geometry over 360 degrees rebinned to parallel
rays as well as parallel beam, 360-1000 views, a Kramers spectrum at 80-140 kVp with its own
water beam-hardening calibration, 1e5-2e6 photons per ray, and scikit-image's filtered
back-projection (ramp or Shepp-Logan kernel). Tissue is split into water and bone as ours
does, and the attenuation tables are the same NIST data: those are physics, not design.

The truth a corrected slice is compared with is the same scan without the metal and without
noise. scikit-image comes with the benchmark and test extras (`pip install "restorer[bench]"`);
it is imported here, at the top, so that importing this module without it fails at once and
`restorer bench mar` says what is missing (the desktop bundle leaves it out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from skimage.transform import iradon

from restorer.core.morphology import connected_components, distance_inside, touching_border
from restorer.physics.metal import DENSITY, mass_attenuation_at, split_materials

MATERIALS = ("water", "bone", "titanium", "iron")


@dataclass(frozen=True)
class Protocol:
    fan: bool  # fan beam over 360 degrees (rebinned to parallel), else parallel over 180
    views: int
    kvp: float
    photons: float  # per ray, unattenuated
    kernel: str  # scikit-image filter name: "ramp" or "shepp-logan"
    source_distance: float = 2.5  # fan: source to centre, in image half-widths

    @classmethod
    def random(cls, rng: np.random.Generator) -> Protocol:
        return cls(
            fan=bool(rng.random() < 0.5),
            views=int(rng.integers(360, 1001)),
            kvp=float(rng.uniform(80, 140)),
            photons=float(10 ** rng.uniform(5, math.log10(2e6))),
            kernel=str(rng.choice(["ramp", "shepp-logan"])),
        )


def spectrum(kvp: float) -> tuple[np.ndarray, np.ndarray]:
    """(energies keV, normalised fluence): Kramers' bremsstrahlung (kvp - E) / E hardened by
    ~3 mm aluminium (attenuation ~ 1/E^3 above the K edge)."""
    energies = np.arange(20.0, kvp, 2.0)
    fluence = (kvp - energies) / energies * np.exp(-((30.0 / energies) ** 3) * 2.2)
    return energies, fluence / fluence.sum()


def _mu(material: str, kev: np.ndarray) -> np.ndarray:
    return np.array([mass_attenuation_at(material, float(e)) * DENSITY[material] for e in kev])


def _line_integrals(stack: torch.Tensor, theta: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Integrals (pixel units) of each map of `stack` (M, N, N) along the lines
    {t n(theta) + s d(theta)}, n = (cos, sin), d = (-sin, cos), in pixel coordinates centred
    on the image (x to the right, y up): bilinear samples every half pixel."""
    n = stack.shape[-1]
    half = n / 2
    reach = math.ceil(half * math.sqrt(2)) + 1
    s = torch.arange(-reach, reach + 1e-6, 0.5, dtype=torch.float32)
    out = torch.empty(stack.shape[0], *theta.shape)
    flat_theta, flat_t = theta.reshape(-1), t.reshape(-1)
    result = out.view(stack.shape[0], -1)
    chunk = max(1, 2_000_000 // s.numel())
    for start in range(0, flat_theta.numel(), chunk):
        th = flat_theta[start : start + chunk, None]
        tt = flat_t[start : start + chunk, None]
        x = tt * torch.cos(th) - s[None] * torch.sin(th)
        y = tt * torch.sin(th) + s[None] * torch.cos(th)
        # grid_sample's normalised coordinates: x -> column, -y -> row (row 0 at the top).
        grid = torch.stack([x / half, -y / half], dim=-1)[None]
        samples = torch.nn.functional.grid_sample(
            stack[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )[0]
        result[:, start : start + chunk] = samples.sum(dim=-1) * 0.5
    return out


def _fan(protocol: Protocol, n: int, bins: int) -> tuple[float, float]:
    """(source distance, half fan angle) that covers `bins` parallel bins, in pixels and
    radians."""
    distance = protocol.source_distance * n / 2
    return distance, math.asin(min(0.99, (bins / 2) / distance))


def _rays(protocol: Protocol, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(theta, t) of every measured ray, (views, detectors), and the parallel bin count."""
    bins = math.ceil(n * math.sqrt(2)) + 3
    bins += 1 - bins % 2
    if not protocol.fan:
        theta = torch.arange(protocol.views, dtype=torch.float32) * math.pi / protocol.views
        t = torch.arange(bins, dtype=torch.float32) - (bins - 1) / 2
        return theta[:, None].expand(-1, bins), t[None].expand(protocol.views, -1), bins
    distance, gamma_max = _fan(protocol, n, bins)
    detectors = 2 * math.ceil(gamma_max * distance) + 1  # about one pixel apart at the centre
    beta = torch.arange(protocol.views, dtype=torch.float32) * 2 * math.pi / protocol.views
    gamma = torch.linspace(-gamma_max, gamma_max, detectors)
    theta = beta[:, None] + gamma[None] + math.pi / 2
    t = -distance * torch.sin(gamma)[None].expand(protocol.views, -1)
    return theta, t, bins


def _rebin(fan: torch.Tensor, protocol: Protocol, n: int, bins: int) -> tuple[np.ndarray, int]:
    """Fan-beam projections (views over 360, detectors) -> parallel (bins, angles over 180)."""
    distance, gamma_max = _fan(protocol, n, bins)
    views, detectors = fan.shape
    angles = views // 2
    theta = torch.arange(angles, dtype=torch.float32) * math.pi / angles
    t = torch.arange(bins, dtype=torch.float32) - (bins - 1) / 2
    gamma = -torch.asin((t / distance).clamp(-1, 1))
    beta = (theta[None, :] - gamma[:, None] - math.pi / 2) % (2 * math.pi)
    # Bilinear interpolation on the (beta, gamma) grid; beta wraps around.
    b = beta / (2 * math.pi) * views
    g = (gamma[:, None].expand_as(b) + gamma_max) / (2 * gamma_max) * (detectors - 1)
    b0 = torch.floor(b).long()
    fb = b - b0
    g0 = torch.floor(g).long().clamp(0, detectors - 2)
    fg = (g - g0).clamp(0, 1)
    b1 = (b0 + 1) % views
    b0 = b0 % views

    def at(bi: torch.Tensor, gi: torch.Tensor) -> torch.Tensor:
        return fan[bi, gi]

    value = (
        at(b0, g0) * (1 - fb) * (1 - fg)
        + at(b1, g0) * fb * (1 - fg)
        + at(b0, g0 + 1) * (1 - fb) * fg
        + at(b1, g0 + 1) * fb * fg
    )
    return value.numpy(), angles


@dataclass(frozen=True)
class SimulatedScan:
    corrupted: np.ndarray  # HU, with metal and noise
    truth: np.ndarray  # HU, the same scan without metal or noise
    metal: np.ndarray  # bool: where the metal was put


def scan(
    hu: np.ndarray,
    metal_fraction: dict[str, np.ndarray],
    protocol: Protocol,
    px_mm: float,
    rng: np.random.Generator,
) -> SimulatedScan:
    """Scan the slice `hu` (N x N HU) with metal (fraction maps per material) under
    `protocol`; reconstruct with and without the metal."""
    n = hu.shape[0]
    cm = px_mm / 10.0
    water, bone = split_materials(hu)
    total = sum(metal_fraction.values(), np.zeros_like(hu))
    # Tissue the metal displaces is projected on its own, so that one projection serves the
    # scan with metal (tissue minus displaced, plus metal) and the truth without it.
    maps = {
        "water": water,
        "bone": bone,
        "displaced water": water * total,
        "displaced bone": bone * total,
        **{m: f * DENSITY[m] for m, f in metal_fraction.items()},
    }
    names = list(maps)
    stack = torch.from_numpy(np.stack([maps[k] for k in names]).astype(np.float32))
    theta, t, bins = _rays(protocol, n)
    lengths = _line_integrals(stack, theta, t).numpy() * cm  # g/cm^2 per material
    energies, weights = spectrum(protocol.kvp)
    material = {m: m.removeprefix("displaced ") for m in names}
    sign = {m: -1.0 if m.startswith("displaced") else 1.0 for m in names}
    mass = {m: sign[m] * _mu(material[m], energies) / DENSITY[material[m]] for m in names}

    def measure(with_metal: bool, noisy: bool) -> np.ndarray:
        exponent = np.zeros((energies.size, *lengths.shape[1:]))
        for i, m in enumerate(names):
            if m in ("water", "bone") or with_metal:
                exponent += mass[m][:, None, None] * lengths[i][None]
        intensity = np.tensordot(weights, np.exp(-exponent), axes=1)
        if noisy:
            counts = rng.poisson(intensity * protocol.photons)
            intensity = np.maximum(counts, 1) / protocol.photons
        return -np.log(intensity)

    # The scanner's water calibration: polychromatic water projections -> mu_ref x length.
    reference_kev = 0.55 * protocol.kvp
    mu_water_ref = float(_mu("water", np.array([reference_kev]))[0])
    thickness = np.linspace(0, 60, 300)
    poly = -np.log(np.exp(-np.outer(thickness, _mu("water", energies))) @ weights)
    coefficients = np.polyfit(poly, mu_water_ref * thickness, 4)

    def reconstruct(projections: np.ndarray) -> np.ndarray:
        corrected = torch.from_numpy(np.polyval(coefficients, projections).astype(np.float32))
        if protocol.fan:
            parallel, angles = _rebin(corrected, protocol, n, bins)
        else:
            parallel, angles = corrected.numpy().T, protocol.views
        degrees = np.arange(angles) * 180.0 / angles
        mu = iradon(
            parallel / cm,
            degrees,
            circle=False,
            filter_name=protocol.kernel,
            output_size=n,
        )
        return ((mu / mu_water_ref - 1.0) * 1000.0).astype(np.float32)

    return SimulatedScan(
        corrupted=reconstruct(measure(True, True)),
        truth=reconstruct(measure(False, False)),
        metal=total > 0.5,
    )


def random_implants(
    hu: np.ndarray, px_mm: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """1-3 titanium or steel (iron) discs and bars, 3-15 mm, inside the body; partial volume
    from 4x supersampling."""
    n = hu.shape[0]
    fine = 4
    y, x = (np.mgrid[0 : n * fine, 0 : n * fine] + 0.5) / fine
    inside = np.argwhere(hu > 0)
    if inside.size == 0:
        inside = np.argwhere(hu > -500)
    maps = {"titanium": np.zeros((n, n)), "iron": np.zeros((n, n))}
    for _ in range(int(rng.integers(1, 4))):
        material = "titanium" if rng.random() < 0.6 else "iron"
        cy, cx = inside[int(rng.integers(len(inside)))] + 0.5
        size = rng.uniform(3, 15) / px_mm / 2
        if rng.random() < 0.5:
            shape = (x - cx) ** 2 + (y - cy) ** 2 <= size**2
        else:
            angle = rng.uniform(0, math.pi)
            u = (x - cx) * math.cos(angle) + (y - cy) * math.sin(angle)
            v = -(x - cx) * math.sin(angle) + (y - cy) * math.cos(angle)
            shape = (np.abs(u) <= 2.5 * size) & (np.abs(v) <= size / 2.5)
        fraction = shape.reshape(n, fine, n, fine).mean(axis=(1, 3))
        maps[material] = np.maximum(maps[material], fraction)
    maps["iron"] = np.minimum(maps["iron"], 1 - maps["titanium"])
    return {m: f.astype(np.float32) for m, f in maps.items() if f.any()}


def skin_electrodes(
    hu: np.ndarray, px_mm: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """1-3 ECG electrodes on the skin of the body's front half: steel studs of 1.5-3.5 mm
    radius, round or seen edge-on as a bar along the skin, 0-3 mm off it (on their foam pad).
    Little metal, so a mild artifact: the case where a correction most easily adds error."""
    n = hu.shape[0]
    fine = 4
    components = connected_components(hu > -500)
    if components.count == 0:
        raise ValueError("no body in the slice to put electrodes on")
    body = components.labels == 1 + int(np.argmax(components.area[1:]))
    # The skin faces the air around the body, not the lungs walled off inside it.
    outside = touching_border(~body)
    edge = np.argwhere(body & (distance_inside(~outside) <= 1.0))
    centre = np.argwhere(body).mean(axis=0)
    edge = edge[edge[:, 0] < centre[0] + 0.1 * n]  # the front and the sides
    y, x = (np.mgrid[0 : n * fine, 0 : n * fine] + 0.5) / fine
    fraction = np.zeros((n, n))
    for _ in range(int(rng.integers(1, 4))):
        ey, ex = edge[int(rng.integers(len(edge)))] + 0.5
        ny, nx = ey - centre[0], ex - centre[1]
        norm = math.hypot(ny, nx)
        ny, nx = ny / norm, nx / norm
        radius = rng.uniform(1.5, 3.5) / px_mm
        lift = rng.uniform(0.0, 3.0) / px_mm
        cy, cx = ey + ny * (radius + lift), ex + nx * (radius + lift)
        if rng.random() < 0.5:
            shape = (x - cx) ** 2 + (y - cy) ** 2 <= radius**2
        else:
            along = (x - cx) * -ny + (y - cy) * nx
            across = (x - cx) * nx + (y - cy) * ny
            shape = (np.abs(along) <= 1.6 * radius) & (np.abs(across) <= 0.5 * radius)
        fraction = np.maximum(fraction, shape.reshape(n, fine, n, fine).mean(axis=(1, 3)))
    return {"iron": fraction.astype(np.float32)}
