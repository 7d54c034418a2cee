"""Counterfactuals: the smallest changes to a row that change the model's decision.

A counterfactual of ``instance`` is a row the model decides differently (the ``desired``
class, any other class, or a value inside a desired interval for a regression), that stays
within the features' ``ranges`` (the data's by default), keeps ``immutable`` features as they
are, gives whole-number features whole numbers and categorical features one of their
categories. Its **distance** to the instance is the L1 distance on features scaled by their
median absolute deviation (MAD, Wachter et al. 2017), a changed category counting 1; its
**sparsity** is the number of features it changes.

The search is batched: every step evaluates all its candidate rows in one compiled call.

1. Candidates: the data's own rows that the model decides as desired (with the locked
   features set back to the instance's), and ``samples`` random sparse edits of the
   instance (1 to 3 features set to values drawn from the data's column).
   Besides, greedy paths: from the instance, each step makes the one single-feature change
   (to a quantile of the data, or a category) that moves the decision most towards the
   desired one, until it changes; ``GREEDY_BEAM`` paths, each started by another feature.
2. Each valid candidate is made sparse (changed features are put back to the instance's
   value, the one that saves the most distance first, while the decision stays changed),
   then moved towards the instance along the line between them (the smallest step that
   keeps the decision), then made sparse again.
3. ``n`` are returned: first those no other beats on both distance and the number of
   features changed (the closest, the sparsest and the trade-offs between), then the
   closest, preferring different sets of changed features; every one returned has been
   checked with the model (``valid``).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..errors import ExplainError
from ..models import adapt
from ..tables import prepare_table
from .base import Runner
from .tabular import is_classifier, predicted_classes

ROWS_PER_CALL = 32768
REFINE = 48  # candidates refined (the closest valid ones)
LINE_STEPS = 24  # points on the line from the instance to a candidate
GREEDY_BEAM = 8  # greedy paths, each started by another feature
GREEDY_STEPS = 8  # features a greedy path may change


@dataclasses.dataclass
class Counterfactuals:
    """``rows`` (n, D) the counterfactual rows (model inputs, float32); ``changed`` the names
    of the features each changes; ``distance`` (n,) L1 over MAD-scaled features (a category
    change counts 1); ``sparsity`` (n,) how many features each changes; ``valid`` (n,) the
    model's decision on the row is the desired one (checked); ``predictions`` (n,) the
    decision on each (class index, or value for a regression); ``source`` "data" (started
    from a row of the data) or "search" (from a random edit of the instance).
    ``original``: the decision on the instance; ``desired``: what was asked; ``notes``: why
    fewer than ``n`` came back, if they did. ``frame()``: a pandas DataFrame."""

    instance: np.ndarray
    rows: np.ndarray
    changed: list[list[str]]
    distance: np.ndarray
    sparsity: np.ndarray
    valid: np.ndarray
    predictions: np.ndarray
    source: list[str]
    feature_names: list[str]
    original: float
    desired: object
    seconds: float
    notes: list[str] = dataclasses.field(default_factory=list)
    categories: dict = dataclasses.field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self):
        """A pandas DataFrame: the instance's row first, then one row per counterfactual,
        with its feature values (categories by name) and distance, sparsity, changed
        features, validity, decision and source."""
        import pandas as pd

        def named(row):
            out = {}
            for j, name in enumerate(self.feature_names):
                if j in self.categories:
                    values, labels = self.categories[j]
                    out[name] = labels[values.index(float(row[j]))]
                else:
                    out[name] = float(row[j])
            return out

        records = [{**named(self.instance), "distance": 0.0, "sparsity": 0, "changed": "",
                    "valid": False, "prediction": self.original, "source": "instance"}]
        for i, row in enumerate(self.rows):
            records.append({**named(row), "distance": float(self.distance[i]),
                            "sparsity": int(self.sparsity[i]),
                            "changed": ", ".join(self.changed[i]),
                            "valid": bool(self.valid[i]), "prediction": self.predictions[i],
                            "source": self.source[i]})
        return pd.DataFrame.from_records(records)


class _Problem:
    """The instance, the constraints, the distance and the model's decision."""

    def __init__(self, model, X, instance, desired, immutable, ranges, output, head,
                 feature_names, categorical):
        self.adapter = adapt(model, output=output, head=head)
        table = prepare_table(X, feature_names, categorical)
        self.names, self.features = table.names, table.features
        self.X = self.adapter.validate_inputs(table.X)
        if self.X.ndim != 2:
            raise ExplainError("counterfactuals are for tabular models (rows of features); "
                               f"this model's input is {self.X.shape[1:]}.")
        d = self.X.shape[1]
        self.x = self._instance(instance, d)
        self.categorical = np.array([f.kind == "categorical" for f in self.features])
        self.integer = np.array([f.kind == "numeric" and np.all(self.X[:, j] == np.round(
            self.X[:, j])) for j, f in enumerate(self.features)])
        self.locked = np.zeros(d, bool)
        for f in immutable or ():
            self.locked[self._index(f, "immutable")] = True
        self.low, self.high = self.X.min(axis=0), self.X.max(axis=0)
        for f, bounds in (ranges or {}).items():
            j = self._index(f, "ranges")
            try:
                lo, hi = (float(b) for b in bounds)
            except (TypeError, ValueError):
                raise ExplainError(f"ranges[{f!r}] must be (low, high), got {bounds!r}.") from None
            if not lo <= hi:
                raise ExplainError(f"ranges[{f!r}] = {bounds!r}: low must be <= high.")
            self.low[j], self.high[j] = lo, hi
        median = np.median(self.X, axis=0)
        mad = np.median(np.abs(self.X - median), axis=0)
        std = self.X.std(axis=0)
        # a feature with MAD 0 (mostly one value) is scaled by its std, or 1 when constant
        self.scale = np.where(mad > 0, mad, np.where(std > 0, std, 1.0)).astype(np.float64)
        self.classifier = is_classifier(self.adapter)
        self.original = self.decide(self.x[None])[0]
        self.desired = self._desired(desired)

    def _instance(self, instance, d) -> np.ndarray:
        if isinstance(instance, (int, np.integer)) and not isinstance(instance, bool):
            if not -len(self.X) <= instance < len(self.X):
                raise ExplainError(f"instance {instance} is not a row of X ({len(self.X)} rows).")
            return self.X[int(instance)].copy()
        row = np.asarray(instance, dtype=np.float32).reshape(-1)
        if row.shape != (d,):
            raise ExplainError(f"instance must be a row index of X or a row of {d} features, "
                               f"got shape {np.shape(instance)}.")
        if not np.isfinite(row).all():
            raise ExplainError("instance has NaN or infinite values.")
        return row

    def _index(self, feature, where: str) -> int:
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
            if 0 <= feature < len(self.names):
                return int(feature)
        elif str(feature) in self.names:
            return self.names.index(str(feature))
        raise ExplainError(f"{where} names an unknown feature {feature!r}; the features are "
                           f"{self.names}.")

    def _desired(self, desired):
        if not self.classifier:
            if desired is None:
                raise ExplainError(
                    "this model is a regression (one output, no final sigmoid): say which "
                    "values count as a changed decision, desired=(low, high).")
            try:
                lo, hi = (float(v) for v in desired)
            except (TypeError, ValueError):
                raise ExplainError(f"desired must be (low, high) for a regression, got "
                                   f"{desired!r}.") from None
            if lo <= self.original <= hi:
                raise ExplainError(f"the model already predicts {self.original:.4g} for this "
                                   f"instance, inside desired=({lo:g}, {hi:g}).")
            return (lo, hi)
        k = max(2, self.adapter.num_classes)
        if desired is None:
            return None
        if isinstance(desired, bool) or not isinstance(desired, (int, np.integer)) \
                or not 0 <= desired < k:
            raise ExplainError(f"desired must be a class index 0..{k - 1} (or None: any other "
                               f"class), got {desired!r}.")
        if int(desired) == int(self.original):
            raise ExplainError(f"the model already predicts class {int(desired)} for this "
                               "instance: ask for another class, or desired=None.")
        return int(desired)

    def scores(self, rows: np.ndarray, runner: Runner | None = None) -> np.ndarray:
        """(M, K) explained scores of the rows, in large compiled calls."""
        out = []
        for start in range(0, len(rows), ROWS_PER_CALL):
            out.append(self.adapter.scores(rows[start:start + ROWS_PER_CALL], ROWS_PER_CALL))
            if runner is not None:
                runner.done += min(ROWS_PER_CALL, len(rows) - start)
                if runner.progress is not None:
                    runner.progress(runner.done, max(runner.total, runner.done))
                runner._check_cancel()
        k = self.adapter.num_classes
        return np.concatenate(out) if out else np.empty((0, k), np.float32)

    def decisions_of(self, scores: np.ndarray) -> np.ndarray:
        if self.classifier:
            return predicted_classes(self.adapter, scores).astype(np.float64)
        return scores[:, 0].astype(np.float64)

    def decide(self, rows: np.ndarray, runner: Runner | None = None) -> np.ndarray:
        return self.decisions_of(self.scores(rows, runner))

    def margin(self, scores: np.ndarray) -> np.ndarray:
        """How far past the desired decision each row is (> 0: reached), on the scores."""
        s = scores.astype(np.float64)
        if not self.classifier:
            lo, hi = self.desired
            return np.minimum(s[:, 0] - lo, hi - s[:, 0])
        if s.shape[1] == 1:  # one sigmoid column: class 1 above the cut
            cut = 0.5 if self.adapter.score_kind == "probability" else 0.0
            towards_one = s[:, 0] - cut
            return towards_one if self.original == 0 else -towards_one
        orig = int(self.original)
        if self.desired is None:
            others = np.delete(s, orig, axis=1)
            return others.max(axis=1) - s[:, orig]
        rest = np.delete(s, self.desired, axis=1)
        return s[:, self.desired] - rest.max(axis=1)

    def valid(self, decisions: np.ndarray) -> np.ndarray:
        if not self.classifier:
            lo, hi = self.desired
            return (decisions >= lo) & (decisions <= hi)
        if self.desired is None:
            return decisions != self.original
        return decisions == self.desired

    def distance(self, rows: np.ndarray) -> np.ndarray:
        diff = np.abs(rows.astype(np.float64) - self.x) / self.scale
        diff[:, self.categorical] = (diff[:, self.categorical] > 0).astype(np.float64)
        return diff.sum(axis=1)

    def legal(self, rows: np.ndarray) -> np.ndarray:
        """Rows within the constraints: locked features back to the instance's, ranges,
        whole numbers for integer features."""
        rows = rows.copy()
        rows[:, self.locked] = self.x[self.locked]
        rows[:, self.integer] = np.round(rows[:, self.integer])
        free = ~self.categorical
        rows[:, free] = np.clip(rows[:, free], self.low[free], self.high[free])
        return rows.astype(np.float32)


