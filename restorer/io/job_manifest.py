"""The job manifest of `restorer batch`: every input of a job with its status, output,
checksums, time and error, in one SQLite file in the output folder.

SQLite (the standard library's) because a job is interrupted at any moment: each file's
outcome is one committed transaction, so after a crash, a kill or a power cut the manifest
says exactly what was finished, and the same command resumes from there. A file counts as
done only while its output is still there with the checksum recorded when it was written;
resuming compares each output's size and time first and reads it only when those changed
(an archive's outputs are terabytes: hashing them all at every resume would take hours).
Outputs in object storage are told apart by their ETag (restorer.io.storage); the manifest of
such a job lives on the driver's disk (job_folder_for), as SQLite needs a file system.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from restorer.io.app_data import data_folder
from restorer.io.batch import Job, UsageError
from restorer.io.storage import RemoteJob, Stored, canonical, is_url, sha256_at, stored

AnyJob = Job | RemoteJob

MANIFEST_NAME = "restorer-job.sqlite"
ERRORS_NAME = "restorer-job-errors.csv"
PENDING, DONE, FAILED = "pending", "done", "failed"

_SCHEMA = """
create table if not exists job (key text primary key, value text not null);
create table if not exists files (
    source text primary key,
    target text not null,
    status text not null,
    source_sha256 text,
    output_sha256 text,
    output_size integer,
    output_version text,
    seconds real,
    error text,
    updated real
);
"""


def job_folder_for(output: str | Path) -> Path:
    """Where the manifest of a job writing to `output` lives: the output folder itself, or for
    a URL a folder of the application's data named after it (the same command finds it)."""
    if not is_url(output):
        return Path(output)
    digest = hashlib.sha256(canonical(output).rstrip("/").encode()).hexdigest()[:16]
    return data_folder() / "jobs" / digest


@dataclass(frozen=True)
class Outcome:
    """A file restored: the checksums of its input and output, and how the output is stored
    (measured by the worker that wrote it, from its local copies)."""

    source_sha256: str
    output_sha256: str
    output: Stored


@dataclass(frozen=True)
class Counts:
    done: int
    failed: int
    pending: int

    @property
    def total(self) -> int:
        return self.done + self.failed + self.pending


class JobManifest:
    """One job's manifest; `settings` (the task and its parameters) must match the job the
    folder already holds: a folder is one job."""

    def __init__(self, folder: Path, settings: dict[str, object]) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        _upgrade(self._db)
        wanted = json.dumps(settings, sort_keys=True)
        row = self._db.execute("select value from job where key = 'settings'").fetchone()
        if row is None:
            with self._db:
                self._db.execute("insert into job values ('settings', ?)", (wanted,))
        elif row[0] != wanted:
            raise UsageError(
                f"{folder} holds a job with other settings ({row[0]}); resume it with those, "
                "or choose another output folder"
            )

    def close(self) -> None:
        self._db.close()

    def add(self, jobs: list[AnyJob]) -> None:
        """Inputs not yet in the manifest join it as pending (a resumed job finds new files
        in its input folders too)."""
        with self._db:
            self._db.executemany(
                "insert or ignore into files (source, target, status, updated) "
                "values (?, ?, 'pending', ?)",
                [(str(j.source), str(j.target), time.time()) for j in jobs],
            )

    def to_do(self, jobs: list[AnyJob], retry_failed: bool) -> list[AnyJob]:
        """The jobs still to run: pending ones, failed ones when retried, and done ones whose
        output is gone or no longer the file that was written (marked pending again)."""
        rows = {
            source: (status, recorded)
            for source, status, *recorded in self._db.execute(
                "select source, status, output_sha256, output_size, output_version from files"
            )
        }
        left = []
        for job in jobs:
            status, recorded = rows.get(str(job.source), (PENDING, [None, None, None]))
            if status == DONE and _intact(job.target, *recorded):
                continue
            if status == FAILED and not retry_failed:
                continue
            if status == DONE:
                self._set(job, PENDING, error="output missing or changed since it was written")
            left.append(job)
        return left

    def done(self, job: AnyJob, seconds: float, outcome: Outcome) -> None:
        self._set(
            job,
            DONE,
            source_sha256=outcome.source_sha256,
            output_sha256=outcome.output_sha256,
            output_size=outcome.output.size,
            output_version=outcome.output.version,
            seconds=seconds,
        )

    def failed(self, job: AnyJob, error: str) -> None:
        self._set(job, FAILED, error=error)

    def _set(
        self,
        job: AnyJob,
        status: str,
        *,
        source_sha256: str | None = None,
        output_sha256: str | None = None,
        output_size: int | None = None,
        output_version: str | None = None,
        seconds: float | None = None,
        error: str | None = None,
    ) -> None:
        with self._db:
            self._db.execute(
                "update files set status = ?, source_sha256 = ?, output_sha256 = ?, "
                "output_size = ?, output_version = ?, seconds = ?, error = ?, updated = ? "
                "where source = ?",
                (status, source_sha256, output_sha256, output_size, output_version, seconds,
                 error, time.time(), str(job.source)),
            )  # fmt: skip

    def counts(self) -> Counts:
        return _counts(self._db)

    def write_errors(self) -> Path | None:
        """The failures as a CSV an archivist can open (file, error, when); None if none."""
        rows = self._db.execute(
            "select source, error, updated from files where status = 'failed' order by source"
        ).fetchall()
        path = self.folder / ERRORS_NAME
        if not rows:
            path.unlink(missing_ok=True)
            return None
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "error", "when"])
            for source, error, updated in rows:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(updated))
                writer.writerow([source, error, when])
        return path


def read_counts(folder: Path) -> Counts:
    """The counts of the job in `folder`, for `restorer batch --status`."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise UsageError(f"no job in {folder} (no {MANIFEST_NAME})")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _counts(db)
    except sqlite3.OperationalError as exc:
        # A job starting this moment: its file is made before its tables.
        if "no such table" in str(exc):
            return Counts(0, 0, 0)
        raise
    finally:
        db.close()


def _counts(db: sqlite3.Connection) -> Counts:
    found = dict(db.execute("select status, count(*) from files group by status"))
    return Counts(found.get(DONE, 0), found.get(FAILED, 0), found.get(PENDING, 0))


def _upgrade(db: sqlite3.Connection) -> None:
    """A manifest from before outputs could be objects kept the file's time in nanoseconds:
    that is its version."""
    columns = {row[1] for row in db.execute("pragma table_info(files)")}
    if "output_version" not in columns:
        with db:
            db.execute("alter table files add column output_version text")
            db.execute("update files set output_version = cast(output_mtime_ns as text)")


def _intact(target: str | Path, sha256: str | None, size: int | None, version: str | None) -> bool:
    """Whether target is still the output recorded: the same size and version (a file's
    time, an object's ETag), or else the same content (a copy keeps the content, not the
    time)."""
    try:
        now = stored(target)
        if now is None:
            return False
        if now.size == size and now.version == version:
            return True
        return sha256 is not None and sha256_at(target) == sha256
    except OSError:
        return False
