"""`restorer`: the GUI with no arguments, or batch restoration, info, benchmarks and training."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from restorer import __version__
from restorer.cli.models import add_models_command, run_models_command
from restorer.engine.choices import BACKEND_CHOICES, DEVICE_CHOICES, PRECISION_CHOICES
from restorer.io.storage import path_or_url
from restorer.tasks.base import ParamSpec, TaskSpec, param_specs
from restorer.tasks.registry import COMMANDS, WITH_USER_MODELS

OTHER_COMMANDS = ("info", "bench", "train", "batch", "models")
USER_MODEL_FLAG = "model"  # --model FILE|NAME on the tasks that can run a user's model
# Used by benchmarks (baselines) and training (mask and metal drawing) only.
DEVELOPMENT_MODULES = ("cv2", "bm3d")


def _flag(spec: ParamSpec) -> str:
    return "--" + spec.name.replace("_", "-")


def _add_param(parser: argparse.ArgumentParser, spec: ParamSpec, user_models: bool = False) -> None:
    help_text = spec.help
    if user_models and spec.name == USER_MODEL_FLAG:
        # The task's own model choice doubles as the way to name a user's model.
        parser.add_argument(
            _flag(spec),
            default=spec.default,
            metavar="{" + ",".join(map(str, spec.choices)) + "}|FILE|NAME",
            help=f"{help_text} Or your own model: a .pth/.safetensors file, or the name of "
            f"one in your library (restorer models). (default {spec.default})",
        )
        return
    if spec.minimum is not None and spec.maximum is not None:
        help_text += f" [{spec.minimum:g}–{spec.maximum:g}]"
    if spec.kind == "bool":
        if spec.default:  # the flag's name alone does not say that it is on unless turned off
            help_text += " (default: on)"
        parser.add_argument(
            _flag(spec), action=argparse.BooleanOptionalAction, default=spec.default, help=help_text
        )
        return
    kinds: dict[str, Any] = {"float": float, "int": int, "path": Path}
    value_type = type(spec.default) if spec.kind == "choice" else kinds[spec.kind]
    parser.add_argument(
        _flag(spec),
        type=value_type,
        default=spec.default,
        choices=spec.choices or None,
        metavar=None if spec.choices else spec.kind.upper(),
        help=help_text + ("" if spec.optional else f" (default {spec.default})"),
    )


def _add_task_command(sub: Any, task: TaskSpec, urls: bool = False) -> argparse.ArgumentParser:
    """A task's command; with `urls` (restorer batch) inputs and output may be URLs."""
    p = sub.add_parser(task.command, help=task.description, description=task.description)
    location = path_or_url if urls else Path
    p.add_argument(
        "inputs",
        nargs="+",
        type=location,
        metavar="INPUT",
        help="image files or folders"
        + (", or URLs (s3://bucket/scans, gs://...: needs the storage's fsspec driver)" * urls),
    )
    p.add_argument(
        "-o",
        "--output",
        type=location,
        required=True,
        help="output file (for one input) or folder (same names as the inputs)"
        + (", or a URL" * urls),
    )
    p.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="also the images in folders below an input folder, each result in the same "
        "folder below the output" + (" (local folders only)" * urls),
    )
    user_models = task.name in WITH_USER_MODELS
    specs = param_specs(task.params_type)
    for spec in specs:
        _add_param(p, spec, user_models)
    if user_models and all(spec.name != USER_MODEL_FLAG for spec in specs):
        p.add_argument(
            "--" + USER_MODEL_FLAG,
            default=None,
            metavar="FILE|NAME",
            help="run your own model instead of the bundled one: a .pth/.safetensors file "
            "(ESRGAN, SwinIR, SCUNet, NAFNet... anything spandrel reads), or the name of one "
            "in your library (restorer models)",
        )
    if task.needs_mask:
        p.add_argument(
            "--mask",
            type=Path,
            default=None,
            help="mask image (white = fill), or a folder of masks named like the inputs",
        )
    _add_run_options(p)
    p.set_defaults(task=task)
    return p


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        default="auto",
        choices=DEVICE_CHOICES,
        help="where models run (default: CUDA, then Apple MPS, then CPU)",
    )
    _add_precision_option(p)
    p.add_argument(
        "--tile",
        type=int,
        default=None,
        help="tile side in pixels (default: the model's; smaller uses less memory)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument(
        "--bit-depth",
        type=int,
        choices=(8, 16),
        default=None,
        help="output bits per sample (default: the source's)",
    )
    p.add_argument(
        "--quality",
        type=int,
        choices=range(1, 101),
        metavar="1-100",
        default=None,
        help="JPEG and WebP output quality (default 95)",
    )
    p.add_argument(
        "--format",
        choices=("png", "tiff", "jpeg", "webp", "bmp", "dcm"),
        default=None,
        help="output format for folder outputs (default: the input's)",
    )


