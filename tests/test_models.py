"""Bundled weights: manifest complete, checksums enforced, user checkpoints loaded safely."""

from __future__ import annotations

import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from restorer.models.loader import (
    ModelIntegrityError,
    file_sha256,
    load_bundled,
    load_user_checkpoint,
)
from restorer.models.registry import bundled_models, get_model, models_for_task
from restorer.resources import models_dir


def test_manifest_is_a_complete_model_card() -> None:
    models = bundled_models()
    assert {"denoise-gray", "denoise-color"} <= {m.id for m in models}
    for m in models:
        assert m.task and m.architecture and m.hyperparameters
        for key in ("command", "data", "steps", "seconds", "device"):
            assert m.training.get(key), (m.id, key)
        assert file_sha256(models_dir() / m.file) == m.sha256, m.id


def test_every_bundled_model_loads_and_runs() -> None:
    for m in bundled_models():
        net = load_bundled(m, models_dir())
        assert sum(p.numel() for p in net.parameters()) > 10_000
        assert all(p.dtype == torch.float32 for p in net.parameters())


def test_architecture_inputs_match_the_networks() -> None:
    """The contract table (restorer.models.descriptor, torch-free) names as many inputs as
    each network's forward() takes."""
    import inspect

    from restorer.models.architectures import ARCHITECTURES
    from restorer.models.descriptor import ARCHITECTURE_INPUTS

    assert set(ARCHITECTURE_INPUTS) == set(ARCHITECTURES)
    for name, cls in ARCHITECTURES.items():
        taken = [p for p in inspect.signature(cls.forward).parameters if p != "self"]
        assert len(taken) == len(ARCHITECTURE_INPUTS[name]), (name, taken)


def test_every_bundled_model_runs_from_its_descriptor_alone() -> None:
    """The engine's one call (restorer.engine.contract) feeds every bundled network a packed
    tile of its inputs; the output has its channels and scale. A tile with the wrong channel
    count is refused by name."""
    from restorer.engine.contract import forward_for

    for m in bundled_models():
        net = load_bundled(m, models_dir()).eval()
        forward = forward_for(m)
        side = 32 * max(m.size_multiple, 1)
        tile = torch.rand(1, sum(m.input_channels), side, side)
        with torch.no_grad():
            out = forward(net, tile)
        assert out.shape[-2:] == (side * m.scale, side * m.scale), m.id
        with pytest.raises(ValueError, match=f"model {m.id} takes"):
            forward(net, torch.rand(1, sum(m.input_channels) + 1, side, side))


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    descriptor = get_model("denoise-gray")
    shutil.copy(models_dir() / descriptor.file, tmp_path / descriptor.file)
    data = bytearray((tmp_path / descriptor.file).read_bytes())
    data[-100] ^= 0x01  # one flipped bit in the weights
    (tmp_path / descriptor.file).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="altered or damaged"):
        load_bundled(descriptor, tmp_path)


def test_missing_weights_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_bundled(get_model("denoise-gray"), tmp_path)


def test_user_pth_loads_with_weights_only(tmp_path: Path) -> None:
    descriptor = get_model("denoise-gray")
    reference = load_bundled(descriptor, models_dir())
    torch.save({"state_dict": reference.state_dict()}, tmp_path / "mine.pth")
    mine = load_user_checkpoint(tmp_path / "mine.pth", descriptor)
    for a, b in zip(reference.state_dict().values(), mine.state_dict().values(), strict=True):
        assert torch.equal(a, b)


class _Payload:
    def __reduce__(self):  # noqa: ANN204 - the classic pickle exploit shape
        return (print, ("pickled code ran",))


def test_user_pth_with_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"state_dict": _Payload()}, f)
    with pytest.raises(ModelIntegrityError, match="not a plain weights file"):
        load_user_checkpoint(path, get_model("denoise-gray"))


def test_user_weights_of_another_architecture_are_refused(tmp_path: Path) -> None:
    gray = get_model("denoise-gray")
    color = load_bundled(get_model("denoise-color"), models_dir())
    torch.save(color.state_dict(), tmp_path / "color.pth")
    with pytest.raises(ModelIntegrityError, match="do not fit"):
        load_user_checkpoint(tmp_path / "color.pth", replace(gray))


def test_registry_by_task() -> None:
    assert {m.id for m in models_for_task("denoise")} == {"denoise-gray", "denoise-color"}
