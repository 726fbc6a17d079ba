"""Atomic file writes: a reader never sees half a file, a failed write leaves no trace, and a
file that exists is never replaced unless asked.

The data goes to a temporary file in the target's folder, named `.NAME.restorer-PID-XXXX.tmp`
so that it is recognisable; a later write into that folder removes such files left behind by a
process that no longer runs (killed while writing). The last step is exclusive when not
overwriting: a hard link, which fails if the name exists, so two processes writing the same
name cannot both succeed (a check before a rename could not promise that). Replacing a file
keeps its permission bits: a private file stays private.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import uuid
from pathlib import Path

from restorer.io.errors import ImageWriteError

_TEMPORARY = re.compile(r"^\..+\.restorer-(\d+)-[0-9a-f]{8}\.tmp$")
_swept: set[Path] = set()


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's, or cannot tell: leave it
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete our temporary files in `folder` whose writing process is gone; returns them."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.match(name)
        if match and not _process_alive(int(match.group(1))):
            try:
                (folder / name).unlink()
                removed.append(folder / name)
            except OSError:
                pass
    return removed


def _discard(tmp: Path) -> None:
    # Never there (a read-only folder) or already gone: nothing to clean, nothing to report.
    with contextlib.suppress(OSError):
        tmp.unlink()


def _publish_exclusively(tmp: Path, path: Path) -> None:
    """Give tmp the name path, failing with FileExistsError if path exists."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
            raise
        # No hard links here (FAT, some network shares): reserve the name, then replace it.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def check_writable(path: Path, overwrite: bool = False) -> None:
    """ImageWriteError if path exists (unless overwrite) or its folder does not."""
    if path.exists() and not overwrite:
        raise ImageWriteError(f"{path} already exists (use --overwrite to replace it)")
    if not path.parent.is_dir():
        raise ImageWriteError(f"folder {path.parent} does not exist")


def atomic_write_bytes(path: Path, data: bytes, overwrite: bool = False) -> None:
    """Write data to path through a temporary file in the same folder.

    Without overwrite an existing file is refused, also one that appears while writing.
    """
    path = Path(path)
    check_writable(path, overwrite)
    folder = path.parent.resolve()
    if folder not in _swept:
        _swept.add(folder)
        remove_stale_temporaries(folder)
    tmp = path.with_name(f".{path.name}.restorer-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite and path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        else:
            _publish_exclusively(tmp, path)
    except FileExistsError as exc:
        _discard(tmp)
        raise ImageWriteError(
            f"{path} appeared while writing (another process?); not replaced"
        ) from exc
    except OSError as exc:
        _discard(tmp)
        raise ImageWriteError(f"could not write {path}: {exc.strerror or exc}") from exc
