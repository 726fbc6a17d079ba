"""`restorer batch TASK IN... -o OUT`: a resumable job over a whole archive.

The job manifest (restorer.io.job_manifest) in OUT records each file's outcome as it ends.
The same command, run again after an interruption, skips what is done and still intact and
goes on with the rest; `--retry-failed` runs the failures again; `restorer batch --status
OUT` prints where a job stands. A failed file never stops the job: its error goes into the
manifest and into OUT/restorer-job-errors.csv. Outputs are written atomically, and never
over an input (the plan refuses such jobs before anything runs).

Inputs and the output may be URLs of object storage (restorer.io.storage); the manifest of
such a job is kept on this machine (--job-dir, or a folder of the application's data named
after the output URL), the errors' CSV is put beside the outputs as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

from restorer.cli.progress import TerminalProgress
from restorer.cli.run_task import (
    attempt_file,
    check_params,
    planned_jobs,
    print_error,
    warn_of_skipped_subfolders,
)
from restorer.core.checksum import file_sha256
from restorer.core.progress import Progress
from restorer.engine.device import DeviceUnavailableError, choose_engine_device, cuda_available
from restorer.io import ImageReadError
from restorer.io.batch import (
    Job,
    UsageError,
    make_output_folders,
    real_path,
    refuse_collisions,
)
from restorer.io.job_manifest import (
    ERRORS_NAME,
    AnyJob,
    JobManifest,
    Outcome,
    job_folder_for,
    read_counts,
)
from restorer.io.storage import RemoteJob, canonical, fetched, is_url, plan_urls, stored, upload
from restorer.models.descriptor import ModelIntegrityError
from restorer.tasks.base import TaskSpec, param_specs


def job_settings(task: TaskSpec, params: Any, args: argparse.Namespace) -> dict[str, object]:
    """What makes two runs the same job: the task, its parameters, the output format."""
    values = {s.name: _plain(getattr(params, s.name)) for s in param_specs(type(params))}
    return {
        "task": task.name,
        "params": values,
        "format": args.format,
        "bit_depth": args.bit_depth,
        "mask": str(args.mask) if getattr(args, "mask", None) else None,
    }


def _plain(value: object) -> object:
    """A parameter as the job file stores it (JSON): a user model's file by its path."""
    return str(value) if isinstance(value, Path) else value


def print_status(folder: Path | str) -> int:
    try:
        counts = read_counts(job_folder_for(folder))
    except UsageError as exc:
        print_error(str(exc))
        return 2
    print(
        f"{folder}: {counts.done} done, {counts.failed} failed, {counts.pending} to do "
        f"(of {counts.total})"
    )
    return 0


def run_job(task: TaskSpec, params: Any, args: argparse.Namespace) -> int:
    from restorer.engine.engine import Engine

    remote = any(is_url(x) for x in [*args.inputs, args.output])
    try:
        jobs: list[AnyJob]
        if remote:
            jobs = list(_planned_url_jobs(task, params, args))
            folder = args.job_dir or job_folder_for(args.output)
        else:
            local = _planned_local_jobs(task, params, args)
            warn_of_skipped_subfolders(args)
            make_output_folders(local, args.output)
            jobs = list(local)
            folder = args.output
        folder.mkdir(parents=True, exist_ok=True)
        manifest = JobManifest(folder, job_settings(task, params, args))
    except (UsageError, ValueError) as exc:
        print_error(str(exc))
        return 2
    except OSError as exc:
        print_error(f"cannot use the job's folder: {exc.strerror or exc}")
        return 1
    if remote:
        print(f"the job's manifest: {manifest.path}", file=sys.stderr)
    try:
        manifest.add(jobs)
        left = manifest.to_do(jobs, args.retry_failed)
        before = manifest.counts()
        print(
            f"{task.title}: {len(left)} to do, {before.done} already done, "
            f"{before.failed} failed earlier{'' if args.retry_failed else ' (not retried)'}",
            file=sys.stderr,
        )
        # The job owns the outputs it records: a file written before an interruption and not
        # yet recorded is written again, over itself.
        own = argparse.Namespace(**{**vars(args), "overwrite": True})
        tally = _Tally(manifest, len(left))
        if left:
            # An unavailable device is refused here, not by each worker.
            choose_engine_device(args.device)
        if left and args.ray is not None:
            _run_on_ray(task, params, own, left, tally, args.ray, args.workers)
        elif left and args.workers > 1:
            _run_in_processes(task, params, own, left, tally, args.workers)
        elif left:
            engine = Engine(**_engine_settings(args))
            for job in left:
                progress = TerminalProgress(job.name)
                seconds, error, outcome = restore_job(task, params, engine, job, own, progress)
                progress.done("")
                tally.record(job, seconds, error, outcome)
        return _summary(manifest, args.output if remote else None)
    except DeviceUnavailableError as exc:
        print_error(str(exc))
        return 2
    except ModelIntegrityError as exc:
        print_error(str(exc))
        return 3
    except KeyboardInterrupt:
        print_error("interrupted; run the same command to resume")
        return 130
    finally:
        manifest.close()


