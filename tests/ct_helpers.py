"""Small synthetic CT data written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def water_phantom(n: int = 128, metal: bool = True) -> np.ndarray:
    """HU: a water disk with a bone insert and, optionally, two metal pins at 3000 HU+."""
    c = np.arange(n) - (n - 1) / 2
    y, x = np.meshgrid(c, c, indexing="ij")
    hu = np.where(x**2 + y**2 < (0.4 * n) ** 2, 0.0, -1000.0)
    hu = np.where((x - 0.15 * n) ** 2 + (y + 0.1 * n) ** 2 < (0.07 * n) ** 2, 900.0, hu)
    if metal:
        hu[n // 2 - 3 : n // 2 + 3, n // 3 - 3 : n // 3 + 3] = 3400.0
        hu[n // 2 + 10 : n // 2 + 14, 2 * n // 3 : 2 * n // 3 + 4] = 3400.0
    return hu.astype(np.float32)


def write_dicom(
    path: Path,
    stored: np.ndarray,
    slope: float = 1.0,
    intercept: float = -1024.0,
    modality: str = "CT",
    position: float = 0.0,
    instance: int = 1,
    series_uid: str | None = None,
    study_uid: str | None = None,
) -> None:
    """A minimal single-frame DICOM file with signed 16-bit stored values."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.PatientName = "Phantom^Water"
    ds.PatientID = "PH001"
    ds.Modality = modality
    ds.SeriesDescription = "AXIAL"
    ds.InstanceNumber = instance
    ds.ImagePositionPatient = [0.0, 0.0, position]
    ds.PixelSpacing = [1.5, 1.5]
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    ds.PixelData = stored.astype(np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def write_ct(
    path: Path,
    hu: np.ndarray,
    position: float = 0.0,
    instance: int = 1,
    series_uid: str | None = None,
    study_uid: str | None = None,
) -> None:
    """A CT slice in HU, stored with the usual intercept of -1024."""
    write_dicom(
        path,
        np.round(hu + 1024),
        position=position,
        instance=instance,
        series_uid=series_uid,
        study_uid=study_uid,
    )


def write_series(folder: Path, count: int = 3, n: int = 128) -> list[float]:
    """Slices written in shuffled file order; returns the z positions, sorted."""
    from pydicom.uid import generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    series, study = generate_uid(), generate_uid()
    positions = [10.0 * i for i in range(count)]
    for order, i in enumerate(reversed(range(count))):
        hu = water_phantom(n, metal=True) + 5.0 * i  # each slice a little different
        write_ct(folder / f"img{order:03d}", hu, positions[i], i + 1, series, study)
    return positions


def held_out_chest_slice() -> tuple[np.ndarray, float]:
    """(HU, pixel size in mm) of a 256 x 256 chest slice of a patient kept out of MAR training."""
    with np.load(Path(__file__).parent / "data" / "ct_chest_256.npz") as z:
        return z["hu"].astype(np.float32), float(z["px_mm"])
