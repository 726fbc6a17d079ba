"""The batch queue, without Qt: files opened together, the outputs planned for them, where
each stands, and restoring one file of it. The window's queue panel renders it; its worker
calls restore_one for each file.

Like the command line's batch, every output is planned before anything runs: names that
collide or land on an input are refused, an existing file is never replaced, and a file that
fails says why and the queue goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from restorer.core.progress import Progress
from restorer.io import (
    READ_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    check_target,
    read_image,
    write_image,
)
from restorer.io.batch import Job, UsageError, images_below, refuse_collisions
from restorer.tasks.base import TaskSpec

DEFAULT_PATTERN = "{name}_restored"
# The folder the results go to when none is set: inside the folder the files came from.
DEFAULT_FOLDER_NAME = "restored"
# Photos: a folder of them opened fills the queue (a folder of DICOM files is a series).
PHOTO_SUFFIXES = frozenset(s for s in READ_SUFFIXES if s not in (".dcm", ".dicom"))


def photos_to_queue(
    paths: Sequence[Path], output_folder: str = "", also_skip: Sequence[Path] = ()
) -> dict[Path, Path]:
    """What opening paths together puts in the queue, each with its folder below the opened
    one ("" for a file opened as such): a file as it is; for a folder, the photos in it and
    in every folder below it (archives are filed in folders), hidden folders and output
    folders left out (a second run must not queue the first run's results). A folder without
    photos is kept as it is: a folder of DICOM files opens as one series. output_folder: as
    set ("" = a "restored" folder inside the folder the files came from); also_skip: other
    folders results went to."""
    queued: dict[Path, Path] = {}
    for path in paths:
        if not path.is_dir():
            queued[path] = Path()
            continue
        output = Path(output_folder).expanduser() if output_folder else path / DEFAULT_FOLDER_NAME
        found = images_below(path, skip=[output, *also_skip])
        photos = [p for p in found if p.suffix.lower() in PHOTO_SUFFIXES]
        queued.update({p: p.parent.relative_to(path) for p in photos} or {path: Path()})
    return queued


def queue_jobs(
    sources: list[Path], folder: Path, pattern: str, subfolders: Sequence[Path] = ()
) -> list[Job]:
    """One job per source: folder / its subfolder (see photos_to_queue) / pattern (with
    {name} the source's stem) + its suffix (DICOM without one gets .dcm): scans/1951/a.tif,
    opened with scans, goes to folder/1951/a_restored.tif. Raises UsageError for a bad
    pattern or colliding names."""
    if "{name}" not in pattern:
        raise UsageError("the name pattern needs {name}, or every file gets the same name")
    if any(sep in pattern for sep in ("/", "\\")):
        raise UsageError("the name pattern makes a name, not a folder")
    jobs = []
    for source, subfolder in zip(sources, subfolders or [Path()] * len(sources), strict=True):
        name = pattern.replace("{name}", source.stem) + (source.suffix or ".dcm")
        jobs.append(Job(source, folder / subfolder / name, subfolder))
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
    subfolder: Path = Path()  # its folder below the folder opened (photos_to_queue)
    state: ItemState = ItemState.WAITING
    target: Path | None = None  # the result, once written
    error: str = ""

    @property
    def label(self) -> str:
        """The name shown: with its folder below the opened one, as two scans may share a
        name in different folders."""
        return str(self.subfolder / self.source.name)

    @property
    def opened_folder(self) -> Path:
        """The folder it was queued from (its own folder for a file opened as such)."""
        return self.source.parents[len(self.subfolder.parts)]


class BatchQueue:
    def __init__(self) -> None:
        self.items: list[QueueItem] = []
        self.jobs: list[Job] = []

    @property
    def sources(self) -> list[Path]:
        return [item.source for item in self.items]

    def set_sources(
        self, sources: Sequence[Path], subfolders: Mapping[Path, Path] | None = None
    ) -> None:
        """The files to queue, with their folders below the folder opened (photos_to_queue;
        none for files opened as such)."""
        below = subfolders or {}
        self.items = [QueueItem(source, below.get(source, Path())) for source in sources]
        self.jobs = []

    @property
    def default_folder(self) -> Path | None:
        """Where the results go when no folder is set: a "restored" folder inside the
        folder the first file was queued from."""
        return self.items[0].opened_folder / DEFAULT_FOLDER_NAME if self.items else None

    def plan(self, folder: Path, pattern: str) -> list[Job]:
        """The jobs of Apply to all (UsageError for a bad pattern or colliding names); every
        file starts again as waiting. Each result goes to the same folder below folder as
        its file below the folder opened."""
        subfolders = [item.subfolder for item in self.items]
        jobs = queue_jobs(self.sources, folder, pattern, subfolders)
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
        return [item.label for item in self.items if item.state is ItemState.FAILED]
