"""The session without Qt: a document's results and mask edits, undone and redone as the
window does it, the saved mark, the history's limit, and CT slices."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from restorer.core.image import Image, ImageMeta, Modality
from restorer.session.document import UNDO_LIMIT
from restorer.session.history import History
from restorer.session.session import Session


def _image(value: float, shape: tuple[int, int] = (8, 10)) -> Image:
    return Image(np.full(shape, value, np.float32))


def _opened() -> Session:
    session = Session()
    session.load(Path("photo.png"), [_image(0.1)])
    return session


def test_results_chain_and_undo_redo() -> None:
    session = _opened()
    session.apply(_image(0.2), "Denoise")
    session.apply(_image(0.3, (16, 20)), "Super-resolve")
    doc = session.document
    assert doc is not None and float(doc.current.pixels[0, 0]) == np.float32(0.3)
    assert session.last_task_name == "Super-resolve" and session.needs_saving
    session.history.undo()
    assert float(doc.current.pixels[0, 0]) == np.float32(0.2)
    assert session.history.redo_text == "Super-resolve"
    session.history.undo()
    assert not doc.has_result and not session.needs_saving
    session.history.redo()
    session.mark_saved(Path("out.png"))
    assert not session.needs_saving and doc.save_path == Path("out.png")
    # A new step after an undo forgets the undone one; the saved state is then gone.
    session.history.undo()
    session.apply(_image(0.5), "JPEG artifacts")
    assert len(session.history) == 1 and session.needs_saving


def test_a_fill_clears_the_mask_in_the_same_step() -> None:
    session = _opened()
    mask = session.mask()
    after = np.ones((3, 4), np.uint8)
    session.edit_mask(slice(2, 5), slice(3, 7), mask[2:5, 3:7].copy(), after, "Paint mask")
    assert session.mask().sum() == 12
    session.apply(_image(0.4), "Inpaint", fills_mask=True)
    assert session.mask().sum() == 0 and len(session.history) == 2
    session.history.undo()  # the fill and the clearing together
    assert session.mask().sum() == 12
    assert session.document is not None and not session.document.has_result
    session.history.undo()
    assert session.mask().sum() == 0


def test_mask_commands_and_listeners() -> None:
    session = _opened()
    changes: list[int] = []
    session.on_mask_change(lambda: changes.append(int(session.mask().sum())))
    session.invert_mask()
    found = np.zeros((8, 10), bool)
    session.clear_mask()
    found[1, 1] = True
    session.add_to_mask(found, "Detect scratches and dust")
    assert session.use_mask_image(np.zeros((4, 4), np.float32)) == (
        "The mask is 4×4; the image is 10×8."
    )
    rgb = np.zeros((8, 10, 3), np.float32)
    rgb[0, :, 2] = 0.9  # any channel above half marks the pixel
    assert session.use_mask_image(rgb) is None
    assert changes == [80, 0, 1, 10]
    session.history.undo()
    assert changes[-1] == 1


def test_the_history_keeps_its_limit_and_the_images_with_it() -> None:
    session = _opened()
    for i in range(UNDO_LIMIT + 3):
        session.apply(_image(i / 20), f"step {i}")
    doc = session.document
    assert doc is not None
    assert len(session.history) == UNDO_LIMIT and len(doc.steps) == UNDO_LIMIT + 1
    while session.history.can_undo:
        session.history.undo()
    # The oldest step kept is the base of what can still be undone.
    assert float(doc.current.pixels[0, 0]) == np.float32(2 / 20)


def test_clean_mark_past_the_limit() -> None:
    class Step:
        def __init__(self, title: str) -> None:
            self.title = title

        def redo(self) -> None:
            pass

        def undo(self) -> None:
            pass

    history = History(limit=2)
    history.push(Step("a"))
    history.set_clean()  # saved after "a"
    history.push(Step("b"))
    history.push(Step("c"))  # "a" can no longer be undone; the state after it still can
    history.undo()
    history.undo()
    assert history.is_clean and not history.can_undo

    history = History(limit=2)  # saved before any step, which is then forgotten
    for title in "abc":
        history.push(Step(title))
    history.undo()
    history.undo()
    assert not history.is_clean and not history.can_undo


def test_ct_slices_and_window() -> None:
    meta = ImageMeta(modality=Modality.CT, extra={"window": (50.0, 350.0)})
    stack = [Image(np.full((4, 4), float(i), np.float32), meta) for i in range(3)]
    session = Session()
    doc = session.load(Path("series"), stack)
    assert doc.window == (50.0, 350.0)
    session.apply(Image(np.zeros((4, 4), np.float32), meta), "Metal artifacts")
    assert session.select_slice(2) and float(doc.current.pixels[0, 0]) == 2.0
    assert not doc.has_result and len(session.history) == 0
    assert not session.select_slice(2) and not session.select_slice(5)
    assert session.set_window(40.0, -3.0) and doc.window == (40.0, 1.0)
    photo = _opened()
    assert not photo.set_window(40.0, 400.0)


def test_the_session_imports_neither_qt_nor_torch() -> None:
    code = (
        "import sys, restorer.session.session\n"
        "print(any(m.split('.')[0] in ('PySide6', 'torch') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


# The batch queue


def test_queue_plans_outputs_and_refuses_bad_names(tmp_path: Path) -> None:
    from restorer.io.batch import UsageError
    from restorer.session.queue import BatchQueue

    queue = BatchQueue()
    queue.set_sources([tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "scan"])
    jobs = queue.plan(tmp_path / "out", "{name}_restored")
    assert [j.target.name for j in jobs] == [
        "a_restored.png",
        "b_restored.jpg",
        "scan_restored.dcm",
    ]
    for pattern, why in (("restored", "needs {name}"), ("x/{name}", "not a folder")):
        try:
            queue.plan(tmp_path / "out", pattern)
        except UsageError as exc:
            assert why in str(exc)
        else:
            raise AssertionError(f"{pattern!r} was accepted")
    queue.set_sources([tmp_path / "a.png", tmp_path / "sub" / "a.png"])
    try:
        queue.plan(tmp_path / "out", "{name}")
    except UsageError:
        pass
    else:
        raise AssertionError("two outputs with one name were accepted")


def test_a_folder_opened_queues_the_photos_below_it_each_result_in_the_same_folder(
    tmp_path: Path,
) -> None:
    """An archive filed in folders: the photos of every folder below the one opened are
    queued (scans named alike in two folders kept apart), each result goes to the same folder
    below the output; hidden folders, DICOM files and the results of an earlier run are not
    queued; a folder of DICOM files alone stays one series."""
    from restorer.session.queue import BatchQueue, photos_to_queue

    scans = tmp_path / "scans"
    for name in ("a.png", "1951/a.png", "1951/box3/b.tif", ".thumbs/a.png", "ct/slice.dcm"):
        (scans / name).parent.mkdir(parents=True, exist_ok=True)
        (scans / name).write_bytes(b"")
    (scans / "restored").mkdir()
    (scans / "restored" / "a_restored.png").write_bytes(b"")  # an earlier run's result
    elsewhere = scans / "mine"  # a folder the user sent results to
    elsewhere.mkdir()
    (elsewhere / "a_mine.png").write_bytes(b"")
    single = tmp_path / "single.jpg"
    single.write_bytes(b"")

    queued = photos_to_queue([scans, single], also_skip=[elsewhere])
    assert queued == {
        scans / "a.png": Path(),
        scans / "1951" / "a.png": Path("1951"),
        scans / "1951" / "box3" / "b.tif": Path("1951/box3"),
        single: Path(),
    }
    queue = BatchQueue()
    queue.set_sources(list(queued), queued)
    # In the order of their paths below the folder opened.
    assert [item.label for item in queue.items] == [
        str(Path("1951/a.png")),
        str(Path("1951/box3/b.tif")),
        "a.png",
        "single.jpg",
    ]
    assert queue.default_folder == scans / "restored"  # inside the folder opened
    jobs = queue.plan(scans / "restored", "{name}_restored")
    assert [job.target for job in jobs] == [
        scans / "restored" / "1951" / "a_restored.png",
        scans / "restored" / "1951" / "box3" / "b_restored.tif",
        scans / "restored" / "a_restored.png",
        scans / "restored" / "single_restored.jpg",
    ]
    # An output folder set in Preferences is left out instead of "restored".
    assert scans / "restored" / "a_restored.png" in photos_to_queue([scans], str(elsewhere))
    assert photos_to_queue([scans / "ct"]) == {scans / "ct": Path()}


def test_queue_restores_each_file_goes_on_past_failures_and_never_overwrites(
    tmp_path: Path,
) -> None:
    from restorer.core.progress import NullProgress
    from restorer.io import read_image, write_image
    from restorer.session.queue import BatchQueue, ItemState, restore_one
    from restorer.tasks.registry import get_task

    class Brighter:  # an engine whose task adds 0.25
        def __init__(self) -> None:
            self.means: list[float] = []  # of the images it restored

        def run_task(self, task: object, image: Image, params: object, progress: object) -> Image:
            self.means.append(round(float(image.pixels.mean()), 2))
            return image.with_pixels(np.clip(image.pixels + 0.25, 0, 1))

    write_image(_image(0.5), tmp_path / "good.png", bit_depth=8)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    write_image(_image(0.1), tmp_path / "taken.png", bit_depth=8)
    out = tmp_path / "out"
    out.mkdir()
    (out / "taken_r.png").write_bytes(b"the user's own file")

    queue = BatchQueue()
    queue.set_sources([tmp_path / "good.png", tmp_path / "broken.png", tmp_path / "taken.png"])
    task = get_task("denoise")
    engine = Brighter()
    for index, job in enumerate(queue.plan(out, "{name}_r")):
        queue.started(index)
        queue.finished(index, restore_one(engine, task, None, job, 95, NullProgress()))
    states = [item.state for item in queue.items]
    assert states == [ItemState.WRITTEN, ItemState.FAILED, ItemState.FAILED]
    assert "already exists" in queue.items[2].error
    assert engine.means == [0.5]  # the taken name was refused before its image was restored
    assert (out / "taken_r.png").read_bytes() == b"the user's own file"
    # 0.5 is stored as 128/255; 0.25 brighter is 192/255.
    assert read_image(out / "good_r.png").pixels.mean() == np.float32(192 / 255)
    assert queue.targets == {0: out / "good_r.png"}
    assert queue.failed_names == ["broken.png", "taken.png"]
