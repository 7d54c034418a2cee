"""LRP checked against what is true: conservation on bias-free ReLU networks, LRP-0 equal to
gradient x input on ReLU networks (biases, residual Add, BatchNorm, nested models and
Concatenate included), every rule against a numpy reference built from its formula
(contribution matrices, no gradients), the pointing game on the shapes demo, clear errors
before any computation, no retracing and an untouched user model."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers.lrp import COMPOSITES, STABILIZER, _lrp_function, plan_of
from xai_widgets.models import adapt

ALL_RULES = list(COMPOSITES)


def _seed(keras, seed=0):
    keras.utils.set_random_seed(seed)


def conv_net(keras, use_bias=False, softmax=True):
    L = keras.layers
    return keras.Sequential([
        keras.Input((10, 10, 2)),
        L.Conv2D(6, 3, use_bias=use_bias, activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(8, 2, padding="same", use_bias=use_bias, activation="relu"),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(12, use_bias=use_bias, activation="relu"),
        L.Dense(3, use_bias=use_bias, activation="softmax" if softmax else None),
    ])


def residual_bn_net(keras, use_bias, centred):
    """Conv -> BN (folded) -> ReLU -> residual block (Add) -> ReLU -> BN (not foldable: after
    a ReLU) -> conv -> global average pooling -> dense. ``centred=False``: BN without a shift
    (moving mean 0, no beta), so a bias-free network stays bias-free after folding."""
    L = keras.layers
    inp = keras.Input((9, 9, 3))
    h = L.Conv2D(6, 3, padding="same", use_bias=use_bias)(inp)
    h = L.BatchNormalization(center=centred)(h)
    h = L.ReLU()(h)
    r = L.Conv2D(6, 3, padding="same", use_bias=use_bias, activation="relu")(h)
    r = L.Conv2D(6, 3, padding="same", use_bias=use_bias)(r)
    h = L.Activation("relu")(L.Add()([h, r]))
    h = L.BatchNormalization(center=centred)(h)
    h = L.Conv2D(5, 3, use_bias=use_bias, activation="relu")(h)
    out = L.Dense(4, use_bias=use_bias)(L.GlobalAveragePooling2D()(h))
    model = keras.Model(inp, out)
    rng = np.random.default_rng(3)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            gamma, *rest = layer.get_weights()
            mean = rng.normal(0, 0.3, gamma.shape) if centred else np.zeros_like(gamma)
            var = rng.uniform(0.5, 2.0, gamma.shape)
            weights = [rng.uniform(0.5, 1.5, gamma.shape)]
            if centred:
                weights.append(rng.normal(0, 0.3, gamma.shape))
            layer.set_weights([w.astype(np.float32) for w in weights + [mean, var]])
    return model


def nested_concat_net(keras):
    """A Sequential backbone used as a layer in a functional model, two branches
    concatenated, and `x + y` written as an operation (no Add layer)."""
    L = keras.layers
    backbone = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"),
                                 L.Conv2D(4, 3, padding="same", activation="relu")],
                                name="backbone")
    inp = keras.Input((8, 8, 1))
    feats = backbone(inp)
    a = L.GlobalMaxPooling2D()(feats)
    b = L.GlobalAveragePooling2D()(feats)
    joined = L.Concatenate()([a, b, a + b])
    out = L.Dense(3, activation="softmax")(L.Dense(6, activation="relu")(joined))
    return keras.Model(inp, out)


def depthwise_net(keras):
    """MobileNet's pattern: depthwise convolution -> BN (folded) -> ReLU6, zero padding,
    a pointwise convolution -> BN, global average pooling."""
    L = keras.layers
    model = keras.Sequential([
        keras.Input((9, 9, 3)), L.ZeroPadding2D(1),
        L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False), L.BatchNormalization(),
        L.ReLU(6.0), L.Conv2D(5, 1, use_bias=False), L.BatchNormalization(), L.ReLU(6.0),
        L.GlobalAveragePooling2D(), L.Dense(3)])
    rng = np.random.default_rng(9)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    return model


def relevance_sums(exp):
    return exp.attributions.reshape(len(exp.attributions), -1).sum(axis=1)


# ------------------------------------------------------------------ conservation, LRP-0
@pytest.mark.parametrize("rule", ALL_RULES)
def test_conservation_on_a_bias_free_relu_network(keras, rule):
    _seed(keras)
    model = conv_net(keras)
    x = np.random.default_rng(0).uniform(0, 1, (6, 10, 10, 2)).astype(np.float32)
    exp = xw.explain(model, x, method="lrp", rule=rule, epsilon=1e-9)
    # the explained score is the logit before the stripped softmax
    logits = adapt(model).scores(x)[np.arange(6), exp.targets]
    np.testing.assert_allclose(exp.scores, logits, rtol=1e-5)
    np.testing.assert_allclose(relevance_sums(exp), exp.scores, rtol=0.01)


def test_conservation_fails_with_biases_and_a_large_epsilon(keras):
    """The check above can fail: biases and a large epsilon absorb relevance."""
    _seed(keras)
    x = np.random.default_rng(0).uniform(0, 1, (6, 10, 10, 2)).astype(np.float32)
    model = conv_net(keras)
    absorbed = xw.explain(model, x, method="lrp", rule="epsilon", epsilon=1.0)
    assert np.abs(relevance_sums(absorbed) / absorbed.scores - 1).max() > 0.05
    biased = conv_net(keras, use_bias=True)
    for layer in biased.layers:
        if layer.weights:
            layer.bias.assign(np.full(layer.bias.shape, 0.2, np.float32))
    exp = xw.explain(biased, x, method="lrp", rule="epsilon", epsilon=1e-9)
    assert np.abs(relevance_sums(exp) / exp.scores - 1).max() > 0.05


def _lrp0_equals_gradient_x_input(model, x):
    lrp0 = xw.explain(model, x, method="lrp", rule="epsilon", epsilon=0.0)
    gxi = xw.explain(model, x, method="gradient_x_input")
    np.testing.assert_array_equal(lrp0.targets, gxi.targets)
    scale = np.abs(gxi.attributions).max()
    np.testing.assert_allclose(lrp0.attributions, gxi.attributions, atol=1e-4 * scale)


def test_lrp0_equals_gradient_x_input_on_relu_networks(keras):
    """Holds with biases too (they only absorb relevance): a check of every step's
    propagation, of the BatchNorm folding and of the Add and Concatenate splits."""
    _seed(keras)
    rng = np.random.default_rng(1)
    _lrp0_equals_gradient_x_input(conv_net(keras, use_bias=True),
                                  rng.uniform(0, 1, (5, 10, 10, 2)).astype(np.float32))
    _lrp0_equals_gradient_x_input(residual_bn_net(keras, use_bias=True, centred=True),
                                  rng.normal(size=(5, 9, 9, 3)).astype(np.float32))
    _lrp0_equals_gradient_x_input(nested_concat_net(keras),
                                  rng.uniform(0, 1, (5, 8, 8, 1)).astype(np.float32))
    model = depthwise_net(keras)
    assert sum("+ batch_normalization" in s for s in plan_of(model)) == 2  # both folded
    _lrp0_equals_gradient_x_input(model, rng.normal(size=(5, 9, 9, 3)).astype(np.float32))


def test_routing_layers_of_sequences_and_averages(keras):
    """Conv1D, padding, cropping, up-sampling, Permute/Reshape, Average and global max
    pooling: LRP-0 still equals gradient x input."""
    _seed(keras)
    L = keras.layers
    inp = keras.Input((12, 3))
    h = L.Conv1D(4, 3, padding="same", activation="relu")(L.ZeroPadding1D(1)(inp))
    h = L.UpSampling1D(2)(L.Cropping1D((1, 1))(h))
    a = L.Conv1D(4, 1, activation="relu")(h)
    h = L.Average()([h, a])
    h = L.Reshape((24, 4))(L.Permute((2, 1))(L.Permute((2, 1))(h)))
    out = L.Dense(2)(L.GlobalMaxPooling1D()(h))
    model = keras.Model(inp, out)
    x = np.random.default_rng(10).normal(size=(4, 12, 3)).astype(np.float32)
    _lrp0_equals_gradient_x_input(model, x)


@pytest.mark.parametrize("head", ["dense_softmax", "activation_softmax", "softmax_layer",
                                  "ops_softmax", "dense_sigmoid"])
def test_the_final_softmax_or_sigmoid_is_stripped_however_it_is_written(keras, head):
    _seed(keras)
    L = keras.layers
    inp = keras.Input((6,))
    h = L.Dense(8, use_bias=False, activation="relu")(inp)
    units = 1 if head == "dense_sigmoid" else 3
    if head in ("dense_softmax", "dense_sigmoid"):
        out = L.Dense(units, use_bias=False, activation=head.split("_")[1])(h)
    else:
        z = L.Dense(units, use_bias=False)(h)
        out = {"activation_softmax": lambda t: L.Activation("softmax")(t),
               "softmax_layer": lambda t: L.Softmax()(t),
               "ops_softmax": keras.ops.softmax}[head](z)
    model = keras.Model(inp, out)
    x = np.random.default_rng(11).normal(size=(5, 6)).astype(np.float32)
    exp = xw.explain(model, x, method="lrp", rule="epsilon", epsilon=1e-9)
    logits = adapt(model).scores(x)[np.arange(5), exp.targets]
    assert adapt(model).score_kind.startswith("logit")
    np.testing.assert_allclose(exp.scores, logits, rtol=1e-5)
    np.testing.assert_allclose(relevance_sums(exp), exp.scores, rtol=0.01)


@pytest.mark.parametrize("rule", ["epsilon", "epsilon_plus", "alpha_beta",
                                  "epsilon_gamma_box"])
def test_residual_and_batchnorm_model_keeps_conservation(keras, rule):
    _seed(keras)
    model = residual_bn_net(keras, use_bias=False, centred=False)
    steps = plan_of(model)
    assert any("+ batch_normalization" in s for s in steps)  # folded into the first conv
    assert any(s.startswith("affine: batch_normalization") for s in steps)  # after a ReLU
    assert any(s.startswith("share: add") for s in steps)
    x = np.random.default_rng(2).uniform(0, 1, (5, 9, 9, 3)).astype(np.float32)
    exp = xw.explain(model, x, method="lrp", rule=rule, epsilon=1e-9)
    np.testing.assert_allclose(relevance_sums(exp), exp.scores, rtol=0.01)


def test_tabular_dense_network_conserves_relevance(keras):
    _seed(keras)
    L = keras.layers
    model = keras.Sequential([keras.Input((7,)), L.Dense(9, use_bias=False, activation="relu"),
                              L.Dense(2, use_bias=False)])
    x = np.random.default_rng(4).normal(size=(8, 7)).astype(np.float32)
    assert "lrp" in xw.methods(kind="tabular")
    exp = xw.explain(model, x, method="lrp", rule="epsilon", epsilon=1e-9)
    assert exp.heatmaps is None and exp.attributions.shape == (8, 7)
    np.testing.assert_allclose(relevance_sums(exp), exp.scores, rtol=0.01)


# ------------------------------------------------------------------ the rules' formulas
def _reference_layer(rule, x, W, b, R, eps=0.0, gamma=0.25, low=None, high=None):
    """One layer's relevance from the rule's formula: contributions c[n, i, j] of input i
    to output j, each input's share of R_j in proportion (numpy, float64)."""
    c = x[:, :, None] * W[None]
    pos, neg = np.maximum(W, 0), np.minimum(W, 0)

    def share(cont, z, stab):
        return (cont * (R / (z + stab * np.where(z >= 0, 1, -1)))[:, None, :]).sum(axis=2)

    if rule == "epsilon":
        return share(c, c.sum(1) + b, eps)
    if rule == "gamma":
        cg = x[:, :, None] * (W + gamma * pos)[None]
        return share(cg, cg.sum(1) + b + gamma * np.maximum(b, 0), STABILIZER)
    cp, cn = np.maximum(c, 0), np.minimum(c, 0)
    if rule == "zplus":
        return share(cp, cp.sum(1), STABILIZER)
    if rule == "alpha_beta":
        return 2 * share(cp, cp.sum(1), STABILIZER) - share(cn, cn.sum(1), STABILIZER)
    if rule == "zbox":
        lo = x.min(axis=1, keepdims=True) if low is None else np.full_like(x, low)
        hi = x.max(axis=1, keepdims=True) if high is None else np.full_like(x, high)
        cb = c - lo[:, :, None] * pos[None] - hi[:, :, None] * neg[None]
        return share(cb, cb.sum(1), STABILIZER)
    raise AssertionError(rule)


