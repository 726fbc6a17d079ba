"""Settings remembered between runs (QSettings: the registry on Windows, plist on macOS)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


T = TypeVar("T")


class _Stored(Generic[T]):
    """One remembered value: read through its type (QSettings gives strings back from INI
    files and the registry), with a default when absent."""

    def __init__(self, key: str, default: T, kind: Callable[[Any], T]) -> None:
        self.key, self.default, self.kind = key, default, kind

    def __get__(self, settings: Settings, owner: type | None = None) -> T:
        return self.kind(settings._get(self.key, self.default))

    def __set__(self, settings: Settings, value: T) -> None:
        settings._s.setValue(self.key, self.kind(value))


class Settings:
    device = _Stored("engine/device", "auto", str)
    tile = _Stored("engine/tile", 0, int)
    precision = _Stored("engine/precision", "auto", str)  # restorer.engine.device's choices
    backend = _Stored("engine/backend", "auto", str)  # restorer.engine.device's choices
    jpeg_quality = _Stored("files/jpeg_quality", 95, int)
    last_folder = _Stored("files/last_folder", "", str)
    # Where the queue writes results ("" = a "restored" folder beside the inputs).
    queue_folder = _Stored("queue/folder", "", str)
    queue_pattern = _Stored("queue/pattern", "{name}_restored", str)
    theme = _Stored("window/theme", "system", str)  # "system", "light" or "dark"
    language = _Stored("window/language", "system", str)  # "system", "en" or "zh_CN"

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings or QSettings("Restorer", "Restorer")

    def _get(self, key: str, default: object) -> object:
        value = self._s.value(key, default)
        return default if value is None else value

    def recent_files(self) -> list[Path]:
        value = self._get("files/recent", [])
        # One entry comes back bare; anything that is not a list is no list of files.
        if isinstance(value, str):
            value = [value]
        items = value if isinstance(value, list) else []
        return [Path(p) for p in items if p]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [str(p) for p in self.recent_files() if p != path]
        self._s.setValue("files/recent", items[:MAX_RECENT])

    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def sync(self) -> None:
        self._s.sync()
