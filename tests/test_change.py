"""The change map: after − before, in HU for CT and 8-bit levels for photos, and its picture."""

from __future__ import annotations

import numpy as np

from restorer.core.change import change_between, change_rgb
from restorer.core.image import Image, ImageMeta, Modality


def test_a_ct_change_is_in_hu_and_zero_where_nothing_changed() -> None:
    before = np.full((40, 50), 40.0, np.float32)
    after = before.copy()
    after[10:20, 5:45] -= 180.0  # a streak lowered by 180 HU
    after[30, 30] += 7.5
    ct = ImageMeta(modality=Modality.CT)
    change = change_between(Image(before, ct), Image(after, ct))
    assert change.unit == "HU"
    np.testing.assert_array_equal(change.values, after - before)
    assert change.scale == 200.0  # 180 rounded up to 1, 2 or 5 x 10^k
    assert abs(change.changed - (10 * 40 + 1) / (40 * 50)) < 1e-9

    base = np.full((40, 50, 3), 90, np.uint8)
    base[:, :, 0] = 120
    rgb = change_rgb(change, base)
    untouched = change.values == 0
    assert (rgb[untouched] == 100).all()  # the base's gray, uncoloured
    lowered = rgb[15, 20].astype(int)
    assert lowered[2] > lowered[0] + 100  # blue where the slice was lowered


def test_a_photo_change_is_in_levels() -> None:
    before = np.full((8, 8, 3), 0.5, np.float32)
    after = before.copy()
    after[2:4, 2:4] += 10 / 255
    change = change_between(Image(before), Image(after))
    assert change.unit == "levels"
    assert np.allclose(change.values[2:4, 2:4], 10, atol=1e-3)
    assert not change.values[4:].any() and change.scale == 10.0
