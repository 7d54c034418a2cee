"""Tabular explanations: Shapley values (KernelSHAP) and permutation importance.

Shapley values here are *interventional*: the value of a coalition S of features is
v(S) = mean over background rows b of f(x_S, b_rest), so the attributions add up to
f(x) - mean_b f(b) (efficiency), the "walk" from the expected prediction to this one.

* Up to ``EXACT_MAX_FEATURES`` (11) features they are computed exactly, by evaluating all 2^F
  coalitions (2^F * B model rows, batched).
* Beyond that, KernelSHAP (Lundberg & Lee 2017): coalitions sampled from the Shapley kernel's
  size distribution, in complementary pairs, and a least-squares fit with the efficiency
  constraint built in. Seeded; the number of coalitions is reported.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ExplainError
from ..models import adapt
from . import shapley
from .base import Option, Runner, register
from .shapley import all_coalitions, kernel_coalitions, kernel_fit

EXACT_MAX_FEATURES = 11
# Model rows per KernelSHAP call. Tabular rows are tiny and TensorFlow's cost per call is not:
# on the breast_cancer MLP 32768 rows per call run 1.9x faster than 4096. Capped by memory:
MAX_CALL_FLOATS = 1 << 25  # 128 MB of float32 rows built per call, whatever the input size


def is_classifier(adapter) -> bool:
    """Several output columns, or one that ends in a sigmoid (a binary classifier)."""
    return adapter.num_classes > 1 or adapter.final_activation == "sigmoid"


def predicted_classes(adapter, scores: np.ndarray) -> np.ndarray:
    """The class each row of explained scores stands for (one sigmoid column: 1 when the
    probability is over 1/2, i.e. the logit over 0)."""
    if scores.shape[1] > 1:
        return scores.argmax(axis=1)
    cut = 0.5 if adapter.score_kind == "probability" else 0.0
    return (scores[:, 0] > cut).astype(np.int64)


def _background(background, x: np.ndarray, adapter) -> np.ndarray:
    if background is None:
        raise ExplainError(
            "kernel_shap needs background rows (background=X_train or a sample of it): "
            "missing features are filled in from them."
        )
    shape = np.shape(background)
    if len(shape) != x.ndim or tuple(shape[1:]) != x.shape[1:]:
        raise ExplainError(f"background rows have shape {tuple(shape[1:])}, inputs "
                           f"{x.shape[1:]}: pass rows with the same features as the inputs.")
    return adapter.validate_inputs(background)


def _coalition_function(adapter):
    """One compiled call: coalition masks (M, D), the row x (D,) and the background (B, D) ->
    v(S) for each mask (M,), the mean over background rows of the target's score with the
    features in S taken from x. The M x B rows are built inside the graph: only the masks
    travel from numpy, and the row building runs beside the model on every core."""
    import tensorflow as tf

    size = int(np.prod(adapter.input_shape))

    def build():
        def coalition_values(masks, x_row, background, target):
            rows = tf.where(masks[:, None, :], x_row[None, None, :], background[None, :, :])
            n_masks, n_back = tf.shape(masks)[0], tf.shape(background)[0]
            rows = tf.reshape(rows, (-1,) + adapter.input_shape)
            out, _ = adapter.forward(rows)
            scores = tf.gather(tf.cast(out, tf.float32), target, axis=1)
            return tf.reduce_mean(tf.reshape(scores, tf.stack([n_masks, n_back])), axis=1)

        return adapter.compile(coalition_values, [
            tf.TensorSpec((None, size), tf.bool), tf.TensorSpec((size,), tf.float32),
            tf.TensorSpec((None, size), tf.float32), tf.TensorSpec((), tf.int32)])

    return adapter.function("coalition_values", build)


def _coalition_values(adapter, x_row, background, masks, target, runner) -> np.ndarray:
    """v(S) for each mask row (True = the feature comes from x): mean over background.

    Whole coalitions (all their background rows) are packed into each model call of up to
    ``batch_size`` rows; cancel and progress are checked between calls."""
    import tensorflow as tf

    n_masks, n_back = len(masks), len(background)
    values = np.empty(n_masks, np.float64)
    # rows per call: batch_size, but never more than MAX_CALL_FLOATS of built rows
    rows = min(runner.batch_size, max(n_back, MAX_CALL_FLOATS // max(1, x_row.size)))
    per_call = max(1, rows // n_back)  # whole coalitions per model call
    flat = tf.constant(x_row.reshape(-1), tf.float32)  # converted once, not at every call
    back = tf.constant(background.reshape(n_back, -1), tf.float32)
    target = tf.constant(target, tf.int32)
    fn = _coalition_function(adapter)
    runner.plan(n_masks * n_back)
    for start, stop in runner.chunks(n_masks * n_back, size=per_call * n_back):
        first, last = start // n_back, stop // n_back
        values[first:last] = fn(masks[first:last], flat, back, target).numpy()
    return values


def exact_shapley(adapter, x_row, background, target, runner) -> tuple[np.ndarray, float]:
    """Shapley values of every feature for one row, by enumerating all coalitions."""
    n_features = x_row.size
    v = _coalition_values(adapter, x_row, background, all_coalitions(n_features), target,
                          runner)
    return shapley.exact_shapley(v, n_features), float(v[0])


def sampled_shapley(adapter, x_row, background, target, runner, samples: int,
                    seed: int) -> tuple[np.ndarray, float, np.ndarray]:
    """KernelSHAP with paired coalitions sampled from the Shapley kernel's distribution.

    Returns (phi, v(empty), standard errors of phi): the spread of ``shapley.BOOTSTRAP``
    re-fits on coalition pairs drawn with replacement from the sampled ones (no extra model
    calls; ``shapley.kernel_fit``)."""
    n = x_row.size
    masks = kernel_coalitions(n, samples, seed)
    ends = np.array([np.zeros(n, bool), np.ones(n, bool)])
    v = _coalition_values(adapter, x_row, background, np.concatenate([ends, masks]), target,
                          runner)
    phi, errors = kernel_fit(masks, v[2:], v[0], v[1], seed)
    return phi, float(v[0]), errors


@register(
    "kernel_shap", "KernelSHAP (Shapley values)",
    "each feature's Shapley value for the prediction, missing features filled in from "
    "background rows; exact by enumeration up to 11 features, sampled (seeded) beyond. The "
    "values add up to f(x) - mean f(background).",
    signed=True,
    options=(
        Option("background", None, "background rows (e.g. a sample of the training data)",
               "array"),
        Option("samples", 2048, "coalitions sampled when there are more than 11 features",
               "integer", minimum=2),
        Option("seed", 0, "random seed of the sampled coalitions", "integer", minimum=0),
        Option("batch_size", 32768, "model rows per call (rows are cheap: forward only; "
               "at most 128 MB of rows are built per call)", "integer", minimum=1),
    ), inputs=("tabular",))
def kernel_shap(adapter, x, targets, runner, background, samples, seed):
    background = _background(background, x, adapter)
    n_features = int(np.prod(x.shape[1:]))
    exact = n_features <= EXACT_MAX_FEATURES
    phis, bases, errors = [], [], []
    for i in range(len(x)):
        if exact:
            phi, base = exact_shapley(adapter, x[i], background, targets[i], runner)
            error = np.zeros_like(phi)
        else:
            phi, base, error = sampled_shapley(adapter, x[i], background, targets[i], runner,
                                               samples, seed)
        phis.append(phi.reshape(x.shape[1:]))
        bases.append(base)
        errors.append(error.reshape(x.shape[1:]))
    attributions = np.array(phis, dtype=np.float32)
    return {
        "attributions": attributions,
        "heatmaps": None,
        "params": {"background": f"{len(background)} rows", "exact": exact,
                   "coalitions": 2 ** n_features if exact else 2 * max(1, samples // 2) + 2,
                   "base_values": [float(b) for b in bases],
                   # sampling uncertainty of each value (0 when exact), like attributions
                   "standard_errors": np.array(errors, dtype=np.float32)},
    }


@dataclasses.dataclass
class PermutationImportance:
    """Drop of the metric when one feature's column is shuffled: ``mean``/``std`` over the
    repeats (F,), the raw ``drops`` (F, repeats), the unshuffled ``baseline`` score.

    ``notes``: what the numbers mean when the data are degenerate, in plain words (e.g. y
    holds one class; a column is constant, so its importance is 0 by construction); empty
    otherwise. ``constant``: the indices of the columns that are constant in ``X``.
    """

    metric: str
    baseline: float
    mean: np.ndarray
    std: np.ndarray
    drops: np.ndarray
    notes: list = dataclasses.field(default_factory=list)
    constant: list = dataclasses.field(default_factory=list)
    # grouped permutation: the columns of each group shuffled together (one permutation of
    # the rows for all of them), so features that carry the same information are not
    # credited 0 because the others still hold it
    group_names: list = dataclasses.field(default_factory=list)
    group_members: list = dataclasses.field(default_factory=list)  # column indices
    group_mean: np.ndarray | None = None
    group_std: np.ndarray | None = None
    group_drops: np.ndarray | None = None


def _class_label(index: int, class_names=None) -> str:
    """'benign' (a class name, quoted) or 'class 0' (no names)."""
    if class_names is not None and 0 <= index < len(class_names):
        return f"'{class_names[index]}'"
    return f"class {index}"


def _listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def constant_columns(X: np.ndarray) -> list[int]:
    """Indices of the columns of a table (N, F) that hold one value on every row."""
    flat = X.reshape(len(X), -1)
    return [int(j) for j in np.flatnonzero((flat == flat[:1]).all(axis=0))]


METRICS = ("accuracy", "log_loss", "r2")


def _resolve_groups(groups, n_features: int, feature_names) -> tuple[list, list]:
    """{"size": ["radius", 2, ...]} -> (["size"], [[0, 2, ...]]): members by name or index."""
    if groups is None:
        return [], []
    if not isinstance(groups, dict) or not groups:
        raise ExplainError("groups must be a dict {group name: [feature names or column "
                           "indices]}, e.g. groups={'size': ['radius', 'area']}.")
    names = [str(f) for f in feature_names] if feature_names is not None else None
    out_names, members = [], []
    for name, given in groups.items():
        if isinstance(given, (str, int, np.integer)):
            given = [given]
        columns = []
        for member in given:
            if isinstance(member, (int, np.integer)) and not isinstance(member, bool):
                if not 0 <= int(member) < n_features:
                    raise ExplainError(f"group {name!r}: column {member} is out of range "
                                       f"(there are {n_features} features).")
                columns.append(int(member))
            elif isinstance(member, str) and names is not None and member in names:
                columns.append(names.index(member))
            else:
                known = "" if names is None else f" Features: {names}."
                raise ExplainError(f"group {name!r}: unknown feature {member!r}; name features "
                                   "by their name (with feature_names) or column index." + known)
        if not columns:
            raise ExplainError(f"group {name!r} is empty: list its features.")
        out_names.append(str(name))
        members.append(sorted(set(columns)))
    return out_names, members


def permutation_importance(model, X, y, *, metric=None, repeats: int = 5,
                           seed: int = 0, output: str = "probability", head=None,
                           progress=None, cancel=None, batch_size: int = 32768,
                           feature_names=None, class_names=None,
                           groups=None) -> PermutationImportance:
    """Permutation importance (Breiman 2001; Fisher et al. 2019), batched over all repeats.

    metric: "accuracy" for classifiers (the default when the output has 2+ columns), "r2"
    for regressors (the default for one output column), "log_loss" for classifiers (needs
    probabilities, ``output="probability"``; far more sensitive than accuracy on few rows:
    a shuffle that lowers the confidence without flipping a prediction still counts), or any
    callable ``metric(y, outputs) -> float`` where higher is better (``outputs``: the model's
    (N, K) explained outputs). A drop is always "how much worse": for log_loss the rise of
    the loss (``baseline`` is the loss itself), otherwise the fall of the score.

    groups: {name: [feature names or column indices]}: each group's columns are also
    shuffled together (``group_mean`` etc.). Correlated features that carry the same
    information can each show a small drop (the others still hold it) while the group's is
    large.

    Degenerate data: a constant column's importance is 0 by construction (shuffling it
    changes nothing) and a note says so; when ``y`` holds one class, accuracy is the share of
    rows the model gives that class, and a note says so. R² is not defined when ``y`` is
    constant, and one row cannot be shuffled: both raise ExplainError saying why.
    ``feature_names``/``class_names`` only name things in the notes.
    """
    adapter = adapt(model, output=output, head=head)
    X = adapter.validate_inputs(X)
    y = np.asarray(y)
    if len(y) != len(X):
        raise ExplainError(f"y has {len(y)} rows but X has {len(X)}.")
    if not isinstance(repeats, int) or repeats < 1:
        raise ExplainError(f"repeats must be a positive int, got {repeats!r}.")
    metric = metric or ("accuracy" if is_classifier(adapter) else "r2")
    scorer = metric if callable(metric) else None
    if scorer is not None:
        metric = getattr(scorer, "__name__", "score")
    elif metric not in METRICS:
        raise ExplainError(f"unknown metric {metric!r}; valid: {list(METRICS)} or a "
                           "callable metric(y, outputs) -> float (higher is better).")
    if metric == "log_loss" and scorer is None:
        if not is_classifier(adapter):
            raise ExplainError("log_loss scores a classifier; this model's output is a "
                               "regression value: use metric='r2'.")
        if adapter.score_kind != "probability":
            raise ExplainError("log_loss needs probabilities: use output='probability' (the "
                               "model's output must end in softmax or sigmoid).")
        classes = max(adapter.num_classes, 2)
        if np.any((y < 0) | (y >= classes)) or np.any(y != np.round(y)):
            raise ExplainError(f"log_loss needs class indices 0..{classes - 1} in y.")
    if len(X) < 2:
        raise ExplainError("Permutation importance needs at least 2 rows: with one row, "
                           "shuffling a column changes nothing.")
    if metric == "r2" and scorer is None and np.all(y == y.flat[0]):
        raise ExplainError(
            f"y has the same value ({float(y.flat[0]):.4g}) on all {len(y)} rows: R² (the "
            "share of y's variation the model explains) is not defined when y does not vary, "
            "so there is no permutation importance. Pass rows whose y varies.")
    group_names, group_members = _resolve_groups(groups, X.shape[1], feature_names)

    def score(pred):  # higher is better
        if scorer is not None:
            return float(scorer(y, pred))
        if metric == "accuracy":
            return float((predicted_classes(adapter, pred) == y).mean())
        if metric == "log_loss":
            if pred.shape[1] == 1:  # one sigmoid column: the probability of class 1
                p = np.where(y == 1, pred[:, 0], 1.0 - pred[:, 0])
            else:
                p = pred[np.arange(len(y)), y.astype(int)]
            return float(np.log(np.clip(p, 1e-7, 1.0)).mean())  # minus the log-loss
        residual = ((pred[:, 0] - y) ** 2).sum()
        total = ((y - y.mean()) ** 2).sum()
        return float(1.0 - residual / total)

    baseline = score(adapter.scores(X, batch_size))
    if not np.isfinite(baseline):
        raise ExplainError(f"the metric {metric!r} gave {baseline} on the unshuffled rows: "
                           "it must return a finite number.")
    n_features = X.shape[1]
    units = [[j] for j in range(n_features)] + group_members  # columns shuffled together
    rng = np.random.default_rng(seed)
    runner = Runner(batch_size, progress, cancel)
    runner.plan(len(units) * repeats * len(X))
    all_drops = np.empty((len(units), repeats))
    per_unit = repeats * len(X)
    # (not zip(range, chunks): zip would stop the generator before its last progress report)
    for start, _ in runner.chunks(len(units) * per_unit, size=per_unit):
        u = start // per_unit
        columns = units[u]
        shuffled = np.repeat(X[None], repeats, axis=0)
        for r in range(repeats):
            rows = rng.permutation(len(X))
            shuffled[r][:, columns] = X[rows][:, columns]
        pred = adapter.scores(shuffled.reshape((-1,) + X.shape[1:]), batch_size)
        pred = pred.reshape(repeats, len(X), -1)
        all_drops[u] = [baseline - score(pred[r]) for r in range(repeats)]
    drops = all_drops[:n_features]
    group_drops = all_drops[n_features:] if group_members else None
    if metric == "log_loss" and scorer is None:
        baseline = -baseline  # report the loss itself; a drop is its rise
    notes = []
    if metric == "accuracy" and np.all(y == y.flat[0]):
        only = _class_label(int(y.flat[0]), class_names)
        notes.append(
            f"y holds one class only ({only}, all {len(y)} rows): accuracy here is the share "
            f"of rows the model predicts {only} for ({baseline:.2f} unshuffled), and a drop is "
            "how much that share falls when the column is shuffled (rows that leave "
            f"{only} and rows that join it cancel out). It says nothing about how well the "
            "model tells the classes apart.")
    constant = constant_columns(X)
    if constant:
        names = [str(feature_names[j]) if feature_names is not None else f"x{j}"
                 for j in constant]
        one = len(constant) == 1
        notes.append(
            f"{_listed(names)} {'is' if one else 'are'} constant in these rows: shuffling "
            f"{'it' if one else 'them'} changes nothing, so {'its' if one else 'their'} "
            "importance is 0 by construction (not a sign that the model ignores "
            f"{'it' if one else 'them'}).")
    return PermutationImportance(
        metric, baseline, drops.mean(axis=1), drops.std(axis=1), drops, notes=notes,
        constant=constant, group_names=group_names, group_members=group_members,
        group_mean=None if group_drops is None else group_drops.mean(axis=1),
        group_std=None if group_drops is None else group_drops.std(axis=1),
        group_drops=group_drops)


@dataclasses.dataclass
class Surrogates:
    """Interpretable models fitted to the model's own predictions (not to the labels).

    ``kind``: "classification" (agreement with the model's predicted class) or "regression"
    (R^2 against the model's output); ``tree_fidelity`` and ``linear_fidelity`` are measured
    on ``held_out`` rows that neither surrogate was fitted on (NaN where R^2 is not defined:
    the model's output does not vary on the held-out rows). ``rules`` is the tree as text;
    ``linear_coefficients`` (n_features,) for regression, (classes, n_features) for
    classification, on standardised features so their sizes compare.
    """

    kind: str
    tree_fidelity: float
    linear_fidelity: float
    rules: str
    linear_coefficients: np.ndarray
    fitted_rows: np.ndarray
    held_out: np.ndarray
    tree: object
    linear: object

    def coefficients_for(self, class_index: int = 0) -> np.ndarray:
        """The linear surrogate's coefficients that raise ``class_index`` (its log-odds for a
        classifier; the single row of a regressor). A binary logistic regression keeps one
        row, for the second class: the first class's is its negative. A class the model
        never predicted on these rows has none (zeros)."""
        rows = np.atleast_2d(self.linear_coefficients)
        if self.kind == "regression":
            return rows[0]
        classes = [int(c) for c in self.linear[-1].classes_]
        if len(classes) == 2 and len(rows) == 1:
            return rows[0] if class_index == classes[1] else -rows[0]
        if class_index in classes:
            return rows[classes.index(class_index)]
        return np.zeros(rows.shape[1])


def global_surrogates(model, X, *, feature_names=None, class_names=None, max_depth: int = 3,
                      test_fraction: float = 0.3, seed: int = 0, output: str = "probability",
                      head=None) -> Surrogates:
    """A shallow decision tree and a linear model that imitate ``model`` on ``X``.

    ``class_names`` (classifiers): the rules name the predicted class instead of its index.

    Raises ExplainError, saying why, when there is nothing to imitate: the model predicts
    one class (or, a regressor, one value) for every row of ``X``; or when there are fewer
    than 10 rows. Every class the model predicts is among the fitted rows (a class seen
    only in the held-out rows is moved over), so the linear model sees each one.
    """
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

    adapter = adapt(model, output=output, head=head)
    X = adapter.validate_inputs(X)
    if X.ndim != 2:
        raise ExplainError(f"surrogates need tabular rows (N, features), got {X.shape}.")
    names = [str(n) for n in feature_names] if feature_names is not None else [
        f"x{i}" for i in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ExplainError(f"feature_names has {len(names)} names for {X.shape[1]} features.")
    if not 0 < test_fraction < 1:
        raise ExplainError(f"test_fraction must be between 0 and 1, got {test_fraction!r}.")
    if len(X) < 10:
        raise ExplainError(f"Surrogates need at least 10 rows (fitted on some, their fidelity "
                           f"measured on the others); there are {len(X)}.")
    predictions = adapter.scores(X)
    classification = is_classifier(adapter)
    target = predicted_classes(adapter, predictions) if classification else predictions[:, 0]
    _check_something_to_imitate(target, classification, class_names)
    order = np.random.default_rng(seed).permutation(len(X))
    cut = int(round(len(X) * (1 - test_fraction)))
    if classification:
        order = _every_class_fitted(order, cut, target)
    fit, held = np.sort(order[:cut]), np.sort(order[cut:])
    if classification:
        tree = DecisionTreeClassifier(max_depth=max_depth, random_state=seed)
        linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    else:
        tree = DecisionTreeRegressor(max_depth=max_depth, random_state=seed)
        linear = make_pipeline(StandardScaler(), LinearRegression())
    tree.fit(X[fit], target[fit])
    linear.fit(X[fit], target[fit])

    def fidelity(surrogate):
        guess = surrogate.predict(X[held])
        if classification:
            return float((guess == target[held]).mean())
        total = ((target[held] - target[held].mean()) ** 2).sum()
        return float(1 - ((guess - target[held]) ** 2).sum() / total) if total > 0 else np.nan

    coefficients = np.asarray(linear[-1].coef_, dtype=np.float64)
    return Surrogates(
        kind="classification" if classification else "regression",
        tree_fidelity=fidelity(tree), linear_fidelity=fidelity(linear),
        rules=export_text(tree, feature_names=names, decimals=3, class_names=(
            # one name per class the tree saw, in its order (it may not see every class)
            [str(class_names[int(c)]) for c in tree.classes_]
            if classification and class_names is not None else None)),
        linear_coefficients=coefficients, fitted_rows=fit, held_out=held,
        tree=tree, linear=linear,
    )


def _check_something_to_imitate(target: np.ndarray, classification: bool, class_names):
    """ExplainError, in plain words, when the model gives every row the same answer."""
    if not np.all(target == target[0]):
        return
    if classification:
        only = _class_label(int(target[0]), class_names)
        raise ExplainError(
            f"The model predicts {only} for all {len(target)} rows, so there is nothing for a "
            f"surrogate to imitate (a tree would be one leaf, \"always {only}\", and a linear "
            "model needs two classes). Surrogates need rows on which its answers differ.")
    raise ExplainError(
        f"The model predicts the same value ({float(target[0]):.4g}) for all {len(target)} "
        "rows, so there is nothing for a surrogate to imitate. Surrogates need rows on which "
        "its answers differ.")


def _every_class_fitted(order: np.ndarray, cut: int, target: np.ndarray) -> np.ndarray:
    """``order`` (fitted rows first, ``cut`` of them) with one row of each class that only
    the held-out rows have swapped for a fitted row of the most common fitted class."""
    order = order.copy()
    for c in np.unique(target):
        fitted = target[order[:cut]]
        if (fitted == c).any():
            continue
        classes, counts = np.unique(fitted, return_counts=True)
        if counts.max() < 2:  # fewer fitted rows than classes: nothing to spare
            break
        give = int(np.flatnonzero(fitted == classes[counts.argmax()])[-1])
        take = cut + int(np.flatnonzero(target[order[cut:]] == c)[0])
        order[give], order[take] = order[take], order[give]
    return order


def sample_index(total: int, n: int, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n`` of ``total`` rows, drawn without replacement, in order (all of
    them if there are no more than ``n``)."""
    if total <= n:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, n, replace=False))


