"""How the prediction changes with one feature: partial dependence, ICE and ALE.

* **Partial dependence** (Friedman 2001): PD_j(v) = mean over rows i of f(x_i with x_ij = v),
  on a grid of values v. The rows' own curves are the **ICE** curves (Goldstein et al. 2015);
  PD is their mean. PD answers "what if every row had x_j = v?", which, where features are
  correlated, asks the model about rows that do not exist.
* **Accumulated local effects** (Apley & Zhu 2020): the feature's range is cut into bins at
  quantiles; in each bin, the rows that fall in it are moved to its two edges and the score
  differences averaged; the averages are accumulated and centred (the mean effect over the
  rows is 0). Only rows near each value are used, so ALE stays on the data where PD
  extrapolates.

Both evaluate the model in large batches through one compiled scores function (the one
every tabular method shares; no retracing for other row counts). The score is the one
``explain`` uses: ``output="probability"`` (default here, as in permutation importance) for
classifiers, a regression head's value otherwise; ``score`` names it.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..errors import ExplainError
from ..models import adapt
from ..tables import prepare_table
from .base import Runner
from .tabular import is_classifier

# Model rows per compiled call: tabular rows are tiny, the cost is per call (see tabular.py).
ROWS_PER_CALL = 32768
PERCENTILES = (0.05, 0.95)  # the grid's span, as scikit-learn's partial_dependence


@dataclasses.dataclass
class PartialDependence:
    """One feature's partial dependence.

    ``grid`` (G,) the values the feature is set to; ``average`` (G,) the PD curve;
    ``individual`` (N, G) the ICE curves (None for ``kind="average"``); ``values`` (N,) the
    rows' own values of the feature (to mark where the data is); ``categorical``: draw bars,
    ``labels`` the categories' names; ``target`` the class (or output column) explained and
    ``score`` what the numbers are ("probability of class 'x'", "score of class 'x'",
    "predicted value").
    """

    feature: str
    index: int
    grid: np.ndarray
    average: np.ndarray
    individual: np.ndarray | None
    values: np.ndarray
    categorical: bool
    labels: list[str] | None
    target: int
    score: str
    rows: int
    seconds: float


@dataclasses.dataclass
class AccumulatedLocalEffects:
    """One feature's ALE: ``edges`` (K+1,) the bins' edges, ``effect`` (K+1,) the centred
    accumulated effect at each edge, ``counts`` (K,) rows per bin; ``score`` and ``target``
    as in :class:`PartialDependence`; ``notes`` say what to keep in mind (e.g. categories
    taken in the order of their codes)."""

    feature: str
    index: int
    edges: np.ndarray
    effect: np.ndarray
    counts: np.ndarray
    target: int
    score: str
    rows: int
    seconds: float
    notes: list[str] = dataclasses.field(default_factory=list)


class _Setup:
    """What PD and ALE both need: the adapter, the rows, the features, the target."""

    def __init__(self, model, X, target, output, head, feature_names, categorical, rows,
                 seed, class_names=None):
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.adapter = adapt(model, output=output, head=head)
        table = prepare_table(X, feature_names, categorical)
        self.names, self.features = table.names, table.features
        self.X = self.adapter.validate_inputs(table.X)
        if self.X.ndim != 2:
            raise ExplainError(f"partial dependence and ALE explain tabular models (rows of "
                               f"features); this model's input is {self.X.shape[1:]}.")
        self.total_rows = len(self.X)
        if rows is not None:
            if not isinstance(rows, (int, np.integer)) or rows < 1:
                raise ExplainError(f"rows must be a positive int (a sample of X), got {rows!r}.")
            if rows < len(self.X):
                pick = np.sort(np.random.default_rng(seed).choice(len(self.X), rows, False))
                self.X = self.X[pick]
        self.classifier = is_classifier(self.adapter)
        self.target = self._target(target)
        self.score = self._score_name()

    def _target(self, target) -> int:
        k = self.adapter.num_classes
        if target is None:
            if k == 1:
                return 0
            scores = self.adapter.scores(self.X[:ROWS_PER_CALL], ROWS_PER_CALL)
            return int(np.bincount(scores.argmax(axis=1), minlength=k).argmax())
        if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
            raise ExplainError(f"target must be a class index (int), got {target!r}.")
        if not 0 <= int(target) < k:
            raise ExplainError(f"target {target} is out of range: the model has {k} output "
                               f"column(s) (0..{k - 1}).")
        return int(target)

    def _score_name(self) -> str:
        if not self.classifier:
            return "predicted value"
        kind = self.adapter.score_kind  # "probability", "logit (before softmax)", "output"
        kind = {"output": "score"}.get(kind, kind.split(" (")[0])
        k = 1 if self.adapter.num_classes == 1 else self.target
        if self.class_names is not None and k < len(self.class_names):
            return f"{kind} of '{self.class_names[k]}'"
        return f"{kind} of class {k}"

    def index(self, feature) -> int:
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
            if not 0 <= int(feature) < len(self.names):
                raise ExplainError(f"feature index {feature} is out of range (there are "
                                   f"{len(self.names)} features).")
            return int(feature)
        if isinstance(feature, str) and feature in self.names:
            return self.names.index(feature)
        raise ExplainError(f"unknown feature {feature!r}; the features are {self.names} "
                           "(or their indices).")

    def evaluate(self, rows: np.ndarray, runner: Runner) -> np.ndarray:
        """The target's score for (M, D) rows, in large compiled calls."""
        out = np.empty(len(rows), np.float32)
        for start, stop in runner.chunks(len(rows), ROWS_PER_CALL):
            scores = self.adapter.scores(rows[start:stop], ROWS_PER_CALL)
            out[start:stop] = scores[:, self.target]
        return out


