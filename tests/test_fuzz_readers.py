"""Every reader against a seeded corpus of damaged files: truncations and bit flips of valid
PNG, JPEG, BMP, WebP, TIFF and DICOM files (341 cases). Each must either read as a sound
image or fail with ImageReadError, the message the front ends show; never another exception,
a hang, or pixels of the wrong shape or type. A file cut short is always refused: decoders
fill what is missing with grey or black, a silently wrong image."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image
from restorer.io import ImageReadError, read_image

SEED = 20261129
TRUNCATIONS = (0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99)
FLIPS_PER_FILE = 24


def _pillow(fmt: str, mode: str, **kwargs: object) -> Callable[[np.ndarray], bytes]:
    def encode(rgb: np.ndarray) -> bytes:
        from PIL import Image as PILImage

        image = PILImage.fromarray(rgb).convert(mode)
        out = io.BytesIO()
        image.save(out, fmt, **kwargs)
        return out.getvalue()

    return encode


def _png16(rgb: np.ndarray) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.png_encode(rgb.astype(np.uint16) * 257))


def _tiff(**kwargs: object) -> Callable[[np.ndarray], bytes]:
    def encode(rgb: np.ndarray) -> bytes:
        import tifffile

        out = io.BytesIO()
        tifffile.imwrite(out, rgb, photometric="rgb", **kwargs)
        return out.getvalue()

    return encode


def _dicom(_rgb: np.ndarray) -> bytes:
    return (Path(__file__).parent.parent / "resources/samples/ct_small.dcm").read_bytes()


ENCODERS: dict[str, tuple[str, Callable[[np.ndarray], bytes]]] = {
    "png8": (".png", _pillow("PNG", "RGB")),
    "png_gray_alpha": (".png", _pillow("PNG", "LA")),
    "png16": (".png", _png16),
    "jpeg": (".jpg", _pillow("JPEG", "RGB", quality=85)),
    "jpeg_progressive": (".jpg", _pillow("JPEG", "RGB", quality=85, progressive=True)),
    "bmp": (".bmp", _pillow("BMP", "RGB")),
    "webp": (".webp", _pillow("WEBP", "RGB", quality=80)),
    "tiff_zlib": (".tif", _tiff(compression="zlib")),
    "tiff_jpeg": (".tif", _tiff(compression="jpeg", rowsperstrip=8)),
    "tiff_raw": (".tif", _tiff()),
    "dicom": (".dcm", _dicom),
}


def _corpus() -> list[tuple[str, int, str, bytes]]:
    """(name, case number, suffix, bytes): each valid file, cut short and with single flips."""
    rng = np.random.default_rng(SEED)
    rgb = (rng.random((24, 40, 3)) * 255).astype(np.uint8)
    rgb[:, :20] = rgb[:, :20] // 4  # some structure for the codecs
    cases = []
    for name, (suffix, encode) in ENCODERS.items():
        data = encode(rgb)
        for number, fraction in enumerate(TRUNCATIONS):
            cases.append((name, number, suffix, data[: max(1, int(len(data) * fraction))]))
        for number in range(FLIPS_PER_FILE):
            damaged = bytearray(data)
            # Half of the flips land in the first 256 bytes, where the headers are.
            limit = min(len(data), 256) if number % 2 else len(data)
            position = int(rng.integers(0, limit))
            damaged[position] ^= 1 << int(rng.integers(0, 8))
            cases.append((name, len(TRUNCATIONS) + number, suffix, bytes(damaged)))
    return cases


CORPUS = _corpus()


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 300


@pytest.mark.parametrize(
    ("name", "number", "suffix", "data"),
    CORPUS,
    ids=[f"{name}-{number}" for name, number, _, _ in CORPUS],
)
def test_a_damaged_file_reads_soundly_or_fails_with_a_message(
    tmp_path: Path, name: str, number: int, suffix: str, data: bytes
) -> None:
    path = tmp_path / f"case{suffix}"
    path.write_bytes(data)
    try:
        image = read_image(path)
    except ImageReadError as exc:
        assert str(exc), "an error must say what is wrong"
        return
    assert number >= len(TRUNCATIONS), "a truncated file was read as if it were whole"
    assert isinstance(image, Image)
    assert image.pixels.dtype == np.float32 and image.pixels.ndim in (2, 3)
    assert image.width > 0 and image.height > 0
    if not image.is_ct:
        assert np.isfinite(image.pixels).all()
