"""The command line end to end, as a user runs it (a separate process each time)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from restorer.core.ops import psnr
from restorer.io import read_image, write_image
from tests.cli_helpers import restorer


def test_batch_goes_on_past_a_corrupt_file(tmp_path: Path, samples: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    clean = read_image(samples / "chelsea.png")
    rng = np.random.default_rng(0)
    noisy = clean.with_pixels(
        np.clip(clean.pixels + rng.normal(0, 20 / 255, clean.pixels.shape), 0, 1).astype(np.float32)
    )
    write_image(noisy, src / "a.png")
    write_image(noisy, src / "b.tif", bit_depth=16)
    data = (src / "a.png").read_bytes()
    (src / "c_truncated.png").write_bytes(data[: len(data) // 3])
    (src / "d.png").write_text("not an image")

    result = restorer("denoise", src, "-o", tmp_path / "out")
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert any("c_truncated.png" in e and "truncated" in e for e in errors)
    assert any("d.png" in e for e in errors)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.tif"]
    out_a = read_image(tmp_path / "out" / "a.png")
    assert psnr(clean.pixels, out_a.pixels) > psnr(clean.pixels, noisy.pixels) + 5
    assert read_image(tmp_path / "out" / "b.tif").meta.bit_depth == 16


def test_single_file_strength_and_no_silent_overwrite(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "chelsea_noisy.png", tmp_path / "noisy.png")
    out = tmp_path / "clean.png"
    first = restorer(
        "denoise",
        tmp_path / "noisy.png",
        "-o",
        out,
        "--sigma",
        "25",
        "--device",
        "cpu",
        "--tile",
        "256",
    )
    assert first.returncode == 0, first.stderr
    assert out.is_file()
    again = restorer("denoise", tmp_path / "noisy.png", "-o", out)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "noise level" not in again.stderr  # refused before restoring, not after
    original = (tmp_path / "noisy.png").read_bytes()
    onto_input = restorer("denoise", tmp_path / "noisy.png", "-o", tmp_path / "noisy.png")
    assert onto_input.returncode == 1 and "input file" in onto_input.stderr
    assert (tmp_path / "noisy.png").read_bytes() == original
    assert restorer("denoise", tmp_path / "noisy.png", "-o", out, "--overwrite").returncode == 0


def test_an_output_name_is_taken_as_the_user_means_it(tmp_path: Path, samples: Path) -> None:
    """An image name of a type Restorer cannot write is refused, not taken for a folder; a
    folder name with a dot is a folder, made if missing; a file in a missing folder is refused
    before the photo is restored."""
    source = tmp_path / "photo.png"
    image = read_image(samples / "chelsea_noisy.png")
    write_image(image.with_pixels(image.pixels[:64, :64]), source)
    gif = restorer("denoise", source, "-o", tmp_path / "photo.gif")
    assert gif.returncode == 2 and "photo.gif: unsupported output type" in gif.stderr
    assert not (tmp_path / "photo.gif").exists()
    dotted = restorer("denoise", source, "-o", tmp_path / "scans.2024")
    assert dotted.returncode == 0, dotted.stderr
    assert (tmp_path / "scans.2024" / "photo.png").is_file()
    missing = restorer("denoise", source, "-o", tmp_path / "nowhere" / "photo.png")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "noise level" not in missing.stderr  # refused before restoring


def test_recursive_restores_the_folders_below_and_never_its_own_results(
    tmp_path: Path, samples: Path
) -> None:
    """An output folder inside the input folder: a second run with -r must not take the first
    run's results for inputs."""
    scans = tmp_path / "scans"
    (scans / "1951").mkdir(parents=True)
    image = read_image(samples / "chelsea_noisy.png")
    small = image.with_pixels(image.pixels[:48, :64])
    write_image(small, scans / "top.png")
    write_image(small, scans / "1951" / "inner.png")
    out = scans / "restored"
    first = restorer("denoise", scans, "-o", out, "-r", "--sigma", "10")
    assert first.returncode == 0, first.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == [
        "1951/inner.png",
        "top.png",
    ]
    again = restorer("denoise", scans, "-o", out, "-r", "--sigma", "10", "--overwrite")
    assert again.returncode == 0, again.stderr
    assert "2 file(s)" in again.stderr
    assert not (out / "restored").exists()


