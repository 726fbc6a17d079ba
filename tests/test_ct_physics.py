"""CT physics: the projector's exact adjoint, FBP accuracy, metal trace and LI/NMAR."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorer.core.morphology import dilate
from restorer.physics.mar import (
    geometry_for,
    interpolate_trace,
    linear_interpolation_mar,
    metal_pixels,
    metal_trace,
    normalized_mar,
    segment_metal,
    sinogram,
    tissue_prior,
)
from restorer.physics.radon import (
    ParallelGeometry,
    back_project,
    fbp,
    forward_project,
    forward_project_sparse,
)


def _disk_phantom(n: int) -> np.ndarray:
    c = np.arange(n) - (n - 1) / 2
    y, x = np.meshgrid(c, c, indexing="ij")
    body = (x**2 + y**2 < (0.4 * n) ** 2).astype(np.float64)
    insert = ((x - 0.12 * n) ** 2 + (y + 0.08 * n) ** 2 < (0.08 * n) ** 2) * 0.5
    return body + insert


# Even and odd view counts (the projector uses the image's turns and mirror for an even
# count, its mirror alone for an odd one), and one with a view at exactly 45 degrees.
@pytest.mark.parametrize("size, angles", [(64, 90), (97, 120), (50, 61), (40, 92)])
def test_back_projection_is_the_exact_adjoint(size: int, angles: int) -> None:
    g = ParallelGeometry(size, angles)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(size, size, generator=gen, dtype=torch.float64)
    y = torch.rand(g.angles, g.detectors, generator=gen, dtype=torch.float64)
    lhs = (forward_project(x, g) * y).sum()
    rhs = (x * back_project(y, g)).sum()
    assert abs(float(lhs - rhs)) < 1e-9 * float(lhs)


@pytest.mark.parametrize("angles", [135, 136, 90])
def test_sparse_projection_equals_the_dense_one(angles: int) -> None:
    """The metal trace's projector (nonzero pixels only, every view from its own weights)
    gives the dense projector's sinogram, which computes a quarter of the views' weights and
    takes the rest from the image turned and mirrored."""
    rng = np.random.default_rng(3)
    image = np.zeros((96, 96), np.float32)
    image[40:46, 20:31] = 1.0
    image[rng.integers(0, 96, 30), rng.integers(0, 96, 30)] = rng.uniform(0.2, 3, 30)
    geometry = ParallelGeometry(96, angles)
    dense = forward_project(torch.from_numpy(image), geometry).numpy()
    sparse = forward_project_sparse(torch.from_numpy(image), geometry).numpy()
    np.testing.assert_allclose(sparse, dense, atol=1e-4)


def test_projection_of_a_disk_is_its_chord_length() -> None:
    g = ParallelGeometry(128, 180)
    disk = torch.from_numpy((_disk_phantom(128) > 0).astype(np.float64))
    sino = forward_project(disk, g)
    radius = 0.4 * 128
    centre = int(g.centre)
    assert float(sino[:, centre].mean()) == pytest.approx(2 * radius, rel=0.02)


def test_fbp_reconstructs_a_phantom() -> None:
    g = ParallelGeometry(128, 180)
    phantom = _disk_phantom(128)
    recon = fbp(forward_project(torch.from_numpy(phantom), g), g).numpy()
    c = np.arange(128) - 63.5
    y, x = np.meshgrid(c, c, indexing="ij")
    inside = x**2 + y**2 < (0.35 * 128) ** 2
    rmse = float(np.sqrt(np.mean((recon - phantom)[inside] ** 2)))
    assert rmse < 0.05
    assert abs(float(recon[inside].mean()) - float(phantom[inside].mean())) < 0.01


def _slice_with_metal(n: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """A water disk with a bone insert (HU) and, separately, where metal sits."""
    phantom = _disk_phantom(n)
    hu = np.where(phantom > 0, 0.0, -1000.0) + np.where(phantom > 1.2, 800.0, 0.0)
    metal = np.zeros((n, n), bool)
    metal[60:66, 40:46] = True
    return hu.astype(np.float32), metal


def test_metal_segmentation_and_trace() -> None:
    hu, metal = _slice_with_metal()
    hu[metal] = 3500
    mask = segment_metal(hu, 2500)
    assert mask[metal].all() and mask.sum() < 4 * metal.sum()
    g = geometry_for(128)
    trace = metal_trace(mask, g)
    assert trace.any(axis=1).all()  # metal is seen from every view
    assert 0.01 < trace.mean() < 0.2


def test_linear_interpolation_fills_the_trace() -> None:
    hu, metal = _slice_with_metal()
    g = geometry_for(128)
    sino = sinogram(hu, g).numpy()
    trace = metal_trace(metal, g)
    corrupted = sino.copy()
    corrupted[trace] = 1e3  # garbage where rays cross metal
    filled = interpolate_trace(corrupted, trace)
    assert np.abs(filled[~trace] - sino[~trace]).max() == 0
    assert np.abs(filled[trace] - sino[trace]).mean() < 0.05 * sino[trace].mean()


def test_li_and_nmar_reduce_streaks_on_a_simulated_scan() -> None:
    from restorer.physics.metal import random_metal, simulate_scan

    hu, _ = _slice_with_metal(128)
    rng = np.random.default_rng(0)
    metal = {"titanium": np.zeros((128, 128), np.float32), "iron": np.zeros((128, 128), np.float32)}
    metal["iron"][50:58, 40:48] = 1.0
    metal["iron"][70:78, 80:88] = 1.0
    corrupted = simulate_scan(hu, metal, geometry_for(128), 2.0, 1e7, rng)
    mask = segment_metal(corrupted)
    keep = ~mask & (hu > -500)
    error = np.abs(corrupted - hu)[keep].mean()
    assert error > 30  # the metal really did streak the slice
    errors = {}
    inside = metal_pixels(corrupted)
    for method in (linear_interpolation_mar, normalized_mar):
        out = method(corrupted, inside)
        errors[method] = np.abs(out - hu)[keep].mean()
        np.testing.assert_array_equal(out[inside], corrupted[inside])  # metal put back
    # Measured: 58.7 HU uncorrected, LI 34.8 (the textbook LI, whose straight lines across
    # the trace cut through the bone beside the metal, 47.8), NMAR 32.6.
    assert errors[linear_interpolation_mar] < error
    assert errors[normalized_mar] < 0.85 * error
    assert errors[normalized_mar] < errors[linear_interpolation_mar]
    assert random_metal(hu, 2.0, rng)["titanium"].shape == (128, 128)


def test_training_electrodes_sit_on_the_skin_and_leave_the_implants_draws_alone() -> None:
    """ECG electrodes of the training cases: steel just outside the body, touching or within
    their pad's 4 mm of the skin, never on the table beside it nor on the lungs' surface
    inside (where they once went too); and drawn from their own
    generator, so a case keeps the implants it had without them."""
    import cv2

    from restorer.core.morphology import connected_components, distance_inside
    from restorer.physics.metal import ScanProtocol, electrodes_on_skin, random_metal, scan_with

    size, px_mm = 128, 2.0
    y, x = np.mgrid[0:size, 0:size] - (size - 1) / 2
    hu = np.where((x / 50) ** 2 + (y / 40) ** 2 <= 1, 40.0, -1000.0).astype(np.float32)
    hu[120:124, 10:118] = 200.0  # a table 30 mm below the body: not skin
    for side in (-1, 1):  # lungs: their surface borders the tissue too, but is not skin
        hu[((x - side * 22) / 16) ** 2 + (y / 26) ** 2 <= 1] = -800.0
    body = (x / 50) ** 2 + (y / 40) ** 2 <= 1
    for seed in range(8):
        fraction = electrodes_on_skin(hu, px_mm, np.random.default_rng(seed))
        steel = fraction > 0.25
        assert 1 <= connected_components(steel).count <= 3
        assert fraction[body].max() < 0.75  # on the skin, not in it
        gaps_mm = distance_inside(~body)[steel] * px_mm
        assert gaps_mm.min() <= 5.0  # touching, or on its pad
        assert gaps_mm.max() <= 14.0  # a stud of up to 8 mm on up to 4 mm: not the table
    protocol = ScanProtocol(photons=1e7, views=180)
    plain = random_metal(hu, px_mm, np.random.default_rng(1))
    for seed in range(8):
        _, fraction = scan_with(
            hu, px_mm, protocol, np.random.default_rng(1), electrodes=np.random.default_rng(seed)
        )
        implants = plain["titanium"] + plain["iron"]
        outside = cv2.dilate((~body).astype(np.uint8), np.ones((3, 3), np.uint8)) == 0
        # Inside the body the metal is the implants' (or none, for electrodes-only cases).
        kept = np.allclose(fraction[outside], implants[outside], atol=1e-6)
        assert kept or fraction[outside].max() == 0
        assert (fraction[~body] > 0.25).any()


def test_a_fan_beam_scan_rebinned_to_parallel_keeps_the_slice_in_place() -> None:
    """The training simulator's fan beam: each parallel ray is read back from the fan's rays
    around it, so a small bright dot far off the centre reconstructs where it was and nearly
    as sharp, while the noise the fan measured is spread over neighbouring rays (rebinning)."""
    from restorer.physics.metal import through_fan_beam

    n = 96
    geometry = ParallelGeometry(n, 136)
    dot = np.zeros((n, n), np.float32)
    dot[20:22, 70:72] = 1.0  # off the centre, where fan and parallel rays differ most
    sino = forward_project(torch.from_numpy(dot), geometry).numpy()
    transmitted = np.exp(-0.05 * sino)
    fan_shapes: list[tuple[int, ...]] = []

    def log_of(fan: np.ndarray) -> np.ndarray:
        fan_shapes.append(fan.shape)
        return -np.log(fan)

    rebinned = through_fan_beam(transmitted, 2.3 * n / 2, log_of) / 0.05
    assert fan_shapes == [(2 * 136, sino.shape[1])]  # a full turn of source angles
    parallel = fbp(torch.from_numpy(sino), geometry).numpy()
    fanned = fbp(torch.from_numpy(rebinned.astype(np.float32)), geometry).numpy()
    assert np.unravel_index(np.argmax(fanned), fanned.shape) in {
        (y, x) for y in (20, 21) for x in (70, 71)
    }
    # Measured 0.77: interpolating between views blurs along the circle, as rebinning does.
    assert fanned.max() > 0.7 * parallel.max()
    assert abs(rebinned.sum() / sino.sum() - 1) < 0.05  # the dot's attenuation is all there
    # Noise: independent per fan ray, correlated between neighbouring parallel bins after.
    rng = np.random.default_rng(0)
    flat = np.ones((136, sino.shape[1]), np.float32)
    noisy = through_fan_beam(flat, 2.3 * n / 2, lambda fan: fan + rng.normal(0, 1, fan.shape))
    inner = noisy[:, 20:-20] - 1
    correlation = np.corrcoef(inner[:, :-1].ravel(), inner[:, 1:].ravel())[0, 1]
    assert 0.1 < correlation < 0.9
    assert 0.4 < inner.std() < 0.95


def _body_with_metal(size: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the slice's HU, its row and column grids from the centre, the metal): soft tissue
    with a lung on the left and a steel pin in the middle."""
    y, x = np.mgrid[0:size, 0:size] - (size - 1) / 2
    hu = np.where((x / 110) ** 2 + (y / 90) ** 2 <= 1, 40.0, -1000.0)
    hu[(((x + 55) / 35) ** 2 + (y / 50) ** 2) <= 1] = -850.0  # lung
    metal = np.hypot(x, y) <= 5
    hu[metal] = 8000.0
    return hu.astype(np.float32), np.stack([y, x]), metal


