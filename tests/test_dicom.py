"""DICOM CT: Hounsfield units through rescale, non-CT refused, derived files with new UIDs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorer.core.image import Modality
from restorer.io import ImageReadError, read_image, write_image
from tests.ct_helpers import write_dicom


def _write_ct(
    path: Path, stored: np.ndarray, slope: float, intercept: float, modality: str = "CT"
) -> None:
    write_dicom(path, stored, slope, intercept, modality)


def test_hounsfield_units_from_rescale(tmp_path: Path) -> None:
    stored = np.arange(-50, 50, dtype=np.int16).reshape(10, 10) * 20
    _write_ct(tmp_path / "a.dcm", stored, slope=2.0, intercept=-1024.0)
    image = read_image(tmp_path / "a.dcm")
    assert image.meta.modality is Modality.CT
    np.testing.assert_array_equal(image.pixels, stored * 2.0 - 1024.0)


def test_shared_ct_slice_is_in_hounsfield_units(shared_data: Path) -> None:
    import pydicom

    path = shared_data / "ct/dicom/CT_small.dcm"
    ds = pydicom.dcmread(path)
    image = read_image(path)
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_array_equal(image.pixels, expected)
    assert float(ds.RescaleIntercept) == -1024.0
    assert image.pixels.min() < -800  # lung/air is strongly negative in HU


def test_non_ct_dicom_is_refused(tmp_path: Path) -> None:
    _write_ct(tmp_path / "mr.dcm", np.zeros((8, 8), np.int16), 1.0, 0.0, modality="MR")
    with pytest.raises(ImageReadError, match="modality is MR, not CT"):
        read_image(tmp_path / "mr.dcm")


def test_truncated_dicom_is_refused(tmp_path: Path) -> None:
    _write_ct(tmp_path / "a.dcm", np.ones((64, 64), np.int16), 1.0, -1024.0)
    data = (tmp_path / "a.dcm").read_bytes()
    (tmp_path / "b.dcm").write_bytes(data[: len(data) - 3000])
    with pytest.raises(ImageReadError):
        read_image(tmp_path / "b.dcm")


def test_derived_dicom_keeps_hu_and_tags_with_new_uids(tmp_path: Path) -> None:
    import pydicom

    stored = (np.random.default_rng(0).integers(-1000, 2000, (32, 32))).astype(np.int16)
    _write_ct(tmp_path / "a.dcm", stored, 1.0, -1024.0)
    before = (tmp_path / "a.dcm").read_bytes()
    image = read_image(tmp_path / "a.dcm")
    write_image(image, tmp_path / "b.dcm", task="denoise")
    assert (tmp_path / "a.dcm").read_bytes() == before
    src, out = pydicom.dcmread(tmp_path / "a.dcm"), pydicom.dcmread(tmp_path / "b.dcm")
    np.testing.assert_array_equal(read_image(tmp_path / "b.dcm").pixels, image.pixels)
    assert out.PatientID == src.PatientID and out.StudyInstanceUID == src.StudyInstanceUID
    assert out.SOPInstanceUID != src.SOPInstanceUID
    assert out.SeriesInstanceUID != src.SeriesInstanceUID
    assert list(out.ImageType) == ["DERIVED", "SECONDARY"]
    assert "DENOISE" in out.SeriesDescription
    assert "not for diagnostic use" in out.ImageComments
    assert float(out.RescaleIntercept) == -1024.0


def test_ct_to_png_is_a_windowed_view(tmp_path: Path, samples: Path) -> None:
    image = read_image(samples / "ct_small.dcm")
    write_image(image, tmp_path / "view.png")
    view = read_image(tmp_path / "view.png")
    assert view.meta.bit_depth == 8
    # soft-tissue window 40/400: -160 HU and below are black, 240 HU and above white
    assert view.pixels[image.pixels <= -160].max() == 0.0
    assert view.pixels[image.pixels >= 240].min() == 1.0
