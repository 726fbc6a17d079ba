"""Users' own models through spandrel: small randomly initialised networks of several
architectures, saved as users would have them, read, described and run by the engine's tiler
(and the command line), without running any code from the file."""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from restorer.core.image import Image
from restorer.core.progress import Cancelled, NullProgress
from restorer.engine.engine import Engine
from restorer.io import read_image, write_image
from restorer.io.model_library import LibraryEntry, ModelLibrary, ModelLibraryError
from restorer.models.spandrel_import import import_spandrel, normalize
from restorer.models.user_models import UserModelError, load_user_model
from restorer.tasks.user_model import (
    INPAINT,
    RESTORE,
    SUPER_RESOLVE,
    UserModelParams,
    WrongKindError,
)
from tests.cli_helpers import restorer
from tests.spandrel_helpers import save_models


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return save_models(tmp_path_factory.mktemp("user-models"))


@pytest.fixture(scope="module")
def exact_engine() -> Engine:
    return Engine("cpu", precision="float32")


def _photo(rng: np.random.Generator, h: int = 45, w: int = 61, gray: bool = False) -> Image:
    base = rng.random((h // 3 + 1, w // 3 + 1, 3), dtype=np.float32)
    smooth = np.kron(base, np.ones((3, 3, 1), np.float32))[:h, :w]
    pixels = smooth.mean(axis=2) if gray else smooth
    return Image(np.ascontiguousarray(pixels, np.float32))


@pytest.mark.parametrize(
    ("name", "kind", "architecture", "scale", "channels", "tiling"),
    [
        ("esrgan_x2.pth", "super_resolve", "ESRGAN", 2, 3, "supported"),
        ("compact_x4.safetensors", "super_resolve", "RealESRGAN Compact", 4, 3, "supported"),
        ("dncnn_gray.pth", "restore", "DnCNN", 1, 1, "supported"),
        ("nafnet.pth", "restore", "NAFNet", 1, 3, "supported"),
        ("swinir_x2.pth", "super_resolve", "SwinIR", 2, 3, "discouraged"),
        ("lama.pth", "inpaint", "LaMa", 1, 3, "supported"),
    ],
)
def test_architecture_scale_and_channels_are_detected(
    model_files: dict[str, Path],
    name: str,
    kind: str,
    architecture: str,
    scale: int,
    channels: int,
    tiling: str,
) -> None:
    model, network = load_user_model(model_files[name])
    assert (model.task, model.title, model.scale, model.channels) == (
        kind,
        architecture,
        scale,
        channels,
    )
    assert model.tiling == tiling
    assert model.is_user_model and not network.training
    assert model.inputs == (("image", "mask") if kind == "inpaint" else ("image",))


def _spandrel_output(path: Path, pixels: np.ndarray) -> np.ndarray:
    """The model run by spandrel itself on the whole image: the reference."""
    spandrel = import_spandrel()
    found = spandrel.ModelLoader().load_from_file(path)
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None]
    return found(x)[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("name", ["esrgan_x2.pth", "nafnet.pth", "swinir_x2.pth"])
def test_engine_runs_the_model_as_spandrel_does(
    model_files: dict[str, Path], exact_engine: Engine, rng: np.random.Generator, name: str
) -> None:
    image = _photo(rng)
    task = SUPER_RESOLVE if "_x" in name else RESTORE
    ours = exact_engine.run_task(task, image, UserModelParams(model_files[name])).pixels
    reference = _spandrel_output(model_files[name], image.pixels)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_tiles_join_without_seams(model_files: dict[str, Path], rng: np.random.Generator) -> None:
    # The compact network sees a few pixels around each one: the tiles' overlap covers it.
    image = _photo(rng, 150, 170)
    params = UserModelParams(model_files["compact_x4.safetensors"])
    whole = Engine("cpu", precision="float32").run_task(SUPER_RESOLVE, image, params).pixels
    tiled = Engine("cpu", precision="float32", tile=48).run_task(SUPER_RESOLVE, image, params)
    assert tiled.pixels.shape == (600, 680, 3)
    np.testing.assert_allclose(tiled.pixels, whole, atol=1e-5)


def test_gray_photo_through_an_rgb_model_and_colour_through_a_gray_one(
    model_files: dict[str, Path], exact_engine: Engine, rng: np.random.Generator
) -> None:
    gray = _photo(rng, gray=True)
    out = exact_engine.run_task(RESTORE, gray, UserModelParams(model_files["nafnet.pth"]))
    rgb_in = np.repeat(gray.pixels[:, :, None], 3, axis=2)
    expected = _spandrel_output(model_files["nafnet.pth"], rgb_in).mean(axis=2)
    assert out.pixels.ndim == 2
    np.testing.assert_allclose(out.pixels, expected, atol=2e-5)

    colour = _photo(rng)
    out = exact_engine.run_task(RESTORE, colour, UserModelParams(model_files["dncnn_gray.pth"]))
    for c in range(3):
        plane = _spandrel_output(model_files["dncnn_gray.pth"], colour.pixels[:, :, c : c + 1])
        np.testing.assert_allclose(out.pixels[:, :, c], plane[:, :, 0], atol=2e-5)


def test_alpha_is_enlarged_with_the_image(
    model_files: dict[str, Path], exact_engine: Engine, rng: np.random.Generator
) -> None:
    image = _photo(rng)
    alpha = np.zeros(image.pixels.shape[:2], np.float32)
    alpha[:, 30:] = 1.0
    out = exact_engine.run_task(
        SUPER_RESOLVE,
        replace(image, alpha=alpha),
        UserModelParams(model_files["esrgan_x2.pth"]),
    )
    assert out.alpha is not None and out.alpha.shape == (90, 122)
    assert out.alpha[:, :55].max() < 0.05 and out.alpha[:, 67:].min() > 0.95


def test_an_rgba_model_sees_the_alpha_and_gives_it_back(
    tmp_path: Path, exact_engine: Engine, rng: np.random.Generator
) -> None:
    import_spandrel()
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(1)
    path = tmp_path / "rgba_x2.pth"
    torch.save(ESRGAN(in_nc=4, out_nc=4, num_filters=8, num_blocks=1, scale=2).state_dict(), path)
    image = _photo(rng)
    alpha = np.linspace(0, 1, image.width, dtype=np.float32)[None, :].repeat(image.height, 0)
    out = exact_engine.run_task(SUPER_RESOLVE, replace(image, alpha=alpha), UserModelParams(path))
    reference = _spandrel_output(path, np.dstack([image.pixels, alpha]))
    assert out.alpha is not None
    np.testing.assert_allclose(out.pixels, reference[:, :, :3], atol=2e-5)
    np.testing.assert_allclose(out.alpha, reference[:, :, 3], atol=2e-5)
    # Without alpha the model gets an opaque one, and the result has none.
    opaque = exact_engine.run_task(SUPER_RESOLVE, image, UserModelParams(path))
    assert opaque.alpha is None and opaque.pixels.shape == (90, 122, 3)


def test_inpainting_model_changes_only_the_masked_pixels(
    model_files: dict[str, Path], exact_engine: Engine, rng: np.random.Generator
) -> None:
    image = _photo(rng, 64, 80)
    mask = np.zeros((64, 80), np.float32)
    mask[20:36, 30:52] = 1.0
    out = exact_engine.run_task(
        INPAINT, image, UserModelParams(model_files["lama.pth"], mask=mask)
    ).pixels
    outside = mask == 0
    assert np.array_equal(out[outside], image.pixels[outside])
    assert np.abs(out[~outside] - image.pixels[~outside]).mean() > 1e-3
    with pytest.raises(ValueError, match="paint the area"):
        exact_engine.run_task(INPAINT, image, UserModelParams(model_files["lama.pth"]))


def test_a_model_of_another_kind_is_refused_with_what_it_is(
    model_files: dict[str, Path], exact_engine: Engine, rng: np.random.Generator
) -> None:
    with pytest.raises(WrongKindError, match=r"×2 super-resolution model.*restorer upscale"):
        exact_engine.run_task(RESTORE, _photo(rng), UserModelParams(model_files["esrgan_x2.pth"]))


def test_cancel_stops_a_user_model_between_tiles(
    model_files: dict[str, Path], rng: np.random.Generator
) -> None:
    class CancelAfterFirstTile(NullProgress):
        def __init__(self) -> None:
            self.checks = 0

        def check_aborted(self) -> None:
            self.checks += 1
            if self.checks > 1:
                raise Cancelled

    progress = CancelAfterFirstTile()
    engine = Engine("cpu", tile=32)
    with pytest.raises(Cancelled):
        engine.run_task(
            SUPER_RESOLVE,
            _photo(rng, 128, 128),
            UserModelParams(model_files["esrgan_x2.pth"]),
            progress,
        )
    assert progress.checks == 2


def test_pickled_code_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):  # noqa: ANN204 - the classic pickle exploit shape
            return (Path.touch, (marker,))

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"params_ema": {"conv.weight": Payload()}}, f)
    with pytest.raises(UserModelError, match="not a plain weights file"):
        load_user_model(path)
    assert not marker.exists()