def test_recursive_inpaint_takes_each_scans_mask_from_its_own_folder(
    tmp_path: Path, samples: Path
) -> None:
    """Two scans named alike in two folders, their masks filed the same way in a mask folder
    kept inside the archive: each scan is filled where its own mask says, and the masks are
    not taken for scans."""
    scans = tmp_path / "scans"
    photo = read_image(samples / "chelsea.png")
    holes = {"1951": np.s_[8:24, 6:22], "1952": np.s_[8:24, 40:56]}
    for year, hole in holes.items():
        (scans / year).mkdir(parents=True)
        (scans / "masks" / year).mkdir(parents=True)
        damaged = photo.pixels[:48, :64].copy()
        damaged[hole] = 1.0  # a white blot where the mask is
        write_image(photo.with_pixels(damaged), scans / year / "scan.png")
        mask = np.zeros((48, 64), np.float32)
        mask[hole] = 1.0
        write_image(photo.with_pixels(mask), scans / "masks" / year / "scan.png")
    # A scan at the top, its mask at the mask folder's top.
    write_image(photo.with_pixels(photo.pixels[:48, :64]), scans / "top.png")
    write_image(photo.with_pixels(np.eye(48, 64, dtype=np.float32)), scans / "masks" / "top.png")
    out = tmp_path / "out"
    flat = restorer("inpaint", scans, "--mask", scans / "masks", "-o", tmp_path / "flat")
    assert flat.returncode == 0, flat.stderr
    assert "1 file(s)" in flat.stderr
    note = next(line for line in flat.stderr.splitlines() if line.startswith("note:"))
    assert "2 subfolder(s)" in note and "1951" in note and "masks" not in note
    done = restorer("inpaint", scans, "-r", "--mask", scans / "masks", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "3 file(s)" in done.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "1951/scan.png",
        "1952/scan.png",
        "top.png",
    ]
    for year, hole in holes.items():
        before = read_image(scans / year / "scan.png").pixels
        after = read_image(out / year / "scan.png").pixels
        assert after[hole].mean() < 0.9  # its own blot was filled
        other = holes["1952" if year == "1951" else "1951"]
        np.testing.assert_array_equal(after[other], before[other])  # not the other's place
    # Masks in one flat folder: a single scan.png would serve both scans; refused up front.
    flat = tmp_path / "flat_masks"
    flat.mkdir()
    shutil.copy(scans / "masks" / "1951" / "scan.png", flat / "scan.png")
    shared = restorer("inpaint", scans, "-r", "--mask", flat, "-o", tmp_path / "shared")
    assert shared.returncode == 2, shared.stderr
    assert "would be the mask of both" in shared.stderr and "1952" in shared.stderr
    assert not (tmp_path / "shared").exists()


def test_bad_arguments_exit_non_zero(tmp_path: Path, samples: Path) -> None:
    result = restorer("denoise", samples / "camera.png", "-o", tmp_path / "x.png", "--sigma", "99")
    assert result.returncode == 2 and "at most 50" in result.stderr
    missing = restorer("denoise", tmp_path / "nothing.png", "-o", tmp_path / "x.png")
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_info_reports_what_was_read(samples: Path) -> None:
    photo = restorer("info", samples / "chelsea.png")
    assert photo.returncode == 0
    assert "451 × 300" in photo.stdout and "RGB" in photo.stdout and "bit depth" in photo.stdout
    ct = restorer("info", samples / "ct_small.dcm")
    assert ct.returncode == 0
    assert "CT" in ct.stdout and "HU range" in ct.stdout and "-1024" in ct.stdout


