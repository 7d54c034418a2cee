"""FeatureImportance: global importance, a local explanation and what-if sliders for a
tabular Keras model (classifier or regressor).

Two independent lanes of work, so that a quick what-if never cancels the long global one:
- "global": permutation importance (needs ``y``), mean |SHAP| over a sample of rows, and the
  global surrogates. Started in the background when the widget is made; progress and Cancel
  in the widget; ``global_importance`` waits for it.
- "local": predict and explain the what-if row (KernelSHAP, integrated gradients, gradient x
  input). Moving a slider asks for it; the newest request wins; results are cached.

Degenerate data (a model that predicts one class on the rows, one class in ``y``, constant
columns, one feature) show what can be computed; each part that cannot says why in plain
words: ``importance["reasons"]`` / ``surrogate["reason"]`` in the view, and in Python
``global_importance["permutation_reason"]`` and an ExplainError from ``surrogates``.

Sorting, top-k, the threshold, the importance kind and the local method are view-only: the
browser redraws them from data it has. The charts are drawn by the view (not bqplot, whose
0.13 frontend cannot be loaded in a notebook's HTML export; see layers.py).
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._encode import array_payload
from ..errors import Cancelled, ExplainError
from ..explainers import get_method
from ..explainers.tabular import (
    ROW_METHODS, explain_row, global_surrogates, is_classifier, mean_abs_shap,
    permutation_importance, sample_index)
from ..explainers.tabular import METRICS as PERMUTATION_METRICS, _resolve_groups
from ..models import adapt
from ..payloads import importance_view, row_methods_view, surrogate_view, top_classes
from ..tables import prepare_table
from ._base import ComputeWidget, bundle, check_target
from ._tabular_depth import TabularDepth
from ._cache import LRUCache

# What-if results, per widget: an entry (three methods' values per feature, the outputs) is
# 0.2 KB for 13 features, 0.5 KB for 30 (~17 bytes a feature), so 256 entries are ~0.1 MB;
# the byte budget only binds for wide tables (over ~4,000 features: 64 KB an entry).
CACHE_SIZE = 256
FAILED = "Could not be computed: the error is shown at the top of the widget."
NO_LABELS = ("Permutation importance needs the labels: pass y= (one label per row of X) to "
             "FeatureImportance.")
CACHE_BYTES = 16 * 2**20
MAX_ROWS = 2000  # rows of X used for permutation importance and the surrogates (a sample)


class FeatureImportance(TabularDepth, ComputeWidget):
    """Why a tabular model decided, and what if the inputs were different.

    >>> f = FeatureImportance(model, X, y=y, feature_names=names, instance=0)
    >>> f                          # inline in the notebook
    >>> f.global_importance        # dict of numpy arrays (waits for the computation)
    >>> f.instance_values          # the what-if values currently set
    >>> f.instance_values = [...]  # set from Python; the view follows

    ``X``: numpy array or pandas DataFrame (numeric and ``category`` columns). ``y``: the
    labels (class indices for a classifier, numbers for a regressor); without it there is no
    permutation importance. ``background``: rows (a seeded sample of X) that KernelSHAP fills
    missing features from; ``shap_rows``: rows averaged for the global mean |SHAP|;
    ``samples``: KernelSHAP coalitions beyond 11 features. ``output="probability"`` explains
    probabilities (``"logit"``: the scores before a final softmax/sigmoid).
    """

    _esm = bundle("feature_importance.js")
    _css = bundle("feature_importance.css")

    # data (sent once)
    feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    features = traitlets.List(traitlets.Dict()).tag(sync=True)
    task = traitlets.Unicode("classification").tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    instance_count = traitlets.Int(0).tag(sync=True)
    # what to explain (kernel work)
    instance = traitlets.Int(0).tag(sync=True)
    target = traitlets.Int(-1).tag(sync=True)  # -1: the class predicted for the instance
    original_values = traitlets.List(traitlets.Float()).tag(sync=True)
    instance_values = traitlets.List(traitlets.Float()).tag(sync=True)
    # results
    top_classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    local = traitlets.Dict().tag(sync=True)
    importance = traitlets.Dict().tag(sync=True)
    surrogate = traitlets.Dict().tag(sync=True)
    # view only (browser-side; synced back debounced)
    importance_kind = traitlets.Unicode("permutation").tag(sync=True)
    sort = traitlets.Unicode("importance").tag(sync=True)
    top_k = traitlets.Int(15).tag(sync=True)
    threshold = traitlets.Float(0.0).tag(sync=True)
    local_method = traitlets.Unicode("kernel_shap").tag(sync=True)
    height = traitlets.Int(860).tag(sync=True)  # explicit pixels: % heights collapse

    def __init__(self, model, X, y=None, *, feature_names=None, class_names=None, instance=0,
                 target=None, categorical="auto", background=50, shap_rows=50, samples=2048,
                 repeats=5, seed=0, output="probability", head=None, metric=None,
                 groups=None):
        # everything is checked before anything is computed
        self._adapter = adapt(model, output=output, head=head)
        table = prepare_table(X, feature_names, categorical)
        self._X = self._adapter.validate_inputs(table.X)
        if self._X.ndim != 2:
            raise ExplainError(
                f"FeatureImportance explains tabular models (input (N, features)); this model "
                f"expects {self._adapter.input_shape}. Use ImageExplainer for images.")
        classifier = is_classifier(self._adapter)
        self._y = None if y is None else self._check_labels(y, classifier)
        self._binary_names = None  # one sigmoid column: the names of classes 0 and 1
        if classifier and self._adapter.num_classes == 1 and class_names is not None \
                and len(class_names) == 2:
            self._binary_names = [str(c) for c in class_names]
            names = self._binary_names[1:]  # the column is the probability of class 1
        elif classifier:
            names = self._adapter.class_names(class_names)
        else:
            names = ["prediction"]
        for name, value, low in (("background", background, 1), ("shap_rows", shap_rows, 1),
                                 ("samples", samples, 2), ("repeats", repeats, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ExplainError(f"{name} must be an integer >= {low}, got {value!r}.")
        if target is not None:
            self._adapter.resolve_targets(target, 1, None)  # a clear error before computing
        # permutation importance: its metric ("accuracy", "log_loss", "r2" or a callable) and
        # groups of features shuffled together, {name: [feature names or indices]}
        if metric is not None and not callable(metric) and metric not in PERMUTATION_METRICS:
            raise ExplainError(f"unknown metric {metric!r}; valid: {list(PERMUTATION_METRICS)} "
                               "or a callable metric(y, outputs) -> float (higher is better).")
        self._metric = metric
        self._groups = groups
        _resolve_groups(groups, self._X.shape[1], table.names)  # a clear error now
        self._background = self._X[sample_index(len(self._X), int(background), seed)]
        self._shap_rows, self._samples = int(shap_rows), int(samples)
        self._repeats, self._seed = int(repeats), int(seed)
        self._local_cache = LRUCache(CACHE_SIZE, CACHE_BYTES)
        self._permutation = None  # PermutationImportance, computed once
        self._surrogates = None
        self._shap_global: dict[int, tuple] = {}  # target -> (mean |shap|, exp)
        # why a part cannot be computed on these data (plain words), instead of the result
        self._permutation_reason = None if self._y is not None else NO_LABELS
        self._surrogates_reason = None
        self._shap_reasons: dict[int, str] = {}
        self._quiet = False  # set while Python moves several traits that belong together
        self._original: tuple = (None, None)  # (instance, its scores)
        super().__init__(
            feature_names=table.names,
            features=[f.as_dict() for f in table.features],
            task="classification" if classifier else "regression",
            class_names=names,
            instance_count=len(self._X),
            importance_kind="permutation" if self._y is not None else "shap",
            top_k=min(15, len(table.names)),
        )
        self._quiet = True
        try:
            self.instance = self._check_instance(instance)
            if target is not None:
                self.target = int(target)  # validated by _validate_target
            self.original_values = self.instance_values = self._X[self.instance].tolist()
        finally:
            self._quiet = False
        self._run("local", self._local_work, lane="local")
        self.compute_global()
        self._start_depth()  # partial dependence of the first feature (_tabular_depth.py)

    # -- checks -------------------------------------------------------------------------
    def _check_labels(self, y, classifier: bool) -> np.ndarray:
        y = np.asarray(getattr(y, "values", y))
        if y.ndim != 1 or len(y) != len(self._X):
            raise ExplainError(f"y must hold one label per row of X: X has {len(self._X)} "
                               f"rows, y has shape {y.shape}.")
        if y.dtype.kind not in "biuf":
            raise ExplainError(
                f"y holds {y.dtype} labels (e.g. {y[0].item()!r}); pass class indices 0..K-1 in the "
                "order of the model's outputs (e.g. pd.factorize(y)[0]).")
        if not np.isfinite(y.astype(np.float64)).all():
            raise ExplainError("y contains NaN or infinite values; drop those rows first.")
        if classifier:
            k = max(self._adapter.num_classes, 2)
            if not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= k:
                raise ExplainError(
                    f"y must hold class indices 0..{k - 1} for this classifier; found values "
                    f"{np.unique(y)[:5].tolist()}.")
            return y.astype(np.int64)
        return y.astype(np.float64)

    def _check_instance(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ExplainError(f"instance must be a row number of X, got {value!r}.")
        if not 0 <= value < len(self._X):
            raise ExplainError(f"instance {value} is out of range: X has {len(self._X)} rows "
                               f"(0..{len(self._X) - 1}).")
        return int(value)

    @traitlets.validate("instance")
    def _validate_instance(self, proposal):
        try:
            return self._check_instance(proposal["value"])
        except ExplainError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.validate("target")
    def _validate_target(self, proposal):
        if self.task == "regression":
            if proposal["value"] not in (-1, 0):
                raise traitlets.TraitError("a regressor has one output: target must be -1 or 0.")
            return proposal["value"]
        return check_target(self._adapter, proposal["value"])

    @traitlets.validate("instance_values")
    def _validate_values(self, proposal):
        values = proposal["value"]
        n = len(self.feature_names)
        if len(values) != n:
            raise traitlets.TraitError(f"instance_values needs {n} values (one per feature), "
                                       f"got {len(values)}.")
        if not np.isfinite(values).all():
            raise traitlets.TraitError("instance_values must be finite numbers.")
        return [float(v) for v in values]

    # -- changes ------------------------------------------------------------------------
    @traitlets.observe("instance")
    def _instance_changed(self, change):
        if self._quiet:
            return
        self._quiet = True
        try:
            self.original_values = self.instance_values = self._X[self.instance].tolist()
        finally:
            self._quiet = False
        self._run("local", self._local_work, lane="local")
        if self.target == -1:  # the explained class may change with the instance
            self._run("global", self._global_work, lane="global", background=True)

    @traitlets.observe("instance_values")
    def _values_changed(self, change):
        if not self._quiet:
            self._run("local", self._local_work, lane="local")

    @traitlets.observe("target")
    def _target_changed(self, change):
        if self._quiet:
            return
        self._run("local", self._local_work, lane="local")
        self._run("global", self._global_work, lane="global", background=True)

    def _on_custom_message(self, widget, content, buffers):
        super()._on_custom_message(widget, content, buffers)
        if isinstance(content, dict) and content.get("type") == "compute_global":
            self.compute_global()
        elif isinstance(content, dict):
            self._depth_message(content)

    def compute_global(self):
        """(Re)compute the global importance and surrogates in the background."""
        self._run("global", self._global_work, lane="global", background=True)

    # -- reading back -------------------------------------------------------------------
    def resolved_target(self) -> int:
        """The class explained now: ``target``, or the instance's predicted class."""
        if self.target != -1:
            return self.target
        if self._adapter.num_classes == 1:  # a regressor, or one sigmoid column
            return 0
        return int(self._original_scores().argmax())

    def _original_scores(self) -> np.ndarray:
        """The explained scores of the instance as it is in the data (one model call per
        instance, then remembered)."""
        if self._original[0] != self.instance:
            self._original = (self.instance, self._adapter.scores(self._X[self.instance][None])[0])
        return self._original[1]

    def _global_done(self, target: int) -> bool:
        """Every global part is computed for ``target``, or known not to be computable."""
        return ((target in self._shap_global or target in self._shap_reasons)
                and (self._permutation is not None or self._permutation_reason is not None)
                and (self._surrogates is not None or self._surrogates_reason is not None))

    @property
    def global_importance(self) -> dict:
        """Permutation importance (mean, std over repeats) and mean |SHAP| per feature for the
        explained class; waits for the background computation.

        A part that cannot be computed on these data is None, with the reason in plain words
        beside it (``permutation_reason``: e.g. no ``y``, or a constant ``y`` for R²;
        ``shap_reason``). ``permutation_notes`` say what the numbers mean on degenerate data
        (y holds one class; a constant column's importance is 0 by construction)."""
        self.wait()
        target = self.resolved_target()
        if not self._global_done(target):
            self._run("global", self._global_work, lane="global", background=False)
        perm = self._permutation
        shap = self._shap_global.get(target)
        return {
            "feature_names": list(self.feature_names),
            "permutation_mean": None if perm is None else perm.mean.copy(),
            "permutation_std": None if perm is None else perm.std.copy(),
            "metric": None if perm is None else perm.metric,
            "baseline_score": None if perm is None else perm.baseline,
            "permutation_notes": [] if perm is None else list(perm.notes),
            # groups of features shuffled together (``groups=``); empty without
            "group_names": [] if perm is None else list(perm.group_names),
            "group_mean": None if perm is None or perm.group_mean is None
            else perm.group_mean.copy(),
            "group_std": None if perm is None or perm.group_std is None
            else perm.group_std.copy(),
            "permutation_reason": self._permutation_reason,
            "mean_abs_shap": None if shap is None else shap[0].copy(),
            "shap_reason": self._shap_reasons.get(target),
            "target": target,
        }

    @property
    def local_explanation(self) -> dict:
        """The explanation of ``instance_values`` shown now (numpy arrays)."""
        self.wait()
        key = self._local_key()
        if key not in self._local_cache:  # cancelled or failed: compute it now
            self._run("local", self._local_work, lane="local", background=False)
        if key not in self._local_cache:
            raise ExplainError(self.error or "the explanation could not be computed.")
        return self._local_cache[key]

    @property
    def surrogates(self):
        """The fitted global surrogates (:class:`~xai_widgets.explainers.tabular.Surrogates`).

        Raises ExplainError saying why when they cannot be fitted on these rows (e.g. the
        model predicts one class for all of them: nothing to imitate); never returns None."""
        self.wait()
        if self._surrogates is None and self._surrogates_reason is None:
            self._run("global", self._global_work, lane="global", background=False)
        if self._surrogates is None:
            raise ExplainError(self._surrogates_reason or self.error
                               or "the surrogates could not be fitted.")
        return self._surrogates

    # -- work ---------------------------------------------------------------------------
    def _local_key(self):
        return tuple(np.float32(self.instance_values).tolist()), self.resolved_target()

    def _local_work(self, progress, cancelled):
        key = self._local_key()
        values, target = key
        result = self._local_cache.get(key)
        if result is None:
            row = np.asarray(values, np.float32)
            result = explain_row(self._adapter, row, target, self._background,
                                 samples=self._samples, seed=self._seed, progress=progress,
                                 cancel=cancelled)
            result["outputs"] = self._adapter.to_outputs(self._adapter.scores(row[None]))[0]
            self._local_cache[key] = result
        original_scores = self._original_scores()
        original_outputs = self._adapter.to_outputs(original_scores[None])[0]
        name = self.class_names[target] if self.task == "classification" else ""
        methods = row_methods_view(result, ROW_METHODS)
        with self.hold_sync():
            if self.task == "classification":
                self.top_classes = top_classes(original_outputs, self.class_names,
                                               value_kind=self._adapter.value_kind,
                                               shown=result["outputs"])
            self.local = {
                "values": list(values), "target": target, "class_name": name,
                "score_label": self._score_label(name), "head": self._adapter.head_name,
                "value_kind": self._adapter.value_kind, "prediction": result["prediction"],
                "original_prediction": float(original_scores[target]),
                # the values are the data's row (not only: the prediction is the same)
                "as_in_data": bool(np.array_equal(np.float32(values), self._X[self.instance])),
                "outputs": array_payload(result["outputs"]),
                "original_outputs": array_payload(original_outputs),
                "methods": methods,
            }

    def _score_label(self, name: str) -> str:
        """What ``prediction`` is: "probability of 'malignant'", "logit of 'malignant'"
        (output="logit"), "score of 'cow'" (no softmax), "predicted value of 'price'"; with
        the head's name when the model has several."""
        adapter = self._adapter
        if adapter.is_regression:
            return f"predicted value of '{adapter.head_name}'"
        kind = adapter.score_kind  # what `prediction` is: the explained number
        word = "probability" if kind == "probability" else (
            "logit" if kind.startswith("logit") else "score")
        label = f"{word} of '{name}'"
        if len(adapter.head_names) > 1:
            label += f" (output '{adapter.head_name}')"
        return label

    def _release(self):
        shown = self._local_cache.get(self._local_key())  # what is shown stays readable
        self._local_cache.clear()
        if shown is not None:
            self._local_cache[self._local_key()] = shown

    def _global_work(self, progress, cancelled):
        target = self.resolved_target()
        shap_rows = self._X[sample_index(len(self._X), self._shap_rows, self._seed + 1)]
        index = sample_index(len(self._X), MAX_ROWS, self._seed + 2)
        rows = self._X[index]
        # progress over the stages, in model evaluations
        perm_cost = 0 if self._permutation is not None or self._permutation_reason else (
            (self._X.shape[1] + len(self._groups or {})) * self._repeats * len(rows))
        shap_cost = 0 if target in self._shap_global or target in self._shap_reasons else (
            len(shap_rows) * len(self._background) * min(self._samples + 2,
                                                         2 ** self._X.shape[1]))
        total = max(1, perm_cost + shap_cost)

        def stage(offset, cost):
            return lambda done, of: progress(offset + cost * done / max(of, 1), total)

        # Each part on its own: one that cannot be computed on these data (an ExplainError,
        # in plain words) keeps its reason and the others are still shown. An unexpected
        # failure is raised once the others are shown (the widget's error line says it).
        failures, failed = [], {}

        def attempt(part, compute):
            """(result, None), or (None, the reason); an unexpected failure's reason is only
            shown (FAILED), not kept: the next run tries again."""
            try:
                return compute(), None
            except Cancelled:
                raise
            except ExplainError as exc:
                return None, str(exc)
            except Exception as exc:  # noqa: BLE001 - raised below, after the others
                failures.append(exc)
                failed[part] = FAILED
                return None, None

        if perm_cost:
            self._permutation, self._permutation_reason = attempt(
                "permutation", lambda: permutation_importance(
                    self._adapter, rows, self._y[index], repeats=self._repeats,
                    seed=self._seed, progress=stage(0, perm_cost), cancel=cancelled,
                    feature_names=self.feature_names, class_names=self._rule_class_names(),
                    metric=self._metric, groups=self._groups))
        if shap_cost:
            shap, why = attempt("shap", lambda: mean_abs_shap(
                self._adapter, shap_rows, target, self._background, samples=self._samples,
                seed=self._seed, progress=stage(perm_cost, shap_cost), cancel=cancelled))
            if shap is not None:
                self._shap_global[target] = shap
            elif why:
                self._shap_reasons[target] = why
        if self._surrogates is None and self._surrogates_reason is None:
            self._surrogates, self._surrogates_reason = attempt(
                "surrogates", lambda: global_surrogates(
                    self._adapter, rows, feature_names=self.feature_names, seed=self._seed,
                    class_names=self._rule_class_names()))
        self._publish_global(target, failed)
        if failures:
            raise failures[0]

    def _rule_class_names(self):
        if self.task != "classification":
            return None
        if self._adapter.num_classes == 1:  # one sigmoid column: classes 0 and 1
            return self._binary_names or ["0", "1"]
        return self.class_names

    def _publish_global(self, target, failed=None):
        shap, exp = self._shap_global.get(target, (None, None))
        class_name = self.class_names[target] if self.task == "classification" else ""
        with self.hold_sync():
            self.importance = importance_view(
                shap, exp, self._permutation, class_name=class_name,
                rows=min(len(self._X), MAX_ROWS),
                reasons={"permutation": self._permutation_reason,
                         "shap": self._shap_reasons.get(target),
                         **{k: v for k, v in (failed or {}).items() if k != "surrogates"}})
            # one sigmoid column explains class 1; otherwise the target is the class
            self.surrogate = surrogate_view(
                self._surrogates, 1 if self._adapter.num_classes == 1 else target,
                reason=self._surrogates_reason or (failed or {}).get("surrogates"))

    # -- static picture -----------------------------------------------------------------
    def to_png(self, path=None, dpi: int = 120) -> bytes:
        """The current view (global bars with the chosen kind, sort, top-k and threshold; the
        local walk of the chosen method) as PNG bytes; also written to ``path`` if given."""
        import matplotlib.figure

        from ..plotting import figure_png, importance_bars, waterfall

        g = self.global_importance
        local = self.local_explanation
        names = self.feature_names
        fig = matplotlib.figure.Figure(figsize=(11, 0.32 * max(self.top_k, 12) + 1.6),
                                       dpi=dpi)
        left, right = fig.subplots(1, 2)
        if self.importance_kind == "permutation" and g["permutation_mean"] is not None:
            importance_bars(left, names, g["permutation_mean"], g["permutation_std"],
                            sort=self.sort, top_k=self.top_k, threshold=self.threshold,
                            title=f"{'rise' if g['metric'] == 'log_loss' else 'drop'} in "
                                  f"{g['metric']} when shuffled")
            if g["group_names"]:  # groups shuffled together, as under the browser's chart
                import textwrap

                left.set_xlabel(textwrap.fill("shuffled together: " + "; ".join(
                    f"{name} {m:.3g} ± {sd:.2g}" for name, m, sd in
                    zip(g["group_names"], g["group_mean"], g["group_std"])), 70), fontsize=8)
        elif g["mean_abs_shap"] is not None:
            importance_bars(left, names, g["mean_abs_shap"], sort=self.sort, top_k=self.top_k,
                            threshold=self.threshold, title="mean |SHAP value|")
        else:  # neither could be computed on these data: say why where the bars would be
            import textwrap

            left.axis("off")
            why = g["shap_reason"] or g["permutation_reason"] or "not computed"
            left.text(0.5, 0.5, textwrap.fill(why, 48), ha="center", va="center",
                      transform=left.transAxes)
        method = self.local_method if self.local_method in ROW_METHODS else "kernel_shap"
        entry = local[method]
        label = self.local.get("score_label", "prediction")
        waterfall(right, names, entry["values"], entry["base"], local["prediction"],
                  title=f"{get_method(method, 'tabular').label}: {label} {local['prediction']:.3g}")
        fig.tight_layout()
        return figure_png(fig, path)
