"""Int8 versions of bundled models for the CPU runtime (OpenVINO), made with NNCF and kept only
where they are measured harmless.

    pip install -e ".[quantize]"
    python build_scripts/quantize_int8.py --data ../shared/data --models sr-x2 denoise-color

For each model: post-training quantisation calibrated on what the network sees when its task
runs on training images (the engine's own tiles, captured), then NNCF's accuracy control
puts operations back in floating point, most harmful first, until the task's PSNR on a
validation set of other training images is within --max-drop dB of the float model. The
result is written beside the weights (`<id>.int8.xml` / `.bin`, OpenVINO IR) and recorded in
the model's manifest entry under "int8" with both files' sha256, the weights it was made
from, the operations left in floating point and how it was made. The test sets are not
touched here: `restorer bench upscale` / `denoise` / `speed` measure the result, and the model
card's int8 metrics come from them. A model whose int8 version is not kept (too slow, too
lossy) gets no entry: `--remove` takes one out.

Nothing here runs in the application: NNCF is a build dependency only.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from restorer.bench.upscale import downscale  # noqa: E402
from restorer.core.checksum import file_sha256  # noqa: E402
from restorer.core.image import Image  # noqa: E402
from restorer.core.ops import psnr, rgb_to_y  # noqa: E402
from restorer.engine.engine import Engine  # noqa: E402
from restorer.engine.openvino_runtime import import_openvino  # noqa: E402
from restorer.io import list_images, read_image  # noqa: E402
from restorer.io.pairs import list_pairs  # noqa: E402
from restorer.models.registry import MANIFEST_NAME  # noqa: E402
from restorer.resources import models_dir  # noqa: E402
from restorer.tasks.denoise import TASK as DENOISE  # noqa: E402
from restorer.tasks.denoise import DenoiseParams  # noqa: E402
from restorer.tasks.super_resolve import TASK as UPSCALE  # noqa: E402
from restorer.tasks.super_resolve import SuperResolveParams  # noqa: E402

CALIBRATION_CROP = 160  # side of the pieces of captured tiles kept for calibration


@dataclass
class Case:
    """One run of the model's task: the input, the parameters, the clean target."""

    image: np.ndarray
    params: Any
    target: np.ndarray


def _crop(pixels: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    h, w = pixels.shape[:2]
    y, x = rng.integers(0, max(1, h - side + 1)), rng.integers(0, max(1, w - side + 1))
    return pixels[y : y + side, x : x + side]


def _files(folder: Path, rng: np.random.Generator) -> list[Path]:
    files = list_images(folder)
    if not files:
        raise SystemExit(f"error: no images in {folder}")
    return [files[i] for i in rng.permutation(len(files))]


def upscale_cases(
    data: Path, scale: int, realistic: bool, count: int, side: int, offset: int
) -> list[Case]:
    """Bicubic low-resolution crops of training images; realistic: with the blur, noise and
    JPEG the realistic models were trained on, as the scans they are for."""
    import torch

    from restorer.training.super_resolve import low_resolution_input

    rng = np.random.default_rng(scale + 10 * realistic)
    files = _files(data / "train/color/t91", rng) + _files(data / "train/color/cbsd432", rng)
    cases = []
    for path in files[offset:]:
        hr = read_image(path).pixels
        if min(hr.shape[:2]) < side * scale:
            continue
        hr = _crop(hr, side * scale, rng)
        params = SuperResolveParams(scale=scale, model="scans" if realistic else "clean")
        if realistic:
            batch = torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1)))[None]
            lr = low_resolution_input(batch, scale, True, rng)[0].permute(1, 2, 0).numpy()
        else:
            lr = downscale(hr, scale)
        cases.append(Case(np.ascontiguousarray(lr, dtype=np.float32), params, hr))
        if len(cases) == count:
            break
    return cases


