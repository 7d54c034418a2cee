"""The FeatureImportance's answers to "how does the prediction change with one feature?"
(partial dependence, ICE, ALE) and "what is the smallest change that flips this decision?"
(counterfactuals). A mixin: FeatureImportance keeps the data, the adapter and the lanes.

* ``effect_feature`` (a feature's name) asks for its curves, in the "effects" lane: PD and ALE
  over all rows of X, and the ICE curves (a seeded sample of ``ICE_SHOWN`` rows is sent for
  drawing), cached per (feature, class); the current what-if row's own curve is computed
  again when its values change (a grid's worth of rows).
* ``find_counterfactuals()`` (the view's "Find" button sends ``compute_counterfactuals``)
  searches from the current what-if values, in the "counterfactuals" lane, with progress and
  Cancel; ``locked`` names the features that must not change.
* Where the model is wrong (needs ``y``), in the "errors" lane, on every row of X: a
  classifier's confusion matrix (a cell's rows on request: ``error_cell`` message,
  ``error_rows`` trait, at most ``CELL_ROWS`` listed), a regressor's residuals against its
  predictions (a seeded sample of ``RESIDUALS_SHOWN`` points drawn, statistics over all).
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._encode import array_payload
from ..errors import ExplainError
from ..explainers.counterfactual_search import Counterfactuals, counterfactuals
from ..explainers.effects import accumulated_local_effects, partial_dependence
from ..explainers.tabular import predicted_classes

ICE_SHOWN = 40  # ICE curves sent to the view (a seeded sample of the rows)
GRID = 20
CF_SHOWN = 3
CELL_ROWS = 200  # rows of a confusion-matrix cell listed in the view
RESIDUALS_SHOWN = 2000  # points of the residual plot (a seeded sample of the rows)
ROWS_PER_CALL = 32768


class TabularDepth(traitlets.HasTraits):
    effect_feature = traitlets.Unicode("").tag(sync=True)
    effects = traitlets.Dict().tag(sync=True)
    counterfactual = traitlets.Dict().tag(sync=True)
    locked = traitlets.List(traitlets.Unicode()).tag(sync=True)
    errors = traitlets.Dict().tag(sync=True)
    error_rows = traitlets.Dict().tag(sync=True)

    # -- started by FeatureImportance.__init__ ------------------------------------------
    def _start_depth(self):
        self._effects_cache: dict = {}  # (feature, target) -> (PartialDependence, ALE)
        self._counterfactuals: Counterfactuals | None = None
        self._decisions = None  # (decision per row, confidence per row), once computed
        self._run("errors", self._errors_work, lane="errors", background=True)
        if not self.effect_feature:
            self._quiet = True  # computed below, in the background: the constructor stays fast
            try:
                self.effect_feature = self.feature_names[0]
            finally:
                self._quiet = False
        self._run("effects", self._effects_work, lane="effects", background=True)

    @traitlets.validate("effect_feature")
    def _validate_effect_feature(self, proposal):
        if proposal["value"] not in self.feature_names:
            raise traitlets.TraitError(f"effect_feature must be one of the features "
                                       f"{list(self.feature_names)}, got {proposal['value']!r}.")
        return proposal["value"]

    @traitlets.validate("locked")
    def _validate_locked(self, proposal):
        unknown = [n for n in proposal["value"] if n not in self.feature_names]
        if unknown:
            raise traitlets.TraitError(f"locked names unknown features {unknown}; the features "
                                       f"are {list(self.feature_names)}.")
        return list(dict.fromkeys(proposal["value"]))

    @traitlets.observe("effect_feature", "instance_values", "target")
    def _effects_inputs_changed(self, change):
        if getattr(self, "_effects_cache", None) is None or self._quiet:
            return
        self._run("effects", self._effects_work, lane="effects")

    def _depth_message(self, content: dict):
        if content.get("type") == "error_cell":
            self.show_error_cell(content.get("true"), content.get("predicted"))
        elif content.get("type") == "compute_counterfactuals":
            desired = content.get("desired")
            locked = content.get("locked")
            if locked is not None:
                self.locked = [str(n) for n in locked]
            self._run("counterfactuals",
                      lambda progress, cancelled: self._counterfactual_work(
                          None if desired in (None, -1) else int(desired), progress, cancelled),
                      lane="counterfactuals")

    # -- reading back ---------------------------------------------------------------------
    @property
    def feature_effects(self) -> dict:
        """The shown feature's curves: ``{"pd": PartialDependence, "ale":
        AccumulatedLocalEffects}`` (waits for the computation)."""
        self.wait()
        key = (self.effect_feature, self.resolved_target())
        if key not in self._effects_cache:
            self._run("effects", self._effects_work, lane="effects", background=False)
        pd, ale = self._effects_cache[key]
        return {"pd": pd, "ale": ale}

    def find_counterfactuals(self, desired=None, n: int = CF_SHOWN) -> Counterfactuals:
        """Counterfactuals of the current what-if values (features in ``locked`` kept), shown
        in the view; ``desired``: a class index (default: any other class)."""
        self.wait()
        self._run("counterfactuals",
                  lambda progress, cancelled: self._counterfactual_work(desired, progress,
                                                                        cancelled, n),
                  lane="counterfactuals", background=False)
        if self._counterfactuals is None:
            raise ExplainError(self.error or "the counterfactuals could not be computed.")
        return self._counterfactuals

    def show_error_cell(self, true, predicted) -> np.ndarray:
        """The rows of X whose label is ``true`` and whose predicted class is ``predicted``
        (listed in the view, at most CELL_ROWS, most confident first); returns all of them."""
        if self._y is None:
            raise ExplainError(self.errors.get("reason") or "the labels y are needed.")
        if self._decisions is None:  # waits for the errors lane only

            self._run("errors", self._errors_work, lane="errors", background=False)
        k = len(self._error_class_names())
        for name, value in (("true", true), ("predicted", predicted)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not 0 <= value < k:
                raise ExplainError(f"{name} must be a class index 0..{k - 1}, got {value!r}.")
        decided, confidence = self._decisions
        rows = np.flatnonzero((self._y == true) & (decided == predicted))
        order = rows[np.argsort(-confidence[rows], kind="stable")]
        shown = order[:CELL_ROWS]
        names = self._error_class_names()
        self.error_rows = {
            "true": int(true), "predicted": int(predicted), "true_name": names[int(true)],
            "predicted_name": names[int(predicted)], "count": int(len(rows)),
            "index": array_payload(shown.astype(np.float32)),
            "confidence": array_payload(confidence[shown]), "shown": int(len(shown)),
            "confidence_label": self._confidence_label(),
        }
        return rows

    # -- work ---------------------------------------------------------------------------
    def _error_class_names(self) -> list[str]:
        if self._adapter.num_classes == 1:
            return self._binary_names or ["0", "1"]
        return list(self.class_names)

    def _confidence_label(self) -> str:
        kind = self._adapter.value_kind
        return "probability" if kind == "probability" else "score"

    def _errors_work(self, progress, cancelled):
        if self._y is None:
            self.errors = {"reason": "Where the model is wrong needs the labels: pass y= (one "
                                     "label per row of X) to FeatureImportance."}
            return
        parts = []
        for start in range(0, len(self._X), ROWS_PER_CALL):
            if cancelled():
                return
            parts.append(self._adapter.scores(self._X[start:start + ROWS_PER_CALL],
                                              ROWS_PER_CALL))
            progress(min(start + ROWS_PER_CALL, len(self._X)), len(self._X))
        scores = np.concatenate(parts)
        if self.task != "classification":
            self._decisions = (scores[:, 0], np.zeros(len(scores), np.float32))
            self.errors = residuals_view(scores[:, 0].astype(np.float64), self._y)
            return
        decided = predicted_classes(self._adapter, scores)
        outputs = self._adapter.to_outputs(scores)
        if outputs.shape[1] == 1:  # one sigmoid column: the probability of the class decided
            p1 = outputs[:, 0]
            confidence = np.where(decided == 1, p1, 1 - p1).astype(np.float32)
        else:
            confidence = outputs[np.arange(len(outputs)), decided].astype(np.float32)
        self._decisions = (decided, confidence)
        names = self._error_class_names()
        k = len(names)
        matrix = np.zeros((k, k), np.float32)
        np.add.at(matrix, (self._y.astype(np.int64), decided.astype(np.int64)), 1)
        self.errors = {"kind": "classification", "matrix": array_payload(matrix),
                       "class_names": names, "rows": int(len(self._X)),
                       "accuracy": float(np.trace(matrix) / max(1, matrix.sum()))}

    def _effect_options(self, names: bool = False) -> dict:
        head = self._adapter.head_name if len(self._adapter.head_names) > 1 else None
        extra = {"class_names": self._error_class_names()} if names and \
            self.task == "classification" else {}
        return {**extra, "output": self._adapter.output, "head": head,
                "feature_names": list(self.feature_names),
                "categorical": [f["name"] for f in self.features if f["kind"] == "categorical"]}

    def _effects_work(self, progress, cancelled):
        feature, target = self.effect_feature, self.resolved_target()
        key = (feature, target)
        model = self._adapter.model
        if key not in self._effects_cache:
            options = self._effect_options(names=True)
            pd = partial_dependence(model, self._X, feature, grid=GRID, target=target,
                                    progress=progress, cancel=cancelled, **options)
            try:
                ale = accumulated_local_effects(model, self._X, feature, bins=GRID,
                                                target=target, **options)
            except ExplainError as exc:  # e.g. a constant feature: PD stands alone
                ale = str(exc)
            self._effects_cache[key] = (pd, ale)
        pd, ale = self._effects_cache[key]
        row = np.asarray(self.instance_values, np.float32)
        own = np.repeat(row[None], len(pd.grid), axis=0)
        own[:, pd.index] = pd.grid
        own_curve = self._adapter.scores(own)[:, target]
        self.effects = effects_view(pd, ale, own_curve, float(row[pd.index]),
                                    self._score_label(self.class_names[target]
                                                      if self.task == "classification" else ""))

    def _counterfactual_work(self, desired, progress, cancelled, n: int = CF_SHOWN):
        self._counterfactuals = None
        row = np.asarray(self.instance_values, np.float32)
        found = counterfactuals(self._adapter.model, self._X, row, desired=desired, n=n,
                                immutable=list(self.locked), progress=progress,
                                cancel=cancelled, **self._effect_options())
        self._counterfactuals = found
        self.counterfactual = counterfactual_view(found, self._decision_label)

    def _decision_label(self, decision) -> str:
        if self.task != "classification":
            return f"{float(decision):.4g}"
        names = (self._binary_names or ["0", "1"]) if self._adapter.num_classes == 1 \
            else list(self.class_names)
        return names[int(decision)]


def effects_view(pd, ale, own_curve: np.ndarray, own_value: float, score_label: str) -> dict:
    """The curves as binary payloads: PD, a sample of ICE curves, the what-if row's own
    curve, ALE (centred: drawn shifted onto the PD's mean, and said so)."""
    rng = np.random.default_rng(0)
    ice = pd.individual
    shown = np.sort(rng.choice(len(ice), min(ICE_SHOWN, len(ice)), replace=False))
    view = {
        "feature": pd.feature, "index": pd.index, "categorical": pd.categorical,
        "labels": pd.labels or [], "score_label": score_label, "rows": pd.rows,
        "grid": array_payload(pd.grid), "pd": array_payload(pd.average),
        "ice": array_payload(ice[shown]), "ice_shown": int(len(shown)),
        "own": array_payload(own_curve), "value": own_value,
    }
    if isinstance(ale, str):
        view["ale_reason"] = ale
    else:
        view.update(ale_edges=array_payload(ale.edges), ale=array_payload(ale.effect),
                    ale_notes=list(ale.notes))
    return view


def residuals_view(prediction: np.ndarray, y: np.ndarray) -> dict:
    """A regressor's residuals (y - prediction): statistics over all rows, a seeded sample of
    points (prediction, residual) with their row indices for the plot."""
    residual = y - prediction
    rng = np.random.default_rng(0)
    shown = np.sort(rng.choice(len(y), min(RESIDUALS_SHOWN, len(y)), replace=False))
    total = ((y - y.mean()) ** 2).sum()
    return {
        "kind": "regression", "rows": int(len(y)), "shown": int(len(shown)),
        "points": array_payload(np.stack([prediction[shown], residual[shown]], axis=1)),
        "index": array_payload(shown.astype(np.float32)),
        "rmse": float(np.sqrt((residual ** 2).mean())), "mae": float(np.abs(residual).mean()),
        "r2": float(1 - (residual ** 2).sum() / total) if total > 0 else None,
    }


def counterfactual_view(found: Counterfactuals, label) -> dict:
    return {
        "rows": array_payload(found.rows.reshape(len(found), -1)) if len(found) else None,
        "count": len(found),
        "instance": array_payload(found.instance),
        "changed": [list(c) for c in found.changed],
        "distance": [float(d) for d in found.distance],
        "sparsity": [int(s) for s in found.sparsity],
        "valid": [bool(v) for v in found.valid],
        "predictions": [label(p) for p in found.predictions],
        "original": label(found.original),
        "desired": None if found.desired is None else (
            label(found.desired) if not isinstance(found.desired, tuple) else
            f"{found.desired[0]:g} to {found.desired[1]:g}"),
        "notes": list(found.notes),
        "seconds": found.seconds,
    }
