"""Layer listing, the one-pass activation probe, contributions, quantisation, weights."""

import numpy as np
import pytest

from xai_widgets.explainers.activations import (
    ActivationProbe, channel_contributions, channel_order, decision_path, dequantize,
    layer_table, quantize, weight_views)


@pytest.fixture(scope="module")
def branched(keras):
    """Functional model with two branches merged by Add, and a nested Sequential block."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3), name="image")
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="left")(inp)
    b = keras.layers.Conv2D(4, 1, name="right")(inp)
    merged = keras.layers.Add(name="merge")([a, b])
    block = keras.Sequential([keras.Input((8, 8, 4)),
                              keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="inner")],
                             name="block")
    h = block(merged)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    out = keras.layers.Dense(3, activation="softmax", name="head")(h)
    return keras.Model(inp, out)


def test_layer_table_shows_branches_merges_and_nested_layers(branched):
    rows = {r.path: r for r in layer_table(branched)}
    assert list(rows) == ["image", "left", "right", "merge", "block", "block/inner", "gap", "head"]
    assert rows["merge"].inputs == ["left", "right"]  # a merge: two inputs
    assert rows["left"].inputs == ["image"] and rows["right"].inputs == ["image"]  # a branch
    assert rows["block"].is_model and rows["block/inner"].depth == 1
    assert rows["block/inner"].output_shape == [None, 8, 8, 5]
    assert rows["left"].params == 3 * 3 * 3 * 4 + 4 and rows["head"].params == 5 * 3 + 3
    assert rows["left"].spatial and not rows["gap"].spatial and not rows["block"].spatial


def test_layer_table_of_a_sequential_model(digits):
    model, _, _ = digits
    rows = layer_table(model)
    assert [r.name for r in rows] == ["conv1", "conv2", "pool", "conv3", "gap", "dropout",
                                      "probabilities"]
    assert rows[1].inputs == ["conv1"] and sum(r.params for r in rows) == model.count_params()


def test_probe_activations_equal_a_direct_keras_model_call(branched, keras):
    x = np.random.default_rng(1).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    probe = ActivationProbe(branched)
    acts, grads = probe(x, target=1)
    for name in ("left", "right", "merge", "gap"):
        direct = keras.Model(branched.inputs, branched.get_layer(name).output).predict(x, verbose=0)
        np.testing.assert_allclose(acts[name], direct, rtol=1e-5, atol=1e-6)
    block = branched.get_layer("block")
    inner_direct = block.predict(acts["merge"], verbose=0)
    np.testing.assert_allclose(acts["block/inner"], inner_direct, rtol=1e-5, atol=1e-6)
    # the head's recorded output is its pre-softmax score (what we explain)
    probs = branched.predict(x, verbose=0)
    z = acts["head"] - acts["head"].max(axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(z) / np.exp(z).sum(1, keepdims=True), probs, rtol=1e-5)
    assert set(grads) == set(acts)


def test_contributions_of_the_last_hidden_layer_sum_to_the_score_minus_bias(branched):
    """For score = w . gap + b, sum_c grad_c * gap_c = score - b exactly."""
    x = np.random.default_rng(2).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    acts, grads = ActivationProbe(branched)(x, target=2)
    contributions = channel_contributions(acts["gap"], grads["gap"])
    bias = branched.get_layer("head").get_weights()[1][2]
    np.testing.assert_allclose(contributions.sum(), acts["head"][0, 2] - bias, rtol=1e-5)


def test_channel_order_and_decision_path(branched):
    x = np.random.default_rng(3).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    probe = ActivationProbe(branched)
    acts, grads = probe(x, target=0)
    a = acts["left"][0]
    order = channel_order(a, None, "mean")
    assert list(order) == list(np.argsort(-a.mean(axis=(0, 1)), kind="stable"))
    path = decision_path(probe, acts, grads, k=2)
    assert [step["layer"] for step in path] == ["left", "right", "block/inner", "head"]
    contributions = channel_contributions(acts["block/inner"], grads["block/inner"])[0]
    inner = path[2]
    assert inner["channels"][0] == int(np.argmax(contributions))
    assert inner["contributions"][0] == pytest.approx(float(contributions.max()))


def test_the_probe_is_compiled_once(branched):
    probe = ActivationProbe(branched)
    x = np.random.default_rng(4).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    probe(x, target=0)
    traced = probe.adapter.trace_count
    ActivationProbe(branched)(x * 0.5, target=2)
    assert probe.adapter.trace_count == traced


def test_quantize_round_trip_within_half_a_step():
    maps = np.random.default_rng(5).normal(size=(6, 7, 4)).astype(np.float32)
    maps[..., 3] = 2.5  # a constant channel
    q, lo, hi = quantize(maps)
    assert q.dtype == np.uint8 and q.shape == maps.shape and lo.shape == (4,)
    back = dequantize(q, lo, hi)
    step = (hi - lo) / 255
    assert (np.abs(back - maps) <= step / 2 + 1e-6).all()
    np.testing.assert_allclose(back[..., 3], 2.5)


def test_weight_views(branched):
    left = weight_views(branched.get_layer("left"))
    assert left["kind"] == "conv" and left["kernels"].shape == (4, 3, 3, 3)
    kernel = branched.get_layer("left").get_weights()[0]
    np.testing.assert_array_equal(left["kernels"][2, :, :, 1], kernel[:, :, 1, 2])
    head = weight_views(branched.get_layer("head"))
    assert head["kind"] == "dense" and head["matrix"].shape == (5, 3)
    assert weight_views(branched.get_layer("gap")) == {"kind": "none"}


def test_eager_pass_equals_the_compiled_pass(branched):
    x = np.random.default_rng(6).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    eager_acts, eager_grads, scores, resolved = ActivationProbe(branched, compiled=False).run(x)
    compiled_acts, compiled_grads, scores2, resolved2 = ActivationProbe(branched).run(x)
    assert resolved.tolist() == resolved2.tolist() == [int(np.argmax(scores))]
    for name in eager_acts:
        np.testing.assert_allclose(eager_acts[name], compiled_acts[name], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(eager_grads[name], compiled_grads[name], rtol=1e-4, atol=1e-6)
