"""The installable package: every subpackage is listed and the resources travel with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_pyproject_lists_every_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "restorer").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {found - listed}"


def test_package_type_checks() -> None:
    """mypy over restorer/ (settings in pyproject.toml) reports no error."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "pyproject.toml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_code_is_ruff_clean() -> None:
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    folders = ["restorer", "tests", "build_scripts"]
    for command in (["check", *folders], ["format", "--check", *folders]):
        result = subprocess.run([str(ruff), *command], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_import_contracts_hold() -> None:
    """The layers and the Qt/torch boundaries of pyproject.toml's import-linter contracts:
    front ends over the engine, over the tasks, over models/physics/io (independent of each
    other), over core; only the window imports Qt; core and io need no torch. It follows
    imports inside functions and through other modules, which a text search did not."""
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_the_window_and_the_command_line_start_without_torch() -> None:
    """torch (about 2 s to import) loads when a model runs, not when the window's module or
    the command line's parser is imported: a constant imported from a task module once
    pulled it into the window's start-up."""
    import subprocess
    import sys

    probe = "import sys, restorer.cli.main, restorer.gui.main_window; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "argv",
    [
        ["models"],
        ["info", "resources/samples/camera.png"],
        ["info", "resources/samples/ct_small.dcm"],
    ],
)
def test_commands_that_run_no_model_do_not_import_torch(argv: list[str], tmp_path: Path) -> None:
    """Listing the model library and describing a file read names and headers only: they
    answer in about 0.3 s where importing torch alone takes 1.5 s here (issue 21's start-up
    target). The registry's error classes once pulled torch into `restorer models`."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys; from restorer.cli.main import main; code = main(sys.argv[1:]); "
        "print(code, 'torch' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RESTORER_DATA_DIR": str(tmp_path)},
    )
    assert result.stderr.strip().splitlines()[-1] == "0 False", result.stderr[-2000:]


def test_the_import_graph_has_no_cycle() -> None:
    """No module of restorer imports, directly or not, one that imports it back (also lazy
    imports inside functions, which import-linter's layers do not see within a package)."""
    import grimp

    graph = grimp.build_graph("restorer")
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == module or not imported.startswith("restorer"):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=module)
            assert back is None, f"cycle: {module} -> {' -> '.join(back or ())}"
