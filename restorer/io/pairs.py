"""Folders of real noisy/clean pairs, laid out as ../shared/data/real/polyu_canon: `real/NAME`
is one shot, `mean/NAME` the clean target (the mean of many shots of the same scene).

Crops of one scene share content, so training and evaluation are split by scene (NAME without
its last `_N` crop index): a scene is held out when its name's CRC-32 is divisible by 3, the
same on every machine and for any folder laid out this way.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from restorer.io import list_images

NOISY_FOLDER = "real"
CLEAN_FOLDER = "mean"


@dataclass(frozen=True)
class Pair:
    name: str
    noisy: Path
    clean: Path

    @property
    def scene(self) -> str:
        return Path(self.name).stem.rsplit("_", 1)[0]

    @property
    def held_out(self) -> bool:
        return zlib.crc32(self.scene.encode()) % 3 == 0


def list_pairs(folder: Path) -> list[Pair]:
    """The pairs of a folder (names present in both real/ and mean/), sorted by name."""
    folder = Path(folder)
    noisy_dir, clean_dir = folder / NOISY_FOLDER, folder / CLEAN_FOLDER
    if not noisy_dir.is_dir() or not clean_dir.is_dir():
        raise FileNotFoundError(
            f"{folder} is not a folder of real pairs: it needs {NOISY_FOLDER}/ and {CLEAN_FOLDER}/"
        )
    return [
        Pair(p.name, p, clean_dir / p.name)
        for p in list_images(noisy_dir)
        if (clean_dir / p.name).is_file()
    ]
