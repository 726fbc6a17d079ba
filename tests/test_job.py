"""`restorer batch`: a resumable job with its manifest, run as an archivist would."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from restorer.cli.main import main
from restorer.core.image import Image
from restorer.io import read_image, write_image
from restorer.io.job_manifest import ERRORS_NAME, read_counts


def _archive(folder: Path, count: int = 12) -> list[Path]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        noisy = np.clip(0.5 + rng.normal(0, 0.08, (48, 64, 3)), 0, 1).astype(np.float32)
        write_image(Image(noisy), folder / f"scan{i:02d}.png")
        paths.append(folder / f"scan{i:02d}.png")
    (folder / "scan05b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"cut short")  # corrupt
    return paths


def _big_files(folder: Path, count: int, seed: int) -> None:
    """Noisy 512 x 512 photos: large enough that each file takes a moment to restore."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        noisy = np.clip(0.5 + rng.normal(0, 0.08, (512, 512, 3)), 0, 1).astype(np.float32)
        write_image(Image(noisy), folder / f"big{i:02d}.png")


def test_a_job_runs_resumes_after_an_interruption_and_redoes_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import restorer.cli.run_task as job_module  # attempt_file calls its restore_file

    sources = _archive(tmp_path / "in")
    inputs_before = {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()}
    out = tmp_path / "out"
    command = ["batch", "denoise", str(tmp_path / "in"), "-o", str(out), "--sigma", "10"]

    # Interrupted (Ctrl-C) while restoring the sixth file.
    restored: list[str] = []
    real = job_module.restore_file

    def counting(*args: Any) -> float:
        job = args[3]
        if len(restored) == 5 and not (out / "interrupted").exists():
            (out / "interrupted").touch()
            raise KeyboardInterrupt
        restored.append(job.source.name)
        return real(*args)

    monkeypatch.setattr(job_module, "restore_file", counting)
    assert main(command) == 130
    assert "run the same command to resume" in capsys.readouterr().err
    assert read_counts(out).done == 5

    # The same command resumes: nothing twice, nothing lost; the corrupt file is reported.
    assert main(command) == 1
    assert sorted(restored) == sorted([*(p.name for p in sources), "scan05b.png"])
    assert len(restored) == len(set(restored))
    counts = read_counts(out)
    assert (counts.done, counts.failed, counts.pending) == (12, 1, 0)
    with (out / ERRORS_NAME).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [Path(r["file"]).name for r in rows] == ["scan05b.png"] and rows[0]["error"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()} == inputs_before

    # Run again: nothing to do. An output deleted or altered since is made again.
    restored.clear()
    assert main(command) == 1  # the failure is still there, not retried
    assert restored == []
    (out / "scan03.png").unlink()
    (out / "scan07.png").write_bytes(b"not the file that was written")
    assert main(command) == 1
    assert sorted(restored) == ["scan03.png", "scan07.png"]
    restored.clear()
    assert main([*command, "--retry-failed"]) == 1 and restored == ["scan05b.png"]

    # The results are those of the plain command.
    plain = tmp_path / "plain"
    assert (
        main(["denoise", str(sources[3]), str(sources[7]), "-o", str(plain), "--sigma", "10"]) == 0
    )
    for name in ("scan03.png", "scan07.png"):
        np.testing.assert_allclose(
            read_image(out / name).pixels, read_image(plain / name).pixels, atol=1 / 255 + 1e-6
        )

    assert main(["batch", "--status", str(out)]) == 0
    assert "12 done, 1 failed, 0 to do (of 13)" in capsys.readouterr().out


def test_a_job_refuses_other_settings_and_never_writes_over_its_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(tmp_path / "in", count=2)
    out = tmp_path / "out"
    assert main(["batch", "denoise", str(tmp_path / "in"), "-o", str(out), "--sigma", "10"]) == 1
    assert main(["batch", "denoise", str(tmp_path / "in"), "-o", str(out), "--sigma", "20"]) == 2
    assert "holds a job with other settings" in capsys.readouterr().err
    assert main(["batch", "denoise", str(tmp_path / "in"), "-o", str(tmp_path / "in")]) == 2
    assert "never writes over its inputs" in capsys.readouterr().err
    assert main(["batch", "--status", str(tmp_path / "nothing")]) == 2


def test_an_archive_filed_in_folders_is_restored_with_recursive_into_the_same_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "scans"
    _archive(archive / "1951" / "box3", count=2)
    _archive(archive / "1952", count=1)
    rng = np.random.default_rng(1)
    write_image(Image(rng.random((40, 40, 3)).astype(np.float32)), archive / "cover.png")
    (archive / ".thumbs").mkdir()
    write_image(Image(rng.random((40, 40, 3)).astype(np.float32)), archive / ".thumbs" / "t.png")
    out = tmp_path / "restored"

    # Without --recursive: the top folder's own file, and a note naming what was left out.
    assert main(["batch", "denoise", str(archive), "-o", str(out), "--sigma", "10"]) == 0
    err = capsys.readouterr().err
    assert "2 subfolder(s) with images left out" in err and "--recursive" in err
    assert read_counts(out).done == 1

    # The same job with -r adds the subfolders' files, each in the same folder below out
    # (the corrupt one in each fails, as in any job).
    assert main(["batch", "denoise", str(archive), "-o", str(out), "--sigma", "10", "-r"]) == 1
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == [
        "1951/box3/scan00.png",
        "1951/box3/scan01.png",
        "1952/scan00.png",
        "cover.png",
    ]
    counts = read_counts(out)
    assert (counts.done, counts.failed) == (4, 2)


