"""Explanations recorded while a model trains: the numbers behind ``TrainingMonitor``.

Pure computation (no widgets): probes are checked, explained at an epoch in one call of the
method's compiled function, and collected into a history with drift (Spearman rank
correlation of each probe's heatmap with the previous recorded epoch's, and with the final
one's). ``save_history`` / ``load_history`` write it to one ``.npz`` file.

Only image probes for now: tabular rows and texts will follow once their explainers take
probes (``check_probes`` says so).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .errors import ExplainError
from .explainers.base import Runner, get_method, methods

MAX_PROBES = 32
FORMAT = 1  # the .npz layout's version


def check_probes(probe_x, probe_y=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Probes as a float32 image batch (N, H, W[, C]) with N <= 32, and their labels
    ((N,) ints, or None); a clear ExplainError otherwise. The model is not known yet: its
    own check (``ModelAdapter.validate_inputs``) comes when training starts."""
    if isinstance(probe_x, (str, bytes)) or (
            isinstance(probe_x, (list, tuple)) and probe_x and isinstance(probe_x[0], str)):
        raise ExplainError(
            "TrainingMonitor takes image probes for now; texts will come once the text "
            "explainer takes probes. Pass a few images (N, H, W[, C]).")
    x = np.asarray(probe_x)
    if x.dtype == object or x.dtype.kind not in "biuf":
        raise ExplainError(f"probe_x must be a numeric array of images, got dtype {x.dtype}.")
    if x.ndim == 2:
        raise ExplainError(
            f"probe_x has shape {x.shape}: rows of a table. TrainingMonitor takes image probes "
            "for now (N, H, W[, C]); tabular rows will come once their explainers take "
            "probes.")
    if x.ndim not in (3, 4):
        raise ExplainError(
            f"probe_x has shape {x.shape}; TrainingMonitor takes a batch of images "
            "(N, H, W) or (N, H, W, C).")
    if not 1 <= len(x) <= MAX_PROBES:
        raise ExplainError(
            f"probe_x has {len(x)} images; a TrainingMonitor follows 1 to {MAX_PROBES} probes "
            f"(pick a few, e.g. probe_x[:{min(16, MAX_PROBES)}]).")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ExplainError("probe_x contains NaN or infinite values; replace them first.")
    y = None
    if probe_y is not None:
        y = np.asarray(probe_y)
        if y.ndim == 2 and y.shape[1] > 1:  # one-hot labels
            y = y.argmax(axis=1)
        y = y.reshape(-1) if y.ndim == 2 else y
        if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iuf" or (
                y.dtype.kind == "f" and not np.all(y == np.round(y))):
            raise ExplainError(
                f"probe_y must be one class index per probe ({len(x)} ints, or one-hot rows); "
                f"got shape {np.shape(probe_y)}.")
        y = y.astype(np.int64)
    return x, y


def check_method(method: str, options: dict) -> dict:
    """The method must explain images; its options are checked now, before any training."""
    if method not in methods(kind="image"):
        get_method(method)  # an unknown name: the registry's own message
        raise ExplainError(
            f"{method!r} does not explain images; TrainingMonitor offers "
            f"{sorted(methods(kind='image'))}.")
    return get_method(method, "image").resolve_options(dict(options))


def check_model(adapter, x: np.ndarray, y: np.ndarray | None, class_names) -> tuple:
    """Probes, labels and names against the model, before training starts: the validated
    probes, the class names and the kind of the recorded probabilities."""
    try:
        x = adapter.validate_inputs(x)
    except ExplainError as exc:
        raise ExplainError(f"The probes do not fit the model: {exc}") from None
    if adapter.value_kind == "value":
        raise ExplainError(
            f"the output {adapter.head_name!r} is a regression head (one unit without a final "
            "sigmoid); TrainingMonitor follows classifiers (their probabilities over epochs).")
    classes = 2 if adapter.num_classes == 1 else adapter.num_classes
    if y is not None and ((y < 0) | (y >= classes)).any():
        bad = int(y[(y < 0) | (y >= classes)][0])
        raise ExplainError(
            f"probe_y has class {bad}, but the model has {classes} classes (0..{classes - 1}).")
    names = adapter.class_names(class_names)
    if adapter.num_classes == 1:  # one sigmoid unit: its probability is class 1's
        names = ["not " + names[0], names[0]] if class_names is None or len(class_names) != 2 \
            else [str(n) for n in class_names]
    kind = "probability" if adapter.value_kind == "probability" else "softmax"
    return x, names, kind


