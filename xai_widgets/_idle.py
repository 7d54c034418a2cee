"""Compiling the adapters' functions while the kernel is idle.

A model's functions run eagerly for their first small calls (see ``ModelAdapter.compile``):
one eager pass of one image costs a fraction of tracing and optimising the compiled graph.
The tracing is then done here, in a background thread, once the kernel is idle: after the
notebook cell that asked for the explanation has finished (IPython's ``post_run_cell``), or
after a widget's request from the browser has been answered. Each function is traced and run
once on a row of zeros, so that the graph optimisation of its first call is done too, and
the next request (the first click on another method) finds it ready.

Tracing holds the GIL, so it is never started while an explanation is computing (and waits
between two functions while one is). Outside IPython (a script, the tests) nothing starts
by itself: the functions compile at their first large call, or after ``EAGER_CALLS`` small
ones; ``compile_pending()`` does it on demand.
"""

from __future__ import annotations

import contextlib
import sys
import atexit
import threading
import time
import weakref

DELAY = 0.3  # seconds after the request before compiling: the answer goes out first
POLL = 0.05  # seconds between two looks at whether an explanation is computing

_PENDING: "weakref.WeakSet" = weakref.WeakSet()  # adapters with functions that ran eagerly
_lock = threading.Lock()
_thread: threading.Thread | None = None
_busy = 0  # explanations computing now, in any thread
_hooked = False


def note(adapter):
    """``adapter`` has a function that ran eagerly and is not compiled yet."""
    _PENDING.add(adapter)


@contextlib.contextmanager
def computing():
    """Marks an explanation in progress: no compiling starts meanwhile."""
    global _busy
    with _lock:
        _busy += 1
    try:
        yield
    finally:
        with _lock:
            _busy -= 1


def _shell():
    """The running IPython shell (a Jupyter kernel or a terminal), or None."""
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except Exception:  # a broken IPython install: behave as a script
        return None
    return get_ipython()


def after_request():
    """An explanation was answered: compile what ran eagerly once the kernel is idle.

    In the kernel's main thread a cell is running: compile after it. In another thread (a
    widget's request from the browser) the kernel is idle already: compile after DELAY."""
    global _hooked
    if not len(_PENDING):
        return
    shell = _shell()
    if shell is None:
        return
    if threading.current_thread() is threading.main_thread():
        with _lock:
            if not _hooked:
                shell.events.register("post_run_cell", _after_cell)
                _hooked = True
    else:
        start()


def _after_cell(*_):
    if len(_PENDING):
        start()


def start(delay: float = DELAY):
    """Start the background compiler (one at a time) unless it is running."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_compile_in_background, args=(delay,), daemon=True,
                                   name="xai-widgets compile")
        _thread.start()


def _next_function():
    for adapter in list(_PENDING):
        fn = adapter.next_pending()
        if fn is not None:
            return fn
        _PENDING.discard(adapter)
    return None


def _compile_in_background(delay: float):
    time.sleep(delay)
    while not _stopping:
        while _busy and not _stopping:  # an explanation is computing: do not take the GIL
            time.sleep(POLL)
        fn = None if _stopping else _next_function()
        if fn is None:
            return
        fn.compile(warm_up=True, quiet=True)
        del fn


_stopping = False


@atexit.register
def _stop_at_exit():
    """The process is ending (a kernel shut down right after its last cell, as a headless
    run does): start no other compile and let the one in progress end first, so the
    interpreter is not torn down under TensorFlow's tracing ("terminate called after
    throwing an instance of ..." on stderr)."""
    global _stopping
    _stopping = True
    wait(timeout=20)


def wait(timeout: float | None = None) -> bool:
    """Wait for the background compiler to finish (benchmarks, tests)."""
    thread = _thread
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def compile_pending(warm_up: bool = True) -> int:
    """Compile, in this thread, every function that ran eagerly; returns how many."""
    count = 0
    while True:
        fn = _next_function()
        if fn is None:
            return count
        fn.compile(warm_up=warm_up, quiet=True)
        count += 1
