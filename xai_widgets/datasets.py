"""``xw.explain_dataset``: a data set's explanations, chunk by chunk, into a Zarr store.

The data (a numpy array, a ``tf.data.Dataset`` or a Dask array) is cut into chunks of
``chunk`` rows, the chunks of the store (``xai_widgets/store.py`` describes the format).
Each chunk goes through the registered method's batched, compiled runner (``run_method``,
as ``xw.explain`` does), and its rows are written to the store, its ``done`` flag last. A
second run on the same store skips the chunks that are done (resume); a store written by
another model, method, options or data is refused before anything is computed.

With a ``dask.distributed.Client`` the same chunk function runs as one Dask task per
unfinished chunk: the model travels as a ``.keras`` file (written once by the client, loaded
once per worker process), the data per chunk, and each worker writes its chunk straight into
the store, so the client never holds the results. The store and the model file must be on a
filesystem every worker reaches (a shared filesystem: NFS, Lustre, a mounted volume).
Dask recomputes the task of a worker that died; its chunk's done flag was not set, and
writing the same rows again writes the same values, so nothing is lost or counted twice.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from typing import Any, Callable

import numpy as np

from . import store as _store
from .errors import Cancelled, ExplainError

# --------------------------------------------------------------------------- data sources
class _Source:
    """Rows of a data set, handed out a chunk at a time (never all at once)."""

    n: int
    row_shape: tuple
    dtype: Any
    name: str

    def first_rows(self, k: int) -> np.ndarray:
        raise NotImplementedError

    def chunks(self, chunk: int, wanted: list[int]):
        """(i, rows) for each chunk index in ``wanted`` (ascending): rows are a numpy array,
        or (Dask) a lazy block that a worker computes."""
        raise NotImplementedError


class _NumpySource(_Source):
    name = "numpy array"

    def __init__(self, x: np.ndarray):
        self.x = x
        self.n = int(x.shape[0])
        self.row_shape = tuple(x.shape[1:])
        self.dtype = x.dtype

    def first_rows(self, k):
        return np.asarray(self.x[:k])

    def chunks(self, chunk, wanted):
        for i in wanted:
            yield i, np.ascontiguousarray(self.x[i * chunk:(i + 1) * chunk])


class _DaskSource(_Source):
    name = "Dask array"

    def __init__(self, x):
        if any(np.isnan(d) for d in x.shape):
            raise ExplainError(
                f"the Dask array has an unknown shape {x.shape} (chunk sizes not known, e.g. "
                "after boolean indexing); call x.compute_chunk_sizes() first.")
        self.x = x
        self.n = int(x.shape[0])
        self.row_shape = tuple(int(d) for d in x.shape[1:])
        self.dtype = x.dtype

    def first_rows(self, k):
        return np.asarray(self.x[:k].compute(scheduler="threads"))

    def chunks(self, chunk, wanted):
        # the store's chunks are the array's chunks: one block per task, never the whole array
        x = self.x.rechunk({0: chunk, **{a: -1 for a in range(1, self.x.ndim)}})
        blocks = x.to_delayed().reshape(-1)
        for i in wanted:
            yield i, blocks[i]


class _TFSource(_Source):
    name = "tf.data.Dataset"

    def __init__(self, ds, input_shape: tuple):
        import tensorflow as tf

        spec = ds.element_spec
        if isinstance(spec, tuple) and 1 <= len(spec) <= 3:
            self.pick = 0  # (x, y) or (x, y, sample_weight): x is explained
            spec = spec[0]
        elif isinstance(spec, tf.TensorSpec):
            self.pick = None
        else:
            raise ExplainError(
                f"the tf.data.Dataset yields {spec}; explain_dataset reads datasets whose "
                "elements are x or (x, y) tensors. Map it to one: ds.map(lambda e: e['image']).")
        if not isinstance(spec, tf.TensorSpec):
            raise ExplainError(f"the dataset's inputs are {spec}, not one tensor; map them to "
                               "one tensor of the model's input shape.")
        rank = spec.shape.rank
        want = len(input_shape)
        if rank == want + 1:
            self.batched = True
        elif rank == want:
            self.batched = False
        else:
            raise ExplainError(
                f"the dataset's inputs have shape {tuple(spec.shape)}, but the model expects "
                f"rows of shape {input_shape} (or batches of them).")
        cardinality = int(ds.cardinality())
        if cardinality < 0:
            what = "infinite" if cardinality == int(tf.data.INFINITE_CARDINALITY) else "unknown"
            raise ExplainError(
                f"the tf.data.Dataset has {what} cardinality, so its number of rows is not "
                "known and the store cannot be laid out. Give it: ds = ds.apply("
                "tf.data.experimental.assert_cardinality(n)) with n its number of elements "
                "(batches, if it is batched), or take(n) a finite part (not .repeat()).")
        self.ds = ds
        self.spec = spec
        self.dtype = np.dtype(spec.dtype.as_numpy_dtype)
        if not self.batched:
            self.n = cardinality
        elif cardinality == 0:
            self.n = 0
        elif spec.shape[0] is not None:  # batched with drop_remainder=True
            self.n = cardinality * int(spec.shape[0])
        else:  # every batch full but maybe the last: read the first and the last batch
            try:
                first = len(self._x(next(iter(ds.take(1)))))
                last = len(self._x(next(iter(ds.skip(cardinality - 1).take(1)))))
            except (tf.errors.OpError, StopIteration) as exc:
                raise ExplainError(
                    f"reading the tf.data.Dataset's first and last batch (to count its rows) "
                    f"failed: {str(exc).strip()[:300]}. Does its cardinality "
                    f"({cardinality} batches) hold?") from None
            self.n = (cardinality - 1) * first + last
        self.row_shape = None  # known from the first row

    def _x(self, element):
        x = element if self.pick is None else element[self.pick]
        return x.numpy() if hasattr(x, "numpy") else np.asarray(x)

    def rows(self):
        for element in self.ds:
            x = self._x(element)
            if self.batched:
                yield from x
            else:
                yield x

    def first_rows(self, k):
        out = []
        for row in self.rows():
            out.append(row)
            if len(out) >= k:
                break
        return np.stack(out)

    def chunks(self, chunk, wanted):
        # a dataset reads in order: the rows of finished chunks are read and dropped
        last = max(wanted, default=-1)
        wanted, buffer, seen, i = set(wanted), [], 0, 0
        for seen, row in enumerate(self.rows(), 1):
            if (seen - 1) // chunk > last:
                return  # the rest is done already
            if seen > self.n:
                raise ExplainError(f"the tf.data.Dataset yields more than the {self.n} rows its "
                                   "cardinality says; fix its assert_cardinality.")
            i = (seen - 1) // chunk
            if i in wanted:
                buffer.append(row)
                if len(buffer) == chunk or seen == self.n:
                    yield i, np.stack(buffer)
                    buffer = []
        if seen < self.n:
            raise ExplainError(f"the tf.data.Dataset ended after {seen} rows, but its "
                               f"cardinality says {self.n}; fix its assert_cardinality.")


def _source(data, input_shape: tuple) -> _Source:
    if isinstance(data, np.ndarray):
        return _NumpySource(data)
    module = type(data).__module__ or ""
    if module.startswith("dask.array") or type(data).__name__ == "Array" and hasattr(data, "dask"):
        return _DaskSource(data)
    if "tensorflow" in module and hasattr(data, "element_spec"):
        return _TFSource(data, input_shape)
    if isinstance(data, (list, tuple)) and data and not isinstance(data[0], str):
        return _NumpySource(np.asarray(data))
    raise ExplainError(
        f"data is a {type(data).__name__}; explain_dataset reads a numpy array, a "
        "tf.data.Dataset (elements x or (x, y)) or a Dask array, of shape (N, *input_shape).")


# --------------------------------------------------------------------------- one chunk
_MODELS: dict[tuple[str, str], Any] = {}  # per process: (model path, fingerprint) -> model
_MODELS_KEPT = 2  # the models a worker keeps loaded (the oldest is dropped first)
_MODELS_LOCK = threading.Lock()


def _load_model(path: str, fingerprint: str):
    """The model saved at ``path``, loaded once per process (a worker's tasks share it)."""
    key = (path, fingerprint)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            from . import _startup

            # a worker started by a notebook's LocalCluster writes into the notebook: no
            # TensorFlow start-up lines there (as in the kernel itself)
            _startup.import_tensorflow_quietly()
            import keras

            if not os.path.exists(path):
                raise ExplainError(
                    f"this worker cannot read the model file {path!r}. explain_dataset with a "
                    "Dask client needs the store and the model file on a filesystem every "
                    "worker reaches (a shared filesystem), at the same path.")
            model = keras.saving.load_model(path, compile=False)
            found = _store.fingerprint(model)
            if found != fingerprint:
                raise ExplainError(
                    f"the model file {path!r} holds another model (fingerprint {found}, this "
                    f"run's model is {fingerprint}): it was overwritten, or model_path= names "
                    "another model. Save this model there (model.save(path)) or leave "
                    "model_path=None.")
            while len(_MODELS) >= _MODELS_KEPT:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[key] = model
    return model


def _open_rw(path: str):
    return _store.open_group(path, mode="r+")


def _write_chunk(path: str, rows: slice, arrays: dict):
    group = _open_rw(path)
    for name, values in arrays.items():
        group[name][rows] = values


def _mark_done(path: str, i: int):
    """The chunk's done flag, written after all its rows (store.py: resume skips it)."""
    _open_rw(path)["done"][i] = True


def explain_chunk(task: dict, i: int, x, targets=None, cancel=None) -> dict:
    """Explain chunk ``i`` (rows ``x``) and write it into the store: the function that runs
    in-process, or as one Dask task per chunk on a worker (which loads the model once)."""
    from .dataset_view import predictions
    from .explainers.base import get_method, run_method
    from .models import adapt

    start = time.perf_counter()
    x = np.asarray(x)
    model = task.get("model")
    if model is None:
        model = _load_model(task["model_path"], task["fingerprint"])
    spec = get_method(task["method"], task["kind"])
    explanation = run_method(spec, model, x, targets, output=task["output"], head=task["head"],
                             cancel=cancel, **task["options"])
    adapter = adapt(model, output=task["output"], head=task["head"])
    features = None
    if task.get("features"):
        # the outputs and the penultimate features in one compiled forward pass (the
        # explorer's own function: its embedding then needs no model call)
        from .dataset_view import forward

        outputs, features = forward(adapter, explanation.inputs, 256)
        outputs = outputs.reshape(len(x), -1).astype(np.float32)
    else:
        outputs = adapter.to_outputs(adapter.scores(explanation.inputs)).astype(np.float32)
    arrays = {
        "attributions": explanation.attributions.astype(np.float32, copy=False),
        "outputs": outputs,
        # the explorer's rule: argmax; one unit: p > 0.5 (a probability), score > 0 (else)
        "predicted": predictions(outputs, adapter.value_kind).astype(np.int32),
        "targets": explanation.targets.astype(np.int32),
        "scores": explanation.scores.astype(np.float32),
    }
    if task["heatmaps"]:
        arrays["heatmaps"] = explanation.heatmaps.astype(np.float32, copy=False)
    if features is not None:
        arrays["features"] = features.astype(np.float32, copy=False)
    rows = slice(i * task["chunk"], i * task["chunk"] + len(x))
    _write_chunk(task["store"], rows, arrays)
    _mark_done(task["store"], i)
    return {"chunk": i, "rows": len(x), "seconds": time.perf_counter() - start,
            "pid": os.getpid()}


# --------------------------------------------------------------------------- progress
def _in_kernel() -> bool:
    from . import _idle

    shell = _idle._shell()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Progress:
    """Chunks done / total, rows per second and the time left: a small ipywidgets display
    in a notebook, a line on a terminal's stderr, nothing elsewhere; or the user's
    ``progress(chunks_done, chunks_total)``."""

    def __init__(self, progress, n_chunks: int, n: int, done_chunks: int, done_rows: int):
        self.callback = progress if callable(progress) else None
        self.n_chunks, self.n = n_chunks, n
        self.chunks, self.rows = done_chunks, done_rows
        self.rows_now = 0  # rows computed by this run (rows/s and the time left)
        self.start = time.perf_counter()
        self.bar = self.label = None
        self.tty = False
        if progress is True:
            if _in_kernel():
                self._widget()
            else:
                self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self._show()

    def _widget(self):
        try:
            import ipywidgets as widgets
            from IPython.display import display
        except ImportError:  # no ipywidgets: no display
            return
        self.bar = widgets.IntProgress(value=self.chunks, min=0, max=max(self.n_chunks, 1),
                                       description="explaining", bar_style="info")
        self.label = widgets.Label()  # text, never HTML
        display(widgets.HBox([self.bar, self.label]))

    def text(self, state: str | None = None) -> str:
        line = f"{self.chunks}/{self.n_chunks} chunks ({self.rows:,}/{self.n:,} rows)"
        seconds = time.perf_counter() - self.start
        if self.rows_now and seconds > 0:
            rate = self.rows_now / seconds
            line += f", {rate:,.1f} rows/s"
            if state is None:
                line += f", {_duration((self.n - self.rows) / rate)} left"
        if state is not None:  # done, cancelled or failed, after so long
            line += f": {state} after {_duration(seconds)}"
        return line

    def _show(self, state: str | None = None):
        if self.callback is not None:
            self.callback(self.chunks, self.n_chunks)
        text = self.text(state)
        if self.bar is not None:
            self.bar.value = self.chunks
            self.label.value = text
            if state:
                self.bar.bar_style = "success" if state == "done" else "warning"
        elif self.tty:
            print("\r" + text, end="\n" if state else "", file=sys.stderr, flush=True)

    def update(self, rows: int):
        self.chunks += 1
        self.rows += rows
        self.rows_now += rows
        self._show()

    def finish(self, state: str):
        if self.callback is None:
            self._show(state)


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# --------------------------------------------------------------------------- validation
def _cancel_function(cancel) -> Callable[[], bool] | None:
    if cancel is None:
        return None
    if hasattr(cancel, "is_set"):  # a threading.Event
        return cancel.is_set
    if callable(cancel):
        return cancel
    raise ExplainError(f"cancel must be a threading.Event or a callable returning True to "
                       f"stop, got {type(cancel).__name__}.")


def _digest(value) -> str:
    return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]