def _planned_local_jobs(task: TaskSpec, params: Any, args: argparse.Namespace) -> list[Job]:
    jobs = planned_jobs(task, params, args)
    if args.output.suffix and len(jobs) == 1 and not args.output.is_dir():
        raise UsageError("a job writes into a folder: give -o a folder")
    refuse_collisions(jobs)
    if any(real_path(j.target) == real_path(j.source) for j in jobs):
        raise UsageError("a job never writes over its inputs: choose another output folder")
    return jobs


def _planned_url_jobs(task: TaskSpec, params: Any, args: argparse.Namespace) -> list[RemoteJob]:
    check_params(task, params, args)
    if args.recursive:
        raise UsageError("--recursive reads local folders only; give each URL folder instead")
    return plan_urls(args.inputs, args.output, args.format or task.output_format or None)


def restore_job(
    task: TaskSpec,
    params: Any,
    engine: Any,
    job: AnyJob,
    args: argparse.Namespace,
    progress: Progress,
) -> tuple[float, str | None, Outcome | None]:
    """One file of a job, wherever it lies: (seconds, None, what was written) or (seconds,
    why not, None). The checksums are taken here, by the worker, from its own copies."""
    if isinstance(job, RemoteJob):
        return _restore_remote(task, params, engine, job, args, progress)
    seconds, error = attempt_file(task, params, engine, job, args, progress)
    written = stored(job.target) if error is None else None
    if written is None:
        return seconds, error or f"{job.target}: not there after writing", None
    return seconds, None, Outcome(file_sha256(job.source), file_sha256(job.target), written)


def _restore_remote(
    task: TaskSpec,
    params: Any,
    engine: Any,
    job: RemoteJob,
    args: argparse.Namespace,
    progress: Progress,
) -> tuple[float, str | None, Outcome | None]:
    """Fetch the input, restore it into a temporary folder, upload what was written there
    (the result, and an uncertainty map beside it)."""
    try:
        with (
            fetched(job.source) as source,
            tempfile.TemporaryDirectory(prefix="restorer-out-") as out,
        ):
            local = Job(source, Path(out) / PurePosixPath(job.target).name)
            seconds, error = attempt_file(task, params, engine, local, args, progress)
            if error is not None:
                return seconds, error, None
            folder = job.target.rsplit("/", 1)[0]
            for written in sorted(Path(out).iterdir()):
                upload(written, f"{folder}/{written.name}")
            now = stored(job.target)
            if now is None:
                return seconds, f"{job.target}: not there after the upload", None
            return seconds, None, Outcome(file_sha256(source), file_sha256(local.target), now)
    except ImageReadError as exc:
        return 0.0, str(exc), None
    except (OSError, UsageError) as exc:
        return 0.0, f"{job.target}: cannot be written ({exc})", None