# The methods explain_row() computes for every row, in the order a view lists them.
ROW_METHODS = ("kernel_shap", "integrated_gradients", "gradient_x_input")


def explain_row(adapter, x_row: np.ndarray, target: int, background: np.ndarray, *,
                samples: int = 2048, seed: int = 0, steps: int = 32, progress=None,
                cancel=None) -> dict:
    """One row, one class, three explanations side by side:

    * ``kernel_shap``: Shapley values; they add up to f(x) - mean f(background);
    * ``integrated_gradients`` from the background's mean row; they add up to
      f(x) - f(mean row) (completeness);
    * ``gradient_x_input``: the local linear picture; it does not add up to anything.

    Each entry: ``values`` (F,) float32 and ``base`` (the value the walk starts from, or None).
    """
    from .gradients import gradient_x_input, integrated_gradients

    x = x_row.reshape((1,) + adapter.input_shape)
    shap = kernel_shap(adapter, x, target, background=background, samples=samples, seed=seed,
                       progress=progress, cancel=cancel)
    baseline = background.mean(axis=0)
    ig = integrated_gradients(adapter, x, target, baseline=baseline, steps=steps)
    gxi = gradient_x_input(adapter, x, target)
    return {
        "prediction": float(shap.scores[0]),
        "kernel_shap": {"values": shap.attributions[0].reshape(-1),
                        "base": shap.params["base_values"][0], "exact": shap.params["exact"],
                        "standard_errors": shap.params["standard_errors"][0].reshape(-1),
                        "coalitions": shap.params["coalitions"],
                        "background_rows": len(background)},
        "integrated_gradients": {
            "values": ig.attributions[0].reshape(-1),
            "base": float(adapter.scores(ig.baselines)[0, target]),
            "steps": steps, "baseline": "the mean of the background rows",
            "completeness_delta": float(ig.completeness_delta[0])},
        "gradient_x_input": {"values": gxi.attributions[0].reshape(-1), "base": None},
    }


def mean_abs_shap(adapter, rows: np.ndarray, target: int, background: np.ndarray, *,
                  samples: int = 2048, seed: int = 0, progress=None, cancel=None):
    """Global SHAP importance: mean |Shapley value| of each feature over ``rows``, for one
    class. Returns (F,) float64 and the Explanation of every row."""
    exp = kernel_shap(adapter, rows, target, background=background, samples=samples, seed=seed,
                      progress=progress, cancel=cancel)
    flat = exp.attributions.reshape(len(rows), -1)
    return np.abs(flat).mean(axis=0), exp
