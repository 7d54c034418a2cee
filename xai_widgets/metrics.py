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
    curves (N, steps + 1) of the target probability; their trapezoid AUCs (N,).

    ``references``: the same protocol with model-free pixel orders, the yardsticks a map's
    AUCs must beat to mean anything: {"random": ..., "brightness": ...}, each a dict with
    ``deletion_auc`` and ``insertion_auc`` (N,). Deleting the brightest pixels first (to 0)
    already kills most scores: a map that only finds bright pixels scores as well as it."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: np.ndarray
    insertion_auc: np.ndarray
    references: dict = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        refs = "".join(
            f", {name}: deletion_auc={r['deletion_auc'].mean():.3f} "
            f"insertion_auc={r['insertion_auc'].mean():.3f}"
            for name, r in self.references.items())
        return (
            f"CurveResult(n={len(self.deletion_auc)}, steps={len(self.fractions) - 1}, "
            f"deletion_auc={self.deletion_auc.mean():.3f}, "
            f"insertion_auc={self.insertion_auc.mean():.3f}{refs})"
        )


def _trapezoid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return ((y[..., 1:] + y[..., :-1]) * 0.5 * np.diff(x)).sum(axis=-1)


REFERENCE_ORDERS = ("random", "brightness")


def reference_heatmaps(inputs, kind: str, seed: int = 0) -> np.ndarray:
    """Model-free "heatmaps" (N, H, W) that rank pixels without looking at the model:
    ``random`` (seeded noise) or ``brightness`` (the pixel's value, summed over channels)."""
    x = np.asarray(inputs, dtype=np.float32)
    if kind == "random":
        return np.random.default_rng(seed).normal(size=x.shape[:3]).astype(np.float32)
    if kind == "brightness":
        return (x.sum(axis=-1) if x.ndim == 4 else x).astype(np.float32)
    raise ExplainError(f"unknown reference order {kind!r}; valid: {list(REFERENCE_ORDERS)}.")


