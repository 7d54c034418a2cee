"""What the DatasetExplorer shows, as pure functions: numpy in, numpy (or payload dicts) out.

* the confusion matrix and each cell's examples;
* per-example sort keys: confidence, loss (cross-entropy of the true class) and, where object
  masks exist, the share of the heatmap's mass outside the object;
* class-mean heatmaps per true and per predicted class (read chunk by chunk, so a store far
  larger than memory is averaged in one pass);
* the embedding: the penultimate layer's output (the input of the explained head's last
  weighted layer, also inside nested transfer-learning models), one batched compiled forward
  pass that also gives the outputs (``xw.explain_dataset`` writes it into its store), reduced
  to 2-D by PCA (UMAP when ``umap`` is importable; from a store's ``features``, the same
  PCA from a covariance merged chunk by chunk);
* thumbnails (uint8) and thumbnail heatmaps (float16 scaled to [-1, 1]) for the gallery.

Nothing here imports ipywidgets; the widget (``widgets/dataset.py``) assigns the results to
its traits.
"""

from __future__ import annotations

import numpy as np

from ._encode import array_payload
from .errors import Cancelled, ExplainError
from .models import _functional_graph, _is_model, _keras_only_scope, _output_producer

THUMB = 32  # thumbnails and their heatmaps: at most this many pixels a side
EPS = 1e-12  # probabilities are clipped here before the log of the loss


# -- predictions ------------------------------------------------------------------------------
def class_count(num_outputs: int) -> int:
    """Classes of a head with ``num_outputs`` units (one sigmoid or score unit: 2 classes)."""
    return max(2, int(num_outputs))


def probabilities(outputs: np.ndarray, value_kind: str) -> np.ndarray:
    """(N, K) class probabilities: the head's own when it ends in softmax/sigmoid
    (``value_kind == "probability"``), else the softmax (or, one unit, the sigmoid) of its
    scores. A single unit becomes two columns [1 - p, p]."""
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.shape[1] == 1:
        p = out[:, 0] if value_kind == "probability" else 1.0 / (1.0 + np.exp(-out[:, 0]))
        return np.stack([1.0 - p, p], axis=1)
    if value_kind == "probability":
        return out
    z = out - out.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predictions(outputs: np.ndarray, value_kind: str) -> np.ndarray:
    """(N,) int: the predicted class (argmax; one unit: p > 0.5, i.e. score > 0)."""
    return probabilities(outputs, value_kind).argmax(axis=1).astype(np.int64)


def confidence(outputs: np.ndarray, value_kind: str) -> np.ndarray:
    """(N,) the predicted class's output: its probability when the head gives probabilities,
    else its score (logit) as the model gives it (one unit: |score|, the distance from 0)."""
    out = np.asarray(outputs, dtype=np.float64)
    if value_kind == "probability":
        return probabilities(out, value_kind).max(axis=1)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.max(axis=1)
    return np.abs(out.reshape(len(out)))


def loss(outputs: np.ndarray, y: np.ndarray, value_kind: str) -> np.ndarray:
    """(N,) cross-entropy of the true class, -log p(y), with p the head's probabilities (or
    the softmax of its scores), clipped at 1e-12."""
    p = probabilities(outputs, value_kind)
    y = np.asarray(y, dtype=np.int64)
    return -np.log(np.clip(p[np.arange(len(y)), y], EPS, 1.0))


