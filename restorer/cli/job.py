"""`restorer batch TASK IN... -o OUT`: a resumable job over a whole archive.

The job manifest (restorer.io.job_manifest) in OUT records each file's outcome as it ends.
The same command, run again after an interruption, skips what is done and still intact and
goes on with the rest; `--retry-failed` runs the failures again; `restorer batch --status
OUT` prints where a job stands. A failed file never stops the job: its error goes into the
manifest and into OUT/restorer-job-errors.csv. Outputs are written atomically, and never
over an input (the plan refuses such jobs before anything runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from restorer.cli.progress import TerminalProgress
from restorer.cli.run_task import MASK_MISSING, restore_file
from restorer.engine.device import DeviceUnavailableError
from restorer.io import ImageReadError, ImageWriteError
from restorer.io.batch import UsageError, plan, real_path, refuse_collisions
from restorer.io.job_manifest import JobManifest, read_counts
from restorer.models.loader import ModelIntegrityError
from restorer.tasks.base import TaskSpec, param_specs, validate_params


def _error(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


def job_settings(task: TaskSpec, params: Any, args: argparse.Namespace) -> dict[str, object]:
    """What makes two runs the same job: the task, its parameters, the output format."""
    values = {s.name: getattr(params, s.name) for s in param_specs(type(params))}
    return {
        "task": task.name,
        "params": values,
        "format": args.format,
        "bit_depth": args.bit_depth,
        "mask": str(args.mask) if getattr(args, "mask", None) else None,
    }


def print_status(folder: Any) -> int:
    try:
        counts = read_counts(folder)
    except UsageError as exc:
        _error(str(exc))
        return 2
    print(
        f"{folder}: {counts.done} done, {counts.failed} failed, {counts.pending} to do "
        f"(of {counts.total})"
    )
    return 0


def run_job(task: TaskSpec, params: Any, args: argparse.Namespace) -> int:
    from restorer.engine.engine import Engine

    try:
        validate_params(params)
        if task.needs_user_mask(params) and args.mask is None:
            raise ValueError(MASK_MISSING)
        jobs = plan(args.inputs, args.output, args.format or task.output_format or None)
        if args.output.suffix and len(jobs) == 1 and not args.output.is_dir():
            raise UsageError("a job writes into a folder: give -o a folder")
        refuse_collisions(jobs)
        if any(real_path(j.target) == real_path(j.source) for j in jobs):
            raise UsageError("a job never writes over its inputs: choose another output folder")
        args.output.mkdir(parents=True, exist_ok=True)
        manifest = JobManifest(args.output, job_settings(task, params, args))
    except (UsageError, ValueError) as exc:
        _error(str(exc))
        return 2
    except OSError as exc:
        _error(f"cannot use the output folder {args.output}: {exc.strerror or exc}")
        return 1
    try:
        manifest.add(jobs)
        left = manifest.to_do(jobs, args.retry_failed)
        before = manifest.counts()
        print(
            f"{task.title}: {len(left)} to do, {before.done} already done, "
            f"{before.failed} failed earlier{'' if args.retry_failed else ' (not retried)'}",
            file=sys.stderr,
        )
        if not left:
            return _summary(manifest)
        try:
            engine = Engine(
                args.device, tile=args.tile, precision=args.precision, backend=args.backend
            )
        except DeviceUnavailableError as exc:
            _error(str(exc))
            return 2
        # The job owns the outputs it records: a file written before an interruption and not
        # yet recorded is written again, over itself.
        own = argparse.Namespace(**{**vars(args), "overwrite": True})
        start = time.monotonic()
        for count, job in enumerate(left, 1):
            progress = TerminalProgress(job.source.name)
            try:
                seconds = restore_file(task, params, engine, job, own, progress)
            except (ImageReadError, ImageWriteError, ValueError) as exc:
                progress.done("")
                manifest.failed(job, str(exc))
                _error(str(exc))
                continue
            except MemoryError:
                progress.done("")
                manifest.failed(job, "not enough memory; try a smaller --tile")
                continue
            manifest.done(job, seconds)
            elapsed = time.monotonic() - start
            rate = count / elapsed * 60
            eta = (len(left) - count) / max(rate, 1e-9)
            progress.done(
                f"{job.source.name} -> {job.target} ({seconds:.1f} s) · {count}/{len(left)} · "
                f"{rate:.1f} files/min · about {eta:.0f} min left"
            )
    except ModelIntegrityError as exc:
        _error(str(exc))
        return 3
    except KeyboardInterrupt:
        _error("interrupted; run the same command to resume")
        return 130
    finally:
        manifest.close()
    return _summary(JobManifest(args.output, job_settings(task, params, args)))


def _summary(manifest: JobManifest) -> int:
    try:
        counts = manifest.counts()
        errors = manifest.write_errors()
    finally:
        manifest.close()
    print(
        f"{counts.done} done, {counts.failed} failed, {counts.pending} to do",
        file=sys.stderr,
    )
    if errors is not None:
        print(f"the failures and why: {errors}", file=sys.stderr)
        return 1
    return 0
