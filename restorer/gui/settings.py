"""Settings remembered between runs (QSettings: the registry on Windows, plist on macOS)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings or QSettings("Restorer", "Restorer")

    def _get(self, key: str, default: object) -> object:
        value = self._s.value(key, default)
        return default if value is None else value

    @property
    def device(self) -> str:
        return str(self._get("engine/device", "auto"))

    @device.setter
    def device(self, value: str) -> None:
        self._s.setValue("engine/device", value)

    @property
    def tile(self) -> int:
        return int(self._get("engine/tile", 0))

    @tile.setter
    def tile(self, value: int) -> None:
        self._s.setValue("engine/tile", int(value))

    @property
    def precision(self) -> str:
        """ "auto" or "float32" (restorer.engine.device.PRECISION_CHOICES)."""
        return str(self._get("engine/precision", "auto"))

    @precision.setter
    def precision(self, value: str) -> None:
        self._s.setValue("engine/precision", value)

    @property
    def jpeg_quality(self) -> int:
        return int(self._get("files/jpeg_quality", 95))

    @jpeg_quality.setter
    def jpeg_quality(self, value: int) -> None:
        self._s.setValue("files/jpeg_quality", int(value))

    @property
    def queue_folder(self) -> str:
        """Where the queue writes results ("" = a "restored" folder beside the inputs)."""
        return str(self._get("queue/folder", ""))

    @queue_folder.setter
    def queue_folder(self, value: str) -> None:
        self._s.setValue("queue/folder", value)

    @property
    def queue_pattern(self) -> str:
        return str(self._get("queue/pattern", "{name}_restored"))

    @queue_pattern.setter
    def queue_pattern(self, value: str) -> None:
        self._s.setValue("queue/pattern", value)

    @property
    def theme(self) -> str:
        """ "system", "light" or "dark"."""
        return str(self._get("window/theme", "system"))

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("window/theme", value)

    def recent_files(self) -> list[Path]:
        value = self._get("files/recent", [])
        items = [value] if isinstance(value, str) else list(value)  # one entry comes back bare
        return [Path(p) for p in items if p]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [str(p) for p in self.recent_files() if p != path]
        self._s.setValue("files/recent", items[:MAX_RECENT])

    @property
    def last_folder(self) -> str:
        return str(self._get("files/last_folder", ""))

    @last_folder.setter
    def last_folder(self, folder: str) -> None:
        self._s.setValue("files/last_folder", folder)

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