@pytest.mark.parametrize("first,second", [
    ("epsilon", "epsilon"), ("zplus", "zplus"), ("alpha_beta", "alpha_beta"),
    ("gamma", "gamma"), ("zbox", "epsilon"), ("zbox_bounds", "alpha_beta")])
def test_each_rule_matches_its_formula_on_a_dense_network(keras, monkeypatch, first, second):
    """Inputs of both signs reach the first layer (the general form of each rule), ReLU
    outputs the second (the form for non-negative inputs); biases everywhere."""
    _seed(keras)
    L = keras.layers
    model = keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3)])
    rng = np.random.default_rng(5)
    for layer in model.layers:
        layer.bias.assign(rng.normal(0, 0.3, layer.bias.shape).astype(np.float32))
    x = rng.normal(size=(4, 6)).astype(np.float32)
    bounds = first == "zbox_bounds"
    rule1 = "zbox" if bounds else first
    monkeypatch.setitem(COMPOSITES, "test_rule", {"first": rule1, "dense": second})
    eps = 0.05
    low, high = (-3.0, 3.5) if bounds else (None, None)
    params = np.array([eps, 0.25, low or 0, high or 0, bounds, bounds], np.float32)
    target = np.array([0, 1, 2, 1], np.int32)
    relevance, scores, resolved = _lrp_function(adapt(model), "test_rule")(x, target, params)

    (W1, b1), (W2, b2) = [[w.astype(np.float64) for w in layer.get_weights()]
                          for layer in model.layers]
    xd = x.astype(np.float64)
    a1 = np.maximum(xd @ W1 + b1, 0)
    z2 = a1 @ W2 + b2
    R2 = np.eye(3)[target] * z2
    R1 = _reference_layer(second, a1, W2, b2, R2, eps=eps)
    R0 = _reference_layer(rule1, xd, W1, b1, R1, eps=eps, low=low, high=high)
    np.testing.assert_allclose(scores.numpy(), z2, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(resolved.numpy(), target)
    np.testing.assert_allclose(relevance.numpy(), R0, rtol=1e-3, atol=1e-4 * np.abs(R0).max())


def _as_matrix(layer, shape):
    """A linear (activation-free) layer as its matrix: the response to each unit input, less
    the bias (float64; the layer's own forward pass, no relevance code)."""
    n = int(np.prod(shape))
    basis = np.eye(n, dtype=np.float32).reshape((n,) + shape)
    zero = np.zeros((1,) + shape, np.float32)
    M = np.asarray(layer(basis)).reshape(n, -1) - np.asarray(layer(zero)).reshape(1, -1)
    return M.astype(np.float64), np.asarray(layer(zero)).reshape(-1).astype(np.float64)


def _alpha_beta_reference(x, layers, relu_after, target):
    """Plain alpha-beta from its formula (contributions x_i W_ij split by sign) through
    layers given as (M, b) matrices, ReLU where ``relu_after``; the explained score is the
    target's output."""
    acts, a = [], x.reshape(len(x), -1).astype(np.float64)
    for (M, b), relu in zip(layers, relu_after):
        acts.append(a)
        a = a @ M + b
        if relu:
            a = np.maximum(a, 0)
    R = np.eye(a.shape[1])[target] * a
    for (M, b), a_in in zip(reversed(layers), reversed(acts)):
        R = _reference_layer("alpha_beta", a_in, M, b, R)
    return R.reshape(x.shape)


def test_alpha_beta_on_inputs_of_both_signs_equals_the_plain_rule(keras):
    """The fast form for inputs of both signs (W x and |W| |x| instead of the four terms
    W+ x+, W- x-, W- x+, W+ x-) against the plain rule: convolution, depthwise convolution
    and 1x1 convolution all read signed inputs (no ReLU between them), weights of both signs
    and biases, then a ReLU and a dense layer (the form for non-negative inputs). Eager and
    compiled. A second, dense model has a neuron whose contributions are all positive: its
    negative part is exactly 0 in the plain rule, and must come out 0 in the fast form too
    (there it is |W| |x| - W x), not a huge share of a rounding error."""
    _seed(keras)
    L = keras.layers
    shape = (6, 6, 2)
    linear = [L.Conv2D(4, 3, padding="same"), L.DepthwiseConv2D(3, padding="same"),
              L.Conv2D(3, 1), L.Dense(3)]
    inp = keras.Input(shape)
    h = linear[2](linear[1](linear[0](inp)))
    out = linear[3](L.Flatten()(L.ReLU()(h)))
    model = keras.Model(inp, out)
    rng = np.random.default_rng(11)
    for layer in linear:
        layer.bias.assign(rng.normal(0, 0.2, layer.bias.shape).astype(np.float32))
    x = rng.normal(size=(3, *shape)).astype(np.float32)
    assert (x < 0).any() and all((layer.get_weights()[0] < 0).any() and
                                 (layer.get_weights()[0] > 0).any() for layer in linear)
    shapes = [shape, (6, 6, 4), (6, 6, 4), (6 * 6 * 3,)]
    mats = [_as_matrix(layer, s) for layer, s in zip(linear, shapes)]
    target = np.array([0, 2, 1], np.int32)
    reference = _alpha_beta_reference(x, mats, [False, False, True, False], target)

    params = np.array([1e-6, 0.25, 0, 0, 0, 0], np.float32)
    fn = _lrp_function(adapt(model), "alpha_beta")
    eager = fn(x, target, params)[0].numpy()
    fn.compile()
    assert fn.compiled
    compiled = fn(x, target, params)[0].numpy()
    scale = np.abs(reference).max()
    for got in (eager, compiled):
        np.testing.assert_allclose(got, reference, rtol=1e-3, atol=1e-5 * scale)

    # all contributions of the first output positive: W's signs match x's
    dense = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(2)])
    x = np.array([[1.0, -2.0, 0.5, -1.0], [0.3, -0.1, 2.0, -0.7]], np.float32)
    W1 = rng.normal(size=(4, 3)).astype(np.float32)
    W1[:, 0] = [0.3, -0.7, 0.2, -0.4]
    dense.layers[0].set_weights([W1, np.zeros(3, np.float32)])
    mats = [(w.astype(np.float64), b.astype(np.float64))
            for w, b in (layer.get_weights() for layer in dense.layers)]
    target = np.array([0, 1], np.int32)
    reference = _alpha_beta_reference(x, mats, [False, False], target)
    got = _lrp_function(adapt(dense), "alpha_beta")(x, target, params)[0].numpy()
    np.testing.assert_allclose(got, reference, rtol=1e-4, atol=1e-5 * np.abs(reference).max())


