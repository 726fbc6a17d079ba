"""The engine: runs a task on an image with a device, a model cache and tiled inference."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from restorer.core.allocator import return_free_memory
from restorer.core.float_range import from_unit_range, needs_mapping, to_unit_range
from restorer.core.image import Image
from restorer.core.progress import Note, NullProgress, Progress
from restorer.core.threads import requested_cpu_threads
from restorer.core.tiling import RowsDone, TileSource, TileSpec, process_tiled, smallest_tile
from restorer.engine.choices import BACKEND_CHOICES, PRECISION_CHOICES
from restorer.engine.contract import forward_for
from restorer.engine.device import (
    CPU,
    Device,
    choose_engine_device,
    cpu_has_bfloat16_matrix_units,
    describe_device,
)
from restorer.engine.ensemble import self_ensemble, self_ensemble_array
from restorer.engine.fallback import free_device_cache, oom_errors, run_with_fallback
from restorer.engine.openvino_runtime import OpenVinoRuntime, runtime_available
from restorer.engine.openvino_runtime import infer as openvino_infer
from restorer.models.descriptor import ModelDescriptor
from restorer.models.integrity import verify_bundled, verify_int8
from restorer.models.registry import bundled_models, get_model
from restorer.resources import models_dir
from restorer.tasks.base import TaskSpec

if TYPE_CHECKING:
    # torch is imported when a model runs on it (a GPU, a user's model, --backend torch):
    # a CPU without a GPU driver runs the bundled networks on OpenVINO without it (1.5 s).
    import torch
    from torch import nn

# On the CPU a 24 MP photo's denoise peaks at 0.99 GiB with the models' own tiles (its target
# is 1.0 GB), most of it the image's own buffers. An image of at most SMALL_IMAGE_PIXELS has
# half of those or less, which leaves room for tiles a quarter larger on each side: a 2048²
# photo then runs as 2 x 2 denoiser tiles of 1080² instead of 3 x 3 of 768² (4.67 MP computed
# for its 4.19 instead of 5.31).
SMALL_IMAGE_PIXELS = 12_000_000
SMALL_IMAGE_TILE_SCALE = 1.25


def cpu_tile(model_tile: int, height: int, width: int) -> int:
    """The tile side a model runs with on the CPU for an image of height x width."""
    if height * width <= SMALL_IMAGE_PIXELS:
        return int(model_tile * SMALL_IMAGE_TILE_SCALE)
    return model_tile


@dataclass
class RunReport:
    seconds: float = 0.0
    device: str = ""
    tile: int = 0
    messages: list[str] | None = None


class _Context:
    """The RunContext handed to a task: the engine plus this run's progress."""

    def __init__(self, engine: Engine, progress: Progress, may_overwrite_input: bool) -> None:
        self._engine = engine
        self.progress = progress
        self.may_overwrite_input = may_overwrite_input

    def has_model(self, model_id: str) -> bool:
        return self._engine.has_model(model_id)

    def user_model(self, path: Path) -> ModelDescriptor:
        return self._engine.user_model(path)

    def run_model(
        self,
        model_id: str,
        pixels: TileSource,
        *,
        tiled: bool = True,
        passes: int = 1,
        progress: Progress | None = None,
        write_into: np.ndarray | None = None,
        on_rows_done: RowsDone | None = None,
    ) -> np.ndarray:
        return self._engine.run_model(
            model_id,
            pixels,
            progress or self.progress,
            tiled=tiled,
            passes=passes,
            write_into=write_into,
            on_rows_done=on_rows_done,
        )