def test_unreadable_and_unknown_files_are_refused(tmp_path: Path) -> None:
    scripted = torch.jit.script(torch.nn.Conv2d(3, 3, 3))
    scripted.save(str(tmp_path / "scripted.pt"))
    (tmp_path / "noise.pth").write_bytes(np.random.default_rng(0).bytes(4096))
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "unknown.pth")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(UserModelError, match="not a plain weights file"):
        load_user_model(tmp_path / "scripted.pt")
    with pytest.raises(UserModelError, match="not a plain weights file"):
        load_user_model(tmp_path / "noise.pth")
    with pytest.raises(UserModelError, match="not one Restorer knows"):
        load_user_model(tmp_path / "unknown.pth")
    with pytest.raises(UserModelError, match="not a model file"):
        load_user_model(tmp_path / "photo.jpg")
    with pytest.raises(UserModelError, match="no such file"):
        load_user_model(tmp_path / "gone.pth")


def test_a_changed_model_file_is_read_again(
    model_files: dict[str, Path], tmp_path: Path, rng: np.random.Generator
) -> None:
    engine = Engine("cpu", precision="float32")
    path = tmp_path / "mine.pth"
    path.write_bytes(model_files["esrgan_x2.pth"].read_bytes())
    image = _photo(rng)
    first = engine.run_task(SUPER_RESOLVE, image, UserModelParams(path)).pixels
    path.write_bytes(model_files["swinir_x2.pth"].read_bytes())
    second = engine.run_task(SUPER_RESOLVE, image, UserModelParams(path)).pixels
    assert engine.user_model(path).title == "SwinIR"
    assert np.abs(first - second).mean() > 1e-3