def probabilities(adapter, logits: np.ndarray) -> np.ndarray:
    """(N, C) class probabilities from the explained scores: the model's own (softmax or
    sigmoid as [1 - p, p]); for a model that ends in logits, their softmax."""
    logits = np.asarray(logits, dtype=np.float64)
    if adapter.num_classes == 1:
        p = 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
        return np.stack([1.0 - p, p], axis=1).astype(np.float32)
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def explain_probes(adapter, method: str, x: np.ndarray, targets: np.ndarray | None,
                   options: dict) -> dict:
    """Every probe explained at the model's current weights, in one call of the method's
    compiled function (for methods with one evaluation per input: ``batch_size`` = N).

    Returns {heatmaps (N, H, W), logits (N, K), targets (N,), seconds}. The same
    computation as ``xw.explain(model, x, method, target=targets, **options)``."""
    spec = get_method(method, "image")
    options = dict(options)
    batch_size = options.pop("batch_size", None) or len(x)
    want = (np.full(len(x), -1, np.int32) if targets is None
            else np.asarray(targets, np.int32))
    start = time.perf_counter()
    logits = None
    if not spec.own_scores:  # the method needs the scores first (one more forward pass)
        logits = adapter.scores(x)
        if targets is None:
            want = logits.argmax(axis=-1).astype(np.int32)
    runner = Runner(batch_size, logits=logits)
    result = spec.compute(adapter, x, want, runner, **options)
    if spec.own_scores:
        logits, want = result.pop("logits"), result.pop("targets").astype(np.int32)
    return {"heatmaps": np.asarray(result["heatmaps"], np.float32),
            "logits": np.asarray(logits, np.float32).reshape(len(x), -1),
            "targets": np.asarray(want, np.int64),
            "signed": bool(result.get("signed", spec.signed)),
            "seconds": time.perf_counter() - start}


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    from scipy.stats import rankdata

    return rankdata(values, axis=-1).astype(np.float64)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of each pair of maps: (N, H, W) x (N, H, W) -> (N,).
    NaN where a map is constant (no ranking to compare)."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    ra, rb = _ranks(a), _ranks(b)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / denom
    return np.where(denom > 0, rho, np.nan).astype(np.float32)


