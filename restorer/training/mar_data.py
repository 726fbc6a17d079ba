"""Simulated metal-artifact training data, cached on disk (simulation costs ~3 s per slice).

    python -m restorer.training.mar_data --data ../shared/data --out runs/mar_cache

Clean slices: the GE head series, the COVID-19-NY-SBU chest slices, the TotalSegmentator
abdomen series, the 693_UNCR head slice and ADN's metal-free spine and DeepLesion slices, all
at 256x256. Patients held out for evaluation: COVID A072894 and A098752 and spine patient0217;
DeepLesion patient 000376 is never used (its slice is the SynDeepLesion test case).
Each slice gets several random metal configurations, each scanned by a scanner drawn at
random (restorer.physics.metal.ScanProtocol: spectrum, filter, dose, views, projection grid,
alloy density); --fixed-protocol gives the one 120 kVp scanner the first models learned from.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from restorer.core.resample import reduce_area
from restorer.io import read_image
from restorer.physics.mar import (
    correction_hu,
    geometry_for,
    interpolate_trace,
    metal_trace,
    segment_metal,
    sinogram,
)
from restorer.physics.metal import ELECTRODE_SHARE, ScanProtocol, scan_with

SIZE = 256
FULL_SIZE = 512  # a share of the training cases is simulated at the scanners' own size
HELD_OUT = ("A072894", "A098752", "patient0217")
NEVER = ("000376",)
PHOTONS = 2e6
# Draws of the training cases' additions, each in a stream of its own apart from the case's:
# the held-out cases, and the cases without the addition, stay bit-identical.
ELECTRODE_STREAM = 7
FAN_STREAM = 8
SIZE_STREAM = 9
FULL_SIZE_SHARE = 0.25
ELECTRODES_SPLIT = "eval_electrodes"  # held-out cases with electrodes: validation only
FAN_SHARE = 0.5  # of the training cases, scanned by a fan beam rebinned to parallel
FAN_SOURCE_RADII = (1.8, 2.8)  # slice half-widths from the centre: clinical ~2.3


@dataclass(frozen=True)
class Slice:
    name: str
    patient: str
    hu: np.ndarray  # SIZE x SIZE
    px_mm: float
    # FULL_SIZE x FULL_SIZE where the source is at least that large (scanners' 512 px slices)
    full: np.ndarray | None = None

    def at(self, size: int) -> tuple[np.ndarray, float]:
        """The slice (HU) and its pixel size (mm) at SIZE or FULL_SIZE."""
        if size == SIZE:
            return self.hu, self.px_mm
        if size != FULL_SIZE or self.full is None:
            raise ValueError(f"slice {self.name} has no {size} px version")
        return self.full, self.px_mm * SIZE / FULL_SIZE


def _resize(hu: np.ndarray, px_mm: float, size: int = SIZE) -> tuple[np.ndarray, float]:
    factor = hu.shape[0] / size
    out = reduce_area(hu.astype(np.float32), (size, size))
    return np.clip(out, -1024, 3071), px_mm * factor


SLICES_FILE = "ct_slices.npz"


def export_slices(data: Path, target: Path) -> int:
    """The prepared 256x256 HU slices in one small file, for machines without pydicom (a
    lent GPU): `clean_slices` reads it when it sits in the data folder."""
    slices = list(clean_slices(data))
    full = {i: s.full for i, s in enumerate(slices) if s.full is not None}
    np.savez_compressed(
        target,
        hu=np.stack([s.hu for s in slices]).astype(np.float32),
        px_mm=np.array([s.px_mm for s in slices], np.float32),
        name=np.array([s.name for s in slices]),
        patient=np.array([s.patient for s in slices]),
        # float16 keeps the file small enough to travel (HU to 0.5-2 HU: below the noise).
        full=np.stack(list(full.values())).astype(np.float16)
        if full
        else np.zeros((0, FULL_SIZE, FULL_SIZE), np.float16),
        full_index=np.array(list(full), np.int64),
    )
    return len(slices)


def clean_slices(data: Path) -> Iterator[Slice]:
    prepared = data / SLICES_FILE
    if prepared.is_file():
        with np.load(prepared) as z:
            fulls = dict(zip(z["full_index"], z["full"], strict=True)) if "full" in z else {}
            for i, (hu, px, name, patient) in enumerate(
                zip(z["hu"], z["px_mm"], z["name"], z["patient"], strict=True)
            ):
                full = fulls.get(i)
                yield Slice(
                    str(name),
                    str(patient),
                    hu,
                    float(px),
                    None if full is None else full.astype(np.float32),
                )
        return
    ct = data / "ct"
    dicoms = [
        *sorted((ct / "dcm_qa_ct_ge_head").glob("*.dcm")),
        *sorted((ct / "covid19_ny_sbu_chest").glob("*.dcm")),
        *sorted((ct / "totalseg_example_dicom").iterdir()),
        ct / "dicom" / "693_UNCR.dcm",
    ]
    for path in dicoms:
        image = read_image(path)
        ds = image.meta.dicom_dataset
        patient = str(getattr(ds, "PatientID", path.stem))
        px_mm = float(ds.PixelSpacing[0])
        hu, px = _resize(image.pixels, px_mm)
        large = image.pixels.shape[0] >= FULL_SIZE
        full = _resize(image.pixels, px_mm, FULL_SIZE)[0] if large else None
        yield Slice(path.stem, patient, hu, px, full)
    for folder, px in (("adn/spineweb/without_art", 1.5), ("adn/deep_lesion/without_art", 1.6)):
        for path in sorted((ct / folder).glob("*.npy")):
            patient = path.stem.split("_")[0]
            hu, px_mm = _resize(np.load(path).astype(np.float32), px * SIZE / 256)
            yield Slice(path.stem, patient, hu, px_mm)


def is_held_out(s: Slice) -> bool:
    return any(h in s.patient or h in s.name for h in HELD_OUT)


def make_sample(
    s: Slice,
    rng: np.random.Generator,
    device: torch.device,
    randomise: bool = True,
    electrodes: np.random.Generator | None = None,
    fan_source_radius: float = 0.0,
    size: int = SIZE,
) -> dict[str, np.ndarray]:
    """One simulated case. randomise: a scanner drawn at random (ScanProtocol.random), so
    that the networks learn what metal does to a scan rather than one simulator's look;
    otherwise the fixed protocol the first models were trained with. electrodes: ECG
    electrodes on the skin too, drawn with this generator (restorer.physics.metal.scan_with).
    fan_source_radius: scanned by a fan beam rebinned to parallel (ScanProtocol). size: SIZE,
    or FULL_SIZE for a slice that has it: the views scale with the size, and the scan is
    simulated on the slice's own grid (projecting it twice finer would cost 16 times a 256 px
    case)."""
    clean, px_mm = s.at(size)
    geometry = geometry_for(size)
    protocol = ScanProtocol.random(rng) if randomise else ScanProtocol(photons=PHOTONS)
    protocol = replace(protocol, fan_source_radius=fan_source_radius)
    if size != SIZE:
        views = protocol.views and round(protocol.views * size / SIZE)
        protocol = replace(protocol, views=views, oversample=1)
    corrupted, _ = scan_with(clean, px_mm, protocol, rng, device, electrodes=electrodes)
    mask = segment_metal(corrupted)
    trace = metal_trace(mask, geometry, device)
    sino = sinogram(corrupted, geometry, device).numpy()
    sino_li = interpolate_trace(sino, trace)
    li = corrupted + correction_hu(sino_li - sino, geometry, device)
    target_sino = sinogram(clean, geometry, device).numpy()
    return {
        "clean": clean.astype(np.float16),
        "corrupted": corrupted.astype(np.float16),
        "li": li.astype(np.float16),
        "mask": mask,
        "trace": trace,
        "sino_li": sino_li.astype(np.float16),
        "sino_clean": target_sino.astype(np.float16),
        "px_mm": np.float32(px_mm),
        "protocol": np.array(
            [
                protocol.kvp,
                protocol.filter_cm_water,
                protocol.photons,
                protocol.views or 0,
                protocol.oversample,
                protocol.metal_density_scale,
                protocol.fan_source_radius,
            ],
            np.float64,
        ),
    }


def _stream(args: argparse.Namespace, index: int, k: int, stream: int) -> np.random.Generator:
    """The generator of one addition (electrodes, fan, size) to case k of slice `index`."""
    return np.random.default_rng([args.seed, index, k, stream])


def _electrodes(
    args: argparse.Namespace, split: str, index: int, k: int
) -> np.random.Generator | None:
    """The generator of a case's ECG electrodes when --electrodes is on: for ELECTRODE_SHARE
    of the training cases, and every case of ELECTRODES_SPLIT. Its own stream: the held-out
    cases of `eval`, and every case without electrodes, are the same as before electrodes
    were drawn."""
    if split == "eval" or not args.electrodes:
        return None
    draw = _stream(args, index, k, ELECTRODE_STREAM)
    return draw if draw.random() < ELECTRODE_SHARE or split == ELECTRODES_SPLIT else None


def _fan_source_radius(args: argparse.Namespace, split: str, index: int, k: int) -> float:
    """A fan beam for FAN_SHARE of the training cases and of ELECTRODES_SPLIT's when --fan is
    on (0: parallel beam)."""
    if split == "eval" or not args.fan:
        return 0.0
    draw = _stream(args, index, k, FAN_STREAM)
    return float(draw.uniform(*FAN_SOURCE_RADII)) if draw.random() < FAN_SHARE else 0.0


def _size(args: argparse.Namespace, split: str, index: int, k: int, s: Slice) -> int:
    """FULL_SIZE for FULL_SIZE_SHARE of the training cases of slices that have it (with
    --full-size), else SIZE."""
    if split != "train" or not args.full_size or s.full is None:
        return SIZE
    draw = _stream(args, index, k, SIZE_STREAM)
    return FULL_SIZE if draw.random() < FULL_SIZE_SHARE else SIZE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restorer.training.mar_data")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("runs/mar_cache"))
    parser.add_argument("--per-slice", type=int, default=6, help="metal configurations per slice")
    parser.add_argument("--eval-per-slice", type=int, default=4)
    parser.add_argument(
        "--eval-electrodes",
        type=int,
        default=2,
        help="held-out cases per slice with ECG electrodes, in a folder of their own "
        f"({ELECTRODES_SPLIT}/) that training validates on beside eval/ (the benchmark reads "
        "eval/ only)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--fixed-protocol",
        action="store_true",
        help="simulate every case with the one 120 kVp protocol of the first models "
        "(default: a scanner drawn at random for each case)",
    )
    parser.add_argument(
        "--electrodes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="put ECG electrodes on the skin in a share of the training cases (default on; "
        "--no-electrodes: the cases of the networks trained before them)",
    )
    parser.add_argument(
        "--fan",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scan half of the training cases with a fan beam rebinned to parallel (default "
        "on; --no-fan: parallel beam only, as the networks trained before it)",
    )
    parser.add_argument(
        "--full-size",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"simulate a quarter of the training cases of {FULL_SIZE} px source slices at "
        f"{FULL_SIZE} px (default on; --no-full-size: all at {SIZE}, as the networks trained "
        "before it)",
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--shard",
        default="0/1",
        metavar="K/N",
        help="simulate only every N-th slice starting at K, so that N processes fill one cache "
        "side by side; the cases are the same as one process would write",
    )
    parser.add_argument(
        "--export-slices",
        type=Path,
        default=None,
        help=f"only write the prepared clean slices to this .npz ({SLICES_FILE} "
        "in a data folder replaces its ct/ subfolder) and stop",
    )
    args = parser.parse_args(argv)
    if args.export_slices is not None:
        count = export_slices(args.data, args.export_slices)
        print(f"wrote {count} slices to {args.export_slices}")
        return 0
    shard, shards = (int(v) for v in args.shard.split("/"))
    if args.threads:
        torch.set_num_threads(args.threads)
    auto = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(auto if args.device == "auto" else args.device)
    cases_per_slice = {
        "train": args.per_slice,
        "eval": args.eval_per_slice,
        ELECTRODES_SPLIT: args.eval_electrodes if args.electrodes else 0,
    }
    for split, wanted in cases_per_slice.items():
        if wanted:
            (args.out / split).mkdir(parents=True, exist_ok=True)
    mine = [
        (index, s, split)
        for index, s in enumerate(clean_slices(args.data))
        if index % shards == shard and not any(n in s.patient or n in s.name for n in NEVER)
        for split in (("eval", ELECTRODES_SPLIT) if is_held_out(s) else ("train",))
    ]
    # The held-out cases first, then one configuration of every slice before the next: a run
    # stopped by a time limit leaves a validation set and an even spread of training slices.
    mine.sort(key=lambda item: item[2] == "train")
    count = 0
    for k in range(max(cases_per_slice.values())):
        for index, s, split in mine:
            if k >= cases_per_slice[split]:
                continue
            # The index keeps apart slices of one series, whose file names share a stem.
            target = args.out / split / f"{index:03d}_{s.name}_{k}.npz"
            if target.exists():
                continue
            # A held-out case with electrodes is not the same slice's case of `eval` with
            # electrodes added: its own draws.
            own = [ELECTRODE_STREAM] if split == ELECTRODES_SPLIT else []
            rng = np.random.default_rng([args.seed, index, k, *own])
            sample = make_sample(
                s,
                rng,
                device,
                not args.fixed_protocol,
                _electrodes(args, split, index, k),
                _fan_source_radius(args, split, index, k),
                _size(args, split, index, k, s),
            )
            # Written aside and renamed: a run stopped midway (a lent machine's time limit)
            # leaves whole cases only, which the next run keeps.
            partial = target.with_name(target.name + ".part")
            with open(partial, "wb") as file:
                np.savez_compressed(file, allow_pickle=False, **sample)
            partial.replace(target)
            count += 1
        print(f"configuration {k + 1} of each slice written", flush=True)
    print(f"wrote {count} samples to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
