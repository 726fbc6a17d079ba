"""The training command end to end on a tiny data folder: seeded, resumable, exported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from restorer.core.checksum import file_sha256
from restorer.io import read_image, write_image
from restorer.training import denoise
from restorer.training.cli import main as train_main


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """A folder laid out as ../shared/data: crops of the bundled samples."""
    root = tmp_path_factory.mktemp("data")
    camera = read_image(samples / "camera.png")
    coffee = read_image(samples / "coffee.png")
    for folder, image, count in (
        (root / "train/bsd400", camera, 2),
        (root / "train/color/cbsd432", coffee, 2),
        (root / "train/color/t91", coffee, 1),
    ):
        folder.mkdir(parents=True)
        for i in range(count):
            crop = image.with_pixels(image.pixels[40 * i : 40 * i + 288, 40 * i : 40 * i + 288])
            write_image(crop, folder / f"{i:03d}.png")
    return root


def _train(data: Path, out: Path, *extra: str) -> int:
    return train_main(
        [
            "denoise-gray",
            "--data",
            str(data),
            "--batch",
            "2",
            "--patch",
            "32",
            "--lr",
            "1e-3",
            "--val-every",
            "2",
            "--threads",
            "1",
            "--checkpoint-dir",
            str(out / "ck"),
            "--export",
            str(out / "export"),
            *extra,
        ]
    )


def test_training_is_seeded_and_exports_a_model_card(data: Path, tmp_path: Path) -> None:
    assert _train(data, tmp_path / "a", "--steps", "4", "--loss", "mse") == 0
    assert _train(data, tmp_path / "b", "--steps", "4", "--loss", "mse") == 0
    first = load_file(str(tmp_path / "a/export/denoise-gray.safetensors"))
    second = load_file(str(tmp_path / "b/export/denoise-gray.safetensors"))
    assert first.keys() == second.keys()
    for key in first:
        assert np.array_equal(first[key].numpy(), second[key].numpy()), key

    card = json.loads((tmp_path / "a/export/denoise-gray.json").read_text())
    assert card["sha256"] == file_sha256(tmp_path / "a/export/denoise-gray.safetensors")
    record = card["training"]
    assert record["steps"] == 4 and record["loss"] == "mse" and record["seed"] == 0
    assert "--loss mse" in record["command"] and "--steps 4" in record["command"]
    assert "BSD400" in record["data"]


def test_an_interrupted_run_resumes_from_its_checkpoint(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_loss = denoise.DenoiseJob.loss

    def interrupted_at_step_five(
        self: denoise.DenoiseJob, model: object, step: int, rng: np.random.Generator
    ) -> object:
        if step == 4:  # the fifth step: the checkpoint of step 4 has been written
            raise KeyboardInterrupt
        return real_loss(self, model, step, rng)  # type: ignore[arg-type]

    monkeypatch.setattr(denoise.DenoiseJob, "loss", interrupted_at_step_five)
    with pytest.raises(KeyboardInterrupt):
        _train(data, tmp_path, "--steps", "6")
    assert not (tmp_path / "export").exists()

    monkeypatch.setattr(denoise.DenoiseJob, "loss", real_loss)
    assert _train(data, tmp_path, "--steps", "6", "--resume") == 0
    record = json.loads((tmp_path / "export/denoise-gray.json").read_text())["training"]
    assert record["steps"] == 6
    # Validations before the interruption are kept: the resumed run did not start over.
    checkpoint = torch.load(tmp_path / "ck/denoise-gray.pt", weights_only=False)
    assert [m["step"] for m in checkpoint["history"]] == [0, 2, 4, 6]


class _RunsCode:
    """Unpickling this calls Path.touch: what a crafted checkpoint would do with os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Path.touch, (self.marker,))


