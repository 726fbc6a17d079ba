"""Train every bundled model with one command.

    python -m restorer.training.all --data ../shared/data --minutes 7.5 --export out/
    python -m restorer.training.all --data .traindata --minutes 4 --only denoise-gray \
        --fine-tune resources/models --lr 2e-4 --export out/      # continue the bundled ones
    python -m restorer.training.all --data .traindata --real .traindata/real/polyu_canon \
        --minutes 8 --only denoise-color denoise-gray noise-map --fine-tune resources/models \
        --lr 1e-4 --export out/       # as the bundled denoisers and estimator were trained

On a GPU the jobs run side by side (small networks leave most of the card idle); on a CPU
they run one after another. Each job's log goes to <export>/<id>.log.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from restorer.training.cli import JOBS, TRAINING_JOBS

REAL_PAIR_JOBS = tuple(m for m, job in TRAINING_JOBS.items() if job.takes_real)


def _init_arguments(models_dir: Path | None, model: str) -> list[str]:
    weights = models_dir / f"{model}.safetensors" if models_dir else None
    return ["--init", str(weights)] if weights and weights.is_file() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restorer.training.all")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--minutes", type=float, required=True, help="time budget per model")
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--checkpoint-dir", type=Path, default=Path("runs"))
    parser.add_argument("--only", nargs="*", choices=JOBS, default=list(JOBS))
    parser.add_argument("--sequential", action="store_true", help="one job at a time (CPU)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--fine-tune",
        type=Path,
        metavar="MODELS_DIR",
        help="start each model from its weights in this folder (resources/models): a short "
        "run continues the bundled models instead of starting over",
    )
    parser.add_argument("--lr", type=float, help="peak learning rate for every job")
    parser.add_argument(
        "--real",
        type=Path,
        default=None,
        help="real noisy/clean pairs, passed to the jobs that take them (denoisers, noise-map)",
    )
    args = parser.parse_args(argv)
    args.export.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONUNBUFFERED="1")
    running: list[tuple[str, subprocess.Popen[bytes]]] = []
    failed = []
    # The image-domain MAR network learns from the sinogram network's output: chain them,
    # half the time budget each.
    chains: list[list[str]] = []
    for model in args.only:
        if model == "mar-image" and "mar-sinogram" in args.only:
            continue
        if model == "mar-sinogram" and "mar-image" in args.only:
            chains.append(["mar-sinogram", "mar-image"])
        else:
            chains.append([model])
    for chain in chains:
        minutes = args.minutes / len(chain)
        commands = [
            [
                sys.executable,
                "-m",
                "restorer.training",
                model,
                "--data",
                str(args.data),
                "--minutes",
                f"{minutes:g}",
                "--export",
                str(args.export),
                "--checkpoint-dir",
                str(args.checkpoint_dir),
            ]
            + (["--resume"] if args.resume else [])
            + (["--lr", f"{args.lr:g}"] if args.lr else [])
            + (["--real", str(args.real)] if args.real and model in REAL_PAIR_JOBS else [])
            + _init_arguments(args.fine_tune, model)
            for model in chain
        ]
        script = " && ".join(" ".join(shlex.quote(c) for c in cmd) for cmd in commands)
        name = "+".join(chain)
        log = open(args.export / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            ["/bin/sh", "-c", script], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        running.append((name, proc))
        print(f"started {name}", flush=True)
        if args.sequential and proc.wait() != 0:
            failed.append(name)
    start = time.time()
    for model, proc in running:
        if proc.wait() != 0 and model not in failed:
            failed.append(model)
        print(f"{model}: exit {proc.returncode} after {time.time() - start:.0f} s", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
