"""Weights between a model and its fine-tune (weight-space interpolation, as WiSE-FT).

    python -m restorer.training.interpolate runs/gpu/mar/mar-image.json \\
        --start resources/models/mar-image.safetensors --amount 0.7 --out runs/mar_mix

A fine-tune on new data can gain on average and lose on cases unlike that data; the
weights part of the way from the start towards the fine-tune often keep most of the gain and
lose less (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022). The result
is exported like a trained model: <id>.safetensors and its manifest entry <id>.json, whose
training record says what was mixed, so that the model card stays reproducible.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from restorer.core.checksum import file_sha256


def interpolate(
    start: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], amount: float
) -> dict[str, torch.Tensor]:
    """(1 - amount) * start + amount * tuned, tensor by tensor, in the tuned tensors' dtype."""
    if start.keys() != tuned.keys():
        raise ValueError("the two weight files hold different tensors: not the same network")
    return {
        name: ((1 - amount) * start[name].float() + amount * value.float()).to(value.dtype)
        for name, value in tuned.items()
    }


def main(argv: list[str] | None = None) -> int:
    from safetensors.torch import load_file

    from restorer.training.export import exported_metadata, save_weights

    parser = argparse.ArgumentParser(prog="python -m restorer.training.interpolate")
    parser.add_argument("entry", type=Path, help="the fine-tune's exported <id>.json")
    parser.add_argument("--start", type=Path, required=True, help="the weights it started from")
    parser.add_argument("--amount", type=float, required=True, help="0: start, 1: fine-tune")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not 0 <= args.amount <= 1:
        parser.error("--amount is between 0 and 1")
    entry: dict[str, Any] = json.loads(args.entry.read_text())
    tuned_file = args.entry.with_name(entry["file"])
    metadata = exported_metadata(tuned_file)
    mixed = interpolate(load_file(str(args.start)), load_file(str(tuned_file)), args.amount)
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / entry["file"]
    save_weights(mixed, weights, metadata)
    entry["sha256"] = file_sha256(weights)
    entry["training"]["interpolated"] = {
        "amount": args.amount,
        "start_sha256": file_sha256(args.start),
        "fine_tune_sha256": file_sha256(tuned_file),
        "command": (
            f"python -m restorer.training.interpolate <fine-tune>/{args.entry.name} "
            f"--start <the weights it started from> --amount {args.amount:g} --out <folder>"
        ),
    }
    (args.out / args.entry.name).write_text(json.dumps(entry, indent=2, default=str))
    print(f"wrote {weights} ({args.amount:g} of the way to the fine-tune)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
