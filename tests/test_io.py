"""Images in and out: bit-exact round trips, metadata kept, atomic writes, clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image, ImageMeta
from restorer.io import ImageReadError, ImageWriteError, read_image, write_image
from restorer.io.convert import float_to_integer


def _raw(path: Path) -> np.ndarray:
    """Decoded samples straight from the file, independent of our reader."""
    import cv2

    if path.suffix in (".tif", ".tiff"):
        import tifffile

        return tifffile.imread(path)
    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr.ndim == 3:
        arr = np.concatenate([arr[:, :, 2::-1], arr[:, :, 3:]], axis=2)
    return arr


def _random_image(rng: np.random.Generator, depth: int, channels: int) -> np.ndarray:
    hi = 255 if depth == 8 else 65535
    shape = (37, 53) if channels == 1 else (37, 53, channels)
    return rng.integers(0, hi + 1, shape, dtype=np.uint16 if depth == 16 else np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_round_trip_is_bit_exact(
    tmp_path: Path, rng: np.random.Generator, suffix: str, depth: int, channels: int
) -> None:
    original = _random_image(rng, depth, channels)
    src = tmp_path / f"src{suffix}"
    if suffix == ".png":
        import cv2

        bgr = (
            original
            if channels == 1
            else np.concatenate([original[:, :, 2::-1], original[:, :, 3:]], axis=2)
        )
        assert cv2.imwrite(str(src), bgr)
    else:
        import tifffile

        tifffile.imwrite(
            src,
            original,
            photometric="minisblack" if channels == 1 else "rgb",
            extrasamples=("unassalpha",) if channels == 4 else None,
        )
    image = read_image(src)
    assert image.meta.bit_depth == depth
    assert image.channels == (1 if channels == 1 else 3)
    assert (image.alpha is not None) == (channels == 4)
    out = tmp_path / f"out{suffix}"
    write_image(image, out)
    np.testing.assert_array_equal(_raw(out), original)
    assert _raw(out).dtype == original.dtype


def test_icc_and_exif_survive_png_and_jpeg(tmp_path: Path, samples: Path) -> None:
    from PIL import Image as PILImage
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = PILImage.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW
    exif[0x010F] = "Restorer test camera"
    rgb = (np.random.default_rng(1).random((40, 60, 3)) * 255).astype(np.uint8)
    for fmt, suffix in (("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")):
        src = tmp_path / f"meta{suffix}"
        PILImage.fromarray(rgb).save(src, format=fmt, icc_profile=icc, exif=exif.tobytes())
        image = read_image(src)
        assert image.meta.icc_profile == icc
        assert image.meta.orientation == 6
        for out_suffix in (".png", ".jpg", ".webp"):
            out = tmp_path / f"out_{fmt}{out_suffix}"
            write_image(image, out)
            with PILImage.open(out) as written:
                assert written.info.get("icc_profile") == icc, (fmt, out_suffix)
                assert written.getexif()[0x0112] == 6
                assert written.getexif()[0x010F] == "Restorer test camera"


def test_icc_survives_tiff(tmp_path: Path) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pixels = np.random.default_rng(2).random((20, 30, 3)).astype(np.float32)
    image = Image(pixels, ImageMeta(format="tiff", bit_depth=16, icc_profile=icc, orientation=3))
    write_image(image, tmp_path / "a.tif")
    again = read_image(tmp_path / "a.tif")
    assert again.meta.icc_profile == icc
    assert again.meta.orientation == 3
    np.testing.assert_array_equal(float_to_integer(again.pixels, 16), float_to_integer(pixels, 16))


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_a_gray_map_of_a_colour_photo_does_not_carry_its_rgb_profile(
    tmp_path: Path, suffix: str
) -> None:
    """A mask or uncertainty map made from a colour photo keeps the photo's metadata: its RGB
    profile written with gray samples made an invalid PNG (libpng: "RGB color space not
    permitted on grayscale PNG"). (WebP stores gray as RGB, where the profile fits.)"""
    from PIL import Image as PILImage
    from PIL import ImageCms

    rgb_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = Image(np.full((16, 24, 3), 0.5, np.float32), ImageMeta(icc_profile=rgb_icc))
    gray = photo.with_pixels(np.linspace(0, 1, 16 * 24, dtype=np.float32).reshape(16, 24))
    write_image(gray, tmp_path / f"map{suffix}")
    with PILImage.open(tmp_path / f"map{suffix}") as written:
        assert written.mode == "L" and "icc_profile" not in written.info
    assert read_image(tmp_path / f"map{suffix}").meta.icc_profile is None
    write_image(photo, tmp_path / f"photo{suffix}")  # the photo itself keeps it
    assert read_image(tmp_path / f"photo{suffix}").meta.icc_profile == rgb_icc


def test_float_tiff_keeps_float(tmp_path: Path) -> None:
    import tifffile

    data = np.random.default_rng(3).normal(size=(16, 16)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f.tif", data)
    image = read_image(tmp_path / "f.tif")
    assert image.meta.bit_depth == 32
    write_image(image, tmp_path / "g.tif")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "g.tif"), data)


