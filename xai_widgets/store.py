"""A data set's explanations on disk: one Zarr group, written by ``xw.explain_dataset`` in
chunks of rows and read by ``xw.DatasetExplorer`` (so 100k examples open without recomputing).

Layout, format 1 (``N`` rows, ``chunk`` rows per Zarr chunk along axis 0)::

    attrs["xai_widgets"]  {"format": 1, "method", "options", "output", "head", "model"
                           (fingerprint), "n", "chunk", "input_shape", "num_classes",
                           "score_kind", "signed", "class_names" (or null)}
                          explain_dataset adds: "kind" ("image" | "tabular"), "space"
                          (the method's: "input" | "layer"), "batch_size", "value_kind",
                          "targets" ("predicted", an int, or {"array": hash}) and "data"
                          (a hash of the first row); options that are arrays are given as
                          {"array": hash, "shape"}
    attributions  (N, *input_shape) float32  the method's attribution of each input element
                                             (layer-space methods, Grad-CAM: (N, h, w), the
                                             map at the layer's resolution)
    heatmaps      (N, H, W) float32          image inputs only: the map a view shows
    outputs       (N, K) float32             the model's outputs (explained head, as given)
    predicted     (N,) int32                 argmax of outputs (a single unit: > 0.5 / > 0)
    targets       (N,) int32                 the class each row's attribution explains
    scores        (N,) float32               the explained score of that class
    done          (N_chunks,) bool           chunk i is written in full (resume skips it)
    features      (N, D) float32             optional (stores written before it have none): the
                                             penultimate layer's outputs, the explorer's
                                             embedding input (fitted chunk by chunk)

Other arrays (a reader's caches, such as ``embedding``) may sit beside these; writers and
readers ignore what they do not know. A chunk's rows are written before its ``done`` flag,
one Zarr chunk file per array, so a run killed at any point leaves no half-counted chunk.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ExplainError

FORMAT = 1
ATTR = "xai_widgets"
# the metadata that must match for a second run to add to (resume) an existing store
IDENTITY = ("model", "method", "options", "output", "head", "n", "chunk", "input_shape",
            "targets", "data")  # (a store without the last two: compared as null)


def _zarr():
    try:
        import zarr
    except ImportError as exc:  # a runtime dependency; only a broken install lacks it
        raise ExplainError("explanation stores need the zarr package: pip install zarr") from exc
    return zarr


def location(path) -> str:
    """A store's location as a string: a local path made absolute (``file://`` URLs too), or
    an fsspec URL (``s3://bucket/attr.zarr``, ``memory://attr.zarr``...) kept as given."""
    path = os.fspath(path)
    if path.startswith("file://"):
        path = path[len("file://"):]
    if is_url(path):
        return path
    return os.path.abspath(path)


def is_url(path: str) -> bool:
    return "://" in path


def exists(path: str) -> bool:
    if not is_url(path):
        return os.path.exists(path)
    try:
        import fsspec
    except ImportError as exc:
        raise ExplainError(f"a store at a URL ({path!r}) needs the fsspec package (and the "
                           "one for its protocol, e.g. s3fs for s3://).") from exc
    try:
        fs, root = fsspec.core.url_to_fs(path)
    except (ImportError, ValueError) as exc:
        raise ExplainError(f"the store URL {path!r} cannot be opened: {exc}") from exc
    return fs.exists(root)


def open_group(path: str, mode: str):
    """The Zarr group at a local path or an fsspec URL (Zarr 3 opens those itself)."""
    return _zarr().open_group(path, mode=mode)


def fingerprint(model) -> str:
    """A short hash of a Keras model's architecture and weights: a store written by another
    model (or the same one after more training) is refused rather than mixed."""
    digest = hashlib.sha256()
    try:
        digest.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    except Exception:  # a subclassed model without get_config: its class and weights
        digest.update(type(model).__qualname__.encode())
    for weight in model.weights:
        value = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
        digest.update(str(value.shape).encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()[:16]


@dataclass
class Store:
    """An explanation store: ``meta`` (the attrs above), arrays by name (``store["heatmaps"]``,
    a ``zarr.Array``: slice it to read), ``dask(name)`` for out-of-core work."""

    path: str
    group: Any
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.meta["n"])

    @property
    def chunk(self) -> int:
        return int(self.meta["chunk"])

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk)

    def chunk_rows(self, i: int) -> slice:
        return slice(i * self.chunk, min(self.n, (i + 1) * self.chunk))

    def __contains__(self, name: str) -> bool:
        return name in self.group.array_keys()

    def __getitem__(self, name: str):
        if name not in self:
            raise ExplainError(f"the store at {self.path!r} has no array {name!r}; it has "
                               f"{sorted(self.group.array_keys())}.")
        return self.group[name]

    def done(self) -> np.ndarray:
        """(N_chunks,) bool: the chunks written in full."""
        return np.asarray(self.group["done"][:], dtype=bool)

    @property
    def complete(self) -> bool:
        return bool(self.done().all())

    def dask(self, name: str):
        import dask.array as da

        return da.from_zarr(self[name])

    def __repr__(self) -> str:
        m = self.meta
        return (f"<xw Store {self.path!r}: {m.get('method')} of {self.n} rows, "
                f"{int(self.done().sum())}/{self.n_chunks} chunks done>")


