"""The job manifest of `restorer batch`: every input of a job with its status, output,
checksums, time and error, in one SQLite file in the output folder.

SQLite (the standard library's) because a job is interrupted at any moment: each file's
outcome is one committed transaction, so after a crash, a kill or a power cut the manifest
says exactly what was finished, and the same command resumes from there. A file counts as
done only while its output is still there with the checksum recorded when it was written;
resuming compares each output's size and time first and reads it only when those changed
(an archive's outputs are terabytes: hashing them all at every resume would take hours).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from restorer.core.checksum import file_sha256
from restorer.io.batch import Job, UsageError

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
    output_mtime_ns integer,
    seconds real,
    error text,
    updated real
);
"""


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

    def add(self, jobs: list[Job]) -> None:
        """Inputs not yet in the manifest join it as pending (a resumed job finds new files
        in its input folders too)."""
        with self._db:
            self._db.executemany(
                "insert or ignore into files (source, target, status, updated) "
                "values (?, ?, 'pending', ?)",
                [(str(j.source), str(j.target), time.time()) for j in jobs],
            )

    def to_do(self, jobs: list[Job], retry_failed: bool) -> list[Job]:
        """The jobs still to run: pending ones, failed ones when retried, and done ones whose
        output is gone or no longer the file that was written (marked pending again)."""
        rows = {
            source: (status, recorded)
            for source, status, *recorded in self._db.execute(
                "select source, status, output_sha256, output_size, output_mtime_ns from files"
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

    def done(self, job: Job, seconds: float) -> None:
        written = job.target.stat()
        self._set(
            job,
            DONE,
            source_sha256=file_sha256(job.source),
            output_sha256=file_sha256(job.target),
            output_size=written.st_size,
            output_mtime_ns=written.st_mtime_ns,
            seconds=seconds,
        )

    def failed(self, job: Job, error: str) -> None:
        self._set(job, FAILED, error=error)

    def _set(
        self,
        job: Job,
        status: str,
        *,
        source_sha256: str | None = None,
        output_sha256: str | None = None,
        output_size: int | None = None,
        output_mtime_ns: int | None = None,
        seconds: float | None = None,
        error: str | None = None,
    ) -> None:
        with self._db:
            self._db.execute(
                "update files set status = ?, source_sha256 = ?, output_sha256 = ?, "
                "output_size = ?, output_mtime_ns = ?, seconds = ?, error = ?, updated = ? "
                "where source = ?",
                (status, source_sha256, output_sha256, output_size, output_mtime_ns, seconds,
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
    finally:
        db.close()


def _counts(db: sqlite3.Connection) -> Counts:
    found = dict(db.execute("select status, count(*) from files group by status"))
    return Counts(found.get(DONE, 0), found.get(FAILED, 0), found.get(PENDING, 0))


def _intact(target: Path, sha256: str | None, size: int | None, mtime_ns: int | None) -> bool:
    """Whether target is still the output recorded: the same size and time, or else the
    same content (a copy keeps the content, not the time)."""
    try:
        now = target.stat()
        if now.st_size == size and now.st_mtime_ns == mtime_ns:
            return True
        return sha256 is not None and file_sha256(target) == sha256
    except OSError:
        return False
