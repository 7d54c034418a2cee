"""Class activation maps: Grad-CAM and Grad-CAM++.

The target layer is the last layer with a spatial output, found also inside nested models
(a backbone used as a layer), or the one named by ``layer=``. Its activations and the
gradient of the target score with respect to them come from one forward+backward pass
(shared by both methods; eager for the first small calls, then compiled) that runs the
model's own graph (see ``ModelAdapter.forward``), so nested and
transfer-learning models work without rebuilding anything.
"""

from __future__ import annotations

import numpy as np

from ..errors import ExplainError
from ..models import _is_model
from .base import EMPTY_ATOL, Option, register


def resolve_layer(adapter, layer):
    if layer is None:
        return adapter.default_spatial_layer()
    info = adapter.find_layer(layer)
    if not info.is_spatial:
        spatial = [i.name for i in adapter.layers() if i.is_spatial and not _is_model(i.layer)]
        raise ExplainError(
            f"layer {info.name!r} has output shape {info.output_shape}, not a spatial map "
            f"(batch, height, width, channels). Layers with spatial outputs: {spatial}."
        )
    return info


def layer_activations_and_gradients(adapter, info, x, targets, runner):
    """Activations of ``info`` and d(score)/d(activations), batched: (N, h, w, c) twice;
    with the inputs' scores (N, K) and targets (a target of -1 is the input's top class,
    picked in the same pass)."""
    import tensorflow as tf

    def build():
        def cam_gradients(xb, target):
            # the tape records from the layer on (not the weights, not what comes before):
            # the backward pass runs from the score to the layer only
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                out, (acts,) = adapter.forward(xb, [info], watch=tape.watch)
                out = tf.cast(out, tf.float32)
                top = tf.argmax(out, axis=-1, output_type=tf.int32)
                resolved = tf.where(target < 0, top, target)
                score = tf.gather(out, resolved, batch_dims=1)
            grads = tape.gradient(score, acts)
            if grads is None:
                raise ExplainError(
                    f"the output {adapter.head_name!r} has no gradient with respect to layer "
                    f"{info.name!r}; choose a layer the prediction depends on."
                )
            return tf.cast(acts, tf.float32), tf.cast(grads, tf.float32), out, resolved

        ints = tf.TensorSpec((None,), tf.int32)
        return adapter.compile(cam_gradients, [adapter.input_spec(), ints])

    fn = adapter.function(("cam_gradients", info.path), build)
    runner.plan(len(x))
    acts, grads, logits, resolved = [], [], [], []
    for start, stop in runner.chunks(len(x)):
        a, g, out, picked = fn(x[start:stop], targets[start:stop])
        acts.append(a.numpy())
        grads.append(g.numpy())
        logits.append(out.numpy().reshape(stop - start, -1))
        resolved.append(picked.numpy())
    return (np.concatenate(acts), np.concatenate(grads), np.concatenate(logits),
            np.concatenate(resolved))


def upsample(maps: np.ndarray, size) -> np.ndarray:
    """(N, h, w) -> (N, H, W), bilinear, as display heatmaps at input resolution."""
    import tensorflow as tf

    if maps.shape[1:] == tuple(size):
        return maps.astype(np.float32)
    resized = tf.image.resize(maps[..., None], size, method="bilinear")
    return resized.numpy()[..., 0].astype(np.float32)


def cam_warnings(label, raw, relu, info, targets) -> list:
    """Why a CAM is empty (zero everywhere) for some inputs, and what to try.

    With ``relu`` a map is empty when no place of it has positive evidence (its largest
    value is at most 1e-6 of its largest |value|): every channel that is active lowers the
    score. Without, when the weighted sum is zero everywhere (the score's gradient at the
    layer is zero, e.g. a dead or saturated path)."""
    flat = raw.reshape(len(raw), -1).astype(np.float64)
    scale = np.abs(flat).max(axis=1)
    peak = flat.max(axis=1) if relu else scale
    empty = np.flatnonzero(~(peak > np.maximum(EMPTY_ATOL, 1e-6 * scale)))
    if not len(empty):
        return []
    layer = "/".join(info.path)
    found = sorted({int(targets[i]) for i in empty})
    classes = (("class " if len(found) == 1 else "classes ")
               + ", ".join(str(c) for c in found[:5]) + (", ..." if len(found) > 5 else ""))
    n = len(raw)
    where = ("this image" if n == 1 else
             f"{len(empty)} of {n} images ({', '.join(str(int(i)) for i in empty[:8])}"
             f"{', ...' if len(empty) > 8 else ''})")
    if relu and np.any(scale[empty] > EMPTY_ATOL):
        why = ("no place in it raises the score (the channel-weighted sum is negative or "
               "zero everywhere, and relu=True keeps only positive evidence); try "
               "relu=False to see the negative evidence, or an earlier layer (a model "
               "whose head flattens the layer, not a global pooling, often gives such maps)")
    else:
        why = ("the score's gradient at this layer is zero; try an earlier layer, "
               "output='logit', or an input-space method such as integrated_gradients")
    return [f"{label} is zero everywhere for {classes} at layer {layer!r} on {where}: "
            f"{why}. An empty map does not mean that nothing matters."]


