"""`restorer batch` with its files in object storage (fsspec URLs): an S3 server on loopback
(moto), read and written through s3fs as on a cluster; the job's manifest on this machine."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from restorer.cli.main import main
from restorer.io import read_image
from restorer.io.batch import Job, UsageError
from restorer.io.job_manifest import (
    ERRORS_NAME,
    MANIFEST_NAME,
    JobManifest,
    job_folder_for,
    read_counts,
)
from restorer.io.storage import canonical, plan_urls, stored, upload
from tests.test_job import _archive

fsspec = pytest.importorskip("fsspec")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """An S3 file system as a user configures one: credentials and the endpoint in the
    environment (worker processes read them there), the app's data in a temporary folder;
    `s3.test_bucket` is this test's own bucket."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": s3_endpoint,
        "RESTORER_DATA_DIR": str(tmp_path / "app-data"),
    }.items():
        monkeypatch.setenv(key, value)
    # fsspec read its FSSPEC_* variables when torch first imported it: this process is told.
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3_endpoint})
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.test_bucket = f"archive-{abs(hash(tmp_path.name)) % 10**9}"
    fs.mkdir(fs.test_bucket)
    return fs


def test_a_job_from_bucket_to_bucket_resumes_and_matches_the_plain_command(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = s3.test_bucket
    sources = _archive(tmp_path / "scans", count=5)
    for path in sorted((tmp_path / "scans").iterdir()):
        s3.put_file(str(path), f"{bucket}/scans/{path.name}")
    inputs_before = {p: s3.info(p)["ETag"] for p in s3.ls(f"{bucket}/scans", detail=False)}
    out = f"s3://{bucket}/restored"
    command = ["batch", "denoise", f"s3://{bucket}/scans", "-o", out, "--sigma", "10"]

    assert main(command) == 1  # the corrupt scan
    s3.invalidate_cache()
    written = sorted(Path(p).name for p in s3.ls(f"{bucket}/restored", detail=False))
    assert written == sorted([*(p.name for p in sources), ERRORS_NAME])
    rows = list(csv.DictReader(io.StringIO(s3.cat(f"{bucket}/restored/{ERRORS_NAME}").decode())))
    assert [r["file"] for r in rows] == [f"s3://{bucket}/scans/scan05b.png"] and rows[0]["error"]
    assert {p: s3.info(p)["ETag"] for p in s3.ls(f"{bucket}/scans", detail=False)} == (
        inputs_before
    )
    # The manifest is on this machine, where the same command finds it again.
    folder = job_folder_for(canonical(out))
    assert (folder / MANIFEST_NAME).is_file()
    counts = read_counts(folder)
    assert (counts.done, counts.failed, counts.pending) == (5, 1, 0)

    # Resumed: an object deleted since is made again, by two worker processes; nothing else.
    s3.rm(f"{bucket}/restored/scan03.png")
    kept = {n: s3.info(f"{bucket}/restored/{n}")["ETag"] for n in ("scan00.png", "scan04.png")}
    capsys.readouterr()
    assert main([*command, "--workers", "2"]) == 1
    assert "1 to do, 4 already done, 1 failed earlier" in capsys.readouterr().err
    s3.invalidate_cache()
    assert s3.exists(f"{bucket}/restored/scan03.png")
    assert {n: s3.info(f"{bucket}/restored/{n}")["ETag"] for n in kept} == kept
    assert main(["batch", "--status", out]) == 0
    assert "5 done, 1 failed, 0 to do (of 6)" in capsys.readouterr().out

    # The results are the plain command's on the same files, bit for bit.
    plain = tmp_path / "plain"
    assert main(["denoise", *map(str, sources), "-o", str(plain), "--sigma", "10"]) == 0
    for source in sources:
        fetched = tmp_path / f"fetched-{source.name}"
        s3.get_file(f"{bucket}/restored/{source.name}", str(fetched))
        assert fetched.read_bytes() == (plain / source.name).read_bytes()
        np.testing.assert_array_equal(
            read_image(fetched).pixels, read_image(plain / source.name).pixels
        )


def test_ray_actors_read_and_write_the_bucket(s3: Any, tmp_path: Path) -> None:
    """The README's cluster command: actors (here of a local Ray instance, started with this
    process's environment, as a cluster's nodes have theirs) fetch from and put to S3."""
    import os
    import subprocess
    import sys

    pytest.importorskip("ray")
    bucket = s3.test_bucket
    sources = _archive(tmp_path / "scans", count=4)
    for path in sources:
        s3.put_file(str(path), f"{bucket}/scans/{path.name}")
    command = [
        sys.executable, "-m", "restorer", "batch", "denoise", f"s3://{bucket}/scans",
        "-o", f"s3://{bucket}/restored", "--sigma", "10", "--ray", "local", "--workers", "2",
    ]  # fmt: skip
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    plain = tmp_path / "plain"
    assert main(["denoise", *map(str, sources), "-o", str(plain), "--sigma", "10"]) == 0
    s3.invalidate_cache()
    for source in sources:
        assert s3.cat(f"{bucket}/restored/{source.name}") == (plain / source.name).read_bytes()


def test_an_object_job_refuses_to_write_over_its_inputs_and_names_a_missing_driver(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = s3.test_bucket
    _archive(tmp_path / "scans", count=1)
    s3.put_file(str(tmp_path / "scans" / "scan00.png"), f"{bucket}/scans/scan00.png")
    with pytest.raises(UsageError, match="would be written over"):
        plan_urls([f"s3://{bucket}/scans/scan00.png"], f"s3://{bucket}/scans")
    assert main(["batch", "denoise", f"s3://{bucket}/scans", "-o", f"s3://{bucket}/scans"]) == 2
    assert "would be written over" in capsys.readouterr().err
    assert main(["batch", "denoise", f"s3://{bucket}/none", "-o", f"s3://{bucket}/out"]) == 1
    assert main(["batch", "denoise", "nosuchstore://x/scans", "-o", str(tmp_path / "o")]) == 2
    assert "nosuchstore" in capsys.readouterr().err


def test_an_upload_to_a_file_system_never_leaves_part_of_a_file(tmp_path: Path) -> None:
    local = tmp_path / "result.png"
    local.write_bytes(bytes(range(256)) * 1000)
    target = (tmp_path / "out" / "result.png").as_uri()
    upload(local, target)
    assert (tmp_path / "out" / "result.png").read_bytes() == local.read_bytes()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["result.png"]  # no .partial

    class Refused(OSError):
        pass

    def refusing_move(*args: Any, **kwargs: Any) -> None:
        raise Refused("disk full")

    fs = fsspec.filesystem("file")
    original = type(fs).mv
    type(fs).mv = refusing_move  # type: ignore[method-assign]
    try:
        with pytest.raises(Refused):
            upload(local, (tmp_path / "out2" / "result.png").as_uri())
    finally:
        type(fs).mv = original  # type: ignore[method-assign]
    assert list((tmp_path / "out2").iterdir()) == []  # neither the file nor a partial one


def test_a_manifest_written_before_outputs_could_be_objects_still_resumes(tmp_path: Path) -> None:
    """Manifests of earlier versions kept a file's time as output_mtime_ns: it is read as the
    output's version, so their finished files stay finished."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    source, target = tmp_path / "in" / "a.png", tmp_path / "out" / "a.png"
    source.write_bytes(b"input")
    target.write_bytes(b"output")
    db = sqlite3.connect(tmp_path / "out" / MANIFEST_NAME)
    db.executescript(
        """
        create table job (key text primary key, value text not null);
        create table files (source text primary key, target text not null, status text not null,
            source_sha256 text, output_sha256 text, output_size integer, output_mtime_ns integer,
            seconds real, error text, updated real);
        insert into job values ('settings', '{}');
        """
    )
    now = stored(target)
    assert now is not None
    with db:
        db.execute(
            "insert into files values (?, ?, 'done', 'x', 'y', ?, ?, 1.0, null, 0)",
            (str(source), str(target), now.size, int(now.version)),
        )
    db.close()
    manifest = JobManifest(tmp_path / "out", {})
    try:
        assert manifest.to_do([Job(source, target)], retry_failed=False) == []
        target.write_bytes(b"changed")  # and a changed output is still found out
        assert manifest.to_do([Job(source, target)], retry_failed=False) == [Job(source, target)]
    finally:
        manifest.close()
