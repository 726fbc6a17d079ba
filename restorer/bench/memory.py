"""`restorer bench memory`: peak memory of whole command-line jobs on large images.

Each case runs `restorer` in a child process on an image made for it (a bundled photo
enlarged to the size, with camera-like noise; a PNG of 400 megapixels that compresses to a
megabyte) and reads the child's peak resident memory from the operating system (wait4), so
the figure is what a user's machine would see: Python, torch, the models, the image and
every temporary.
"""

from __future__ import annotations

import argparse
import os
import platform
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from restorer.resources import samples_dir


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    size: tuple[int, int]  # width, height of the input
    command: tuple[str, ...]  # the restorer command; {input} and {output} are filled in
    target_gb: float | None
    make: str = "photo"  # "photo" or "bomb"


CASES = (
    Case("denoise24", "denoise, 24 MP colour PNG", (6000, 4000), ("denoise",), 1.0),
    Case("denoise100", "denoise, 100 MP colour PNG", (10000, 10000), ("denoise",), 3.0),
    Case("upscale", "upscale ×4, 6 MP colour PNG", (3000, 2000), ("upscale", "--scale", "4"), 2.5),
    Case(
        "upscale2", "upscale ×2, 12 MP colour PNG", (4000, 3000), ("upscale", "--scale", "2"), 2.5
    ),
    Case("info", "info, 400 MP PNG bomb (1 MB file)", (20000, 20000), ("info",), None, "bomb"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=[c.name for c in CASES],
        default=[c.name for c in CASES],
        help="which cases to run (default: all; the 100 MP denoise takes minutes on a CPU)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to make the inputs (default: a temp dir)"
    )


def make_photo(path: Path, width: int, height: int, seed: int = 0) -> None:
    """A bundled photo enlarged to width x height with Gaussian noise (σ 8 of 255), as PNG."""
    import cv2
    import imagecodecs

    source = cv2.imread(str(samples_dir() / "chelsea.png"), cv2.IMREAD_COLOR)
    if source is None:
        raise FileNotFoundError(samples_dir() / "chelsea.png")
    big = cv2.resize(source, (width, height), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(seed)
    for top in range(0, height, 512):  # in bands: a 100 MP float copy would be 1.2 GB
        band = big[top : top + 512].astype(np.float32)
        band += rng.normal(0.0, 8.0, band.shape).astype(np.float32)
        big[top : top + 512] = np.clip(band, 0, 255).astype(np.uint8)
    path.write_bytes(imagecodecs.png_encode(big[:, :, ::-1].copy(), level=1))


def make_png_bomb(path: Path, width: int, height: int) -> None:
    """A valid black RGB PNG of width x height, compressed row by row (never whole)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte 0 and black samples
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def make_in_child(kind: str, path: Path, size: tuple[int, int]) -> None:
    """Make an input in a process of its own, so that the benchmark's process never holds a
    large image (see _LAUNCHER)."""
    maker = {"photo": "make_photo", "bomb": "make_png_bomb"}[kind]
    code = f"from restorer.bench.memory import {maker}; from pathlib import Path; "
    code += f"{maker}(Path({str(path)!r}), {size[0]}, {size[1]})"
    subprocess.run([sys.executable, "-c", code], check=True)


# Runs in a small Python process of its own and starts the measured command from there: a
# child started from this (large) process shares its pages until exec - with fork and with
# vfork alike - and ru_maxrss keeps them (an `info` run read 0.21 GiB instead of 0.03).
_LAUNCHER = """
import os, sys, time
argv = sys.argv[1:]
quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
_pid, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - start)
"""


def run_child(argv: list[str]) -> tuple[int, float, float]:
    """(exit status, peak resident GiB, seconds) of `python -m restorer argv`."""
    command = [sys.executable, "-m", "restorer", *argv]
    report = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True, check=True
    )
    status, maxrss, seconds = report.stdout.split()
    # ru_maxrss: kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return int(status), int(maxrss) * scale / 2**30, float(seconds)


def within_target(peak_gib: float, target_gb: float) -> bool:
    """The targets are in GB (10^9 bytes), the peaks in GiB (2^30 bytes): compared as if
    both were GiB, a 2.5 GB target let peaks of 2.33-2.5 GiB pass."""
    return peak_gib * 2**30 <= target_gb * 1e9


def run(args: argparse.Namespace) -> int:
    if not hasattr(os, "wait4") or not hasattr(os, "posix_spawn"):
        print(
            "restorer bench memory: needs wait4 and posix_spawn (Linux or macOS)", file=sys.stderr
        )
        return 2
    chosen = [c for c in CASES if c.name in args.cases]
    print(f"peak resident memory, {platform.machine()} {platform.system()}, device {args.device}")
    print("| case | peak | target | time | exit |")
    print("|---|---|---|---|---|")
    failures = 0
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for case in chosen:
            source = Path(tmp) / f"{case.name}.png"
            make_in_child(case.make, source, case.size)
            argv = [*case.command, str(source)]
            if case.command[0] != "info":
                argv += ["-o", str(Path(tmp) / f"{case.name}_out.png"), "--overwrite"]
                argv += ["--device", args.device]
            status, peak, seconds = run_child(argv)
            source.unlink()
            met = case.target_gb is None or within_target(peak, case.target_gb)
            failures += status != 0 or not met
            target = f"≤ {case.target_gb:.1f} GB" if case.target_gb else "headers only"
            mark = "" if met else " ✗"
            print(
                f"| {case.label} | {peak:.2f} GiB{mark} | {target} | {seconds:.0f} s | {status} |",
                flush=True,
            )
    return 1 if failures else 0
