"""Bundled weights from safetensors, checked against the manifest's sha256. (Users' own
models: restorer.models.user_models.)"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from restorer.core.checksum import file_sha256
from restorer.models.architectures import build
from restorer.models.descriptor import ModelDescriptor, ModelIntegrityError


def load_bundled(descriptor: ModelDescriptor, models_dir: Path) -> nn.Module:
    """Build the network and load its weights, refusing a file whose checksum differs."""
    from safetensors.torch import load_file

    path = verify_bundled(descriptor, models_dir)
    try:
        state = load_file(str(path))
    except Exception as exc:
        raise ModelIntegrityError(f"model file {descriptor.file} is unreadable: {exc}") from exc
    return _with_state(descriptor, state)


def verify_bundled(descriptor: ModelDescriptor, models_dir: Path) -> Path:
    """The model's weights file, after checking that it is there and is the one the manifest
    names (sha256); ModelIntegrityError otherwise."""
    path = models_dir / descriptor.file
    if not path.is_file():
        raise ModelIntegrityError(f"model file {descriptor.file} is missing from {models_dir}")
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ModelIntegrityError(
            f"model file {descriptor.file} cannot be read ({exc.strerror or exc}); "
            "reinstall Restorer"
        ) from exc
    if actual != descriptor.sha256:
        raise ModelIntegrityError(
            f"model file {descriptor.file} was altered or damaged (sha256 {actual[:12]}…, "
            f"expected {descriptor.sha256[:12]}…); refusing to load it. Reinstall Restorer."
        )
    return path


def _with_state(descriptor: ModelDescriptor, state: dict[str, torch.Tensor]) -> nn.Module:
    model = build(descriptor.architecture, descriptor.hyperparameters)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as exc:
        raise ModelIntegrityError(
            f"weights do not fit architecture {descriptor.architecture}: {exc}"
        ) from exc
    return model.eval()
