"""What every task shares: a parameter description that front ends build controls and flags
from, the context through which a task runs models, and the task record itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from restorer.core.image import Image
from restorer.core.progress import Progress
from restorer.core.tiling import RowsDone, TileSource
from restorer.models.descriptor import ModelDescriptor


@dataclass(frozen=True)
class ParamSpec:
    """One user-facing parameter. kind: float, int, choice, bool or path."""

    name: str
    label: str
    kind: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()  # allowed values (str or int), in display order
    help: str = ""
    optional: bool = False  # None is allowed and means "automatic"
    step: float | None = None
    choice_labels: tuple[str, ...] = ()  # what the window shows for each choice, in order

    def label_for(self, choice: Any) -> str:
        if self.choice_labels and choice in self.choices:
            return self.choice_labels[self.choices.index(choice)]
        return str(choice)


def param(
    label: str,
    kind: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Sequence[Any] = (),
    help: str = "",
    optional: bool = False,
    step: float | None = None,
    choice_labels: Sequence[str] = (),
) -> dict[str, Any]:
    """Metadata for a params dataclass field: `x: float = field(default=1, metadata=param(...))`."""
    return {
        "spec": dict(
            label=label,
            kind=kind,
            minimum=minimum,
            maximum=maximum,
            choices=tuple(choices),
            help=help,
            optional=optional,
            step=step,
            choice_labels=tuple(choice_labels),
        )
    }


def param_specs(params_type: type) -> list[ParamSpec]:
    specs = []
    for f in dataclasses.fields(params_type):
        meta = f.metadata.get("spec")
        if meta is None:
            continue
        specs.append(ParamSpec(name=f.name, default=f.default, **meta))
    return specs


def validate_params(params: Any) -> None:
    """Raise ValueError naming the parameter when a value lies outside its declared range."""
    for spec in param_specs(type(params)):
        value = getattr(params, spec.name)
        if value is None:
            if not spec.optional:
                raise ValueError(f"{spec.label} is required")
            continue
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"{spec.label} must be at least {spec.minimum} (got {value})")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"{spec.label} must be at most {spec.maximum} (got {value})")
        if spec.choices and value not in spec.choices:
            allowed = ", ".join(map(str, spec.choices))
            raise ValueError(f"{spec.label} must be one of {allowed} (got {value})")


class RunContext(Protocol):
    """What a task may ask of the engine. Implemented by restorer.engine."""

    progress: Progress
    # True when the caller hands the image over (a batch drops it after the run): the task
    # may write its result into the image's own pixels and save a whole image of memory.
    may_overwrite_input: bool

    def has_model(self, model_id: str) -> bool:
        """Whether the installation has this model (some are optional)."""
        ...

    def user_model(self, path: Path) -> ModelDescriptor:
        """Read a user's own model file (once per engine); its descriptor, whose id
        run_model takes. UserModelError (a ValueError) when it cannot be read or run."""
        ...

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
        """Run the model over pixels (H, W, C) in tiles on the chosen device, with
        out-of-memory fallback; returns float32 (H*scale, W*scale, C'). The channels of
        pixels are the model's inputs side by side, in the order its descriptor's `inputs`
        name them (restorer.engine.contract splits them). pixels may be an array or a
        TileSource that makes each tile when asked. passes > 1
        averages the output over that many flips and rotations of each tile. progress, when
        given, receives this run's completion instead of the context's own. write_into: an
        array of the output's shape the result may be written into (the returned array is
        the result either way), also when pixels reads from that very memory.
        on_rows_done(top, rows) sees each run of finished output rows while the input rows
        under them are still intact."""
        ...


# ImageMeta.extra: a per-pixel spread of the result over several runs, in the image's units
# (the learned MAR's, in HU). Kept here, without torch: the window reads it at start-up.
UNCERTAINTY_KEY = "uncertainty"


def _never(params: Any) -> bool:
    return False


@dataclass(frozen=True)
class MaskInput:
    """A task's mask input (white = work here): painted in the window, or a file on the
    command line. Front ends ask this, never the task's parameter names."""

    field: str = "mask"  # the params field that receives it, float32 (H, W)
    # True when these params have the task find its own mask, so none need be given.
    found_by_task: Callable[[Any], bool] = _never
    # The detection the window's Detect button runs, with the settings of these params.
    detection: Callable[[Any], tuple[TaskSpec, Any]] | None = None

    def required(self, params: Any) -> bool:
        return not self.found_by_task(params)

    def given(self, params: Any, mask: np.ndarray) -> Any:
        """params carrying the mask."""
        return replace(params, **{self.field: mask.astype(np.float32)})


NOT_FOR_CT = "{task} does not apply to CT images"
CT_ONLY = "{task} needs a CT image (DICOM)"


@dataclass(frozen=True)
class TaskSpec:
    name: str  # stable id, also the CLI subcommand
    title: str
    description: str
    params_type: type
    run: Callable[[Image, Any, RunContext], Image]
    cli_name: str = ""  # the subcommand; defaults to name
    accepts_ct: bool = True
    ct_only: bool = False
    mask_input: MaskInput | None = None
    # The metal threshold (HU) of these params, for tasks whose window shows the metal found.
    metal_threshold: Callable[[Any], float] | None = None
    output_format: str = ""  # what batch outputs are written as when not told; "": the input's

    @property
    def needs_mask(self) -> bool:
        return self.mask_input is not None

    def needs_user_mask(self, params: Any) -> bool:
        """Whether these params need a mask from the user (painted or a file)."""
        return self.mask_input is not None and self.mask_input.required(params)

    @property
    def command(self) -> str:
        return self.cli_name or self.name

    def default_params(self) -> Any:
        return self.params_type()

    def refusal_reason(self, image: Image) -> str | None:
        """Why this task does not apply to image (CT or not), as a template with {task}, or
        None. One wording for the command line, the window (which translates it) and the
        queue."""
        if image.is_ct and not self.accepts_ct:
            return NOT_FOR_CT
        if self.ct_only and not image.is_ct:
            return CT_ONLY
        return None

    def refusal(self, image: Image) -> str | None:
        reason = self.refusal_reason(image)
        return None if reason is None else reason.format(task=self.title)