def test_zplus_relevance_is_never_negative_for_a_positive_score(keras):
    _seed(keras)
    model = conv_net(keras, use_bias=True)
    x = np.random.default_rng(6).uniform(0, 1, (6, 10, 10, 2)).astype(np.float32)
    exp = xw.explain(model, x, method="lrp", rule="zplus")
    assert (exp.scores > 0).all()
    assert exp.attributions.min() >= 0 and exp.attributions.max() > 0
    assert (xw.explain(model, x, method="lrp", rule="epsilon").attributions.min() < 0)


# ------------------------------------------------------------------ errors, model, tracing
def test_unsupported_layers_are_named_before_any_computation(keras):
    L = keras.layers
    inp = keras.Input((6,))
    h = L.Dense(4, activation="relu", name="hidden")(inp)
    gate = L.Dense(4, activation="sigmoid", name="gate")(inp)
    model = keras.Model(inp, L.Dense(2)(L.Multiply(name="gating")([h, gate])))
    calls = []
    with pytest.raises(ExplainError, match=r"LRP cannot handle layer 'gating' \(Multiply\)"):
        xw.explain(model, np.ones((3, 6), np.float32), method="lrp",
                   progress=lambda *a: calls.append(a))
    assert calls == [] and adapt(model).trace_count == 0

    inner_softmax = keras.Sequential([keras.Input((5,)), L.Dense(4, activation="softmax",
                                                                 name="attention"),
                                      L.Dense(2)])
    with pytest.raises(ExplainError, match=r"softmax of layer 'attention' \(Dense\)"):
        xw.explain(inner_softmax, np.ones((1, 5), np.float32), method="lrp")
    classifier = keras.Sequential([keras.Input((5,)), L.Dense(3, activation="softmax")])
    with pytest.raises(ExplainError, match="output='probability' is not supported"):
        xw.explain(classifier, np.ones((1, 5), np.float32), method="lrp",
                   output="probability")
    with pytest.raises(ExplainError, match=r"option rule='lrp0' of 'lrp' is invalid"):
        xw.explain(classifier, np.ones((1, 5), np.float32), method="lrp", rule="lrp0")


