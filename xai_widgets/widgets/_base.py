"""What every widget that asks the model for work shares: status, progress, errors, cancel.

Work asked for from the browser runs in one background thread, so the kernel stays free to
receive the Cancel message while it computes (a comm message cannot be handled while the
kernel's main thread is busy). The newest request wins: asking again cancels the running job
between two batches. Work asked for from Python (``w.method = ...``) runs at once in the
caller's thread, like any other function call, so ``w.explanation`` is up to date after it.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import anywidget
import traitlets

from ..errors import Cancelled, ExplainError

PROGRESS_INTERVAL = 0.1  # seconds between progress updates sent to the browser


def check_target(adapter, value: int) -> int:
    """A widget's ``target`` trait: -1 (the top class) or a class of the model."""
    if value != -1 and not 0 <= value < adapter.num_classes:
        raise traitlets.TraitError(
            f"target {value} is out of range: the model has {adapter.num_classes} classes "
            "(use -1 for the top class)."
        )
    return value


class ComputeWidget(anywidget.AnyWidget):
    status = traitlets.Unicode("idle").tag(sync=True)  # idle | busy | error
    progress = traitlets.Float(0.0).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs):
        self._from_frontend = False
        self._lock = threading.Lock()
        self._job_done = threading.Event()
        self._job_done.set()
        self._cancel = threading.Event()
        self._next: tuple | None = None
        self._thread: threading.Thread | None = None
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
    def _run(self, name: str, work: Callable[[Callable, Callable], None]):
        """Run ``work(progress, cancelled)``: in the background if the browser asked."""
        if self._from_frontend:
            with self._lock:
                self._next = (name, work)
                self._cancel.set()  # the newest request wins
                self._job_done.clear()
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._worker, daemon=True,
                                                    name=f"xai-widgets {name}")
                    self._thread.start()
        else:
            self.wait()
            self._cancel = threading.Event()
            self._execute(work, self._cancel)

    def _worker(self):
        while True:
            with self._lock:
                if self._next is None:
                    self._thread = None
                    self._job_done.set()
                    return
                _, work = self._next
                self._next = None
                self._cancel = threading.Event()
                cancel = self._cancel
            self._execute(work, cancel)

    def _execute(self, work, cancel: threading.Event):
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or done >= total:
                last[0] = now
                self.progress = done / total if total else 1.0

        with self.hold_sync():
            self.status, self.progress, self.error = "busy", 0.0, ""
        try:
            work(progress, cancel.is_set)
        except Cancelled:
            with self.hold_sync():
                self.status, self.progress = "idle", 0.0
        except ExplainError as exc:
            with self.hold_sync():
                self.status, self.error = "error", str(exc)
        except Exception as exc:  # shown in the widget: it must keep working after one
            with self.hold_sync():
                self.status, self.error = "error", f"{type(exc).__name__}: {exc}"
        else:
            with self.hold_sync():
                self.status, self.progress = "idle", 1.0

    def cancel(self):
        """Stop the running computation between two batches."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until background work asked for by the browser has finished."""
        return self._job_done.wait(timeout)