def counterfactuals(model, X, instance, desired=None, n: int = 3, immutable=(), ranges=None,
                    *, samples: int = 2000, seed: int = 0, output: str = "probability",
                    head=None, feature_names=None, categorical="auto", progress=None,
                    cancel=None) -> Counterfactuals:
    """Up to ``n`` counterfactuals of ``instance`` (a row index of X, or a row).

    desired: the class to reach (default: any class but the predicted one); for a
        regression, the interval ``(low, high)`` the prediction must reach.
    immutable: features (names or indices) that must keep the instance's value.
    ranges: ``{feature: (low, high)}`` limits (default: the data's min and max).
    X: the data the counterfactuals are drawn from and scaled by (DataFrame or array).
    samples: random sparse edits of the instance tried besides the data's rows (seeded).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ExplainError(f"n must be a positive int, got {n!r}.")
    start = time.perf_counter()
    p = _Problem(model, X, instance, desired, immutable, ranges, output, head,
                 feature_names, categorical)
    runner = Runner(ROWS_PER_CALL, progress, cancel)
    rng = np.random.default_rng(seed)
    data = p.legal(p.X)
    edits = np.concatenate([_random_edits(p, int(samples), rng), _greedy(p, runner)])
    candidates = np.concatenate([data, edits])
    source = np.array(["data"] * len(data) + ["search"] * len(edits))
    runner.plan(len(candidates) + REFINE * (2 * p.X.shape[1] + 3 * LINE_STEPS))
    ok = p.valid(p.decide(candidates, runner))
    candidates, source = candidates[ok], source[ok]
    notes = []
    if not len(candidates):
        notes.append(_nothing_found(p))
        return _result(p, np.empty((0, p.X.shape[1]), np.float32), [], start, notes)
    keep = np.argsort(p.distance(candidates), kind="stable")[:REFINE]
    rows, source = candidates[keep], source[keep]
    rows = _sparsify(p, rows, runner)
    rows = _shrink(p, rows, runner)
    rows = _sparsify(p, rows, runner)
    picked = _pick(p, rows, n)
    if len(picked) < n:
        notes.append(f"found {len(picked)} distinct counterfactual(s), fewer than n={n}.")
    return _result(p, rows[picked], list(source[picked]), start, notes)


def _random_edits(p: _Problem, samples: int, rng) -> np.ndarray:
    """The instance with 1-3 mutable features set to values drawn from the data's column."""
    free = np.flatnonzero(~p.locked)
    if samples < 1 or not len(free):
        return np.empty((0, len(p.x)), np.float32)
    rows = np.repeat(p.x[None], samples, axis=0)
    k = rng.integers(1, min(3, len(free)) + 1, samples)
    for i in range(samples):
        cols = rng.choice(free, k[i], replace=False)
        rows[i, cols] = p.X[rng.integers(0, len(p.X), len(cols)), cols]
    return p.legal(rows)


