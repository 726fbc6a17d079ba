"""`restorer bench command`: the whole command as a user runs it, timed against the speed
targets (2048² denoise, 1024² ×2 upscale, 8-pass denoise of 1024²; start-up not counted).

`restorer bench speed` times the engine warm inside one process; a user's command also
starts Python, imports the runtime, reads the compiled models, decodes and encodes the files
and touches every buffer for the first time. Here each case runs `restorer` in a process of
its own, once untimed (the model cache is filled on a first use), then --repeat times; the
start-up is the median of `restorer --help`. With --compare, another checkout of Restorer runs
each case in turn with this one, with a model cache of its own, so that both meet the same
moments of a machine whose speed drifts: the only fair comparison on a shared CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from restorer.bench.memory import make_in_child


@dataclass(frozen=True)
class Case:
    label: str
    size: tuple[int, int]  # the input photo's width and height
    command: tuple[str, ...]
    output_pixels_per_input: int  # 4 for a ×2 upscale
    target_mp_s: float | None


CASES = (
    Case("`restorer denoise` 2048²", (2048, 2048), ("denoise",), 1, 2.0),
    Case("`restorer upscale` ×2, 1024² → 2048²", (1024, 1024), ("upscale", "--scale", "2"), 4, 1.5),
    Case("`restorer denoise --passes 8` 1024²", (1024, 1024), ("denoise", "--passes", "8"), 1, 0.5),
)
# The other figure (a 24 MP photo took 41 s), about 20 s a run here: on request.
LARGE = Case("`restorer denoise` 24 MP (6000×4000)", (6000, 4000), ("denoise",), 1, None)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="CHECKOUT",
        help="another checkout of Restorer (its top folder) to time in turn with this one",
    )
    parser.add_argument(
        "--large", action="store_true", help="also a 24 MP denoise (about 20 s a run on 2 cores)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to make the inputs (default: a temp dir)"
    )


@dataclass(frozen=True)
class Runner:
    """How to start one version of `restorer`: this installation, or a checkout's source."""

    name: str
    cache: Path
    checkout: Path | None = None

    def seconds(self, argv: list[str]) -> float:
        env = dict(os.environ, RESTORER_CACHE_DIR=str(self.cache))
        if self.checkout is not None:
            env["PYTHONPATH"] = str(self.checkout)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "restorer", *argv],
            env=env,
            cwd=self.checkout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - start


def mp_per_second(pixels: int, seconds: float, startup: float) -> float:
    """Megapixels per second of the command with its start-up left out."""
    return pixels / 1e6 / max(seconds - startup, 1e-9)


def run(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        print("restorer bench command: --repeat must be at least 1", file=sys.stderr)
        return 2
    if args.compare is not None and not (args.compare / "restorer" / "__main__.py").is_file():
        print(
            f"restorer bench command: {args.compare} is not a checkout of Restorer", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        runners = [Runner("this code", work / "cache-this")]
        if args.compare is not None:
            runners.append(Runner(str(args.compare), work / "cache-other", args.compare.resolve()))
        try:
            cases = (*CASES, LARGE) if args.large else CASES
            print_table(work, runners, cases, args.repeat, args.device)
        except subprocess.CalledProcessError as exc:
            command = " ".join(str(part) for part in exc.cmd[1:])
            print(
                f"restorer bench command: `{command}` failed (exit {exc.returncode})",
                file=sys.stderr,
            )
            return 1
    return 0


def print_table(
    work: Path, runners: list[Runner], cases: tuple[Case, ...], repeat: int, device: str
) -> None:
    startup = {r.name: statistics.median(r.seconds(["--help"]) for _ in range(5)) for r in runners}
    print(
        f"whole commands, {repeat} runs each; device {device}; start-up "
        + ", ".join(f"{name} {s:.2f} s" for name, s in startup.items())
    )
    columns = " | ".join(f"{r.name}, s | median | MP/s at best / median" for r in runners)
    print(f"| command | {columns} | target |")
    print("|---" * (2 + 3 * len(runners)) + "|")
    for case in cases:
        width, height = case.size
        source = work / f"photo{width}x{height}.png"
        if not source.exists():
            make_in_child("photo", source, case.size)
        argv = [*case.command, str(source), "-o", str(work / "out.png"), "--overwrite"]
        argv += ["--device", device]
        for runner in runners:
            runner.seconds(argv)  # untimed: converts and compiles into its cache
        times: dict[str, list[float]] = {r.name: [] for r in runners}
        for _ in range(repeat):
            for runner in runners:  # in turn, so that both meet the machine's same moments
                times[runner.name].append(runner.seconds(argv))
        pixels = width * height * case.output_pixels_per_input
        cells = [_cells(sorted(times[r.name]), pixels, startup[r.name]) for r in runners]
        target = case.target_mp_s or "—"
        print(f"| {case.label} | " + " | ".join(cells) + f" | {target} |", flush=True)


def _cells(taken: list[float], pixels: int, startup: float) -> str:
    """range | median | MP/s at best / at the median, for sorted times."""
    median = statistics.median(taken)
    best, typical = (mp_per_second(pixels, t, startup) for t in (taken[0], median))
    return f"{taken[0]:.2f}–{taken[-1]:.2f} | {median:.2f} | {best:.3g} / {typical:.3g}"