def test_torchvision_stand_in_is_used_when_torchvision_cannot_load() -> None:
    x = torch.rand(1, 3, 4, 4)
    expected = (x - 0.5) / 0.5
    assert torch.allclose(normalize(x, [0.5] * 3, [0.5] * 3), expected)
    code = (
        "import sys; sys.modules['torchvision'] = None\n"
        "from restorer.models.spandrel_import import import_spandrel\n"
        "spandrel = import_spandrel()\n"
        "from spandrel.architectures.LaMa import LaMa\n"
        "print(type(sys.modules['torchvision']).__name__, len(spandrel.MAIN_REGISTRY))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    kind, count = done.stdout.split()
    assert kind == "module" and int(count) > 30


# The model library and the command line


def _entry(name: str) -> LibraryEntry:
    return LibraryEntry(name=name, file="", kind="super_resolve", architecture="ESRGAN", scale=2)


def test_library_keeps_copies_by_name(model_files: dict[str, Path], tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path / "library")
    entry = library.add(model_files["esrgan_x2.pth"], replace(_entry("Sharp 2x"), notes="mine"))
    copied = library.path_of(entry)
    assert copied.read_bytes() == model_files["esrgan_x2.pth"].read_bytes()
    assert ModelLibrary(tmp_path / "library").find("Sharp 2x") == entry
    assert library.resolve("Sharp 2x") == copied
    with pytest.raises(ModelLibraryError, match="already has a model named"):
        library.add(model_files["nafnet.pth"], _entry("Sharp 2x"))
    with pytest.raises(ModelLibraryError, match="already in the library as 'Sharp 2x'"):
        library.add(model_files["esrgan_x2.pth"], _entry("again"))
    library.remove("Sharp 2x")
    assert library.entries() == [] and not copied.exists()
    (tmp_path / "library" / "library.json").write_text("{not json")
    with pytest.raises(ModelLibraryError, match="unreadable"):
        library.entries()


def test_cli_runs_a_model_file_and_a_library_model(
    model_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: Path
) -> None:
    monkeypatch.setenv("RESTORER_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "in.png"
    photo = read_image(samples / "chelsea.png")
    small = photo.with_pixels(photo.pixels[:48, :64])
    write_image(small, source, bit_depth=16)

    done = restorer(
        "upscale", source, "-o", tmp_path / "x2.png", "--model", model_files["esrgan_x2.pth"]
    )
    assert done.returncode == 0, done.stderr
    out = read_image(tmp_path / "x2.png")
    assert (out.width, out.height, out.meta.bit_depth) == (128, 96, 16)

    done = restorer("models", "add", model_files["nafnet.pth"], "--name", "naf", "--notes", "t")
    assert done.returncode == 0, done.stderr
    assert "NAFNet restoration" in done.stdout
    listed = restorer("models", "list")
    assert "naf" in listed.stdout and "denoise-color" in listed.stdout

    done = restorer("denoise", source, "-o", tmp_path / "naf.png", "--model", "naf")
    assert done.returncode == 0, done.stderr
    assert read_image(tmp_path / "naf.png").pixels.shape == (48, 64, 3)

    wrong = restorer("denoise", source, "-o", tmp_path / "w.png", "--model", "naf2")
    assert wrong.returncode == 2 and "no such model file" in wrong.stderr
    wrong = restorer(
        "denoise", source, "-o", tmp_path / "w.png", "--model", model_files["esrgan_x2.pth"]
    )
    assert wrong.returncode == 2 and "super-resolution model" in wrong.stderr
    assert not (tmp_path / "w.png").exists()

    # The bundled choices of the upscaler's --model keep working beside files.
    done = restorer("upscale", source, "-o", tmp_path / "bundled.png", "--model", "clean")
    assert done.returncode == 0, done.stderr


def test_cli_inpaints_with_a_model_and_a_mask(
    model_files: dict[str, Path], tmp_path: Path, rng: np.random.Generator
) -> None:
    image = _photo(rng, 64, 80)
    mask = np.zeros((64, 80), np.float32)
    mask[10:30, 10:40] = 1.0
    write_image(image, tmp_path / "in.png", bit_depth=8)
    write_image(Image(mask), tmp_path / "mask.png", bit_depth=8)
    done = restorer(
        "inpaint",
        tmp_path / "in.png",
        "-o",
        tmp_path / "out.png",
        "--mask",
        tmp_path / "mask.png",
        "--model",
        model_files["lama.pth"],
    )
    assert done.returncode == 0, done.stderr
    before = read_image(tmp_path / "in.png").pixels
    after = read_image(tmp_path / "out.png").pixels
    assert np.array_equal(after[mask == 0], before[mask == 0])
    assert not np.array_equal(after[mask == 1], before[mask == 1])


def test_batch_job_runs_a_user_model(model_files: dict[str, Path], tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        write_image(_photo(rng, 24, 32), inputs / f"{i}.png", bit_depth=8)
    args = ("batch", "upscale", inputs, "-o", tmp_path / "out")
    done = restorer(*args, "--model", model_files["compact_x4.safetensors"])
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["0.png", "1.png", "2.png"]
    assert read_image(tmp_path / "out" / "0.png").pixels.shape == (96, 128, 3)
