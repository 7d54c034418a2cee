"""DatasetExplorer: which examples does an image classifier get wrong, and what do their
explanations look at?

An ``ipywidgets.HBox`` of two views:

* ``view`` (an anywidget, ``_DatasetView``): the confusion matrix (a click selects a cell),
  the class-mean heatmaps per true and per predicted class, and a gallery of the selected
  examples (thumbnail + heatmap, sorted by confidence, loss or heatmap mass outside the
  object; paged). Opacity, colormap, sort and page are handled in the browser.
* ``figure``: a bqplot Figure of the penultimate layer's outputs reduced to 2-D (PCA; UMAP
  when installed), coloured by true class, mistakes crossed, with lasso / brush / pan-zoom.
  The view holds a reference to its Scatter and reads ``Scatter.selected`` in the browser as
  soon as bqplot sets it: a lasso reaches the gallery with no kernel round trip (an
  ``ipywidgets.jsdlink`` delivered it 0.7-1.5 s after the mouse-up on this loaded machine,
  measured, cause not found; not used), and a
  cell click selects that cell's points on the scatter.

Predictions and heatmaps come from an explanation store (``store=``, written by
``xw.explain_dataset``) when given, so a large data set opens without recomputing (the chunks
it has not finished are predicted and explained here, in the background); otherwise
the predictions and the embedding are one batched forward pass and the heatmaps are computed
in the background with progress (the grid and the scatter come first).
"""

from __future__ import annotations

import ipywidgets
import numpy as np
import traitlets

from .. import dataset_view as dv
from .._encode import array_payload
from ..errors import ExplainError
from ..explainers import explain, get_method, methods
from ..models import adapt
from ._base import ComputeWidget, bundle

# Thumbnails and heatmaps of every example go to the browser at once (selection, sorting and
# paging then need no kernel) while they weigh at most this many bytes; beyond, the browser
# asks for the rows of the page it shows.
ALL_AT_ONCE_BYTES = 24 * 2**20
PAGE_SIZE = 48
CHUNK = 256  # rows per explain() call when the heatmaps are computed here
SORT_KEYS = ("loss", "confidence", "outside")
# colour-blind-friendly categorical palette (Okabe-Ito, then Tableau 10) for the classes
# (no black: the misclassified crosses are black)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#7F7F7F", "#44AA99", "#882255", "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1",
           "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F", "#BAB0AC", "#E15759"]


def _ints_payload(values) -> dict:
    data = np.ascontiguousarray(np.asarray(values), dtype="<i4")
    return {"view": memoryview(data).cast("B"), "dtype": "int32", "shape": list(data.shape)}


def _selection_to_json(value, widget):
    if value is None:
        return None
    data = np.ascontiguousarray(np.asarray(value, dtype="<u4"))
    return memoryview(data).cast("B")


