"""CT stacks: a folder holding a series, a multi-frame file, or a single slice."""

from __future__ import annotations

from pathlib import Path

from restorer.core.image import Image
from restorer.io import ImageReadError, read_image, sniff_format


def _position(image: Image) -> tuple[float, float, str]:
    """Sort key: position along the patient axis, then instance number, then file name."""
    ds = image.meta.dicom_dataset
    z = float("nan")
    position = getattr(ds, "ImagePositionPatient", None)
    if position is not None and len(position) == 3:
        z = float(position[2])
    instance = float(getattr(ds, "InstanceNumber", 0) or 0)
    name = image.meta.source_path.name if image.meta.source_path else ""
    return (z if z == z else instance, instance, name)


def read_ct_stack(path: str | Path) -> tuple[list[Image], list[str]]:
    """(slices in order, one message per file that could not be read). A photo or a single
    CT slice gives a stack of one."""
    path = Path(path)
    if path.is_dir():
        slices, problems = [], []
        for item in sorted(path.iterdir()):
            if not item.is_file() or item.name.startswith("."):
                continue
            head = item.read_bytes()[:132]
            if sniff_format(head) != "dicom":
                continue
            try:
                slices.append(read_image(item))
            except ImageReadError as exc:
                problems.append(str(exc))
        if not slices:
            raise ImageReadError(
                f"{path.name}: no readable CT slices in this folder"
                + (f" ({problems[0]})" if problems else "")
            )
        return sorted(slices, key=_position), problems
    image = read_image(path)
    frames = image.meta.extra.get("frames", 1) if image.is_ct else 1
    if frames > 1:
        from restorer.io.dicom import read_dicom_frames

        return read_dicom_frames(path, path.read_bytes()), []
    return [image], []
