"""The user's model library: their own model files, copied into the app's data folder with a
name, notes and what was detected in them, so that they can be picked by name later (in the
window's model box, or `--model NAME` on the command line).

One index file, `library.json`, lists the entries; it and every copied file are written
atomically. Nothing here reads the weights: what a model is comes from
restorer.models.user_models when it is added.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from restorer.core.checksum import file_sha256
from restorer.io.app_data import data_folder
from restorer.io.atomic import atomic_write_bytes

INDEX = "library.json"


class ModelLibraryError(ValueError):
    """The library cannot do what was asked; the message is for the user."""


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    file: str  # relative to the library folder
    kind: str  # super_resolve, restore, inpaint
    architecture: str
    scale: int = 1
    input_channels: int = 3
    output_channels: int = 3
    sha256: str = ""
    notes: str = ""
    added: str = ""  # ISO date


def default_folder() -> Path:
    return data_folder() / "models"


class ModelLibrary:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()

    def entries(self) -> list[LibraryEntry]:
        index = self.folder / INDEX
        if not index.is_file():
            return []
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            known = {f.name for f in fields(LibraryEntry)}
            return [
                LibraryEntry(**{k: v for k, v in item.items() if k in known})
                for item in data["models"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLibraryError(
                f"the model library index {index} is unreadable ({exc}); "
                "move it away to start a new library"
            ) from exc

    def find(self, name: str) -> LibraryEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def path_of(self, entry: LibraryEntry) -> Path:
        return self.folder / entry.file

    def add(self, source: Path, detected: LibraryEntry) -> LibraryEntry:
        """Copy source into the library as `detected` (its name, notes and what was found
        in it); the entry. A name already taken is refused; the same file twice is kept
        once."""
        entries = self.entries()
        if any(e.name == detected.name for e in entries):
            raise ModelLibraryError(f"the library already has a model named {detected.name!r}")
        if not detected.name.strip():
            raise ModelLibraryError("a model in the library needs a name")
        sha = file_sha256(source)
        same = next((e for e in entries if e.sha256 == sha), None)
        if same is not None:
            raise ModelLibraryError(f"this file is already in the library as {same.name!r}")
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", detected.name).strip("._") or "model"
        file = f"{stem}{source.suffix.lower()}"
        n = 2
        while (self.folder / file).exists():
            file = f"{stem}-{n}{source.suffix.lower()}"
            n += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            atomic_write_bytes(self.folder / file, source.read_bytes())
        except OSError as exc:
            raise ModelLibraryError(f"cannot copy {source.name}: {exc.strerror or exc}") from exc
        entry = replace(detected, file=file, sha256=sha, added=time.strftime("%Y-%m-%d"))
        self._write([*entries, entry])
        return entry

    def remove(self, name: str) -> None:
        entries = self.entries()
        entry = next((e for e in entries if e.name == name), None)
        if entry is None:
            raise ModelLibraryError(f"no model named {name!r} in the library")
        self._write([e for e in entries if e.name != name])
        (self.folder / entry.file).unlink(missing_ok=True)

    def _write(self, entries: list[LibraryEntry]) -> None:
        text = json.dumps({"models": [asdict(e) for e in entries]}, indent=2)
        atomic_write_bytes(self.folder / INDEX, text.encode("utf-8"), overwrite=True)

    def resolve(self, value: str | Path) -> Path:
        """The model file a user named: a path to a file, or a model of the library."""
        path = Path(value)
        if path.is_file():
            return path
        entry = self.find(str(value))
        if entry is not None:
            return self.path_of(entry)
        names = ", ".join(e.name for e in self.entries()) or "none yet"
        raise ModelLibraryError(
            f"{value}: no such model file, nor a model of that name in your library "
            f"({names}; add one with: restorer models add FILE --name NAME)"
        )
