"""Metal in CT, simulated the way SynDeepLesion does it (Zhang and Yu, 2018), with our own
projector: the clean slice is split into water and bone, metal objects are added with partial
volume, each material is projected, the projections are combined over a 120 kVp spectrum
(beam hardening), Poisson noise is drawn, the scanner's water beam-hardening correction is
applied, and the slice is reconstructed by filtered back-projection.

Attenuation: mass attenuation coefficients (cm^2/g) from NIST XCOM at the spectrum's energies
(water, ICRU cortical bone, titanium, iron).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from restorer.core.morphology import connected_components, touching_border
from restorer.core.resample import reduce_area, resize
from restorer.physics.radon import ParallelGeometry, fbp, forward_project, views_for

ENERGIES_KEV = np.array([20, 30, 40, 50, 60, 80, 100, 120], np.float64)
# A tungsten 120 kVp spectrum after 2.5 mm Al, binned: relative photon fluence.
SPECTRUM = np.array([0.01, 0.08, 0.16, 0.19, 0.18, 0.19, 0.13, 0.06], np.float64)
SPECTRUM = SPECTRUM / SPECTRUM.sum()
MASS_ATTENUATION = {  # cm^2 / g at ENERGIES_KEV
    "water": np.array([0.8096, 0.3756, 0.2683, 0.2269, 0.2059, 0.1837, 0.1707, 0.1620]),
    "bone": np.array([4.001, 1.331, 0.6655, 0.4242, 0.3148, 0.2229, 0.1855, 0.1700]),
    "titanium": np.array([15.85, 4.972, 2.214, 1.213, 0.7661, 0.4052, 0.2721, 0.2200]),
    "iron": np.array([25.68, 8.176, 3.629, 1.958, 1.205, 0.5952, 0.3717, 0.2800]),
}
DENSITY = {"water": 1.0, "bone": 1.92, "titanium": 4.5, "iron": 7.87}
# HU are attenuations at one energy: the beam's effective energy behind a body, where the
# scanner's calibration makes tissue read true. At 75 keV a metal-free simulation of our clean
# slices reproduces their HU (bone at 500-2000 HU within 1-5 %; 70 keV: -8 %, 80 keV: +5 %).
# The spectrum's average before the body (rich in soft photons, where bone attenuates 4x
# water) made the simulated scans show bone at half its HU above water, and the networks
# trained on them brightened bone and contrast by up to 50 % on real scans.
REFERENCE_KEV = 75.0
BONE_START, BONE_FULL = 100.0, 1500.0  # HU range over which tissue turns into bone


def mass_attenuation_at(material: str, kev: float) -> float:
    """cm^2/g at `kev`, interpolated log-log in the table (how XCOM tables are read)."""
    log_mu = np.interp(np.log(kev), np.log(ENERGIES_KEV), np.log(MASS_ATTENUATION[material]))
    return float(np.exp(log_mu))


# The water attenuation that 0 HU stands for after the water correction (cm^-1).
MU_WATER = mass_attenuation_at("water", REFERENCE_KEV) * DENSITY["water"]


def hu_to_mu(hu: torch.Tensor) -> torch.Tensor:
    """Linear attenuation (cm^-1) that the water-corrected scanner maps to these HU."""
    return MU_WATER * (1.0 + hu / 1000.0)


def mu_to_hu(mu: torch.Tensor) -> torch.Tensor:
    return (mu / MU_WATER - 1.0) * 1000.0


def split_materials(hu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Water and bone density maps (g/cm^3) from HU: bone fraction grows from 100 to
    1500 HU; the total keeps the HU's attenuation at the reference energy."""
    bone_fraction = np.clip((hu - BONE_START) / (BONE_FULL - BONE_START), 0, 1)
    mu = np.maximum(MU_WATER * (1 + hu / 1000.0), 0)
    mu_bone = DENSITY["bone"] * mass_attenuation_at("bone", REFERENCE_KEV)
    bone = bone_fraction * mu / mu_bone * DENSITY["bone"]
    water = (1 - bone_fraction) * mu / MU_WATER
    return water.astype(np.float32), bone.astype(np.float32)


