"""The simulated MAR training cache (restorer.training.mar_data)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from restorer.training.mar_data import SLICES_FILE
from restorer.training.mar_data import main as make_cache


def _chest_slice() -> tuple[np.ndarray, float]:
    with np.load(Path(__file__).parent / "data" / "ct_chest_256.npz") as z:
        return z["hu"].astype(np.float32), float(z["px_mm"])


def _write_slices(
    tmp_path: Path, hu: list[np.ndarray], names: list[str], patients: list[str], **also: np.ndarray
) -> Path:
    """A data folder holding only SLICES_FILE with these slices (at the chest slice's pixel
    size) and any further arrays `also` (the 512 px versions)."""
    folder = tmp_path / "data"
    folder.mkdir()
    np.savez_compressed(
        folder / SLICES_FILE,
        hu=np.stack(hu),
        px_mm=np.full(len(hu), _chest_slice()[1], np.float32),
        name=np.array(names),
        patient=np.array(patients),
        **also,
    )
    return folder


def _slices_folder(tmp_path: Path) -> Path:
    """Three clean slices of one series: their file stems are the same, as the TotalSegmentator
    series' are."""
    hu = _chest_slice()[0]
    stack = [hu, np.roll(hu, 7, axis=0), np.roll(hu, -7, axis=1)]
    return _write_slices(tmp_path, stack, ["CT.1.2.840"] * 3, ["series"] * 3)


def test_shards_write_the_cases_of_one_process_and_keep_slices_sharing_a_name(
    tmp_path: Path,
) -> None:
    data = _slices_folder(tmp_path)
    one, shards = tmp_path / "one", tmp_path / "shards"
    common = ["--data", str(data), "--per-slice", "1", "--threads", "1", "--device", "cpu"]
    assert make_cache([*common, "--out", str(one)]) == 0
    for shard in ("0/2", "1/2"):
        assert make_cache([*common, "--out", str(shards), "--shard", shard]) == 0
    names = sorted(p.name for p in (one / "train").glob("*.npz"))
    # One case per slice: before the cases were named by slice index, the three slices wrote
    # one file and two of them were never simulated.
    assert names == ["000_CT.1.2.840_0.npz", "001_CT.1.2.840_0.npz", "002_CT.1.2.840_0.npz"]
    assert sorted(p.name for p in (shards / "train").glob("*.npz")) == names
    assert not list(shards.rglob("*.part"))
    for name in names:
        with np.load(one / "train" / name) as a, np.load(shards / "train" / name) as b:
            for key in a.files:
                assert np.array_equal(a[key], b[key]), (name, key)
    with np.load(one / "train" / names[0]) as a, np.load(one / "train" / names[1]) as b:
        assert not np.array_equal(a["clean"], b["clean"])


def test_electrodes_and_fan_beams_go_into_a_share_of_the_training_cases_only() -> None:
    """Held-out cases of `eval` never get ECG electrodes or a fan beam (the benchmark's cases
    stay as they were), and --no-electrodes --no-fan give the cases of the networks trained
    before."""
    import argparse

    from restorer.physics.metal import ELECTRODE_SHARE
    from restorer.training.mar_data import (
        ELECTRODES_SPLIT,
        FAN_SHARE,
        FAN_SOURCE_RADII,
        _electrodes,
        _fan_source_radius,
    )

    on = argparse.Namespace(seed=0, electrodes=True, fan=True)
    off = argparse.Namespace(seed=0, electrodes=False, fan=False)
    cases = [(index, k) for index in range(60) for k in range(6)]
    drawn = [_electrodes(on, "train", index, k) is not None for index, k in cases]
    assert abs(np.mean(drawn) - ELECTRODE_SHARE) < 0.06
    assert all(_electrodes(on, "eval", index, k) is None for index, k in cases)
    # The held-out cases made to validate on electrodes all have them.
    assert all(_electrodes(on, ELECTRODES_SPLIT, index, k) is not None for index, k in cases)
    assert all(_electrodes(off, "train", index, k) is None for index, k in cases)
    radii = np.array([_fan_source_radius(on, "train", index, k) for index, k in cases])
    assert abs(np.mean(radii > 0) - FAN_SHARE) < 0.06
    assert radii[radii > 0].min() >= FAN_SOURCE_RADII[0]
    assert radii.max() <= FAN_SOURCE_RADII[1]
    assert not np.corrcoef(radii > 0, drawn)[0, 1] > 0.2  # independent draws
    assert all(_fan_source_radius(on, "eval", index, k) == 0 for index, k in cases)
    assert all(_fan_source_radius(off, "train", index, k) == 0 for index, k in cases)