def test_status_of_a_job_whose_manifest_has_no_tables_yet(tmp_path: Path) -> None:
    """A job starting this moment has made its manifest file but not its tables: its status
    is nothing done yet, not an sqlite error (the killed-worker tests, polling the status
    while their job starts, failed on it now and then)."""
    import sqlite3

    sqlite3.connect(tmp_path / "restorer-job.sqlite").close()  # an empty database file
    counts = read_counts(tmp_path)
    assert (counts.done, counts.failed, counts.pending) == (0, 0, 0)
    assert main(["batch", "--status", str(tmp_path)]) == 0


def test_two_worker_processes_give_the_same_results(tmp_path: Path) -> None:
    sources = _archive(tmp_path / "in", count=6)
    one, two = tmp_path / "one", tmp_path / "two"
    base = ["batch", "denoise", str(tmp_path / "in"), "--sigma", "10"]
    assert main([*base, "-o", str(one)]) == 1  # the corrupt file
    assert main([*base, "-o", str(two), "--workers", "2"]) == 1
    counts = read_counts(two)
    assert (counts.done, counts.failed, counts.pending) == (6, 1, 0)
    for source in sources:
        np.testing.assert_allclose(
            read_image(two / source.name).pixels,
            read_image(one / source.name).pixels,
            atol=1 / 255 + 1e-6,
        )


def test_a_job_on_a_local_ray_instance_survives_a_killed_driver(tmp_path: Path) -> None:
    """Ray actors restore 50 files; the driver is killed halfway and started again: the
    files done before are not done again (their outputs keep their times), nothing is lost,
    the corrupt file is reported, and the results are the single process's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("ray")
    sources = _archive(tmp_path / "in", count=50)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "restorer", "batch", "denoise", str(tmp_path / "in"),
        "-o", str(out), "--sigma", "10", "--ray", "local", "--workers", "2",
    ]  # fmt: skip
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    driver = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        if (out / "restorer-job.sqlite").is_file() and read_counts(out).done >= 6:
            break
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and everything it started
    driver.wait()
    before = read_counts(out)
    assert 6 <= before.done < 50, before
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("scan*.png")}

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1, again.stderr  # 1: the corrupt file
    counts = read_counts(out)
    assert (counts.done, counts.failed, counts.pending) == (50, 1, 0)
    done_before = [n for n, t in written.items() if (out / n).stat().st_mtime_ns == t]
    assert len(done_before) >= before.done  # what was recorded done was not redone
    single = tmp_path / "single"
    assert main(["denoise", *map(str, sources[:3]), "-o", str(single), "--sigma", "10"]) == 0
    for source in sources[:3]:
        np.testing.assert_allclose(
            read_image(out / source.name).pixels,
            read_image(single / source.name).pixels,
            atol=1 / 255 + 1e-6,
        )


def test_a_worker_killed_mid_file_leaves_its_file_to_do(tmp_path: Path) -> None:
    """`--workers 2`: one worker process is killed while it restores a file. The job says so
    and ends with files still to do; the same command finishes them, the killed file
    included, without redoing what was recorded done."""
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "in"
    _big_files(folder, 10, seed=1)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "restorer", "batch", "denoise", str(folder), "-o", str(out),
        "--sigma", "10", "--workers", "2",
    ]  # fmt: skip
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def workers() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = next(
                (line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), ""
            )
            if parent == str(driver.pid) and b"spawn_main" in cmdline:  # not the tracker
                found.append(int(entry.name))
        return found

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        db = out / "restorer-job.sqlite"
        if db.is_file() and read_counts(out).done >= 2 and workers():
            break
        time.sleep(0.1)
    os.kill(workers()[0], signal.SIGKILL)
    _, err = driver.communicate(timeout=240)
    assert driver.returncode == 1 and "a worker process stopped" in err, err
    before = read_counts(out)
    assert before.pending > 0 and before.done >= 2
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("big*.png")}

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    counts = read_counts(out)
    assert (counts.done, counts.failed, counts.pending) == (10, 0, 0)
    unchanged = [n for n, t in written.items() if (out / n).stat().st_mtime_ns == t]
    assert len(unchanged) >= before.done


def test_a_ray_actor_killed_mid_file_is_replaced_and_its_file_done(tmp_path: Path) -> None:
    """`--ray local`: one actor process is killed while it restores a file. The driver says
    so, gives the file to a fresh actor, and the job ends with every file done, each once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("ray")
    folder = tmp_path / "in"
    _big_files(folder, 8, seed=2)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "restorer", "batch", "denoise", str(folder), "-o", str(out),
        "--sigma", "10", "--ray", "local", "--workers", "2",
    ]  # fmt: skip
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    driver = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip

    def actors() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and b"ray::Restorer" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        db = out / "restorer-job.sqlite"
        if db.is_file() and read_counts(out).done >= 2 and actors():
            break
        time.sleep(0.1)
    try:
        os.kill(actors()[0], signal.SIGKILL)
        _, err = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    assert driver.returncode == 0, err
    assert "a Ray worker was lost on big" in err and "trying it again" in err, err
    counts = read_counts(out)
    assert (counts.done, counts.failed, counts.pending) == (8, 0, 0)
    assert sorted(p.name for p in out.glob("big*.png")) == [f"big{i:02d}.png" for i in range(8)]
