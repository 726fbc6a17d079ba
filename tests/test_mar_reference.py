"""CT metal-artifact reduction checked against an independent simulator.

scikit-image's Radon transform (not ours) simulates a polychromatic parallel-beam scan with
Poisson noise and a water beam-hardening correction of a phantom where titanium touches bone
(and of one with two steel balls);
its own filtered back-projection makes the slice. Our projector must agree with skimage's,
and NMAR and LI must reduce the error near the metal without adding any far from it, and
leave no dark rim around the metal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt
from skimage import transform as skimage_transform

from restorer.core.morphology import dilate
from restorer.physics.mar import (
    grow_metal,
    linear_interpolation_mar,
    metal_pixels,
    normalized_mar,
    plain_linear_interpolation_mar,
)
from restorer.physics.metal import DENSITY, mass_attenuation_at
from restorer.physics.radon import ParallelGeometry, forward_project

SIZE = 256
PIXEL_CM = 0.08
REFERENCE_KEV = 75.0


@dataclass(frozen=True)
class Layout:
    rings: tuple[tuple[int, int, int], ...]  # bone rings: centre x, y and radius (px)
    pieces: tuple[tuple[int, int, int], ...]  # discs of metal
    metal: str


# Two titanium pins each touching a bone ring (where interpolating the metal's trace also
# removes bone).
PINS_TOUCHING_BONE = Layout(
    rings=((-40, 20, 14), (45, 25, 12), (0, -45, 10)),
    pieces=((-20, 20, 5), (28, 22, 4)),
    metal="titanium",
)
# Two steel balls near the skin: the rays joining them make a dark band in the slice, which
# lies across rays that miss the metal too.
STEEL_BALLS = Layout(rings=((0, -45, 10),), pieces=((-50, 55, 8), (20, 70, 8)), metal="iron")
# Two ECG electrodes, steel studs on the skin: the rays tangent to the skin through them are
# the metal's trace, so NMAR's prior must draw the body's outline where the scan has it.
SKIN_ELECTRODES = Layout(rings=((0, -45, 10),), pieces=((60, 72, 3), (-95, 40, 2)), metal="iron")


def _phantom(
    with_metal: bool, layout: Layout = PINS_TOUCHING_BONE, size: int = SIZE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(water, bone, metal) fractions: an elliptic body with the layout's bone and metal
    (the layout in pixels of a SIZE slice: the same object on a finer grid for `size`)."""
    y, x = (np.mgrid[0:size, 0:size] - (size - 1) / 2) * (SIZE / size)
    water = ((x / 110) ** 2 + (y / 85) ** 2 <= 1).astype(float)
    bone = np.zeros((size, size))
    for cx, cy, r in layout.rings:
        d = np.hypot(x - cx, y - cy)
        bone[(d <= r) & (d > r - 5)] = 1.0
    water *= 1 - bone
    metal = np.zeros((size, size))
    if with_metal:
        for cx, cy, r in layout.pieces:
            metal[np.hypot(x - cx, y - cy) <= r] = 1.0
        water, bone = water * (1 - metal), bone * (1 - metal)
    return water, bone, metal


def _mu(material: str, kev: float) -> float:
    return mass_attenuation_at(material, kev) * DENSITY[material]


def _scan(
    with_metal: bool, noisy: bool, layout: Layout = PINS_TOUCHING_BONE, size: int = SIZE
) -> np.ndarray:
    """The slice in HU as a scanner would reconstruct it (skimage radon/iradon, 360 views)."""
    water, bone, metal = _phantom(with_metal, layout, size)
    pixel_cm = PIXEL_CM * SIZE / size
    theta = np.linspace(0.0, 180.0, 360, endpoint=False)
    lengths = [
        skimage_transform.radon(f, theta, circle=False) * pixel_cm for f in (water, bone, metal)
    ]
    kvp = 120.0
    energies = np.arange(30.0, kvp + 1, 5.0)
    spectrum = energies * (kvp - energies)
    spectrum /= spectrum.sum()
    materials = ("water", "bone", layout.metal)
    intensity = sum(
        w * np.exp(-sum(_mu(m, e) * length for m, length in zip(materials, lengths, strict=True)))
        for w, e in zip(spectrum, energies, strict=True)
    )
    if noisy:
        photons = 2e5
        intensity = np.maximum(np.random.default_rng(0).poisson(intensity * photons), 1) / photons
    # Water beam-hardening correction, as scanners calibrate it.
    thickness = np.linspace(0, 40, 200)
    water_poly = -np.log(
        sum(
            w * np.exp(-_mu("water", e) * thickness)
            for w, e in zip(spectrum, energies, strict=True)
        )
    )
    coefficients = np.polyfit(water_poly, _mu("water", REFERENCE_KEV) * thickness, 4)
    corrected = np.polyval(coefficients, -np.log(intensity))
    mu = skimage_transform.iradon(
        corrected / pixel_cm, theta, circle=False, filter_name="ramp", output_size=size
    )
    return ((mu / _mu("water", REFERENCE_KEV) - 1) * 1000).astype(np.float32)