def _add_precision_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISION_CHOICES,
        help="auto: float16 on CUDA, bfloat16 on CPUs with AVX-512 bf16 or AMX, for the models "
        "that allow it (about twice as fast, within about 1/255), and on the CPU with OpenVINO "
        "the int8 versions some models ship (measured as good); float32: full precision",
    )
    p.add_argument(
        "--backend",
        default="auto",
        choices=BACKEND_CHOICES,
        help="what runs the models on the CPU (default: OpenVINO when installed, else PyTorch; "
        "GPUs always use PyTorch)",
    )


def _benchmarks() -> list[tuple[str, str, Any, Any]]:
    """(name, help, add_arguments, run(args, device)) for each `restorer bench` command."""
    from restorer.bench import batch, command, denoise, inpaint, jpeg, mar, memory, speed, upscale
    from restorer.gui import latency_bench

    def with_engine(run: Any) -> Any:
        def call(args: argparse.Namespace) -> int:
            from restorer.engine.engine import Engine

            return run(args, Engine(args.device, precision=args.precision, backend=args.backend))

        return call

    return [
        (
            "denoise",
            "PSNR/SSIM/MP/s against NL-means and BM3D",
            denoise.add_arguments,
            with_engine(denoise.run),
        ),
        (
            "upscale",
            "PSNR/SSIM on Y and MP/s against bicubic, Lanczos",
            upscale.add_arguments,
            with_engine(upscale.run),
        ),
        (
            "inpaint",
            "PSNR/SSIM in the hole against OpenCV Telea and NS",
            inpaint.add_arguments,
            with_engine(inpaint.run),
        ),
        (
            "automask",
            "precision/recall of scratch and dust detection",
            inpaint.add_automask_arguments,
            with_engine(inpaint.run_automask),
        ),
        (
            "jpeg",
            "PSNR/SSIM of JPEG-artifact removal against the input and a deblocking filter",
            jpeg.add_arguments,
            with_engine(jpeg.run),
        ),
        (
            "mar",
            "LI, NMAR and ours on SynDeepLesion and simulations",
            mar.add_arguments,
            with_engine(mar.run),
        ),
        (
            "memory",
            "peak memory of whole jobs on 24 and 100 MP photos (each in its own process)",
            memory.add_arguments,
            memory.run,
        ),
        (
            "command",
            "seconds and MP/s of whole commands against the speed targets (start-up left out)",
            command.add_arguments,
            command.run,
        ),
        (
            "batch",
            "files/min of a job (1 and 2 workers) against the plain command, and a projection",
            batch.add_arguments,
            batch.run,
        ),
        (
            "speed",
            "MP/s of each task for every CPU runtime and precision here, with PSNR",
            speed.add_arguments,
            speed.run,
        ),
        # The window benchmark makes its own engine, inside the window.
        (
            "gui",
            "event-loop stalls of the window during a job",
            latency_bench.add_arguments,
            latency_bench.run,
        ),
    ]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. The bench and train subcommands, whose modules load torch and
    the training code, are filled in only when `command` is theirs (or None, for tests and
    documentation): `restorer --help` and the restore commands do not wait for them."""
    parser = argparse.ArgumentParser(
        prog="restorer",
        description="Restore photos, scans and CT images offline. With no command, opens the "
        "window (with FILEs, opens them).",
    )
    parser.add_argument("--version", action="version", version=f"restorer {__version__}")
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="run every task on a bundled sample, without a screen; exit 0 or 1",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for task in COMMANDS:
        _add_task_command(sub, task)
    info = sub.add_parser("info", help="print what was read from an image file")
    info.add_argument("file", type=Path)
    add_models_command(sub)

    batch = sub.add_parser(
        "batch",
        help="a resumable job over a whole archive (its manifest lives in the output folder, "
        "or on this machine when the output is a URL)",
        description="Run a task over many files as a job: interrupted, the same command "
        "resumes where it stopped; failures go to OUT/restorer-job-errors.csv.",
    )
    batch.add_argument(
        "--status", type=path_or_url, metavar="OUT", help="where the job in OUT stands"
    )
    batch_sub = batch.add_subparsers(dest="batch_task", metavar="TASK")
    for task in COMMANDS:
        job_parser = _add_task_command(batch_sub, task, urls=True)
        job_parser.add_argument(
            "--job-dir",
            type=Path,
            default=None,
            metavar="DIR",
            help="where the job's manifest lives when OUT is a URL (default: a folder of the "
            "application's data named after OUT)",
        )
        job_parser.add_argument(
            "--retry-failed", action="store_true", help="run the files that failed again"
        )
        job_parser.add_argument(
            "--ray",
            default=None,
            metavar="local|ADDRESS",
            help="run on a Ray cluster (ADDRESS, or 'auto' for the one this machine belongs "
            "to) or a Ray instance started here ('local'); inputs and outputs must be paths "
            'every node sees, or URLs. Needs pip install "restorer[cluster]"',
        )
        job_parser.add_argument(
            "--workers",
            type=int,
            default=1,
            metavar="N",
            help="worker processes, each with its share of the CPU threads (default 1)",
        )

    bench = sub.add_parser("bench", help="measure quality and speed on test sets")
    bench_sub = bench.add_subparsers(dest="bench_task", metavar="TASK", required=True)
    for name, help_text, add_arguments, run in _benchmarks() if command in (None, "bench") else []:
        b = bench_sub.add_parser(name, help=help_text)
        add_arguments(b)
        b.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
        _add_precision_option(b)
        b.set_defaults(bench_run=run)

    train = sub.add_parser("train", help="train a bundled model (see README: Training)")
    if command in (None, "train"):
        from restorer.training.cli import add_arguments as add_train_arguments

        add_train_arguments(train)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        code = _run(argv)
        sys.stdout.flush()  # a reader that went away shows here at the latest
        return code
    except BrokenPipeError:
        # Whoever read our output stopped early (`restorer info FILE | head`): end quietly, as
        # command-line tools do. Python flushes stdout again at exit and would fail a second
        # time, so stdout is pointed at the null device first (Python's signal docs, "Note on
        # SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _run(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {t.command for t in COMMANDS} | set(OTHER_COMMANDS)
    wants_gui = not argv or (argv[0] not in commands and not argv[0].startswith("-"))
    if wants_gui:
        return _open_gui([Path(a) for a in argv])
    command = next((a for a in argv if not a.startswith("-")), "") if argv else ""
    args = build_parser(command).parse_args(argv)
    if args.selftest:
        from restorer.selftest import run as run_selftest

        return run_selftest()
    if args.command == "info":
        from restorer.cli.info import run as run_info

        return run_info(args.file)
    if args.command in ("bench", "train"):
        folders = getattr(args, "data", None)
        folders = folders if isinstance(folders, list) else [folders] if folders else []
        missing = [str(f) for f in folders if not Path(f).is_dir()]
        if missing:
            print(
                f"restorer {args.command}: no such data folder: {', '.join(missing)}",
                file=sys.stderr,
            )
            return 2
        try:
            if args.command == "bench":
                return args.bench_run(args)
            from restorer.training.cli import command_line
            from restorer.training.cli import run as run_train

            return run_train(args, command_line("restorer", argv))
        except ModuleNotFoundError as exc:
            if exc.name not in DEVELOPMENT_MODULES:
                raise
            # The installed application leaves out what only benchmarks and training use.
            print(
                f"restorer {args.command}: needs {exc.name}, which the application does not "
                f"include; install Restorer from source with: pip install '.[{args.command}]'",
                file=sys.stderr,
            )
            return 2
    if args.command == "models":
        return run_models_command(args)
    if args.command == "batch" and args.status is not None:
        from restorer.cli.job import print_status

        return print_status(args.status)
    if args.command == "batch" and getattr(args, "task", None) is None:
        print("restorer batch: give a TASK (restorer batch --help)", file=sys.stderr)
        return 2
    try:
        task, params = task_and_params(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "batch":
        from restorer.cli.job import run_job

        return run_job(task, params, args)
    from restorer.cli.run_task import run_batch

    return run_batch(task, params, args)


def task_and_params(args: argparse.Namespace) -> tuple[TaskSpec, Any]:
    """The task to run and its parameters from the command line: the bundled model's task,
    or, with --model naming the user's own model, the task that runs it (ValueError when
    the model cannot be read or is of another kind)."""
    specs = param_specs(args.task.params_type)
    named = getattr(args, USER_MODEL_FLAG, None) if args.task.name in WITH_USER_MODELS else None
    own = next((s for s in specs if s.name == USER_MODEL_FLAG), None)
    if named is None or (own is not None and named in own.choices):
        return args.task, args.task.params_type(**{s.name: getattr(args, s.name) for s in specs})
    from restorer.cli.models import checked_user_model

    task = WITH_USER_MODELS[args.task.name]
    return task, checked_user_model(task, named)


def _has_screen() -> bool:
    """False on a Linux machine with no display server: Qt would abort there."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_gui(files: list[Path]) -> int:
    if not _has_screen():
        print(
            "restorer: no screen to open the window on; use a command instead, for example\n"
            "  restorer denoise INPUT -o OUTPUT\n(restorer --help lists them)",
            file=sys.stderr,
        )
        return 2
    from restorer.gui.app import run_app

    return run_app(files)