def test_half_float_tiff_is_read_and_written_back_as_32_bit_float(tmp_path: Path) -> None:
    """Half-float TIFF (what HDR editors write at 16 bits float): every value kept, the result
    in 32-bit float, which holds each half value exactly; `restorer info` says so."""
    import tifffile

    from restorer.cli.info import describe

    data = np.random.default_rng(4).normal(1.0, 2.0, size=(12, 20, 3)).astype(np.float16)
    tifffile.imwrite(tmp_path / "h.tif", data)
    image = read_image(tmp_path / "h.tif")
    assert image.meta.bit_depth == 32
    assert "16 (float; results are written as 32-bit float)" in dict(describe(image)).values()
    np.testing.assert_array_equal(image.pixels, data.astype(np.float32))
    write_image(image, tmp_path / "g.tif")
    back = tifffile.imread(tmp_path / "g.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back.astype(np.float16), data)


def test_alpha_passes_through_untouched(tmp_path: Path, rng: np.random.Generator) -> None:
    import cv2

    rgba = _random_image(rng, 8, 4)
    cv2.imwrite(str(tmp_path / "a.png"), np.concatenate([rgba[:, :, 2::-1], rgba[:, :, 3:]], 2))
    image = read_image(tmp_path / "a.png")
    changed = image.with_pixels(np.clip(image.pixels * 0.5, 0, 1))
    write_image(changed, tmp_path / "b.png")
    np.testing.assert_array_equal(_raw(tmp_path / "b.png")[:, :, 3], rgba[:, :, 3])


def test_existing_file_is_not_overwritten(tmp_path: Path, samples: Path) -> None:
    image = read_image(samples / "camera.png")
    target = tmp_path / "x.png"
    target.write_bytes(b"precious")
    with pytest.raises(ImageWriteError, match="already exists"):
        write_image(image, target)
    assert target.read_bytes() == b"precious"
    write_image(image, target, overwrite=True)
    assert read_image(target).pixels.shape == (512, 512)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary file left


def test_failed_write_leaves_original(
    tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = read_image(samples / "camera.png")
    target = tmp_path / "x.png"
    target.write_bytes(b"precious")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(ImageWriteError, match="No space left"):
        write_image(image, target, overwrite=True)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


@pytest.mark.parametrize("name", ["camera.png", "chelsea.png"])
def test_truncated_and_corrupt_files_are_refused(tmp_path: Path, samples: Path, name: str) -> None:
    data = (samples / name).read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match=r"truncated|corrupt"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(ImageReadError) as refused:
        read_image(tmp_path / "junk.png")
    # Said in words: Pillow's own message names a memory address ("<_io.BytesIO object at").
    assert "object at 0x" not in str(refused.value) and "junk.png" in str(refused.value)


@pytest.mark.parametrize("suffix", [".tif", ".webp", ".bmp"])
def test_damaged_files_get_one_clear_error_and_nothing_else(
    tmp_path: Path, samples: Path, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_image(read_image(samples / "chelsea.png"), tmp_path / f"a{suffix}")
    data = (tmp_path / f"a{suffix}").read_bytes()
    noise = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    for damaged in (data[: len(data) // 2], data[:40] + noise):
        (tmp_path / f"b{suffix}").write_bytes(damaged)
        with pytest.raises(ImageReadError, match=r"truncated|corrupt|not a readable"):
            read_image(tmp_path / f"b{suffix}")
    assert not caplog.records  # no library chatter beside the message


def test_truncated_jpeg_is_refused(tmp_path: Path, samples: Path) -> None:
    image = read_image(samples / "chelsea.png")
    write_image(image, tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "b.jpg").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "b.jpg")


def test_unsupported_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(ImageReadError, match="unsupported"):
        read_image(tmp_path / "a.txt")
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        read_image(tmp_path / "e.png")
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_huge_image_is_refused_before_decoding(
    tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("restorer.io.limits.MAX_PIXELS", 100_000)
    with pytest.raises(ImageReadError, match="megapixels"):
        read_image(samples / "camera.png")  # 262 144 pixels


def test_bmp_and_webp_read(tmp_path: Path, samples: Path) -> None:
    image = read_image(samples / "chelsea.png")
    for suffix in (".bmp", ".webp"):
        write_image(image, tmp_path / f"c{suffix}")
        again = read_image(tmp_path / f"c{suffix}")
        assert again.pixels.shape == image.pixels.shape
        assert np.abs(again.pixels - image.pixels).mean() < 0.02


def test_sixteen_bit_source_writes_sixteen_bit(tmp_path: Path) -> None:
    image = Image(
        np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64), ImageMeta(bit_depth=16)
    )
    write_image(image, tmp_path / "a.png")
    assert _raw(tmp_path / "a.png").dtype == np.uint16
    write_image(image, tmp_path / "b.png", bit_depth=8)
    assert _raw(tmp_path / "b.png").dtype == np.uint8


def test_pillow_metadata_reader_handles_large_dimensions() -> None:
    from restorer.io.metadata import read_raster_info

    buf = io.BytesIO()
    from PIL import Image as PILImage

    PILImage.new("L", (20000, 10000)).save(buf, format="PNG")  # beyond Pillow's bomb guard
    info = read_raster_info(buf.getvalue())
    assert (info.width, info.height) == (20000, 10000)


@pytest.mark.parametrize("depth", [8, 16])
def test_gray_with_alpha_stays_gray(tmp_path: Path, rng: np.random.Generator, depth: int) -> None:
    import imagecodecs

    gray, alpha = _random_image(rng, depth, 1), _random_image(rng, depth, 1)
    (tmp_path / "la.png").write_bytes(imagecodecs.png_encode(np.dstack([gray, alpha])))
    image = read_image(tmp_path / "la.png")
    assert image.channels == 1 and image.alpha is not None and image.meta.bit_depth == depth
    write_image(image, tmp_path / "again.png")
    raw = _raw(tmp_path / "again.png")  # decoders expand gray + alpha to four channels
    np.testing.assert_array_equal(raw[:, :, 0], gray)
    np.testing.assert_array_equal(raw[:, :, 3], alpha)
    assert read_image(tmp_path / "again.png").channels == 1


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_float_to_integer_rounds_the_exact_product(bit_depth: int) -> None:
    """Codes are rint(x * top) of the exact product, clipped: computed in float32, products
    within an ulp of a half code round the other way (a network's output lands there)."""
    top = 255.0 if bit_depth == 8 else 65535.0
    rng = np.random.default_rng(7)
    x = (rng.random((300, 700, 3)) * 1.2 - 0.1).astype(np.float32)
    halves = ((np.arange(x.shape[1]) + 0.5) / top).astype(np.float32)
    x[0] = np.stack([halves, np.nextafter(halves, 1), np.nextafter(halves, 0)], axis=1)
    expected = np.clip(np.rint(x.astype(np.float64) * top), 0, top)
    np.testing.assert_array_equal(float_to_integer(x, bit_depth), expected)


@pytest.mark.parametrize("depth", [8, 16])
def test_tiff_output_differences_rows_before_deflate(
    tmp_path: Path, samples: Path, depth: int
) -> None:
    """TIFF predictor 2 (horizontal differencing), read by libtiff and so by the usual
    viewers: half the size of plain deflate on a photo, and the same samples back through
    libtiff (Pillow) as through tifffile."""
    import tifffile
    from PIL import Image as PILImage

    photo = read_image(samples / "chelsea.png")
    out = tmp_path / "photo.tif"
    write_image(photo, out, bit_depth=depth)
    with tifffile.TiffFile(out) as tif:
        page = tif.pages[0]
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
        assert page.predictor == tifffile.PREDICTOR.HORIZONTAL
    expected = float_to_integer(photo.pixels, depth)
    assert np.array_equal(_raw(out), expected)
    if depth == 8:  # Pillow reads no 16-bit RGB
        with PILImage.open(out) as im:
            assert np.array_equal(np.asarray(im), expected)
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, expected, photometric="rgb", compression="zlib")
    assert out.stat().st_size < 0.8 * plain.stat().st_size