class Recording:
    """What a monitor has recorded: one entry per recorded epoch, logs for every epoch."""

    def __init__(self, probes: np.ndarray, labels: np.ndarray | None, method: str,
                 options: dict, class_names: list[str] | None = None,
                 probability_kind: str = "probability"):
        self.probes = probes
        self.labels = labels
        self.method = method
        self.options = options
        self.class_names = class_names
        self.probability_kind = probability_kind  # "probability" | "softmax" (of logits)
        self.epochs: list[int] = []
        self.heatmaps: list[np.ndarray] = []
        self.probabilities: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self.seconds: list[float] = []
        self.log_epochs: list[int] = []
        self.logs: dict[str, list[float]] = {}
        self._previous: list[np.ndarray] = []  # drift with the previous epoch, kept as it comes

    def add(self, epoch: int, heatmaps, probs, targets, seconds: float):
        """Record ``epoch`` (a second record of the same epoch replaces the first)."""
        if self.epochs and self.epochs[-1] == epoch:
            for seq in (self.epochs, self.heatmaps, self.probabilities, self.targets,
                        self.seconds, self._previous):
                seq.pop()
        prev = (rank_correlation(heatmaps, self.heatmaps[-1]) if self.heatmaps
                else np.full(len(heatmaps), np.nan, np.float32))
        self.epochs.append(int(epoch))
        self.heatmaps.append(np.asarray(heatmaps, np.float32))
        self.probabilities.append(np.asarray(probs, np.float32))
        self.targets.append(np.asarray(targets, np.int64))
        self.seconds.append(float(seconds))
        self._previous.append(prev)

    def add_logs(self, epoch: int, logs: dict | None):
        """Loss and metrics of one epoch (every epoch, recorded or not)."""
        names = sorted(set(self.logs) | set(logs or {}))
        for name in names:
            series = self.logs.setdefault(name, [float("nan")] * len(self.log_epochs))
            value = (logs or {}).get(name)
            try:
                series.append(float(value))
            except (TypeError, ValueError):
                series.append(float("nan"))
        self.log_epochs.append(int(epoch))

    def drift_final(self) -> np.ndarray:
        if not self.heatmaps:
            return np.zeros((0, len(self.probes)), np.float32)
        last = self.heatmaps[-1]
        return np.stack([rank_correlation(h, last) for h in self.heatmaps])

    def history(self) -> dict:
        n = len(self.probes)
        empty = (0, n)
        heat = (np.stack(self.heatmaps) if self.heatmaps
                else np.zeros(empty + self.probes.shape[1:3], np.float32))
        probs = (np.stack(self.probabilities) if self.probabilities
                 else np.zeros(empty + (len(self.class_names or ()),), np.float32))
        return {
            "epochs": np.asarray(self.epochs, np.int64),
            "heatmaps": heat,
            "probabilities": probs,
            "targets": np.stack(self.targets) if self.targets else np.zeros(empty, np.int64),
            "predicted": probs.argmax(axis=-1) if probs.shape[-1] else np.zeros(empty, np.int64),
            "drift": np.stack(self._previous) if self._previous else np.zeros(empty, np.float32),
            "drift_final": self.drift_final(),
            "logs": {"epoch": np.asarray(self.log_epochs, np.int64),
                     **{k: np.asarray(v, np.float64) for k, v in self.logs.items()}},
            "seconds": np.asarray(self.seconds, np.float64),
            "method": self.method,
            "probability_kind": self.probability_kind,
        }

    # -- files ----------------------------------------------------------------------------
    def save(self, path) -> Path:
        path = Path(path)
        h = self.history()
        meta = {"format": FORMAT, "method": self.method,
                "options": {k: v for k, v in self.options.items()
                            if isinstance(v, (int, float, str, bool, type(None)))},
                "class_names": self.class_names, "probability_kind": self.probability_kind,
                "log_names": sorted(self.logs)}
        arrays = {"probes": self.probes, "epochs": h["epochs"], "heatmaps": h["heatmaps"],
                  "probabilities": h["probabilities"], "targets": h["targets"],
                  "drift": h["drift"], "seconds": h["seconds"],
                  "log_epochs": h["logs"]["epoch"],
                  "meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
        if self.labels is not None:
            arrays["labels"] = self.labels
        for i, name in enumerate(meta["log_names"]):
            arrays[f"log_{i}"] = h["logs"][name]
        with open(path, "wb") as f:  # np.savez would add ".npz" to a name without it
            np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path) -> "Recording":
        try:
            data = np.load(Path(path), allow_pickle=False)
            meta = json.loads(bytes(data["meta"]).decode())
        except (OSError, KeyError, ValueError) as exc:
            raise ExplainError(f"{path} is not a TrainingMonitor recording ({exc}).") from None
        if meta.get("format") != FORMAT:
            raise ExplainError(f"{path}: recording format {meta.get('format')} is not "
                               f"supported (this version reads {FORMAT}).")
        rec = cls(data["probes"], data["labels"] if "labels" in data else None,
                  meta["method"], meta["options"], meta["class_names"],
                  meta["probability_kind"])
        for i, epoch in enumerate(data["epochs"]):
            rec.epochs.append(int(epoch))
            rec.heatmaps.append(data["heatmaps"][i])
            rec.probabilities.append(data["probabilities"][i])
            rec.targets.append(data["targets"][i])
            rec.seconds.append(float(data["seconds"][i]))
            rec._previous.append(data["drift"][i])
        rec.log_epochs = [int(e) for e in data["log_epochs"]]
        rec.logs = {name: [float(v) for v in data[f"log_{i}"]]
                    for i, name in enumerate(meta["log_names"])}
        return rec