def test_our_projector_agrees_with_skimage() -> None:
    water, bone, metal = _phantom(True)
    image = (water + 2 * bone + 5 * metal).astype(np.float32)
    geometry = ParallelGeometry(SIZE, 180)
    ours = forward_project(torch.from_numpy(image), geometry).numpy()
    reference = skimage_transform.radon(image, np.arange(180.0), circle=False).T
    offset = int(geometry.centre) - reference.shape[1] // 2
    ours = ours[:, offset : offset + reference.shape[1]]
    assert np.corrcoef(ours.ravel(), reference.ravel())[0, 1] > 0.999
    assert np.abs(ours - reference).max() < 0.08 * reference.max()


Rmse = Callable[[np.ndarray, np.ndarray], float]


def _scanned_with_regions(
    layout: Layout = PINS_TOUCHING_BONE, size: int = SIZE
) -> tuple[np.ndarray, Rmse, np.ndarray, np.ndarray]:
    """The scanned slice, RMSE (HU) against the metal-free truth over a region, and the
    regions inside the body within 25 px of the metal (its 2-px rim left out) and beyond."""
    slice_hu = _scan(with_metal=True, noisy=True, layout=layout, size=size)
    truth = _scan(with_metal=False, noisy=False, layout=layout, size=size)
    water, bone, metal = _phantom(True, layout, size)
    body = (water + bone + metal) > 0
    distance = distance_transform_edt(metal == 0)
    near = body & (distance <= 25) & ~dilate(metal > 0, np.ones((5, 5), bool))
    far = body & (distance > 25)

    def rmse(image: np.ndarray, where: np.ndarray) -> float:
        return float(np.sqrt(np.mean((image - truth)[where] ** 2)))

    return slice_hu, rmse, near, far


def test_nmar_reduces_the_error_near_metal_beside_bone() -> None:
    slice_hu, rmse, near, far = _scanned_with_regions()
    metal = metal_pixels(slice_hu)
    corrected = normalized_mar(slice_hu, metal)
    # Measured: near the metal 99.8 -> 61.5 HU (0.62x; one NMAR pass 65.1, the LI-based prior
    # and wide trace of before: 207), far 34.0 -> 28.4. LI 66.4 near (the textbook LI, which
    # cannot keep the bone touching the metal, 200).
    assert rmse(corrected, near) < 0.8 * rmse(slice_hu, near)
    assert rmse(corrected, far) <= 1.02 * rmse(slice_hu, far)
    assert rmse(corrected, near) < rmse(linear_interpolation_mar(slice_hu, metal), near)


def test_li_sets_bone_aside_and_adds_no_error_far_from_the_metal() -> None:
    """Bone along the rays through the metal is interpolated away with the metal by the
    textbook LI, whose change then draws the bone's shadow across the slice; LI with the
    bone's projection set aside keeps it."""
    slice_hu, rmse, near, far = _scanned_with_regions()
    metal = metal_pixels(slice_hu)
    textbook = plain_linear_interpolation_mar(slice_hu, metal)
    assert rmse(textbook, far) > 1.2 * rmse(slice_hu, far)  # this phantom shows the fault
    corrected = linear_interpolation_mar(slice_hu, metal)
    # Measured: near the metal 99.8 uncorrected, textbook LI 200.3, LI 66.4; far 34.0,
    # 48.9, 29.6.
    assert rmse(corrected, near) < 0.8 * rmse(slice_hu, near)
    assert rmse(corrected, far) <= 1.02 * rmse(slice_hu, far)
    np.testing.assert_array_equal(corrected[metal], slice_hu[metal])  # metal put back