def denoise_cases(
    data: Path, channels: int, count: int, side: int, offset: int, blind: bool = False
) -> list[Case]:
    """White noise at σ 5-50 with the level given (blind: estimated), and real camera noise
    (the pairs' training scenes, never the held-out ones) denoised blind, as users run it."""
    rng = np.random.default_rng(channels)
    folder = data / ("train/color/cbsd432" if channels == 3 else "train/bsd400")
    cases = []
    for index, path in enumerate(_files(folder, rng)[offset : offset + count // 2]):
        clean = _crop(read_image(path).pixels, side, rng)
        sigma = (5.0, 10.0, 15.0, 25.0, 35.0, 50.0)[index % 6]
        noisy = (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)
        cases.append(Case(noisy, DenoiseParams(sigma=None if blind else sigma), clean))
    pairs = [p for p in list_pairs(data / "real/polyu_canon") if not p.held_out]
    for pair in [pairs[i] for i in rng.permutation(len(pairs))][: count - len(cases)]:
        noisy, clean = read_image(pair.noisy).pixels, read_image(pair.clean).pixels
        stacked = _crop(np.concatenate([noisy, clean], axis=2), side, rng)
        noisy, clean = stacked[..., :3], stacked[..., 3:]
        if channels == 1:
            noisy = rgb_to_y(noisy).astype(np.float32)
            clean = rgb_to_y(clean).astype(np.float32)
        cases.append(Case(noisy, DenoiseParams(), clean))
    return cases


@dataclass
class Recipe:
    task: Any
    cases: Callable[[Path, int, int, int], list[Case]]  # data, count, side, offset
    luma: bool  # PSNR on the Y channel (super-resolution's protocol)
    side: int


RECIPES: dict[str, Recipe] = {
    "sr-x2": Recipe(UPSCALE, lambda d, n, s, o: upscale_cases(d, 2, False, n, s, o), True, 128),
    "sr-x4": Recipe(UPSCALE, lambda d, n, s, o: upscale_cases(d, 4, False, n, s, o), True, 64),
    "sr-x2-real": Recipe(UPSCALE, lambda d, n, s, o: upscale_cases(d, 2, True, n, s, o), True, 128),
    "sr-x4-real": Recipe(UPSCALE, lambda d, n, s, o: upscale_cases(d, 4, True, n, s, o), True, 64),
    "denoise-color": Recipe(DENOISE, lambda d, n, s, o: denoise_cases(d, 3, n, s, o), False, 256),
    "denoise-gray": Recipe(DENOISE, lambda d, n, s, o: denoise_cases(d, 1, n, s, o), False, 256),
    # The estimator is judged by what it is for: the colour denoiser's result, blind.
    "noise-map": Recipe(
        DENOISE, lambda d, n, s, o: denoise_cases(d, 3, n, s, o, blind=True), False, 256
    ),
}


class Patched:
    """The engine with one model's OpenVINO network replaced by `network` (a callable on a
    (1, C, H, W) batch, as NNCF hands them over), so that a task runs through it as it runs
    in the application; `record` keeps pieces of every tile the network is given."""

    def __init__(self, engine: Engine, model_id: str) -> None:
        self.engine, self.model_id = engine, model_id
        self.multiple = engine.descriptor(model_id).size_multiple
        self.network: Callable[[np.ndarray], np.ndarray] | None = None
        self.record: list[np.ndarray] | None = None
        self.rng = np.random.default_rng(0)
        original = engine.openvino_model

        def openvino_model(model_id: str, progress: Any) -> Any:
            if model_id != self.model_id or self.network is None:
                return original(model_id, progress)
            return self._call

        engine.openvino_model = openvino_model  # type: ignore[method-assign]

    def _call(self, inputs: dict[int, np.ndarray]) -> list[np.ndarray]:
        batch = inputs[0].transpose(0, 3, 1, 2)  # the runtime's NHWC tile, as NCHW
        if self.record is not None:
            # A side the network takes (the noise-level network: whole 128-px squares).
            side = max(min(CALIBRATION_CROP, *batch.shape[2:]) // self.multiple, 1) * self.multiple
            y = self.rng.integers(0, batch.shape[2] - side + 1)
            x = self.rng.integers(0, batch.shape[3] - side + 1)
            piece = batch[:, :, y : y + side, x : x + side]
            self.record.append(np.ascontiguousarray(piece, dtype=np.float32))
        assert self.network is not None
        return [np.asarray(self.network(batch)).transpose(0, 2, 3, 1)]


def task_psnr(engine: Engine, recipe: Recipe, cases: list[Case]) -> float:
    scores = []
    for case in cases:
        out = engine.run_task(recipe.task, Image(case.image), case.params).pixels
        out = np.clip(out, 0, 1)
        if recipe.luma:
            s = case.params.scale
            out = np.round(out * 255) / 255
            scores.append(psnr(rgb_to_y(case.target)[s:-s, s:-s], rgb_to_y(out)[s:-s, s:-s]))
        else:
            scores.append(psnr(case.target, out.reshape(case.target.shape)))
    return float(np.mean(scores))


def convolutions_in_float(model: Any) -> list[str]:
    """The convolutions that accuracy control left in floating point: their input does not
    come through a FakeQuantize."""
    return sorted(
        op.get_friendly_name()
        for op in model.get_ops()
        if op.get_type_name() in ("Convolution", "ConvolutionBackpropData")
        and op.input_value(0).get_node().get_type_name() != "FakeQuantize"
    )


def quantize(model_id: str, data: Path, max_drop: float, count: int, out_dir: Path) -> dict:
    ov = import_openvino()  # first: without OpenVINO's telemetry, which NNCF also uses
    import nncf

    recipe = RECIPES[model_id]
    engine = Engine(device="cpu", precision="float32", backend="openvino")
    runtime = engine._openvino_runtime()
    descriptor = engine.descriptor(model_id)
    network = lambda: engine.model(model_id, engine.device)[0]  # noqa: E731
    source = runtime._converted(descriptor, network, lambda: None)
    float_model = ov.Core().compile_model(source, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    patched = Patched(engine, model_id)
    calibration = recipe.cases(data, count, recipe.side, 0)
    validation = recipe.cases(data, count, recipe.side, count)
    patched.network, patched.record = (lambda b: float_model(b)[0]), []
    task_psnr(engine, recipe, calibration)
    pieces, patched.record = patched.record, None
    print(f"{model_id}: {len(pieces)} calibration tiles, {len(validation)} validation runs")

    def validate(compiled: Any, _items: Any) -> float:
        patched.network = lambda b: compiled(b)[0]
        return task_psnr(engine, recipe, validation)

    quantized = nncf.quantize_with_accuracy_control(
        source,
        nncf.Dataset(pieces),
        nncf.Dataset([0]),  # validate() runs the task on its own cases
        validate,
        max_drop=max_drop,
        drop_type=nncf.DropType.ABSOLUTE,
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(pieces),
    )
    xml = out_dir / f"{model_id}.int8.xml"
    ov.save_model(quantized, xml, compress_to_fp16=False)
    weights = xml.with_suffix(".bin")
    kept_float = convolutions_in_float(quantized)
    patched.network = lambda b: float_model(b)[0]
    reference = task_psnr(engine, recipe, validation)
    compiled = ov.Core().compile_model(quantized, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    patched.network = lambda b: compiled(b)[0]
    achieved = task_psnr(engine, recipe, validation)
    return {
        "xml": xml.name,
        "xml_sha256": file_sha256(xml),
        "bin": weights.name,
        "bin_sha256": file_sha256(weights),
        "source_sha256": descriptor.sha256,
        "convolutions_in_float": kept_float,
        "validation_psnr": {"float32": round(reference, 4), "int8": round(achieved, 4)},
        "made_with": {"nncf": nncf.__version__, "openvino": ov.__version__},
        "calibration": f"{len(pieces)} pieces of the tiles the network is given while its task "
        f"runs on {len(calibration)} training crops; validation: {len(validation)} other crops, "
        f"max drop {max_drop} dB",
        "command": "python build_scripts/quantize_int8.py --data ../shared/data "
        + shlex.join(["--models", model_id, "--max-drop", str(max_drop)]),
    }


def _update_manifest(model_id: str, record: dict | None) -> None:
    """Set (or, with None, drop) the model's int8 record. The manifest is read again here,
    not at the start: a quantisation takes minutes, and another may have finished since."""
    path = models_dir() / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    entry = next(e for e in manifest["models"] if e["id"] == model_id)
    if record is None:
        entry.pop("int8", None)
    else:
        entry["int8"] = record
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="../shared/data (not needed with --remove)")
    parser.add_argument("--models", nargs="+", required=True, choices=sorted(RECIPES))
    parser.add_argument("--max-drop", type=float, default=0.01, help="dB, on validation")
    parser.add_argument("--count", type=int, default=24, help="calibration and validation runs")
    parser.add_argument("--remove", action="store_true", help="drop the models' int8 versions")
    args = parser.parse_args(argv)
    if args.data is None and not args.remove:
        parser.error("--data is required")
    folder = models_dir()
    for model_id in args.models:
        if args.remove:
            for suffix in (".int8.xml", ".int8.bin"):
                (folder / f"{model_id}{suffix}").unlink(missing_ok=True)
            _update_manifest(model_id, None)
            continue
        record = quantize(model_id, args.data, args.max_drop, args.count, folder)
        _update_manifest(model_id, record)
        print(json.dumps(record["validation_psnr"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
