"""Bad situations from the adversarial probe (issue 20), generated here so that they stay fixed:
no traceback, no hang, no lost or replaced file."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Image, ImageMeta
from restorer.io import ImageReadError, ImageWriteError, read_image
from restorer.io.atomic import atomic_write_bytes, remove_stale_temporaries
from restorer.io.convert import float_to_integer
from tests.cli_helpers import restorer


def _no_traceback(result: object) -> None:
    assert "Traceback" not in result.stderr, result.stderr  # type: ignore[attr-defined]


def test_symlink_loop_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    result = restorer("denoise", tmp_path / "a.png", "-o", tmp_path / "out.png")
    assert result.returncode == 1 and "cannot read" in result.stderr
    _no_traceback(result)
    info = restorer("info", tmp_path / "a.png")
    assert info.returncode != 0
    _no_traceback(info)


def test_a_pipe_or_device_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageReadError, match="not a regular file"):
        read_image(fifo)  # would block for ever if it were opened
    result = restorer("info", "/dev/zero")
    assert result.returncode != 0 and "not a regular file" in result.stderr
    _no_traceback(result)


def test_an_output_folder_that_cannot_be_made_is_an_error(tmp_path: Path, samples: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = restorer(
        "denoise", samples / "camera.png", samples / "chelsea.png", "-o", blocker / "out"
    )
    assert result.returncode == 1 and "cannot create the output folder" in result.stderr
    _no_traceback(result)


def test_two_inputs_never_share_an_output_or_replace_each_other(
    tmp_path: Path, samples: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(samples / "chelsea_noisy.png", folder / "a.png")
    (folder / "a.jpg").write_bytes((samples / "chelsea_noisy.png").read_bytes())
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = restorer(
        "denoise", folder, "-o", folder, "--format", "png", "--overwrite", "--sigma", "10"
    )
    assert result.returncode == 2 and "would" in result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_interrupt_ends_with_130_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from restorer.cli import main as cli_main

    def interrupted(argv: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "_run", interrupted)
    assert cli_main.main(["info", "x"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_a_file_that_appears_while_writing_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes writing one name: the check before writing passes for both; the last
    step must still refuse the second."""
    target = tmp_path / "out.png"
    real_fsync = os.fsync

    def other_process_writes(fd: int) -> None:
        real_fsync(fd)
        target.write_bytes(b"the other result")

    monkeypatch.setattr(os, "fsync", other_process_writes)
    with pytest.raises(ImageWriteError, match="appeared while writing"):
        atomic_write_bytes(target, b"ours")
    assert target.read_bytes() == b"the other result"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary left


def test_replacing_keeps_the_mode_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "private.png"
    private.write_bytes(b"old")
    private.chmod(0o600)
    atomic_write_bytes(private, b"new", overwrite=True)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_bytes() == b"new"
    old_umask = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "fresh.png", b"x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "fresh.png").stat().st_mode) == 0o640


def test_temporaries_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    dead_pid = 2**22 + 12345  # above Linux's pid_max default: no such process
    stale = tmp_path / f".a.png.restorer-{dead_pid}-0123abcd.tmp"
    ours = tmp_path / f".b.png.restorer-{os.getpid()}-0123abcd.tmp"
    unrelated = tmp_path / ".c.png.tmp"
    for path in (stale, ours, unrelated):
        path.write_bytes(b"partial")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert ours.exists() and unrelated.exists() and not stale.exists()