def test_nmar_removes_the_band_between_two_pieces_of_metal() -> None:
    """The dark band joining two steel balls lies across rays that miss the metal as well;
    one pass of NMAR completes only the rays through the metal and leaves part of it."""
    slice_hu, rmse, near, far = _scanned_with_regions(STEEL_BALLS)
    metal = metal_pixels(slice_hu)
    corrected = normalized_mar(slice_hu, metal)
    # Measured: near the metal 277.8 uncorrected, LI 144.0, one NMAR pass 137.8, two 120.2
    # (three 110.8); far 97.5, 76.4, 76.0, 70.1 (66.5).
    assert rmse(corrected, near) < 0.92 * rmse(normalized_mar(slice_hu, metal, passes=1), near)
    assert rmse(corrected, near) < 0.9 * rmse(linear_interpolation_mar(slice_hu, metal), near)
    assert rmse(corrected, far) < rmse(slice_hu, far)


def test_no_dark_rim_is_left_around_the_metal() -> None:
    """The partial-volume rim around the metal is corrected, not kept as reconstructed: no
    pixel of it in soft tissue stays below -200 HU (uncorrected: 5 % of the rim; the rim
    used to be kept as stored)."""
    slice_hu = _scan(with_metal=True, noisy=True)
    water = _phantom(True)[0]
    metal = metal_pixels(slice_hu)
    rim = grow_metal(metal) & ~metal & (water > 0.5)
    assert (slice_hu[rim] < -200).mean() > 0.02  # the scan does undershoot there
    corrected = normalized_mar(slice_hu, metal)
    assert (corrected[rim] < -200).sum() == 0


def test_learned_adds_no_error_far_from_the_metal_on_a_second_simulator() -> None:
    """Far from the metal the learned correction adds no error on a scan from another
    simulator, whole (the default) and kept along the metal's rays ("Keep texture").
    Measured: far 34.0 -> 33.0 HU (0.97x) whole and 30.5 (0.90x) kept; the networks trained on
    one fixed simulated scanner gave 46.7 (1.37x) whole: they had learned that scanner, and
    the scanners drawn at random for their fine-tune (ScanProtocol.random) fixed it. This
    round's fine-tune on more cases alone gave 36.2 (1.06x); the bundled weights lie 0.7 of the
    way to it (restorer.training.interpolate). With bone and the metal's rim from NMAR
    (restorer.tasks.mar.bone_share): 25.6 HU (0.75x) whole, 30.3 (0.89x) kept."""
    from restorer.core.image import Image, ImageMeta, Modality
    from restorer.engine.engine import Engine
    from restorer.tasks.mar import TASK, MarParams

    slice_hu, rmse, _near, far = _scanned_with_regions()
    image = Image(slice_hu, ImageMeta(modality=Modality.CT))
    engine = Engine()
    kept = engine.run_task(TASK, image, MarParams(method="learned", keep_texture=True)).pixels
    whole = engine.run_task(TASK, image, MarParams(method="learned")).pixels
    assert rmse(kept, far) <= 1.02 * rmse(slice_hu, far)
    assert rmse(whole, far) <= 1.02 * rmse(slice_hu, far)


def test_learned_keeps_bone_and_helps_near_metal_that_touches_it() -> None:
    """Bone comes from NMAR in the learned result (restorer.tasks.mar.bone_share), and so does
    the metal's partial-volume rim: the networks alone lowered dense bone (a skull of 2000 HU
    read 1600 on the second simulator) and, here, were worse than the uncorrected slice where
    titanium touches bone. Measured: near the metal 99.8 -> 65.7 HU (the networks alone
    120.4), in the bone rings far from it 52.2 -> 55.6 (the networks alone 190.6; NMAR's bone,
    restored with its partial-volume edges, is not quite the scan's)."""
    from restorer.core.image import Image, ImageMeta, Modality
    from restorer.engine.engine import Engine
    from restorer.tasks.mar import TASK, MarParams

    slice_hu, rmse, near, far = _scanned_with_regions()
    bone = _phantom(True)[1] > 0.5
    out = (
        Engine()
        .run_task(
            TASK, Image(slice_hu, ImageMeta(modality=Modality.CT)), MarParams(method="learned")
        )
        .pixels
    )
    assert rmse(out, near) < rmse(slice_hu, near)
    assert rmse(out, far & bone) <= 1.1 * rmse(slice_hu, far & bone)
    assert rmse(out, far) <= 1.02 * rmse(slice_hu, far)


