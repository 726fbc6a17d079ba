"""The CPU runtime: bundled networks run through OpenVINO instead of PyTorch.

Why OpenVINO (measured on a 2-core AMD EPYC with AVX-512 bf16 and no AMX, denoise-color on
512-1024 px tiles): PyTorch float32 1.18 MP/s, OpenVINO float32 1.43-1.52 (max difference
1e-6), OpenVINO bfloat16 2.8-2.9 (-0.007 dB on CBSD68 σ25, -0.005 dB on Set12); ONNX Runtime
float32 ran at OpenVINO's float32 speed in the issue's own measurement and has no bfloat16
path for these CPUs. OpenVINO is Apache-2.0.

The network is converted from the bundled PyTorch module (its safetensors weights, checked
by sha256 when loaded) at first use, and the converted model (OpenVINO IR) is kept in the
user's cache folder with a record of the source weights' sha256, the OpenVINO version and
the IR files' own sha256; a record that does not match (other weights, another OpenVINO, a
damaged file) means converting again. Shipping the IR instead would add every model's weights
a second time to the installer (67 MB).

The converted model takes one packed tile (the model's inputs side by side, as
restorer.engine.contract describes them) of any height and width.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from restorer.core.checksum import bytes_sha256, file_sha256

if TYPE_CHECKING:
    from torch import nn

    from restorer.models.descriptor import ModelDescriptor

TELEMETRY_MODULE = "openvino_telemetry"
CACHE_ENV = "RESTORER_CACHE_DIR"  # tests and portable installs point the cache elsewhere
RECORD = "record.json"


def runtime_available() -> bool:
    """Whether OpenVINO can be imported (it is a dependency, but a broken or partial
    installation must leave the application working on PyTorch)."""
    try:
        import_openvino()
    except Exception:  # ImportError, or a shared library that fails to load
        return False
    return True


def import_openvino() -> Any:
    """The openvino module, imported without its usage telemetry.

    `import openvino` imports its model-conversion API, which, unless the user has opted out
    through Intel's own tool, sends a Google Analytics event at every import (a DNS lookup and
    a forked process on Linux and macOS, a request on Windows that the interpreter waits for
    at exit) and keeps a client id under ~/intel or %LOCALAPPDATA%. An offline application for
    medical and archive images contacts no one. When openvino_telemetry cannot be imported,
    OpenVINO falls back to its own stub (openvino.tools.ovc.telemetry_stub) and sends
    nothing; None in sys.modules makes that import fail, for this process only."""
    if "openvino" not in sys.modules:
        # None: the import system's own mark of a module that cannot be imported
        sys.modules.setdefault(TELEMETRY_MODULE, None)  # type: ignore[arg-type]
    import openvino

    return openvino


def cache_root() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("Restorer", appauthor=False))


class OpenVinoRuntime:
    """Compiled OpenVINO models by (model id, precision), converted or read from the cache."""

    def __init__(self, threads: int | None = None, cache: Path | None = None) -> None:
        """threads: how many the CPU runs each model with; None for OpenVINO's own choice
        (one per physical core)."""
        ov = import_openvino()
        self._ov = ov
        self.core = ov.Core()
        self._threads = max(1, threads) if threads is not None else None
        # One folder per OpenVINO build; its version string holds slashes
        # ("2026.4.1-22982-e213a147257-releases/2026/4"), which made nested folders.
        build = re.sub(r"[^A-Za-z0-9._-]+", "_", ov.__version__)
        self.cache = (cache or cache_root()) / f"openvino-{build}"
        capabilities = [str(c) for c in self.core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]
        self.bfloat16_capable = "BF16" in capabilities
        # What a compiled model is specific to besides OpenVINO's version (the cache has a
        # folder per build): the processor and what OpenVINO can use on it. A cache folder
        # shared by two machines must not hand one the other's compiled models.
        self._cpu_identity = [
            str(self.core.get_property("CPU", "FULL_DEVICE_NAME")),
            *sorted(capabilities),
        ]
        self._compiled: dict[tuple[str, str], Any] = {}

    @property
    def threads(self) -> int:
        """The threads each model runs with: as asked, or as OpenVINO chooses for this CPU
        (read back from a one-operation model, compiled in milliseconds)."""
        if self._threads is None:
            import openvino.opset13 as ops

            value = ops.parameter([1, 1], np.float32)
            probe = self._ov.Model([ops.relu(value)], [value])
            compiled = self.core.compile_model(probe, "CPU", {"PERFORMANCE_HINT": "LATENCY"})
            self._threads = max(1, int(compiled.get_property("INFERENCE_NUM_THREADS")))
        return self._threads

    def compiled(
        self,
        descriptor: ModelDescriptor,
        module: Callable[[], nn.Module],
        bfloat16: bool,
        converting: Callable[[], None] = lambda: None,
    ) -> Any:
        """The model compiled for this CPU; `converting` is called first when it has to be
        converted (its first use with this OpenVINO), so that the user hears why it waits."""
        precision = "bf16" if bfloat16 and self.bfloat16_capable else "f32"
        key = (descriptor.id, precision)
        if key not in self._compiled:
            source = {"weights": descriptor.sha256, "network": network_key(descriptor)}
            self._compiled[key] = self._compile(
                descriptor.id,
                source,
                lambda: self._converted(descriptor, module, converting),
                precision,
            )
        return self._compiled[key]

    def release_memory(self) -> None:
        """Free the compiled models' working memory (their intermediate tensors), kept
        between inferences for reuse: 0.9 GB after a ×2 upscale of a 1024² photo. The next
        inference allocates it again and touches it anew (the ×2 of 1024²: 0.2-0.5 s)."""
        for compiled in self._compiled.values():
            release = getattr(compiled, "release_memory", None)  # OpenVINO 2024.2 and later
            if release is not None:
                release()

    def compiled_int8(
        self, descriptor: ModelDescriptor, files: tuple[Path, Path], bfloat16: bool
    ) -> Any:
        """The model's shipped int8 version (files: its checked IR graph and weights),
        compiled for this CPU. The operations it keeps in floating point run in bfloat16
        where the CPU has it and the caller asks for it."""
        precision = "bf16" if bfloat16 and self.bfloat16_capable else "f32"
        key = (descriptor.id, f"int8-{precision}")
        if key not in self._compiled:
            # files were checked against these by the caller (verify_int8)
            source = {"int8": [descriptor.int8["xml_sha256"], descriptor.int8["bin_sha256"]]}
            self._compiled[key] = self._compile(
                f"{descriptor.id}.int8", source, lambda: self.core.read_model(*files), precision
            )
        return self._compiled[key]

    def _compile(
        self, name: str, source: dict[str, Any], model: Callable[[], Any], precision: str
    ) -> Any:
        """The model compiled for this CPU: imported from the compiled-model cache when its
        record says it was compiled from `source` with this precision, these threads, this
        CPU and OpenVINO, and the blob is intact; otherwise compiled from model() and stored.

        Compiling takes 0.2-0.3 s a model (two or three per command), importing 0.07. The
        blob is checked by its sha256 as the converted model is: OpenVINO's own CACHE_DIR
        ran a blob with bytes changed in its middle without a word, and gave other results."""
        config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": self.threads}
        # Threads in the name too: batch workers run fewer threads than the window, and with
        # one folder for both each would compile again after the other.
        folder = self.cache / "compiled" / f"{name}-{precision}-{self.threads}t"
        blob = folder / "model.blob"
        wanted = {
            "source": source,
            "precision": precision,
            "threads": self.threads,
            "cpu": self._cpu_identity,
        }
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            if {key: record.get(key) for key in wanted} == wanted:  # else: not worth reading
                data = blob.read_bytes()
                if record["blob_sha256"] == bytes_sha256(data):
                    return self.core.import_model(io.BytesIO(data), "CPU", config)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            pass  # absent, damaged or not importable: compile again
        compiled = self.core.compile_model(self._channels_last(model()), "CPU", config)
        # A read-only cache costs a compilation per session, nothing else.
        with contextlib.suppress(OSError, RuntimeError):
            self._store_compiled(folder, compiled, wanted)
        return compiled

    def _store_compiled(self, folder: Path, compiled: Any, record: dict[str, Any]) -> None:
        stream = io.BytesIO()
        compiled.export_model(stream)
        data = stream.getvalue()

        def write(staging: Path) -> None:
            (staging / "model.blob").write_bytes(data)
            stored = {**record, "blob_sha256": bytes_sha256(data)}
            (staging / RECORD).write_text(json.dumps(stored, indent=1), encoding="utf-8")

        self._store_folder(folder, write)

    def _channels_last(self, model: Any) -> Any:
        """The model taking and giving (1, H, W, C) tensors, as the tiler holds tiles: OpenVINO
        reorders inside the compiled model, where numpy's transposes of every tile in and out
        cost a copy each (and left the result a strided view that the blending read slowly)."""
        ppp = self._ov.preprocess.PrePostProcessor(model)
        ppp.input(0).tensor().set_layout(self._ov.Layout("NHWC"))
        ppp.input(0).model().set_layout(self._ov.Layout("NCHW"))
        for index in range(len(model.outputs)):
            ppp.output(index).model().set_layout(self._ov.Layout("NCHW"))
            ppp.output(index).tensor().set_layout(self._ov.Layout("NHWC"))
        return ppp.build()

    def _converted(
        self,
        descriptor: ModelDescriptor,
        module: Callable[[], nn.Module],
        converting: Callable[[], None],
    ) -> Any:
        folder = self.cache / f"{descriptor.id}-{descriptor.sha256[:16]}"
        xml, weights = folder / "model.xml", folder / "model.bin"
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            if (
                record["source_sha256"] == descriptor.sha256
                and record["network"] == network_key(descriptor)
                and record["xml_sha256"] == file_sha256(xml)
                and record["bin_sha256"] == file_sha256(weights)
            ):
                return self.core.read_model(xml)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            pass  # absent, damaged or unreadable (OpenVINO raises RuntimeError): convert again
        converting()
        model = self._convert(descriptor, module())
        # A read-only cache costs a conversion per session, nothing else.
        with contextlib.suppress(OSError):
            self._store(folder, model, descriptor)
            self._remove_older_conversions(descriptor, keep=folder)
        return model

    def _remove_older_conversions(self, descriptor: ModelDescriptor, keep: Path) -> None:
        """Conversions of this model's earlier weights: each update of a model left its old
        conversion (9-18 MB) in the user's cache for good. Matched by the exact folder
        pattern, so that sr-x2's clean-up never touches sr-x2-real's."""
        pattern = re.compile(rf"{re.escape(descriptor.id)}-[0-9a-f]{{16}}")
        for folder in self.cache.iterdir():
            if folder != keep and folder.is_dir() and pattern.fullmatch(folder.name):
                shutil.rmtree(folder, ignore_errors=True)

    def _convert(self, descriptor: ModelDescriptor, network: nn.Module) -> Any:
        import torch

        ov = self._ov
        sizes = list(descriptor.input_channels)
        side = 8 * max(descriptor.size_multiple, 1)

        class Packed(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.network = network

            def forward(self, tile: torch.Tensor) -> torch.Tensor:
                if len(sizes) == 1:
                    return self.network(tile)
                return self.network(*torch.split(tile, sizes, dim=1))

        example = torch.rand(1, sum(sizes), side, side)
        with torch.no_grad():
            model = ov.convert_model(Packed().eval(), example_input=example)
        model.reshape({0: ov.PartialShape([1, sum(sizes), -1, -1])})
        return model

    def _store(self, folder: Path, model: Any, descriptor: ModelDescriptor) -> None:
        def write(staging: Path) -> None:
            self._ov.save_model(model, staging / "model.xml", compress_to_fp16=False)
            record = {
                "model": descriptor.id,
                "source_sha256": descriptor.sha256,
                "network": network_key(descriptor),
                "openvino": self._ov.__version__,
                "xml_sha256": file_sha256(staging / "model.xml"),
                "bin_sha256": file_sha256(staging / "model.bin"),
            }
            (staging / RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")

        self._store_folder(folder, write)

    @staticmethod
    def _store_folder(folder: Path, write: Callable[[Path], object]) -> None:
        """Fill a staging folder beside `folder` with write(staging), then put it in its
        place: whole or not at all, as another process may be reading it."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder.parent))
        try:
            write(staging)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def network_key(descriptor: ModelDescriptor) -> str:
    """What a converted model was made from besides the weights: the same weights under
    other hyperparameters (the noise-map estimator's patch) are another graph."""
    return json.dumps(
        {
            "architecture": descriptor.architecture,
            "hyperparameters": descriptor.hyperparameters,
            "inputs": list(descriptor.input_channels),
            "size_multiple": descriptor.size_multiple,
        },
        sort_keys=True,
    )


def infer(compiled: Any, tile: np.ndarray) -> np.ndarray:
    """One packed (H, W, C) float32 tile through a compiled model: (H', W', C') float32."""
    batch = np.ascontiguousarray(tile[None], dtype=np.float32)
    out = compiled({0: batch})[0]  # a copy of the output tensor (share_outputs is off)
    return np.asarray(out[0], dtype=np.float32)
