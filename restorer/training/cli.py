"""`restorer train TASK --data DIR ...`: the one command that produces the bundled weights."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from restorer.engine.choices import DEVICE_CHOICES
from restorer.engine.device import choose_device
from restorer.training.loop import CheckpointError, TrainConfig, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=JOBS, help="which model to train")
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="data folder laid out as ../shared/data (see its MANIFEST.md)",
    )
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--steps", type=int, help="number of optimiser steps")
    budget.add_argument(
        "--minutes", type=float, help="time budget; resolved into a step count after 50 steps"
    )
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--patch", type=int, default=None, help="training patch side")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=None,
        help="denoisers only: channels per U-Net level (default 32 64 128 256); a narrower "
        "network runs faster on a CPU",
    )
    parser.add_argument("--blocks", type=int, default=None, help="denoisers only: blocks per level")
    parser.add_argument(
        "--teacher",
        type=Path,
        default=None,
        help="denoisers only: a trained denoiser (.safetensors) to distil from; its output "
        "on each batch is half of the target",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    parser.add_argument(
        "--no-amp",
        action="store_true",
        help="disable bfloat16 autocast (used on CUDA and on CPUs with AMX)",
    )
    parser.add_argument("--val-every", type=int, default=500)
    parser.add_argument("--patience", type=int, default=8)
    parser.add_argument("--checkpoint-dir", type=Path, default=Path("runs"))
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument(
        "--export",
        type=Path,
        default=None,
        help="folder for <id>.safetensors and its manifest entry <id>.json",
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from these weights (.safetensors), e.g. to fine-tune",
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument(
        "--loss",
        choices=("l1", "mse"),
        default="l1",
        help="denoisers only: mse for a last fine-tune towards PSNR",
    )
    parser.add_argument(
        "--real",
        type=Path,
        default=None,
        help="denoisers and noise-map: a folder of real noisy/clean pairs (real/ and mean/, "
        "e.g. ../shared/data/real/polyu_canon); its training scenes join each batch, its "
        "held-out scenes are validated",
    )


@dataclass(frozen=True)
class TrainingJob:
    """How `restorer train MODEL` makes its job: one entry per model id. Adding a model is
    one job class (restorer/training/...) and one line in TRAINING_JOBS."""

    make: Callable[[argparse.Namespace, torch.device, dict[str, Any]], Any]
    takes_real: bool = False  # --real: real noisy/clean pairs join the batches
    takes_loss: bool = False  # --loss l1|mse
    takes_shape: bool = False  # --widths, --blocks, --teacher


def _denoise(gray: bool) -> Callable[[argparse.Namespace, torch.device, dict[str, Any]], Any]:
    def make(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
        from restorer.training.denoise import DenoiseJob

        return DenoiseJob(
            args.data, gray=gray, device=device, loss_name=args.loss, real=args.real, **overrides
        )

    return make


def _noise_map(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.noise_map import NoiseMapJob

    return NoiseMapJob(args.data, device=device, real=args.real, **overrides)


def _super_resolve(
    scale: int, realistic: bool
) -> Callable[[argparse.Namespace, torch.device, dict[str, Any]], Any]:
    def make(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
        from restorer.training.super_resolve import SRJob

        return SRJob(args.data, scale=scale, realistic=realistic, device=device, **overrides)

    return make


def _mar_sinogram(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.mar import MarSinogramJob

    return MarSinogramJob(
        args.data, device=device, cache=args.checkpoint_dir / "mar_cache", **overrides
    )


def _mar_image(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.mar import MarImageJob

    # A first stage trained in the same export folder is the one to build on.
    stage1 = args.export / "mar-sinogram.safetensors" if args.export else None
    return MarImageJob(
        args.data,
        device=device,
        cache=args.checkpoint_dir / "mar_cache",
        sinogram_weights=stage1 if stage1 and stage1.is_file() else None,
        **overrides,
    )


def _defects(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.defects import DefectJob

    # Fine-tuning a detector mines its false alarms (see training.defects).
    return DefectJob(args.data, device=device, mine_with=args.init, **overrides)


def _jpeg(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.jpeg import JpegJob

    return JpegJob(args.data, device=device, **overrides)


def _inpaint(args: argparse.Namespace, device: torch.device, overrides: dict[str, Any]) -> Any:
    from restorer.training.inpaint import InpaintJob

    return InpaintJob(args.data, device=device, **overrides)


TRAINING_JOBS: dict[str, TrainingJob] = {
    "denoise-gray": TrainingJob(
        _denoise(gray=True), takes_real=True, takes_loss=True, takes_shape=True
    ),
    "denoise-color": TrainingJob(
        _denoise(gray=False), takes_real=True, takes_loss=True, takes_shape=True
    ),
    "sr-x2": TrainingJob(_super_resolve(2, realistic=False)),
    "sr-x4": TrainingJob(_super_resolve(4, realistic=False)),
    "sr-x2-real": TrainingJob(_super_resolve(2, realistic=True)),
    "sr-x4-real": TrainingJob(_super_resolve(4, realistic=True)),
    "inpaint": TrainingJob(_inpaint),
    "mar-sinogram": TrainingJob(_mar_sinogram),
    "mar-image": TrainingJob(_mar_image),
    "defects": TrainingJob(_defects),
    "noise-map": TrainingJob(_noise_map, takes_real=True),
    "jpeg-color": TrainingJob(_jpeg),
}
JOBS = tuple(TRAINING_JOBS)


def make_job(args: argparse.Namespace, device: torch.device) -> Any:
    entry = TRAINING_JOBS[args.model]
    if args.real is not None and not entry.takes_real:
        raise SystemExit(f"--real is for the denoisers and noise-map, not {args.model}")
    if args.loss != "l1" and not entry.takes_loss:
        raise SystemExit(f"--loss {args.loss} is for the denoisers; {args.model} has its own loss")
    shape = {
        "widths": tuple(args.widths) if args.widths else None,
        "blocks": args.blocks,
        "teacher": args.teacher,
    }
    if any(shape.values()) and not entry.takes_shape:
        raise SystemExit(
            f"--widths, --blocks and --teacher are for the denoisers, not {args.model}"
        )
    overrides = {
        k: v for k, v in (("batch", args.batch), ("patch", args.patch), *shape.items()) if v
    }
    return entry.make(args, device, overrides)


def command_line(program: str, argv: list[str]) -> str:
    """The command as the model card records it, quoted to be pasted into a shell."""
    return " ".join([program, *(shlex.quote(a) for a in argv)])


def run(args: argparse.Namespace, command: str) -> int:
    """Train as `args` say; `command` is the command line the model card records."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = choose_device(args.device)  # the one chooser inference uses too
    job = make_job(args, device)
    cfg = TrainConfig(
        steps=args.steps,
        minutes=args.minutes,
        lr=args.lr,
        seed=args.seed,
        device=str(device),
        amp=not args.no_amp,
        val_every=args.val_every,
        patience=args.patience,
        checkpoint_dir=args.checkpoint_dir,
        resume=args.resume,
        export_dir=args.export,
        command=command,
        data_description=job.data_description,
        extra={
            "batch": job.batch,
            "patch": job.patch,
            **({"loss": loss} if (loss := getattr(job, "loss_description", None)) else {}),
            **({"initialised_from": args.init.name} if args.init else {}),
        },
        init_weights=args.init,
    )
    try:
        record = train(job, cfg)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(
        f"[{job.model_id}] done: {record['steps']} steps in {record['seconds']:.0f} s, "
        f"best {record['best_validation']}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restorer.training")
    add_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(parser.parse_args(argv), command_line("python -m restorer.training", argv))