def _selection_from_json(value, widget):
    """The browser's selection: raw uint32 bytes (bqplot's Uint32Array, or the view's own),
    a list of ints, or null (nothing selected)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return [int(i) for i in np.frombuffer(bytes(value), dtype="<u4")]
    if isinstance(value, dict) and "view" in value:  # a {view, dtype, shape} payload
        return [int(i) for i in np.frombuffer(bytes(value["view"]), dtype="<u4")]
    return [int(i) for i in value]


class _DatasetView(ComputeWidget):
    """The anywidget half of DatasetExplorer (see the module docstring and js/CONTRACT.md)."""

    _esm = bundle("dataset_explorer.js")
    _css = bundle("dataset_explorer.css")

    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)  # {y, predicted, targets}: int32 payloads
    sort_keys = traitlets.Dict().tag(sync=True)  # {confidence, loss[, outside]}: float32 payloads
    key_info = traitlets.Dict().tag(sync=True)  # what each key's number is
    gallery = traitlets.Dict().tag(sync=True)  # {mode: "all" | "page", thumbs, heatmaps, scales}
    means = traitlets.Dict().tag(sync=True)  # {true: {...}, predicted: {...}}
    info = traitlets.Dict().tag(sync=True)  # method, signed, source, embedding, ...
    # the selected rows: raw uint32 bytes on the wire (linked from bqplot's Scatter.selected)
    selection = traitlets.Any(None, allow_none=True).tag(
        sync=True, to_json=_selection_to_json, from_json=_selection_from_json)
    cell = traitlets.List(traitlets.Int()).tag(sync=True)  # [true, predicted] or []
    scatter_ref = traitlets.Unicode("").tag(sync=True)  # "IPY_MODEL_<id>" of the Scatter
    # its lasso and brush selectors: a cell's selection clears their outline in the browser
    selector_refs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # view only (browser; synced back debounced)
    sort = traitlets.Unicode("loss").tag(sync=True)
    descending = traitlets.Bool(True).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(PAGE_SIZE).tag(sync=True)
    opacity = traitlets.Float(0.6).tag(sync=True)
    colormap = traitlets.Unicode("auto").tag(sync=True)
    height = traitlets.Int(640).tag(sync=True)  # px, the least: the view grows to fit

    def __init__(self, owner, **kwargs):
        self._owner = owner
        super().__init__(**kwargs)

    def _on_custom_message(self, widget, content, buffers):
        super()._on_custom_message(widget, content, buffers)
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":  # the view asks whether a kernel is there
            self.send({"type": "pong"})
        elif content.get("type") == "rows":
            self._owner._send_rows(content.get("rows") or [])
        elif content.get("type") == "compute":  # the heatmaps again, after a cancel
            self._owner.compute_heatmaps()


def _check_labels(y, n: int, k: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot
        y = y.argmax(axis=1)
    y = y.reshape(-1) if y.ndim else y
    if y.shape != (n,):
        raise ExplainError(f"y has {y.size} labels for {n} images; give one class index per "
                           "image (or one-hot rows).")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(np.equal(np.mod(y, 1), 0)):
            raise ExplainError("y must hold class indices (integers 0..K-1).")
        y = y.astype(np.int64)
    if n and (y.min() < 0 or y.max() >= k):
        raise ExplainError(f"y has classes {int(y.min())}..{int(y.max())}; the model has {k} "
                           f"classes (0..{k - 1}).")
    return y.astype(np.int64)


class DatasetExplorer(ipywidgets.HBox):
    """Explore an image classifier on a labelled data set: confusion matrix, gallery with
    heatmaps, class-mean heatmaps, and the embedding scatter (bqplot).

    >>> w = xw.DatasetExplorer(model, x, y, class_names=names)            # computes
    >>> w = xw.DatasetExplorer(model, x, y, store="attr.zarr")            # reads a store
    >>> w.select_cell(3, 5)          # true 3, predicted 5: the gallery shows them
    >>> w.selection, w.gallery_rows()  # the selected rows, in the gallery's order
    >>> w.to_png("dataset.png")
    """

    def __init__(self, model, x, y, class_names=None, store=None, method=None, masks=None,
                 *, output="logit", head=None, batch_size=64, options=None, embedding="auto",
                 page_size=PAGE_SIZE):
        self._adapter = adapt(model, output=output, head=head)
        if self._adapter.is_regression:
            raise ExplainError("DatasetExplorer shows a classifier's mistakes; this head is a "
                               "regression output (one unit without a sigmoid).")
        lazy = _lazy_array(x)
        if lazy is not None:  # a Dask (or Zarr) array: read a chunk of rows at a time
            x = lazy
            first = self._adapter.validate_inputs(np.asarray(x[:min(len(x), 8)].compute()))
            if not len(first):
                raise ExplainError("x has no rows; pass at least one image.")
        else:
            x = self._adapter.validate_inputs(x)
        self._lazy = lazy is not None
        if x.ndim not in (3, 4):
            raise ExplainError(
                f"DatasetExplorer shows image classifiers (inputs (N, H, W[, C])); these inputs "
                f"are {x.shape}. Tabular rows are not supported yet: FeatureImportance has a "
                "confusion matrix for tabular classifiers.")
        self._x = x
        n = len(x)
        self.num_classes = dv.class_count(self._adapter.num_classes)
        self._y = _check_labels(y, n, self.num_classes)
        names = self._adapter.class_names(class_names) if self._adapter.num_classes > 1 else (
            [str(c) for c in class_names] if class_names is not None else ["0", "1"])
        if len(names) != self.num_classes:
            raise ExplainError(f"{len(names)} class names for {self.num_classes} classes.")
        self.class_names = list(names)
        self._masks = None
        if masks is not None:
            masks = np.asarray(masks).astype(bool)
            if masks.shape != tuple(x.shape[:3]):
                raise ExplainError(f"masks must be (N, H, W) = {x.shape[:3]} (one object mask "
                                   f"per image, True on the object); got {masks.shape}.")
            self._masks = masks
        self._batch_size = int(batch_size)
        self._options = dict(options or {})
        self._store = None
        self._missing = set()
        if store is not None:
            self._open_store(store, method)
        else:
            self.method = method or "gradcam"
            if self.method not in methods(kind="image"):
                get_method(self.method)  # unknown: the registry's message
                raise ExplainError(f"{self.method!r} does not explain images.")
        self._signed = bool(get_method(self.method).signed)
        self._embedding_kind = embedding
        self._computed = {}  # first row of a chunk -> its heatmaps, when computed here
        self._heat_ready = False
        self._outside = None
        self._means = None

        cached = self._cached_embedding()  # (coords, method) kept in the store, or None
        outputs, features = self._predictions(need_features=cached is None)
        kind = self._adapter.value_kind
        self.outputs = outputs
        self.predicted = dv.predictions(outputs, kind)
        self.confidence = dv.confidence(outputs, kind).astype(np.float32)
        self.loss = dv.loss(outputs, self._y, kind).astype(np.float32)
        self.confusion = dv.confusion_matrix(self._y, self.predicted, self.num_classes)
        self.embedding, self.embedding_method = cached if cached is not None \
            else self._embed(features)
        # the class each computed map explains (one sigmoid unit: class 1's score)
        self.targets = (self.predicted.copy() if self._adapter.num_classes > 1
                        else np.ones(len(x), np.int64))
        if self._store is not None:
            stored = np.asarray(self._store["targets"][:], np.int64)
            for i in range(self._store.n_chunks):
                if i not in self._missing:
                    rows = self._store.chunk_rows(i)
                    self.targets[rows] = stored[rows]

        th, tw = (len(a) for a in dv.thumb_index(int(x.shape[1]), int(x.shape[2])))
        channels = 3 if x.ndim == 4 and int(x.shape[3]) >= 3 else 1
        bytes_all = n * th * tw * (channels + 6)  # thumbnails (uint8), heatmaps and scales
        self._mode = "all" if bytes_all <= ALL_AT_ONCE_BYTES else "page"
        self._thumb_means = None
        if not self._lazy:
            self._thumbs = dv.thumbnails(x)
        elif self._mode == "all":
            self._thumbs = np.concatenate([dv.thumbnails(self._rows(r)) for r in self._chunks()])
        else:  # a lazy x, paged: one pass for the class-mean thumbnails, a page's made when asked
            self._thumbs = None
            self._thumb_means = self._lazy_thumb_means()
        self.view = _DatasetView(
            self,
            class_names=self.class_names,
            labels={"y": _ints_payload(self._y), "predicted": _ints_payload(self.predicted),
                    "targets": _ints_payload(self.targets)},
            key_info=self._key_info(),
            info=self._info(),
            page_size=int(page_size),
        )
        self.view.sort_keys = self._keys_payload()
        self.view.means = {}
        # the thumbnails first (mode "all"): the gallery works before the heatmaps come
        self.view.gallery = ({"mode": "all", "ready": False,
                              "thumbs": array_payload(self._thumbs, "uint8")}
                             if self._mode == "all" else {"mode": "page", "ready": False})
        self.figure, self.scatter, self.interaction = self._scatter()
        # the view reads the Scatter's `selected` in the browser (a reference to its model,
        # not a jsdlink: that delivered a lasso 0.7-1.5 s after the mouse-up, measured)
        self.view.scatter_ref = "IPY_MODEL_" + self.scatter.model_id
        self.view.selector_refs = ["IPY_MODEL_" + s.model_id for s in self._selectors]
        # (marked: a static page, where bqplot cannot load, hides it under the view's note)
        scatter_box = ipywidgets.VBox([self.figure, self.interaction])
        scatter_box.add_class("xw-dataset-scatter")
        self._scatter_parts.append(scatter_box)
        # side by side where the notebook is wide enough, the scatter below where not: the
        # flex items are the views' own elements (the CSS of .xw-dataset sits inside one)
        self.view.layout = ipywidgets.Layout(flex="1 1 560px", min_width="520px")
        scatter_box.layout = ipywidgets.Layout(flex="0 0 auto")
        super().__init__([self.view, scatter_box],
                         layout=ipywidgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        if self._store is not None and not self._missing:
            self._heat_pass()  # everything is in the store: read now, chunk by chunk
        else:
            self.compute_heatmaps()

    # -- inputs ---------------------------------------------------------------------------
    def _open_store(self, store, method):
        from ..store import Store, fingerprint, open_store

        store = store if isinstance(store, Store) else open_store(store)
        meta = store.meta
        n = len(self._x)
        problems = []
        if int(meta.get("n", -1)) != n:
            problems.append(f"it has {meta.get('n')} rows, x has {n}")
        if tuple(meta.get("input_shape") or ()) != tuple(self._x.shape[1:]):
            problems.append(f"its inputs are {tuple(meta.get('input_shape') or ())}, x's are "
                            f"{tuple(self._x.shape[1:])}")
        if meta.get("model") != fingerprint(self._adapter.model):
            problems.append("it was written by another model (or these weights before more "
                            "training)")
        if meta.get("head") not in (None, self._adapter.head_name):
            problems.append(f"it explains head {meta.get('head')!r}, not "
                            f"{self._adapter.head_name!r}")
        if method is not None and method != meta.get("method"):
            problems.append(f"it holds {meta.get('method')!r} heatmaps, not {method!r}")
        if "heatmaps" not in store:
            problems.append("it has no heatmaps (image inputs only)")
        if problems:
            raise ExplainError(f"the store at {store.path!r} does not fit: "
                               + "; ".join(problems) + ". Write one for this model and data "
                               "with xw.explain_dataset, or pass store=None to compute here.")
        # chunks not written yet: their predictions and heatmaps are computed here
        self._missing = set(np.flatnonzero(~store.done()).tolist())
        self._store = store
        self.method = meta["method"]

    def _rows(self, rows: slice) -> np.ndarray:
        """The images of these rows as a float32 numpy array (a lazy x: computed now)."""
        if not self._lazy:
            return self._x[rows]
        return self._adapter.validate_inputs(np.asarray(self._x[rows].compute()))

    def _chunks(self) -> list[slice]:
        """The rows in chunks: the store's, else CHUNK rows."""
        if self._store is not None:
            return [self._store.chunk_rows(i) for i in range(self._store.n_chunks)]
        n = len(self._x)
        return [slice(a, min(n, a + CHUNK)) for a in range(0, n, CHUNK)]

    def _forward(self):
        """(outputs, features) of every row: one batched forward pass (a lazy x: by chunk)."""
        if not self._lazy:
            return dv.forward(self._adapter, self._x, 256)
        parts = [dv.forward(self._adapter, self._rows(rows), 256) for rows in self._chunks()]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _predictions(self, need_features: bool = True):
        """(outputs, penultimate features): from the store, with no forward pass when the
        features are not needed (its embedding is cached there) or it holds them
        (``xw.explain_dataset`` writes them; then ``features`` is a function giving them
        chunk by chunk) and it is finished; else one batched forward pass (a store's
        unfinished chunks take their outputs from it)."""
        if self._store is None:
            return self._forward()
        outputs = np.asarray(self._store["outputs"][:], np.float32)
        if not need_features and not self._missing:
            return outputs, None
        if "features" in self._store:  # only the chunks not written yet go through the model
            computed = {}
            for i in sorted(self._missing):
                rows = self._store.chunk_rows(i)
                out, computed[i] = dv.forward(self._adapter, self._rows(rows), 256)
                outputs[rows] = out.reshape(len(out), -1)
            store = self._store

            def features():
                for i in range(store.n_chunks):
                    yield (computed[i] if i in computed
                           else store["features"][store.chunk_rows(i)])

            return outputs, features
        computed, features = self._forward()
        for i in self._missing:
            rows = self._store.chunk_rows(i)
            outputs[rows] = computed[rows]
        return outputs, features

    def _cached_embedding(self):
        if self._store is None or "embedding" not in self._store:
            return None
        array = self._store["embedding"]
        method = array.attrs.get("method")
        wanted = {"auto": None, "pca": "PCA", "umap": "UMAP"}.get(str(self._embedding_kind).lower())
        if wanted is not None and method != wanted:
            return None
        if self._embedding_kind == "auto" and method == "PCA" and _has_umap():
            return None
        return np.asarray(array[:], np.float32), method

    def _embed(self, features):
        """(coords (N, 2), method) of the features, kept in the store when there is one."""
        kind = str(self._embedding_kind).lower()
        if callable(features):  # a store's features, chunk by chunk
            if kind == "umap" or (kind == "auto" and _has_umap()):  # UMAP: all in memory
                coords, name = dv.embed_2d(np.concatenate(list(features())))
            else:
                coords, name = dv.embed_2d_chunks(features)
        elif kind == "pca":
            from sklearn.decomposition import PCA

            coords, name = PCA(n_components=2, random_state=0).fit_transform(features), "PCA"
            coords = coords.astype(np.float32)
        else:
            coords, name = dv.embed_2d(features)
        self._cache_embedding(coords, name)
        return coords, name

    def _cache_embedding(self, coords, name):
        """Keep the embedding in the store beside its arrays (a reader's cache, as the store
        format allows), so the next open needs no forward pass. A read-only store stays as
        it is."""
        if self._store is None:
            return
        try:
            from ..store import open_store

            writable = open_store(self._store.path, mode="r+")
            group = writable.group
            if "embedding" in writable:
                del group["embedding"]
            array = group.create_array("embedding", shape=coords.shape,
                                       chunks=(writable.chunk, 2), dtype="float32")
            array[:] = coords
            array.attrs["method"] = name
        except Exception:  # read-only file system or store: nothing cached
            pass

    # -- heatmaps -------------------------------------------------------------------------
    def _heat_pass(self, progress=None, cancelled=None):
        """One pass over the rows, a chunk at a time: each chunk's heatmaps read from the
        store (its chunks written in full) or computed here (no store, or a chunk the store
        has not finished: kept in memory, ``_computed``), accumulated into the class means,
        the outside mass and (small data sets) the gallery's heatmaps."""
        n = len(self._x)
        # (rows, written in the store): the store's chunks, else CHUNK rows each
        chunks = [(rows, self._store is not None and i not in self._missing)
                  for i, rows in enumerate(self._chunks())]
        accs = None
        outside = np.full(n, np.nan, np.float32) if self._masks is not None else None
        small, scales = [], []
        for rows, stored in chunks:
            if stored:
                heat = np.asarray(self._store["heatmaps"][rows], np.float32)
            elif rows.start in self._computed:  # computed before a cancel
                heat = self._computed[rows.start]
            else:
                heat = explain(self._adapter, self._rows(rows), method=self.method,
                               target=self._explain_targets(rows), batch_size=self._batch_size,
                               cancel=cancelled, **self._options).heatmaps.astype(np.float32)
                self._computed[rows.start] = heat
            if accs is None:
                accs = [dv.MeanAccumulator(self.num_classes, heat.shape[1:]) for _ in range(2)]
            self._accumulate(heat, rows, *accs, outside, small, scales)
            if progress is not None:
                progress(rows.stop, n)
        if accs is None:
            return
        self._heat_ready = True
        self._finish_heat(*accs, outside, small, scales)

    def _accumulate(self, heat, rows, true_acc, pred_acc, outside, small, scales):
        true_acc.add(heat, self._y[rows])
        pred_acc.add(heat, self.predicted[rows])
        if outside is not None:
            outside[rows] = dv.outside_mass(heat, self._masks[rows])
        if self._mode == "all":
            s, sc = dv.thumb_heatmaps(heat)
            small.append(s)
            scales.append(sc)

    def _finish_heat(self, true_acc, pred_acc, outside, small, scales):
        self._means = {"true": (true_acc.means(), true_acc.counts),
                       "predicted": (pred_acc.means(), pred_acc.counts)}
        self._outside = outside
        view = self.view
        with view.hold_sync():
            view.means = {
                which: dv.means_payload(m, c, self._mean_thumbs(which))
                for which, (m, c) in self._means.items()}
            view.sort_keys = self._keys_payload()
            view.key_info = self._key_info()
            if self._mode == "all":
                view.gallery = {"mode": "all", "ready": True, **dv.gallery_payload(
                    self._thumbs, np.concatenate(small), np.concatenate(scales))}
            else:
                view.gallery = {"mode": "page", "ready": True}

    def _mean_thumbs(self, which: str) -> np.ndarray:
        if self._thumb_means is not None:
            return self._thumb_means[which]
        labels = self._y if which == "true" else self.predicted
        means, _ = dv.class_means(self._thumbs.astype(np.float32), labels, self.num_classes)
        return np.round(means).astype(np.uint8)

    def _lazy_thumb_means(self) -> dict:
        """The class-mean thumbnails per true and per predicted class, from a lazy x read one
        chunk at a time (no thumbnail kept)."""
        accs = None
        for rows in self._chunks():
            small = dv.thumbnails(self._rows(rows)).astype(np.float32)
            if accs is None:
                accs = {w: dv.MeanAccumulator(self.num_classes, small.shape[1:])
                        for w in ("true", "predicted")}
            accs["true"].add(small, self._y[rows])
            accs["predicted"].add(small, self.predicted[rows])
        return {w: np.round(a.means()).astype(np.uint8) for w, a in accs.items()}

    def _page_thumbs(self, rows: np.ndarray) -> np.ndarray:
        """Thumbnails of these rows: kept ones, or (a lazy x, paged) made from x now."""
        if self._thumbs is not None:
            return self._thumbs[rows]
        order = np.unique(rows)  # ascending, as a Dask array is indexed best
        small = dv.thumbnails(self._adapter.validate_inputs(np.asarray(self._x[order].compute())))
        return small[np.searchsorted(order, rows)]

    def _explain_targets(self, rows) -> np.ndarray:
        """The unit each computed map explains: the predicted class; for a head with one unit
        (a sigmoid) that unit, whatever the prediction (the map of class 1's score)."""
        if self._adapter.num_classes == 1:
            return np.zeros(len(self.predicted[rows]), np.int64)
        return self.predicted[rows]

    def compute_heatmaps(self):
        """Compute the heatmaps not in a store in the background (again, after a cancel),
        with progress; ``wait()`` blocks until done. A finished store has none to compute."""
        if self._heat_ready:
            return
        self.view._run("heatmaps", self._heat_pass, lane="heatmaps", background=True)

    def heatmaps(self, rows=None) -> np.ndarray:
        """(len(rows), H, W) float32 heatmaps of these rows (all by default), at input
        resolution: from the store, or as computed here (waits for them)."""
        rows = np.arange(len(self._x)) if rows is None else np.asarray(rows, np.int64)
        if not self._heat_ready:
            self.wait()
        if not self._heat_ready:
            raise ExplainError("the heatmaps were not computed (cancelled or failed: see "
                               "w.view.error); w.compute_heatmaps() computes them again.")
        step = self._store.chunk if self._store is not None else CHUNK
        out = None
        for start in np.unique(rows // step * step):
            mine = np.flatnonzero(rows // step * step == start)
            local = rows[mine] - start
            if int(start) in self._computed:
                heat = self._computed[int(start)][local]
            else:
                heat = np.asarray(self._store["heatmaps"].oindex[int(start) + local], np.float32)
            if out is None:
                out = np.empty((len(rows), *heat.shape[1:]), np.float32)
            out[mine] = heat
        return out if out is not None else np.zeros((0, *self._x.shape[1:3]), np.float32)

    def _send_rows(self, rows):
        """The browser's page of a large data set: thumbnails and heatmaps of these rows."""
        rows = np.asarray([int(r) for r in rows if 0 <= int(r) < len(self._x)], np.int64)[:512]
        if not len(rows) or not self._heat_ready:
            return  # the heatmaps are not computed yet: never block the kernel waiting
        heat, scales = dv.thumb_heatmaps(self.heatmaps(rows))
        payload = dv.gallery_payload(self._page_thumbs(rows), heat, scales)
        meta = {name: {"dtype": p["dtype"], "shape": p["shape"]} for name, p in payload.items()}
        self.view.send({"type": "rows", "rows": [int(r) for r in rows], "arrays": meta},
                       [payload["thumbs"]["view"], payload["heatmaps"]["view"],
                        payload["scales"]["view"]])

    # -- what the view says ---------------------------------------------------------------
    def _keys_payload(self) -> dict:
        keys = {"confidence": array_payload(self.confidence),
                "loss": array_payload(self.loss)}
        if self._outside is not None:
            keys["outside"] = array_payload(self._outside)
        return keys

    def _key_info(self) -> dict:
        prob = self._adapter.value_kind == "probability"
        info = {
            "confidence": {"label": "confidence",
                           "unit": "probability" if prob else "score",
                           "title": ("the model's probability of the predicted class" if prob
                                     else "the model's score (logit) of the predicted class: "
                                     "not a probability")},
            "loss": {"label": "loss", "unit": "cross-entropy",
                     "title": "cross-entropy of the true class, -ln p(true class)"
                     + ("" if prob else ", p = softmax of the scores")},
        }
        if self._masks is not None:
            info["outside"] = {"label": "outside", "unit": "share",
                               "title": "share of the heatmap's |value| outside the object mask"}
        return info

    def _info(self) -> dict:
        method = get_method(self.method)
        source = (f"store {self._store.path!r}" if self._store is not None
                  else "computed in this kernel")
        if self._missing:
            source += (f", {len(self._missing)} of its {self._store.n_chunks} chunks not "
                       "written yet: computed in this kernel")
        return {"method": self.method, "label": method.label, "signed": bool(method.signed),
                "source": source, "n": int(len(self._x)),
                "value_kind": self._adapter.value_kind,
                "accuracy": float((self.predicted == self._y).mean()) if len(self._y) else 0.0,
                "embedding": self.embedding_method,
                "maps_of": ("the one unit's score (class 1)" if self._adapter.num_classes == 1
                            else "the predicted class" if np.array_equal(self.targets,
                                                                         self.predicted)
                            else "the store's targets")}

    # -- the scatter ----------------------------------------------------------------------
    def _scatter(self):
        import bqplot
        from bqplot.interacts import BrushSelector, LassoSelector, PanZoom

        k = self.num_classes
        xs, ys = bqplot.LinearScale(), bqplot.LinearScale()
        colors = [PALETTE[i % len(PALETTE)] for i in range(k)]
        cs = bqplot.OrdinalColorScale(colors=colors, domain=list(range(k)))
        e = self.embedding
        scatter = bqplot.Scatter(
            x=e[:, 0], y=e[:, 1], color=self._y, scales={"x": xs, "y": ys, "color": cs},
            default_size=14, stroke=None, opacities=[0.75],
            unselected_style={"opacity": 0.15}, selected_style={"opacity": 1.0},
            names=None, display_names=False)
        wrong = np.flatnonzero(self.predicted != self._y)
        mistakes = bqplot.Scatter(
            x=e[wrong, 0], y=e[wrong, 1], marker="cross", colors=["#111111"],
            default_size=36, scales={"x": xs, "y": ys}, display_legend=False)
        axes = [bqplot.Axis(scale=xs, label=f"{self.embedding_method} 1"),
                bqplot.Axis(scale=ys, side="left", label=f"{self.embedding_method} 2")]
        lasso = LassoSelector(marks=[scatter])
        modes = {"lasso": lasso, "brush": BrushSelector(x_scale=xs, y_scale=ys, marks=[scatter]),
                 "pan / zoom": PanZoom(scales={"x": [xs], "y": [ys]})}
        fig = bqplot.Figure(
            marks=[scatter, mistakes], axes=axes, interaction=lasso,
            title=f"Penultimate layer, {self.embedding_method}: colour = true class, "
                  "× = misclassified",
            layout=ipywidgets.Layout(width="460px", height="460px"),
            fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 10},
            title_style={"font-size": "12px"})
        toggle = ipywidgets.ToggleButtons(options=list(modes), value="lasso",
                                          description="Scatter:", style={"button_width": "84px"})
        toggle.observe(lambda change: setattr(fig, "interaction", modes[change["new"]]), "value")
        self._selectors = [modes["lasso"], modes["brush"]]
        self._scatter_parts = [fig, toggle, scatter, mistakes, *axes, xs, ys, cs, *modes.values()]
        return fig, scatter, toggle

    # -- Python API -----------------------------------------------------------------------
    @property
    def selection(self) -> np.ndarray:
        """The selected rows (a cell of the grid, or the scatter's lasso/brush)."""
        value = self.view.selection
        return np.asarray(value if value is not None else [], np.int64)

    @selection.setter
    def selection(self, rows):
        with self.view.hold_sync():
            self.view.selection = [int(r) for r in rows]
            self.view.cell = []
        self.scatter.selected = np.asarray(rows, np.int64)

    def select_cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Select one cell of the confusion matrix (as a click does); its rows."""
        rows = dv.cell_rows(self._y, self.predicted, true_class, predicted_class)
        with self.view.hold_sync():
            self.view.selection = [int(r) for r in rows]
            self.view.cell = [int(true_class), int(predicted_class)]
            self.view.page = 0
        return rows

    def gallery_rows(self) -> np.ndarray:
        """The selection in the gallery's order (``view.sort``, ``view.descending``)."""
        return dv.sorted_rows(self.selection, self._sort_values(self.view.sort),
                              self.view.descending)

    def _sort_values(self, key: str) -> np.ndarray:
        if key == "outside":
            if self._outside is None:
                raise ExplainError("sorting by the mass outside the object needs masks= (one "
                                   "object mask per image).")
            return self._outside
        return {"confidence": self.confidence, "loss": self.loss}[key]

    def class_means(self, by: str = "true") -> tuple[np.ndarray, np.ndarray]:
        """(K, H, W) the mean heatmap of each class (``by="true"`` or ``"predicted"``) at
        input resolution, and (K,) the rows averaged."""
        self.wait()
        if self._means is None:
            raise ExplainError("the heatmaps were not computed (cancelled or failed); "
                               "w.compute_heatmaps() computes them again.")
        return self._means[by]

    @property
    def outside_mass(self) -> np.ndarray | None:
        self.wait()
        return self._outside

    def wait(self, timeout: float | None = None) -> bool:
        return self.view.wait(timeout)

    def cancel(self):
        self.view.cancel()

    def close(self):
        """Close the view (its background work is cancelled) and the scatter's widgets."""
        if hasattr(self, "view"):
            self.view.close()
        for part in getattr(self, "_scatter_parts", []):
            part.close()
        super().close()

    # -- static picture -------------------------------------------------------------------
    def figure_mpl(self, dpi: int = 100):
        """Confusion matrix, embedding scatter and class-mean heatmaps as a matplotlib
        Figure (the bqplot scatter is live-only: this draws it for a static copy)."""
        import matplotlib.figure

        from ..plotting import draw_heatmap

        k = self.num_classes
        fig = matplotlib.figure.Figure(figsize=(11, 5.2 + 1.4), dpi=dpi, layout="constrained")
        grid = fig.add_gridspec(2, 2, height_ratios=[4, 1.3])
        ax = fig.add_subplot(grid[0, 0])
        rows = self.confusion.sum(axis=1, keepdims=True)
        ax.imshow(self.confusion / np.maximum(rows, 1), cmap="Blues", vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(self.confusion):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                        color="white" if count > 0.6 * max(rows[i, 0], 1) else "black")
        ax.set_xticks(range(k), self.class_names, rotation=90, fontsize=7)
        ax.set_yticks(range(k), self.class_names, fontsize=7)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(f"Confusion matrix (counts; colour = share of the true class), "
                     f"accuracy {(self.predicted == self._y).mean():.1%}", fontsize=9)
        ax = fig.add_subplot(grid[0, 1])
        e, wrong = self.embedding, self.predicted != self._y
        for c in range(k):
            m = self._y == c
            ax.scatter(e[m, 0], e[m, 1], s=6, color=PALETTE[c % len(PALETTE)],
                       label=self.class_names[c], alpha=0.7, linewidths=0)
        ax.scatter(e[wrong, 0], e[wrong, 1], s=18, marker="x", color="#222222",
                   linewidths=0.8, label="misclassified")
        ax.set_xlabel(f"{self.embedding_method} 1")
        ax.set_ylabel(f"{self.embedding_method} 2")
        ax.set_title(f"Penultimate layer ({self.embedding_method}), colour = true class",
                     fontsize=9)
        ax.legend(fontsize=6, markerscale=1.5, loc="best", ncol=2)
        if self._means is not None:
            means, counts = self._means["true"]
            sub = grid[1, :].subgridspec(1, k)
            vmax = float(np.abs(means).max()) or 1.0
            images = self._mean_thumbs("true")
            for c in range(k):
                ax = fig.add_subplot(sub[0, c])
                thumb = images[c]
                h, w = thumb.shape[:2]
                heat = dv._block_mean(means[c:c + 1])[0] / vmax
                draw_heatmap(ax, thumb.astype(np.float32), heat[:h, :w], signed=self._signed,
                             colormap=self.view.colormap, opacity=self.view.opacity)
                ax.set_title(f"{self.class_names[c]} (n={counts[c]})", fontsize=7)
                ax.axis("off")
            fig.supxlabel(f"Mean {get_method(self.method).label} heatmap per true class (one "
                          "colour scale for all classes), over the class's mean image",
                          fontsize=8)
        return fig

    def to_png(self, path=None, dpi: int = 100) -> bytes:
        """The confusion matrix, the scatter and the class-mean heatmaps (per true class) as
        PNG bytes (matplotlib); also written to ``path`` if given."""
        from ..plotting import figure_png

        return figure_png(self.figure_mpl(dpi), path)


def _lazy_array(x):
    """x as a Dask array when it is one (or a Zarr array, wrapped), else None: its rows are
    then read a chunk at a time (thumbnails, and the model only for what a store lacks)."""
    module = type(x).__module__ or ""
    if module.startswith("dask.array") or (type(x).__name__ == "Array" and hasattr(x, "dask")):
        if any(np.isnan(d) for d in x.shape):
            raise ExplainError(f"x is a Dask array of unknown shape {x.shape}; call "
                               "x.compute_chunk_sizes() first.")
        return x
    if module.startswith("zarr") and hasattr(x, "shape") and hasattr(x, "dtype"):
        import dask.array as da

        return da.from_array(x, chunks=(CHUNK, *x.shape[1:]))
    return None


def _has_umap() -> bool:
    import importlib.util

    return importlib.util.find_spec("umap") is not None
