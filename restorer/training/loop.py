"""The training loop every model shares: AdamW with warm-up and cosine annealing, L1 (+SSIM)
losses defined by the job, mixed precision on CUDA, validation with early stopping,
checkpoints with --resume, and a time budget resolved into a fixed number of steps."""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from restorer.engine.device import choose_device, cpu_has_bfloat16_matrix_units
from restorer.models.blocks import blocks_per_stage, keep_last_blocks


class TrainJob(Protocol):
    """What a task's training supplies to the loop. A job may also have `loss_description`
    (str or None): what the model card records as its loss."""

    model_id: str

    def build_model(self) -> nn.Module: ...

    def loss(self, model: nn.Module, step: int, rng: np.random.Generator) -> torch.Tensor:
        """Sample a batch, degrade it, run the model and return the scalar loss."""
        ...

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Metrics on held-out images; must contain 'score' (higher is better)."""
        ...

    def descriptor_fields(self) -> dict[str, Any]:
        """Manifest fields besides the training record (task, architecture, tiling...)."""
        ...


@dataclass
class TrainConfig:
    steps: int | None = None
    minutes: float | None = None
    lr: float = 1e-3
    min_lr: float = 1e-6
    weight_decay: float = 1e-4
    warmup: int = 300
    val_every: int = 500
    patience: int = 8  # validations without improvement before stopping
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    checkpoint_dir: Path = Path("runs")
    resume: bool = False
    export_dir: Path | None = None
    command: str = ""
    data_description: str = ""
    log_every: int = 100
    extra: dict[str, Any] = field(default_factory=dict)
    init_weights: Path | None = None


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def _lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, total - cfg.warmup))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


class CheckpointError(Exception):
    """A checkpoint that holds more than tensors and plain values; it is never unpickled."""


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A checkpoint written by `train`: tensors, numbers, strings, lists and dicts only.
    weights_only=True refuses any other pickled object, so a crafted file cannot run code."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # UnpicklingError, or a truncated or foreign file
        raise CheckpointError(
            f"{path}: not a plain training checkpoint (tensors and numbers only); "
            f"refusing to load it ({str(exc).splitlines()[0]})"
        ) from exc


def _validate(job: TrainJob, model: nn.Module, step: int) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        metrics = job.validate(model)
    model.train()
    metrics = {k: float(v) for k, v in metrics.items()}  # plain floats: see load_checkpoint
    print(
        f"[{job.model_id}] val step {step}: "
        + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()),
        flush=True,
    )
    return {**metrics, "step": step}


def train(job: TrainJob, cfg: TrainConfig) -> dict[str, Any]:
    """Train, keep the best validated weights, export them; returns the training record."""
    if cfg.steps is None and cfg.minutes is None:
        raise ValueError("give --steps or --minutes")
    device = choose_device(cfg.device)  # the one chooser inference uses too
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = job.build_model()
    if cfg.init_weights is not None:
        from safetensors.torch import load_file

        state = {k: v.float() for k, v in load_file(str(cfg.init_weights)).items()}
        # A network with fewer blocks per stage starts from a deeper one's last blocks.
        model.load_state_dict(keep_last_blocks(state, blocks_per_stage(model.state_dict())))
    # Module.to takes memory_format at run time; torch's type stubs do not say so.
    model = model.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    # bfloat16 autocast where it pays: CUDA, and CPUs with AMX (2.5x faster per step here for
    # the denoising U-Net, same validation PSNR after 60 steps).
    use_amp = cfg.amp and (
        device.type == "cuda" or (device.type == "cpu" and cpu_has_bfloat16_matrix_units())
    )
    ckpt_path = cfg.checkpoint_dir / f"{job.model_id}.pt"
    cfg.checkpoint_dir.mkdir(parents=True, exist_ok=True)

    step, total, best_score, best_state, stale, elapsed_before = (
        0,
        cfg.steps,
        -math.inf,
        None,
        0,
        0.0,
    )
    history: list[dict[str, float]] = []
    if cfg.resume and ckpt_path.is_file():
        ck = load_checkpoint(ckpt_path, device)
        model.load_state_dict(ck["model"])
        optimiser.load_state_dict(ck["optimiser"])
        step, total, best_score = ck["step"], ck["total"], ck["best_score"]
        best_state, stale, history = ck["best_state"], ck["stale"], ck["history"]
        elapsed_before = ck["elapsed"]
        rng = np.random.default_rng([cfg.seed, step])
        torch.manual_seed(cfg.seed + step)
        print(f"[{job.model_id}] resumed at step {step}/{total}", flush=True)

    if step == 0:
        # The starting point is a candidate too: a fine-tune (--init) or a network that starts
        # as a sound baseline (the MAR pair) is never exported worse than it began.
        metrics = _validate(job, model, 0)
        history.append(metrics)
        best_score = metrics["score"]
        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    start = time.perf_counter()
    # Time steps 20..70 of this run: the first ones include cuDNN's algorithm search.
    calibrate_from, calibrate_at = step + 20, step + 70
    calibrate_start = start
    model.train()
    while total is None or step < total:
        for group in optimiser.param_groups:
            group["lr"] = _lr_at(step, total or 10**9, cfg)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = job.loss(model, step, rng)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1

        if step == calibrate_from:
            if device.type == "cuda":
                torch.cuda.synchronize()
            calibrate_start = time.perf_counter()
        if total is None and cfg.minutes is not None and step == calibrate_at:
            # Resolve the time budget into a step count once the speed is known, so that the
            # cosine schedule ends on time and the record states exact steps.
            if device.type == "cuda":
                torch.cuda.synchronize()
            per_step = (time.perf_counter() - calibrate_start) / (calibrate_at - calibrate_from)
            # Leave room for validation and export.
            remaining = cfg.minutes * 60 * 0.93 - (time.perf_counter() - start)
            total = max(step + 1, step + int(remaining / per_step))
            print(f"[{job.model_id}] {per_step * 1000:.1f} ms/step -> {total} steps", flush=True)
        if step % cfg.log_every == 0:
            print(
                f"[{job.model_id}] step {step}/{total} loss {loss.item():.5f} "
                f"lr {optimiser.param_groups[0]['lr']:.2e}",
                flush=True,
            )
        finished = total is not None and step >= total
        if step % cfg.val_every == 0 or finished:
            metrics = _validate(job, model, step)
            history.append(metrics)
            if metrics["score"] > best_score:
                best_score, stale = metrics["score"], 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "step": step,
                    "total": total,
                    "best_score": best_score,
                    "best_state": best_state,
                    "stale": stale,
                    "history": history,
                    "elapsed": elapsed_before + time.perf_counter() - start,
                },
                ckpt_path,
            )
            if stale >= cfg.patience:
                print(f"[{job.model_id}] early stop at step {step}", flush=True)
                break

    seconds = elapsed_before + time.perf_counter() - start
    assert best_state is not None
    model.load_state_dict(best_state)
    record = {
        "command": cfg.command,
        "data": cfg.data_description,
        "steps": step,
        "planned_steps": total,
        "seconds": round(seconds, 1),
        "device": _device_name(device),
        "mixed_precision": "bfloat16" if use_amp else "none",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "seed": cfg.seed,
        "lr": cfg.lr,
        "best_validation": {
            k: round(v, 4) for k, v in max(history, key=lambda m: m["score"]).items()
        },
        **cfg.extra,
    }
    if cfg.export_dir is not None:
        from restorer.training.export import export_model

        export_model(
            model.cpu().eval(), job.model_id, job.descriptor_fields(), record, cfg.export_dir
        )
    (cfg.checkpoint_dir / f"{job.model_id}.record.json").write_text(
        json.dumps(record, indent=2, default=str)
    )
    return record


def config_dict(cfg: TrainConfig) -> dict[str, Any]:
    d = asdict(cfg)
    return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}
