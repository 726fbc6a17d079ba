"""JPEG-artifact removal as users run it: the quality read from the file, the bundled network
against the compressed input and the classical deblocking filter, gray, CT, command line."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from restorer.bench.jpeg import deblock
from restorer.cli.main import main
from restorer.core.image import JPEG_QUALITY_KEY, Image, ImageMeta, Modality
from restorer.core.jpeg_quality import artifact_level, estimate_quality, ijg_scale
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.tasks.jpeg import TASK, JpegParams


def _saved(pixels: np.ndarray, quality: int, path: Path) -> Path:
    u8 = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    PILImage.fromarray(u8).save(buffer, "JPEG", quality=quality)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("quality", [8, 15, 30, 50, 75, 92])
def test_the_quality_is_read_from_the_file(samples: Path, tmp_path: Path, quality: int) -> None:
    original = read_image(samples / "coffee.png").pixels
    image = read_image(_saved(original, quality, tmp_path / "q.jpg"))
    assert image.meta.extra[JPEG_QUALITY_KEY] == quality
    assert JPEG_QUALITY_KEY not in read_image(samples / "coffee.png").meta.extra


def test_quality_estimate_and_level_follow_the_ijg_scale() -> None:
    from restorer.core.jpeg_quality import STANDARD_LUMA

    for quality in range(2, 100):
        table = np.clip(np.floor((STANDARD_LUMA * ijg_scale(quality) + 50) / 100), 1, 255)
        assert abs(estimate_quality(table) - quality) <= 1
    levels = [artifact_level(q) for q in range(5, 100, 5)]
    assert all(a > b for a, b in itertools.pairwise(levels))


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png"])
def test_artifacts_are_removed_better_than_by_the_deblocking_filter(
    engine: Engine, samples: Path, tmp_path: Path, name: str
) -> None:
    original = read_image(samples / name).pixels
    for quality in (15, 30):
        jpeg = read_image(_saved(original, quality, tmp_path / f"{quality}.jpg"))
        out = engine.run_task(TASK, jpeg, JpegParams())
        assert out.meta.extra["estimated"] == {"source_quality": quality}
        before = psnr(original, jpeg.pixels)
        baseline = psnr(original, deblock(jpeg.pixels, quality))
        assert baseline > before  # the classical filter helps a little
        assert psnr(original, out.pixels) > max(before + 0.5, baseline)


def test_gray_photos_and_a_given_quality(engine: Engine, samples: Path, tmp_path: Path) -> None:
    original = read_image(samples / "camera.png").pixels
    jpeg = read_image(_saved(original, 20, tmp_path / "gray.jpg"))
    assert jpeg.pixels.ndim == 2
    out = engine.run_task(TASK, jpeg, JpegParams())
    assert out.pixels.shape == original.shape
    assert psnr(original, out.pixels) > psnr(original, jpeg.pixels) + 0.3
    # A lower quality than the file's cleans harder: the result moves further from the input.
    harder = engine.run_task(TASK, jpeg, JpegParams(source_quality=10)).pixels
    assert np.abs(harder - jpeg.pixels).mean() > np.abs(out.pixels - jpeg.pixels).mean()


def test_ct_is_refused(engine: Engine) -> None:
    ct = Image(np.zeros((32, 32), np.float32), ImageMeta(modality=Modality.CT))
    with pytest.raises(ValueError, match="photographs"):
        engine.run_task(TASK, ct, JpegParams())


def test_the_command_line_restores_a_jpeg(samples: Path, tmp_path: Path) -> None:
    original = read_image(samples / "chelsea.png").pixels
    source = _saved(original, 20, tmp_path / "web.jpg")
    assert main(["jpeg", str(source), "-o", str(tmp_path / "clean.png")]) == 0
    assert main(["jpeg", str(source), "-o", str(tmp_path / "q.png"), "--source-quality", "10"]) == 0
    restored = read_image(tmp_path / "clean.png").pixels
    assert psnr(original, restored) > psnr(original, read_image(source).pixels) + 0.5
