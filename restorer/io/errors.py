"""Errors the front ends show to users as they are: the message is the explanation."""

from __future__ import annotations


class ImageReadError(Exception):
    """A file could not be read as an image (corrupt, truncated, unsupported, too large)."""


class ImageWriteError(Exception):
    """An image could not be written (format limits, refused overwrite, disk errors)."""


# ImageMeta.extra key: how many frames or pages a photo file holds when only the first was read
# (animated PNG or WebP, multi-page TIFF). Front ends say so: restoring one frame of several
# without a word would look like the whole file was restored.
FRAMES_IGNORED = "frames_ignored"


# ImageMeta.extra key: the file held half floats (16-bit float), read into float32 exactly and
# written back as 32-bit float; `restorer info` says so.
HALF_FLOAT = "half_float"


def frames_note(name: str, extra: dict[str, object]) -> str | None:
    """The caution to show for a file of several frames, or None."""
    frames = extra.get(FRAMES_IGNORED)
    if not frames:
        return None
    return f"{name} holds {frames} frames or pages; only the first is restored"


def decoder_reason(exc: Exception) -> str:
    """A decoder's complaint in words for the user: Pillow's "cannot identify image file
    <_io.BytesIO object at 0x...>" names a memory address, not the problem."""
    text = str(exc)
    if text.startswith("cannot identify image file"):
        return "its contents are damaged or of another kind"
    return text
