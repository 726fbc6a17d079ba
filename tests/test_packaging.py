"""The installable package: every subpackage is listed and the resources travel with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_pyproject_lists_every_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "restorer").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {found - listed}"


def test_core_never_imports_qt_or_torch() -> None:
    for path in (REPO / "restorer" / "core").rglob("*.py"):
        text = path.read_text()
        for banned in ("import torch", "from torch", "PySide6", "restorer.gui"):
            assert banned not in text, f"{path.name} imports {banned}"


def test_only_the_gui_imports_qt() -> None:
    for path in (REPO / "restorer").rglob("*.py"):
        if "gui" in path.relative_to(REPO).parts:
            continue
        assert "PySide6" not in path.read_text(), path


def test_nothing_imports_training_or_front_ends_from_below() -> None:
    lower = ("core", "io", "models", "physics", "tasks", "engine")
    for layer in lower:
        for path in (REPO / "restorer" / layer).rglob("*.py"):
            text = path.read_text()
            for upper in ("restorer.training", "restorer.cli", "restorer.gui", "restorer.bench"):
                assert upper not in text, f"{path} imports {upper}"


def test_physics_never_imports_models() -> None:
    for path in (REPO / "restorer" / "physics").rglob("*.py"):
        assert "restorer.models" not in path.read_text(), path


def test_only_the_train_command_reaches_training() -> None:
    for path in (REPO / "restorer").rglob("*.py"):
        parts = path.relative_to(REPO / "restorer").parts
        if parts[0] == "training" or parts == ("cli", "main.py"):
            continue
        imports = re.findall(r"^\s*(?:from|import) restorer\.training", path.read_text(), re.M)
        assert not imports, path
