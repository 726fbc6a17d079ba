"""`restorer bench batch`: files per minute of a job, against the plain command.

A folder of bundled photos enlarged to `--side` with noise σ 8 is denoised three ways, each a
fresh process as a user runs it: the plain `restorer denoise DIR -o OUT`, `restorer batch
denoise` (the manifest, checksums and resume bookkeeping), `restorer batch --workers 2`, and
`restorer batch --ray local --workers 2` where Ray is installed (its start-up included).
Wall time includes each process's start (Python, torch, the models); the converted OpenVINO
models are in the cache already (one warm-up run first). The projection to an archive scales
the measured seconds per megapixel to 24 MP scans: an extrapolation, said as such.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from restorer.bench.common import markdown_table
from restorer.bench.memory import make_photo

SCAN_MP = 24.0
ARCHIVES = (100_000, 1_000_000)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--nodes", type=int, default=150, help="machines in the projection")


def _run(arguments: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "restorer", *arguments], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return seconds


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="restorer-bench-batch-") as folder:
        root = Path(folder)
        inputs = root / "in"
        inputs.mkdir()
        for i in range(args.files):
            make_photo(inputs / f"scan{i:04d}.png", args.side, args.side, seed=i)
        _run(["denoise", str(inputs / "scan0000.png"), "-o", str(root / "warm.png")])
        runs = {
            "restorer denoise (plain)": ["denoise", str(inputs), "-o", str(root / "plain")],
            "restorer batch denoise": ["batch", "denoise", str(inputs), "-o", str(root / "job")],
            "restorer batch denoise --workers 2": [
                "batch", "denoise", str(inputs), "-o", str(root / "job2"), "--workers", "2"
            ],
        }  # fmt: skip
        if importlib.util.find_spec("ray") is not None:
            runs["restorer batch denoise --ray local --workers 2"] = [
                "batch", "denoise", str(inputs), "-o", str(root / "ray"), "--ray", "local",
                "--workers", "2",
            ]  # fmt: skip
        seconds = {name: _run(arguments) for name, arguments in runs.items()}
    plain = seconds["restorer denoise (plain)"]
    megapixels = args.files * args.side * args.side / 1e6
    rows = [
        (
            name,
            f"{s:.1f}",
            f"{args.files / s * 60:.1f}",
            f"{(s / plain - 1) * 100:+.1f} %",
        )
        for name, s in seconds.items()
    ]
    print(markdown_table(["run", "seconds", "files/min", "against plain"], rows))
    best = min(seconds.values())
    per_scan = best / megapixels * SCAN_MP
    print(
        f"\nProjection (extrapolated from {megapixels:.1f} MP measured, {best / megapixels:.2f} "
        f"s/MP): a {SCAN_MP:.0f} MP scan takes {per_scan:.0f} s on this machine."
    )
    for files in ARCHIVES:
        one = files * per_scan / 86400
        print(
            f"  {files:,} scans: {one:,.0f} days on one such machine, "
            f"{one * 24 / args.nodes:,.1f} hours on {args.nodes}"
        )
    return 0