def _jsonable_options(options: dict) -> dict:
    """Options as the store's attributes: arrays by their hash and shape."""
    out = {}
    for name, value in options.items():
        if isinstance(value, np.ndarray) or (hasattr(value, "__array__")
                                             and not isinstance(value, (str, int, float))):
            value = np.asarray(value, dtype=np.float32)
            out[name] = {"array": _digest(value), "shape": list(value.shape)}
        else:
            out[name] = value
    return out


def _resolve_targets(targets, n: int, adapter):
    """(what the store's attributes say, the (N,) array or int or None handed to chunks)."""
    if targets is None:
        return "predicted", None
    if isinstance(targets, (int, np.integer)) and not isinstance(targets, bool):
        adapter.resolve_targets(int(targets), 1)  # range check
        return int(targets), int(targets)
    if not hasattr(targets, "__len__"):
        raise ExplainError(f"targets must be None (each row's predicted class), an int, or "
                           f"one int per row; got {targets!r}.")
    array = np.asarray(targets)
    if array.ndim != 1 or len(array) != n:
        raise ExplainError(f"targets has shape {array.shape}, but the data has {n} rows: give "
                           "one class index per row, an int for all, or None (predicted).")
    array = adapter.resolve_targets(array, n)  # integer dtype and range, with clear errors
    return {"array": _digest(array)}, array