def _summary(manifest: JobManifest, remote_output: str | None) -> int:
    counts = manifest.counts()
    errors = manifest.write_errors()
    print(
        f"{counts.done} done, {counts.failed} failed, {counts.pending} to do",
        file=sys.stderr,
    )
    if errors is not None:
        if remote_output is not None:  # where the archivist looks: beside the outputs
            try:
                upload(errors, f"{canonical(remote_output).rstrip('/')}/{ERRORS_NAME}")
            except (OSError, UsageError) as exc:
                print_error(f"the failures' list could not be put beside the outputs: {exc}")
        print(f"the failures and why: {errors}", file=sys.stderr)
    return 1 if counts.failed or counts.pending else 0


class _Tally:
    """Records each outcome in the manifest as it comes and prints files/min and the ETA."""

    def __init__(self, manifest: JobManifest, total: int) -> None:
        self.manifest, self.total, self.count = manifest, total, 0
        self.start = time.monotonic()

    def record(
        self, job: AnyJob, seconds: float, error: str | None, outcome: Outcome | None
    ) -> None:
        self.count += 1
        if error is not None or outcome is None:
            self.manifest.failed(job, error or "no result")
            print_error(error or f"{job.name}: no result")
            return
        self.manifest.done(job, seconds, outcome)
        rate = self.count / (time.monotonic() - self.start) * 60
        eta = (self.total - self.count) / max(rate, 1e-9)
        print(
            f"{job.name} -> {job.target} ({seconds:.1f} s) · {self.count}/{self.total} "
            f"· {rate:.1f} files/min · about {eta:.0f} min left",
            file=sys.stderr,
        )


def _engine_settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "device": args.device,
        "tile": args.tile,
        "precision": args.precision,
        "backend": args.backend,
    }


def _portable(args: argparse.Namespace) -> dict[str, Any]:
    """What a worker needs of the command line. The task itself is looked up by name there:
    its description holds functions that do not travel between processes."""
    return {k: v for k, v in vars(args).items() if k not in ("task", "bench_run")}