@dataclass(frozen=True)
class MetalObject:
    kind: str  # screw, rod, hip, filling, clip
    material: str  # titanium or iron


def _draw(
    mask: np.ndarray,
    obj: MetalObject,
    centre: tuple[float, float],
    px_mm: float,
    rng: np.random.Generator,
) -> None:
    """Draw one object (value 1) on a mask at 4x resolution; centre in mask pixels."""
    import cv2  # simulation only: the application runs without OpenCV

    s = 4 / px_mm  # mask pixels per mm
    cx, cy = centre
    angle = float(rng.uniform(0, 180))
    if obj.kind == "screw":
        length, width = float(rng.uniform(25, 45) * s), float(rng.uniform(4, 7) * s)
        box = cv2.boxPoints(((cx, cy), (length, width), angle)).astype(np.int32)
        cv2.fillPoly(mask, [box], 1.0)
    elif obj.kind == "rod":
        cv2.circle(mask, (int(cx), int(cy)), int(rng.uniform(2.5, 3.5) * s), 1.0, -1)
    elif obj.kind == "hip":
        cv2.circle(mask, (int(cx), int(cy)), int(rng.uniform(20, 26) * s), 1.0, -1)
    elif obj.kind == "filling":
        axes = (int(rng.uniform(2, 5) * s), int(rng.uniform(1.5, 4) * s))
        cv2.ellipse(mask, (int(cx), int(cy)), axes, angle, 0, 360, 1.0, -1)
    else:  # clip
        box = cv2.boxPoints(
            ((cx, cy), (float(rng.uniform(4, 8) * s), float(rng.uniform(1, 2) * s)), angle)
        ).astype(np.int32)
        cv2.fillPoly(mask, [box], 1.0)


KINDS = (
    (MetalObject("screw", "titanium"), 0.35),
    (MetalObject("rod", "titanium"), 0.2),
    (MetalObject("hip", "iron"), 0.15),
    (MetalObject("filling", "iron"), 0.15),
    (MetalObject("clip", "titanium"), 0.15),
)


def random_metal(
    hu: np.ndarray, px_mm: float, rng: np.random.Generator, size: int | None = None
) -> dict[str, np.ndarray]:
    """Fractional (partial volume) metal maps per material, objects placed inside the body;
    at the slice's size, or at `size` (a multiple of it, for a finer projection)."""
    import cv2  # simulation only: the application runs without OpenCV

    n = hu.shape[0]
    big = np.zeros((4 * n, 4 * n), np.float32)
    maps = {"titanium": big.copy(), "iron": big.copy()}
    # Implants sit inside the body: at least ~15 mm in from the skin.
    inside = cv2.erode(
        (hu > -300).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, int(15 / px_mm))
    )
    body = np.argwhere(inside > 0)
    if body.size == 0:
        body = np.argwhere(hu > -300)
    if body.size == 0:
        body = np.argwhere(np.ones_like(hu, bool))
    count = int(rng.choice([1, 1, 2, 2, 3, 4]))
    kinds = [k for k, _ in KINDS]
    weights = np.array([w for _, w in KINDS])
    first = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    for i in range(count):
        obj = first if i == 0 or rng.random() < 0.6 else kinds[int(rng.integers(len(kinds)))]
        y, x = body[int(rng.integers(len(body)))]
        _draw(maps[obj.material], obj, (float(4 * x + 2), float(4 * y + 2)), px_mm, rng)
    out = size or n
    return {m: cv2.resize(v, (out, out), interpolation=cv2.INTER_AREA) for m, v in maps.items()}


# Share of training cases with ECG electrodes on the skin, and of those with no implant
# besides: chest CT shows them often, and a network that never saw metal on the skin drew a
# band along it (near-skin error of the learned pipeline 1.2x NMAR's on 512 px chest slices).
ELECTRODE_SHARE = 0.3
ELECTRODES_ONLY_SHARE = 0.5


