"""`restorer models`: the bundled models and the user's own model library; and reading the
model that `--model FILE|NAME` names for a task."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from restorer.tasks.base import TaskSpec


def add_models_command(sub: Any) -> None:
    models = sub.add_parser(
        "models",
        help="list the bundled models and your own; add, inspect or remove your own",
        description="Your own models are .pth/.safetensors files of an architecture that "
        "spandrel reads (ESRGAN, SwinIR, HAT, DAT, SCUNet, NAFNet, DRUNet, LaMa...). "
        "You bring the weights and their licence; Restorer downloads nothing.",
    )
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")
    actions.add_parser("list", help="the bundled models and your library (the default)")
    add = actions.add_parser("add", help="copy a model file into your library, with a name")
    add.add_argument("file", type=Path)
    add.add_argument("--name", default=None, help="what to call it (default: the file name)")
    add.add_argument("--notes", default="", help="anything to remember: source, licence, use")
    show = actions.add_parser("show", help="what a model file or library model is")
    show.add_argument("model", metavar="FILE|NAME")
    remove = actions.add_parser("remove", help="delete a model from your library")
    remove.add_argument("name")


def run_models_command(args: argparse.Namespace) -> int:
    from restorer.io.model_library import ModelLibrary, ModelLibraryError
    from restorer.models.descriptor import UserModelError

    library = ModelLibrary()
    try:
        if args.models_action == "add":
            return _add(library, args.file, args.name, args.notes)
        if args.models_action == "show":
            model = _read(library.resolve(args.model))
            print(_describe(model))
            return 0
        if args.models_action == "remove":
            library.remove(args.name)
            print(f"removed {args.name} from {library.folder}")
            return 0
        return _list(library)
    except (ModelLibraryError, UserModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _read(path: Path) -> Any:
    from restorer.models.user_models import load_user_model

    return load_user_model(path)[0]


def _describe(model: Any) -> str:
    from restorer.tasks.user_model import KIND_TITLES, TASK_FOR_KIND

    scale = f" ×{model.scale}" if model.scale > 1 else ""
    out = model.output_channels or model.channels
    return (
        f"{model.title}{scale} {KIND_TITLES[model.task]} model, "
        f"{model.channels} channel(s) in, {out} out; size multiple {model.size_multiple}, "
        f"tiling {model.tiling}, reduced precision {'yes' if model.supports_half else 'no'}\n"
        f"use it with {TASK_FOR_KIND[model.task]}"
    )


def _add(library: Any, file: Path, name: str | None, notes: str) -> int:
    from restorer.tasks.user_model import entry_summary, library_entry

    model = _read(file)  # nothing is copied that cannot run
    entry = library.add(file, library_entry(model, name or file.stem, notes))
    print(f"added {entry.name}: {entry_summary(entry)}")
    print(_describe(model).splitlines()[-1].replace("FILE", entry.name))
    return 0


def _list(library: Any) -> int:
    from restorer.models.registry import bundled_models
    from restorer.tasks.user_model import entry_summary

    print("bundled:")
    for model in bundled_models():
        print(f"  {model.id:<18} {model.task:<15} {model.title}")
    entries = library.entries()
    print(f"your library ({library.folder}):")
    if not entries:
        print("  (empty; add a model with: restorer models add FILE --name NAME)")
    for entry in entries:
        notes = f"  - {entry.notes}" if entry.notes else ""
        print(f"  {entry.name:<18} {entry_summary(entry)}{notes}")
    return 0


def checked_user_model(task: TaskSpec, named: str) -> Any:
    """The parameters that run the user's model `named` (a file or a library name) with
    task; ValueError when it cannot be read or is of another kind than the task runs."""
    from restorer.io.model_library import ModelLibrary
    from restorer.tasks.user_model import UserModelParams, check_kind, kind_of

    path = ModelLibrary().resolve(named)
    model = _read(path)
    check_kind(kind_of(task), model.task, named, model.scale)
    return UserModelParams(model_file=path)
