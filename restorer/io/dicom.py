"""DICOM CT through pydicom: stored values to Hounsfield units and back, tags kept.

A derived file gets new SOP Instance and Series UIDs and says it was processed; the original
dataset object is never modified.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import numpy as np

from restorer.core.image import Image, ImageMeta, Modality
from restorer.io.errors import ImageReadError, ImageWriteError
from restorer.io.limits import check_size

DERIVED_COMMENT = "Processed by Restorer ({task}); not for diagnostic use."


def _number(ds: Any, keyword: str, default: float) -> float:
    """A numeric tag as a finite float; `default` when absent or empty."""
    value = getattr(ds, keyword, None)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{keyword} is {str(value)!r}, not a number") from None
    if not np.isfinite(number):
        raise ValueError(f"{keyword} is {number}")
    return number


def _rescale(ds: Any) -> tuple[float, float]:
    """(slope, intercept) of the stored values -> HU. Either may be absent (slope 1,
    intercept 0: the same rule for reading and writing, so an untouched slice comes back
    unchanged); a slope of 0 or text that is not a number is refused."""
    slope = _number(ds, "RescaleSlope", 1.0)
    intercept = _number(ds, "RescaleIntercept", 0.0)
    if slope == 0:
        raise ValueError("RescaleSlope is 0: every pixel would read the same")
    return slope, intercept


def read_dicom(path: Path, data: bytes) -> Image:
    """The first (or only) frame of a CT file."""
    return read_dicom_frames(path, data, first_only=True)[0]


def read_dicom_frames(path: Path, data: bytes, first_only: bool = False) -> list[Image]:
    """Every frame of a CT file as its own Image (one for a single-frame file)."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_rescale

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError) as exc:
        raise ImageReadError(f"{path.name}: not a readable DICOM file ({exc})") from exc
    modality = str(getattr(ds, "Modality", "")).upper()
    if modality != "CT":
        raise ImageReadError(
            f"{path.name}: DICOM modality is {modality or 'missing'}, not CT; "
            "Restorer reads CT images only"
        )
    if "PixelData" not in ds:
        raise ImageReadError(f"{path.name}: the DICOM file holds no image")
    try:
        columns, rows = int(ds.Columns), int(ds.Rows)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ImageReadError(
            f"{path.name}: the DICOM file does not say its size (Rows and Columns)"
        ) from exc
    check_size(path, columns, rows)
    top_level_rescale = "RescaleSlope" in ds or "RescaleIntercept" in ds
    try:
        slope, intercept = _rescale(ds)
    except ValueError as exc:
        raise ImageReadError(f"{path.name}: cannot convert to Hounsfield units: {exc}") from exc
    try:
        stored = ds.pixel_array
    except Exception as exc:  # missing decoder plugin, corrupt or truncated pixel data
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = syntax.name if syntax is not None else "unknown"
        raise ImageReadError(
            f"{path.name}: cannot decode the pixel data (transfer syntax {name}): {exc}"
        ) from exc
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if top_level_rescale or frames == 1:
        hu = (stored.astype(np.float64) * slope + intercept).astype(np.float32)
    else:
        # Enhanced multi-frame CT gives the rescale per frame, in functional groups.
        try:
            hu = apply_rescale(stored, ds).astype(np.float32)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ImageReadError(f"{path.name}: cannot convert to Hounsfield units: {exc}") from exc
    stack = hu if frames > 1 else hu[None]
    images = []
    for index in range(1 if first_only else frames):
        meta = ImageMeta(
            source_path=path,
            format="dicom",
            bit_depth=int(getattr(ds, "BitsStored", 16)),
            modality=Modality.CT,
            dicom_dataset=ds,
            extra={"frames": frames, "frame": index, "window": _window(ds)},
        )
        images.append(Image(np.ascontiguousarray(stack[index]), meta))
    return images


def _first(value: Any) -> float:
    from pydicom.multival import MultiValue

    return float(value[0]) if isinstance(value, MultiValue | list | tuple) else float(value)


def _window(ds: Any) -> tuple[float, float]:
    """(center, width) from the file, or soft tissue 40/400 when it gives none."""
    try:
        center, width = _first(ds.WindowCenter), _first(ds.WindowWidth)
    except (AttributeError, TypeError, ValueError, IndexError):
        return 40.0, 400.0
    return (center, width) if width > 0 else (40.0, 400.0)


def encode_dicom(image: Image, task: str = "restoration") -> bytes:
    """A derived CT slice: same patient and study, new UIDs, original rescale, stored values."""
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    src = image.meta.dicom_dataset
    if src is None:
        raise ImageWriteError("DICOM output needs a DICOM source (the patient and study tags)")
    if image.meta.extra.get("frames", 1) > 1:
        raise ImageWriteError("writing multi-frame DICOM is not supported yet; export PNG or TIFF")
    ds = copy.deepcopy(src)
    try:
        slope, intercept = _rescale(ds)
    except ValueError as exc:
        raise ImageWriteError(f"cannot convert back from Hounsfield units: {exc}") from exc
    bits = int(getattr(ds, "BitsStored", 16))
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    stored = np.clip(np.rint((image.pixels.astype(np.float64) - intercept) / slope), lo, hi)
    stored = stored.astype(np.int16 if signed else np.uint16)

    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.BitsAllocated = 16
    if stored.shape != (int(src.Rows), int(src.Columns)) and "PixelSpacing" in src:
        # A resized slice covers the same field of view with smaller (or larger) pixels.
        row_scale = int(src.Rows) / stored.shape[0]
        col_scale = int(src.Columns) / stored.shape[1]
        spacing = [float(v) for v in src.PixelSpacing]
        ds.PixelSpacing = [f"{spacing[0] * row_scale:.6g}", f"{spacing[1] * col_scale:.6g}"]
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = stored.tobytes()
    ds["PixelData"].VR = "OW"
    new_sop = generate_uid()
    ds.SOPInstanceUID = new_sop
    ds.file_meta.MediaStorageSOPInstanceUID = new_sop
    # One derived series per source series and task: the slices of a series restored one by
    # one stay together (the same UID from the same source series and task).
    source_series = str(getattr(src, "SeriesInstanceUID", "")) or new_sop
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[source_series, f"restorer:{task}"])
    ds.ImageType = ["DERIVED", "SECONDARY"]
    description = str(getattr(src, "SeriesDescription", "")).strip()
    ds.SeriesDescription = f"{description} {task.upper()}".strip()[:64]
    ds.ImageComments = DERIVED_COMMENT.format(task=task)[:10240]
    ds.DerivationDescription = DERIVED_COMMENT.format(task=task)[:1024]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
