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

    per_image = 2 * (steps + 1)  # its deletion and insertion rows
    group = max(1, batch_size // per_image)  # images whose rows go through one call

    def rows_of(i, heat_i):
        order = np.argsort(-heat_i.ravel(), kind="stable")
        # rank[p] = position of pixel p in the order; pixel p is changed at step s when
        # rank[p] < counts[s].
        rank = np.empty(pixels, int)
        rank[order] = np.arange(pixels)
        changed = (rank[None, :] < counts[:, None]).reshape(steps + 1, height, width)
        if x.ndim == 4:
            changed = changed[..., None]
        deleted = np.where(changed, np.float32(deletion_value), x[i][None])
        inserted = np.where(changed, x[i][None], blurred[i][None])
        return np.concatenate([deleted, inserted]).astype(np.float32)

    def curves_for(heat):
        """Every image's deletion and insertion rows, several images per compiled call."""
        curves = {"deletion": np.empty((n, steps + 1)), "insertion": np.empty((n, steps + 1))}
        for start in range(0, n, group):
            images = range(start, min(n, start + group))
            rows = np.concatenate([rows_of(i, heat[i]) for i in images])
            scores = adapter.scores(rows, batch_size).reshape(len(images), 2, steps + 1, -1)
            for k, i in enumerate(images):
                curves["deletion"][i] = scores[k, 0, :, targets[i]]
                curves["insertion"][i] = scores[k, 1, :, targets[i]]
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


def _randomizing_copy(model, max_layers: int | None = None) -> tuple:
    """A copy of the model (the user's is never touched) and its weighted layers from the
    output down (at most ``max_layers``): the steps of the cascading randomisation."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    with_weights = [
        info for info in adapt(clone).layers()
        if info.layer.trainable_weights and not isinstance(info.layer, keras.Model)
    ][::-1]
    return clone, with_weights if max_layers is None else with_weights[:max_layers]


def _redraw_weights(layer, rng):
    """Re-draw a layer's weights: normal, with each variable's own spread (0.05 for a
    constant one). The same generator through the steps gives the same draws at each step."""
    for variable in layer.trainable_weights:
        values = np.asarray(variable.numpy())
        std = float(values.std()) or 0.05
        variable.assign(rng.normal(0.0, std, values.shape).astype(values.dtype))


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
    clone, with_weights = _randomizing_copy(model, max_layers)
    rng = np.random.default_rng(seed)
    names, per_input = [], []
    for info in with_weights:
        _redraw_weights(info.layer, rng)
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


# =========================================================================== trust metrics
# Faithfulness correlation, max-sensitivity, the pointing game, relevance mass, sparseness
# and the random-logit check (issue 14), and evaluate(): all of them for several methods at
# once, as a DataFrame. Every function takes (N, H, W) heatmaps (what the views show) for
# (N, H, W[, C]) images; a "feature" is a pixel (all its channels together).


def _as_maps(heatmaps, name: str = "heatmaps") -> np.ndarray:
    heat = np.asarray(heatmaps, dtype=np.float64)
    if heat.ndim == 2:
        heat = heat[None]
    if heat.ndim != 3:
        raise ExplainError(f"{name} must be (N, H, W) maps, got shape {heat.shape}.")
    if not np.isfinite(heat).all():
        raise ExplainError(f"{name} contain NaN or infinite values; replace them first.")
    return heat


def _as_masks(masks, shape) -> np.ndarray:
    region = np.asarray(masks)
    if region.ndim == 2:
        region = np.broadcast_to(region, shape)
    if region.shape != tuple(shape):
        raise ExplainError(
            f"masks must be boolean (N, H, W) regions matching the heatmaps {tuple(shape)}, "
            f"got shape {region.shape}.")
    region = region.astype(bool)
    empty = [i for i in range(len(region)) if not region[i].any()]
    if empty:
        raise ExplainError(
            f"the region of input(s) {empty} is empty: mark at least one pixel, or leave that "
            "input out of the localisation metrics.")
    return region


def sparseness(heatmaps) -> np.ndarray:
    """Gini index of |heatmap| per map (Chalasani et al. 2020): 0 when every pixel has the
    same relevance, towards 1 when one pixel has it all. Higher = a sparser, easier map to
    read (not, by itself, a truer one). A map of zeros gets 0."""
    heat = np.abs(_as_maps(heatmaps))
    values = np.sort(heat.reshape(len(heat), -1), axis=1)
    n = values.shape[1]
    total = values.sum(axis=1)
    k = np.arange(1, n + 1)
    weighted = ((2 * k - n - 1) * values).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gini = np.where(total > 0, weighted / (n * np.where(total > 0, total, 1)), 0.0)
    return gini.astype(np.float64)


def pointing_game(heatmaps, masks) -> np.ndarray:
    """Does each map's maximum fall inside the region (Zhang et al. 2018)? (N,) bool.
    Ties at the maximum count as a hit when any of them is inside."""
    heat = _as_maps(heatmaps)
    region = _as_masks(masks, heat.shape)
    flat = heat.reshape(len(heat), -1)
    top = flat == flat.max(axis=1, keepdims=True)
    return (top & region.reshape(len(heat), -1)).any(axis=1)


def relevance_mass(heatmaps, masks) -> np.ndarray:
    """Share of the positive relevance that lies inside the region (Arras et al. 2022):
    sum(max(h, 0) in region) / sum(max(h, 0)). 1 = all of it inside; the region's share
    of the pixels is what a uniform map gets. A map with no positive value gets NaN."""
    heat = _as_maps(heatmaps)
    region = _as_masks(masks, heat.shape)
    positive = np.maximum(heat, 0.0).reshape(len(heat), -1)
    inside = (positive * region.reshape(len(heat), -1)).sum(axis=1)
    total = positive.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1), np.nan)


def _pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (a * b).sum(axis=-1) / np.where(denom > 0, denom, 1), 0.0)


class _Batches:
    """Model calls over rows made on demand, in chunks, with progress and cancel."""

    def __init__(self, progress=None, cancel=None, total: int = 0):
        self.progress, self.cancel, self.total, self.done = progress, cancel, total, 0

    def check(self):
        if self.cancel is not None and self.cancel():
            from .errors import Cancelled

            raise Cancelled(f"cancelled after {self.done} of {self.total} steps")

    def step(self, count: int = 1):
        self.done += count
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))


def _subset_plan(n_pixels: int, count: int, subsets: int, size: int, seed: int):
    """(count, subsets, size) random pixel indices, without repeats inside a subset."""
    rng = np.random.default_rng(seed)
    keys = rng.random((count, subsets, n_pixels))
    return np.argpartition(keys, size - 1, axis=-1)[..., :size]


def _faithfulness_scores(adapter, x, targets, heat_list, *, subsets, subset_size, baseline,
                         seed, batch_size, batches: _Batches | None = None):
    """Faithfulness correlation of several methods' maps at once: every (map, subset) row
    of every method goes through the model in the same chunks. Returns (M, N)."""
    n, height, width = x.shape[:3]
    pixels = height * width
    size = subset_size or max(1, pixels // 20)
    if not 1 <= size < pixels:
        raise ExplainError(f"subset_size must be in 1..{pixels - 1} pixels, got {size}.")
    if not isinstance(subsets, int) or subsets < 2:
        raise ExplainError(f"subsets must be an int >= 2 (a correlation needs points), got "
                           f"{subsets!r}.")
    m = len(heat_list)
    base_scores = adapter.scores(x, batch_size)[np.arange(n), targets]
    # the same subsets for every method: their differences are the maps', not the draws'
    plan = _subset_plan(pixels, n, subsets, size, seed)  # (N, S, size)
    # a subset's removal does not depend on the method: one model call per (input, subset)
    rows = n * subsets
    drops = np.empty(rows)
    fill = np.float32(baseline)
    for start in range(0, rows, batch_size):
        if batches is not None and start:
            batches.check()
        stop = min(start + batch_size, rows)
        idx = np.arange(start, stop)
        i, s = idx // subsets, idx % subsets
        chunk = x[i].copy()
        flat = chunk.reshape(len(idx), pixels, -1)
        flat[np.arange(len(idx))[:, None], plan[i, s]] = fill
        scores = adapter.scores(chunk, batch_size)[np.arange(len(idx)), targets[i]]
        drops[start:stop] = base_scores[i] - scores
        if batches is not None:
            batches.step(stop - start)
    drops = drops.reshape(n, subsets)
    out = np.empty((m, n))
    for k, heat in enumerate(heat_list):
        flat = heat.reshape(n, pixels)
        sums = np.take_along_axis(flat[:, None, :].repeat(subsets, 1), plan, axis=-1).sum(-1)
        out[k] = _pearson_rows(sums, drops)
    return out


def faithfulness_correlation(model, inputs, heatmaps, targets=None, *, subsets: int = 64,
                             subset_size: int | None = None, baseline: float = 0.0,
                             seed: int = 0, output: str = "logit", head=None,
                             batch_size: int = 128, progress=None, cancel=None) -> np.ndarray:
    """Faithfulness correlation (Bhatt et al. 2020), (N,): draw ``subsets`` random sets of
    ``subset_size`` pixels (default 5 % of them), set them to ``baseline``, and correlate
    (Pearson) the map's sum over each set with the score's drop. 1 = the map predicts what
    removing pixels does; about 0 = it does not. Scores are logits by default
    (``output="probability"`` for the model's output)."""
    adapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    heat = _as_maps(heatmaps)
    if x.ndim not in (3, 4) or heat.shape != x.shape[:3]:
        raise ExplainError(
            f"heatmaps must be (N, H, W) matching the images {x.shape[:3]}, got {heat.shape}.")
    logits = adapter.scores(x, batch_size)
    targets = adapter.resolve_targets(targets, len(x), logits)
    batches = _Batches(progress, cancel, len(x) * subsets)
    return _faithfulness_scores(adapter, x, targets, [heat], subsets=subsets,
                                subset_size=subset_size, baseline=baseline, seed=seed,
                                batch_size=batch_size, batches=batches)[0]


def _normalised(maps: np.ndarray) -> np.ndarray:
    flat = maps.reshape(len(maps), -1)
    peak = np.abs(flat).max(axis=1)
    peak[peak == 0] = 1.0
    return (flat / peak[:, None]).reshape(maps.shape)


def _explainer(model, method, options, output, head):
    """``(x, targets, cancel) -> (N, H, W) maps`` for a registered method's name, or the
    caller's own function ``f(x, targets) -> maps``."""
    if callable(method):
        return lambda x, t, cancel=None: np.asarray(method(x, t), np.float64)

    def run(x, t, cancel=None):
        return explain(model, x, method=method, target=t, output=output, head=head,
                       cancel=cancel, **options).heatmaps.astype(np.float64)

    return run


def _sensitivity(run, x, targets, base_maps, samples, radius, seed, cancel=None,
                 normalise: bool = True):
    n = len(x)
    rng = np.random.default_rng(seed)
    noise = rng.uniform(-radius, radius, (samples,) + x.shape).astype(np.float32)
    noisy = (x[None] + noise).reshape((samples * n,) + x.shape[1:])
    maps = run(noisy, np.tile(targets, samples), cancel).reshape((samples, n) + base_maps.shape[1:])
    scale = _normalised if normalise else (lambda m: m)
    a = scale(base_maps)
    diff = np.stack([scale(m) - a for m in maps])  # (S, N, H, W)
    top = np.sqrt((diff.reshape(samples, n, -1) ** 2).sum(-1))
    bottom = np.sqrt((a.reshape(n, -1) ** 2).sum(-1))
    bottom[bottom == 0] = 1.0
    return (top / bottom).max(axis=0)


def max_sensitivity(model, inputs, method="saliency", targets=None, *, samples: int = 8,
                    radius: float = 0.02, seed: int = 0, normalise: bool = True,
                    output: str = "logit", head=None, cancel=None, **options) -> np.ndarray:
    """Max-sensitivity (Yeh et al. 2019), (N,): the largest relative change of the map,
    ||h(x + e) - h(x)|| / ||h(x)|| with each map scaled by its max |value|, over ``samples``
    draws of uniform noise e in [-radius, radius] (input units; ``normalise=False`` compares
    the maps as they are). 0 = the map does not move;
    lower is more robust. The class explained stays the original one. ``method`` is a
    registered name (its ``options`` pass through) or a function ``f(x, targets) -> maps``.
    All noisy copies go through the explainer in one batched call."""
    if not isinstance(samples, int) or samples < 1:
        raise ExplainError(f"samples must be a positive int, got {samples!r}.")
    if not radius > 0:
        raise ExplainError(f"radius must be > 0 (the noise's half-width), got {radius!r}.")
    adapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    targets = adapter.resolve_targets(targets, len(x), adapter.scores(x))
    run = _explainer(model, method, options, output, head)
    return _sensitivity(run, x, targets, run(x, targets, cancel), samples, radius, seed, cancel,
                        normalise)


def random_logit(model, inputs, method="saliency", targets=None, *, seed: int = 0,
                 output: str = "logit", head=None, absolute: bool = True,
                 **options) -> np.ndarray:
    """Random-logit check (Sixt et al. 2020), (N,): the Spearman correlation of the map for
    the target class with the map for another class drawn at random. Near 1 = the map does
    not depend on the class asked (it shows the image, not the decision); lower is better."""
    adapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    if adapter.num_classes < 2:
        raise ExplainError("the random-logit check needs a model with at least 2 classes.")
    targets = adapter.resolve_targets(targets, len(x), adapter.scores(x))
    others = _other_classes(targets, adapter.num_classes, seed)
    run = _explainer(model, method, options, output, head)
    return _logit_correlations(run(x, targets), run(x, others), absolute)


def _other_classes(targets, k, seed):
    rng = np.random.default_rng(seed)
    shift = rng.integers(1, k, len(targets))
    return ((targets + shift) % k).astype(np.int32)


def _logit_correlations(a, b, absolute):
    if absolute:
        a, b = np.abs(a), np.abs(b)
    return np.array([spearman(a[i], b[i]) for i in range(len(a))])


METRIC_CAPTIONS = {
    "deletion_auc": "area under p(class) while deleting the top pixels first: lower is better",
    "insertion_auc": "area under p(class) while inserting the top pixels first: higher is better",
    "faithfulness_correlation": "correlation of map sums with score drops: near 1 is good, "
                                "near 0 means the map does not predict the model",
    "max_sensitivity": "largest change of the map under small noise: lower is more robust",
    "sparseness": "Gini index of |map|: higher is sparser, easier to read",
    "random_logit": "rank correlation with the map for a random other class: lower is better",
    "randomization": "rank correlation with the map after randomising the top layers: "
                     "lower is better; near 1 fails the sanity check",
    "pointing_game": "the map's maximum lies in the region: True is a hit",
    "relevance_mass": "share of positive relevance inside the region: higher is better",
}


def evaluate(model, inputs, methods=("saliency", "integrated_gradients"), targets=None,
             masks=None, *, steps: int = 32, subsets: int = 64,
             subset_size: int | None = None, samples: int = 8, radius: float = 0.02,
             randomization_layers: int | None = 1, random_logit_check: bool = True,
             options: dict | None = None, seed: int = 0, head=None, batch_size: int = 64,
             output: str = "logit", progress=None, cancel=None):
    """Every trust metric for several methods on several images: a pandas DataFrame with
    one row per (input, method), in ``METRIC_CAPTIONS``' terms.

    Columns: ``input``, ``method``, ``target``, ``deletion_auc``, ``insertion_auc``
    (``steps`` steps), ``faithfulness_correlation`` (``subsets`` x ``subset_size`` pixels),
    ``max_sensitivity`` (``samples`` draws of noise of half-width ``radius``),
    ``sparseness``, ``random_logit`` (unless ``random_logit_check=False``),
    ``randomization`` (the rank correlation after re-drawing the top
    ``randomization_layers`` layers; None skips it) and, with ``masks`` ((N, H, W)
    booleans), ``pointing_game`` and ``relevance_mass``.

    Model calls are batched across methods and inputs: one explain call per method for all
    inputs (and one for all noisy copies), the deletion/insertion rows of every method in one
    call, the faithfulness subsets once for all methods. ``options`` maps a method to its
    options. ``progress(done, total)`` counts stages; ``cancel()`` is checked between and
    inside them (raises ``xw.Cancelled``). ``df.attrs["curves"]`` keeps the deletion and
    insertion curves, ``df.attrs["maps"]`` the heatmaps, ``df.attrs["captions"]`` what each
    column means. ``output``: what the methods explain and faithfulness measures, "logit"
    (the score before a final softmax/sigmoid) or "probability"; deletion and insertion
    always follow the probability, as their protocol does.
    """
    import pandas as pd  # runtime dependency: evaluate() returns a DataFrame

    from .explainers import get_method

    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ExplainError("methods is empty: name at least one method, e.g. ['saliency'].")
    from .explainers import methods as registered

    image_methods = registered(kind="image")
    for name in methods:
        spec = get_method(name)
        if name not in image_methods:
            raise ExplainError(f"evaluate() scores image explanations; {name!r} explains "
                               f"{' and '.join(spec.inputs)} inputs.")
    options = dict(options or {})
    unknown = sorted(set(options) - set(methods))
    if unknown:
        raise ExplainError(f"options given for {unknown}, which are not among the methods "
                           f"{methods}.")
    if not isinstance(steps, int) or steps < 1:
        raise ExplainError(f"steps must be a positive int, got {steps!r}.")
    if not isinstance(samples, int) or samples < 1:
        raise ExplainError(f"samples must be a positive int, got {samples!r}.")
    adapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    if x.ndim not in (3, 4):
        raise ExplainError(f"evaluate() scores image explanations; these inputs have shape "
                           f"{x.shape}, not (N, H, W[, C]).")
    n = len(x)
    region = None if masks is None else _as_masks(masks, x.shape[:3])
    logits = adapter.scores(x, batch_size)
    targets = adapter.resolve_targets(targets, n, logits)
    stages = (len(methods) * (2 + (random_logit_check and adapter.num_classes > 1)
                              + (randomization_layers is not None)) + 2)
    batches = _Batches(progress, cancel, stages)
    runs = {name: _explainer(model, name, options.get(name, {}), output, head)
            for name in methods}

    maps = {}
    for name in methods:
        batches.check()
        maps[name] = runs[name](x, targets, cancel)
        batches.step()
    heat_list = [maps[name] for name in methods]

    # deletion and insertion: every method's maps in one call (inputs tiled per method)
    batches.check()
    curves = deletion_insertion(model, np.concatenate([x] * len(methods)),
                                np.concatenate(heat_list), np.tile(targets, len(methods)),
                                steps=steps, head=head, batch_size=max(batch_size, steps + 1))
    batches.step()
    batches.check()
    faith = _faithfulness_scores(adapter, x, targets, heat_list, subsets=subsets,
                                 subset_size=subset_size, baseline=0.0, seed=seed,
                                 batch_size=batch_size,
                                 batches=_Batches(None, cancel))
    batches.step()
    sens, logit_check, randomized = {}, {}, {}
    for name in methods:
        batches.check()
        sens[name] = _sensitivity(runs[name], x, targets, maps[name], samples, radius, seed,
                                  cancel)
        batches.step()
    if random_logit_check and adapter.num_classes > 1:
        others = _other_classes(targets, adapter.num_classes, seed)
        for name in methods:
            batches.check()
            logit_check[name] = _logit_correlations(maps[name], runs[name](x, others, cancel),
                                                    True)
            batches.step()
    if randomization_layers is not None:
        for name in methods:
            batches.check()
            check = randomization_check(model, x, method=name, targets=targets, seed=seed,
                                        max_layers=randomization_layers,
                                        **options.get(name, {}))
            randomized[name] = (check.per_input[-1] if len(check.layers)
                                else np.full(n, np.nan))
            batches.step()

    rows = []
    for k, name in enumerate(methods):
        sl = slice(k * n, (k + 1) * n)
        sparse = sparseness(maps[name])
        hits = pointing_game(maps[name], region) if region is not None else None
        mass = relevance_mass(maps[name], region) if region is not None else None
        for i in range(n):
            row = {"input": i, "method": name, "target": int(targets[i]),
                   "deletion_auc": float(curves.deletion_auc[sl][i]),
                   "insertion_auc": float(curves.insertion_auc[sl][i]),
                   "faithfulness_correlation": float(faith[k, i]),
                   "max_sensitivity": float(sens[name][i]),
                   "sparseness": float(sparse[i])}
            if logit_check:
                row["random_logit"] = float(logit_check[name][i])
            if randomized:
                row["randomization"] = float(randomized[name][i])
            if region is not None:
                row["pointing_game"] = bool(hits[i])
                row["relevance_mass"] = float(mass[i])
            rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["captions"] = {c: METRIC_CAPTIONS[c] for c in df.columns if c in METRIC_CAPTIONS}
    df.attrs["curves"] = {
        "fractions": curves.fractions,
        **{name: {"deletion": curves.deletion[k * n:(k + 1) * n],
                  "insertion": curves.insertion[k * n:(k + 1) * n]}
           for k, name in enumerate(methods)}}
    df.attrs["maps"] = maps
    return df


def randomized_maps(model, inputs, method="gradcam", targets=None, *, layers: int = 1,
                    seed: int = 0, absolute: bool = True, **options):
    """The sanity check as a picture: the maps after re-drawing the weights of the top
    ``layers`` weighted layers (in a copy of the model, as :func:`randomization_check` does
    at its step ``layers``, with the same draws), and their Spearman correlation with the
    original maps. Returns ``(maps (N, H, W), correlations (N,))``; near 1 fails the check."""
    if not isinstance(layers, int) or layers < 1:
        raise ExplainError(f"layers must be a positive int, got {layers!r}.")
    original = explain(model, inputs, method=method, target=targets, **options)
    clone, with_weights = _randomizing_copy(model, layers)
    rng = np.random.default_rng(seed)
    for info in with_weights:
        _redraw_weights(info.layer, rng)
    randomized = explain(clone, original.inputs, method=method, target=original.targets,
                         **options)
    a, b = original.heatmaps, randomized.heatmaps
    if absolute:
        a, b = np.abs(a), np.abs(b)
    return randomized.heatmaps, np.array([spearman(a[i], b[i]) for i in range(len(a))])
