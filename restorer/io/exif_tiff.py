"""EXIF into a TIFF result: camera, exposure and date kept when a photo is saved as TIFF.

An "Exif" block (as JPEG, PNG and WebP carry it) is a small TIFF of its own: IFD0 holds the
descriptive text tags (Make, Model, DateTime, ...) and points at sub-IFDs, the EXIF IFD
(exposure, lens, DateTimeOriginal) and the GPS IFD. In a TIFF file the same tags live in the
image's own IFD0, and the sub-IFDs are written elsewhere in the file and pointed at.

tifffile writes the pixels but refuses to write the two pointer tags (they are offsets into
the file, which it cannot know for tags it did not lay out). So each sub-IFD gets a
placeholder LONG tag one code below its pointer, so that the directory stays sorted when the
code is changed; after writing, the sub-IFD (serialised by Pillow, which keeps each tag's
type) is appended to the file, and the placeholder becomes the pointer to it.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

EXIF_HEADER = b"Exif\x00\x00"
SUB_IFDS = {0x8769: "EXIF", 0x8825: "GPS"}  # pointer tag -> name
INTEROP_IFD = 0xA005  # a third level (inside the EXIF IFD) that nobody reads: not carried
# A sub-IFD's offset is a LONG (4 bytes): it must lie in the first 4 GiB of a classic TIFF.
# Results so large are written as BigTIFF (other entry sizes) and keep only the text tags.
MAX_LINKABLE_BYTES = 2**31


@dataclass(frozen=True)
class ExifTags:
    """What an Exif block holds for a TIFF: IFD0's text tags, and the sub-IFDs by pointer."""

    text: dict[int, str]
    sub_ifds: dict[int, ImageFileDirectory_v2]


def parse_exif_block(block: bytes | None, text_tags: tuple[int, ...]) -> ExifTags:
    """The `text_tags` of IFD0 that hold text, and the EXIF and GPS IFDs, of an Exif block
    (with or without its "Exif\\0\\0" header); empty when there is none or it does not parse:
    metadata is carried where possible, never a reason to fail a save."""
    if not block:
        return ExifTags({}, {})
    body = block[len(EXIF_HEADER) :] if block.startswith(EXIF_HEADER) else block
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns of corrupt EXIF, then raises or not
        try:
            return _parse(body, text_tags)
        except Exception:  # a damaged block: Pillow raises many kinds
            return ExifTags({}, {})


def _parse(body: bytes, text_tags: tuple[int, ...]) -> ExifTags:
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    stream = io.BytesIO(body)
    ifd0 = ImageFileDirectory_v2(body[:8])
    stream.seek(ifd0.next)
    ifd0.load(stream)
    text = {code: ifd0[code] for code in text_tags if isinstance(ifd0.get(code), str)}
    subs: dict[int, ImageFileDirectory_v2] = {}
    for pointer in SUB_IFDS:
        if not isinstance(ifd0.get(pointer), int):
            continue
        sub = ImageFileDirectory_v2(body[:8])
        stream.seek(ifd0[pointer])
        sub.load(stream)
        if INTEROP_IFD in sub:
            del sub[INTEROP_IFD]
        if len(sub):
            subs[pointer] = sub
    return ExifTags(text, subs)


def placeholder(pointer: int) -> tuple[int, str, int, int, bool]:
    """The tifffile extratag that reserves the directory entry of `pointer`."""
    return (pointer - 1, "I", 1, 0, True)


def can_link(nbytes: int) -> bool:
    """Whether sub-IFDs can be linked into a TIFF of `nbytes` of samples (written as a classic
    TIFF, not BigTIFF)."""
    return nbytes < MAX_LINKABLE_BYTES


def link_sub_ifds(tiff: bytes, sub_ifds: dict[int, ImageFileDirectory_v2]) -> bytes:
    """`tiff` (classic, written by tifffile with `placeholder(p)` among its extratags for each
    p in `sub_ifds`) with the sub-IFDs appended and pointed at from its first IFD."""
    import tifffile
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    if not sub_ifds:
        return tiff
    with tifffile.TiffFile(io.BytesIO(tiff)) as tif:
        if tif.is_bigtiff:
            raise ValueError("sub-IFDs are linked into classic TIFF files only")
        order = "<" if tif.byteorder == "<" else ">"
        entries = {p: tif.pages.first.tags[p - 1] for p in sub_ifds}
        where = {p: (tag.offset, tag.valueoffset) for p, tag in entries.items()}
    out = bytearray(tiff)
    for pointer, ifd in sub_ifds.items():
        out += b"\x00" * (len(out) % 2)  # IFDs begin on a word boundary
        copy = ImageFileDirectory_v2(prefix=b"II" if order == "<" else b"MM")
        for code, value in ifd.items():
            copy[code] = value
            copy.tagtype[code] = ifd.tagtype[code]
        start = len(out)
        out += copy.tobytes(start)
        entry, value_at = where[pointer]
        struct.pack_into(order + "H", out, entry, pointer)
        struct.pack_into(order + "I", out, value_at, start)
    return bytes(out)
