"""Atomic file writes: a reader never sees half a file and a failed write leaves no trace."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from restorer.io.errors import ImageWriteError


def atomic_write_bytes(path: Path, data: bytes, overwrite: bool = False) -> None:
    """Write data to path through a temporary file in the same folder, then rename.

    The rename is atomic on one file system, so the target is either the old file or the
    complete new one. Without overwrite an existing file is refused.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ImageWriteError(f"{path} already exists (use --overwrite to replace it)")
    if not path.parent.is_dir():
        raise ImageWriteError(f"folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ImageWriteError(f"could not write {path}: {exc.strerror or exc}") from exc
