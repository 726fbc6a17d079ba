"""Run one task over a batch of files: one line per failure, the batch goes on."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from restorer.cli.progress import TerminalProgress
from restorer.core.image import Image
from restorer.core.progress import Progress
from restorer.engine.device import DeviceUnavailableError
from restorer.io import (
    ImageReadError,
    ImageWriteError,
    check_target,
    read_image,
    write_image,
)
from restorer.io.batch import (
    Job,
    UsageError,
    make_output_folders,
    plan,
    real_path,
    subfolders_with_images,
)
from restorer.io.errors import frames_note
from restorer.models.descriptor import ModelIntegrityError
from restorer.tasks.base import UNCERTAINTY_KEY, TaskSpec, validate_params


def print_error(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


def mask_for(
    mask_arg: Path,
    source: Path,
    subfolder: Path = Path(),
    listed: Callable[[Path], dict[str, Path]] | None = None,
) -> Path:
    """The mask file for one input: the file given, or the file named like the input in a
    mask folder - in the same folder there as the input below its input folder (with
    --recursive, masks/1951/a.png for scans/1951/a.png: scans in two folders may share a
    name), else at the mask folder's top. listed: a folder's files by stem (to list each
    folder once when many inputs are looked up)."""
    if not mask_arg.is_dir():
        return mask_arg
    places = list(dict.fromkeys([mask_arg / subfolder, mask_arg]))
    for folder in places:
        found = (listed or files_by_stem)(folder).get(source.stem)
        if found is not None:
            return found
    where = " or ".join(str(folder) for folder in places)
    raise ImageReadError(f"{source.name}: no mask named {source.stem}.* in {where}")


def files_by_stem(folder: Path) -> dict[str, Path]:
    """The files of a folder by stem (the first by name where two share one); none for a
    folder that is not there."""
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for candidate in sorted(folder.iterdir()):
        if candidate.is_file():
            found.setdefault(candidate.stem, candidate)
    return found


def refuse_shared_masks(jobs: list[Job], masks: Path) -> None:
    """UsageError when one mask of a mask folder would serve scans of two folders (with
    --recursive, 1951/scan.png and 1952/scan.png and a single masks/scan.png): one of them
    would be filled where the other is damaged."""
    listed = functools.cache(files_by_stem)
    served: dict[Path, Job] = {}
    for job in jobs:
        try:
            mask = mask_for(masks, job.source, job.subfolder, listed)
        except ImageReadError:
            continue  # said by that file's own run
        first = served.setdefault(mask, job)
        if first is not job:
            raise UsageError(
                f"{mask} would be the mask of both {first.source} and {job.source}: a scan's "
                f"mask is found by its name without the suffix, in the same folder below "
                f"{masks} as the scan below its input folder, else at the top"
            )


MASK_MISSING = "give a --mask image, or --auto-mask to find scratches and dust"


def with_mask(
    task: TaskSpec,
    params: Any,
    image: Image,
    mask_arg: Path | None,
    source: Path,
    subfolder: Path = Path(),
) -> Any:
    """Params carrying the mask read from disk (white or any non-black sample = fill)."""
    assert task.mask_input is not None
    if mask_arg is None:
        if task.needs_user_mask(params):
            raise ValueError(MASK_MISSING)
        return params
    mask_image = read_image(mask_for(mask_arg, source, subfolder))
    pixels = mask_image.pixels if mask_image.pixels.ndim == 2 else mask_image.pixels.max(axis=2)
    if pixels.shape != image.pixels.shape[:2]:
        raise ValueError(
            f"{source.name}: the mask is {mask_image.width}×{mask_image.height}, "
            f"the image {image.width}×{image.height}"
        )
    return task.mask_input.given(params, pixels > 0.5)


def restore_file(
    task: TaskSpec,
    params: Any,
    engine: Any,
    job: Job,
    args: argparse.Namespace,
    progress: Progress,
) -> float:
    """Read, restore and write one file of a batch; its seconds. Raises ImageReadError,
    ImageWriteError or ValueError for this file, MemoryError, ModelIntegrityError."""
    if real_path(job.target) == real_path(job.source) and not args.overwrite:
        raise ImageWriteError(
            f"{job.target} is the input file; refusing to overwrite it "
            "(use --overwrite to replace the original)"
        )
    check_target(job.target, overwrite=args.overwrite)
    image = read_image(job.source)
    if (note := frames_note(job.source.name, image.meta.extra)) is not None:
        print(f"warning: {note}", file=sys.stderr)
    if (refusal := task.refusal(image)) is not None:
        raise ImageReadError(f"{job.source.name}: {refusal}")
    job_params = params
    if task.needs_mask:
        job_params = with_mask(task, params, image, args.mask, job.source, job.subfolder)
    start = time.perf_counter()
    result = engine.run_task(task, image, job_params, progress, consume_input=True)
    # The input is not needed for writing: let it go before encoding needs memory.
    del image, job_params
    write_image(
        result,
        job.target,
        bit_depth=args.bit_depth,
        quality=args.quality,
        overwrite=args.overwrite,
        task=task.name,
    )
    spread = result.meta.extra.get(UNCERTAINTY_KEY)
    if spread is not None:  # the learned MAR's uncertainty map, beside the result
        extra = {k: v for k, v in result.meta.extra.items() if k != UNCERTAINTY_KEY}
        beside = job.target.with_name(f"{job.target.stem}_uncertainty{job.target.suffix}")
        write_image(
            Image(spread, replace(result.meta, extra=extra)),
            beside,
            overwrite=args.overwrite,
            task=f"{task.name} uncertainty",
        )
    return time.perf_counter() - start


def attempt_file(
    task: TaskSpec,
    params: Any,
    engine: Any,
    job: Job,
    args: argparse.Namespace,
    progress: Progress,
) -> tuple[float, str | None]:
    """restore_file, with this file's failure as a message: (seconds, None) when it was
    written, (0, why) when not. Errors that would fail every file (a damaged installation,
    Ctrl-C) propagate."""
    try:
        return restore_file(task, params, engine, job, args, progress), None
    except (ImageReadError, ImageWriteError, ValueError) as exc:
        return 0.0, str(exc)
    except MemoryError:
        return 0.0, f"{job.source.name}: not enough memory; try a smaller --tile"


def check_params(task: TaskSpec, params: Any, args: argparse.Namespace) -> None:
    """The parameters are valid and a mask is given where one is needed; ValueError if not."""
    validate_params(params)
    if task.needs_user_mask(params) and args.mask is None:
        raise ValueError(MASK_MISSING)


def planned_jobs(task: TaskSpec, params: Any, args: argparse.Namespace) -> list[Job]:
    """The files of this command, after check_params; UsageError or ValueError otherwise."""
    check_params(task, params, args)
    fmt = args.format or task.output_format or None
    masks = mask_folders(args)
    jobs = plan(args.inputs, args.output, fmt, args.recursive, masks)
    for folder in masks:
        refuse_shared_masks(jobs, folder)
    return jobs


def mask_folders(args: argparse.Namespace) -> list[Path]:
    """The mask folder given, if any: kept inside the archive, it holds masks, not scans."""
    masks = getattr(args, "mask", None)
    return [masks] if masks is not None and masks.is_dir() else []


def warn_of_skipped_subfolders(args: argparse.Namespace) -> None:
    """Say which subfolders of the input folders hold images that this run leaves out: an
    archive's scans are usually filed in folders, and a batch that quietly did the top one
    only would look finished."""
    if args.recursive:
        return
    skipped = subfolders_with_images(args.inputs, args.output, mask_folders(args))
    if skipped:
        names = ", ".join(str(p) for p in skipped[:3]) + (" …" if len(skipped) > 3 else "")
        print(
            f"note: {len(skipped)} subfolder(s) with images left out ({names}); "
            "add --recursive to restore them too",
            file=sys.stderr,
        )


def run_batch(task: TaskSpec, params: Any, args: argparse.Namespace) -> int:
    from restorer.engine.engine import Engine

    try:
        jobs = planned_jobs(task, params, args)
        engine = Engine(args.device, tile=args.tile, precision=args.precision, backend=args.backend)
    except (UsageError, ValueError, DeviceUnavailableError) as exc:
        print_error(str(exc))
        return 2
    warn_of_skipped_subfolders(args)
    # Into a folder (several inputs, or an output that is not an image file's name, such as
    # "restored" or "scans.2024"), and with --recursive folders below it: made if missing.
    try:
        make_output_folders(jobs, args.output)
    except OSError as exc:
        print_error(f"cannot create the output folder {args.output}: {exc.strerror or exc}")
        return 1

    print(f"{task.title}: {len(jobs)} file(s) on {engine.device_name}", file=sys.stderr)
    failures = 0
    for job in jobs:
        progress = TerminalProgress(job.source.name)
        try:
            seconds, error = attempt_file(task, params, engine, job, args, progress)
        except ModelIntegrityError as exc:
            print_error(str(exc))
            return 3  # every further file would fail the same way
        except KeyboardInterrupt:
            print_error("interrupted")
            return 130
        if error is None:
            progress.done(f"{job.source.name} -> {job.target} ({seconds:.1f} s)")
        else:
            failures += 1
            progress.done("")
            print_error(error)
    if failures:
        print(f"{failures} of {len(jobs)} file(s) failed", file=sys.stderr)
        return 1
    return 0