def test_progress_per_batch_cancel_between_batches_and_bound_errors(keras):
    _seed(keras)
    model = conv_net(keras)
    x = np.random.default_rng(12).uniform(0, 1, (10, 10, 10, 2)).astype(np.float32)
    seen = []
    exp = xw.explain(model, x, method="lrp", batch_size=4,
                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 10), (8, 10), (10, 10)]
    one_by_one = xw.explain(model, x, method="lrp", batch_size=10)
    np.testing.assert_allclose(exp.attributions, one_by_one.attributions, rtol=1e-5, atol=1e-7)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(xw.Cancelled):
        xw.explain(model, x, method="lrp", batch_size=4, cancel=cancel)
    with pytest.raises(ExplainError, match=r"low=2.0 is above high=1.0"):
        xw.explain(model, x, method="lrp", rule="epsilon_gamma_box", low=2.0, high=1.0)


def test_the_user_model_is_not_changed(keras):
    _seed(keras)
    model = residual_bn_net(keras, use_bias=True, centred=True)
    x = np.random.default_rng(7).normal(size=(3, 9, 9, 3)).astype(np.float32)
    before = [w.copy() for w in model.get_weights()]
    out_before = np.asarray(model(x, training=False))
    layers_before = [(layer.name, type(layer)) for layer in model.layers]
    for rule in ("epsilon_gamma_box", "alpha_beta"):
        xw.explain(model, x, method="lrp", rule=rule)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [(layer.name, type(layer)) for layer in model.layers] == layers_before
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), out_before)