def confusion_matrix(y: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """(K, K) int64 counts: row = true class, column = predicted class."""
    matrix = np.zeros((k, k), np.int64)
    np.add.at(matrix, (np.asarray(y, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix


def cell_rows(y: np.ndarray, predicted: np.ndarray, true_class: int,
              predicted_class: int) -> np.ndarray:
    """The rows (ascending) of one cell of the confusion matrix."""
    return np.flatnonzero((np.asarray(y) == true_class)
                          & (np.asarray(predicted) == predicted_class))


def outside_mass(heatmaps, masks) -> np.ndarray:
    """(N,) the share of each heatmap's |value| that lies outside its object mask, in [0, 1]
    (0: all of it on the object; NaN where a map is zero everywhere). Heatmaps and masks are
    (N, H, W) at the same resolution."""
    heat = np.abs(np.asarray(heatmaps, dtype=np.float64))
    masks = np.asarray(masks, dtype=bool)
    total = heat.sum(axis=(1, 2))
    outside = (heat * ~masks).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, outside / np.where(total > 0, total, 1), np.nan)


def sorted_rows(rows, values: np.ndarray, descending: bool = True) -> np.ndarray:
    """``rows`` ordered by ``values[row]`` (largest first when ``descending``), ties by row
    number, rows whose value is NaN last: the gallery's order (js/src/dataset, same rule)."""
    rows = np.asarray(rows, np.int64)
    v = np.asarray(values, np.float64)[rows]
    nan = np.isnan(v)
    key = np.where(nan, 0.0, -v if descending else v)
    return rows[np.lexsort((rows, key, nan))]


class MeanAccumulator:
    """Class means of maps arriving in chunks (rows, labels): sums and counts per class."""

    def __init__(self, k: int, shape: tuple):
        self.sums = np.zeros((k, *shape), np.float64)
        self.counts = np.zeros(k, np.int64)

    def add(self, maps: np.ndarray, labels: np.ndarray):
        labels = np.asarray(labels, np.int64)
        np.add.at(self.sums, labels, np.asarray(maps, np.float64))
        self.counts += np.bincount(labels, minlength=len(self.counts))

    def means(self) -> np.ndarray:
        """(K, *shape) float32; a class without rows is zero (its count says so)."""
        counts = np.maximum(self.counts, 1).reshape(-1, *([1] * (self.sums.ndim - 1)))
        return (self.sums / counts).astype(np.float32)


def class_means(maps: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, ...) the mean map of each class's rows, and (K,) how many rows each has."""
    acc = MeanAccumulator(k, np.shape(maps)[1:])
    acc.add(maps, labels)
    return acc.means(), acc.counts


# -- thumbnails ------------------------------------------------------------------------------
def thumb_index(height: int, width: int, side: int = THUMB) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns sampled for a thumbnail of at most ``side`` a side: every
    ``factor``-th pixel (the centre of each block that ``thumb_heatmaps`` averages, so a
    thumbnail and its heatmap have the same size)."""
    factor = max(1, -(-max(height, width) // side))
    h, w = max(1, height // factor), max(1, width // factor)
    return np.arange(h) * factor + factor // 2, np.arange(w) * factor + factor // 2


def thumbnails(x: np.ndarray, side: int = THUMB) -> np.ndarray:
    """(N, h, w, C) uint8, C = 1 (grey) or 3: each image min-max scaled to 0..255 (as the
    other views show inputs), sampled down to at most ``side`` pixels a side."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    rows, cols = thumb_index(x.shape[1], x.shape[2], side)
    small = x[:, rows][:, :, cols]
    if small.shape[-1] not in (1, 3):
        small = small[..., :3] if small.shape[-1] > 3 else small.mean(axis=-1, keepdims=True)
    lo = small.min(axis=(1, 2, 3), keepdims=True)
    hi = small.max(axis=(1, 2, 3), keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.round((small - lo) / span * 255 * (hi > lo)).astype(np.uint8)


def thumb_heatmaps(heatmaps: np.ndarray, side: int = THUMB) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps at thumbnail size (block means): (N, h, w) float16 scaled to [-1, 1] by each
    map's own max |value|, and (N,) float32 those scales (0 for a map zero everywhere)."""
    heat = _block_mean(np.nan_to_num(np.asarray(heatmaps, dtype=np.float32)), side)
    scales = np.abs(heat).max(axis=(1, 2)) if len(heat) else np.zeros(0, np.float32)
    scaled = heat / np.where(scales > 0, scales, 1.0)[:, None, None]
    return scaled.astype(np.float16), scales.astype(np.float32)


# -- embedding -------------------------------------------------------------------------------
def _last_weighted(graph, index: int = 0):
    """(the nested models to descend into, outermost first; the last layer with weights on
    the path to output ``index`` of ``graph``): steps into nested models and back over
    weightless layers (Activation, Softmax, Dropout, Reshape...). (path, None) if none."""
    path, op = [], _output_producer(graph, index)
    while op is not None:
        if _is_model(op):
            inner = _functional_graph(op)
            if inner is None or len(inner.outputs) != 1:
                return path, None
            path.append(op)
            op = _output_producer(inner, 0)
            continue
        if op.weights:
            return path, op
        nodes = getattr(op, "_inbound_nodes", None) or []
        parents = [t._keras_history.operation for t in (nodes[0].input_tensors if nodes else [])]
        op = parents[0] if len(parents) == 1 else None
    return path, None


def penultimate_function(adapter):
    """A compiled function x -> (the head's outputs as ``adapter.outputs`` gives them, the
    input of the head's last weighted layer flattened to (N, D)): one forward pass for both.
    Kept in ``adapter.functions`` (compiled once, never retraced)."""
    import tensorflow as tf

    def build():
        if adapter.graph is None:
            raise ExplainError(
                f"{type(adapter.model).__name__} is a subclassed model: its penultimate layer "
                "cannot be reached for the embedding. Build it with the Sequential or "
                "functional API.")
        descend, last = _last_weighted(adapter.graph, adapter.head_index)
        if last is None:
            raise ExplainError("the explained head has no layer with weights to take the "
                               "embedding from (the input of its last Dense or Conv layer).")
        descend_ids = {id(op) for op in descend}

        def run(model, x, seen):
            graph = _functional_graph(model)

            def operation_fn(op):
                def call(*args, **kwargs):
                    if "training" in getattr(op, "_call_context_args", ()):
                        kwargs["training"] = False
                    if op is last:
                        seen.append(args[0])
                    if id(op) in descend_ids:
                        out = run(op, args[0], seen)
                        if isinstance(out, (list, tuple)) and len(out) == 1:
                            out = out[0]
                        return out
                    with _keras_only_scope(op):
                        return op(*args, **kwargs)

                return call

            return graph._run_through_graph([x], operation_fn=operation_fn)

        def features_fn(xb):
            seen = []
            out = adapter._head_of(run(adapter.model, xb, seen))
            feats = tf.reshape(tf.cast(seen[0], tf.float32), (tf.shape(xb)[0], -1))
            return tf.cast(out, tf.float32), feats

        return adapter.compile(features_fn, [adapter.input_spec()])

    return adapter.function("dataset_features", build)


def forward(adapter, x: np.ndarray, batch_size: int = 256, progress=None,
            cancelled=None) -> tuple[np.ndarray, np.ndarray]:
    """(outputs (N, K) float32 as the head gives them, penultimate features (N, D) float32)
    of every row, batched."""
    fn = penultimate_function(adapter)
    outs, feats = [], []
    for start in range(0, len(x), batch_size):
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        out, feat = fn(x[start:start + batch_size])
        outs.append(np.asarray(out).reshape(len(out), -1))
        feats.append(np.asarray(feat))
        if progress is not None:
            progress(min(len(x), start + batch_size), len(x))
    if not outs:
        return np.zeros((0, 1), np.float32), np.zeros((0, 1), np.float32)
    return np.concatenate(outs), np.concatenate(feats)


def embed_2d(features: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """(N, 2) float32 coordinates of the features, and the method's name: UMAP when the
    ``umap`` package is importable, else PCA (scikit-learn), both seeded."""
    features = np.asarray(features, dtype=np.float32)
    n, d = features.shape
    if n < 3 or d < 2:  # nothing to reduce: the features themselves, padded
        out = np.zeros((n, 2), np.float32)
        out[:, :min(d, 2)] = features[:, :2]
        return out, "features"
    try:
        import umap  # optional

        return (umap.UMAP(n_components=2, random_state=seed).fit_transform(features)
                .astype(np.float32), "UMAP")
    except ImportError:
        pass
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(features).astype(np.float32), "PCA"


COVARIANCE_MAX_D = 4096  # wider features: IncrementalPCA (a D x D covariance would not fit)


def embed_2d_chunks(chunks, seed: int = 0) -> tuple[np.ndarray, str]:
    """(N, 2) float32 PCA coordinates of features that arrive in chunks, and "PCA":
    ``chunks()`` returns an iterable of (n_i, D) blocks in row order and is called twice (fit,
    then transform), so the N rows of features never sit in memory at once.

    Up to ``COVARIANCE_MAX_D`` features: the exact PCA, from the mean and the D x D scatter
    matrix merged chunk by chunk (Chan et al.'s pairwise update, float64), its two leading
    eigenvectors signed as scikit-learn's PCA signs them (each one's largest |entry|
    positive), so the result is scikit-learn's PCA of all rows. Wider: scikit-learn's
    IncrementalPCA (approximate; a block of fewer than 2 rows is fitted with its neighbour)."""
    n, d, mean, scatter, incremental, held = 0, 0, None, None, None, None
    for block in chunks():
        block = np.asarray(block, np.float64)
        d = block.shape[1]
        if d < 2:
            n += len(block)
            break  # nothing to reduce (embed_2d below)
        if d > COVARIANCE_MAX_D:
            if incremental is None:
                from sklearn.decomposition import IncrementalPCA

                incremental = IncrementalPCA(n_components=2)
            n += len(block)
            if held is None:
                held = block
            elif len(held) < 2 or len(block) < 2:
                held = np.concatenate([held, block])
            else:
                incremental.partial_fit(held)
                held = block
            continue
        if not len(block):
            continue
        m = block.mean(axis=0)
        centred = block - m
        s = centred.T @ centred
        if n == 0:
            n, mean, scatter = len(block), m, s
        else:
            total = n + len(block)
            delta = m - mean
            scatter = scatter + s + np.outer(delta, delta) * (n * len(block) / total)
            mean = mean + delta * (len(block) / total)
            n = total
    if d < 2 or n < 3:
        return embed_2d(np.concatenate([np.asarray(b, np.float32) for b in chunks()]), seed)
    if incremental is not None:
        incremental.partial_fit(held)
        out = [incremental.transform(np.asarray(block, np.float32)) for block in chunks()]
        return np.concatenate(out).astype(np.float32), "PCA"
    _, vectors = np.linalg.eigh(scatter)  # eigenvalues ascending
    components = vectors[:, ::-1][:, :2]
    signs = np.sign(components[np.abs(components).argmax(axis=0), [0, 1]])
    components = components * np.where(signs == 0, 1.0, signs)
    out = [(np.asarray(block, np.float64) - mean) @ components for block in chunks()]
    return np.concatenate(out).astype(np.float32), "PCA"


# -- payloads --------------------------------------------------------------------------------
def gallery_payload(thumbs: np.ndarray, heat: np.ndarray, scales: np.ndarray) -> dict:
    """Thumbnails (uint8), their heatmaps (float16 in [-1, 1]) and scales (float32), binary."""
    return {"thumbs": array_payload(thumbs, "uint8"), "heatmaps": array_payload(heat, "float16"),
            "scales": array_payload(scales, "float32")}


def means_payload(means: np.ndarray, counts: np.ndarray, images: np.ndarray) -> dict:
    """Class-mean heatmaps at thumbnail size with one shared scale (so classes compare: float16
    in [-1, 1], times ``scale``), the class-mean thumbnail under each (uint8) and the number
    of rows averaged."""
    raw = _block_mean(means) if len(means) else np.zeros((0, 1, 1), np.float32)
    scale = float(np.abs(raw).max()) if raw.size else 0.0
    scaled = raw / scale if scale > 0 else raw
    return {"heatmaps": array_payload(scaled, "float16"), "scale": scale,
            "images": array_payload(images, "uint8"), "counts": [int(c) for c in counts]}


def _block_mean(maps: np.ndarray, side: int = THUMB) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float32)
    n, height, width = maps.shape
    factor = max(1, -(-max(height, width) // side))
    if factor == 1:
        return maps
    h, w = height // factor, width // factor
    return maps[:, :h * factor, :w * factor].reshape(n, h, factor, w, factor).mean(axis=(2, 4))