def _features(setup: _Setup, feature):
    many = isinstance(feature, (list, tuple))
    chosen = list(feature) if many else [feature]
    if feature is None:
        many, chosen = True, list(range(len(setup.names)))
    return many, [setup.index(f) for f in chosen]


def _grid(values: np.ndarray, grid, categorical: bool, levels) -> np.ndarray:
    if categorical:
        return np.asarray(levels, np.float32)
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        if grid < 2:
            raise ExplainError(f"grid must be at least 2 points, got {grid}.")
        unique = np.unique(values)
        if len(unique) <= grid:
            return unique.astype(np.float32)
        low, high = np.percentile(values, [100 * p for p in PERCENTILES])
        if low == high:
            return unique.astype(np.float32)
        return np.linspace(low, high, int(grid)).astype(np.float32)
    values = np.asarray(grid, np.float32).ravel()
    if values.size < 1 or not np.isfinite(values).all():
        raise ExplainError("grid must be a number of points or an array of finite values.")
    return values


def partial_dependence(model, X, feature=None, grid=20, kind: str = "both", target=None, *,
                       output: str = "probability", head=None, feature_names=None,
                       categorical="auto", rows: int | None = None, seed: int = 0,
                       class_names=None, progress=None, cancel=None):
    """Partial dependence (and ICE curves) of the model's score on one feature or several.

    feature: a name (DataFrame column or ``feature_names``) or index; a list of them, or None
        (every feature), returns a dict ``{name: PartialDependence}``, all in one pass.
    grid: the number of points (evenly spaced between the 5th and 95th percentiles of the
        feature, or its unique values when there are fewer), or the values themselves.
        Categorical features (see ``xai_widgets.tables``) use their categories: draw bars.
    kind: "average" (PD only), "individual" (ICE only; ``average`` still holds their mean)
        or "both".
    target: the class explained (default: the class the model predicts most often on X);
        ``class_names`` name it in ``score`` ("probability of 'malignant'").
    rows: explain a seeded sample of this many rows of X (default: all of them).
    """
    if kind not in ("average", "individual", "both"):
        raise ExplainError(f"kind must be 'average', 'individual' or 'both', got {kind!r}.")
    start = time.perf_counter()
    setup = _Setup(model, X, target, output, head, feature_names, categorical, rows, seed,
                   class_names)
    many, indices = _features(setup, feature)
    x = setup.X
    plans = []
    for j in indices:
        info = setup.features[j]
        categorical_j = info.kind == "categorical"
        plans.append((j, _grid(x[:, j], grid, categorical_j, info.values), categorical_j))
    runner = Runner(ROWS_PER_CALL, progress, cancel)
    runner.plan(sum(len(g) for _, g, _ in plans) * len(x))
    out = {}
    for j, values, categorical_j in plans:
        ice = np.empty((len(x), len(values)), np.float32)
        step = max(1, ROWS_PER_CALL // len(values))  # rows per call: a block of (rows, grid)
        for start in range(0, len(x), step):
            block = np.repeat(x[start:start + step, None, :], len(values), axis=1)  # (n, G, D)
            block[:, :, j] = values[None, :]
            ice[start:start + step] = setup.evaluate(block.reshape(-1, x.shape[1]),
                                                     runner).reshape(-1, len(values))
        info = setup.features[j]
        out[setup.names[j]] = PartialDependence(
            feature=setup.names[j], index=j, grid=values, average=ice.mean(axis=0),
            individual=None if kind == "average" else ice, values=x[:, j].copy(),
            categorical=categorical_j, labels=info.labels if categorical_j else None,
            target=setup.target, score=setup.score, rows=len(x),
            seconds=time.perf_counter() - start)
    return out if many else next(iter(out.values()))


def accumulated_local_effects(model, X, feature, bins: int = 20, target=None, *,
                              output: str = "probability", head=None, feature_names=None,
                              categorical="auto", rows: int | None = None, seed: int = 0,
                              class_names=None, progress=None,
                              cancel=None) -> AccumulatedLocalEffects:
    """Accumulated local effects of one feature (Apley & Zhu 2020), first order.

    bins: the number of quantile bins (fewer when the feature has fewer distinct values:
        then each distinct value is an edge). The effect at the edges is centred so that its
        mean over the rows is 0. Two model evaluations per row (at its bin's two edges), in
        one batched pass.
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ExplainError(f"bins must be a positive int, got {bins!r}.")
    start = time.perf_counter()
    setup = _Setup(model, X, target, output, head, feature_names, categorical, rows, seed,
                   class_names)
    j = setup.index(feature)
    x = setup.X
    values = x[:, j]
    # edges are values the feature takes (quantiles rounded down to one): a discrete
    # feature's edges are its levels, never a value between two of them
    edges = np.unique(np.quantile(values, np.linspace(0, 1, int(bins) + 1), method="lower"))
    notes = []
    if setup.features[j].kind == "categorical":
        notes.append(f"{setup.names[j]!r} is categorical: its categories are taken in the "
                     "order of their codes, which ALE assumes is meaningful.")
    if len(edges) < 2:
        raise ExplainError(f"feature {setup.names[j]!r} has one value in these rows "
                           f"({float(edges[0]):.4g}): it has no effect to accumulate.")
    k = len(edges) - 1
    # bin b (1..k) holds the values in (edges[b-1], edges[b]]; the lowest value joins bin 1
    which = np.clip(np.searchsorted(edges, values, side="left"), 1, k)
    low, high = x.copy(), x.copy()
    low[:, j], high[:, j] = edges[which - 1], edges[which]
    runner = Runner(ROWS_PER_CALL, progress, cancel)
    runner.plan(2 * len(x))
    scores = setup.evaluate(np.concatenate([low, high]), runner)
    diff = (scores[len(x):] - scores[:len(x)]).astype(np.float64)
    counts = np.bincount(which - 1, minlength=k)
    sums = np.bincount(which - 1, weights=diff, minlength=k)
    local = np.divide(sums, counts, out=np.zeros(k), where=counts > 0)
    accumulated = np.concatenate([[0.0], np.cumsum(local)])
    # centre: the mean over the rows of the effect, each row at its bin's middle
    middle = (accumulated[:-1] + accumulated[1:]) / 2
    effect = accumulated - (counts * middle).sum() / counts.sum()
    return AccumulatedLocalEffects(
        feature=setup.names[j], index=j, edges=edges, effect=effect.astype(np.float32),
        counts=counts, target=setup.target, score=setup.score, rows=len(x),
        seconds=time.perf_counter() - start, notes=notes)