def _result(adapter, x, maps, info, relu, logits, targets, label="Grad-CAM"):
    warnings = cam_warnings(label, maps, relu, info, targets)
    if relu:
        maps = np.maximum(maps, 0.0)
    size = x.shape[1:3]
    return {
        "warnings": warnings,
        "attributions": maps.astype(np.float32),
        "heatmaps": upsample(maps, size),
        "signed": not relu,
        "params": {"layer": "/".join(info.path)},
        "logits": logits,
        "targets": targets,
    }


_CAM_OPTIONS = (
    Option("layer", None, "layer name (None: the last layer with a spatial output)", "layer"),
    Option("relu", True, "keep only positive evidence (as in the papers)", "boolean"),
)


@register(
    "gradcam", "Grad-CAM",
    "the layer's channels weighted by the spatial mean of the score's gradient, summed; "
    "coarse (layer resolution) but class-specific.",
    signed=False, space="layer", options=_CAM_OPTIONS, inputs=("image",), own_scores=True)
def gradcam(adapter, x, targets, runner, layer, relu):
    info = resolve_layer(adapter, layer)
    acts, grads, logits, targets = layer_activations_and_gradients(adapter, info, x, targets,
                                                                   runner)
    weights = grads.mean(axis=(1, 2))
    maps = np.einsum("nhwc,nc->nhw", acts, weights)
    return _result(adapter, x, maps, info, relu, logits, targets, "Grad-CAM")


@register(
    "gradcam_plus_plus", "Grad-CAM++",
    "Grad-CAM with pixel-wise weights from higher-order terms (Chattopadhyay et al. 2018, "
    "eq. 19 with the exponential-score closed form, alphas not renormalised); better at "
    "several instances of a class.",
    signed=False, space="layer", options=_CAM_OPTIONS, inputs=("image",), own_scores=True)
def gradcam_plus_plus(adapter, x, targets, runner, layer, relu):
    # alpha = g^2 / (2 g^2 + sum_ab(A) g^3), w_k = sum_ij alpha * relu(g), as in the paper's
    # equation (and pytorch-grad-cam). The authors' code and tf-keras-vis also divide each
    # channel's alphas by their spatial sum; that changes the maps (Spearman 0.70 with ours
    # on the digits CNN). We keep the published equation.
    info = resolve_layer(adapter, layer)
    acts, grads, logits, targets = layer_activations_and_gradients(adapter, info, x, targets,
                                                                   runner)
    g2, g3 = grads**2, grads**3
    sum_acts = acts.sum(axis=(1, 2), keepdims=True)
    denom = 2.0 * g2 + sum_acts * g3
    alphas = g2 / np.where(denom != 0.0, denom, 1.0)
    weights = (alphas * np.maximum(grads, 0.0)).sum(axis=(1, 2))
    maps = np.einsum("nhwc,nc->nhw", acts, weights)
    return _result(adapter, x, maps, info, relu, logits, targets, "Grad-CAM++")


# --------------------------------------------------------------------------- Score-CAM
def layer_activations(adapter, info, x, targets, runner):
    """Activations of ``info`` (N, h, w, c), with the inputs' scores (N, K) and targets
    (-1 = the top class, picked in the same pass): one forward pass, no gradient."""
    import tensorflow as tf

    def build():
        def cam_activations(xb, target):
            out, (acts,) = adapter.forward(xb, [info])
            out = tf.cast(out, tf.float32)
            top = tf.argmax(out, axis=-1, output_type=tf.int32)
            return tf.cast(acts, tf.float32), out, tf.where(target < 0, top, target)

        return adapter.compile(cam_activations,
                               [adapter.input_spec(), tf.TensorSpec((None,), tf.int32)])

    fn = adapter.function(("cam_activations", info.path), build)
    runner.plan(len(x))
    acts, logits, resolved = [], [], []
    for start, stop in runner.chunks(len(x)):
        a, out, picked = fn(x[start:stop], targets[start:stop])
        acts.append(a.numpy())
        logits.append(out.numpy().reshape(stop - start, -1))
        resolved.append(picked.numpy())
    return np.concatenate(acts), np.concatenate(logits), np.concatenate(resolved)


