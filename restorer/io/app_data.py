"""Where the application keeps its own data: users' models, the manifests of jobs whose output
is object storage. RESTORER_DATA_DIR moves it (tests, portable installs)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "RESTORER_DATA_DIR"


def data_folder() -> Path:
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    import platformdirs

    return Path(platformdirs.user_data_dir("Restorer", appauthor=False))
