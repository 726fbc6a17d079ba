"""`restorer --selftest`: every bundled model loads, every task runs on a bundled sample, and
the results are better than their inputs. The smoke test for an installed or frozen build:
no screen, no network, no files outside the installation."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from restorer.core.image import Image
from restorer.core.ops import psnr
from restorer.core.progress import NullProgress

if TYPE_CHECKING:
    from restorer.models.descriptor import ModelDescriptor


def _check(name: str, fn: Callable[[], str]) -> bool:
    start = time.perf_counter()
    try:
        detail = fn()
    except Exception as exc:  # report every failure, then exit 1
        print(f"FAIL  {name}: {type(exc).__name__}: {exc}")
        return False
    print(f"ok    {name} ({time.perf_counter() - start:.1f} s){': ' + detail if detail else ''}")
    return True


@contextmanager
def _empty_model_cache() -> Iterator[Path]:
    """The model cache pointed at an empty temporary folder while the block runs (through
    the variable users and tests set, restorer.engine.openvino_runtime.CACHE_ENV)."""
    import os
    import tempfile

    from restorer.engine.openvino_runtime import CACHE_ENV

    previous = os.environ.get(CACHE_ENV)
    # OpenVINO may keep a converted model's weights mapped while its engine lives, and
    # Windows cannot delete a mapped file: a leftover folder in the temporary folder is not
    # a failure of the application.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as cache:
        os.environ[CACHE_ENV] = cache
        try:
            yield Path(cache)
        finally:
            if previous is None:
                os.environ.pop(CACHE_ENV, None)
            else:
                os.environ[CACHE_ENV] = previous


def _load_model(descriptor: ModelDescriptor) -> str:
    from restorer.models.loader import load_bundled
    from restorer.resources import models_dir

    load_bundled(descriptor, models_dir())
    return ""


def _languages() -> str:
    """The Chinese catalogue is installed and reads (a frozen build can miss a data file)."""
    from PySide6.QtCore import QTranslator

    from restorer.gui.i18n import TASKS_CONTEXT, translations_dir

    translator = QTranslator()
    path = translations_dir() / "restorer_zh_CN.qm"
    if not translator.load(str(path)):
        raise AssertionError(f"cannot load {path}")
    said = translator.translate(TASKS_CONTEXT, "Denoise")
    if said != "降噪":
        raise AssertionError(f"'Denoise' reads {said!r} in Chinese")
    return "Simplified Chinese"


def run() -> int:
    from restorer.engine.engine import Engine
    from restorer.io import read_image
    from restorer.models.registry import bundled_models
    from restorer.resources import samples_dir
    from restorer.tasks.registry import TASKS

    samples = samples_dir()
    engine = Engine("auto")
    print(f"Restorer self-test on {engine.device_name}; resources in {samples.parent}")
    results = []
    for descriptor in bundled_models():
        results.append(_check(f"model {descriptor.id}", partial(_load_model, descriptor)))

    clean = read_image(samples / "chelsea.png").pixels[:128, :128]
    noisy = read_image(samples / "chelsea_noisy.png").pixels[:128, :128]

    def denoise() -> str:
        task = next(t for t in TASKS if t.name == "denoise")
        out = engine.run_task(task, Image(noisy), task.default_params()).pixels
        gain = psnr(clean, out) - psnr(clean, noisy)
        if gain < 3:
            raise AssertionError(f"only {gain:.1f} dB better than the noisy input")
        return f"+{gain:.1f} dB"

    def inpaint() -> str:
        import dataclasses

        task = next(t for t in TASKS if t.name == "inpaint")
        mask = np.zeros(clean.shape[:2], np.float32)
        mask[60:68, 10:118] = 1
        params = dataclasses.replace(task.default_params(), mask=mask)
        out = engine.run_task(task, Image(clean), params).pixels
        if not np.array_equal(out[mask == 0], clean[mask == 0]):
            raise AssertionError("pixels outside the mask changed")
        return f"{psnr(clean, out, mask=mask > 0):.1f} dB in the hole"

    def defects() -> str:
        from restorer.tasks.inpaint import DETECT_TASK, DetectParams

        scratched = clean.copy()
        scratched[40:42, 10:118] = 1.0  # a white scratch across the sample
        found = engine.run_task(DETECT_TASK, Image(scratched), DetectParams()).pixels > 0.5
        marked = found[40:42, 10:118].mean()
        if marked < 0.8 or found.mean() > 0.1:
            raise AssertionError(f"{marked:.0%} of a scratch found, {found.mean():.1%} flagged")
        return f"{marked:.0%} of a drawn scratch found"

    def super_resolve() -> str:
        task = next(t for t in TASKS if t.name == "super_resolve")
        out = engine.run_task(task, Image(clean[::2, ::2].copy()), task.default_params()).pixels
        if out.shape != clean.shape or not np.isfinite(out).all():
            raise AssertionError(f"unexpected output {out.shape}")
        return f"{out.shape[1]}×{out.shape[0]}"

    def ct() -> str:
        task = next(t for t in TASKS if t.name == "denoise")
        image = read_image(samples / "ct_small.dcm")
        out = engine.run_task(task, image, task.default_params())
        return f"HU {out.pixels.min():.0f}…{out.pixels.max():.0f}"

    def mar() -> str:
        import dataclasses

        from restorer.core.image import ImageMeta, Modality

        task = next(t for t in TASKS if t.name == "mar")
        c = np.arange(96) - 47.5
        y, x = np.meshgrid(c, c, indexing="ij")
        hu = np.where(x**2 + y**2 < 40**2, 40.0, -1000.0).astype(np.float32)
        hu[44:50, 30:36] = 3500.0  # a metal pin
        image = Image(hu, ImageMeta(modality=Modality.CT))
        from restorer.tasks.mar import learned_available

        methods = ["nmar", "learned"] if learned_available(engine.has_model) else ["nmar"]
        for method in methods:
            params = dataclasses.replace(task.default_params(), method=method)
            out = engine.run_task(task, image, params).pixels
            if not np.isfinite(out).all() or out.shape != hu.shape:
                raise AssertionError(f"{method} returned an unusable slice")
        return f"{' and '.join(methods)} on a phantom with a metal pin"

    def jpeg() -> str:
        """A JPEG file at quality 15, read as the application reads it (its quality found in
        the file) and cleaned: measurably closer to the original."""
        import tempfile

        from restorer.io import write_image

        task = next(t for t in TASKS if t.name == "jpeg")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "web.jpg"
            write_image(Image(clean), path, quality=15)
            compressed = read_image(path)
        out = engine.run_task(task, compressed, task.default_params()).pixels
        gain = psnr(clean, out) - psnr(clean, compressed.pixels)
        if gain < 0.5:
            raise AssertionError(f"only {gain:.1f} dB better than the JPEG")
        return f"+{gain:.1f} dB at quality 15"

    def file_formats() -> str:
        """Every codec the application needs is present (a frozen build can miss one): 16-bit
        PNG with alpha, gray + alpha, JPEG, WebP, BMP, and TIFF as scanners write it (LZW,
        JPEG) and as we write it (deflate)."""
        import tempfile

        import tifffile

        from restorer.io import write_image

        rgba = Image(
            clean,
            alpha=np.linspace(0, 1, clean.size // 3, dtype=np.float32).reshape(clean.shape[:2]),
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name, image, depth in (
                ("rgba16.png", rgba, 16),
                ("gray_alpha.png", Image(clean[:, :, 0], alpha=rgba.alpha), 8),
                ("photo.jpg", Image(clean), 8),
                ("photo.webp", Image(clean), 8),
                ("photo.bmp", Image(clean), 8),
                ("photo.tif", Image(clean), 16),
            ):
                write_image(image, folder / name, bit_depth=depth)
                back = read_image(folder / name)
                if back.pixels.shape != image.pixels.shape or psnr(image.pixels, back.pixels) < 30:
                    raise AssertionError(f"{name} did not read back")
            u16 = (clean * 65535).astype(np.uint16)
            for compression in ("lzw", "jpeg"):
                data = u16 if compression == "lzw" else (clean * 255).astype(np.uint8)
                tifffile.imwrite(folder / f"{compression}.tif", data, compression=compression)
                if read_image(folder / f"{compression}.tif").pixels.shape != clean.shape:
                    raise AssertionError(f"{compression} TIFF did not read back")
        return "PNG, JPEG, WebP, BMP, TIFF (deflate, LZW, JPEG)"

    def cpu_runtime() -> str:
        """The bundled networks run on OpenVINO on the CPU (converted at first use): a
        fallback to PyTorch would pass every task check, so it is a failure here. Run on an
        empty cache, so that every step a user's launches take is exercised whatever the
        machine's own cache holds: converting (OpenVINO's PyTorch reader), reading the
        conversion back (its IR reader), compiling, and importing the compiled model."""
        import shutil

        if engine.device.type != "cpu":
            return f"not used on {engine.device_name}"
        said: list[str] = []

        class Recording(NullProgress):
            def message(self, text: str) -> None:
                said.append(text)

        photo = np.ascontiguousarray(clean[:, :, :3])
        with _empty_model_cache() as cache:
            expected = Engine("cpu").run_model("noise-map", photo, Recording())
            # A later launch imports the compiled model; one whose compiled form is gone
            # reads the conversion back (a bundle without OpenVINO's IR reader converted at
            # every launch, and could not read the int8 versions).
            for compiled_kept in (True, False):
                if not compiled_kept:
                    for folder in cache.rglob("compiled"):
                        shutil.rmtree(folder)
                before = len(said)
                again = Engine("cpu").run_model("noise-map", photo, Recording())
                if any("Preparing" in text for text in said[before:]):
                    raise AssertionError("the converted model was not read back")
                if not np.array_equal(again, expected):
                    raise AssertionError("a later launch gave another result")
            # The int8 versions some models ship (the default on the CPU) must load too: a
            # model whose int8 file is missing from the bundle would run, slower, in float.
            int8 = [d.id for d in bundled_models() if d.int8]
            fresh = Engine("cpu")
            for model_id in int8:
                fresh.openvino_model(model_id, Recording())
        fell_back = [text for text in said if "PyTorch" in text or "int8" in text]
        if fell_back:
            raise AssertionError("; ".join(fell_back))
        return f"{engine.device_name}; int8: {', '.join(int8) or 'none'}"

    def own_model() -> str:
        """A user's model file is read through spandrel (whose torchvision may be the
        stand-in: the bundle leaves torchvision out) and run by the engine: a small
        super-resolution network, made here with random weights."""
        import tempfile

        import torch

        from restorer.models.spandrel_import import import_spandrel
        from restorer.tasks.user_model import SUPER_RESOLVE, UserModelParams

        import_spandrel()
        from spandrel.architectures.Compact import Compact

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "compact_x2.pth"
            torch.save(Compact(num_feat=8, num_conv=2, upscale=2).state_dict(), path)
            out = engine.run_task(SUPER_RESOLVE, Image(clean), UserModelParams(path))
            title = engine.user_model(path).title
        if out.pixels.shape != (2 * clean.shape[0], 2 * clean.shape[1], 3):
            raise AssertionError(f"a x2 model gave {out.pixels.shape}")
        return f"{title} x2 read and run"

    checks = {
        "denoise": denoise,
        "jpeg": jpeg,
        "inpaint": inpaint,
        "super_resolve": super_resolve,
        "mar": mar,
    }
    for task in TASKS:
        check = checks.get(task.name)
        results.append(
            _check(f"task {task.name}", check)
            if check
            else _check(f"task {task.name}", lambda: "no self-test")
        )
    results.append(_check("CPU runtime", cpu_runtime))
    results.append(_check("scratch and dust detection", defects))
    results.append(_check("CT slice (DICOM)", ct))
    results.append(_check("file formats", file_formats))
    results.append(_check("your own models (spandrel)", own_model))
    # The window's modules (and the Qt libraries they load) are present; no screen is needed.
    results.append(
        _check(
            "window modules", lambda: (importlib.import_module("restorer.gui.main_window"), "")[1]
        )
    )
    results.append(_check("interface languages", _languages))
    failed = results.count(False)
    print("self-test passed" if not failed else f"self-test FAILED: {failed} check(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
