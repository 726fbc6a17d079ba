"""The second CT simulator (restorer.bench.ct_simulator): independent of our own physics in
projector, geometry, spectrum and reconstruction, it is the test set no network trained on."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")

from restorer.bench.ct_simulator import Protocol, scan
from restorer.bench.mar import near_and_far
from restorer.physics.mar import metal_pixels, normalized_mar

SIZE = 128


def _body() -> np.ndarray:
    """An elliptic water body with a ring of bone, in HU."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    hu = np.where((x / 55) ** 2 + (y / 42) ** 2 <= 1, 30.0, -1000.0)
    ring = np.hypot(x + 15, y - 5)
    hu[(ring <= 12) & (ring > 8)] = 1200.0
    return hu.astype(np.float32)


def _steel_pins() -> dict[str, np.ndarray]:
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    pins = ((np.hypot(x - 20, y - 8) <= 3.5) | (np.hypot(x + 30, y + 14) <= 3)).astype(np.float32)
    return {"iron": pins}


@pytest.mark.parametrize("fan", [True, False])
def test_a_scan_without_metal_reads_water_as_water(fan: bool) -> None:
    protocol = Protocol(fan=fan, views=400, kvp=100.0, photons=1e6, kernel="ramp")
    result = scan(_body(), {}, protocol, 2.0, np.random.default_rng(0))
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    water = ((x / 45) ** 2 + (y / 32) ** 2 <= 1) & (np.hypot(x + 15, y - 5) > 16)
    assert abs(float(np.median(result.truth[water])) - 30.0) < 25.0
    assert abs(float(np.median(result.corrupted[water])) - 30.0) < 25.0


@pytest.mark.parametrize("fan", [True, False])
def test_nmar_helps_near_the_metal_on_the_second_simulator(fan: bool) -> None:
    protocol = Protocol(fan=fan, views=500, kvp=120.0, photons=5e5, kernel="shepp-logan")
    result = scan(_body(), _steel_pins(), protocol, 2.0, np.random.default_rng(1))
    near, far = near_and_far(result.metal, result.truth > -500)

    def rmse(image: np.ndarray, region: np.ndarray) -> float:
        return float(np.sqrt(np.mean((image - result.truth)[region] ** 2)))

    assert rmse(result.corrupted, near) > 60  # steel streaks the slice
    corrected = normalized_mar(result.corrupted, metal_pixels(result.corrupted))
    assert rmse(corrected, near) < 0.8 * rmse(result.corrupted, near)
    assert rmse(corrected, far) <= 1.02 * rmse(result.corrupted, far)


def test_skin_electrodes_sit_on_the_skin_of_the_front_half() -> None:
    """On the skin: not on the lungs' surface, which also borders the body's tissue (the
    benchmark's set (e) once put most of its electrodes there)."""
    from restorer.bench.ct_simulator import skin_electrodes
    from restorer.core.morphology import distance_inside

    chest = _body()
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    for side in (-1, 1):
        chest[((x - side * 25) / 18) ** 2 + (y / 28) ** 2 <= 1] = -800.0  # a lung
    body = _body() > -500  # the lungs are inside it
    outside = distance_inside(~body)  # px from the skin, outside the body
    for seed in range(8):
        metal = skin_electrodes(chest, 2.0, np.random.default_rng(seed))["iron"] > 0.5
        assert metal.any()
        assert not (metal & (distance_inside(body) > 1.5)).any()  # not inside the body
        assert outside[metal].max() <= (3.0 + 2 * 3.5) / 2.0 + 1  # lift + stud, in px
        rows = np.nonzero(metal)[0]
        assert rows.max() < (SIZE - 1) / 2 + 0.1 * SIZE + 4  # the front half and the sides


def test_without_scikit_image_the_benchmark_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """The desktop bundle leaves scikit-image out: `restorer bench mar` then stops with a
    message naming it, where the import inside scan() used to fail with a traceback."""
    import sys
    from pathlib import Path

    import restorer.bench
    from restorer.bench.mar import second_simulator_cases

    monkeypatch.delitem(sys.modules, "restorer.bench.ct_simulator")
    monkeypatch.delattr(restorer.bench, "ct_simulator")
    monkeypatch.setitem(sys.modules, "skimage.transform", None)
    with pytest.raises(SystemExit, match="needs scikit-image"):
        next(second_simulator_cases(Path(str(tmp_path)), 1))
