"""What every widget that asks the model for work shares: status, progress, errors, cancel.

Work asked for from the browser runs in one background thread, so the kernel stays free to
receive the Cancel message while it computes (a comm message cannot be handled while the
kernel's main thread is busy). The newest request wins: asking again cancels the running job
between two batches. Work asked for from Python (``w.method = ...``) runs at once in the
caller's thread, like any other function call, so ``w.explanation`` is up to date after it,
and a failure raises there (the widget shows it too).
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from pathlib import Path
from typing import Callable

import anywidget
import traitlets

from ..errors import Cancelled, ExplainError

PROGRESS_INTERVAL = 0.1  # seconds between progress updates sent to the browser
STATIC = Path(__file__).resolve().parent.parent / "static"  # the committed JS/CSS bundles


def bundle(name: str) -> str:
    """The text of a committed bundle in ``static/``, for a widget's ``_esm`` / ``_css``.

    Text, not a ``Path``: anywidget 0.11 turns a ``Path`` into a ``FileContents`` whose
    ``changed`` signal gets, for every widget made, a lambda that holds the widget, and
    psygnal keeps lambdas strongly, so no widget could ever be freed (anywidget issue 929).
    The text ends with a newline: anywidget reads a one-line string ending in ``.xyz`` as a
    file name. Read once, when the widget's module is imported.
    """
    text = (STATIC / name).read_text(encoding="utf-8")
    return text if text.endswith("\n") else text + "\n"


def check_target(adapter, value: int) -> int:
    """A widget's ``target`` trait: -1 (the top class) or a class of the model."""
    if value != -1 and not 0 <= value < adapter.num_classes:
        raise traitlets.TraitError(
            f"target {value} is out of range: the model has {adapter.num_classes} classes "
            "(use -1 for the top class)."
        )
    return value


_LIVE: "weakref.WeakSet" = weakref.WeakSet()  # widgets whose lanes may be working


@atexit.register
def _stop_lanes_at_exit(timeout: float = 20.0):
    """The process is ending (a kernel shut down right after its last cell): cancel every
    widget's background work and let it stop between two batches, so the interpreter is not
    torn down under TensorFlow."""
    threads = []
    for widget in list(_LIVE):
        for lane in list(getattr(widget, "_lanes", {}).values()):
            lane.next = None
            lane.cancel.set()
            if lane.thread is not None:
                threads.append(lane.thread)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


class _Lane:
    """One queue of work: one thread at a time, the newest request replaces a pending one
    and cancels the running one between two batches."""

    def __init__(self):
        self.next: Callable | None = None
        self.error = ""  # the lane's last failure, until its next success
        self.thread: threading.Thread | None = None
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.done.set()


class ComputeWidget(anywidget.AnyWidget):
    status = traitlets.Unicode("idle").tag(sync=True)  # idle | busy | error
    progress = traitlets.Float(0.0).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs):
        self._from_frontend = False
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        _LIVE.add(self)
        self._busy = 0  # lanes running work now
        self._closed = False
        super().__init__(**kwargs)
        self.on_msg(self._on_custom_message)

    # -- where a change came from -------------------------------------------------------
    def set_state(self, sync_data):
        """Changes from the browser: remember the origin so their work goes to the thread."""
        self._from_frontend = True
        try:
            super().set_state(sync_data)
        finally:
            self._from_frontend = False

    def _on_custom_message(self, widget, content, buffers):
        if isinstance(content, dict) and content.get("type") == "cancel":
            self.cancel()

    # -- running work -------------------------------------------------------------------
    def _lane(self, name: str) -> _Lane:
        with self._lock:
            return self._lanes.setdefault(name, _Lane())

    def _run(self, name: str, work: Callable[[Callable, Callable], None], *,
             lane: str = "main", background: bool | None = None):
        """Run ``work(progress, cancelled)``: in the background if the browser asked (or
        ``background=True``). Lanes are independent queues: work in one lane never cancels
        work in another."""
        queue = self._lane(lane)
        if self._from_frontend if background is None else background:
            with self._lock:
                if self._closed:  # a closed widget starts no more background work
                    return
                queue.next = work
                queue.cancel.set()  # the newest request wins
                queue.done.clear()
                if queue.thread is None or not queue.thread.is_alive():
                    queue.thread = threading.Thread(target=self._worker, args=(queue,),
                                                    daemon=True, name=f"xai-widgets {name}")
                    queue.thread.start()
        else:
            queue.done.wait()
            queue.cancel = threading.Event()
            failure = self._execute(work, queue.cancel, queue)
            if failure is not None:  # asked from Python: raise it there, as a call would
                raise failure

    def _worker(self, queue: _Lane):
        while True:
            with self._lock:
                if queue.next is None:
                    queue.thread = None
                    queue.done.set()
                    closed = self._closed
                    break
                work, queue.next = queue.next, None
                queue.cancel = threading.Event()
                cancel = queue.cancel
            self._execute(work, cancel, queue)
        if closed:  # closed while this lane worked: what it stored goes too
            self._release()

    def _execute(self, work, cancel: threading.Event, queue: _Lane) -> Exception | None:
        """Run one piece of work with status, progress and errors in the traits; returns the
        failure (None when it succeeded or was cancelled)."""
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or done >= total:
                last[0] = now
                self.progress = done / total if total else 1.0

        with self._lock:
            self._busy += 1
        with self.hold_sync():
            self.status, self.progress, self.error = "busy", 0.0, ""
        fraction, failure = 1.0, None
        try:
            work(progress, cancel.is_set)
            queue.error = ""
        except Cancelled:
            fraction, queue.error = 0.0, ""
        except ExplainError as exc:
            queue.error, failure = str(exc), exc
        except Exception as exc:  # shown in the widget: it must keep working after one
            queue.error, failure = f"{type(exc).__name__}: {exc}", exc
        with self._lock:
            self._busy -= 1
            busy = self._busy > 0
            errors = [lane.error for lane in self._lanes.values() if lane.error]
        with self.hold_sync():
            if queue.error:
                self.status, self.error = "error", queue.error
            elif errors:  # another lane's failure stays shown until that lane succeeds
                self.status, self.error = "error", errors[-1]
            elif not busy:
                self.status, self.progress, self.error = "idle", fraction, ""
            else:  # another lane still working keeps the widget busy (and no error is left)
                self.status, self.error = "busy", ""
        return failure

    def _superseded(self, lane: str = "main") -> bool:
        """A newer request waits in ``lane`` (the running one was cancelled to make way)."""
        with self._lock:
            return self._lanes.get(lane) is not None and self._lanes[lane].next is not None

    def cancel(self):
        """Stop the running computations between two batches."""
        with self._lock:
            for queue in self._lanes.values():
                queue.cancel.set()

    def close(self):
        """Close the widget: cancel its running work (the worker threads end at the next
        batch), drop the work waiting, and free its caches. A closed widget can be
        garbage-collected as soon as nothing else refers to it."""
        if not hasattr(self, "_lanes"):  # __init__ failed early; ipywidgets' __del__ closes
            return super().close()
        with self._lock:
            self._closed = True
            for queue in self._lanes.values():
                queue.next = None
                queue.cancel.set()
        super().close()
        self._release()

    def _release(self):
        """Free what can be computed again (result caches); called by ``close()``."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until background work has finished (every lane)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            lanes = list(self._lanes.values())
        for queue in lanes:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not queue.done.wait(left):
                return False
        return True