def class_probability(tf, adapter, out):
    """The explained scores as class probabilities, as Score-CAM weighs its masks: the
    softmax of logits; scores that already are probabilities as they are; one column: its
    sigmoid when the head ends in one, else the score itself (a regression)."""
    if adapter.score_kind == "probability":
        return out
    if adapter.num_classes > 1:
        return tf.nn.softmax(out, axis=-1)
    if adapter.final_activation == "sigmoid":
        return tf.sigmoid(out)
    return out


def _masked_scores(adapter):
    """One compiled call: inputs (m, H, W[, C]), the layer's activations (m, h, w, c) and
    rows (input, channel, target) -> the target's probability for each input multiplied by
    one channel's map, upsampled (bilinear) to the input's size and scaled to [0, 1] (a
    constant map gives a zero mask). The maps and masked rows are built in the graph: only
    the low-resolution activations travel."""
    import tensorflow as tf

    size = tuple(adapter.input_shape[:2])

    def build():
        def scorecam_scores(x_u, acts_u, rows):
            which, channel, target = rows[:, 0], rows[:, 1], rows[:, 2]
            maps = tf.gather_nd(tf.transpose(acts_u, [0, 3, 1, 2]),
                                tf.stack([which, channel], axis=1))  # (r, h, w)
            maps = tf.image.resize(maps[..., None], size, method="bilinear")[..., 0]
            low = tf.reduce_min(maps, axis=[1, 2], keepdims=True)
            span = tf.reduce_max(maps, axis=[1, 2], keepdims=True) - low
            masks = tf.where(span > 0, (maps - low) / tf.where(span > 0, span, 1.0), 0.0)
            xs = tf.gather(x_u, which)
            if len(adapter.input_shape) == 3:  # (H, W, C) inputs: the mask covers channels
                masks = masks[..., None]
            out, _ = adapter.forward(xs * masks)
            probs = class_probability(tf, adapter, tf.cast(out, tf.float32))
            return tf.gather(probs, target, batch_dims=1)

        return adapter.compile(scorecam_scores, [
            adapter.input_spec(), tf.TensorSpec((None, None, None, None), tf.float32),
            tf.TensorSpec((None, 3), tf.int32)],
            rows=lambda x_u, acts_u, rows: len(rows))

    return adapter.function("scorecam_scores", build)


@register(
    "scorecam", "Score-CAM",
    "the layer's channels weighted by the class probability of the input masked by each "
    "channel's map (upsampled, scaled to [0, 1]), summed (Wang et al. 2020); needs no "
    "gradient: one forward pass per channel.",
    signed=False, space="layer", options=_CAM_OPTIONS + (
        Option("batch_size", 128, "masked inputs scored per compiled call (forward only; at "
               "most 32 MB of them per call)", "integer", minimum=1),),
    inputs=("image",), own_scores=True)
def scorecam(adapter, x, targets, runner, layer, relu):
    info = resolve_layer(adapter, layer)
    n_channels = int(info.output_shape[-1])
    runner.plan(len(x) * n_channels)
    acts, logits, targets = layer_activations(adapter, info, x, targets, runner)
    fn = _masked_scores(adapter)
    n_rows = len(x) * n_channels
    weights = np.empty(n_rows, np.float32)
    # at most 32 MB of masked images are built per call, whatever batch_size says
    per_call = max(1, min(runner.batch_size, (1 << 23) // max(1, x[0].size)))
    for start, stop in runner.chunks(n_rows, per_call):
        rows = np.arange(start, stop)
        which, channel = rows // n_channels, rows % n_channels
        first, last = which[0], which[-1] + 1
        packed = np.stack([which - first, channel, targets[which]], axis=1).astype(np.int32)
        weights[start:stop] = fn(x[first:last], acts[first:last], packed).numpy()
    cams = np.einsum("nhwc,nc->nhw", acts, weights.reshape(len(x), n_channels))
    result = _result(adapter, x, cams, info, relu, logits, targets, "Score-CAM")
    result["params"]["evaluations"] = n_rows
    return result
