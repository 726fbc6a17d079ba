"""Install the best weights of a training run that is still going (or was stopped) from its
checkpoint, with a complete model card: for trying a model in the application before the run
ends. The card says 'checkpoint' and the steps reached; the run's own export replaces it.

    python build_scripts/install_checkpoint.py noise-map runs/ck_nm -- <the training command's
    arguments after the model name>
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import torch

from restorer.training.cli import add_arguments, command_line, make_job
from restorer.training.export import export_model, install_into_manifest
from restorer.training.loop import load_checkpoint

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint_dir", type=Path)
    parser.add_argument("training_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    training_args = [a for a in args.training_args if a != "--"]
    train_parser = argparse.ArgumentParser()
    add_arguments(train_parser)
    train_args = train_parser.parse_args(training_args)
    job = make_job(train_args, torch.device("cpu"))
    ck = load_checkpoint(args.checkpoint_dir / f"{job.model_id}.pt")
    model = job.build_model()
    model.load_state_dict(ck["best_state"])
    best = max(ck["history"], key=lambda m: m["score"])
    record = {
        "command": command_line("python -m restorer.training", training_args),
        "data": job.data_description,
        "steps": ck["step"],
        "planned_steps": ck["total"],
        "checkpoint": f"installed from the checkpoint at step {ck['step']} of {ck['total']}",
        "seconds": round(ck["elapsed"], 1),
        "device": f"CPU {platform.machine()}",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "seed": train_args.seed,
        "lr": train_args.lr,
        "best_validation": {k: round(v, 4) for k, v in best.items()},
        "batch": job.batch,
        "patch": job.patch,
        **({"loss": loss} if (loss := getattr(job, "loss_description", None)) else {}),
        **({"initialised_from": train_args.init.name} if train_args.init else {}),
    }
    out = args.checkpoint_dir / "installed"
    export_model(model.eval(), job.model_id, job.descriptor_fields(), record, out)
    install_into_manifest(out / f"{job.model_id}.json", REPO / "resources" / "models")
    print(f"installed {job.model_id} from step {ck['step']} (best {best})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
