"""Run a user's own model (restorer.models.user_models) on a photo: as a super-resolution,
a restoration (denoise, JPEG, deblur...) or an inpainting model, whichever the file holds.

The network sees the image with the channels it was trained on: a gray image is repeated to
RGB for an RGB model and averaged back; a colour image goes through a one-channel model
channel by channel; an RGBA model gets the alpha (opaque where there is none). Alpha that the
model does not produce is enlarged with the image. Bit depth and metadata are kept by the
writer as for every task. An inpainting model changes masked pixels only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from restorer.core.image import Image
from restorer.core.progress import Progress, sub_progress
from restorer.core.resample import enlarge_cubic
from restorer.io.model_library import LibraryEntry
from restorer.models.descriptor import ModelDescriptor
from restorer.tasks.base import MaskInput, RunContext, TaskSpec, param

# What the user calls each kind of model, and the task of ours that runs the same kind.
KIND_TITLES = {
    "super_resolve": "super-resolution",
    "restore": "restoration",
    "inpaint": "inpainting",
}
CHANNEL_NAMES = {1: "gray", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True)
class UserModelParams:
    model_file: Path | None = field(
        default=None,
        metadata=param(
            "Model file",
            "path",
            help="A .pth or .safetensors model of an architecture spandrel supports, or the "
            "name of a model in your model library.",
        ),
    )
    mask: np.ndarray | None = None  # inpainting: white = fill


class WrongKindError(ValueError):
    """The model is of another kind than the task it was given to."""


def check_kind(kind: str, model_kind: str, model_name: str, scale: int) -> None:
    """WrongKindError naming what the model is, when it is not of this task's kind."""
    if model_kind == kind:
        return
    what = KIND_TITLES.get(model_kind, model_kind)
    if model_kind == "super_resolve":
        what = f"×{scale} {what}"
    raise WrongKindError(
        f"{model_name} is a {what} model, not a {KIND_TITLES[kind]} one; "
        f"use it with {TASK_FOR_KIND[model_kind]}"
    )


def kind_of(task: TaskSpec) -> str:
    """The kind of model a user-model task runs (super_resolve, restore, inpaint)."""
    return task.name.removeprefix("user_")


def library_entry(model: ModelDescriptor, name: str, notes: str = "") -> LibraryEntry:
    """What the model library records of a model that was read."""
    return LibraryEntry(
        name=name,
        file="",
        kind=model.task,
        architecture=model.title,
        scale=model.scale,
        input_channels=model.channels,
        output_channels=model.output_channels or model.channels,
        notes=notes,
    )


def entry_summary(entry: LibraryEntry) -> str:
    """One line about a library model: "ESRGAN ×4 super-resolution, RGB"."""
    scale = f" ×{entry.scale}" if entry.scale > 1 else ""
    kind = KIND_TITLES.get(entry.kind, entry.kind)
    channels = CHANNEL_NAMES.get(entry.input_channels, str(entry.input_channels))
    return f"{entry.architecture}{scale} {kind}, {channels}"


def run(kind: str, image: Image, params: UserModelParams, ctx: RunContext) -> Image:
    if params.model_file is None:
        raise ValueError("no model file given")
    model = ctx.user_model(params.model_file)
    check_kind(kind, model.task, Path(params.model_file).name, model.scale)
    mask = None
    if kind == "inpaint":
        if params.mask is None or not params.mask.any():
            raise ValueError("paint the area to fill, or give a --mask image")
        mask = (params.mask > 0.5)[:, :, None]

    channels_in = model.channels
    pixels = image.pixels
    gray = pixels.ndim == 2
    if channels_in == 1 and not gray:
        # One colour channel at a time: the model's own gray training, and colour kept.
        thirds = [sub_progress(ctx.progress, c / 3, (c + 1) / 3) for c in range(3)]
        planes = [
            _run_model(ctx, model.id, pixels[:, :, c : c + 1], mask, thirds[c]) for c in range(3)
        ]
        out = np.concatenate([p[:, :, :1] for p in planes], axis=2)
        new_alpha = None
    else:
        if channels_in == 1:
            x = pixels[:, :, None]
        else:
            x = np.repeat(pixels[:, :, None], 3, axis=2) if gray else pixels
            if channels_in == 4:
                alpha_in = image.alpha
                if alpha_in is None:
                    alpha_in = np.ones(pixels.shape[:2], np.float32)
                x = np.concatenate([x, alpha_in[:, :, None]], axis=2)
        y = _run_model(ctx, model.id, x, mask, ctx.progress)
        new_alpha = y[:, :, 3] if y.shape[2] == 4 and image.alpha is not None else None
        out = y[:, :, :3] if y.shape[2] >= 3 else y
        if gray or out.shape[2] == 1:
            out = out.mean(axis=2, dtype=np.float32)
    np.clip(out, 0.0, 1.0, out=out)
    if mask is not None:  # only the masked area changes; the rest stays bit-identical
        original = pixels if out.ndim == pixels.ndim else pixels.mean(axis=2)
        keep = mask if out.ndim == 3 else mask[:, :, 0]
        out = np.where(keep, out, original).astype(np.float32)
    alpha = image.alpha
    if new_alpha is not None:
        alpha = np.clip(new_alpha, 0.0, 1.0)
    elif alpha is not None and model.scale > 1:
        h, w = alpha.shape
        size = (w * model.scale, h * model.scale)
        alpha = np.clip(enlarge_cubic(alpha, size), 0.0, 1.0).astype(np.float32)
    return image.with_pixels(out, alpha=alpha)


def _run_model(
    ctx: RunContext, model_id: str, x: np.ndarray, mask: np.ndarray | None, progress: Progress
) -> np.ndarray:
    """The model's output for x: the mask, when there is one, is its second input."""
    inputs = x if mask is None else np.concatenate([x, mask.astype(np.float32)], axis=2)
    return ctx.run_model(model_id, np.ascontiguousarray(inputs, np.float32), progress=progress)


def _task(kind: str, title: str, command: str, mask_input: MaskInput | None = None) -> TaskSpec:
    return TaskSpec(
        name=f"user_{kind}",
        cli_name=command,
        title=title,
        description=f"Run your own {KIND_TITLES[kind]} model.",
        params_type=UserModelParams,
        run=partial(run, kind),
        accepts_ct=False,
        mask_input=mask_input,
    )


SUPER_RESOLVE = _task("super_resolve", "Super-resolve with your model", "upscale")
RESTORE = _task("restore", "Restore with your model", "denoise")
INPAINT = _task("inpaint", "Inpaint with your model", "inpaint", MaskInput())
# Where each kind of model is used, in words for messages.
TASK_FOR_KIND = {
    "super_resolve": "Super-resolve (restorer upscale --model FILE)",
    "restore": "Denoise or JPEG artifacts (restorer denoise --model FILE)",
    "inpaint": "Inpaint (restorer inpaint --model FILE)",
}
