"""Job inputs and outputs named by URL (`s3://bucket/scans`, `gs://...`, `file:///...`), through
fsspec: the archive's object storage, read and written by every worker of a cluster.

Only `restorer batch` takes URLs. A worker fetches the input into a temporary folder, restores
it there with the same code as a local file, and uploads what it wrote (the result, and the
uncertainty map beside a learned MAR result). The checksums the job manifest keeps are taken
from those local copies, so nothing is read twice over the network.

Atomic writes: an object store (S3, Google Cloud Storage, Azure, fsspec's memory store) shows
an object only once its upload is complete, so the result is put under its name directly;
on any other file system it is put under a temporary name and renamed.

fsspec itself comes with torch. The driver of a storage (s3fs, gcsfs, adlfs) is the user's to
install, with its credentials in the environment as that driver reads them.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from restorer.core.checksum import file_sha256
from restorer.io import READ_SUFFIXES, format_for_suffix
from restorer.io.batch import UsageError, output_name

OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"}
# Fields of fsspec's file info that change when an object or file is replaced, best first.
_VERSION_FIELDS = ("ETag", "etag", "md5Hash", "mtime", "LastModified", "last_modified", "created")


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def path_or_url(text: str) -> Path | str:
    """A command-line location: a URL stays text (a Path would fold its '//')."""
    return text if is_url(text) else Path(text)


def _fs(url: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url)
    except ImportError as exc:  # the storage's driver (s3fs, gcsfs...) is not installed
        raise UsageError(f"{url}: {exc}") from exc
    except ValueError as exc:  # an unknown protocol
        raise UsageError(f"{url}: {exc}") from exc


def canonical(location: str | Path) -> str:
    """One spelling per object: 'protocol://path' (a local path made absolute)."""
    if not is_url(location):
        return Path(location).resolve().as_uri()
    fs, path = _fs(str(location))
    return str(fs.unstrip_protocol(path))


@dataclass(frozen=True)
class RemoteJob:
    """One input and its output, as canonical URLs."""

    source: str
    target: str

    @property
    def name(self) -> str:
        return _name(self.source)


def _name(url: str) -> str:
    return PurePosixPath(url.split("://", 1)[1]).name


def _images_at(url: str) -> list[str]:
    fs, path = _fs(url)
    found = []
    for entry in fs.ls(path, detail=True):
        name = PurePosixPath(entry["name"]).name
        suffix = PurePosixPath(name).suffix.lower()
        if (
            entry.get("type") == "file"
            and not name.startswith(".")
            and (suffix in READ_SUFFIXES or suffix == "")
        ):
            found.append(str(fs.unstrip_protocol(entry["name"])))
    return sorted(found)


def plan_urls(
    inputs: list[str | Path], output: str | Path, out_format: str | None = None
) -> list[RemoteJob]:
    """One job per input image, as plan() does for local paths: folders (prefixes) are
    listed, every output goes into the output folder under the input's name."""
    sources: list[str] = []
    for item in inputs:
        url = canonical(item)
        fs, path = _fs(url)
        try:
            folder = fs.isdir(path)
        except OSError as exc:
            raise UsageError(f"{item}: {exc}") from exc
        if folder:
            found = _images_at(url)
            if not found:
                raise UsageError(f"{item}: no images there")
            sources.extend(found)
        else:
            sources.append(url)  # a missing or bad file is reported by its own job
    out = canonical(output).rstrip("/")
    if format_for_suffix(PurePosixPath(out)) is not None:
        raise UsageError("a job writes into a folder: give -o a folder")
    jobs = [RemoteJob(src, f"{out}/{output_name(_name(src), out_format)}") for src in sources]
    _refuse_collisions(jobs)
    return jobs


def _refuse_collisions(jobs: list[RemoteJob]) -> None:
    sources = {job.source for job in jobs}
    written: dict[str, str] = {}
    for job in jobs:
        if job.target in sources:
            raise UsageError(
                f"{job.name} would be written over {job.target}, an input of this job; "
                "choose another output folder"
            )
        if job.target in written:
            raise UsageError(
                f"{written[job.target]} and {job.name} would both be written to {job.target}; "
                "give another --format or separate output folders"
            )
        written[job.target] = job.name


@contextmanager
def fetched(url: str) -> Iterator[Path]:
    """The object at `url` as a local file (same name) in a temporary folder, removed after."""
    folder = Path(tempfile.mkdtemp(prefix="restorer-fetch-"))
    try:
        local = folder / _name(url)
        fs, path = _fs(url)
        try:
            fs.get_file(path, str(local))
        except FileNotFoundError:
            from restorer.io import ImageReadError

            raise ImageReadError(f"{url}: no such file") from None
        except OSError as exc:
            from restorer.io import ImageReadError

            raise ImageReadError(f"{url}: cannot be read ({exc})") from None
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload(local: Path, url: str) -> None:
    """Put a local file at `url`, whole or not at all (see the module's note)."""
    fs, path = _fs(url)
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    parent = path.rsplit("/", 1)[0]
    if parent and parent != path:
        fs.makedirs(parent, exist_ok=True)
    if protocols & OBJECT_STORES:
        fs.put_file(str(local), path)
        return
    partial = f"{parent}/.{PurePosixPath(path).name}.{uuid.uuid4().hex[:8]}.partial"
    fs.put_file(str(local), partial)
    try:
        fs.mv(partial, path)
    except BaseException:
        fs.rm(partial)
        raise


@dataclass(frozen=True)
class Stored:
    """What the job manifest keeps of a written output, to tell later whether it is still the
    file that was written: its size and version cheaply, its sha256 when those changed."""

    size: int
    version: str


def stored(location: str | Path) -> Stored | None:
    """The size and version of a local file or an object; None when it is not there."""
    if not is_url(location):
        try:
            info = Path(location).stat()
        except OSError:
            return None
        return Stored(info.st_size, str(info.st_mtime_ns))
    fs, path = _fs(str(location))
    try:
        info = fs.info(path)
    except (FileNotFoundError, OSError):
        return None
    version = next((str(info[k]) for k in _VERSION_FIELDS if info.get(k) is not None), "")
    return Stored(int(info.get("size") or 0), version)


def sha256_at(location: str | Path) -> str:
    if not is_url(location):
        return file_sha256(Path(location))
    with fetched(str(location)) as local:
        return file_sha256(local)
