"""Background jobs: the engine runs in a worker object moved to a QThread.

The worker implements restorer.core.progress.Progress with signals (queued to the GUI thread)
and an abort flag that the tiler checks between tiles.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal, Slot

from restorer.core.image import Image
from restorer.core.progress import Cancelled
from restorer.gui.i18n import tr, tr_note
from restorer.tasks.base import TaskSpec


class Cancellable:
    """The cancelling half of the Progress protocol: abort() from the GUI thread, checked by
    the tiler between tiles on the worker thread."""

    def __init__(self) -> None:
        self._abort = threading.Event()

    def check_aborted(self) -> None:
        if self._abort.is_set():
            raise Cancelled

    def abort(self) -> None:
        """Thread-safe: the job stops at the next tile."""
        self._abort.set()


class TaskWorker(QObject, Cancellable):
    progressed = Signal(float)
    messaged = Signal(str)
    succeeded = Signal(object, object)  # Image, whatever `prepare` made of it
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after any of the three outcomes

    def __init__(
        self,
        engine: Any,
        task: TaskSpec,
        image: Image,
        params: Any,
        prepare: Callable[[Image], Any] | None = None,
    ) -> None:
        QObject.__init__(self)
        Cancellable.__init__(self)
        self._prepare = prepare
        self._engine = engine
        self._task = task
        self._image = image
        self._params = params

    # Progress protocol, called from the worker thread.
    def set_progress(self, fraction: float) -> None:
        self.progressed.emit(fraction)

    def message(self, text: str) -> None:
        self.messaged.emit(tr_note(text))

    @Slot()
    def run(self) -> None:
        try:
            result = self._engine.run_task(self._task, self._image, self._params, self)
            extra = self._prepare(result) if self._prepare is not None else None
        except Cancelled:
            self.cancelled.emit()
        except MemoryError as exc:
            self.failed.emit(
                tr("Not enough memory: {why}. Try a smaller tile size in Preferences.").format(
                    why=exc
                )
            )
        except Exception as exc:  # a failed job must leave the window usable
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result, extra)
        finally:
            self.done.emit()


class CallWorker(QObject):
    """Runs one function on the worker thread: reading a file or a DICOM series, writing a
    result, a preview. Not cancellable: file operations run to their end."""

    succeeded = Signal(object)  # the function's result
    failed = Signal(object)  # the exception it raised
    done = Signal()

    def __init__(self, function: Callable[[], Any]) -> None:
        super().__init__()
        self._function = function

    def abort(self) -> None:
        pass

    @Slot()
    def run(self) -> None:
        try:
            result = self._function()
        except Exception as exc:  # handed to the GUI thread, which shows it
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


def call_in_background(function: Callable[[], Any]) -> Any:
    """function() run on a worker thread while the GUI thread goes on painting (a local event
    loop waits for it); returns its result or raises its exception here. For the file
    operations the window needs the outcome of before it goes on (open, save before
    discarding), which would otherwise freeze it for as long as a large file takes."""
    runner = JobRunner()
    worker = CallWorker(function)
    outcome: dict[str, Any] = {}
    # Direct: they only store the outcome; the local loop ends once the thread has finished.
    worker.succeeded.connect(
        lambda result: outcome.setdefault("result", result), Qt.ConnectionType.DirectConnection
    )
    worker.failed.connect(
        lambda exc: outcome.setdefault("error", exc), Qt.ConnectionType.DirectConnection
    )
    loop = QEventLoop()
    runner.finished.connect(loop.quit)
    runner.start(worker)
    if runner.busy:
        loop.exec()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


class RunnableJob(Protocol):
    """What JobRunner runs: a QObject with run(), abort() and a done signal."""

    done: Any

    def run(self) -> None: ...

    def abort(self) -> None: ...

    def moveToThread(self, thread: QThread) -> bool: ...

    def deleteLater(self) -> None: ...


class JobRunner(QObject):
    """Starts one job at a time on its own thread and tears it down when it ends."""

    started = Signal()
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: RunnableJob | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, worker: RunnableJob) -> None:
        if self.busy:
            raise RuntimeError("a job is already running")
        thread = QThread()
        thread.setObjectName(type(worker).__name__)  # named in Qt's messages about it
        worker.moveToThread(thread)
        # Connect everything before the thread starts, so no signal is lost.
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would never run while the GUI
        # thread blocks in cancel_and_wait().
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._cleanup)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.abort()

    def cancel_and_wait(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, then block until the thread has ended (used when the window closes)."""
        thread = self._thread
        if thread is None:
            return True
        self.cancel()
        finished = thread.wait(timeout_ms)
        self._cleanup()
        return finished

    @Slot()
    def _cleanup(self) -> None:
        if self._thread is None:
            return
        thread, worker = self._thread, self._worker
        self._thread, self._worker = None, None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            # QThread.finished is emitted from the thread just before it ends: wait for the
            # end (at once, in practice), or deleting the QThread may find it still running,
            # and Qt then aborts the whole process ("QThread: Destroyed while thread
            # 'CallWorker' is still running": the tests under load, 1 run in 2-6). Bounded:
            # a job that did not stop within cancel_and_wait's time must not hang the close.
            thread.wait(5_000)
            thread.deleteLater()
        self.finished.emit()