def electrodes_on_skin(
    hu: np.ndarray, px_mm: float, rng: np.random.Generator, size: int | None = None
) -> np.ndarray:
    """1-3 steel ECG electrode studs resting on the skin (fraction map, at the slice's size or
    at `size`): 1-4 mm radius, seen round or edge-on as a bar along the skin, 0-4 mm off it
    (their foam pad). The outward direction is the gradient of the blurred body mask."""
    import cv2  # simulation only: the application runs without OpenCV

    n = hu.shape[0]
    # The body is the largest component: not the table or a head holder.
    components = connected_components(hu > -300)
    largest = 1 + int(np.argmax(components.area[1:])) if components.count else -1
    # Its holes filled: the skin faces the air around the body, not the lungs inside it.
    body = (~touching_border(components.labels != largest)).astype(np.float32)
    skin = np.argwhere((body > 0) & (cv2.erode(body, np.ones((3, 3), np.uint8)) == 0))
    mask = np.zeros((4 * n, 4 * n), np.float32)
    if len(skin):
        gy, gx = np.gradient(cv2.GaussianBlur(body, (0, 0), 3.0))
        s = 4 / px_mm  # mask pixels per mm
        for _ in range(int(rng.integers(1, 4))):
            y, x = skin[int(rng.integers(len(skin)))]
            norm = float(np.hypot(gy[y, x], gx[y, x])) or 1.0
            out_y, out_x = -gy[y, x] / norm, -gx[y, x] / norm  # away from the body
            radius = rng.uniform(1.0, 4.0) * s
            edge_on = rng.random() < 0.5
            half = radius * 0.5 if edge_on else radius  # extent along the outward direction
            lift = rng.uniform(0.0, 4.0) * s + half
            cy, cx = 4 * y + 2 + out_y * lift, 4 * x + 2 + out_x * lift
            axes = (int(1.6 * radius), int(half)) if edge_on else (int(radius), int(radius))
            # The bar's long axis lies along the skin: across the outward direction.
            angle = float(np.degrees(np.arctan2(out_y, out_x))) + 90.0
            cv2.ellipse(mask, (int(cx), int(cy)), axes, angle, 0, 360, 1.0, -1)
    out = size or n
    return cv2.resize(mask, (out, out), interpolation=cv2.INTER_AREA)


def water_correction(max_length_cm: float = 60.0, spectrum: np.ndarray = SPECTRUM) -> np.ndarray:
    """Cubic polynomial taking a polychromatic water projection to MU_WATER x length: the
    beam-hardening correction every scanner applies, calibrated for its own spectrum."""
    lengths = np.linspace(0, max_length_cm, 200)
    mu = MASS_ATTENUATION["water"] * DENSITY["water"]
    poly = -np.log((spectrum[None, :] * np.exp(-np.outer(lengths, mu))).sum(axis=1))
    return np.polyfit(poly, MU_WATER * lengths, 3)


def tube_spectrum(kvp: float, filter_cm_water: float = 0.0) -> np.ndarray:
    """A tube spectrum on ENERGIES_KEV for a peak voltage of 60-120 kV: SPECTRUM (120 kVp)
    with Kramers' law's fall of bremsstrahlung towards the peak voltage, (kvp - E), in place
    of (120 - E) (measured from the top of each 10-20 keV wide bin), and an extra filter of
    this much water that hardens it."""
    if not 60.0 <= kvp <= 120.0:
        raise ValueError(f"peak voltage {kvp} kV is outside 60-120 kV")
    kramers = np.clip((kvp + 10.0 - ENERGIES_KEV) / (130.0 - ENERGIES_KEV), 0.0, 1.0)
    filtered = np.exp(-MASS_ATTENUATION["water"] * filter_cm_water)
    spectrum = SPECTRUM * kramers * filtered
    return spectrum / spectrum.sum()


