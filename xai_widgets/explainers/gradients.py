"""Gradient methods: saliency, gradient x input, integrated gradients, SmoothGrad.

All of them run through ONE function per model adapter, "class-score gradients at a batch of
points", so that the model's forward+backward pass is traced once for all four:

* ``point_gradients(x_u, base_u, per_row, row_ints, params)``: for each row, the gradient of
  the target score at ``base + alpha * (x - base)`` (or, if ``noisy``, at ``x + sigma *
  noise``, the noise drawn inside the call from a Philox stream keyed by ``seed``, row
  ``first_row + r`` taking its own stretch of it), squared if ``squared``, multiplied by
  ``weight`` and summed per input; ``per_row`` holds (alpha, weight, sigma), ``row_ints``
  (which input, target), ``params`` (first_row, seed, squared, noisy). It also returns the
  rows' scores and targets (a target of -1 is the row's top class), so that saliency and
  gradient x input, whose rows are the inputs, need no forward pass of their own to pick the
  classes and report the scores. Saliency is one row per input with
  ``alpha = 1``; integrated gradients are ``steps`` rows per input with quadrature weights;
  SmoothGrad is ``samples`` noisy rows per input with weight 1.

The tape watches the rows only (``watch_accessed_variables=False``): the gradient with
respect to the weights is never built (in a traced graph it was pruned, but cost tracing and
optimising time; run eagerly, parts of it were computed).

Rows of all inputs are packed into chunks of exactly ``batch_size`` model evaluations, so a
method costs about as much as one batched forward+backward pass over the same number of
evaluations. The function takes a ``None`` batch dimension: repeated calls never retrace.
Small calls run eagerly until the function is compiled (see ``ModelAdapter.compile``).
"""

from __future__ import annotations

import numpy as np

from ..errors import ExplainError
from .base import Option, input_heatmaps, register

QUADRATURE_RULES = ("trapezoid", "midpoint", "left", "gauss_legendre")


