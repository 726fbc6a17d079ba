"""The README's figure of the real clinical spine case with pedicle screws, before and after MAR.

    python build_scripts/mar_figure.py --data ../shared/data --out docs/spine_mar.png

Every method that `restorer bench mar` compares (the learned one when its models are bundled),
side by side in the soft-tissue window (40/400), each panel enlarged x2 for the page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from figures import write_figure

from restorer.bench.mar import methods
from restorer.engine.engine import Engine
from restorer.io.ct_view import apply_window
from restorer.physics.mar import metal_pixels

CASE = "ct/adn/spineweb/with_art/patient0281_4555169_042.npy"
WINDOW = (40.0, 400.0)


def panel(hu: np.ndarray, label: str) -> np.ndarray:
    gray = (apply_window(hu, *WINDOW) * 255).round().astype(np.uint8)
    big = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    out = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(out, (0, 0), (out.shape[1], 30), (0, 0, 0), -1)
    cv2.putText(out, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/spine_mar.png"))
    args = parser.parse_args(argv)
    hu = np.load(args.data / CASE).astype(np.float32)
    metal = metal_pixels(hu)  # LI and NMAR put back the metal itself
    # The case is 256 px, the learned pipeline's working size: its full-resolution variant
    # computes the same image, so it gets no panel of its own.
    chosen = {n: fn for n, fn in methods(Engine("auto")).items() if "full resolution" not in n}
    panels = [panel(fn(hu, metal), name.replace(", 256", "")) for name, fn in chosen.items()]
    write_figure(args.out, np.hstack(panels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
