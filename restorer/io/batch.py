"""Inputs to outputs for batch work (the command line and the window's queue): files or folders
in, files or a folder out; collisions refused before anything is written."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from restorer.io import READ_SUFFIXES, WRITE_FORMATS, format_for_suffix


class UsageError(Exception):
    pass


@dataclass(frozen=True)
class Job:
    source: Path
    target: Path
    # Its folder below the input folder it was found in (with --recursive, or a folder
    # dropped on the window's queue): where its result goes below the output, and where
    # its mask is looked for first in a mask folder.
    subfolder: Path = Path()

    @property
    def name(self) -> str:
        return self.source.name


def _is_image_name(name: str) -> bool:
    # Files without a suffix are included only in the DICOM sense: series exports often
    # have none. Hidden files (such as our own temporary files) are skipped.
    suffix = PurePosixPath(name).suffix.lower()
    return not name.startswith(".") and (suffix in READ_SUFFIXES or suffix == "")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and _is_image_name(p.name))


def images_below(folder: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """The images in folder and in every folder below it (hidden ones and links to folders
    left out: a link may loop), sorted by their path relative to folder. skip: folders
    left out with everything below them (the output, when it lies inside the input: a second
    run must not restore the first run's results)."""
    found = _walk_images(folder, {real_path(p) for p in skip})
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _walk_images(folder: Path, skipped: set[Path]) -> Iterator[Path]:
    """The images below folder as os.walk meets them (os.walk does not enter links to
    folders); hidden folders and those in skipped (real paths) are not entered."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and real_path(Path(root) / d) not in skipped
        ]
        yield from (Path(root) / f for f in files if _is_image_name(f))


def subfolders_with_images(
    inputs: list[Path], output: Path, leave_out: Iterable[Path] = ()
) -> list[Path]:
    """The folders directly inside the input folders that hold images somewhere below them
    (the output folder and those in leave_out aside): what a batch without recursion leaves
    out, for front ends to say so."""
    skipped = {real_path(p) for p in [output, *leave_out]}
    found = []
    for item in inputs:
        if item.is_dir():
            for sub in sorted(p for p in item.iterdir() if p.is_dir() and not p.is_symlink()):
                if (
                    not sub.name.startswith(".")
                    and real_path(sub) not in skipped
                    and next(_walk_images(sub, set()), None) is not None
                ):
                    found.append(sub)
    return found


def plan(
    inputs: list[Path],
    output: Path,
    out_format: str | None = None,
    recursive: bool = False,
    leave_out: Iterable[Path] = (),
) -> list[Job]:
    """One job per input image. A single file may go to a file path; anything else goes
    into the output folder under the same name (suffix changed when out_format is given).
    recursive: the images in folders below an input folder too, each written to the same
    folder below the output (archive/1951/a.tif -> out/1951/a.tif), the output folder and
    the folders in leave_out (such as a mask folder kept inside the archive) left out."""
    sources: list[tuple[Path, Path]] = []  # each image, with its folder below its input folder
    skip = [output, *leave_out]
    for item in inputs:
        if item.is_dir():
            found = images_below(item, skip=skip) if recursive else _images_in(item)
            if not found:
                raise UsageError(f"{item}: no images in this folder")
            sources.extend((src, src.parent.relative_to(item)) for src in found)
        else:
            sources.append((item, Path()))  # a missing or bad file is reported by its own job
    single_file_target = (
        len(inputs) == 1
        and not inputs[0].is_dir()
        and format_for_suffix(output) is not None
        and not output.is_dir()
    )
    if single_file_target:
        return [Job(sources[0][0], output)]
    if len(inputs) == 1 and not inputs[0].is_dir() and _unwritable_image_name(output):
        # "-o photo.gif" asks for a file Restorer cannot write, not for a folder of that name.
        raise UsageError(
            f"{output.name}: unsupported output type (use one of {', '.join(WRITE_FORMATS)})"
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; give a folder for several outputs")
    jobs = [Job(src, output / sub / output_name(src.name, out_format), sub) for src, sub in sources]
    refuse_collisions(jobs)
    return jobs


def make_output_folders(jobs: list[Job], output: Path) -> None:
    """The output folder and the folders below it that the results go to; nothing for a
    single file's path (its folder must exist). OSError when one cannot be made."""
    for folder in sorted({job.target.parent for job in jobs}):
        if folder == output or output in folder.parents:
            folder.mkdir(parents=True, exist_ok=True)


def _unwritable_image_name(output: Path) -> bool:
    """Whether output names an image file of a type Restorer does not write (.gif, .heic, .jxl,
    ...: the system's table of media types), rather than a folder."""
    if output.is_dir() or format_for_suffix(output) is not None:
        return False
    kind = mimetypes.guess_type(output.name)[0]
    return kind is not None and kind.startswith("image/")


def output_name(name: str, out_format: str | None) -> str:
    """An output's file name from its input's: a DICOM file without a suffix (as series
    exports often are) gets .dcm, and a format given changes the suffix."""
    path = PurePosixPath(name if PurePosixPath(name).suffix else name + ".dcm")
    return path.stem + "." + out_format if out_format else path.name


def real_path(path: Path) -> Path:
    """The path with links followed as far as they go; a link loop is left as it is (its
    job then fails to read it) instead of raising, as Path.resolve does."""
    return Path(os.path.realpath(path))


def refuse_collisions(jobs: list[Job]) -> None:
    """Before anything is written: two inputs must not share an output name (a.jpg and a.png
    with --format png), and no output may be another input of the same batch, which would be
    replaced and then read back as input."""
    resolved = [(job, real_path(job.source), real_path(job.target)) for job in jobs]
    sources = {source: job.source for job, source, _ in resolved}
    written: dict[Path, Path] = {}
    for job, source, target in resolved:
        if target in written:
            raise UsageError(
                f"{written[target].name} and {job.source.name} would both be written to "
                f"{job.target}; give another --format or separate output folders"
            )
        written[target] = job.source
        other = sources.get(target)
        if other is not None and target != source:
            raise UsageError(
                f"{job.source.name} would be written over {other}, another input of this "
                "batch; choose another output folder"
            )