def test_nmar_prior_calls_lung_air_but_not_a_dark_band_between_metal() -> None:
    """A dark band joins two pieces of metal in the LI image (a streak LI leaves): soft tissue
    in truth. NMAR keeps whatever its prior says, so the prior must not call it air; the
    lung beside it, under a streak that lifts it to -600 HU, stays air."""
    hu, (y, x), metal = _body_with_metal()
    li = np.where(metal, 40.0, hu).astype(np.float32)
    band = (np.abs(y) <= 3) & (x > 5) & (x < 60)
    li[band] = -700.0
    li[(np.abs(y + 20) <= 2) & (x < -30) & (x > -80)] = -600.0  # a bright streak in the lung
    prior = tissue_prior(li, hu, metal)
    assert np.abs(prior[band]).max() < 100  # tissue, not air
    lung = ((x + 55) / 30) ** 2 + (y / 45) ** 2 <= 1
    assert prior[lung].max() < -850  # air, streak and all


def test_nmar_prior_keeps_bone_that_li_erased_where_it_joins_bone_li_kept() -> None:
    """Bone touching the metal is interpolated away by LI (200 HU there); where it continues
    as bone that LI kept, it is bone in the prior, except in the metal's halo; and a bright
    halo round the metal on its own (dense in the slice, not in the LI image) is not bone."""
    hu, (y, x), metal = _body_with_metal()
    ring = (np.hypot(x - 25, y) <= 22) & (np.hypot(x - 25, y) > 16)  # a bone ring by the pin
    hu[ring & ~metal] = 900.0
    halo = (np.hypot(x, y) <= 8) & ~metal & ~ring
    hu[halo] = 900.0
    li = np.where(metal | halo, 40.0, hu).astype(np.float32)
    erased = ring & (np.hypot(x, y) < 25)  # LI's trace removes the ring next to the pin
    li[erased] = 200.0
    prior = tissue_prior(li, hu, metal)
    distance = np.hypot(x, y)
    core = ring & (np.abs(np.hypot(x - 25, y) - 19) <= 1.5)  # the 5x5 medians round its edges
    assert (prior[erased & core & (distance > 10)] > 800).mean() > 0.95  # joined to kept bone
    assert (prior[core & (distance > 30)] > 800).all()
    assert np.abs(prior[halo & ~dilate(ring, np.ones((5, 5), bool))]).max() < 100


