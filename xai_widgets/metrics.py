"""Checks of explanations against the model: faithfulness curves and sanity checks.

* :func:`deletion_insertion`: the RISE protocol (Petsiuk et al. 2018). Rank pixels by the
  heatmap; delete them (most important first) from the image, or insert them into a blurred
  copy, in equal steps; the area under the target-probability curve (trapezoid rule) is the
  score. Low deletion AUC and high insertion AUC mean a faithful map.
* :func:`completeness_delta`: sum(attributions) - (f(x) - f(baseline)), recomputed with the
  model, for integrated gradients.
* :func:`randomization_check`: the model-randomisation sanity check (Adebayo et al. 2018).
  Re-draws the weights layer by layer from the top (cascading) in a copy of the model and
  reports the Spearman rank correlation of each map with the original. A method whose maps
  do not change when the weights are destroyed does not explain the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import ExplainError
from .explainers import explain
from .explainers.gradients import gaussian_blur
from .models import adapt


@dataclasses.dataclass
class CurveResult:
    """Deletion and insertion curves: ``fractions`` (steps + 1,) of pixels changed; the
    curves (N, steps + 1) of the target probability; their trapezoid AUCs (N,)."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: np.ndarray
    insertion_auc: np.ndarray

    def __repr__(self) -> str:
        return (
            f"CurveResult(n={len(self.deletion_auc)}, steps={len(self.fractions) - 1}, "
            f"deletion_auc={self.deletion_auc.mean():.3f}, "
            f"insertion_auc={self.insertion_auc.mean():.3f})"
        )


def _trapezoid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return ((y[..., 1:] + y[..., :-1]) * 0.5 * np.diff(x)).sum(axis=-1)


def deletion_insertion(model, inputs, heatmaps, targets=None, *, steps: int = 32,
                       deletion_value: float = 0.0, blur_sigma: float | None = None,
                       head=None, batch_size: int = 128) -> CurveResult:
    """Deletion and insertion AUCs of heatmaps (N, H, W) for images (N, H, W[, C])."""
    adapter = adapt(model, output="probability", head=head)
    x = adapter.validate_inputs(inputs)
    heat = np.asarray(heatmaps, dtype=np.float32)
    if x.ndim not in (3, 4) or heat.shape != x.shape[:3]:
        raise ExplainError(
            f"heatmaps must be (N, H, W) matching the images {x.shape[:3]}, got {heat.shape}."
        )
    if not isinstance(steps, int) or steps < 1:
        raise ExplainError(f"steps must be a positive int, got {steps!r}.")
    probs = adapter.scores(x, batch_size)
    targets = adapter.resolve_targets(targets, len(x), probs)
    n, height, width = x.shape[:3]
    pixels = height * width
    counts = np.round(np.linspace(0, pixels, steps + 1)).astype(int)
    sigma = blur_sigma or max(1.0, 0.1 * max(height, width))
    blurred = gaussian_blur(x, sigma)
    curves = {"deletion": np.empty((n, steps + 1)), "insertion": np.empty((n, steps + 1))}
    for i in range(n):
        order = np.argsort(-heat[i].ravel(), kind="stable")
        # rank[p] = position of pixel p in the order; pixel p is changed at step s when
        # rank[p] < counts[s].
        rank = np.empty(pixels, int)
        rank[order] = np.arange(pixels)
        changed = (rank[None, :] < counts[:, None]).reshape(steps + 1, height, width)
        if x.ndim == 4:
            changed = changed[..., None]
        deleted = np.where(changed, np.float32(deletion_value), x[i][None])
        inserted = np.where(changed, x[i][None], blurred[i][None])
        for name, rows in (("deletion", deleted), ("insertion", inserted)):
            curves[name][i] = adapter.scores(rows.astype(np.float32), batch_size)[:, targets[i]]
    fractions = counts / pixels
    return CurveResult(
        fractions=fractions,
        deletion=curves["deletion"],
        insertion=curves["insertion"],
        deletion_auc=_trapezoid(curves["deletion"], fractions),
        insertion_auc=_trapezoid(curves["insertion"], fractions),
    )


def completeness_delta(model, explanation) -> np.ndarray:
    """sum(attributions) - (f(x) - f(baseline)) per input, with f evaluated afresh."""
    if explanation.baselines is None:
        raise ExplainError(
            f"completeness applies to path methods with a baseline (integrated_gradients); "
            f"this explanation is {explanation.method!r}."
        )
    adapter = adapt(model, output=explanation.params.get("output", "logit"),
                    head=explanation.params.get("head") if len(model.outputs) > 1 else None)
    n = np.arange(len(explanation.targets))
    f_x = adapter.scores(explanation.inputs)[n, explanation.targets]
    f_base = adapter.scores(explanation.baselines)[n, explanation.targets]
    total = explanation.attributions.reshape(len(n), -1).sum(axis=1)
    return (total - (f_x - f_base)).astype(np.float32)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their average rank."""
    flat = values.ravel()
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], len(flat)]
    ranks = np.empty(len(flat), np.float64)
    ranks[order] = ((starts + ends - 1) / 2.0)[group]
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two arrays (ties get their average rank)."""
    ra, rb = _ranks(np.asarray(a)), _ranks(np.asarray(b))
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else 0.0


@dataclasses.dataclass
class RandomizationResult:
    """``layers[k]`` is the layer whose weights were re-drawn at step k (cumulatively, from
    the top); ``correlations[k]`` the mean Spearman correlation of the maps with the
    original's, ``per_input[k]`` for each input."""

    method: str
    layers: list
    correlations: np.ndarray
    per_input: np.ndarray

    def __repr__(self) -> str:
        rows = ", ".join(f"{l}: {c:.2f}" for l, c in zip(self.layers, self.correlations))
        return f"RandomizationResult({self.method}: {rows})"


def randomization_check(model, inputs, method: str = "gradcam", targets=None, *,
                        absolute: bool = True, seed: int = 0, max_layers: int | None = None,
                        **options) -> RandomizationResult:
    """Cascading model-parameter randomisation, from the output layer down.

    The user's model is not touched: a clone is randomised. ``absolute`` compares |maps|
    (as in the paper's main figures).
    """
    import keras

    original = explain(model, inputs, method=method, target=targets, **options)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    adapter = adapt(clone)
    with_weights = [
        info for info in adapter.layers()
        if info.layer.trainable_weights and not isinstance(info.layer, keras.Model)
    ][::-1]
    if max_layers is not None:
        with_weights = with_weights[:max_layers]
    rng = np.random.default_rng(seed)
    names, per_input = [], []
    for info in with_weights:
        for variable in info.layer.trainable_weights:
            values = np.asarray(variable.numpy())
            std = float(values.std()) or 0.05
            variable.assign(rng.normal(0.0, std, values.shape).astype(values.dtype))
        randomized = explain(clone, original.inputs, method=method, target=original.targets,
                             **options)
        a, b = original.heatmaps, randomized.heatmaps
        if absolute:
            a, b = np.abs(a), np.abs(b)
        per_input.append([spearman(a[i], b[i]) for i in range(len(a))])
        names.append("/".join(info.path))
    per_input = np.array(per_input)
    return RandomizationResult(method, names, per_input.mean(axis=1), per_input)
