"""A bundled weight file checked against the manifest before anything uses it: by PyTorch
(restorer.models.loader) or by OpenVINO, whose converted copy was made from these weights
(restorer.engine.openvino_runtime). Without torch: an OpenVINO run never imports it."""

from __future__ import annotations

from pathlib import Path

from restorer.core.checksum import file_sha256
from restorer.models.descriptor import ModelDescriptor, ModelIntegrityError


def verify_bundled(descriptor: ModelDescriptor, models_dir: Path) -> Path:
    """The model's weights file, after checking that it is there and is the one the manifest
    names (sha256); ModelIntegrityError otherwise."""
    path = models_dir / descriptor.file
    if not path.is_file():
        raise ModelIntegrityError(f"model file {descriptor.file} is missing from {models_dir}")
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ModelIntegrityError(
            f"model file {descriptor.file} cannot be read ({exc.strerror or exc}); "
            "reinstall Restorer"
        ) from exc
    if actual != descriptor.sha256:
        raise ModelIntegrityError(
            f"model file {descriptor.file} was altered or damaged (sha256 {actual[:12]}…, "
            f"expected {descriptor.sha256[:12]}…); refusing to load it. Reinstall Restorer."
        )
    return path


def verify_int8(descriptor: ModelDescriptor, models_dir: Path) -> tuple[Path, Path]:
    """The model's int8 files (IR graph, IR weights), after checking that they were made from
    the installed weights and are the ones the manifest names; ModelIntegrityError otherwise
    (the caller runs the model in floating point instead)."""
    record = descriptor.int8
    if record.get("source_sha256") != descriptor.sha256:
        raise ModelIntegrityError(
            f"the int8 version of {descriptor.id} was made from other weights than the "
            "installed ones"
        )
    paths = []
    for name_key, sha_key in (("xml", "xml_sha256"), ("bin", "bin_sha256")):
        path = models_dir / str(record.get(name_key, ""))
        try:
            actual = file_sha256(path)
        except OSError as exc:
            raise ModelIntegrityError(
                f"{path.name} cannot be read ({exc.strerror or exc})"
            ) from exc
        if actual != record.get(sha_key):
            raise ModelIntegrityError(f"{path.name} was altered or damaged")
        paths.append(path)
    return paths[0], paths[1]