@dataclass(frozen=True)
class ScanProtocol:
    """How a simulated scanner measures a slice. The learned MAR pipeline always re-projects
    a slice in its own geometry, so what varies between scanners reaches it only through
    the artifacts' look: beam hardening (spectrum), noise (photons), streak sampling
    (views) and how finely the rays sample the body (oversample: the slice is projected
    on a grid this many times finer and the reconstruction reduced back, so that the
    simulated scanner's projector is not the one the pipeline itself uses)."""

    kvp: float = 120.0
    filter_cm_water: float = 0.0
    photons: float = 2e6
    views: int | None = None  # over 180 degrees; None: geometry_for's count for the grid
    oversample: int = 1
    metal_density_scale: float = 1.0  # alloys: Ti-6Al-4V 4.43, stainless 8.0, CoCr 8.3 g/cm3
    # Fan beam rebinned to parallel: the source this many slice half-widths from the centre
    # (clinical scanners: about 2.3 field-of-view radii); 0: parallel beam.
    fan_source_radius: float = 0.0

    @classmethod
    def random(cls, rng: np.random.Generator) -> ScanProtocol:
        """A protocol drawn for training: 80-120 kVp with 0-2 cm of extra filter, 3e5-1e7
        photons per ray (log-uniform), 230-716 views over 180 degrees (or, for a quarter,
        geometry_for's count), half of them projected on a twice finer grid, metal densities
        95-108 % of the pure metal's."""
        return cls(
            kvp=float(rng.uniform(80.0, 120.0)),
            filter_cm_water=float(rng.uniform(0.0, 2.0)),
            photons=float(np.exp(rng.uniform(np.log(3e5), np.log(1e7)))),
            views=None if rng.random() < 0.25 else int(rng.uniform(0.9, 2.8) * 256),
            oversample=int(rng.choice([1, 2])),
            metal_density_scale=float(rng.uniform(0.95, 1.08)),
        )

    @property
    def spectrum(self) -> np.ndarray:
        return tube_spectrum(self.kvp, self.filter_cm_water)


def _fan_coordinates(
    views: int, bins: int, source_bins: float, to_fan: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling positions (row, column) for cv2.remap between a parallel sinogram extended to
    360 degrees (`views` rows over 180, doubled) and a fan-beam one (2 x `views` source
    angles over 360 degrees, `bins` equi-angular detector channels, the source `source_bins`
    from the centre). to_fan: where each fan ray (beta, gamma) lies in the parallel sinogram
    (theta = beta + gamma, t = R sin gamma); else where each parallel ray lies among the fan's."""
    centre = (bins - 1) / 2
    step = np.pi / views  # both: radians per row
    gamma_step = float(np.arcsin(centre / source_bins)) / centre
    rows, cols = np.mgrid[0 : 2 * views if to_fan else views, 0:bins].astype(np.float64)
    if to_fan:
        gamma = (cols - centre) * gamma_step
        row = rows + gamma / step
        col = centre + source_bins * np.sin(gamma)
    else:
        gamma = np.arcsin(np.clip((cols - centre) / source_bins, -1.0, 1.0))
        row = rows - gamma / step
        col = centre + gamma / gamma_step
    return np.mod(row, 2 * views).astype(np.float32), col.astype(np.float32)


def _remap(sino: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    import cv2  # simulation only: the application runs without OpenCV

    # Rows wrap around the full turn; columns beyond the detector are air in either domain.
    return cv2.remap(sino, cols, rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def through_fan_beam(
    intensity: np.ndarray,
    source_bins: float,
    measure: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """A parallel sinogram of transmitted intensities (views over 180 degrees x bins) as a
    fan-beam scanner over 360 degrees measures it and rebins it to parallel beam: sampled on
    the fan's rays, `measure`d there (photon noise and the log), rebinned by linear
    interpolation. What reaches FBP then has the rebinning's blur and noise correlation,
    which vary across the detector, as clinical fan-beam data have."""
    views, bins = intensity.shape
    full_turn = np.concatenate([intensity, intensity[:, ::-1]]).astype(np.float32)
    fan = _remap(full_turn, *_fan_coordinates(views, bins, source_bins, to_fan=True))
    measured = measure(fan).astype(np.float32)
    return _remap(measured, *_fan_coordinates(views, bins, source_bins, to_fan=False))


def simulate_scan(
    hu: np.ndarray,
    metal: dict[str, np.ndarray],
    geometry: ParallelGeometry,
    px_mm: float,
    photons: float,
    rng: np.random.Generator,
    device: torch.device | None = None,
    *,
    spectrum: np.ndarray = SPECTRUM,
    metal_density_scale: float = 1.0,
    fan_source_radius: float = 0.0,
) -> np.ndarray:
    """The reconstructed slice (HU) of `hu` with `metal` inserted: polychromatic projections,
    Poisson noise, water correction, FBP. Runs on `device` (a GPU makes it far faster).
    fan_source_radius: measured by a fan-beam scanner whose source is this many slice
    half-widths from the centre, rebinned to parallel beam (through_fan_beam); 0: parallel.
    The geometry's size may be a multiple of the slice's: the slice is then enlarged to it,
    projected and reconstructed there, and the reconstruction reduced back (`metal` must be
    at the geometry's size)."""
    device = device or torch.device("cpu")
    size = hu.shape[0]
    finer = geometry.size // size
    if finer != 1:
        hu = resize(hu.astype(np.float32), (geometry.size, geometry.size))
    cm = px_mm / finer / 10.0
    water, bone = split_materials(hu)
    maps = {"water": water, "bone": bone}
    for material, fraction in metal.items():
        maps[material] = fraction * DENSITY[material] * metal_density_scale
        maps["water"] = maps["water"] * (1 - fraction)
        maps["bone"] = maps["bone"] * (1 - fraction)
    stack = torch.from_numpy(np.stack([maps[k] for k in maps]).astype(np.float32)).to(device)
    projections = forward_project(stack, geometry) * cm  # g/cm^2 per material
    attenuation = torch.from_numpy(np.stack([MASS_ATTENUATION[k] for k in maps])).float()
    exponent = torch.einsum("me,mvd->evd", attenuation.to(device), projections)
    weights = torch.from_numpy(spectrum).float().to(device)
    intensity = (weights[:, None, None] * torch.exp(-exponent)).sum(dim=0)
    generator = torch.Generator(device=device).manual_seed(int(rng.integers(2**31)))

    def measure(transmitted: torch.Tensor) -> torch.Tensor:
        counts = torch.poisson((transmitted * photons).clamp(min=0), generator=generator)
        return -torch.log(counts.clamp(min=1) / photons)

    if fan_source_radius:
        measured = torch.from_numpy(
            through_fan_beam(
                intensity.cpu().numpy(),
                fan_source_radius * geometry.size / 2,
                lambda fan: measure(torch.from_numpy(fan).to(device)).cpu().numpy(),
            )
        ).to(device)
    else:
        measured = measure(intensity)
    corrected = torch.zeros_like(measured)
    for c in water_correction(spectrum=spectrum):  # Horner's rule: the polynomial correction
        corrected = corrected * measured + float(c)
    mu = fbp(corrected, geometry) / cm
    scanned = mu_to_hu(mu).cpu().numpy().astype(np.float32)
    return scanned if finer == 1 else reduce_area(scanned, (size, size))


def scan_with(
    hu: np.ndarray,
    px_mm: float,
    protocol: ScanProtocol,
    rng: np.random.Generator,
    device: torch.device | None = None,
    *,
    electrodes: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Random metal placed in `hu` and scanned with `protocol`: (the scan in HU, the metal's
    total fraction at the slice's size). `electrodes`: draw ECG electrodes on the skin with
    this generator (its own, so that `rng`'s draws, and with them every case simulated
    without electrodes, stay as they were), and for ELECTRODES_ONLY_SHARE of those cases no
    implant."""
    size = hu.shape[0]
    grid = size * protocol.oversample
    geometry = ParallelGeometry(grid, protocol.views or views_for(grid))
    metal = random_metal(hu, px_mm, rng, size=grid)
    if electrodes is not None:
        if electrodes.random() < ELECTRODES_ONLY_SHARE:
            metal = {material: np.zeros_like(v) for material, v in metal.items()}
        metal["iron"] = np.maximum(metal["iron"], electrodes_on_skin(hu, px_mm, electrodes, grid))
    scanned = simulate_scan(
        hu,
        metal,
        geometry,
        px_mm,
        protocol.photons,
        rng,
        device,
        spectrum=protocol.spectrum,
        metal_density_scale=protocol.metal_density_scale,
        fan_source_radius=protocol.fan_source_radius,
    )
    fraction: np.ndarray = np.stack(list(metal.values())).sum(axis=0, dtype=np.float32)
    if protocol.oversample != 1:
        fraction = reduce_area(fraction, (size, size))
    return scanned, fraction