def _choices(p: _Problem) -> list[tuple[int, np.ndarray]]:
    """Values each mutable feature may take in a greedy step: its categories, or its data's
    quantiles (0, 5, 25, 50, 75, 95 and 100%) within the ranges."""
    out = []
    for j in np.flatnonzero(~p.locked):
        if p.categorical[j]:
            values = np.asarray(p.features[j].values, np.float32)
        else:
            values = np.quantile(p.X[:, j], [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1], method="lower")
            values = np.clip(values, p.low[j], p.high[j])
        values = np.unique(values)
        values = values[values != p.x[j]]
        if len(values):
            out.append((int(j), values.astype(np.float32)))
    return out


def _greedy(p: _Problem, runner: Runner, beam: int = GREEDY_BEAM,
            max_steps: int = GREEDY_STEPS) -> np.ndarray:
    """Sparse candidates by greedy steps: from the instance, the ``beam`` single-feature
    changes that move the decision most towards the desired one start as many paths; each
    path then takes, step by step, the single change that moves it most, until the decision
    changes. All trials of a step are one batched call."""
    choices = _choices(p)
    if not choices:
        return np.empty((0, len(p.x)), np.float32)
    found, states = [], p.x[None].copy()
    for step in range(max_steps):
        trials, owner = [], []
        for i, state in enumerate(states):
            for j, values in choices:
                if step and state[j] != p.x[j]:
                    continue  # a path changes each feature once
                block = np.repeat(state[None], len(values), axis=0)
                block[:, j] = values
                trials.append(block)
                owner.append(np.full(len(values), i))
        if not trials:
            break
        trials, owner = p.legal(np.concatenate(trials)), np.concatenate(owner)
        margin = p.margin(p.scores(trials, runner))
        if step == 0:  # the beam: the best change of each of the `beam` best features
            changed = np.argmax(trials != p.x, axis=1)
            best = {}
            for r in np.argsort(-margin, kind="stable"):
                best.setdefault(int(changed[r]), r)
                if len(best) == beam:
                    break
            picks = np.array(list(best.values()))
        else:
            picks = np.array([np.flatnonzero(owner == i)[np.argmax(margin[owner == i])]
                              for i in np.unique(owner)])
        done = margin[picks] > 0
        found.extend(trials[picks[done]])
        states = trials[picks[~done]]
        if not len(states):
            break
    return np.stack(found) if found else np.empty((0, len(p.x)), np.float32)


