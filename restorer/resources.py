"""The one place that knows where bundled resources live.

Source checkout and editable installs: <repo>/resources. Wheel installs: the
`restorer_resources` package. PyInstaller: <bundle>/resources (sys._MEIPASS).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    source_tree = Path(__file__).resolve().parent.parent / "resources"
    if (source_tree / "models" / "manifest.json").is_file():
        return source_tree
    spec = importlib.util.find_spec("restorer_resources")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise FileNotFoundError("Restorer's resources folder is missing from this installation")


def models_dir() -> Path:
    return resources_dir() / "models"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def icons_dir() -> Path:
    return resources_dir() / "icons"