class Engine:
    def __init__(
        self,
        device: str = "auto",
        tile: int | None = None,
        models_path: Path | None = None,
        precision: str = "auto",
        backend: str = "auto",
    ) -> None:
        if precision not in PRECISION_CHOICES:
            choices = ", ".join(PRECISION_CHOICES)
            raise ValueError(f"unknown precision {precision!r} (use {choices})")
        if backend not in BACKEND_CHOICES:
            choices = ", ".join(BACKEND_CHOICES)
            raise ValueError(f"unknown backend {backend!r} (use {choices})")
        self.device: Device = choose_engine_device(device)
        # "auto": reduced precision where the hardware makes it pay and the model declares it
        # safe (supports_half) - float16 on CUDA; on the CPU bfloat16 where it has AVX-512
        # bf16 or AMX (OpenVINO), or AMX (PyTorch, whose bf16 gains little without it).
        self.reduced_precision = precision == "auto"
        self._cpu_bfloat16: bool | None = None
        self.tile_override = tile
        # Users' own models, by id ("user:<file name>"): the descriptor and the file it
        # was read from (a file changed since is read again).
        self._user_models: dict[str, tuple[ModelDescriptor, Path, float]] = {}
        self.models_path = models_path or models_dir()
        self._cache: dict[tuple[str, str, torch.dtype], nn.Module] = {}
        self.last_report = RunReport()
        # On the CPU the bundled networks run through OpenVINO unless told otherwise ("auto"
        # and "openvino"); PyTorch stays the runtime for CUDA, MPS, training and users' own
        # models (whose architectures OpenVINO may not convert).
        self.backend = backend
        self._openvino: OpenVinoRuntime | None = None
        self._openvino_refused: set[str] = set()  # models it failed on: PyTorch runs them
        self._said: set[str] = set()  # each fallback is said once per engine
        self._verified: set[str] = set()  # bundled weights checked against the manifest
        # With reduced precision, a bundled model that ships an int8 version (measured
        # harmless, see build_scripts/quantize_int8.py) runs it on the CPU runtime; the
        # benchmark turns this off to show bfloat16 alone.
        self.int8 = True
        self._int8: dict[str, Any | None] = {}  # by model: compiled, or None when refused

    @property
    def cpu_bfloat16(self) -> bool:
        """Whether PyTorch runs the models that allow it in bfloat16 on this CPU (AMX)."""
        if self._cpu_bfloat16 is None:
            self._cpu_bfloat16 = self.reduced_precision and cpu_has_bfloat16_matrix_units()
        return self._cpu_bfloat16

    @property
    def device_name(self) -> str:
        if self.device.type == "cpu" and self._cpu_runtime_usable():
            bf16 = self.reduced_precision and self._openvino_bfloat16()
            threads = self._openvino_runtime().threads
            return describe_device(self.device, bf16, runtime="OpenVINO", threads=threads)
        return describe_device(self.device, self.cpu_bfloat16)

    def _cpu_runtime_usable(self) -> bool:
        return self.backend != "torch" and runtime_available()

    def _openvino_bfloat16(self) -> bool:
        try:
            return self._openvino_runtime().bfloat16_capable
        except Exception:
            return False

    def _openvino_runtime(self) -> OpenVinoRuntime:
        if self._openvino is None:
            self._openvino = OpenVinoRuntime(threads=requested_cpu_threads())
        return self._openvino

    def _say_once(self, progress: Progress, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            progress.message(text)

    def openvino_model(self, model_id: str, progress: Progress) -> Any | None:
        """The compiled OpenVINO model for a CPU run of model_id (its shipped int8 version
        when precision is reduced and it has one), or None to run it on PyTorch: the backend
        is "torch", OpenVINO is missing or failed on this model (said once), or the model is
        the user's own."""
        if self.backend == "torch" or model_id in self._user_models:
            return None
        if model_id in self._openvino_refused:
            return None
        if not runtime_available():
            self._say_once(progress, Note("OpenVINO is not installed: models run on PyTorch"))
            return None
        descriptor = self.descriptor(model_id)
        # The converted model in the cache was made from these weights: they must still be
        # the installed ones, as when PyTorch loads them (a damaged installation says so).
        if model_id not in self._verified:
            verify_bundled(descriptor, self.models_path)
            self._verified.add(model_id)
        if self.reduced_precision and self.int8 and descriptor.int8:
            int8 = self._openvino_int8(descriptor, progress)
            if int8 is not None:
                return int8
        try:
            return self._openvino_runtime().compiled(
                descriptor,
                lambda: self.model(model_id, CPU)[0],
                bfloat16=self.reduced_precision and descriptor.supports_half,
                converting=lambda: progress.message(
                    Note(
                        "Preparing the {model} model for this CPU (once, a few seconds)",
                        model=model_id,
                    )
                ),
            )
        except Exception as exc:  # conversion or compilation: PyTorch still runs the model
            self._openvino_refused.add(model_id)
            self._say_once(
                progress,
                Note(
                    "OpenVINO could not run {model} ({why}): running it on PyTorch",
                    model=model_id,
                    why=exc,
                ),
            )
            return None

    def _openvino_int8(self, descriptor: ModelDescriptor, progress: Progress) -> Any | None:
        """The model's int8 version compiled, or None (said once) when its files are damaged
        or OpenVINO cannot run them: the model then runs in floating point."""
        if descriptor.id not in self._int8:
            try:
                files = verify_int8(descriptor, self.models_path)
                self._int8[descriptor.id] = self._openvino_runtime().compiled_int8(
                    descriptor, files, bfloat16=descriptor.supports_half
                )
            except Exception as exc:
                self._int8[descriptor.id] = None
                self._say_once(
                    progress,
                    Note(
                        "The int8 version of {model} cannot be used ({why}): running it in "
                        "floating point",
                        model=descriptor.id,
                        why=exc,
                    ),
                )
        return self._int8[descriptor.id]

    def descriptor(self, model_id: str) -> ModelDescriptor:
        if model_id in self._user_models:
            return self._user_models[model_id][0]
        return get_model(model_id)

    def has_model(self, model_id: str) -> bool:
        """Whether this installation has the model (some are optional: the learned MAR
        stages, the scan-trained upscalers), or it is a user's model read before."""
        return model_id in self._user_models or any(d.id == model_id for d in bundled_models())

    def user_model(self, path: Path) -> ModelDescriptor:
        """Read a user's model file (once, and again when the file changed); its descriptor,
        whose id run_model takes. UserModelError when it cannot be read or run."""
        import torch

        from restorer.models.user_models import UserModelError, load_user_model

        path = Path(path)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError as exc:
            raise UserModelError(f"{path}: cannot read the model file ({exc.strerror})") from exc
        model_id = f"user:{path.name}"
        known = self._user_models.get(model_id)
        if known is not None and known[1] == path and known[2] == stamp:
            return known[0]
        descriptor, module = load_user_model(path)
        for key in [k for k in self._cache if k[0] == model_id]:
            del self._cache[key]  # another file of that name, or this one changed
        self._user_models[model_id] = (descriptor, path, stamp)
        self._cache[(model_id, str(CPU), torch.float32)] = self._prepared(
            module, CPU, torch.float32
        )
        return descriptor

    def model(self, model_id: str, device: Device) -> tuple[nn.Module, torch.dtype]:
        import torch

        from restorer.models.loader import load_bundled

        descriptor = self.descriptor(model_id)
        dtype = (
            torch.float16
            if self.reduced_precision and descriptor.supports_half and device.type == "cuda"
            else torch.float32
        )
        key = (model_id, str(device), dtype)
        if key not in self._cache:
            if model_id in self._user_models:
                # A copy of the one read on the CPU (user_model): .to() moves a module in place.
                module = copy.deepcopy(self._cache[(model_id, "cpu", torch.float32)])
            else:
                module = load_bundled(descriptor, self.models_path)
            self._cache[key] = self._prepared(module, device, dtype)
        return self._cache[key], dtype

    @staticmethod
    def _prepared(module: nn.Module, device: Device, dtype: torch.dtype) -> nn.Module:
        import torch

        module = module.to(device=device.torch(), dtype=dtype)
        if device.type == "cpu":
            # oneDNN convolutions run ~1.5x faster in NHWC on CPU.
            module = module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        return module

    def release_memory(self) -> None:
        """Give back the working memory the models keep between runs, for a window that sits
        idle: OpenVINO's intermediate tensors (after a ×2 of a 1024² photo the process held
        1.12 GB, after this 0.17), torch's cached GPU memory and the C heap's free pages. The
        next run allocates and touches its memory anew (the ×2 of 1024²: 0.2-0.5 s more).
        Call it between jobs, never during one."""
        if self._openvino is not None:
            self._openvino.release_memory()
        free_device_cache(self.device)
        return_free_memory()

    def run_task(
        self,
        task: TaskSpec,
        image: Image,
        params: Any,
        progress: Progress | None = None,
        *,
        consume_input: bool = False,
    ) -> Image:
        """The task's result. consume_input: the caller hands the image over and will not use
        it again (a batch that drops it after the run), so a task may write its result over
        the image's own pixels and need a whole image less memory."""
        sink: Progress = progress or NullProgress()
        messages: list[str] = []

        class _Recording:
            def set_progress(self, fraction: float) -> None:
                sink.set_progress(fraction)

            def message(self, text: str) -> None:
                messages.append(text)
                sink.message(text)

            def check_aborted(self) -> None:
                sink.check_aborted()

        start = time.perf_counter()
        self.last_report = RunReport(device=self.device_name, messages=messages)
        mapping = None
        if needs_mapping(image):
            image, mapping = to_unit_range(image)
        result = task.run(image, params, _Context(self, _Recording(), consume_input))
        if mapping is not None:
            result = from_unit_range(result, mapping)
        self.last_report.seconds = time.perf_counter() - start
        if result is image:
            return result
        # Results say what produced them: exports of processed CT carry a notice.
        done = [*result.meta.extra.get("processed", []), task.name]
        meta = replace(result.meta, extra={**result.meta.extra, "processed": done})
        return replace(result, meta=meta)

    def run_model(
        self,
        model_id: str,
        pixels: TileSource,
        progress: Progress,
        *,
        tiled: bool = True,
        passes: int = 1,
        write_into: np.ndarray | None = None,
        on_rows_done: RowsDone | None = None,
    ) -> np.ndarray:
        """See RunContext.run_model. write_into is used on the CPU only: there an attempt is
        never retried (a CPU allocation failure is not an OutOfMemoryError), while a GPU run
        that halves its tile and starts again must find its input as it was."""
        descriptor = self.descriptor(model_id)
        openvino = self.openvino_model(model_id, progress) if self.device.type == "cpu" else None
        if self.device.type == "cpu" and openvino is None:
            # This model runs on PyTorch (a user's model, or OpenVINO refused it): say so.
            cpu_bfloat16 = self.cpu_bfloat16 and descriptor.supports_half
            self.last_report.device = describe_device(self.device, cpu_bfloat16, runtime="PyTorch")
        elif openvino is not None:
            # What this model ran in: bfloat16 only where it declares it safe (inpaint does
            # not, and runs in float32 on a bfloat16 CPU), int8 where a version is shipped.
            runtime = self._openvino_runtime()
            int8 = openvino is self._int8.get(model_id)
            self.last_report.device = describe_device(
                self.device,
                self.reduced_precision and runtime.bfloat16_capable and descriptor.supports_half,
                runtime="OpenVINO, int8" if int8 else "OpenVINO",
                threads=runtime.threads,
            )
        if self.tile_override:
            base_tile = self.tile_override
        elif self.device.type == "cpu":
            base_tile = cpu_tile(descriptor.tile, *pixels.shape[:2])
        else:
            base_tile = descriptor.tile * (2 if self.device.type == "cuda" else 1)
        if not tiled or not descriptor.tiles:
            m = descriptor.size_multiple
            base_tile = -(-max(pixels.shape[:2]) // m) * m  # the whole image, padded

        def attempt(tile: int, device: Device) -> np.ndarray:
            compiled = openvino if device.type == "cpu" else None
            if compiled is None:
                model, dtype = self.model(model_id, device)
                forward = self_ensemble(forward_for(descriptor), passes)
                cpu_bfloat16 = (
                    device.type == "cpu" and self.cpu_bfloat16 and descriptor.supports_half
                )
            overlap = min(descriptor.tile_overlap, (tile - 1) // 2)
            # A tile asked for (Preferences, a fallback's halving) below what the model's size
            # multiple allows is raised to it.
            tile = max(tile, smallest_tile(overlap, descriptor.size_multiple))
            spec = TileSpec(
                tile=tile,
                overlap=overlap,
                scale=descriptor.scale,
                multiple=descriptor.size_multiple,
            )

            def on_openvino(arr: np.ndarray) -> np.ndarray:
                return self_ensemble_array(partial(openvino_infer, compiled), passes)(arr)

            def on_tile(arr: np.ndarray) -> np.ndarray:
                import torch

                t = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None]
                t = t.to(device=device.torch(), dtype=dtype)
                if device.type == "cpu":
                    t = t.contiguous(memory_format=torch.channels_last)
                with (
                    torch.inference_mode(),
                    torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_bfloat16),
                ):
                    y = forward(model, t)
                return y[0].permute(1, 2, 0).float().cpu().numpy()

            run_tile = on_tile if compiled is None else on_openvino
            if write_into is None or device.type != "cpu":
                return process_tiled(pixels, run_tile, spec, progress, on_rows_done=on_rows_done)
            try:
                return process_tiled(
                    pixels, run_tile, spec, progress, out=write_into, on_rows_done=on_rows_done
                )
            except oom_errors() as exc:  # the input is partly overwritten: no retry can work
                raise MemoryError(f"out of memory on the CPU with {tile}-pixel tiles") from exc

        result, tile, device = run_with_fallback(attempt, base_tile, self.device, progress)
        self.last_report.tile = tile
        if device != self.device:
            self.device = device  # stay on the CPU for the rest of this session's jobs
        return result