@pytest.fixture
def damaged_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled models folder that the application uses instead; tests damage it."""
    import restorer.engine.engine as engine_module
    import restorer.models.registry as registry
    from restorer.resources import models_dir

    folder = tmp_path / "models"
    shutil.copytree(models_dir(), folder)
    monkeypatch.setattr(registry, "models_dir", lambda: folder)
    monkeypatch.setattr(engine_module, "models_dir", lambda: folder)
    registry.bundled_models.cache_clear()
    yield folder
    registry.bundled_models.cache_clear()


def _manifest_edit(folder: Path, edit: object) -> None:
    import json

    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def _without_sha(data: dict) -> None:
    next(m for m in data["models"] if m["id"] == "denoise-gray").pop("sha256")


def _removed(data: dict) -> None:
    data["models"] = [m for m in data["models"] if m["id"] != "denoise-gray"]


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("not json", "manifest"),
        (_without_sha, "has no sha256"),
        (_removed, "missing from the manifest"),
        # (root, who runs CI, reads any file whatever its mode: a folder in its place is the
        # file that cannot be read here)
        ("unreadable file", "is missing from"),
    ],
)
def test_a_damaged_model_installation_exits_3_with_one_line(
    damaged_models: Path,
    tmp_path: Path,
    samples: Path,
    capsys: pytest.CaptureFixture[str],
    damage: object,
    says: str,
) -> None:
    from restorer.cli.main import main

    if damage == "not json":
        (damaged_models / "manifest.json").write_text("{ not json")
    elif damage == "unreadable file":
        (damaged_models / "denoise-gray.safetensors").unlink()
        (damaged_models / "denoise-gray.safetensors").mkdir()  # open() fails on a folder
    else:
        _manifest_edit(damaged_models, damage)
    code = main(
        ["denoise", str(samples / "camera.png"), "-o", str(tmp_path / "out.png"), "--sigma", "10"]
    )
    err = capsys.readouterr().err
    assert code == 3, err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def _ct_bytes(samples: Path, edit: object = None) -> bytes:
    import io

    import pydicom

    ds = pydicom.dcmread(samples / "ct_small.dcm")
    if edit is not None:
        edit(ds)  # type: ignore[operator]
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def _with_slope_text(data: bytes, text: bytes) -> bytes:
    """The file with RescaleSlope's two-byte value replaced (pydicom refuses to write it)."""
    tag = data.find(b"\x28\x00\x53\x10DS\x02\x00")
    assert tag > 0
    return data[: tag + 8] + text + data[tag + 10 :]


def test_dicom_without_size_or_with_a_bad_rescale_is_refused_by_name(
    tmp_path: Path, samples: Path
) -> None:
    no_columns = tmp_path / "no_columns.dcm"
    no_columns.write_bytes(_ct_bytes(samples, lambda ds: delattr(ds, "Columns")))
    bad_slope = tmp_path / "bad_slope.dcm"
    bad_slope.write_bytes(_with_slope_text(_ct_bytes(samples), b"ab"))
    zero_slope = tmp_path / "zero_slope.dcm"
    zero_slope.write_bytes(_with_slope_text(_ct_bytes(samples), b"0 "))
    for path, says in (
        (no_columns, "Rows and Columns"),
        (bad_slope, "RescaleSlope is 'ab'"),
        (zero_slope, "RescaleSlope is 0"),
    ):
        with pytest.raises(ImageReadError, match=says):
            read_image(path)
    # In a folder batch the bad files are reported and the good one still processed.
    shutil.copy(samples / "ct_small.dcm", tmp_path / "good.dcm")
    result = restorer("info", no_columns)
    assert result.returncode != 0 and "Rows and Columns" in result.stderr
    _no_traceback(result)
    batch = restorer("denoise", tmp_path, "-o", tmp_path / "out", "--sigma", "5")
    assert batch.returncode == 1 and (tmp_path / "out" / "good.dcm").is_file()
    assert batch.stderr.count("error:") == 3
    _no_traceback(batch)


def test_intercept_without_slope_reads_and_writes_the_same_values(
    tmp_path: Path, samples: Path
) -> None:
    from restorer.io import write_image

    source = tmp_path / "no_slope.dcm"
    source.write_bytes(_ct_bytes(samples, lambda ds: delattr(ds, "RescaleSlope")))
    image = read_image(source)
    reference = read_image(samples / "ct_small.dcm")
    assert float(abs(image.pixels - reference.pixels).max()) == 0.0  # intercept applied
    write_image(image, tmp_path / "copy.dcm")
    assert float(abs(read_image(tmp_path / "copy.dcm").pixels - image.pixels).max()) == 0.0


def test_slices_of_one_series_stay_one_derived_series(tmp_path: Path, samples: Path) -> None:
    import pydicom

    from restorer.io import write_image

    series = tmp_path / "series"
    series.mkdir()
    for number in range(3):

        def slice_number(ds: object, n: int = number) -> None:
            ds.InstanceNumber = n + 1  # type: ignore[attr-defined]
            ds.SOPInstanceUID = pydicom.uid.generate_uid()  # type: ignore[attr-defined]

        (series / f"{number}.dcm").write_bytes(_ct_bytes(samples, slice_number))
    outputs = []
    for path in sorted(series.iterdir()):
        out = tmp_path / f"derived_{path.name}"
        write_image(read_image(path), out, task="denoise")
        outputs.append(pydicom.dcmread(out))
    source_uid = pydicom.dcmread(series / "0.dcm").SeriesInstanceUID
    uids = {ds.SeriesInstanceUID for ds in outputs}
    assert len(uids) == 1 and source_uid not in uids
    assert len({ds.SOPInstanceUID for ds in outputs}) == 3


