"""Bundled weights: manifest complete, checksums enforced, user checkpoints loaded safely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from restorer.core.checksum import file_sha256
from restorer.models.descriptor import ModelIntegrityError
from restorer.models.loader import load_bundled
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


def test_registry_by_task() -> None:
    assert {m.id for m in models_for_task("denoise")} == {"denoise-gray", "denoise-color"}


def test_a_shallower_unet_starts_from_a_deeper_ones_last_blocks() -> None:
    """keep_last_blocks: the deeper network with its other blocks silenced (each residual
    block's last convolution zeroed, so the block passes its input through) computes exactly
    what the shallower one computes from the kept weights."""
    from restorer.models.blocks import ResBlock, blocks_per_stage, keep_last_blocks
    from restorer.models.denoise_unet import DenoiseUNet

    torch.manual_seed(0)
    deep = DenoiseUNet(channels=3, widths=(4, 8, 16), blocks=3)
    shallow = DenoiseUNet(channels=3, widths=(4, 8, 16), blocks=1)
    assert blocks_per_stage(deep.state_dict()) == 3
    assert blocks_per_stage(shallow.state_dict()) == 1
    shallow.load_state_dict(keep_last_blocks(deep.state_dict(), 1))  # strict: no key left over
    with torch.no_grad():
        for module in deep.modules():
            if isinstance(module, torch.nn.Sequential) and isinstance(module[0], ResBlock):
                for block in list(module)[:-1]:
                    block.body[2].weight.zero_()
                    block.body[2].bias.zero_()
        x = torch.rand(1, 3, 32, 32)
        sigma = torch.full((1,), 0.1)
        assert torch.allclose(deep(x, sigma), shallow(x, sigma), atol=1e-6)
        assert not torch.allclose(x, shallow(x, sigma), atol=1e-3)  # it does something
    same_depth = keep_last_blocks(shallow.state_dict(), 1)
    assert all(torch.equal(same_depth[k], v) for k, v in shallow.state_dict().items())


def test_the_noise_map_estimator_sees_each_patch_on_its_own() -> None:
    """With `patch`, a tile is estimated square by square, as the estimator was trained (on
    128-px patches): the same as running it on each square alone, whatever the tile's size."""
    from restorer.models.noise_map_net import NoiseMapNet

    patched = load_bundled(get_model("noise-map"), models_dir()).eval()
    assert isinstance(patched, NoiseMapNet) and patched.patch == 128
    whole = NoiseMapNet().eval()
    whole.load_state_dict(patched.state_dict())
    torch.manual_seed(0)
    x = torch.rand(2, 3, 256, 384)
    with torch.no_grad():
        got = patched(x)
        squares = [
            [whole(x[:, :, y : y + 128, c : c + 128]) for c in range(0, 384, 128)]
            for y in range(0, 256, 128)
        ]
        expected = torch.cat([torch.cat(row, dim=3) for row in squares], dim=2)
        assert torch.allclose(got, expected, atol=1e-6)
        assert not torch.allclose(whole(x), expected, atol=1e-3)  # the padding matters
