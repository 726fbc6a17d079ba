"""Whole-command benchmarks: `restorer bench command` times commands in processes of their
own, this code and another checkout in turn, MP/s without the start-up; `restorer bench
memory` holds peaks to targets given in GB."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from restorer.bench import command

REPO = Path(__file__).resolve().parents[1]


def test_megapixels_per_second_leave_the_start_up_out() -> None:
    assert command.mp_per_second(4_000_000, 2.25, 0.25) == pytest.approx(2.0)


def test_times_this_code_and_another_checkout_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    small = command.Case(
        "`restorer denoise` 80×48", (80, 48), ("denoise", "--sigma", "10"), 1, None
    )
    monkeypatch.setattr(command, "CASES", (small,))
    args = argparse.Namespace(large=False, repeat=2, compare=REPO, workdir=tmp_path, device="cpu")
    assert command.run(args) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("| `restorer denoise` 80×48"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # the label, then range / median / MP/s for each of the two, then the target (none here)
    assert len(cells) == 1 + 2 * 3 + 1 and cells[-1] == "—"
    for first in (1, 4):
        low, high = (float(v) for v in cells[first].split("–"))
        assert 0 < low <= float(cells[first + 1]) <= high
        best, typical = (float(v) for v in cells[first + 2].split("/"))
        assert best >= typical > 0
    assert re.search(r"start-up this code \d+\.\d\d s", lines[0])


def test_refuses_a_folder_that_is_not_a_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        large=False, repeat=1, compare=tmp_path, workdir=tmp_path, device="cpu"
    )
    assert command.run(args) == 2
    assert "not a checkout of Restorer" in capsys.readouterr().err


def test_memory_targets_in_gigabytes_are_not_read_as_gibibytes() -> None:
    from restorer.bench.memory import within_target

    assert within_target(2.11, 2.5)  # 2.27 GB
    assert not within_target(2.4, 2.5)  # 2.58 GB: passed when both were read as GiB


def test_a_command_that_fails_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    small = command.Case("`restorer denoise` 64²", (64, 64), ("denoise",), 1, 2.0)
    monkeypatch.setattr(command, "CASES", (small,))
    args = argparse.Namespace(
        large=False, repeat=1, compare=None, workdir=tmp_path, device="nonsense"
    )
    assert command.run(args) == 1
    err = capsys.readouterr().err
    assert "restorer denoise" in err and "--device nonsense` failed (exit 2)" in err