def quadrature(rule: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in [0, 1] and weights summing to 1 for the path integral of IG.

    trapezoid: ``steps`` equally spaced nodes including both ends, end weights halved
    (exact when the gradient varies linearly along the path, e.g. quadratic models).
    midpoint: centres of ``steps`` equal cells (also exact for linear gradients).
    left: left Riemann sum, the rule of the original IG paper (exact only for constant
    gradients). gauss_legendre: exact for gradients polynomial in alpha up to degree
    2 * steps - 1.
    """
    if rule == "trapezoid":
        if steps < 2:
            raise ExplainError("the trapezoid rule needs steps >= 2 (both ends of the path).")
        alphas = np.linspace(0.0, 1.0, steps)
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] *= 0.5
    elif rule == "midpoint":
        alphas = (np.arange(steps) + 0.5) / steps
        weights = np.full(steps, 1.0 / steps)
    elif rule == "left":
        alphas = np.arange(steps) / steps
        weights = np.full(steps, 1.0 / steps)
    elif rule == "gauss_legendre":
        nodes, w = np.polynomial.legendre.leggauss(steps)
        alphas, weights = (nodes + 1.0) / 2.0, w / 2.0
    else:
        raise ExplainError(f"unknown quadrature rule {rule!r}; valid: {list(QUADRATURE_RULES)}")
    return alphas.astype(np.float32), weights.astype(np.float32)


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Blur (N, H, W[, C]) images over H and W with a Gaussian (reflect padding)."""
    if x.ndim not in (3, 4):
        raise ExplainError(
            f"a blurred baseline needs image inputs (N, H, W[, C]), got shape {x.shape}; use "
            "baseline='zeros' or pass an array."
        )
    radius = max(1, int(round(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    out = x.astype(np.float64)
    for axis in (1, 2):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        mode = "reflect" if out.shape[axis] > radius else "edge"
        padded = np.pad(out, pad, mode=mode)
        out = sum(
            kernel[k] * np.take(padded, np.arange(k, k + out.shape[axis]), axis=axis)
            for k in range(len(kernel))
        )
    return out.astype(np.float32)


def make_baselines(baseline, x: np.ndarray, blur_sigma: float | None) -> np.ndarray:
    """Baseline per input: 'zeros', 'blur' (Gaussian-blurred input) or a user array."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros_like(x)
        if baseline == "blur":
            sigma = blur_sigma or max(1.0, 0.1 * max(x.shape[1:3]))
            return gaussian_blur(x, sigma)
        raise ExplainError(
            f"unknown baseline {baseline!r}; valid: 'zeros', 'blur', or an array shaped like "
            "one input or like the whole batch."
        )
    b = np.asarray(baseline, dtype=np.float32)
    if b.shape == x.shape[1:]:
        b = np.broadcast_to(b, x.shape)
    if b.shape != x.shape:
        raise ExplainError(
            f"baseline has shape {b.shape}; expected one input's shape {x.shape[1:]} or the "
            f"batch's shape {x.shape}."
        )
    if not np.isfinite(b).all():
        raise ExplainError("baseline contains NaN or infinite values.")
    return np.ascontiguousarray(b)


def no_gradient_error(adapter) -> ExplainError:
    return ExplainError(
        f"the model's output {adapter.head_name!r} has no gradient with respect to its input: "
        "an operation between them is not differentiable (argmax, rounding, a cast to "
        "integers, a lookup...). Gradient methods cannot explain it; 'occlusion' needs only "
        "forward passes."
    )


def scores_and_targets(tf, adapter, rows, target):
    """The explained scores of the rows (K per row) and each row's target: ``target``, or
    the row's top class where it is -1 (picked in the same pass)."""
    out, _ = adapter.forward(rows)
    out = tf.cast(out, tf.float32)
    top = tf.argmax(out, axis=-1, output_type=tf.int32)
    return out, tf.where(target < 0, top, target)


# per_row columns and params entries of point_gradients (few arguments: each one costs
# ~70 us of argument binding per call, which matters for small models)
ALPHA, WEIGHT, SIGMA = 0, 1, 2
FIRST_ROW, SEED, SQUARED, NOISY = 0, 1, 2, 3


def _point_gradients(adapter):
    import tensorflow as tf

    def build():
        bshape = (-1,) + (1,) * len(adapter.input_shape)
        size = int(np.prod(adapter.input_shape))
        padded = -(-size // 4) * 4  # Philox gives 4 normals a step: each row starts a step

        def point_gradients(x_u, base_u, per_row, row_ints, params):
            idx, target = row_ints[:, 0], row_ints[:, 1]
            xs = tf.gather(x_u, idx)

            def noisy_rows():
                # row r's noise: the normals from step (first_row + r) * padded / 4 on of a
                # Philox stream keyed by the seed (the same eagerly and compiled)
                counter = tf.stack([tf.cast(params[FIRST_ROW], tf.uint64) * (padded // 4),
                                    tf.constant(0, tf.uint64)])
                noise = tf.raw_ops.StatelessRandomNormalV2(
                    shape=tf.stack([tf.shape(idx)[0], padded]),
                    key=tf.reshape(tf.cast(params[SEED], tf.uint64), (1,)), counter=counter,
                    alg=1)
                noise = tf.reshape(noise[:, :size], tf.shape(xs))
                return xs + noise * tf.reshape(per_row[:, SIGMA], bshape)

            def path_rows():
                bs = tf.gather(base_u, idx)
                return bs + tf.reshape(per_row[:, ALPHA], bshape) * (xs - bs)

            rows = tf.cond(params[NOISY] > 0, noisy_rows, path_rows)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(rows)
                out, resolved = scores_and_targets(tf, adapter, rows, target)
                score = tf.gather(out, resolved, batch_dims=1)
            grads = tape.gradient(score, rows)
            if grads is None:
                raise no_gradient_error(adapter)
            grads = tf.cond(params[SQUARED] > 0, lambda: grads * grads, lambda: grads)
            summed = tf.math.segment_sum(grads * tf.reshape(per_row[:, WEIGHT], bshape), idx)
            return summed, out, resolved

        spec = adapter.input_spec()
        return adapter.compile(point_gradients, [
            spec, spec, tf.TensorSpec((None, 3), tf.float32),
            tf.TensorSpec((None, 2), tf.int32), tf.TensorSpec((4,), tf.int64)],
            rows=lambda x_u, base_u, per_row, *_: len(per_row))

    return adapter.function("point_gradients", build)


def _call(fn, x_u, base_u, idx, target, alpha, weight, sigma=0.0, first_row=0, seed=0,
          squared=False, noisy=False):
    """One call of point_gradients, its arguments packed."""
    per_row = np.empty((len(idx), 3), np.float32)
    per_row[:, ALPHA], per_row[:, WEIGHT], per_row[:, SIGMA] = alpha, weight, sigma
    row_ints = np.stack([idx, target], axis=1).astype(np.int32)
    params = np.array([first_row, seed, squared, noisy], np.int64)
    return fn(x_u, base_u, per_row, row_ints, params)


def path_integral(adapter, x, baselines, targets, runner, alphas, weights) -> np.ndarray:
    """sum_k weights[k] * grad f(base + alphas[k] (x - base)) per input, in full chunks."""
    return _path_integral(adapter, x, baselines, targets, runner, alphas, weights)[0]


def _path_integral(adapter, x, baselines, targets, runner, alphas, weights):
    """(path integral, the inputs' scores, the inputs' targets); the scores and targets only
    with one step (the rows are then the inputs), else None."""
    fn = _point_gradients(adapter)
    steps = len(alphas)
    n_rows = len(x) * steps
    runner.plan(n_rows)
    total = np.zeros_like(x)
    at_inputs = steps == 1
    logits = np.empty((n_rows, adapter.num_classes), np.float32) if at_inputs else None
    resolved = np.empty(n_rows, np.int32) if at_inputs else None
    for start, stop in runner.chunks(n_rows):
        rows = np.arange(start, stop)
        which, k = rows // steps, rows % steps
        first, last = which[0], which[-1] + 1
        summed, out, picked = _call(fn, x[first:last], baselines[first:last], which - first,
                                    targets[which], alphas[k], weights[k])
        total[first:last] += summed.numpy()
        if at_inputs:
            logits[start:stop] = out.numpy().reshape(len(rows), -1)
            resolved[start:stop] = picked.numpy()
    return total, logits, resolved


def gradients(adapter, x, targets, runner) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain gradients of the target scores, batched; with the inputs' scores and targets
    (a target of -1 is the input's top class)."""
    one = np.ones(1, np.float32)
    return _path_integral(adapter, x, x, targets, runner, one, one)


@register(
    "saliency", "Saliency (gradient)",
    "gradient of the class score with respect to each input value; the heatmap shows its "
    "magnitude (max over channels of |gradient|).",
    signed=False, inputs=("image", "tabular"), own_scores=True)
def saliency(adapter, x, targets, runner):
    grads, logits, targets = gradients(adapter, x, targets, runner)
    return {"attributions": grads, "heatmaps": input_heatmaps(grads, "maxabs"),
            "logits": logits, "targets": targets}


@register(
    "gradient_x_input", "Gradient × Input",
    "gradient times the input value: a first-order estimate of each value's contribution "
    "relative to an all-zero input.",
    signed=True, inputs=("image", "tabular"), own_scores=True)
def gradient_x_input(adapter, x, targets, runner):
    grads, logits, targets = gradients(adapter, x, targets, runner)
    attributions = grads * x
    return {"attributions": attributions, "heatmaps": input_heatmaps(attributions),
            "logits": logits, "targets": targets}


@register(
    "integrated_gradients", "Integrated Gradients",
    "(x - baseline) times the average gradient along the straight path from the baseline to "
    "x; the attributions add up to f(x) - f(baseline) (completeness), reported as "
    "completeness_delta.",
    signed=True,
    options=(
        Option("steps", 32, "gradient evaluations along the path per input", "integer", minimum=1,
               maximum=4096),
        Option("baseline", "zeros", "'zeros', 'blur' (Gaussian-blurred input) or an array",
               ("choice", "array"), choices=("zeros", "blur")),
        Option("rule", "gauss_legendre", "quadrature rule for the path integral (see "
               "quadrature())", "choice",
               choices=QUADRATURE_RULES),
        Option("blur_sigma", None, "Gaussian sigma in pixels for baseline='blur' "
               "(None: 10% of the image size)", "number", minimum=0.1),
    ), inputs=("image", "tabular"))
def integrated_gradients(adapter, x, targets, runner, steps, baseline, rule, blur_sigma):
    alphas, weights = quadrature(rule, steps)
    baselines = make_baselines(baseline, x, blur_sigma)
    average_gradient = path_integral(adapter, x, baselines, targets, runner, alphas, weights)
    attributions = (x - baselines) * average_gradient
    n = np.arange(len(x))
    f_x = runner.logits[n, targets]
    f_base = adapter.scores(baselines)[n, targets]
    delta = attributions.reshape(len(x), -1).sum(axis=1) - (f_x - f_base)
    shown = baseline if isinstance(baseline, str) else "array"
    return {
        "attributions": attributions.astype(np.float32),
        "heatmaps": input_heatmaps(attributions),
        "completeness_delta": delta.astype(np.float32),
        "baselines": baselines,
        "params": {"baseline": shown},
    }


@register(
    "smoothgrad", "SmoothGrad",
    "the gradient averaged over noisy copies of the input (Gaussian noise with standard "
    "deviation noise * (max - min) of each input); squared=True averages squared gradients "
    "(SmoothGrad-Squared).",
    signed=False,
    options=(
        Option("samples", 32, "noisy copies per input", "integer", minimum=1, maximum=4096),
        Option("noise", 0.15, "noise standard deviation relative to the input's value range",
               "number", minimum=0.0, maximum=10.0),
        Option("squared", False, "average squared gradients (SmoothGrad-Squared)", "boolean"),
        Option("seed", 0, "random seed of the noise", "integer", minimum=0),
    ), inputs=("image", "tabular"))
def smoothgrad(adapter, x, targets, runner, samples, noise, squared, seed):
    fn = _point_gradients(adapter)
    n_rows = len(x) * samples
    runner.plan(n_rows)
    spans = (x.reshape(len(x), -1).max(axis=1) - x.reshape(len(x), -1).min(axis=1))
    sigmas = (noise * np.where(spans > 0, spans, 1.0)).astype(np.float32)
    total = np.zeros_like(x)
    for start, stop in runner.chunks(n_rows):
        # Row i * samples + j is input i's j-th noisy copy; its noise depends only on the seed
        # and that row number (drawn inside the compiled call): the result does not depend
        # on batch_size.
        rows = np.arange(start, stop)
        which = rows // samples
        first, last = which[0], which[-1] + 1
        x_chunk = x[first:last]
        summed, _, _ = _call(fn, x_chunk, x_chunk, which - first, targets[which], 1.0, 1.0,
                             sigmas[which], first_row=start, seed=seed, squared=squared,
                             noisy=True)
        total[first:last] += summed.numpy()
    attributions = total / samples
    return {"attributions": attributions, "heatmaps": input_heatmaps(attributions, "maxabs")}