def test_the_default_corrects_a_512_px_slice_on_its_own_grid() -> None:
    """A 512 px slice (the pins phantom on a twice finer grid) carries streaks finer than a
    256 pixel: the correction computed at 256 and enlarged (`full_resolution` off, the fast
    path) misses them, so the task's default computes it on the slice's own grid. Measured,
    near the metal: uncorrected 167.6 HU, NMAR 79.9 by default against 109.6 at 256 (learned
    88.5 against 139.4); far 58.2, 48.9 and 54.4."""
    from restorer.core.image import Image, ImageMeta, Modality
    from restorer.engine.engine import Engine
    from restorer.tasks.mar import TASK, MarParams

    slice_hu, rmse, near, far = _scanned_with_regions(size=512)
    image = Image(slice_hu, ImageMeta(modality=Modality.CT))
    engine = Engine()
    default = engine.run_task(TASK, image, MarParams(method="nmar")).pixels
    fast = engine.run_task(TASK, image, MarParams(method="nmar", full_resolution=False)).pixels
    assert rmse(default, near) < 0.8 * rmse(fast, near)
    assert rmse(default, near) < 0.6 * rmse(slice_hu, near)
    assert rmse(default, far) < rmse(fast, far) <= 1.02 * rmse(slice_hu, far)


def test_nmar_helps_next_to_electrodes_on_the_skin_of_a_512_px_slice() -> None:
    """The prior's air, made at 256 px and enlarged, drew the body's outline in steps a few
    detector bins off the scan's, and NMAR then drew bands along the skin from each
    electrode. Measured, near the metal: uncorrected 172.6 HU, NMAR 153.5 with the enlarged
    outline, 114.9 with the outline from the slice itself; LI 120.9. Far 77.0, 66.5, 63.8."""
    slice_hu, rmse, near, far = _scanned_with_regions(SKIN_ELECTRODES, size=512)
    metal = metal_pixels(slice_hu)
    corrected = normalized_mar(slice_hu, metal)
    assert rmse(corrected, near) < 0.75 * rmse(slice_hu, near)
    assert rmse(corrected, near) < rmse(linear_interpolation_mar(slice_hu, metal), near)
    assert rmse(corrected, far) <= 1.02 * rmse(slice_hu, far)


def test_learned_draws_no_band_along_the_skin_beside_electrodes() -> None:
    """The networks learned from implants inside the body; beside metal on the skin they
    blurred the body's outline into a bright band in the air along the skin, which the
    regions inside the body do not see. The learned result takes NMAR's values along the skin
    there (restorer.tasks.mar.skin_share). Measured, within 8 px of the skin on either side
    and 3-50 px from the metal: uncorrected 179.2 HU, NMAR 170.3, the networks' result 203.6,
    with NMAR along the skin 168.5; inside the body near the metal 172.6, 114.9, 70.8, 83.6."""
    from restorer.core.image import Image, ImageMeta, Modality
    from restorer.engine.engine import Engine
    from restorer.tasks.mar import TASK, MarParams

    size = 512
    slice_hu, rmse, near, _far = _scanned_with_regions(SKIN_ELECTRODES, size=size)
    water, bone, _ = _phantom(False, SKIN_ELECTRODES, size)
    body = (water + bone) > 0.5
    from_skin = np.where(body, distance_transform_edt(body), distance_transform_edt(~body))
    from_metal = distance_transform_edt(~metal_pixels(slice_hu))
    along_skin = (from_skin <= 8) & (from_metal > 2) & (from_metal <= 50)
    image = Image(slice_hu, ImageMeta(modality=Modality.CT))
    out = Engine().run_task(TASK, image, MarParams(method="learned")).pixels
    assert rmse(out, along_skin) < 0.97 * rmse(slice_hu, along_skin)
    assert rmse(out, near) < 0.6 * rmse(slice_hu, near)