def threads_per_worker(cores: int, workers: int) -> int:
    """Threads for each of `workers` processes on `cores` cores: their share, but two at least.

    With one thread each, two workers on this project's 2-core EPYC restored a 1 MP photo in
    2.0 s each where one process alone took 1.1 s with one thread and 0.73 s with two: 12
    files took 16.8 s against 13.7 s for one process. With two threads each (four on two
    cores) a file took 1.2 s each and the 12 files 12.2 s: two workers are then faster than
    one, not slower."""
    return min(cores, max(2, cores // workers))


# --- several worker processes ------------------------------------------------------------
# Each process loads the models once (its own Engine) and uses its share of the CPU threads;
# the manifest is written by this process only, as results come back.
_worker_engine: Any = None


def _start_worker(settings: dict[str, Any], threads: int) -> None:
    global _worker_engine
    # OpenVINO reads the thread count from here (restorer.engine.device), and so does torch
    # when a task loads it; a worker that runs only OpenVINO never imports torch.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    from restorer.engine.engine import Engine

    _worker_engine = Engine(**settings)


def _work(
    task_name: str, params: Any, job: AnyJob, args: dict[str, Any]
) -> tuple[AnyJob, float, str | None, Outcome | None]:
    from restorer.core.progress import NullProgress
    from restorer.tasks.registry import get_task

    task = get_task(task_name)
    seconds, error, outcome = restore_job(
        task, params, _worker_engine, job, argparse.Namespace(**args), NullProgress()
    )
    return job, seconds, error, outcome


def _run_in_processes(
    task: TaskSpec,
    params: Any,
    args: argparse.Namespace,
    jobs: list[AnyJob],
    tally: _Tally,
    workers: int,
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    threads = threads_per_worker(os.cpu_count() or 1, workers)
    if args.device == "auto" and cuda_available():
        import torch

        threads = torch.get_num_threads()
    settings, plain = _engine_settings(args), _portable(args)
    print(f"{workers} worker processes, {threads} thread(s) each", file=sys.stderr)
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(settings, threads)
    ) as pool:
        futures = [pool.submit(_work, task.name, params, job, plain) for job in jobs]
        try:
            for future in as_completed(futures):
                tally.record(*future.result())
        except BrokenProcessPool:
            # The files it held stay "to do" in the manifest: nothing is lost.
            print_error(
                "a worker process stopped (killed, or out of memory); run the same command "
                "to resume"
            )
        except BaseException:
            for future in futures:
                future.cancel()
            raise


# --- a Ray cluster ------------------------------------------------------------------------
# One actor per worker slot holds an engine (its models loaded once; a GPU actor where the
# node has a GPU). Files are read and written by the actors at the paths given, so they must
# be paths every node sees (a shared file system) or URLs of object storage. The manifest
# stays with this process, the driver: a lost node or a restarted driver loses nothing, its
# files are still to do.


def _restorer_actor(ray: Any) -> Any:
    @ray.remote
    class Restorer:
        def __init__(self, settings: dict[str, Any], threads: int) -> None:
            _start_worker(settings, threads)

        def restore(
            self, task_name: str, params: Any, job: Job, args: dict[str, Any]
        ) -> tuple[AnyJob, float, str | None, Outcome | None]:
            return _work(task_name, params, job, args)

    return Restorer


# A file whose actor is lost is given to a fresh actor once more; lost twice, it is left to
# do (a file that kills its worker every time, say by running it out of memory, would
# otherwise take the job down with it).
RAY_ATTEMPTS = 2


def _run_on_ray(
    task: TaskSpec,
    params: Any,
    args: argparse.Namespace,
    jobs: list[AnyJob],
    tally: _Tally,
    address: str,
    workers: int,
) -> None:
    try:
        import ray
    except ImportError as exc:
        raise UsageError(
            'Ray is not installed: pip install "restorer[cluster]" (it is never part of the '
            "desktop application)"
        ) from exc
    ray.init(
        address=None if address == "local" else address,
        include_dashboard=False,
        log_to_driver=False,
    )
    try:
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        slots = max(1, workers if workers > 1 else cpus // 2)
        share = max(1, cpus // slots)  # what Ray reserves for each actor
        threads = threads_per_worker(cpus, slots)
        settings, plain = _engine_settings(args), _portable(args)
        restorer = _restorer_actor(ray)
        each_gpu = 1 if gpus >= slots else 0

        def new_actor() -> Any:
            return restorer.options(num_cpus=share, num_gpus=each_gpu).remote(settings, threads)

        print(
            f"Ray: {slots} actors, {threads} thread(s) each, on {cpus} CPUs and {gpus} GPUs",
            file=sys.stderr,
        )
        # Each actor has one file at a time; a finished actor takes the next file. Written
        # out rather than with ray.util.ActorPool, which hands a dead actor further files.
        queue = [(job, 1) for job in reversed(jobs)]
        running: dict[Any, tuple[Any, AnyJob, int]] = {}

        def give(actor: Any) -> None:
            if queue:
                job, attempt = queue.pop()
                future = actor.restore.remote(task.name, params, job, plain)
                running[future] = (actor, job, attempt)

        for _ in range(slots):
            give(new_actor())
        while running:
            [future], _ = ray.wait(list(running), num_returns=1)
            actor, job, attempt = running.pop(future)
            try:
                result = ray.get(future)
            except ray.exceptions.RayActorError:
                if attempt < RAY_ATTEMPTS:
                    print_error(f"a Ray worker was lost on {job.name}; trying it again")
                    queue.append((job, attempt + 1))
                else:
                    print_error(
                        f"a Ray worker was lost on {job.name} twice; it is still to "
                        "do: run the same command to resume"
                    )
                if queue:
                    give(new_actor())  # in place of the lost one
                continue
            tally.record(*result)
            give(actor)
    finally:
        ray.shutdown()