def test_info_into_a_closed_pipe_ends_quietly(samples: Path) -> None:
    # `restorer info FILE | head -1`: the reader is gone before anything is written.
    child = subprocess.Popen(
        [sys.executable, "-m", "restorer", "info", samples / "chelsea.png"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    errors = child.stderr.read().decode()
    assert child.wait(timeout=300) == 1
    assert errors == ""


def test_ct_dicom_in_dicom_out(tmp_path: Path, samples: Path) -> None:
    result = restorer("denoise", samples / "ct_small.dcm", "-o", tmp_path / "out.dcm")
    assert result.returncode == 0, result.stderr
    out = read_image(tmp_path / "out.dcm")
    assert out.is_ct and out.pixels.shape == (128, 128)


def test_selftest_passes_without_a_screen() -> None:
    result = restorer("--selftest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    assert "FAIL" not in result.stdout


WITHOUT_OPENCV = (
    "import sys; sys.modules['cv2'] = None; sys.argv[0] = 'restorer'; "
    "from restorer.cli.main import main; sys.exit(main())"
)


def restorer_without_opencv(*args: object) -> subprocess.CompletedProcess[str]:
    """The command line as the installed application has it: OpenCV is not bundled."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_OPENCV, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_application_runs_without_opencv(tmp_path: Path, samples: Path) -> None:
    result = restorer_without_opencv("--selftest")
    assert result.returncode == 0, result.stdout + result.stderr
    result = restorer_without_opencv(
        "inpaint", samples / "camera.png", "--auto-mask", "-o", tmp_path / "filled.png"
    )
    assert result.returncode == 0, result.stderr
    result = restorer_without_opencv("upscale", samples / "chelsea.png", "-o", tmp_path / "x2.png")
    assert result.returncode == 0, result.stderr
    result = restorer_without_opencv("bench", "inpaint", "--data", tmp_path)
    assert result.returncode == 2
    assert "needs cv2" in result.stderr and "Traceback" not in result.stderr


def test_bench_and_train_name_a_missing_data_folder(tmp_path: Path) -> None:
    for args in (("bench", "mar"), ("train", "denoise-gray", "--steps", "1")):
        result = restorer(*args, "--data", tmp_path / "nowhere")
        assert result.returncode == 2
        assert "no such data folder" in result.stderr and "Traceback" not in result.stderr


def test_bench_speed_refuses_a_data_folder_without_the_test_sets_before_timing(
    tmp_path: Path,
) -> None:
    # ../shared/data/test instead of ../shared/data: it used to time for a minute and a half,
    # then end in a FileNotFoundError traceback.
    result = restorer("bench", "speed", "--data", tmp_path)
    assert result.returncode == 2
    assert "laid out as ../shared/data" in result.stderr and "Traceback" not in result.stderr


def test_bench_mar_refuses_a_data_folder_without_syndeeplesion(tmp_path: Path) -> None:
    # It ended in KeyError: 'uncorrected' (a set without cases).
    result = restorer("bench", "mar", "--data", tmp_path)
    assert result.returncode == 2
    assert "ct/syndeeplesion_acdnet" in result.stderr and "Traceback" not in result.stderr


def test_jpeg_quality_is_chosen_on_the_command_line(tmp_path: Path, samples: Path) -> None:
    low, high = tmp_path / "q30.jpg", tmp_path / "q95.jpg"
    common = ("upscale", samples / "chelsea.png", "--scale", "2")
    assert restorer(*common, "-o", low, "--quality", "30").returncode == 0
    assert restorer(*common, "-o", high).returncode == 0  # the default, 95
    assert low.stat().st_size < 0.5 * high.stat().st_size
    refused = restorer(*common, "-o", tmp_path / "x.jpg", "--quality", "0")
    assert refused.returncode == 2 and not (tmp_path / "x.jpg").exists()


def test_mar_runs_at_full_resolution_unless_told_otherwise() -> None:
    """Full resolution is the CT task's default (the 256 path adds error on 512 px slices):
    the command line runs it without a flag, turns it off with --no-full-resolution, and its
    help says which is the default."""
    from restorer.cli.main import build_parser

    parser = build_parser("mar")
    assert parser.parse_args(["mar", "in.dcm", "-o", "out"]).full_resolution is True
    off = parser.parse_args(["mar", "in.dcm", "-o", "out", "--no-full-resolution"])
    assert off.full_resolution is False
    help_text = " ".join(restorer("mar", "--help").stdout.split())
    flag = help_text.index("--full-resolution, --no-full-resolution")
    assert "(default: on)" in help_text[flag : help_text.index("--device", flag)]
