"""The PNG encoder: files every decoder reads back bit-exactly, with libpng's filter choice
and a size no worse than libpng's own encoding."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from restorer.io import png_encoder
from restorer.io.png_encoder import DEFLATE_LEVEL, encode_png, filter_rows
from restorer.resources import samples_dir


def _structured(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Smooth gradients (Sub, Up, Paeth win there), flat runs (None) and noise, so that
    every filter is chosen somewhere and a wrong one shows in the decoded pixels."""
    top = 255 if dtype is np.uint8 else 65535
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.where(yy < h // 3, xx * 7, np.where(yy < 2 * h // 3, yy * 5 + xx * 3, 0)) % top
    values = base[:, :, None] if len(shape) == 3 else base
    values = values + rng.integers(0, 3, shape) * (yy >= 2 * h // 3).reshape(
        (h, w) + (1,) * (len(shape) - 2)
    )
    noisy_rows = rng.integers(0, top + 1, shape)
    values = np.where(
        (yy % 9 == 4).reshape(values.shape[:2] + (1,) * (len(shape) - 2)), noisy_rows, values
    )
    return np.clip(values, 0, top).astype(dtype)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, payload = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, kind
        chunks.append((kind, payload))
        at += 12 + length
    return chunks


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_every_colour_type_decodes_bit_exactly(
    rng: np.random.Generator, dtype: type, channels: int
) -> None:
    import imagecodecs
    from PIL import Image as PILImage

    shape = (61, 47) if channels == 1 else (61, 47, channels)
    samples = _structured(rng, shape, dtype)
    png = encode_png(samples)
    assert np.array_equal(imagecodecs.png_decode(png), samples)  # libpng
    if dtype is np.uint8 or channels == 1:  # Pillow reads no 16-bit colour
        decoded = np.asarray(PILImage.open(io.BytesIO(png)))
        assert np.array_equal(decoded.astype(samples.dtype), samples)


@pytest.mark.parametrize("shape", [(1, 1), (1, 3000, 3), (3000, 1), (2, 2, 4)])
def test_single_rows_columns_and_pixels(rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    import imagecodecs

    samples = rng.integers(0, 256, shape).astype(np.uint8)
    assert np.array_equal(imagecodecs.png_decode(encode_png(samples)), samples)


def test_filters_are_chosen_as_libpng_chooses_them(rng: np.random.Generator) -> None:
    """Each row gets the filter whose bytes, read as signed, have the smallest absolute sum
    (the first on ties): a row-by-row reference with Python integers agrees."""
    samples = _structured(rng, (40, 33, 3), np.uint8)
    rows = samples.reshape(40, -1)
    filtered = filter_rows(samples)
    bpp = 3
    for y in range(40):
        raw = [int(v) for v in rows[y]]
        above = [int(v) for v in rows[y - 1]] if y else [0] * len(raw)
        best = None
        for kind in range(5):
            out = []
            for i, x in enumerate(raw):
                a = raw[i - bpp] if i >= bpp else 0
                b = above[i]
                c = above[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                paeth = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                predicted = (0, a, b, (a + b) // 2, paeth)[kind]
                out.append((x - predicted) % 256)
            cost = sum(min(v, 256 - v) for v in out)
            if best is None or cost < best[0]:
                best = (cost, kind, out)
        assert best is not None
        assert filtered[y, 0] == best[1] and list(filtered[y, 1:]) == best[2], y
    assert set(filtered[:, 0]) == {0, 1, 2, 3, 4}  # the image exercises every filter


def test_large_images_split_their_data_into_checked_chunks(rng: np.random.Generator) -> None:
    import imagecodecs

    noise = rng.integers(0, 256, (800, 700, 3)).astype(np.uint8)  # ~1.7 MB compressed
    png = encode_png(noise)
    kinds = [kind for kind, _ in _chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert kinds.count(b"IDAT") == 2
    assert np.array_equal(imagecodecs.png_decode(png), noise)


def test_the_same_file_on_any_number_of_threads(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _structured(rng, (300, 90, 3), np.uint8)
    files = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("OMP_NUM_THREADS", threads)
        files.append(encode_png(samples))
    assert files[0] == files[1] == files[2]


@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "camera.png", "chelsea_noisy.png"])
def test_photos_are_no_larger_than_libpng_makes_them(name: str) -> None:
    """libdeflate at its level 2 against libpng with zlib at level 3 (the encoder used
    before): 0.97-0.99 the size here; unfiltered rows would make them 7-39 % larger."""
    import imagecodecs

    samples = imagecodecs.png_decode((samples_dir() / name).read_bytes())
    ours = len(encode_png(samples, level=DEFLATE_LEVEL))
    libpng = len(imagecodecs.png_encode(samples, level=3))
    assert ours <= 1.02 * libpng


def test_refuses_what_png_cannot_hold() -> None:
    with pytest.raises(ValueError, match="8- or 16-bit"):
        encode_png(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="1 to 4 channels"):
        encode_png(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        encode_png(np.zeros((0, 4), np.uint8))


def test_band_boundaries_do_not_change_the_file(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each band filters its first row against the last row of the band above."""
    samples = _structured(rng, (130, 40, 3), np.uint8)
    whole = encode_png(samples)
    monkeypatch.setattr(png_encoder, "BAND_ROWS", 7)
    assert encode_png(samples) == whole
