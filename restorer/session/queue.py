"""The batch queue, without Qt: files opened together, the outputs planned for them, where
each stands, and restoring one file of it. The window's queue panel renders it; its worker
calls restore_one for each file.

Like the command line's batch, every output is planned before anything runs: names that
collide or land on an input are refused, an existing file is never replaced, and a file that
fails says why and the queue goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from restorer.core.progress import Progress
from restorer.io import (
    ImageReadError,
    ImageWriteError,
    check_target,
    read_image,
    write_image,
)
from restorer.io.batch import Job, UsageError, refuse_collisions
from restorer.tasks.base import TaskSpec

DEFAULT_PATTERN = "{name}_restored"


def queue_jobs(sources: list[Path], folder: Path, pattern: str) -> list[Job]:
    """One job per source: folder / pattern (with {name} the source's stem) + its suffix
    (DICOM without one gets .dcm). Raises UsageError for a bad pattern or colliding names."""
    if "{name}" not in pattern:
        raise UsageError("the name pattern needs {name}, or every file gets the same name")
    if any(sep in pattern for sep in ("/", "\\")):
        raise UsageError("the name pattern makes a name, not a folder")
    jobs = []
    for source in sources:
        suffix = source.suffix or ".dcm"
        jobs.append(Job(source, folder / (pattern.replace("{name}", source.stem) + suffix)))
    refuse_collisions(jobs)
    return jobs


def restore_one(
    engine: Any, task: TaskSpec, params: Any, job: Job, quality: int, progress: Progress
) -> str:
    """Read, restore and write one queued file; "" when written, else why not (the queue
    goes on). Cancellation (Cancelled) and unexpected errors propagate."""
    try:
        check_target(job.target)
        image = read_image(job.source)
        if (refusal := task.refusal(image)) is not None:
            return refusal
        result = engine.run_task(task, image, params, progress)
        write_image(result, job.target, overwrite=False, task=task.name, quality=quality)
    except (ImageReadError, ImageWriteError, ValueError) as exc:
        return str(exc)
    except MemoryError:
        return "not enough memory"
    return ""


class ItemState(StrEnum):
    WAITING = ""
    RUNNING = "…"
    WRITTEN = "✓"
    FAILED = "✗"


@dataclass
class QueueItem:
    source: Path
    state: ItemState = ItemState.WAITING
    target: Path | None = None  # the result, once written
    error: str = ""


class BatchQueue:
    def __init__(self) -> None:
        self.items: list[QueueItem] = []
        self.jobs: list[Job] = []

    @property
    def sources(self) -> list[Path]:
        return [item.source for item in self.items]

    def set_sources(self, sources: list[Path]) -> None:
        self.items = [QueueItem(source) for source in sources]
        self.jobs = []

    def plan(self, folder: Path, pattern: str) -> list[Job]:
        """The jobs of Apply to all (UsageError for a bad pattern or colliding names); every
        file starts again as waiting."""
        jobs = queue_jobs(self.sources, folder, pattern)
        self.jobs = jobs
        for item in self.items:
            item.state, item.error = ItemState.WAITING, ""
        return jobs

    def started(self, index: int) -> None:
        self.items[index].state = ItemState.RUNNING

    def finished(self, index: int, error: str) -> None:
        item = self.items[index]
        if error:
            item.state, item.error = ItemState.FAILED, error
        else:
            item.state, item.target = ItemState.WRITTEN, self.jobs[index].target

    @property
    def targets(self) -> dict[int, Path]:
        """The results written, by the index of their file."""
        return {i: item.target for i, item in enumerate(self.items) if item.target is not None}

    @property
    def failed_names(self) -> list[str]:
        """The names of the files that failed, in queue order."""
        return [item.source.name for item in self.items if item.state is ItemState.FAILED]
