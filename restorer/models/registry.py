"""The registry of bundled models: the list in resources/models/manifest.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from restorer.models.descriptor import ModelDescriptor, ModelIntegrityError
from restorer.resources import models_dir

MANIFEST_NAME = "manifest.json"
REQUIRED_FIELDS = ("id", "task", "architecture", "hyperparameters", "file", "sha256")


class UnknownModelError(ModelIntegrityError, LookupError):
    """A model the application needs is not in its manifest: the installation is damaged."""


def read_manifest(path: Path) -> list[ModelDescriptor]:
    """The model cards of a manifest; a manifest that is unreadable, not JSON, or has an entry
    without a required field raises ModelIntegrityError (nothing is loaded from it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["models"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(
            f"the model manifest {path} is unreadable or damaged ({exc}); reinstall Restorer"
        ) from exc
    descriptors = []
    for index, entry in enumerate(entries):
        missing = [f for f in REQUIRED_FIELDS if not isinstance(entry, dict) or not entry.get(f)]
        if missing:
            name = entry.get("id", f"entry {index + 1}") if isinstance(entry, dict) else index
            raise ModelIntegrityError(
                f"the model manifest {path} is damaged: {name} has no {', '.join(missing)}; "
                "reinstall Restorer"
            )
        descriptors.append(ModelDescriptor.from_dict(entry))
    return descriptors


@cache
def bundled_models() -> tuple[ModelDescriptor, ...]:
    return tuple(read_manifest(models_dir() / MANIFEST_NAME))


def get_model(model_id: str) -> ModelDescriptor:
    for descriptor in bundled_models():
        if descriptor.id == model_id:
            return descriptor
    known = ", ".join(d.id for d in bundled_models())
    raise UnknownModelError(
        f"the bundled model {model_id!r} is missing from the manifest (bundled: {known}); "
        "reinstall Restorer"
    )


def models_for_task(task: str) -> list[ModelDescriptor]:
    return [d for d in bundled_models() if d.task == task]
