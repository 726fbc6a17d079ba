"""The README's visual comparison of inpainting methods on the benchmark's own masks.

    python build_scripts/inpaint_figure.py --data ../shared/data --out docs/inpaint.jpg

One row per (CBSD68 image, mask size): the damaged image (hole in magenta), our network,
OpenCV Telea, OpenCV Navier-Stokes and the original, each fill labelled with its PSNR inside
the hole. The masks are those `restorer bench inpaint` draws for that image and size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from figures import labelled, write_figure

from restorer.bench.inpaint import masked, methods
from restorer.core.ops import psnr
from restorer.engine.engine import Engine
from restorer.io import read_image

# Structure that diffusion smears: stripes, an edge against sky, fabric.
ROWS = (("253027.png", "medium"), ("108005.png", "medium"), ("223061.png", "large"))
HOLE_COLOUR = (1.0, 0.0, 1.0)


def _tile(rgb: np.ndarray, text: str) -> np.ndarray:
    return labelled((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)[:, :, ::-1], text)


def _same_orientation(rgb: np.ndarray) -> np.ndarray:
    """Portrait images turned to landscape, so that the rows line up."""
    return np.ascontiguousarray(np.rot90(rgb)) if rgb.shape[0] > rgb.shape[1] else rgb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/inpaint.jpg"))
    args = parser.parse_args(argv)
    fills = methods(Engine("auto"))
    rows = []
    for name, size in ROWS:
        clean = read_image(args.data / "test/cbsd68" / name).pixels
        damaged, mask = masked(clean, name, size)
        hole = mask > 0.5
        shown = np.where(hole[..., None], np.array(HOLE_COLOUR, np.float32), damaged)
        tiles = [_tile(_same_orientation(shown), f"{name} - {size} mask ({hole.mean():.0%})")]
        for method, fill in fills.items():
            out = fill(damaged, mask)
            label = f"{method.removeprefix('OpenCV ')}: {psnr(clean, out, mask=hole):.2f} dB"
            tiles.append(_tile(_same_orientation(out), label))
        tiles.append(_tile(_same_orientation(clean), "original"))
        rows.append(np.hstack(tiles))
    figure = np.vstack(rows)
    write_figure(args.out, figure, jpeg_quality=85)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