def test_repeated_calls_do_not_retrace(keras):
    _seed(keras)
    model = conv_net(keras)
    adapter = adapt(model)
    x = np.random.default_rng(8).uniform(0, 1, (40, 10, 10, 2)).astype(np.float32)
    xw.explain(model, x[:12], method="lrp", batch_size=12)
    traces = adapter.trace_count
    assert traces == 1
    for n, eps in ((5, 0.1), (40, 0.01), (17, 1e-6)):
        xw.explain(model, x[:n], method="lrp", batch_size=12, epsilon=eps, gamma=0.5)
    assert adapter.trace_count == traces


def test_the_compiled_function_follows_the_model_weights(keras):
    """Nothing derived from the weights (folded BatchNorm, W+, W-, |W|) is kept between
    calls: after the user's weights change (set_weights, as training would), the same
    compiled function, not retraced, gives the new model's relevance."""
    _seed(keras)
    model = residual_bn_net(keras, use_bias=True, centred=True)
    x = np.random.default_rng(12).normal(size=(4, 9, 9, 3)).astype(np.float32)
    adapter = adapt(model)
    for rule in ("alpha_beta", "epsilon_gamma_box"):
        fn = _lrp_function(adapter, rule)
        fn.compile()
        before = xw.explain(model, x, method="lrp", rule=rule).attributions
        traces = adapter.trace_count
        weights = model.get_weights()
        rng = np.random.default_rng(13)
        model.set_weights([w * rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                           for w in weights])
        changed = xw.explain(model, x, method="lrp", rule=rule).attributions
        fresh = keras.models.clone_model(model)
        fresh.set_weights(model.get_weights())
        expected = xw.explain(fresh, x, method="lrp", rule=rule).attributions
        assert adapter.trace_count == traces and fn.compiled
        assert np.abs(changed - before).max() > 0.01 * np.abs(before).max()
        np.testing.assert_allclose(changed, expected, rtol=1e-4,
                                   atol=1e-5 * np.abs(expected).max())
        model.set_weights(weights)


# ------------------------------------------------------------------ the shapes demo
@pytest.mark.slow
def test_pointing_game_on_shapes(shapes):
    """The relevance's maximum lands on the object that decides the class far more often
    than the image centre does."""
    model, (x, y, masks), _ = shapes
    n = 120
    h, w = masks.shape[1:]
    centre = float(masks[:n, h // 2, w // 2].mean())
    for rule in ("epsilon_plus", "epsilon_gamma_box"):
        exp = xw.explain(model, x[:n], method="lrp", rule=rule, target=y[:n])
        flat = exp.heatmaps.reshape(n, -1).argmax(axis=1)
        rows, cols = np.unravel_index(flat, (h, w))
        rate = float(masks[np.arange(n), rows, cols].mean())
        assert centre < 0.2 and rate > centre + 0.5, (rule, rate, centre)