def _default_model_path(store_path: str) -> str:
    base = store_path.rstrip("/" + os.sep)
    if base.endswith(".zarr"):
        base = base[:-5]
    return base + ".model.keras"


def _save_model(model, path: str):
    """Save ``model`` as ``path`` atomically: a worker never reads a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp.keras")
    try:
        try:
            model.save(tmp)
        except Exception as exc:
            raise ExplainError(
                f"the model could not be saved as a .keras file for the Dask workers ({exc}). "
                "Register its custom layers with keras.saving.register_keras_serializable, or "
                "save it yourself and pass model_path=.") from exc
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# --------------------------------------------------------------------------- entry point
def explain_dataset(model, data, method: str = "integrated_gradients", store="attr.zarr",
                    targets=None, client=None, chunk: int = 256, output: str = "logit",
                    head=None, progress=True, cancel=None, model_path=None, features=None,
                    **options):
    """Explain every row of ``data`` with ``method`` and write the results to a Zarr store,
    chunk by chunk; returns the :class:`~xai_widgets.store.Store` (``open_store`` in
    ``xai_widgets.store`` reads it later, ``xw.DatasetExplorer`` shows it).

    Parameters
    ----------
    model: a Keras 3 model (as for ``xw.explain``).
    data: (N, *input_shape) rows: a numpy array, a ``tf.data.Dataset`` (elements ``x`` or
        ``(x, y)``, batched or not, with a known cardinality) or a Dask array (rechunked to
        ``chunk`` rows). Dask and tf.data rows are read a chunk at a time, never all at once.
        A batched dataset whose batch size is not static (``batch(b)`` without
        ``drop_remainder=True``) has its last batch read to count the rows, which may read
        the whole pipeline once; when that is costly, give the rows and their number:
        ``ds.unbatch().apply(tf.data.experimental.assert_cardinality(n))``.
    method, options: a registered image or tabular method and its options
        (``xw.methods(kind="image")``), e.g. ``steps=16`` for integrated gradients.
    store: the store's path, or an fsspec URL that Zarr 3 opens (``s3://bucket/a.zarr``
        with s3fs installed, ``memory://a.zarr`` in this process; ``file://`` is a path).
        A store that exists is resumed when it was written by the same model, method,
        options, targets and data (its finished chunks are skipped), and refused otherwise.
    targets: None (each row's predicted class), one class index for all, or one per row.
    client: a ``dask.distributed.Client``: one task per unfinished chunk on its workers.
        The workers write into ``store`` themselves and load the model from ``model_path``,
        so both must be on a filesystem every worker reaches at the same path (a shared
        filesystem; on one machine, any local path).
    chunk: rows per chunk (the store's chunk, the unit of progress, resume and of a task).
    output, head: as for ``xw.explain``.
    progress: True: a progress display in a notebook (chunks, rows/s, time left), a line on
        a terminal, nothing elsewhere; False: none; a callable: ``progress(chunks_done,
        chunks_total)``.
    cancel: a ``threading.Event`` (or a callable returning True) that stops the run between
        batches; the kernel's interrupt stops it too. Either raises ``xw.Cancelled`` and
        leaves a store that the same call resumes.
    model_path: with a client, the ``.keras`` file the workers load: written there when it
        does not exist (default: next to the store, ``<store>.model.keras``, written at each
        run); an existing file is used as it is, and must hold this model.

    features: write ``features`` (N, D) float32, the penultimate layer's outputs (the input
        of the explained head's last weighted layer, computed in the same compiled forward
        pass as ``outputs``), from which ``xw.DatasetExplorer`` fits its 2-D embedding
        chunk by chunk with no model call. None (default): for image models whose
        penultimate layer can be reached (not a subclassed model); True: required (an
        error when it cannot be reached); False: not written. A store resumed keeps what
        it was created with.

    Each chunk is explained as ``xw.explain`` explains that chunk's rows: methods that draw
    random numbers (smoothgrad, kernel_shap, lime) draw them per chunk, so a store is the same
    whatever the client, but not the same numbers as one ``xw.explain`` call on all rows.
    The data's identity on resume is its number of rows, their shape and its first row.
    """
    from .explainers.base import get_method
    from .models import adapt

    adapter = adapt(model, output=output, head=head)  # a Keras model, its output and head
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ExplainError(f"chunk must be a positive number of rows, got {chunk!r}.")
    chunk = int(chunk)
    if not (progress in (True, False, None) or callable(progress)):
        raise ExplainError("progress must be True, False or a callable progress(done, total).")
    is_cancelled = _cancel_function(cancel)
    if not isinstance(store, (str, os.PathLike)):
        raise ExplainError(f"store must be a path (str or os.PathLike) or an fsspec URL "
                           f"(s3://..., memory://...), got {store!r}.")
    store_path = _store.location(store)
    if client is not None and _store.is_url(store_path):
        if store_path.startswith("memory://"):
            raise ExplainError("a memory:// store lives in this process: a Dask client's "
                               "workers cannot write into it. Use a path or an object store "
                               "URL every worker reaches, or client=None.")
        if model_path is None:
            raise ExplainError(f"with a Dask client and a store at a URL ({store_path!r}) "
                               "pass model_path=: a .keras file path every worker reaches "
                               "(the model is not written beside a URL).")
    if not isinstance(method, str):
        raise ExplainError(f"method must be a method's name, got {method!r}.")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "scheduler_info")):
        raise ExplainError(f"client must be a dask.distributed.Client, got "
                           f"{type(client).__name__}; or None to compute in this process.")

    # the data: its number of rows and its first rows, checked against the model
    input_shape = tuple(adapter.input_shape)
    source = _source(data, input_shape)
    if source.n == 0:
        raise ExplainError("data has no rows (N = 0); pass at least one example.")
    first = source.first_rows(min(source.n, chunk) if isinstance(source, _NumpySource) else 1)
    row_shape = tuple(int(d) for d in first.shape[1:])
    source.row_shape = row_shape
    expected = "(N, " + ", ".join("?" if d is None else str(d) for d in input_shape) + ")"
    if len(row_shape) != len(input_shape) or any(
            e is not None and e != d for d, e in zip(row_shape, input_shape)):
        hint = " Add a channel axis (x[..., None])." if row_shape + (1,) == input_shape else ""
        raise ExplainError(f"the data's rows have shape {row_shape} (data {source.name} of "
                           f"shape (N={source.n}, {', '.join(map(str, row_shape))})), but the "
                           f"model expects {expected}.{hint}")
    if first.dtype.kind in "USO":
        raise ExplainError("explain_dataset explains image and tabular models; for texts "
                           "use xw.explain (its text methods).")
    checked = adapter.validate_inputs(first)  # dtype, integer pixels, NaN (clear errors)
    kind = {1: "tabular", 2: "image", 3: "image"}.get(len(row_shape))
    if kind is None:
        raise ExplainError(f"rows of shape {row_shape} are neither tabular (features,) nor "
                           "images (H, W[, C]); explain_dataset explains those two kinds.")

    # the method and its options
    spec = get_method(method, kind)
    resolved = spec.resolve_options(options)
    for name, value in resolved.items():
        if isinstance(value, np.ndarray) and value.shape != row_shape:
            raise ExplainError(
                f"option {name} is an array of shape {value.shape}; explain_dataset takes one "
                f"of a row's shape {row_shape} (the same for every row).")
    if spec.space == "layer":  # CAM maps at the layer's resolution: the layer is fixed now
        from .explainers.cam import resolve_layer

        info = resolve_layer(adapter, resolved.get("layer"))
        resolved["layer"] = "/".join(info.path)
        attributions_shape = tuple(int(d) for d in info.output_shape[1:3])
    else:
        attributions_shape = row_shape
    signed = bool(not resolved["relu"]) if "relu" in resolved and spec.space == "layer" \
        else bool(spec.signed)
    target_meta, chunk_targets = _resolve_targets(targets, source.n, adapter)
    feature_dim = _feature_dim(adapter, checked[:1], features, kind)

    # the store: created, or resumed when it was written by this same run
    fingerprint = _store.fingerprint(model)
    meta = {
        "method": spec.name, "kind": kind,
        "options": _jsonable_options({k: v for k, v in resolved.items() if k != "batch_size"}),
        "batch_size": resolved["batch_size"], "output": adapter.output,
        "head": adapter.head_name, "model": fingerprint, "n": source.n, "chunk": chunk,
        "input_shape": list(row_shape), "num_classes": adapter.num_classes,
        "score_kind": adapter.score_kind, "value_kind": adapter.value_kind,
        "signed": signed, "class_names": None, "targets": target_meta,
        "data": _digest(checked[:1]), "space": spec.space,
    }
    n = source.n
    arrays = {
        "attributions": ((n, *attributions_shape), "float32"),
        "outputs": ((n, adapter.num_classes), "float32"),
        "predicted": ((n,), "int32"),
        "targets": ((n,), "int32"),
        "scores": ((n,), "float32"),
    }
    if kind == "image":
        arrays["heatmaps"] = ((n, *row_shape[:2]), "float32")
    if feature_dim is not None:
        arrays["features"] = ((n, feature_dim), "float32")
    result = _store.create_or_resume(store_path, meta, arrays)
    done = result.done()
    wanted = [i for i in range(result.n_chunks) if not done[i]]
    done_rows = sum(result.chunk_rows(i).stop - result.chunk_rows(i).start
                    for i in range(result.n_chunks) if done[i])

    task = {"store": store_path, "chunk": chunk, "method": spec.name, "kind": kind,
            "options": resolved, "output": adapter.output, "head": adapter.head_name,
            "fingerprint": fingerprint, "heatmaps": kind == "image",
            "features": "features" in result}  # (a store resumed: as it was created)
    bar = _Progress(progress, result.n_chunks, n, result.n_chunks - len(wanted), done_rows)
    if client is not None:
        path = os.path.abspath(os.fspath(model_path)) if model_path is not None \
            else _default_model_path(store_path)
        if wanted and (model_path is None or not os.path.exists(path)):
            _save_model(model, path)  # (nothing to compute: no model file either)
        task["model_path"] = path
        runner = _run_distributed
    else:
        task["model"] = model
        runner = _run_local
    try:
        runner(task, source, wanted, chunk_targets, bar, is_cancelled, client)
    except (Cancelled, KeyboardInterrupt) as exc:
        bar.finish("cancelled")
        left = int((~_store.open_store(store_path).done()).sum())
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else exc
        raise Cancelled(
            f"explain_dataset cancelled ({why}); "
            f"{result.n_chunks - left} of {result.n_chunks} chunks are done and kept in "
            f"{store_path!r}. Call explain_dataset again with the same arguments to compute "
            f"the {left} left.") from None
    except BaseException:
        bar.finish("failed")
        raise
    bar.finish("done")
    return _store.open_store(store_path)


def _feature_dim(adapter, first: np.ndarray, features, kind: str) -> int | None:
    """D, the width of the penultimate features to write (one eager forward pass of one
    row), or None when none are written."""
    if features is not None and not isinstance(features, bool):
        raise ExplainError(f"features must be True, False or None (images: written when the "
                           f"penultimate layer can be reached), got {features!r}.")
    if features is False or (features is None and kind != "image"):
        return None
    from .dataset_view import forward

    try:
        _, feats = forward(adapter, np.asarray(first, np.float32))
    except ExplainError:
        if features:
            raise
        return None  # a subclassed model: no features (the explorer computes them)
    return int(feats.shape[1])


def _chunk_targets(chunk_targets, i: int, chunk: int):
    if isinstance(chunk_targets, np.ndarray):
        return chunk_targets[i * chunk:(i + 1) * chunk]
    return chunk_targets  # None or an int


def _run_local(task, source, wanted, chunk_targets, bar, is_cancelled, client):
    for i, rows in source.chunks(task["chunk"], wanted):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("cancel was set")
        if not isinstance(rows, np.ndarray):  # a Dask block: computed here, in threads
            rows = rows.compute(scheduler="threads")
        try:
            info = explain_chunk(task, i, rows, _chunk_targets(chunk_targets, i, task["chunk"]),
                                 cancel=is_cancelled)
        except Cancelled:
            raise Cancelled("cancel was set") from None
        bar.update(info["rows"])


def _run_distributed(task, source, wanted, chunk_targets, bar, is_cancelled, client):
    """One task per chunk, at most two per worker in flight: the client holds no more than
    those chunks' rows (numpy and tf.data rows travel a chunk at a time, inside the chunk's
    task; a Dask array's blocks are computed by the workers)."""
    import dask
    from distributed import TimeoutError, wait

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 2 * workers
    chunks = iter(source.chunks(task["chunk"], wanted))
    running: dict = {}

    def submit() -> bool:
        try:
            i, rows = next(chunks)
        except StopIteration:
            return False
        if not isinstance(rows, np.ndarray):  # a Dask block: computed on the cluster
            rows = client.compute(rows)
        # numpy and tf.data rows travel inside their task (not scattered: a scattered chunk
        # is lost with the worker that holds it, and then its task could not be retried)
        # a chunk inside its task is meant: Dask's warning about large graphs (10 MB) would
        # advise scattering, which is what is avoided here
        size = getattr(rows, "nbytes", 0)
        with dask.config.set({"distributed.admin.large-graph-warning-threshold":
                              max(10 * 2**20, 2 * int(size))}):
            future = client.submit(explain_chunk, task, i, rows,
                                   _chunk_targets(chunk_targets, i, task["chunk"]),
                                   pure=False, key=f"xw-explain-chunk-{i}-{os.urandom(4).hex()}")
        running[future] = (i, rows)
        return True

    try:
        while len(running) < window and submit():
            pass
        while running:
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("cancel was set")
            try:
                finished, _ = wait(list(running), timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished yet: look at cancel again
                continue
            for future in finished:
                i, _rows = running.pop(future)
                try:
                    info = future.result()
                except Exception as exc:
                    raise type(exc)(f"chunk {i}: {exc}") if isinstance(exc, ExplainError) \
                        else exc
                bar.update(info["rows"])
                submit()
    except BaseException:
        client.cancel(list(running) + [r for _, r in running.values()
                                       if hasattr(r, "key")])
        running.clear()
        raise