def _sparsify(p: _Problem, rows: np.ndarray, runner: Runner) -> np.ndarray:
    """Put changed features back to the instance's value, the biggest saving first, while
    the decision stays changed; all rows' trials in one call per round."""
    rows = rows.copy()
    active = np.ones(len(rows), bool)
    while active.any():
        trials, owner = [], []
        for i in np.flatnonzero(active):
            for j in np.flatnonzero(rows[i] != p.x):
                trial = rows[i].copy()
                trial[j] = p.x[j]
                trials.append(trial)
                owner.append(i)
        if not trials:
            break
        trials, owner = np.stack(trials), np.array(owner)
        ok = p.valid(p.decide(trials, runner))
        saving = p.distance(rows[owner]) - p.distance(trials)
        active[:] = False
        for i in np.unique(owner[ok]):
            mine = np.flatnonzero((owner == i) & ok)
            best = mine[np.argmax(saving[mine])]
            rows[i] = trials[best]
            active[i] = True
    return rows


def _shrink(p: _Problem, rows: np.ndarray, runner: Runner) -> np.ndarray:
    """Move each row's numeric changes towards the instance: the smallest step along the
    line that keeps the decision changed (categories stay as they are). A coarse pass on
    ``LINE_STEPS`` points, then twice the same between the last step that failed and the
    first that held: the step is found to 1/LINE_STEPS^3 of the change."""
    low, high = np.zeros(len(rows)), np.ones(len(rows))
    for _ in range(3):
        frac = np.linspace(0, 1, LINE_STEPS + 1)[1:]
        steps = low[:, None] + (high - low)[:, None] * frac[None, :]  # (R, S)
        flat = _on_line(p, rows, steps)
        ok = p.valid(p.decide(flat, runner)).reshape(steps.shape)
        ok[:, -1] = True  # the end of the interval held before
        first = ok.argmax(axis=1)
        high = steps[np.arange(len(rows)), first]
        low = np.where(first > 0, steps[np.arange(len(rows)), first - 1], low)
    return _on_line(p, rows, high[:, None])


