"""Export trained weights as safetensors plus their manifest entry (the model card)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

from restorer.core.checksum import file_sha256


def save_weights(state: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """safetensors with a byte-for-byte reproducible header: safetensors writes the metadata
    in a hash map's order, which changes from one process to the next, so the same weights
    got a different sha256 each time. Its keys are put in sorted order here (the header keeps
    its length: the same JSON, reordered)."""
    from safetensors.torch import save_file

    save_file(state, str(path), metadata=metadata)
    with open(path, "r+b") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))
        header["__metadata__"] = dict(sorted(header.get("__metadata__", {}).items()))
        canonical = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
        if len(canonical.rstrip()) > length:
            raise RuntimeError(f"{path.name}: unexpected safetensors header")
        file.seek(8)
        file.write(canonical.ljust(length))  # safetensors pads its header with spaces


def export_model(
    model: nn.Module, model_id: str, fields: dict[str, Any], record: dict[str, Any], out_dir: Path
) -> Path:
    """Write <id>.safetensors (float16: half the size; inference casts back to float32) and
    <id>.json, the manifest entry with the training record and the file's sha256."""
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{model_id}.safetensors"
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    hyper = json.dumps(fields.get("hyperparameters", {}))
    save_weights(
        state,
        weights,
        {"id": model_id, "architecture": fields["architecture"], "hyperparameters": hyper},
    )
    entry = {
        "id": model_id,
        **fields,
        "file": weights.name,
        "sha256": file_sha256(weights),
        "training": record,
        "metrics": {},
    }
    (out_dir / f"{model_id}.json").write_text(json.dumps(entry, indent=2, default=str))
    return weights


def exported_metadata(weights: Path) -> dict[str, str]:
    """What export_model wrote into a weights file's header, as stored: id, architecture and
    hyperparameters (JSON)."""
    from safetensors import safe_open

    with safe_open(str(weights), "pt") as handle:
        return dict(handle.metadata() or {})


def load_exported(weights: Path) -> tuple[dict[str, Any], nn.Module]:
    """A network exported by export_model and not (yet) in the manifest, built from the
    architecture and hyperparameters in its header: (that header with the hyperparameters
    parsed, the network in float32, eval mode)."""
    from safetensors.torch import load_file

    from restorer.models.architectures import build

    metadata: dict[str, Any] = exported_metadata(weights)
    metadata["hyperparameters"] = json.loads(metadata.get("hyperparameters", "{}"))
    model = build(metadata["architecture"], metadata["hyperparameters"])
    model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    return metadata, model.eval()


def install_into_manifest(entry_json: Path, models_dir: Path) -> dict[str, Any]:
    """Copy an exported model next to the manifest and add or replace its entry."""
    entry = json.loads(entry_json.read_text())
    src = entry_json.with_name(entry["file"])
    if src.resolve() != (models_dir / entry["file"]).resolve():
        shutil.copyfile(src, models_dir / entry["file"])
    entry["sha256"] = file_sha256(models_dir / entry["file"])
    manifest_path = models_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"models": []}
    old = next((m for m in manifest["models"] if m["id"] == entry["id"]), None)
    if old is not None and old.get("metrics") and not entry.get("metrics"):
        entry["metrics"] = old["metrics"]
    if old is not None and entry["training"].get("initialised_from") == entry["file"]:
        # A fine-tuning run continues the bundled model: keep the earlier stages on record.
        entry["training"]["previous_stages"] = [
            *old["training"].pop("previous_stages", []),
            old["training"],
        ]
    manifest["models"] = [m for m in manifest["models"] if m["id"] != entry["id"]] + [entry]
    manifest["models"].sort(key=lambda m: m["id"])
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry
