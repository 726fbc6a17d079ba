"""Inpainting: outside the mask untouched, better than Telea, defects found, CLI end to end."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from restorer.bench.inpaint import _opencv
from restorer.core.image import Image
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image, write_image
from restorer.physics.masks import benchmark_mask, scan_defects
from restorer.tasks.defects import contrast_defects
from restorer.tasks.inpaint import DETECT_TASK, TASK, DetectParams, InpaintParams, clusters
from tests.cli_helpers import restorer


def _medium_mask(shape: tuple[int, ...], seed: int = 3) -> np.ndarray:
    return benchmark_mask(shape[0], shape[1], "medium", np.random.default_rng(seed))


def test_pixels_outside_the_mask_are_bit_identical(engine: Engine, samples: Path) -> None:
    image = read_image(samples / "coffee.png")
    mask = _medium_mask(image.pixels.shape)
    out = engine.run_task(TASK, image, InpaintParams(mask=mask)).pixels
    outside = mask < 0.5
    np.testing.assert_array_equal(out[outside], image.pixels[outside])
    assert not np.array_equal(out[~outside], image.pixels[~outside])


def test_fill_beats_telea_on_a_real_photo(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "coffee.png").pixels
    mask = _medium_mask(clean.shape)
    hole = mask > 0.5
    damaged = np.where(hole[:, :, None], 0.0, clean).astype(np.float32)
    ours = engine.run_task(TASK, Image(damaged), InpaintParams(mask=mask)).pixels
    telea = _opencv(cv2.INPAINT_TELEA)(damaged, mask)
    assert psnr(clean, ours, mask=hole) > psnr(clean, telea, mask=hole)


def test_large_hole_is_filled_from_a_reduced_view(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "coffee.png").pixels
    mask = np.zeros(clean.shape[:2], np.float32)
    mask[100:300, 200:420] = 1.0  # 200 x 220 pixels: wider than the network fills directly
    ((_rows, _cols, scale),) = clusters(mask)
    assert scale > 1.5
    out = engine.run_task(TASK, Image(clean), InpaintParams(mask=mask)).pixels
    hole = mask > 0.5
    telea = _opencv(cv2.INPAINT_TELEA)(clean, mask)
    assert psnr(clean, out, mask=hole) > psnr(clean, telea, mask=hole) - 0.5
    np.testing.assert_array_equal(out[~hole], clean[~hole])


def test_gray_and_ct_images_work(engine: Engine, samples: Path) -> None:
    gray = read_image(samples / "camera.png")
    mask = _medium_mask(gray.pixels.shape, seed=5)
    out = engine.run_task(TASK, gray, InpaintParams(mask=mask))
    assert out.pixels.ndim == 2
    ct = read_image(samples / "ct_small.dcm")
    mask = np.zeros(ct.pixels.shape, np.float32)
    mask[60:66, 20:100] = 1
    out_ct = engine.run_task(TASK, ct, InpaintParams(mask=mask))
    assert out_ct.is_ct and np.abs(out_ct.pixels[mask > 0] - ct.pixels[mask > 0]).mean() < 200


def test_detector_finds_scratches_and_dust(engine: Engine, samples: Path) -> None:
    clean = read_image(samples / "coffee.png").pixels
    damaged, truth = scan_defects(clean, np.random.default_rng(11))
    true = truth > 0.5
    near = cv2.dilate(true.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0

    def scores(found: np.ndarray) -> tuple[float, float]:
        return (found & true).sum() / true.sum(), (found & near).sum() / found.sum()

    recall, precision = scores(
        engine.run_task(DETECT_TASK, Image(damaged), DetectParams()).pixels > 0.5
    )
    rule_recall, rule_precision = scores(contrast_defects(damaged) > 0.5)
    assert recall > 0.9 and recall > 1.5 * rule_recall
    # Since the old-print training (cracks in paper tones) the detector also marks the cup's
    # and saucer's bright rims: precision 0.55 and 2.3 % of the undamaged photo with one view
    # and a plain threshold; 0.70 and 1.0 % with four views and hysteresis. Guarded here.
    assert precision > 0.65 and precision > rule_precision
    flagged = engine.run_task(DETECT_TASK, Image(clean), DetectParams()).pixels
    assert flagged.mean() < 0.015


@pytest.mark.parametrize("seed", [21, 22])
def test_detector_finds_a_crack_network_on_a_photo(
    engine: Engine, samples: Path, seed: int
) -> None:
    """Craquelure and branching cracks in paper tones, as old prints show them, softened and
    compressed as a scan: recall at least 0.6 (the first detector, trained on drawn strokes,
    found none of a real cracked print), and little marked on the undamaged photo."""
    from restorer.physics.damage import PAPER_TONES, craquelure

    clean = read_image(samples / "chelsea.png").pixels
    rng = np.random.default_rng(seed)
    layer = np.zeros(clean.shape[:2], np.float32)
    craquelure(layer, rng)
    damaged = clean * (1 - layer[:, :, None]) + PAPER_TONES[seed % 2] * layer[:, :, None]
    damaged = cv2.GaussianBlur(damaged, (0, 0), 0.6)
    visible = (layer > 0.5) & (np.abs(damaged - clean).max(axis=2) > 0.06)
    found = engine.run_task(DETECT_TASK, Image(damaged), DetectParams()).pixels > 0.5
    assert found[visible].mean() >= 0.6, found[visible].mean()
    # The target is at most 0.5 % of a clean photograph: this one's whiskers (bright
    # thin lines) were 0.62 % marked with one view and a plain threshold, 0.31 % now.
    flagged = engine.run_task(DETECT_TASK, Image(clean), DetectParams()).pixels > 0.5
    assert flagged.mean() <= 0.005


# 3-px white lines: 0.54 found before the training generator drew exact widths, 0.95 now.
# 2-px: 0.86 with one view, 0.75 with the four views and hysteresis that halved the false
# alarms on clean photos (the network finds a 2-px white line well at one alignment to its
# downsampling grid only: 0.70 one pixel over with one view); noted on issue 18.
@pytest.mark.parametrize(("width", "floor"), [(1, 0.8), (2, 0.7), (3, 0.9)])
def test_detector_finds_straight_hard_edged_scratches(
    engine: Engine, samples: Path, width: int, floor: float
) -> None:
    # Film scratches run straight along the transport; a detector whose training never drew
    # a 2-px line (OpenCV draws thickness 2 as 3 px) found 61 % of a white one here.
    clean = read_image(samples / "coffee.png").pixels
    h, w = clean.shape[:2]
    for value in (1.0, 0.0):
        damaged = clean.copy()
        line = np.zeros((h, w), bool)
        line[20 : h - 20, w // 3 : w // 3 + width] = True
        line[h // 2 : h // 2 + width, 20 : w - 20] = True
        damaged[line] = value
        # Only where the line shows: a white line over the white cup is not there to find.
        visible = line & (np.abs(damaged - clean).max(axis=2) > 0.2)
        found = engine.run_task(DETECT_TASK, Image(damaged), DetectParams()).pixels > 0.5
        assert found[visible].mean() > floor, (value, found[visible].mean())


def test_cli_with_mask_file_and_auto_mask(tmp_path: Path, samples: Path) -> None:
    image = read_image(samples / "coffee.png")
    mask = _medium_mask(image.pixels.shape)
    write_image(Image(mask), tmp_path / "mask.png")
    result = restorer(
        "inpaint",
        samples / "coffee.png",
        "--mask",
        tmp_path / "mask.png",
        "-o",
        tmp_path / "out.png",
    )
    assert result.returncode == 0, result.stderr
    out = read_image(tmp_path / "out.png").pixels
    outside = mask < 0.5
    np.testing.assert_array_equal(out[outside], image.pixels[outside])
    damaged, _ = scan_defects(image.pixels, np.random.default_rng(4))
    write_image(image.with_pixels(damaged), tmp_path / "scan.png")
    auto = restorer("inpaint", tmp_path / "scan.png", "--auto-mask", "-o", tmp_path / "fixed.png")
    assert auto.returncode == 0, auto.stderr
    no_mask = restorer("inpaint", samples / "coffee.png", "-o", tmp_path / "x.png")
    assert no_mask.returncode == 2 and "--mask" in no_mask.stderr


def test_cli_proposes_a_mask_to_edit_before_filling(tmp_path: Path, samples: Path) -> None:
    # An archivist's batch: masks for a folder of JPEG scans, checked and edited, then used.
    image = read_image(samples / "coffee.png")
    damaged, truth = scan_defects(image.pixels, np.random.default_rng(4))
    scans = tmp_path / "scans"
    scans.mkdir()
    write_image(image.with_pixels(damaged), scans / "scan.jpg")
    found = restorer("detect-defects", scans, "-o", tmp_path / "masks")
    assert found.returncode == 0, found.stderr
    mask_file = tmp_path / "masks" / "scan.png"  # PNG, whatever the input's format
    mask = read_image(mask_file).pixels
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert (mask[truth > 0.5] > 0.5).mean() > 0.8
    mask[:10] = 1.0  # the user's edit
    write_image(Image(mask), mask_file, overwrite=True)
    filled = restorer("inpaint", scans, "--mask", tmp_path / "masks", "-o", tmp_path / "out")
    assert filled.returncode == 0, filled.stderr
    assert (tmp_path / "out" / "scan.jpg").is_file()


def test_detect_defects_warns_when_the_proposal_is_too_large_to_be_damage(
    tmp_path: Path, samples: Path
) -> None:
    # A frame crossed by hundreds of thin bright lines (like fur or grass) is not a scratched
    # photograph: the user is told to check before filling. A real scan with a few defects is not.
    rng = np.random.default_rng(0)
    image = np.full((256, 256), 0.3, np.float32)
    for _ in range(400):
        y, x = rng.uniform(0, 256, 2)
        angle = rng.uniform(0, np.pi)
        t = np.linspace(0, 25, 60)
        ys = np.clip(y + t * np.sin(angle), 0, 255).astype(int)
        xs = np.clip(x + t * np.cos(angle), 0, 255).astype(int)
        image[ys, xs] = 0.95
    write_image(Image(image), tmp_path / "lines.png")
    crowded = restorer("detect-defects", tmp_path / "lines.png", "-o", tmp_path / "m1")
    assert crowded.returncode == 0, crowded.stderr
    assert "damage seldom covers this much" in crowded.stderr

    damaged, _ = scan_defects(read_image(samples / "coffee.png").pixels, np.random.default_rng(4))
    write_image(Image(damaged), tmp_path / "scan.png")
    scan = restorer("detect-defects", tmp_path / "scan.png", "-o", tmp_path / "m2")
    assert scan.returncode == 0, scan.stderr
    assert "Marked" in scan.stderr and "seldom" not in scan.stderr


def test_the_mask_input_is_declared_by_the_task() -> None:
    """Front ends ask the task's MaskInput whether a mask is needed, how to hand it over and
    what the Detect button runs, instead of naming the task's fields."""
    mask_input = TASK.mask_input
    assert mask_input is not None and mask_input.detection is not None
    assert TASK.needs_user_mask(InpaintParams())
    assert not TASK.needs_user_mask(InpaintParams(auto_mask=True))
    given = mask_input.given(InpaintParams(), np.ones((4, 5), bool))
    assert given.mask.dtype == np.float32 and given.mask.shape == (4, 5)
    task, params = mask_input.detection(InpaintParams(sensitivity=1.5))
    assert task is DETECT_TASK and params == DetectParams(1.5)
    assert not DETECT_TASK.needs_user_mask(DetectParams())