def test_a_crafted_checkpoint_is_refused_without_running_it(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "code-ran"
    (tmp_path / "ck").mkdir()
    torch.save({"model": _RunsCode(marker), "step": 1}, tmp_path / "ck" / "denoise-gray.pt")
    assert _train(data, tmp_path, "--steps", "2", "--resume") == 3
    assert not marker.exists()
    assert "not a plain training checkpoint" in capsys.readouterr().err


def test_a_loss_other_than_l1_is_refused_for_models_with_their_own(data: Path) -> None:
    with pytest.raises(SystemExit, match="for the denoisers"):
        train_main(["inpaint", "--data", str(data), "--steps", "1", "--loss", "mse"])


def test_inpaint_loss_and_validation_are_finite_in_mixed_precision(data: Path) -> None:
    # The loss's SSIM term turned NaN within 60 steps when computed in bfloat16.
    from restorer.training.inpaint import InpaintJob

    torch.manual_seed(0)
    job = InpaintJob(data, device=torch.device("cpu"), batch=2, patch=64, mask_bank=20)
    model = job.build_model()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = job.loss(model, 0, np.random.default_rng(0))
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    with torch.no_grad():
        scores = job.validate(model)
    assert np.isfinite(scores["score"]) and 0 < scores["ssim_hole_medium"] < 1


def test_a_narrower_denoiser_is_trained_and_recorded_as_such(data: Path, tmp_path: Path) -> None:
    assert _train(data, tmp_path, "--steps", "2", "--widths", "8", "16", "--blocks", "1") == 0
    card = json.loads((tmp_path / "export/denoise-gray.json").read_text())
    assert card["hyperparameters"]["widths"] == [8, 16]
    assert card["hyperparameters"]["blocks"] == 1
    assert card["size_multiple"] == 4
    with pytest.raises(SystemExit, match="for the denoisers"):
        train_main(["inpaint", "--data", str(data), "--steps", "1", "--widths", "8", "16"])


def test_interpolated_weights_lie_between_the_two_and_say_so(data: Path, tmp_path: Path) -> None:
    from restorer.training.interpolate import main as interpolate_main

    assert _train(data, tmp_path / "start", "--steps", "2") == 0
    start = tmp_path / "start/export/denoise-gray.safetensors"
    assert _train(data, tmp_path / "tuned", "--steps", "3", "--init", str(start)) == 0
    tuned_card = tmp_path / "tuned/export/denoise-gray.json"
    out = tmp_path / "mix"
    assert (
        interpolate_main(
            [str(tuned_card), "--start", str(start), "--amount", "0.25", "--out", str(out)]
        )
        == 0
    )
    a, b = load_file(str(start)), load_file(str(tmp_path / "tuned/export/denoise-gray.safetensors"))
    mixed = load_file(str(out / "denoise-gray.safetensors"))
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert changed, "the fine-tune changed nothing: the test would prove nothing"
    for key in changed:
        expected = 0.75 * a[key].float() + 0.25 * b[key].float()
        assert torch.allclose(mixed[key].float(), expected, atol=1e-3), key
    card = json.loads((out / "denoise-gray.json").read_text())
    assert card["sha256"] == file_sha256(out / "denoise-gray.safetensors")
    assert card["training"]["interpolated"]["amount"] == 0.25
    assert card["training"]["interpolated"]["start_sha256"] == file_sha256(start)


def test_a_narrower_denoiser_is_distilled_from_a_trained_one(data: Path, tmp_path: Path) -> None:
    assert _train(data, tmp_path / "teacher", "--steps", "2", "--widths", "8", "16") == 0
    teacher = tmp_path / "teacher/export/denoise-gray.safetensors"
    job = denoise.DenoiseJob(data, gray=True, device=torch.device("cpu"), teacher=teacher)
    assert job.teacher_model is not None
    assert not any(p.requires_grad for p in job.teacher_model.parameters())
    args = ("--steps", "2", "--widths", "4", "8", "--blocks", "1", "--teacher", str(teacher))
    assert _train(data, tmp_path / "student", *args) == 0
    card = json.loads((tmp_path / "student/export/denoise-gray.json").read_text())
    assert (
        f"distilled from denoise-gray.safetensors (sha256 {file_sha256(teacher)})"
        in (card["training"]["data"])
    )
    with pytest.raises(ValueError, match="not a denoise-color network"):
        denoise.DenoiseJob(data, gray=False, device=torch.device("cpu"), teacher=teacher)


def test_saved_weights_are_the_same_bytes_every_time(tmp_path: Path) -> None:
    """The model card's sha256 is reproducible: safetensors alone writes the metadata in a
    different order from one save to the next."""
    from restorer.training.export import save_weights

    state = {"a.weight": torch.ones(3, 3), "b.bias": torch.zeros(2)}
    metadata = {"id": "x", "architecture": "denoise_unet", "hyperparameters": '{"blocks": 1}'}
    digests = set()
    for n in range(8):
        save_weights(state, tmp_path / f"{n}.safetensors", metadata)
        digests.add(file_sha256(tmp_path / f"{n}.safetensors"))
    assert len(digests) == 1
    assert load_file(str(tmp_path / "0.safetensors")).keys() == state.keys()


def test_a_shallower_denoiser_starts_from_a_deeper_trained_one(data: Path, tmp_path: Path) -> None:
    from restorer.models.blocks import keep_last_blocks

    assert _train(data, tmp_path / "deep", "--steps", "2", "--widths", "8", "16") == 0
    deep = load_file(str(tmp_path / "deep/export/denoise-gray.safetensors"))
    args = ("--steps", "1", "--lr", "0", "--widths", "8", "16", "--blocks", "1")
    assert (
        _train(
            data,
            tmp_path / "shallow",
            *args,
            "--init",
            str(tmp_path / "deep/export/denoise-gray.safetensors"),
        )
        == 0
    )
    shallow = load_file(str(tmp_path / "shallow/export/denoise-gray.safetensors"))
    expected = keep_last_blocks({k: v.float() for k, v in deep.items()}, 1)
    assert shallow.keys() == expected.keys() and len(shallow) < len(deep)
    for key, value in shallow.items():
        assert torch.equal(value.float(), expected[key]), key