def test_simulated_scan_without_metal_keeps_the_slice_hu() -> None:
    """The simulation's HU scale is the scanner's: a metal-free scan of a real slice keeps
    soft tissue and bone at their values (the scan blurs them, so bone is compared over a
    margin around it). Bone once read at half its HU above water, and the MAR networks
    trained on such scans brightened real bone."""
    import cv2

    from restorer.physics.mar import geometry_for
    from restorer.physics.metal import simulate_scan
    from tests.ct_helpers import held_out_chest_slice

    clean, px_mm = held_out_chest_slice()
    no_metal = {"titanium": np.zeros_like(clean)}
    scanned = simulate_scan(
        clean, no_metal, geometry_for(256), px_mm, 2e6, np.random.default_rng(0)
    )
    around_bone = cv2.dilate((clean > 600).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    soft_tissue = cv2.erode(((clean > 0) & (clean < 100)).astype(np.uint8), np.ones((5, 5))) > 0
    for region in (around_bone, soft_tissue):
        assert region.sum() > 1000
        expected, found = float(clean[region].mean()), float(scanned[region].mean())
        assert abs(found - expected) < 10 + 0.06 * abs(expected), (found, expected)


def test_tube_spectrum_softens_with_voltage_and_hardens_with_filter() -> None:
    from restorer.physics.metal import ENERGIES_KEV, SPECTRUM, tube_spectrum

    def mean_kev(spectrum: np.ndarray) -> float:
        return float((spectrum * ENERGIES_KEV).sum())

    np.testing.assert_allclose(tube_spectrum(120.0), SPECTRUM)
    at_80, at_100 = tube_spectrum(80.0), tube_spectrum(100.0)
    assert abs(at_80.sum() - 1.0) < 1e-12
    assert at_80[ENERGIES_KEV > 90].sum() == 0.0  # nothing above the peak voltage's bin
    assert mean_kev(at_80) < mean_kev(at_100) < mean_kev(SPECTRUM)
    assert mean_kev(tube_spectrum(100.0, filter_cm_water=2.0)) > mean_kev(at_100)
    with pytest.raises(ValueError, match="kV"):
        tube_spectrum(140.0)


@pytest.mark.parametrize(
    "protocol",
    [
        {"kvp": 80.0, "filter_cm_water": 2.0},
        {"kvp": 100.0, "views": 230, "photons": 5e5},
        {"kvp": 120.0, "oversample": 2},
    ],
)
def test_every_scan_protocol_keeps_the_slice_hu(protocol: dict[str, float]) -> None:
    """Training scans drawn from other scanners must still read tissue right: the water
    correction is calibrated for each spectrum (calibrated for 120 kVp, an 80 kVp scan
    of soft tissue read tens of HU low), and a scan projected on a finer grid is reduced back
    to the slice's own size."""
    import cv2

    from restorer.physics.metal import ScanProtocol, scan_with
    from tests.ct_helpers import held_out_chest_slice

    clean, px_mm = held_out_chest_slice()
    soft_tissue = cv2.erode(((clean > 0) & (clean < 100)).astype(np.uint8), np.ones((5, 5))) > 0
    chosen = ScanProtocol(**protocol)  # type: ignore[arg-type]
    scanned, metal = scan_with(clean, px_mm, chosen, np.random.default_rng(3))
    assert scanned.shape == clean.shape == metal.shape
    away = soft_tissue & (cv2.dilate((metal > 0).astype(np.uint8), np.ones((41, 41))) == 0)
    assert away.sum() > 1000
    expected, found = float(clean[away].mean()), float(scanned[away].mean())
    assert abs(found - expected) < 25, (found, expected)
    assert 0.0 < metal.max() <= 1.0  # the implants are in the slice, at partial volume
