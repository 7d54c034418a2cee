"""TrainingMonitor: a Keras callback and a widget in one; watch explanations form while the
model trains.

    mon = xw.TrainingMonitor(probe_x, probe_y, method="gradcam", class_names=names)
    mon                                                   # display it first
    model.fit(x, y, epochs=20, callbacks=[mon])           # the view updates at each epoch
    mon.history; mon.epoch = 5; mon.save("run.npz"); xw.TrainingMonitor.load("run.npz")

While ``fit`` runs the kernel is busy: what the kernel sends (the recorded epochs) reaches
the browser at once, but what the browser sends waits until the cell ends. The scrubber,
opacity and colormap therefore work in the browser from data already there; the Stop button's
message reaches the kernel during ``fit`` through a kernel subshell (ipykernel >= 7) or
jupyter-ui-poll (older kernels); see docs/architecture.md.

Before the first epoch (``on_train_begin``) the probes are checked against the model (a clear
``ExplainError`` before any training) and recorded at the initial weights as epoch 0; then
every ``every`` epochs, and at the last epoch. Image probes only for now.
"""

from __future__ import annotations

import time

import anywidget
import keras
import numpy as np
import traitlets

from .._encode import array_payload, png_bytes
from ..errors import ExplainError
from ..explainers import get_method
from ..models import adapt
from ..training import (Recording, check_method, check_model, check_probes,
                        explain_probes, probabilities)
from ._base import bundle

VIEW_SIDE = 64  # heatmaps sent to the view at most this many pixels a side
POLL_INTERVAL = 0.2  # seconds between two looks at the browser's messages during fit


def _kernel():
    """The running IPython kernel, or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None) if shell is not None else None


class _Listener:
    """Lets the browser's Stop reach one widget while ``fit`` holds the kernel's main
    thread. See docs/architecture.md, "TrainingMonitor".

    - ipykernel >= 7 (kernel subshells, JEP 91): a subshell is created through the kernel's
      own control channel (``create_subshell_request``) and, while fit runs, the widget's
      comm routes the frontend's Stop message to it (ipykernel's comm routing hook), so it
      is handled in the subshell's thread while the main thread trains. The subshell is
      deleted with the widget.
    - ipykernel < 7: jupyter-ui-poll hands pending messages over at batch ends (its
      ``ui_events``), which needs ``kernel.do_one_iteration`` (gone in ipykernel 7).
    - anywhere else (plain Python, no kernel): nothing; ``mon.stop()`` still works.
    """

    def __init__(self, widget):
        self.widget = widget
        self.mode = "none"
        self.subshell = None  # created with the widget, deleted by its close()
        self._client = None
        self._ui = None
        self.poll = None

    def prepare(self):
        """Create the subshell now, while the cell that makes the widget runs. JupyterLab
        shows the kernel's state from every status message, whoever caused it: the control
        request's own "idle" must be out before this cell ends, never during ``fit`` (where
        the kernel would read idle for the whole run). ``_control`` waits for it."""
        kernel = _kernel()
        comm = getattr(self.widget, "comm", None)
        if (kernel is None or comm is None or self.subshell is not None
                or not getattr(kernel, "_supports_kernel_subshells", False)
                or not hasattr(comm, "_reply_subshell_for")):
            return
        try:
            self.subshell = self._control("create_subshell_request", {})["subshell_id"]
        except Exception:  # no subshell: Stop then waits for the cell's end
            self.subshell = None
        self._close_client()

    def start(self):
        comm = getattr(self.widget, "comm", None)
        if comm is None:
            return
        if self.subshell is not None:
            subshell = self.subshell
            # Only Stop goes to the subshell. Every message a subshell handles publishes its
            # own busy/idle, which JupyterLab would show as the kernel's state while fit
            # runs; view state (the scrubber, opacity) is drawn in the browser and reaches
            # Python when the cell ends, in order, like any other widget's.
            comm._reply_subshell_for = (
                lambda data, default: subshell if _is_stop(data) else default)
            self.mode = "subshell"
            return
        kernel = _kernel()
        if kernel is not None and hasattr(kernel, "do_one_iteration"):
            try:
                from jupyter_ui_poll import ui_events
            except ImportError:
                return
            self._ui = ui_events()
            self.poll = self._ui.__enter__()
            self.mode = "ui-poll"

    def _control(self, msg_type: str, content: dict) -> dict:
        """One request on this kernel's own control channel (public messaging protocol).
        Returns once the kernel has answered and published the request's "idle" status."""
        if self._client is None:
            from ipykernel.connect import get_connection_file
            from jupyter_client import BlockingKernelClient

            client = BlockingKernelClient()
            client.load_connection_file(get_connection_file())
            client.start_channels(shell=False, iopub=True, stdin=False, hb=False,
                                  control=True)
            self._client = client
            # ipykernel >= 7 greets each new IOPub subscriber (JEP 65): after the greeting
            # no status message of ours can be missed
            _wait_iopub(client, lambda m: m["header"]["msg_type"] == "iopub_welcome", 2.0)
        msg = self._client.session.msg(msg_type, content)
        msg_id = msg["header"]["msg_id"]
        self._client.control_channel.send(msg)
        deadline = time.monotonic() + 10
        reply = None
        while time.monotonic() < deadline:
            answer = self._client.control_channel.get_msg(timeout=10)
            if answer["parent_header"].get("msg_id") == msg_id:
                reply = answer
                break
        if reply is None:
            raise TimeoutError(f"no reply to {msg_type}")
        # the kernel sends the reply first and its "idle" after: wait for that too
        _wait_iopub(self._client, lambda m: (m["header"]["msg_type"] == "status"
                                             and m["parent_header"].get("msg_id") == msg_id
                                             and m["content"].get("execution_state") == "idle"),
                    2.0)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(reply["content"].get("evalue", "subshell request failed"))
        return reply["content"]

    def _close_client(self):
        if self._client is not None:
            self._client.stop_channels()
            self._client = None

    def stop(self):
        """Training ended: the widget's messages go back to the kernel's own routing."""
        if self.mode == "subshell":
            comm = getattr(self.widget, "comm", None)
            if comm is not None and "_reply_subshell_for" in vars(comm):
                del comm._reply_subshell_for
        elif self.mode == "ui-poll":
            self._ui.__exit__(None, None, None)
        self.mode, self._ui, self.poll = "none", None, None

    def close(self):
        """The widget is closed: its subshell goes too."""
        self.stop()
        if self.subshell is not None:
            try:
                self._control("delete_subshell_request", {"subshell_id": self.subshell})
            except Exception:
                pass
            self.subshell = None
        self._close_client()


