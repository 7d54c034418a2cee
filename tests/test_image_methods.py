"""Guided backprop, deconvnet and Score-CAM against references built by hand (numpy), and
Score-CAM against tf-keras-vis when benchmarks/setup_tf_keras_vis.sh has installed it."""

import pathlib
import sys

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


def relu_mlp(keras, seed=3):
    """(3, 3, 1) image -> Flatten -> Dense(6, relu) -> Dense(5) -> ReLU() -> Dense(3), with
    random weights and biases (so negative gradients reach the ReLUs)."""
    model = keras.Sequential([
        keras.Input((3, 3, 1)), keras.layers.Flatten(),
        keras.layers.Dense(6, activation="relu"), keras.layers.Dense(5),
        keras.layers.ReLU(), keras.layers.Dense(3)])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(size=w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    return model


def hand_backprop(model, x, target, relu_rule):
    """The gradient of the target logit, backpropagated by hand through the MLP above, with
    ``relu_rule(grad, pre_activation)`` as the ReLUs' backward pass."""
    (w1, b1), (w2, b2), (w3, _) = [model.layers[i].get_weights() for i in (1, 2, 4)]
    h0 = x.reshape(-1).astype(np.float64)
    z1 = h0 @ w1 + b1
    z2 = np.maximum(z1, 0) @ w2 + b2
    g = w3[:, target].astype(np.float64)
    g = relu_rule(g, z2) @ w2.T
    g = relu_rule(g, z1) @ w1.T
    return g.reshape(x.shape)


RULES = {
    "guided_backprop": lambda g, z: np.maximum(g, 0) * (z > 0),
    "deconvnet": lambda g, z: np.maximum(g, 0),
    "plain": lambda g, z: g * (z > 0),
}


@pytest.mark.parametrize("method", ["guided_backprop", "deconvnet"])
def test_modified_relu_gradients_equal_a_hand_built_reference(keras, method):
    model = relu_mlp(keras)
    x = np.random.default_rng(0).normal(size=(6, 3, 3, 1)).astype(np.float32)
    weights = [w.copy() for w in model.get_weights()]
    activations = [getattr(layer, "activation", None) for layer in model.layers]
    e = xw.explain(model, x, method=method, target=[0, 1, 2, 0, 1, 2])
    assert e.params["relus"] == 2
    for i in range(len(x)):
        want = hand_backprop(model, x[i], i % 3, RULES[method])
        np.testing.assert_allclose(e.attributions[i], want, rtol=1e-4, atol=1e-5)
    # the rule matters here: the references differ from the true gradient
    plain = [hand_backprop(model, x[i], i % 3, RULES["plain"]) for i in range(len(x))]
    assert max(np.abs(e.attributions[i] - plain[i]).max() for i in range(len(x))) > 1e-2
    np.testing.assert_allclose(e.heatmaps, e.attributions[..., 0], rtol=1e-6)
    # the user's model is untouched: same weights, activations and layers, and its own
    # gradient (saliency, a GradientTape) is still the true one
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert activations == [getattr(layer, "activation", None) for layer in model.layers]
    assert len(model.layers) == 5
    sal = xw.explain(model, x, method="saliency", target=[0, 1, 2, 0, 1, 2])
    np.testing.assert_allclose(sal.attributions, np.array(plain), rtol=1e-4, atol=1e-5)


def test_relus_inside_a_nested_model_and_activation_layers_are_modified_too(keras):
    flat = relu_mlp(keras)
    flatten, dense1, dense2, _, dense3 = flat.layers
    inner = keras.Sequential([keras.Input((3, 3, 1)), flatten, dense1, dense2], name="inner")
    nested = keras.Sequential([keras.Input((3, 3, 1)), inner,
                               keras.layers.Activation("relu"), dense3])  # same weights
    x = np.random.default_rng(4).normal(size=(4, 3, 3, 1)).astype(np.float32)
    for method in ("guided_backprop", "deconvnet"):
        e = xw.explain(nested, x, method=method, target=1)
        assert e.params["relus"] == 2
        for i in range(len(x)):
            np.testing.assert_allclose(e.attributions[i],
                                       hand_backprop(flat, x[i], 1, RULES[method]),
                                       rtol=1e-4, atol=1e-5)


def test_guided_backprop_picks_the_top_class_and_never_retraces(digits):
    model, (x, _), _ = digits
    e = xw.explain(model, x[:5], method="guided_backprop")
    logits = xw.explain(model, x[:5], method="saliency")
    np.testing.assert_array_equal(e.targets, logits.targets)
    np.testing.assert_allclose(e.scores, logits.scores, rtol=1e-5)
    adapter = xw.models.adapt(model)
    traces = adapter.trace_count
    xw.explain(model, x[5:8], method="guided_backprop")
    xw.explain(model, x[:40], method="guided_backprop", batch_size=16)
    assert adapter.trace_count == traces


# --------------------------------------------------------------------------- Score-CAM
def small_cnn(keras, head=(3, "softmax")):
    """A 'same'-padded conv layer keeps the input's 6x6 size: its maps need no upsampling,
    so the reference below is numpy and the model's own layers only."""
    model = keras.Sequential([
        keras.Input((6, 6, 2)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(head[0], activation=head[1])])
    rng = np.random.default_rng(5)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def hand_scorecam(keras, model, x, target):
    conv = model.get_layer("conv")
    acts = keras.ops.convert_to_numpy(conv(x[None]))[0].astype(np.float64)  # (6, 6, 4)
    head = model.layers[1:]
    weights = []
    for k in range(acts.shape[-1]):
        a = acts[..., k]
        mask = (a - a.min()) / (a.max() - a.min()) if a.max() > a.min() else np.zeros_like(a)
        h = (x * mask[..., None])[None]
        h = conv(h)
        for layer in head:
            h = layer(h)
        # the model's own output: softmax probabilities, or one sigmoid probability
        weights.append(float(keras.ops.convert_to_numpy(h)[0, target]))
    return np.maximum(np.einsum("hwc,c->hw", acts, np.array(weights)), 0.0)


def test_scorecam_equals_a_hand_built_reference(keras):
    model = small_cnn(keras)
    x = np.random.default_rng(1).random((3, 6, 6, 2)).astype(np.float32)
    e = xw.explain(model, x, method="scorecam", target=[0, 1, 2], batch_size=5)
    assert e.params["layer"] == "conv" and e.params["evaluations"] == 12
    for i in range(3):
        np.testing.assert_allclose(e.attributions[i], hand_scorecam(keras, model, x[i], i),
                                   rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(e.heatmaps, e.attributions, rtol=1e-6)  # same size: as is
    # explaining probabilities (the softmax kept) weighs the masks with the same numbers
    p = xw.explain(model, x, method="scorecam", target=[0, 1, 2], output="probability")
    np.testing.assert_allclose(p.attributions, e.attributions, rtol=1e-4, atol=1e-6)


def bilinear(a, size):
    """(h, w) -> size, bilinear with half-pixel centres and clamped edges (numpy)."""
    out = a
    for axis, n in enumerate(size):
        m = out.shape[axis]
        src = np.clip((np.arange(n) + 0.5) * m / n - 0.5, 0, m - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, m - 1)
        frac = src - lo
        shape = [1, 1]
        shape[axis] = n
        frac = frac.reshape(shape)
        out = np.take(out, lo, axis=axis) * (1 - frac) + np.take(out, hi, axis=axis) * frac
    return out


def test_scorecam_upsamples_low_resolution_maps_like_a_hand_built_reference(keras):
    model = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    kernel, _ = model.get_layer("conv").get_weights()
    model.get_layer("conv").set_weights([kernel, np.full(3, 0.5, np.float32)])  # all alive
    x = rng.random((2, 8, 8, 1)).astype(np.float32)
    e = xw.explain(model, x, method="scorecam", target=[0, 1], relu=False)
    acts = keras.ops.convert_to_numpy(model.layers[1](model.layers[0](x))).astype(np.float64)
    for i in range(2):
        weights = []
        for k in range(3):
            up = bilinear(acts[i, ..., k], (8, 8))
            span = up.max() - up.min()  # a constant map (a dead channel) masks everything
            mask = (up - up.min()) / span if span > 0 else np.zeros_like(up)
            logits = model.predict(x[i:i + 1] * mask[None, ..., None], verbose=0)[0]
            p = np.exp(logits - logits.max())
            weights.append((p / p.sum())[i])  # a logits model: the softmax of its scores
        want = np.einsum("hwc,c->hw", acts[i], weights)
        assert np.ptp(want) > 0.1
        np.testing.assert_allclose(e.attributions[i], want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(e.heatmaps[0], bilinear(e.attributions[0], (8, 8)),
                               rtol=1e-4, atol=1e-6)


def test_scorecam_of_a_binary_sigmoid_head_weighs_by_its_probability(keras):
    model = small_cnn(keras, head=(1, "sigmoid"))
    x = np.random.default_rng(6).random((2, 6, 6, 2)).astype(np.float32)
    e = xw.explain(model, x, method="scorecam", target=0)
    for i in range(2):
        np.testing.assert_allclose(e.attributions[i], hand_scorecam(keras, model, x[i], 0),
                                   rtol=1e-4, atol=1e-6)


def test_scorecam_refuses_a_layer_without_a_spatial_map(keras):
    model = small_cnn(keras)
    with pytest.raises(ExplainError, match="not a spatial map"):
        xw.explain(model, np.zeros((1, 6, 6, 2), np.float32), method="scorecam",
                   layer=model.layers[1].name)


BENCH_DEPS = pathlib.Path(__file__).resolve().parents[1] / ".bench-deps"


def test_scorecam_agrees_with_tf_keras_vis(keras, digits):
    if BENCH_DEPS.is_dir() and str(BENCH_DEPS) not in sys.path:
        sys.path.append(str(BENCH_DEPS))
    scorecam = pytest.importorskip("tf_keras_vis.scorecam", reason="tf-keras-vis is not "
                                   "installed (benchmarks/setup_tf_keras_vis.sh)")
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    model, (x, _), _ = digits
    e = xw.explain(model, x[:8], method="scorecam", layer="conv3")
    # tf-keras-vis needs model.output_names, which Keras 3 Sequential models lack: a
    # functional view of the same layers and weights
    view = keras.Model(model.inputs, model.outputs)
    theirs = scorecam.Scorecam(view, model_modifier=ReplaceToLinear(), clone=True)(
        CategoricalScore([int(t) for t in e.targets]), x[:8], penultimate_layer="conv3",
        seek_penultimate_conv_layer=False, expand_cam=False, normalize_cam=False)
    theirs = np.asarray(theirs)
    for ours, ref in zip(e.attributions, theirs):
        assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] >= 0.95


@pytest.mark.parametrize("method,options", [
    ("scorecam", {}), ("lime", {"samples": 40}), ("kernel_shap", {"segments": 4}),
    ("deconvnet", {})])
def test_repeated_calls_never_retrace_and_eager_calls_agree(keras, monkeypatch, method,
                                                             options):
    from xai_widgets import models as xw_models

    model = small_cnn(keras)
    x = np.random.default_rng(2).random((5, 6, 6, 2)).astype(np.float32)
    adapter = xw_models.adapt(model)
    monkeypatch.setattr(xw_models, "EAGER_ROWS", 10**6)
    monkeypatch.setattr(xw_models, "EAGER_CALLS", 10**6)
    first = xw.explain(model, x, method=method, batch_size=4, **options)
    adapter.compile_pending(warm_up=False)
    traces = adapter.trace_count
    again = xw.explain(model, x, method=method, batch_size=4, **options)
    xw.explain(model, x[:2], method=method, batch_size=7, **options)
    assert adapter.trace_count == traces and not adapter.pending
    np.testing.assert_allclose(again.attributions, first.attributions, rtol=1e-5, atol=1e-6)
