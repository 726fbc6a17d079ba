"""The CPU runtime: OpenVINO runs every bundled network as PyTorch does (float32), tiled and
whole, with cancellation, and the engine falls back to PyTorch when it cannot be used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorer.core.progress import Cancelled, NullProgress
from restorer.engine.engine import Engine
from restorer.engine.openvino_runtime import runtime_available
from restorer.io import read_image
from restorer.models.registry import bundled_models
from tests.progress_helpers import Messages

# Through the application's own import (no telemetry from the test run either).
if not runtime_available():
    pytest.skip("OpenVINO is not installed", allow_module_level=True)


def _packed_input(model_id: str, photo: np.ndarray) -> np.ndarray:
    """A crop of a real photograph as the model's packed inputs (restorer.engine.contract):
    the photo (or its gray) for image-like inputs, a level or a mask for the others."""
    engine_free = {d.id: d for d in bundled_models()}[model_id]
    gray = photo.mean(axis=2, keepdims=True)
    planes = []
    for name, channels in zip(engine_free.inputs, engine_free.input_channels, strict=True):
        if name == "noise_map":
            planes.append(np.full((*photo.shape[:2], channels), 15 / 255, np.float32))
        elif name == "mask":
            mask = np.zeros((*photo.shape[:2], 1), np.float32)
            mask[40:60, 30:140] = 1
            planes.append(mask)
        else:
            planes.append(photo if channels == 3 else gray)
    return np.ascontiguousarray(np.concatenate(planes, axis=2), np.float32)


@pytest.mark.parametrize("model_id", [d.id for d in bundled_models()])
def test_openvino_equals_pytorch_in_float32(model_id: str, samples: Path) -> None:
    photo = read_image(samples / "chelsea.png").pixels[:176, :240, :3]
    x = _packed_input(model_id, photo)
    torch_engine = Engine("cpu", precision="float32", backend="torch")
    openvino_engine = Engine("cpu", precision="float32", backend="openvino")
    for tiled, tile in ((True, 96), (False, None)):
        torch_engine.tile_override = openvino_engine.tile_override = tile
        expected = torch_engine.run_model(model_id, x, NullProgress(), tiled=tiled)
        progress = Messages()
        got = openvino_engine.run_model(model_id, x, progress, tiled=tiled)
        # It really ran on OpenVINO: no fallback was said.
        assert not [m for m in progress.texts if "PyTorch" in m], progress.texts
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() < 1e-4, (model_id, tiled)


def test_self_ensemble_on_openvino_equals_pytorch(samples: Path) -> None:
    photo = read_image(samples / "chelsea.png").pixels[:128, :160, :3]
    x = _packed_input("defects", photo)
    expected = Engine("cpu", precision="float32", backend="torch").run_model(
        "defects", x, NullProgress(), passes=8
    )
    got = Engine("cpu", precision="float32", backend="openvino").run_model(
        "defects", x, NullProgress(), passes=8
    )
    assert np.abs(got - expected).max() < 1e-4


def test_without_openvino_models_run_on_pytorch_saying_so_once(
    monkeypatch: pytest.MonkeyPatch, samples: Path
) -> None:
    import restorer.engine.engine as engine_module

    monkeypatch.setattr(engine_module, "runtime_available", lambda: False)
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    engine = Engine("cpu", precision="float32")
    assert "OpenVINO" not in engine.device_name
    progress = Messages()
    first = engine.run_model("noise-map", x, progress)
    engine.run_model("noise-map", x, progress)
    assert progress.texts == ["OpenVINO is not installed: models run on PyTorch"]
    expected = Engine("cpu", precision="float32", backend="torch").run_model(
        "noise-map", x, NullProgress()
    )
    assert np.array_equal(first, expected)


def test_a_model_openvino_cannot_load_runs_on_pytorch(
    monkeypatch: pytest.MonkeyPatch, samples: Path
) -> None:
    from restorer.engine.openvino_runtime import OpenVinoRuntime

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unsupported operation")

    monkeypatch.setattr(OpenVinoRuntime, "compiled", refuse)
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    engine = Engine("cpu", precision="float32", backend="openvino")
    progress = Messages()
    engine.run_model("noise-map", x, progress)
    out = engine.run_model("noise-map", x, progress)
    assert len(progress.texts) == 1 and "running it on PyTorch" in progress.texts[0]
    expected = Engine("cpu", precision="float32", backend="torch").run_model(
        "noise-map", x, NullProgress()
    )
    assert np.array_equal(out, expected)


def test_cancel_stops_an_openvino_run_between_tiles(samples: Path) -> None:
    class CancelAfterFirstTile(NullProgress):
        def __init__(self) -> None:
            self.tiles = 0

        def set_progress(self, fraction: float) -> None:
            self.tiles += 1

        def check_aborted(self) -> None:
            if self.tiles >= 1:
                raise Cancelled()

    x = read_image(samples / "chelsea.png").pixels[:, :, :3].copy()
    engine = Engine("cpu", precision="float32", backend="openvino", tile=64)
    progress = CancelAfterFirstTile()
    with pytest.raises(Cancelled):
        engine.run_model("defects", x, progress)
    assert progress.tiles == 1


def test_the_converted_model_is_cached_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """Converted once; a damaged cached file is noticed by its sha256 and converted again."""
    from restorer.engine.openvino_runtime import OpenVinoRuntime

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path))
    conversions: list[str] = []
    original = OpenVinoRuntime._convert

    def counting(self: OpenVinoRuntime, descriptor: object, network: object) -> object:
        conversions.append(getattr(descriptor, "id", "?"))
        return original(self, descriptor, network)  # type: ignore[arg-type]

    monkeypatch.setattr(OpenVinoRuntime, "_convert", counting)
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    first, second = Messages(), Messages()
    expected = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, first
    )
    again = Engine("cpu", precision="float32", backend="openvino").run_model("noise-map", x, second)
    assert conversions == ["noise-map"] and np.array_equal(again, expected)
    # The wait of the first use is explained; later uses are silent.
    assert first.texts == ["Preparing the noise-map model for this CPU (once, a few seconds)"]
    assert second.texts == []
    # Damaged: the converted model and its compiled form (without the latter's damage the
    # former would not be read at all).
    for name in ("model.bin", "model.blob"):
        (damaged,) = tmp_path.rglob(name)
        damaged.write_bytes(damaged.read_bytes()[:-8] + b"\x00" * 8)
    repaired = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, NullProgress()
    )
    assert conversions == ["noise-map", "noise-map"] and np.array_equal(repaired, expected)


def test_a_cached_conversion_openvino_cannot_read_is_converted_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """A cache whose files match their record but that OpenVINO cannot read (a bundle without
    its IR reader raised RuntimeError here) is converted again, not run on PyTorch."""
    import json
    import shutil

    from restorer.core.checksum import file_sha256

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path))
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    expected = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, NullProgress()
    )
    shutil.rmtree(next(tmp_path.rglob("compiled")))  # as if it had never been compiled
    (xml,) = tmp_path.rglob("model.xml")
    xml.write_text("<net>not a model</net>")
    record_path = xml.with_name("record.json")
    record = json.loads(record_path.read_text())
    record["xml_sha256"] = file_sha256(xml)
    record_path.write_text(json.dumps(record))
    progress = Messages()
    again = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, progress
    )
    assert progress.texts == ["Preparing the noise-map model for this CPU (once, a few seconds)"]
    assert np.array_equal(again, expected)


def test_a_cached_conversion_is_not_reused_for_another_network_with_the_same_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """The cache is keyed by the weights' sha256 and the network they are put in: the noise-map
    estimator's weights run whole instead of in 128-px patches are another graph, converted
    anew (an installation updated to the patches would have kept running the old graph)."""
    from dataclasses import replace

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path))
    x = read_image(samples / "chelsea.png").pixels[:256, :384, :3].copy()
    patched = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, NullProgress()
    )
    bundled = {d.id: d for d in bundled_models()}["noise-map"]
    hyper = {k: v for k, v in bundled.hyperparameters.items() if k != "patch"}
    unpatched = replace(bundled, hyperparameters=hyper, size_multiple=8)
    results = {}
    for backend in ("openvino", "torch"):
        engine = Engine("cpu", precision="float32", backend=backend)
        monkeypatch.setattr(engine, "descriptor", lambda model_id: unpatched)
        results[backend] = engine.run_model("noise-map", x, NullProgress(), tiled=False)
    assert np.abs(results["openvino"] - results["torch"]).max() < 1e-4
    assert np.abs(results["openvino"] - patched).max() > 1e-3


def test_a_cached_conversion_does_not_hide_damaged_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """With the model converted and cached, an installation whose weights file was altered
    still refuses to run it, as PyTorch loading does."""
    import shutil

    from restorer.models.descriptor import ModelIntegrityError
    from restorer.resources import models_dir

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path / "cache"))
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    Engine("cpu", backend="openvino").run_model("noise-map", x, NullProgress())  # cached now
    copy = tmp_path / "models"
    shutil.copytree(models_dir(), copy)
    weights = copy / "noise-map.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\x00" * 4)
    with pytest.raises(ModelIntegrityError, match="altered or damaged"):
        Engine("cpu", backend="openvino", models_path=copy).run_model(
            "noise-map", x, NullProgress()
        )


def test_a_cpu_denoise_on_openvino_never_imports_torch(tmp_path: Path) -> None:
    """On a machine without a GPU driver the command line denoises a photo on OpenVINO with
    torch never imported (1.5 s of a 4-second 2048² command here), once the models are
    converted (their first use converts them from PyTorch); the result is the same file."""
    import os
    import subprocess
    import sys

    from restorer.engine.device import gpu_driver_present

    if gpu_driver_present():
        pytest.skip("a GPU driver is present: torch is asked whether it can use the GPU")
    repo = Path(__file__).resolve().parent.parent
    probe = (
        "import sys; from restorer.cli.main import main; code = main(sys.argv[1:]); "
        "print(code, 'torch' in sys.modules, file=sys.stderr)"
    )
    env = {**os.environ, "RESTORER_DATA_DIR": str(tmp_path / "data")}
    env.pop("OMP_NUM_THREADS", None)
    sample = repo / "resources" / "samples" / "chelsea_noisy.png"
    said = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.png"
        result = subprocess.run(
            [sys.executable, "-c", probe, "denoise", str(sample), "-o", str(out)],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        said.append(result.stderr)
    assert said[1].strip().splitlines()[-1] == "0 False", said[1][-2000:]
    assert "OpenVINO" in said[1]
    assert (tmp_path / "first.png").read_bytes() == (tmp_path / "second.png").read_bytes()


def test_the_compiled_model_is_cached_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """Compiled once for this CPU and imported by later sessions; a blob with bytes changed
    (OpenVINO's own cache ran such a blob and gave other results) or one compiled for other
    threads is compiled again, and every run gives the same result."""
    import json

    from restorer.engine.openvino_runtime import OpenVinoRuntime

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path))
    compilations: list[object] = []
    original = OpenVinoRuntime._channels_last  # on the way to compile_model, only there

    def counting(self: OpenVinoRuntime, model: object) -> object:
        compilations.append(model)
        return original(self, model)

    monkeypatch.setattr(OpenVinoRuntime, "_channels_last", counting)
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()

    def run(threads: int = 2) -> np.ndarray:
        monkeypatch.setenv("OMP_NUM_THREADS", str(threads))
        engine = Engine("cpu", precision="float32", backend="openvino")
        return engine.run_model("noise-map", x, NullProgress())

    expected = run()
    assert len(compilations) == 1
    assert np.array_equal(run(), expected) and len(compilations) == 1  # imported
    (blob,) = tmp_path.rglob("model.blob")
    data = bytearray(blob.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    blob.write_bytes(bytes(data))
    assert np.array_equal(run(), expected) and len(compilations) == 2
    assert np.array_equal(run(), expected) and len(compilations) == 2  # stored again
    # Other threads (a batch worker's): compiled for them and kept beside, so that neither
    # compiles again after the other.
    assert np.array_equal(run(threads=1), expected) and len(compilations) == 3
    assert np.array_equal(run(threads=2), expected) and len(compilations) == 3
    assert np.array_equal(run(threads=1), expected) and len(compilations) == 3
    records = [json.loads(p.read_text()) for p in sorted(tmp_path.rglob("compiled/*/record.json"))]
    assert sorted(r["threads"] for r in records) == [1, 2]
    assert all(r["source"]["weights"] for r in records)


def test_a_model_converted_anew_removes_the_conversion_of_its_older_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path
) -> None:
    """An updated model's new conversion replaces the old one in the user's cache; other
    models' conversions, even one whose name begins with this model's, stay."""
    import shutil

    monkeypatch.setenv("RESTORER_CACHE_DIR", str(tmp_path))
    x = read_image(samples / "chelsea.png").pixels[:64, :96, :3].copy()
    expected = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, NullProgress()
    )
    (build,) = tmp_path.iterdir()
    (current,) = build.glob("noise-map-*")
    # As if made from the weights of an earlier installation: under another name, and
    # neither it nor its compiled form usable for these weights.
    current.rename(build / "noise-map-0123456789abcdef")
    shutil.rmtree(build / "compiled")
    (build / "noise-map-extra-0123456789abcdef").mkdir()  # a model named "noise-map-extra"
    again = Engine("cpu", precision="float32", backend="openvino").run_model(
        "noise-map", x, NullProgress()
    )
    assert np.array_equal(again, expected)
    assert sorted(p.name for p in build.glob("noise-map-*")) == sorted(
        [current.name, "noise-map-extra-0123456789abcdef"]
    )


def test_openvino_sends_no_telemetry_and_leaves_nothing_in_the_home_folder(tmp_path: Path) -> None:
    """`import openvino` sends a usage event to Google Analytics and keeps a client id under
    ~/intel unless the user opted out with Intel's tool; the application must contact no
    one. A model converted and run in a fresh process, with a home folder of its own and
    none of the CI variables under which OpenVINO keeps quiet anyway."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "TF_BUILD", "JENKINS_URL")
    }
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        LOCALAPPDATA=str(home),
        RESTORER_CACHE_DIR=str(tmp_path / "cache"),
    )
    code = (
        "import sys, numpy as np\n"
        "from restorer.core.progress import NullProgress\n"
        "from restorer.engine.engine import Engine\n"
        "x = np.full((128, 128, 3), 0.5, np.float32)\n"
        "Engine('cpu', backend='openvino').run_model('noise-map', x, NullProgress())\n"
        "print('telemetry loaded:', sys.modules.get('openvino_telemetry') is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "telemetry loaded: False" in done.stdout
    assert list(home.iterdir()) == []


def _resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_release_memory_gives_the_working_memory_back_and_the_next_run_is_the_same(
    samples: Path,
) -> None:
    """A window left idle after a job holds what the network's intermediate tensors took
    (over 1 GB after a ×2 of a 1024² photo) until the engine gives it back."""
    from restorer.tasks.registry import get_task

    task = get_task("super_resolve")
    params = task.params_type()
    image = read_image(samples / "chelsea.png")
    photo = image.with_pixels(np.tile(image.pixels[:, :, :3], (2, 1, 1))[:512, :448])
    engine = Engine("cpu", precision="float32", backend="openvino")
    first = engine.run_task(task, photo, params, NullProgress()).pixels
    engine.release_memory()
    before = _resident_mb()
    again = engine.run_task(task, photo, params, NullProgress()).pixels
    held = _resident_mb()
    engine.release_memory()
    released = _resident_mb()
    assert held - before > 100, (before, held)  # the run's working memory, kept
    assert held - released > 0.8 * (held - before), (before, held, released)
    assert np.array_equal(first, again)
    assert np.array_equal(engine.run_task(task, photo, params, NullProgress()).pixels, first)