def _on_line(p: _Problem, rows: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Rows at ``steps`` (R, S) of the way from the instance to each row, numeric features
    only, made legal: (R * S, D)."""
    numeric = ~p.categorical
    lines = np.repeat(rows[:, None], steps.shape[1], axis=1)  # (R, S, D)
    moved = p.x + (rows - p.x)[:, None, :] * steps[:, :, None]
    lines[:, :, numeric] = moved[:, :, numeric]
    return p.legal(lines.reshape(-1, rows.shape[1]))


def _pick(p: _Problem, rows: np.ndarray, n: int) -> list[int]:
    """n distinct rows: first those no other row beats on both distance and the number of
    features changed (the closest, the sparsest and the trade-offs between), by distance;
    then the closest of the rest, preferring sets of changed features not yet picked."""
    distance = p.distance(rows)
    order = np.argsort(distance, kind="stable")
    _, first = np.unique(rows[order], axis=0, return_index=True)
    order = order[np.sort(first)]
    sparsity = (rows != p.x).sum(axis=1)
    front, fewest = [], np.inf
    for i in order:  # by distance: on the front when it changes fewer features than all before
        if sparsity[i] < fewest:
            front.append(int(i))
            fewest = sparsity[i]
    # the front first (spread over it when it is longer than n), then by distance
    if len(front) > n:
        keep = np.linspace(0, len(front) - 1, n).round().astype(int)
        front = [front[k] for k in keep]
    picked = list(front)
    sets = [frozenset(np.flatnonzero(rows[i] != p.x)) for i in picked]
    for i in order:
        if len(picked) == n:
            break
        changed = frozenset(np.flatnonzero(rows[i] != p.x))
        if int(i) not in picked and changed not in sets:
            picked.append(int(i))
            sets.append(changed)
    for i in order:
        if len(picked) == n:
            break
        if int(i) not in picked:
            picked.append(int(i))
    return sorted(picked, key=lambda i: distance[i])


def _nothing_found(p: _Problem) -> str:
    locked = [p.names[j] for j in np.flatnonzero(p.locked)]
    return ("no counterfactual found: no row of the data and no edit tried reaches the "
            f"desired decision within the ranges{' with ' + ', '.join(locked) + ' locked' if locked else ''}. "
            "Try more samples=, wider ranges=, fewer immutable features, or another desired.")


def _result(p: _Problem, rows: np.ndarray, source: list[str], start: float,
            notes: list[str]) -> Counterfactuals:
    decisions = p.decide(rows) if len(rows) else np.empty(0)
    changed = [[p.names[j] for j in np.flatnonzero(r != p.x)] for r in rows]
    categories = {j: (list(f.values), list(f.labels)) for j, f in enumerate(p.features)
                  if f.kind == "categorical"}
    as_out = (lambda v: int(v)) if p.classifier else float
    return Counterfactuals(
        instance=p.x, rows=rows, changed=changed, distance=p.distance(rows) if len(rows)
        else np.empty(0), sparsity=np.array([len(c) for c in changed], int),
        valid=p.valid(decisions).astype(bool), predictions=np.array(
            [as_out(v) for v in decisions], dtype=np.int64 if p.classifier else np.float64),
        source=source, feature_names=p.names, original=as_out(p.original),
        desired=p.desired, seconds=time.perf_counter() - start, notes=notes,
        categories=categories)


__all__ = ["counterfactuals", "Counterfactuals"]
