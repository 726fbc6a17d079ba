"""The registry of bundled models: the list in resources/models/manifest.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from restorer.models.descriptor import ModelDescriptor
from restorer.resources import models_dir

MANIFEST_NAME = "manifest.json"


class UnknownModelError(LookupError):
    pass


def read_manifest(path: Path) -> list[ModelDescriptor]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [ModelDescriptor.from_dict(entry) for entry in data["models"]]


@cache
def bundled_models() -> tuple[ModelDescriptor, ...]:
    return tuple(read_manifest(models_dir() / MANIFEST_NAME))


def get_model(model_id: str) -> ModelDescriptor:
    for descriptor in bundled_models():
        if descriptor.id == model_id:
            return descriptor
    known = ", ".join(d.id for d in bundled_models())
    raise UnknownModelError(f"no bundled model {model_id!r} (bundled: {known})")


def models_for_task(task: str) -> list[ModelDescriptor]:
    return [d for d in bundled_models() if d.task == task]