def _is_stop(data) -> bool:
    """Whether a comm message's data is the view's Stop (an ipywidgets custom message)."""
    return (isinstance(data, dict) and data.get("method") == "custom"
            and isinstance(data.get("content"), dict) and data["content"].get("type") == "stop")


def _wait_iopub(client, wanted, timeout: float) -> bool:
    """Read the client's IOPub until a message satisfies ``wanted`` (True) or ``timeout``."""
    import queue

    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            if wanted(client.iopub_channel.get_msg(timeout=left)):
                return True
        except queue.Empty:
            return False
    return False


def _view_maps(heatmaps: np.ndarray) -> np.ndarray:
    """(N, H, W) -> at most VIEW_SIDE a side (area average), for the view only."""
    n, height, width = heatmaps.shape
    if max(height, width) <= VIEW_SIDE:
        return heatmaps
    import tensorflow as tf

    f = VIEW_SIDE / max(height, width)
    size = (max(1, round(height * f)), max(1, round(width * f)))
    return tf.image.resize(heatmaps[..., None], size, method="area").numpy()[..., 0]


class TrainingMonitor(anywidget.AnyWidget, keras.callbacks.Callback):
    """Record and show how a model's explanations of a few probe images change as it trains.

    Parameters
    ----------
    probe_x: up to 32 images (N, H, W[, C]) the model takes.
    probe_y: their classes (ints or one-hot), or None. With labels each probe's heatmap
        explains its true class; without, the class the model predicts at that epoch.
    method: an image method of the registry (default Grad-CAM); ``options``: its options.
    class_names: one name per class.
    every: record every ``every`` epochs (the initial weights and the last epoch always).
    output, head: as in ``xw.explain``.
    poll: let the browser's messages (Stop) reach the kernel during ``fit`` (a kernel
        subshell with ipykernel >= 7, else jupyter-ui-poll).
    """

    _esm = bundle("training_monitor.js")
    _css = bundle("training_monitor.css")

    # data (sent once)
    images = traitlets.List(traitlets.Bytes()).tag(sync=True)  # PNG per probe
    image_size = traitlets.List(traitlets.Int()).tag(sync=True)  # [H, W]
    labels = traitlets.List(traitlets.Int()).tag(sync=True)  # true class per probe, -1 unknown
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    method_label = traitlets.Unicode("").tag(sync=True)
    signed = traitlets.Bool(False).tag(sync=True)
    probability_kind = traitlets.Unicode("probability").tag(sync=True)  # | "softmax"
    every = traitlets.Int(1).tag(sync=True)
    # results: the whole recording, replaced at each recorded epoch
    epochs = traitlets.List(traitlets.Int()).tag(sync=True)
    frames = traitlets.Dict().tag(sync=True)
    curves = traitlets.Dict().tag(sync=True)
    # training
    state = traitlets.Unicode("waiting").tag(sync=True)  # waiting|training|stopping|stopped|finished
    epochs_done = traitlets.Int(0).tag(sync=True)
    total_epochs = traitlets.Int(0).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    # view only (browser; synced back debounced)
    epoch = traitlets.Int(-1).tag(sync=True)  # the recorded epoch shown; -1: the latest
    opacity = traitlets.Float(0.6).tag(sync=True)
    colormap = traitlets.Unicode("auto").tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)  # px, the least: the view grows to fit the probes

    def __init__(self, probe_x, probe_y=None, *, method: str = "gradcam", class_names=None,
                 every: int = 1, options: dict | None = None, output: str = "logit",
                 head=None, poll: bool = True):
        keras.callbacks.Callback.__init__(self)
        x, y = check_probes(probe_x, probe_y)
        options = check_method(method, options or {})
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ExplainError(f"every must be a whole number of epochs >= 1, got {every!r}.")
        self._recording = Recording(x, y, method, options)
        self._given_names = None if class_names is None else [str(n) for n in class_names]
        self._output, self._head_arg = output, head
        self._poll_wanted = poll
        self._adapter = None
        self.listen_mode = "none"  # how the browser's messages reached the last fit
        self._view_cache: list[np.ndarray] = []  # per recorded epoch: the maps the view gets
        self._last_poll = 0.0
        self._stop_asked = False
        self._counter = 0  # epochs trained under this monitor (all fit calls)
        self._sent = 0  # recorded epochs the view has (whole or appended)
        self._full = 0  # recorded epochs in the `frames` trait (the last whole push)
        self.trace_count_after_first = None  # the compiled function's traces after epoch 0
        spec = get_method(method, "image")
        anywidget.AnyWidget.__init__(
            self,
            images=[png_bytes(img) for img in x],
            image_size=list(x.shape[1:3]),
            labels=[-1] * len(x) if y is None else [int(v) for v in y],
            class_names=self._given_names or [],
            method_label=spec.label,
            signed=bool(spec.signed),  # the method's; its first result says for sure
            every=int(every),
        )
        self.on_msg(self._on_message)
        self._listener = _Listener(self)
        if poll:
            self._listener.prepare()

    # -- reading back ---------------------------------------------------------------------
    @property
    def history(self) -> dict:
        """{"epochs" (E,), "heatmaps" (E, N, H, W), "probabilities" (E, N, C), "targets"
        (E, N): the explained classes, "predicted" (E, N), "drift" (E, N): rank correlation
        with the previous recorded epoch (NaN at the first), "drift_final" (E, N): with the
        last, "logs": {"epoch", "loss", ...} for every epoch, "seconds" (E,): explanation
        time, "method", "probability_kind"}. Epoch 0 is the initial weights."""
        return self._recording.history()

    @property
    def probes(self) -> np.ndarray:
        return self._recording.probes

    @traitlets.validate("epoch")
    def _check_epoch(self, proposal):
        value = proposal["value"]
        if value != -1 and value not in self.epochs:
            raise traitlets.TraitError(
                f"epoch {value} was not recorded; recorded epochs: {list(self.epochs)} "
                "(-1 follows the latest).")
        return value

    def _on_message(self, widget, content, buffers):
        if isinstance(content, dict) and content.get("type") == "stop":
            self.stop()

    def stop(self):
        """Stop training at the end of the current batch (what the Stop button does)."""
        self._stop_asked = True
        if self.state == "training":
            self.state = "stopping"
        if self._model is not None:
            self._model.stop_training = True

    # -- the callback ---------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._stop_asked = False
        self.error = ""
        try:
            self._adapter = adapt(self.model, output=self._output, head=self._head_arg)
            x, names, kind = check_model(self._adapter, self._recording.probes,
                                         self._recording.labels, self._given_names)
        except ExplainError as exc:
            self.error = str(exc)
            raise
        rec = self._recording
        rec.probes, rec.class_names, rec.probability_kind = x, names, kind
        with self.hold_sync():
            self.class_names = names
            self.probability_kind = kind
            self.total_epochs = self._counter + int((self.params or {}).get("epochs") or 0)
            self.state = "training"
        if not rec.epochs:  # the initial weights, as epoch 0
            self._record(0)
            # the explanation's function is traced now, once: no retrace in later epochs
            self._adapter.compile_pending(warm_up=True)
            self.trace_count_after_first = self._adapter.trace_count
        if self._poll_wanted:
            self._listener.start()
            self.listen_mode = self._listener.mode  # "subshell" | "ui-poll" | "none"

    def on_train_batch_end(self, batch, logs=None):
        poll = self._listener.poll
        if poll is not None and time.monotonic() - self._last_poll >= POLL_INTERVAL:
            self._last_poll = time.monotonic()
            poll(20)  # handle the browser's messages now (Stop, view state)
        if self._stop_asked:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self._counter += 1
        self._recording.add_logs(self._counter, logs)
        if self._counter % self.every == 0:
            self._record(self._counter)
        else:
            self._push_curves()
        self.epochs_done = self._counter

    def on_train_end(self, logs=None):
        try:
            rec = self._recording
            if self._counter and (not rec.epochs or rec.epochs[-1] != self._counter):
                self._record(self._counter)  # the last epoch is always recorded
            self.state = "stopped" if self._stop_asked else "finished"
            if self._full != len(rec.epochs):
                self._push(full=True)  # the whole recording: for new views and the notebook
        finally:
            self._listener.stop()

    # -- recording ------------------------------------------------------------------------
    def _record(self, epoch: int):
        rec = self._recording
        targets = rec.labels
        if self._adapter.num_classes == 1:  # one sigmoid unit: its score is class 1's
            targets = np.zeros(len(rec.probes), np.int64)
        result = explain_probes(self._adapter, rec.method, rec.probes, targets, rec.options)
        probs = probabilities(self._adapter, result["logits"])
        rec.add(epoch, result["heatmaps"], probs, result["targets"], result["seconds"])
        with self.hold_sync():
            self.signed = result["signed"]
            self._push()

    def _push(self, full: bool | None = None):
        """Send the recording to the view. The whole of it (the ``frames`` trait: what a new
        view and a saved notebook read) when the number of recorded epochs is 1, 2, 4, 8, ...
        and when training ends; in between, only the newest epoch, as one binary message that
        the view appends (so a long run sends about twice its final size, not the sum of
        every epoch's whole recording)."""
        h = self._recording.history()
        # each epoch's maps at view size, computed once (a record of the same epoch replaces it)
        cache = self._view_cache
        del cache[len(h["epochs"]) - 1:]
        cache.extend(_view_maps(m) for m in h["heatmaps"][len(cache):])
        maps = np.stack(cache) if cache else np.zeros((0, len(self.probes), 1, 1), np.float32)
        e, n = maps.shape[:2]
        scales = np.abs(maps).reshape(e, n, -1).max(axis=-1) if e else np.zeros((0, n))
        scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
        arrays = {
            "heatmaps": (maps / scales[..., None, None], "float16"),
            "scales": (scales, "float32"),
            "probabilities": (h["probabilities"], "float32"),
            "targets": (h["targets"].astype(np.float32), "float32"),
            "drift": (np.nan_to_num(h["drift"], nan=-2.0), "float32"),  # -2: none
            "drift_final": (np.nan_to_num(h["drift_final"], nan=-2.0), "float32"),
            "seconds": (h["seconds"], "float32"),
        }
        if full is None:
            full = self.state != "training" or e & (e - 1) == 0 or e != self._sent + 1
        if full:
            frames = {name: array_payload(a, dtype) for name, (a, dtype) in arrays.items()}
        else:  # the newest epoch only (drift_final changes for every epoch: all of it)
            newest = {name: array_payload(a if name == "drift_final" else a[e - 1:], dtype)
                      for name, (a, dtype) in arrays.items()}
            self.send({"type": "frame", "count": e, "order": list(newest),
                       "arrays": {k: {"dtype": v["dtype"], "shape": v["shape"]}
                                  for k, v in newest.items()}},
                      buffers=[v["view"] for v in newest.values()])
        self._sent = e
        with self.hold_sync():
            self.epochs = [int(v) for v in h["epochs"]]
            if full:
                self.frames = frames
                self._full = e
            self._push_curves(h)

    def _push_curves(self, h=None):
        logs = (h or self._recording.history())["logs"]
        self.curves = {
            "epochs": array_payload(logs["epoch"].astype(np.float32)),
            "series": {name: array_payload(np.nan_to_num(values, nan=np.inf))
                       for name, values in logs.items() if name != "epoch"},
        }

    def close(self):
        """Close the widget (and free the kernel subshell its Stop button used)."""
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()
        super().close()

    # -- files ----------------------------------------------------------------------------
    def save(self, path):
        """Write the recording (probes, labels, heatmaps, probabilities, logs) to one .npz."""
        return self._recording.save(path)

    @classmethod
    def load(cls, path) -> "TrainingMonitor":
        """A monitor showing a saved recording (it can also follow more training)."""
        rec = Recording.load(path)
        mon = cls(rec.probes, rec.labels, method=rec.method, class_names=rec.class_names,
                  options={k: v for k, v in rec.options.items() if k != "batch_size"})
        mon._recording = rec
        mon._view_cache = []
        mon._sent = mon._full = 0
        mon._counter = int(rec.log_epochs[-1]) if rec.log_epochs else (
            int(rec.epochs[-1]) if rec.epochs else 0)
        with mon.hold_sync():
            mon.class_names = rec.class_names or []
            mon.probability_kind = rec.probability_kind
            mon.epochs_done = mon.total_epochs = mon._counter
            mon.state = "finished" if rec.epochs else "waiting"
            mon._push()
        return mon

    # -- static pictures ------------------------------------------------------------------
    def _index(self, epoch) -> int:
        epochs = self.epochs
        if not epochs:
            raise ExplainError("nothing recorded yet: train the model with this monitor "
                               "in its callbacks first.")
        epoch = self.epoch if epoch is None else epoch
        if epoch == -1:
            return len(epochs) - 1
        if epoch not in epochs:
            raise ExplainError(f"epoch {epoch} was not recorded; recorded: {epochs}.")
        return epochs.index(epoch)

    def figure(self, epoch: int | None = None, dpi: int = 100, columns: int = 8):
        """The probes at one recorded epoch (default: the one shown) as a matplotlib Figure:
        each heatmap over its image, with its true and predicted class."""
        import matplotlib.figure

        from ..plotting import draw_heatmap

        i = self._index(epoch)
        h = self.history
        n = len(self.probes)
        cols = min(columns, n)
        rows = -(-n // cols)
        fig = matplotlib.figure.Figure(figsize=(1.6 * cols, 1.9 * rows + 0.5), dpi=dpi,
                                       layout="constrained")
        names = self.class_names
        word = "p" if self.probability_kind == "probability" else "softmax"
        for k, ax in enumerate(fig.subplots(rows, cols, squeeze=False).ravel()):
            if k >= n:
                ax.axis("off")
                continue
            draw_heatmap(ax, self.probes[k], h["heatmaps"][i, k], signed=self.signed,
                         colormap=self.colormap, opacity=self.opacity)
            probs = h["probabilities"][i, k]
            pred = int(probs.argmax())
            label = self.labels[k]
            true = f"true {names[label]}\n" if label >= 0 else ""
            ax.set_title(f"{true}pred {names[pred]} ({word} {probs[pred]:.2f})", fontsize=7)
        fig.suptitle(f"{self.method_label} at epoch {h['epochs'][i]} "
                     f"(each map scaled to its own max)", fontsize=9)
        return fig

    def to_png(self, path=None, epoch: int | None = None, dpi: int = 100) -> bytes:
        """The probes at the epoch shown (or ``epoch``) as PNG bytes; written to ``path``."""
        from ..plotting import figure_png

        return figure_png(self.figure(epoch, dpi), path)

    def to_gif(self, path, seconds_per_epoch: float = 0.5, dpi: int = 80) -> bytes:
        """An animation of the probes across the recorded epochs: an animated GIF, or an
        APNG when ``path`` ends in ``.png``/``.apng``. Returns its bytes."""
        import io
        from pathlib import Path

        from PIL import Image

        frames = []
        for epoch in self.epochs:
            png = self.to_png(epoch=epoch, dpi=dpi)
            frames.append(Image.open(io.BytesIO(png)).convert("RGB"))
        if not frames:
            self._index(None)  # raises "nothing recorded yet"
        apng = str(path).lower().endswith((".png", ".apng"))
        buffer = io.BytesIO()
        frames[0].save(buffer, format="PNG" if apng else "GIF", save_all=True,
                       append_images=frames[1:], duration=int(seconds_per_epoch * 1000),
                       loop=0)
        data = buffer.getvalue()
        Path(path).write_bytes(data)
        return data