def _read_meta(group, path: str) -> dict:
    meta = dict(group.attrs.get(ATTR) or {})
    if not meta:
        raise ExplainError(f"{path!r} is a Zarr store but not one written by "
                           "xw.explain_dataset (no 'xai_widgets' attributes).")
    if meta.get("format") != FORMAT:
        raise ExplainError(f"the store at {path!r} has format {meta.get('format')!r}; this "
                           f"version of xai-widgets reads format {FORMAT}. Write it again.")
    return meta


def open_store(path, mode: str = "r") -> Store:
    """Open a store written by ``xw.explain_dataset`` (``mode="r"`` read-only, ``"r+"`` to add
    a reader's cache array): a local path or an fsspec URL (``s3://...``, ``memory://...``)."""
    path = location(path)
    if not exists(path):
        raise ExplainError(f"no explanation store at {path!r}. Write one with "
                           "xw.explain_dataset(model, data, store=...).")
    try:
        group = open_group(path, mode=mode)
    except Exception as exc:
        raise ExplainError(f"{path!r} is not a Zarr store ({exc}).") from exc
    return Store(path, group, _read_meta(group, path))


def create_or_resume(path, meta: dict, arrays: dict[str, tuple[tuple, str]]) -> Store:
    """The store at ``path`` for a run described by ``meta``: created with ``arrays`` (name ->
    (shape, dtype); axis 0 is chunked by ``meta["chunk"]``) and a ``done`` flag per chunk, or,
    when it exists, reopened to resume if it was written by the same model, method, options
    and data shape; otherwise a clear error before any computation."""
    path = location(path)
    meta = {"format": FORMAT, **meta}
    if exists(path):
        store = open_store(path, mode="r+")
        different = [k for k in IDENTITY
                     if json.dumps(store.meta.get(k), sort_keys=True)
                     != json.dumps(meta.get(k), sort_keys=True)]
        if different:
            what = ", ".join(f"{k}: {store.meta.get(k)!r} there, {meta.get(k)!r} now"
                             for k in different)
            raise ExplainError(
                f"the store at {path!r} was written by another run ({what}). Pass a new "
                "store path, or delete this one to write it again.")
        return store
    group = open_group(path, mode="w")
    chunk = int(meta["chunk"])
    for name, (shape, dtype) in arrays.items():
        group.create_array(name, shape=tuple(shape), chunks=(chunk, *shape[1:]), dtype=dtype,
                           fill_value=0)
    n_chunks = -(-int(meta["n"]) // chunk)
    # one flag per Zarr chunk: workers finishing different chunks never write the same file
    group.create_array("done", shape=(n_chunks,), chunks=(1,), dtype=bool, fill_value=False)
    group.attrs[ATTR] = json.loads(json.dumps(meta, default=_jsonable))
    return Store(path, group, group.attrs[ATTR])


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