def deletion_insertion(model, inputs, heatmaps, targets=None, *, steps: int = 32,
                       deletion_value: float = 0.0, blur_sigma: float | None = None,
                       head=None, batch_size: int = 128, references=(),
                       seed: int = 0) -> CurveResult:
    """Deletion and insertion AUCs of heatmaps (N, H, W) for images (N, H, W[, C]).

    ``references``: also score model-free orders ("random", "brightness"; see
    :func:`reference_heatmaps`, ``seed`` for the random one) on the same images and targets,
    in ``result.references``."""
    adapter = adapt(model, output="probability", head=head)
    x = adapter.validate_inputs(inputs)
    heat = np.asarray(heatmaps, dtype=np.float32)
    if x.ndim not in (3, 4) or heat.shape != x.shape[:3]:
        raise ExplainError(
            f"heatmaps must be (N, H, W) matching the images {x.shape[:3]}, got {heat.shape}."
        )
    if not isinstance(steps, int) or steps < 1:
        raise ExplainError(f"steps must be a positive int, got {steps!r}.")
    references = (references,) if isinstance(references, str) else tuple(references)
    unknown = [r for r in references if r not in REFERENCE_ORDERS]
    if unknown:
        raise ExplainError(f"unknown reference order(s) {unknown}; valid: "
                           f"{list(REFERENCE_ORDERS)}.")
    probs = adapter.scores(x, batch_size)
    targets = adapter.resolve_targets(targets, len(x), probs)
    n, height, width = x.shape[:3]
    pixels = height * width
    counts = np.round(np.linspace(0, pixels, steps + 1)).astype(int)
    sigma = blur_sigma or max(1.0, 0.1 * max(height, width))
    blurred = gaussian_blur(x, sigma)
    fractions = counts / pixels

    def curves_for(heat):
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
                curves[name][i] = adapter.scores(rows.astype(np.float32),
                                                 batch_size)[:, targets[i]]
        return curves

    curves = curves_for(heat)
    refs = {}
    for kind in references:
        ref = curves_for(reference_heatmaps(x, kind, seed))
        refs[kind] = {"deletion_auc": _trapezoid(ref["deletion"], fractions),
                      "insertion_auc": _trapezoid(ref["insertion"], fractions)}
    return CurveResult(
        fractions=fractions,
        deletion=curves["deletion"],
        insertion=curves["insertion"],
        deletion_auc=_trapezoid(curves["deletion"], fractions),
        insertion_auc=_trapezoid(curves["insertion"], fractions),
        references=refs,
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
    """Spearman rank correlation of two arrays (ties get their average rank). NaN when
    either array is constant (e.g. an empty map): a rank correlation is not defined then,
    and 0 would read as "unrelated"."""
    ra, rb = _ranks(np.asarray(a)), _ranks(np.asarray(b))
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


RANDOMIZATION_THRESHOLD = 0.5


@dataclasses.dataclass
class RandomizationResult:
    """``layers[k]`` is the layer whose weights were re-drawn at step k (cumulatively, from
    the top); ``correlations[k]`` the mean Spearman correlation of the maps with the
    original's over the inputs where it is defined, ``per_input[k]`` for each input (NaN
    where it is not defined: the original or the randomised map is empty or constant).

    ``passed``: True when the mean correlation after the last step is below ``threshold``
    (the maps changed when the weights were destroyed), False when it is not (the method
    does not explain this model), None when it is undefined (every map was constant).
    ``reasons``: why some correlations are NaN, in plain words; ``absolute``: whether |maps|
    were compared."""

    method: str
    layers: list
    correlations: np.ndarray
    per_input: np.ndarray
    threshold: float = RANDOMIZATION_THRESHOLD
    absolute: bool = True
    reasons: list = dataclasses.field(default_factory=list)

    @property
    def final(self) -> float:
        """The mean correlation after every listed layer was randomised."""
        return float(self.correlations[-1]) if len(self.correlations) else float("nan")

    @property
    def passed(self) -> bool | None:
        final = self.final
        return None if not np.isfinite(final) else bool(final < self.threshold)

    @property
    def verdict(self) -> str:
        """One line: the method, pass/FAIL/undefined, the number and the threshold."""
        maps = "|maps|" if self.absolute else "signed maps"
        if self.passed is None:
            why = self.reasons[0] if self.reasons else "no defined correlation"
            return f"{self.method} ({maps}): undefined: {why}"
        word = "pass" if self.passed else "FAIL"
        return (f"{self.method} ({maps}): {word}: rank correlation {self.final:+.2f} with the "
                f"original after randomising {len(self.layers)} layer(s) (pass: below "
                f"{self.threshold:g})")

    def __repr__(self) -> str:
        rows = ", ".join(f"{l}: {c:.2f}" for l, c in zip(self.layers, self.correlations))
        return f"RandomizationResult({self.method}: {rows}; {self.verdict})"


def _constant(maps: np.ndarray) -> np.ndarray:
    """(N,) True where a map (N, ...) holds one value everywhere (or is not finite)."""
    flat = maps.reshape(len(maps), -1)
    return ~np.all(np.isfinite(flat), axis=1) | np.all(flat == flat[:, :1], axis=1)


def randomization_check(model, inputs, method: str = "gradcam", targets=None, *,
                        absolute: bool = True, seed: int = 0, max_layers: int | None = None,
                        threshold: float = RANDOMIZATION_THRESHOLD,
                        **options) -> RandomizationResult:
    """Cascading model-parameter randomisation, from the output layer down.

    The user's model is not touched: a clone is randomised. ``absolute`` compares |maps|
    (as in the paper's main figures; note that |maps| of methods that multiply by the input,
    such as integrated gradients and gradient x input, keep the input's structure and can
    fail the check where their signed maps pass). A map that is empty or constant has no
    rank correlation: it counts as NaN, with a reason, never as 0 (which would read as a
    pass). The check passes when the mean correlation after the last step is below
    ``threshold``.
    """
    import keras

    if not (isinstance(threshold, (int, float)) and -1.0 <= threshold <= 1.0):
        raise ExplainError(f"threshold is a rank correlation in [-1, 1], got {threshold!r}.")
    original = explain(model, inputs, method=method, target=targets, **options)
    a_all = np.abs(original.heatmaps) if absolute else original.heatmaps
    empty_original = _constant(a_all)
    reasons = []
    if empty_original.any():
        idx = ", ".join(str(int(i)) for i in np.flatnonzero(empty_original)[:8])
        reasons.append(
            f"the original {method} map is empty or constant for {int(empty_original.sum())} "
            f"of {len(a_all)} inputs ({idx}): a map that shows nothing cannot be compared, so "
            "those inputs are left out (NaN)" + (
                f"; {original.warnings[0]}" if original.warnings else ""))
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
        b_all = np.abs(randomized.heatmaps) if absolute else randomized.heatmaps
        empty_random = _constant(b_all) & ~empty_original
        name = "/".join(info.path)
        if empty_random.any():
            reasons.append(
                f"after randomising down to {name!r} the map is empty or constant for "
                f"{int(empty_random.sum())} input(s): no correlation there (NaN)")
        per_input.append([spearman(a, b) for a, b in zip(a_all, b_all)])
        names.append(name)
    per_input = np.array(per_input, dtype=np.float64).reshape(len(names), len(a_all))
    defined = np.isfinite(per_input)
    sums = np.where(defined, per_input, 0.0).sum(axis=1)
    counts = defined.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return RandomizationResult(method, names, means, per_input, threshold=float(threshold),
                               absolute=bool(absolute), reasons=reasons)
