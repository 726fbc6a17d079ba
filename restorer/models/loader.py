"""Bundled weights from safetensors, checked against the manifest's sha256. (Users' own
models: restorer.models.user_models.)"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from restorer.models.architectures import build
from restorer.models.descriptor import ModelDescriptor, ModelIntegrityError
from restorer.models.integrity import verify_bundled


def load_bundled(descriptor: ModelDescriptor, models_dir: Path) -> nn.Module:
    """Build the network and load its weights, refusing a file whose checksum differs."""
    from safetensors.torch import load_file

    path = verify_bundled(descriptor, models_dir)
    try:
        state = load_file(str(path))
    except Exception as exc:
        raise ModelIntegrityError(f"model file {descriptor.file} is unreadable: {exc}") from exc
    return _with_state(descriptor, state)


def _with_state(descriptor: ModelDescriptor, state: dict[str, torch.Tensor]) -> nn.Module:
    model = build(descriptor.architecture, descriptor.hyperparameters)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as exc:
        raise ModelIntegrityError(
            f"weights do not fit architecture {descriptor.architecture}: {exc}"
        ) from exc
    return model.eval()
