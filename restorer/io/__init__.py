"""Read and write images by content and suffix. Heavy libraries are imported lazily."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path, PurePath

from restorer.core.image import Image
from restorer.io.errors import ImageReadError, ImageWriteError

__all__ = [
    "READ_SUFFIXES",
    "WRITE_FORMATS",
    "ImageReadError",
    "ImageWriteError",
    "check_target",
    "format_for_suffix",
    "list_images",
    "probe_format",
    "read_image",
    "write_image",
]

_SUFFIX_FORMAT = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".bmp": "bmp",
    ".webp": "webp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".dcm": "dicom",
    ".dicom": "dicom",
}
READ_SUFFIXES = frozenset(_SUFFIX_FORMAT)
# A 400-megapixel 16-bit RGB TIFF (the largest image accepted) is 2.4 GB uncompressed.
MAX_FILE_BYTES = 4 * 2**30
WRITE_FORMATS = ("png", "tiff", "jpeg", "webp", "bmp", "dicom")


def list_images(folder: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Sorted image files of a folder (by suffix); names (stems) in exclude are left out."""
    skip = set(exclude)
    return sorted(
        p
        for p in Path(folder).iterdir()
        if p.suffix.lower() in READ_SUFFIXES and p.stem not in skip
    )


def format_for_suffix(path: PurePath) -> str | None:
    return _SUFFIX_FORMAT.get(path.suffix.lower())


def sniff_format(data: bytes) -> str | None:
    """The format a file's first bytes declare, whatever its name says."""
    # DICOM first: its 128-byte preamble may itself look like a TIFF header.
    if data[128:132] == b"DICM":
        return "dicom"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


def _check_file(path: Path) -> None:
    """Refuse what is not a regular file of plausible size, before any read: a pipe named
    x.png would block the read for ever, and a device such as /dev/zero never ends."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ImageReadError(f"{path}: is a folder, not an image")
    if not stat.S_ISREG(info.st_mode):
        raise ImageReadError(f"{path}: not a regular file (a pipe, device or socket)")
    if info.st_size > MAX_FILE_BYTES:
        raise ImageReadError(
            f"{path.name}: {info.st_size / 2**30:.1f} GiB is larger than any image "
            f"Restorer opens ({MAX_FILE_BYTES // 2**30} GiB)"
        )
    if info.st_size == 0:
        raise ImageReadError(f"{path.name}: the file is empty")


def _format_of(path: Path, data: bytes) -> str:
    fmt = sniff_format(data)
    if fmt is None:
        by_name = format_for_suffix(path)
        if by_name is None:
            raise ImageReadError(f"{path.name}: unsupported file type")
        raise ImageReadError(f"{path.name}: the file is not valid {by_name.upper()} data")
    return fmt


def probe_format(path: str | Path) -> str:
    """The format of an image file by its first bytes, after the checks read_image makes;
    reads no more than the start of the file."""
    path = Path(path)
    _check_file(path)
    return _format_of(path, _read(path, 256))


def _read(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (the first `limit` of them), with a message a user can act on."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not data:  # emptied since it was checked
        raise ImageReadError(f"{path.name}: the file is empty")
    return data


def read_image(path: str | Path) -> Image:
    """Decode a file into an Image; raises ImageReadError with a message a user can act on."""
    path = Path(path)
    _check_file(path)
    data = _read(path)
    fmt = _format_of(path, data)
    if fmt == "tiff":
        from restorer.io.tiff import read_tiff

        return read_tiff(path, data)
    if fmt == "dicom":
        from restorer.io.dicom import read_dicom

        return read_dicom(path, data)
    from restorer.io.raster import read_raster

    return read_raster(path, data, fmt)


def check_target(path: str | Path, *, overwrite: bool = False) -> None:
    """ImageWriteError now if write_image(..., path, overwrite=overwrite) would refuse the
    path: for its type, because it exists, or because its folder does not. A batch asks
    before restoring a file, so that a second run of the same command does not compute every
    result to throw it away. Writing checks again (the file may appear meanwhile)."""
    from restorer.io.atomic import check_writable

    path = Path(path)
    if format_for_suffix(path) is None:
        raise ImageWriteError(
            f"{path.name}: unsupported output type (use one of {', '.join(WRITE_FORMATS)})"
        )
    check_writable(path, overwrite)


def write_image(
    image: Image,
    path: str | Path,
    *,
    bit_depth: int | None = None,
    overwrite: bool = False,
    task: str = "restoration",
    quality: int | None = None,
) -> Path:
    """Encode image by the path's suffix and write it atomically.

    bit_depth defaults to the source's; quality (1-100) applies to JPEG and WebP (default 95).
    The source file itself is refused unless overwrite.
    """
    from restorer.io.atomic import atomic_write_bytes

    path = Path(path)
    check_target(path, overwrite=overwrite)  # before encoding (a 24 MP PNG: 1-2 s)
    fmt = format_for_suffix(path)
    assert fmt is not None  # check_target refuses other suffixes
    data = encode(image, fmt, bit_depth=bit_depth, task=task, quality=quality)
    atomic_write_bytes(path, data, overwrite=overwrite)
    return path


def encode(
    image: Image,
    fmt: str,
    *,
    bit_depth: int | None = None,
    task: str = "restoration",
    quality: int | None = None,
) -> bytes:
    """The bytes of image in format fmt (see WRITE_FORMATS)."""
    if fmt == "dicom":
        from restorer.io.dicom import encode_dicom

        return encode_dicom(image, task=task)
    if image.is_ct:
        from restorer.io.ct_view import windowed_view

        image = windowed_view(image)
    depth = bit_depth or image.meta.bit_depth
    if depth not in (8, 16, 32, 64):
        depth = 16 if depth > 8 else 8
    if fmt == "tiff":
        from restorer.io.tiff import encode_tiff

        return encode_tiff(image, depth)
    from restorer.io.raster import encode_raster

    if depth in (32, 64):
        depth = 16  # raster formats hold integers: keep as much precision as they can
    if quality is None:
        return encode_raster(image, fmt, depth)
    if not 1 <= quality <= 100:
        raise ImageWriteError(f"quality must be 1-100, not {quality}")
    return encode_raster(image, fmt, depth, quality)