def test_training_validates_on_held_out_cases_with_electrodes_too(tmp_path: Path) -> None:
    """A held-out patient gets its `eval` cases and, in a folder of their own that the
    benchmark does not read, cases with ECG electrodes; the MAR training validates on both."""
    from restorer.physics.mar import segment_metal
    from restorer.training.mar import held_out
    from restorer.training.mar_data import ELECTRODES_SPLIT

    hu = _chest_slice()[0]
    data = _write_slices(tmp_path, [hu], ["A072894_1"], ["A072894"])  # a held-out patient
    cache = tmp_path / "cache"
    common = ["--data", str(data), "--out", str(cache), "--threads", "1", "--device", "cpu"]
    assert (
        make_cache([*common, "--per-slice", "0", "--eval-per-slice", "1", "--eval-electrodes", "1"])
        == 0
    )
    assert len(list((cache / "eval").glob("*.npz"))) == 1
    [electrodes_case] = (cache / ELECTRODES_SPLIT).glob("*.npz")
    with np.load(electrodes_case) as case:
        metal = segment_metal(case["corrupted"].astype(np.float32))
        assert (metal & (hu < -500)).any()  # steel on the skin, in the air beside it
    cases, plain = held_out(cache)
    assert (len(cases), plain) == (2, 1)


def test_training_cuts_batches_from_cases_of_one_size_at_256_and_512(tmp_path: Path) -> None:
    """A share of the training cases of a slice that has a 512 px version are simulated at
    512 (views scaled with the size); both MAR stages train on either size, a batch from
    cases of one size, and validate as before."""
    import torch

    from restorer.training.mar import MarImageJob, MarSinogramJob
    from restorer.training.mar_data import _size, clean_slices

    hu = _chest_slice()[0]
    data = _write_slices(
        tmp_path,
        [hu, hu[::-1]],
        ["chest", "A072894_1"],
        ["p", "A072894"],
        full=np.kron(hu, np.ones((2, 2), np.float32))[None].astype(np.float16),
        full_index=np.array([0]),
    )
    first = next(iter(clean_slices(data)))
    assert first.full is not None and first.full.shape == (512, 512)
    on = argparse.Namespace(seed=0, full_size=True)
    assert [_size(on, "train", 0, k, first) for k in range(2)] == [256, 512]  # seed 0's draws
    cache = tmp_path / "run" / "mar_cache"
    common = ["--data", str(data), "--out", str(cache), "--threads", "1", "--device", "cpu"]
    only = ["--per-slice", "2", "--eval-per-slice", "1", "--eval-electrodes", "0"]
    assert make_cache([*common, *only]) == 0
    with np.load(cache / "train" / "000_chest_1.npz") as case:
        assert case["clean"].shape == (512, 512)
        assert case["sino_clean"].shape[0] > 600  # views scaled with the size
    rng = np.random.default_rng(0)
    sinogram_job = MarSinogramJob(data, torch.device("cpu"), cache=cache, batch=2, patch=32)
    assert sorted(g[0].shape[-1] for g in sinogram_job.train) == [367, 729]
    image_job = MarImageJob(data, torch.device("cpu"), cache=cache, batch=2, patch=64)
    assert sorted(g[0].shape[-1] for g in image_job.train) == [256, 512]
    for job in (sinogram_job, image_job):
        model = job.build_model()
        assert all(torch.isfinite(job.loss(model, step, rng)) for step in range(4))
        with torch.no_grad():  # as the training loop validates
            assert np.isfinite(job.validate(model)["score"])