def test_tiff_layouts_are_read_as_they_say_or_refused_by_name(tmp_path: Path) -> None:
    import tifffile

    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (3, 20), dtype=np.uint8)
    rgb = rng.integers(0, 256, (6, 4, 3), dtype=np.uint8)

    tifffile.imwrite(tmp_path / "white.tif", 255 - gray, photometric="miniswhite")
    np.testing.assert_array_equal(_u8(read_image(tmp_path / "white.tif").pixels), gray)

    palette = np.zeros((3, 256), np.uint16)
    palette[:, 1] = (65535, 0, 0)
    palette[:, 2] = (0, 257 * 128, 65535)
    indices = rng.integers(0, 3, (5, 7), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "palette.tif", indices, photometric="palette", colormap=palette)
    image = read_image(tmp_path / "palette.tif")
    expected = (palette.T[indices] // 257).astype(np.uint8)
    np.testing.assert_array_equal(_u8(image.pixels), expected)

    alpha = rng.integers(0, 256, (3, 20), dtype=np.uint8)
    tifffile.imwrite(
        tmp_path / "ga.tif",
        np.stack([gray, alpha], axis=2),
        photometric="minisblack",
        extrasamples=("unassalpha",),
    )
    image = read_image(tmp_path / "ga.tif")
    assert image.pixels.shape == (3, 20) and image.alpha is not None
    np.testing.assert_array_equal(_u8(image.alpha), alpha)

    tifffile.imwrite(
        tmp_path / "planar.tif", np.moveaxis(rgb, 2, 0), photometric="rgb", planarconfig="separate"
    )
    image = read_image(tmp_path / "planar.tif")
    assert image.alpha is None
    np.testing.assert_array_equal(_u8(image.pixels), rgb)

    tifffile.imwrite(tmp_path / "cmyk.tif", np.zeros((4, 4, 4), np.uint8), photometric="separated")
    tifffile.imwrite(
        tmp_path / "five.tif",
        np.zeros((4, 4, 5), np.uint8),
        photometric="minisblack",
        planarconfig="contig",
    )
    for name, says in (("cmyk.tif", "CMYK"), ("five.tif", "5-sample")):
        with pytest.raises(ImageReadError, match=says):
            read_image(tmp_path / name)


def _u8(pixels: np.ndarray) -> np.ndarray:
    return np.rint(pixels * 255).astype(np.uint8)


@pytest.mark.parametrize("shape", [(1, 3000), (3000, 1), (3000, 1, 3), (2, 1, 3)])
def test_thin_images_round_trip_as_png(tmp_path: Path, shape: tuple[int, ...]) -> None:
    from restorer.core.image import Image, ImageMeta
    from restorer.io import write_image

    pixels = np.random.default_rng(1).integers(0, 256, shape).astype(np.float32) / 255
    write_image(Image(pixels, ImageMeta(bit_depth=8)), tmp_path / "thin.png")
    np.testing.assert_array_equal(read_image(tmp_path / "thin.png").pixels, pixels)


def _jpeg_of(samples: Path) -> bytes:
    import io

    from PIL import Image as PILImage

    pixels = read_image(samples / "chelsea.png").pixels
    out = io.BytesIO()
    PILImage.fromarray(np.rint(pixels * 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_a_jpeg_cut_short_and_closed_again_is_refused(
    tmp_path: Path, samples: Path, fraction: float
) -> None:
    data = _jpeg_of(samples)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * fraction)] + b"\xff\xd9")
    with pytest.raises(ImageReadError, match="damaged or cut short"):
        read_image(cut)
    (tmp_path / "whole.jpg").write_bytes(data)
    assert read_image(tmp_path / "whole.jpg").pixels.shape == (300, 451, 3)


def test_a_tiny_jpeg_claiming_400_megapixels_is_refused(tmp_path: Path) -> None:
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("L", (8, 8), 128).save(out, "JPEG")
    data = bytearray(out.getvalue())  # a few hundred bytes
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (20000).to_bytes(2, "big") * 2  # height, width
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match="cannot hold"):
        read_image(bomb)


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_a_cut_jpeg_compressed_tiff_is_refused(
    tmp_path: Path, samples: Path, fraction: float
) -> None:
    import tifffile

    pixels = np.rint(read_image(samples / "chelsea.png").pixels * 255).astype(np.uint8)
    tifffile.imwrite(
        tmp_path / "whole.tif", pixels, photometric="rgb", compression="jpeg", rowsperstrip=16
    )
    data = (tmp_path / "whole.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ImageReadError):
        read_image(tmp_path / "cut.tif")


def test_a_cmyk_profile_does_not_follow_the_pixels_into_rgb(tmp_path: Path) -> None:
    import io

    from PIL import Image as PILImage

    from restorer.io import write_image

    cmyk_profile = bytes(16) + b"CMYK" + b"Lab " + bytes(108)
    out = io.BytesIO()
    PILImage.new("CMYK", (32, 16), (0, 128, 255, 0)).save(out, "JPEG", icc_profile=cmyk_profile)
    (tmp_path / "cmyk.jpg").write_bytes(out.getvalue())
    image = read_image(tmp_path / "cmyk.jpg")
    assert image.pixels.shape == (16, 32, 3) and image.meta.icc_profile is None
    write_image(image, tmp_path / "rgb.png")
    assert b"iCCP" not in (tmp_path / "rgb.png").read_bytes()
    rgb_profile = bytes(16) + b"RGB " + b"XYZ " + bytes(108)
    out = io.BytesIO()
    PILImage.new("RGB", (32, 16)).save(out, "JPEG", icc_profile=rgb_profile)
    (tmp_path / "rgb.jpg").write_bytes(out.getvalue())
    assert read_image(tmp_path / "rgb.jpg").meta.icc_profile == rgb_profile


def test_float_images_keep_their_range_type_and_non_finite_samples(
    tmp_path: Path, engine: object
) -> None:
    import tifffile

    from restorer.io import write_image
    from restorer.tasks.denoise import TASK as DENOISE
    from restorer.tasks.denoise import DenoiseParams
    from restorer.tasks.super_resolve import TASK as UPSCALE
    from restorer.tasks.super_resolve import SuperResolveParams as SRParams

    rng = np.random.default_rng(2)
    ramp = np.linspace(-0.5, 3.5, 64)[None, :, None] * np.ones((64, 1, 3))  # -0.5 … 3.5
    hdr = ramp + rng.normal(0, 0.05, (64, 64, 3))
    hdr[5, 7, 1] = np.nan
    hdr[40, 3, :] = np.inf
    tifffile.imwrite(tmp_path / "hdr.tif", hdr, photometric="rgb")
    image = read_image(tmp_path / "hdr.tif")
    assert image.meta.bit_depth == 64

    denoised = engine.run_task(DENOISE, image, DenoiseParams(sigma=5)).pixels  # type: ignore[attr-defined]
    finite = np.isfinite(hdr)
    assert denoised[finite].max() > 3.0 and denoised[finite].min() < -0.3  # not clipped
    np.testing.assert_array_equal(np.isfinite(denoised), finite)  # NaN and inf stay put

    enlarged = engine.run_task(UPSCALE, image, SRParams(scale=4)).pixels  # type: ignore[attr-defined]
    assert int((~np.isfinite(enlarged)).sum()) == 16 * int((~finite).sum())  # 4x4 each
    assert enlarged[np.isfinite(enlarged)].max() > 3.0

    write_image(image.with_pixels(denoised), tmp_path / "out.tif")
    assert tifffile.imread(tmp_path / "out.tif").dtype == np.float64


def test_info_gives_the_value_range_in_the_files_units(tmp_path: Path, samples: Path) -> None:
    result = restorer("info", samples / "camera.png")
    assert result.returncode == 0 and "(of 0 … 255)" in result.stdout


def test_files_of_several_frames_say_that_one_is_restored(tmp_path: Path, samples: Path) -> None:
    import tifffile
    from PIL import Image as PILImage

    frames = [PILImage.new("RGB", (24, 16), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])
    with tifffile.TiffWriter(tmp_path / "pages.tif") as tif:
        for index in range(3):
            tif.write(np.full((16, 24), index * 60, np.uint8))
    for name in ("anim.webp", "anim.png", "pages.tif"):
        result = restorer(
            "denoise", tmp_path / name, "-o", tmp_path / f"out_{name}", "--sigma", "5"
        )
        assert result.returncode == 0, result.stderr
        assert "holds 3 frames or pages; only the first is restored" in result.stderr, name
    single = restorer("denoise", samples / "camera.png", "-o", tmp_path / "c.png", "--sigma", "5")
    assert "only the first is restored" not in single.stderr


@pytest.mark.parametrize("source", ["scan.tif", "photo.jpg"])
def test_tiff_keeps_make_model_and_its_exif(tmp_path: Path, source: str) -> None:
    """Make and Model (IFD0) and the EXIF IFD (exposure, ISO, date taken) of a TIFF or JPEG
    source survive into a TIFF result, with the pixels bit-exact, and into a JPEG result."""
    import tifffile
    from PIL import Image as PILImage
    from PIL.TiffImagePlugin import IFDRational

    from restorer.io import write_image

    exif = PILImage.Exif()
    exif[271], exif[272] = "Canon", "EOS 5D Mark II"
    exif[0x8769] = {  # the EXIF IFD: DateTimeOriginal, ExposureTime, FNumber, ISO
        0x9003: "2019:06:01 12:00:00",
        0x829A: IFDRational(1, 125),
        0x829D: IFDRational(28, 10),
        0x8827: 1600,
    }
    pixels = np.random.default_rng(3).integers(0, 256, (16, 24, 3), np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / source, exif=exif.tobytes(), quality=95)
    image = read_image(tmp_path / source)

    write_image(image, tmp_path / "out.tif")
    with tifffile.TiffFile(tmp_path / "out.tif") as tif:
        page = tif.pages.first
        assert page.tags[271].value == "Canon" and page.tags[272].value == "EOS 5D Mark II"
        taken = page.tags[0x8769].value
        assert taken["DateTimeOriginal"] == "2019:06:01 12:00:00"
        assert taken["ExposureTime"] == (1, 125) and taken["ISOSpeedRatings"] == 1600
        assert np.array_equal(page.asarray(), float_to_integer(image.pixels, 8))
    with PILImage.open(tmp_path / "out.tif") as again:
        assert again.getexif().get_ifd(0x8769)[0x829D] == 2.8
    assert read_image(tmp_path / "out.tif").meta.exif is not None  # and on to the next save

    write_image(image, tmp_path / "out.jpg")
    with PILImage.open(tmp_path / "out.jpg") as jpeg:
        assert jpeg.getexif().get_ifd(0x8769).get(0x9003) == "2019:06:01 12:00:00"


def test_tiff_result_of_a_damaged_exif_block_is_written_without_it(tmp_path: Path) -> None:
    from restorer.io import write_image

    arr = np.full((8, 8), 128 / 255, np.float32)
    meta = ImageMeta(exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")  # IFD0 beyond the block
    write_image(Image(arr, meta), tmp_path / "out.tif")
    assert np.array_equal(read_image(tmp_path / "out.tif").pixels, arr)


def test_info_reads_only_the_headers_of_a_huge_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 32-megapixel black PNG compresses to a few hundred kilobytes; `info` must not
    decode it (a 400 MP one took 1.7 GB) to print its size."""
    import restorer.io.raster as raster
    from restorer.bench.memory import make_png_bomb
    from restorer.cli.info import run as run_info

    bomb = tmp_path / "bomb.png"
    make_png_bomb(bomb, 8000, 4000)

    def refuse(*args: object) -> None:
        raise AssertionError("info decoded the pixels")

    monkeypatch.setattr(raster, "read_raster", refuse)
    assert run_info(bomb) == 0
    printed = capsys.readouterr().out
    assert "8000 × 4000 (32.00 MP)" in printed and "not read" in printed


def test_headers_say_what_the_pixels_hold(tmp_path: Path) -> None:
    """What `info` prints for a large file comes from its header alone: 16-bit colour PNG
    (Pillow calls it 8-bit RGB), TIFF with alpha, float TIFF."""
    import imagecodecs
    import tifffile

    from restorer.io.header import read_header

    png = tmp_path / "deep.png"
    png.write_bytes(imagecodecs.png_encode(np.zeros((20, 30, 3), np.uint16)))
    header = read_header(png, "png")
    assert (header.width, header.height, header.bit_depth, header.samples) == (30, 20, 16, "RGB")
    rgba = tmp_path / "rgba.tif"
    tifffile.imwrite(rgba, np.zeros((20, 30, 4), np.uint16), photometric="rgb", extrasamples=[2])
    assert read_header(rgba, "tiff").samples == "RGB + alpha"
    floats = tmp_path / "float.tif"
    tifffile.imwrite(floats, np.zeros((20, 30), np.float32))
    header = read_header(floats, "tiff")
    assert header.floating and header.bit_depth == 32 and header.samples == "gray"
