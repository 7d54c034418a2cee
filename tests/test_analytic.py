"""Explainers against analytic truth: linear and quadratic models, finite differences."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets.explainers.gradients import QUADRATURE_RULES

H, W, C, K = 5, 4, 2, 3  # image height, width, channels; classes


@pytest.fixture(scope="module")
def linear(keras):
    """f_c(x) = W[:, c] . x + b_c, ending in softmax: the pre-softmax score is linear."""
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((H, W, C)),
        keras.layers.Flatten(),
        keras.layers.Dense(K, activation="softmax", name="dense"),
    ])
    weights = rng.normal(size=(H * W * C, K)).astype(np.float32)
    bias = rng.normal(size=K).astype(np.float32)
    model.get_layer("dense").set_weights([weights, bias])
    return model, weights, bias


def w_of(weights, c):
    return weights[:, c].reshape(H, W, C)


def inputs(n=3, seed=1):
    return np.random.default_rng(seed).uniform(0, 1, (n, H, W, C)).astype(np.float32)


def test_saliency_is_the_weight_vector_of_the_presoftmax_score(linear):
    model, weights, _ = linear
    x = inputs()
    exp = xw.explain(model, x, method="saliency", target=[0, 1, 2])
    for i, c in enumerate([0, 1, 2]):
        np.testing.assert_allclose(exp.attributions[i], w_of(weights, c), rtol=1e-5, atol=1e-6)
    # and the heatmap is the magnitude view: max over channels of |w|
    np.testing.assert_allclose(exp.heatmaps[0], np.abs(w_of(weights, 0)).max(-1), rtol=1e-5)
    assert exp.params["score"] == "logit (before softmax)"


def test_scores_are_logits_and_the_user_model_keeps_its_softmax(linear):
    model, weights, bias = linear
    x = inputs()
    exp = xw.explain(model, x, method="saliency", target=1)
    np.testing.assert_allclose(exp.scores, x.reshape(3, -1) @ weights[:, 1] + bias[1], rtol=1e-5)
    assert model.get_layer("dense").activation.__name__ == "softmax"
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("rule,steps", [(rule, steps) for rule in QUADRATURE_RULES
                                        for steps in (1, 2, 7, 32)
                                        if not (rule == "trapezoid" and steps < 2)])
def test_integrated_gradients_is_w_times_x_minus_baseline_for_any_steps(linear, steps, rule):
    model, weights, _ = linear
    x = inputs()
    baseline = np.random.default_rng(9).uniform(0, 1, (H, W, C)).astype(np.float32)
    exp = xw.explain(model, x, method="integrated_gradients", target=2, steps=steps, rule=rule,
                     baseline=baseline)
    expected = w_of(weights, 2) * (x - baseline)
    np.testing.assert_allclose(exp.attributions, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(exp.completeness_delta, 0.0, atol=1e-4)


def test_integrated_gradients_with_zero_baseline_equals_gradient_x_input(linear):
    model, weights, _ = linear
    x = inputs()
    ig = xw.explain(model, x, method="integrated_gradients", target=0, steps=3)
    gxi = xw.explain(model, x, method="gradient_x_input", target=0)
    np.testing.assert_allclose(ig.attributions, w_of(weights, 0) * x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gxi.attributions, w_of(weights, 0) * x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ig.heatmaps, (w_of(weights, 0) * x).sum(-1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("squared", [False, True])
def test_smoothgrad_of_a_linear_model_is_w(linear, squared):
    model, weights, _ = linear
    exp = xw.explain(model, inputs(), method="smoothgrad", target=1, samples=5, noise=0.5,
                     squared=squared)
    expected = w_of(weights, 1) ** 2 if squared else w_of(weights, 1)
    for a in exp.attributions:
        np.testing.assert_allclose(a, expected, rtol=1e-4, atol=1e-5)


def test_smoothgrad_noise_is_seeded_and_independent_of_batch_size(keras):
    model = smooth_model(keras)
    x = inputs(4)
    a = xw.explain(model, x, method="smoothgrad", target=0, samples=6, seed=3, batch_size=4)
    b = xw.explain(model, x, method="smoothgrad", target=0, samples=6, seed=3, batch_size=7)
    c = xw.explain(model, x, method="smoothgrad", target=0, samples=6, seed=4, batch_size=7)
    np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-4, atol=1e-6)
    assert not np.allclose(a.attributions, c.attributions, rtol=1e-3)


@pytest.mark.parametrize("fill", [0.0, 0.5])
def test_occlusion_with_one_pixel_patches_is_w_times_x_minus_fill(keras, fill):
    """One channel, as the occluded patch covers all channels of a pixel."""
    rng = np.random.default_rng(3)
    model = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(K, name="dense")])
    weights = rng.normal(size=(H * W, K)).astype(np.float32)
    model.get_layer("dense").set_weights([weights, np.zeros(K, np.float32)])
    x = rng.uniform(0, 1, (2, H, W, 1)).astype(np.float32)
    exp = xw.explain(model, x, method="occlusion", target=1, patch=1, stride=1, fill=fill)
    expected = weights[:, 1].reshape(H, W, 1) * (x - fill)
    np.testing.assert_allclose(exp.attributions, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(exp.heatmaps, expected[..., 0], rtol=1e-4, atol=1e-5)


def test_occlusion_spreads_a_pixel_drop_over_channels_and_averages_patches(linear):
    model, weights, _ = linear
    x = inputs(1)
    exp = xw.explain(model, x, method="occlusion", target=0, patch=2, stride=1)
    # For a linear model a patch's drop is the sum of w*x inside it; a pixel averages the
    # drops of the patches covering it.
    contrib = (w_of(weights, 0) * x[0]).sum(-1)
    expected = np.zeros((H, W))
    count = np.zeros((H, W))
    for t in range(H - 1):
        for l in range(W - 1):
            expected[t:t + 2, l:l + 2] += contrib[t:t + 2, l:l + 2].sum()
            count[t:t + 2, l:l + 2] += 1
    np.testing.assert_allclose(exp.heatmaps[0], expected / count, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(exp.attributions[0].sum(-1), exp.heatmaps[0], rtol=1e-5)


@pytest.fixture(scope="module")
def quadratic(keras):
    """f(x) = sum_j v_j (u_j . x + c_j)^2 + d: a quadratic form, so its gradient is linear."""
    rng = np.random.default_rng(5)
    inp = keras.Input((H, W, C))
    flat = keras.layers.Flatten()(inp)
    h = keras.layers.Dense(6, name="u")(flat)
    sq = keras.layers.Multiply()([h, h])
    out = keras.layers.Dense(1, name="v")(sq)
    model = keras.Model(inp, out)
    U = rng.normal(size=(H * W * C, 6)).astype(np.float32) * 0.3
    c = rng.normal(size=6).astype(np.float32)
    v = rng.normal(size=(6, 1)).astype(np.float32)
    model.get_layer("u").set_weights([U, c])
    model.get_layer("v").set_weights([v, np.zeros(1, np.float32)])
    return model, U.astype(np.float64), c.astype(np.float64), v[:, 0].astype(np.float64)


def quadratic_grad(U, c, v, x):
    h = x.reshape(-1) @ U + c
    return (U @ (2 * v * h)).reshape(x.shape)


@pytest.mark.parametrize("rule,steps", [("trapezoid", 2), ("midpoint", 1), ("gauss_legendre", 1),
                                        ("trapezoid", 5), ("gauss_legendre", 3)])
def test_integrated_gradients_rules_are_exact_on_a_quadratic(quadratic, rule, steps):
    """The path gradient of a quadratic is linear in alpha, so IG equals
    (x - x') * grad f((x + x') / 2) exactly; rules exact for linear integrands reproduce it."""
    model, U, c, v = quadratic
    x = inputs(2).astype(np.float64)
    base = np.random.default_rng(2).uniform(0, 1, (H, W, C))
    exp = xw.explain(model, x.astype(np.float32), method="integrated_gradients",
                     baseline=base.astype(np.float32), steps=steps, rule=rule, target=0)
    for i in range(2):
        expected = (x[i] - base) * quadratic_grad(U, c, v, (x[i] + base) / 2)
        np.testing.assert_allclose(exp.attributions[i], expected, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(exp.completeness_delta, 0.0, atol=1e-3)


def test_left_riemann_rule_is_not_exact_on_a_quadratic(quadratic):
    """A check that the exactness test above can fail: the left rule is only first order."""
    model, U, c, v = quadratic
    x = inputs(1)
    exp = xw.explain(model, x, method="integrated_gradients", steps=2, rule="left", target=0)
    assert np.abs(exp.completeness_delta).max() > 1e-2


def smooth_model(keras, seed=7):
    """A small random CNN with smooth activations, so finite differences are accurate."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((H, W, C)),
        keras.layers.Conv2D(4, 3, padding="same", activation="tanh"),
        keras.layers.Conv2D(3, 2, activation="softplus"),
        keras.layers.Flatten(),
        keras.layers.Dense(K, activation="softmax"),
    ])


@pytest.mark.parametrize("output", ["logit", "probability"])
def test_gradients_match_central_finite_differences(keras, output):
    model = smooth_model(keras)
    x = inputs(2, seed=4)
    target = 1
    exp = xw.explain(model, x, method="saliency", target=target, output=output)
    adapter = xw.adapt(model, output=output)
    eps = 1e-2
    fd = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(2, -1)
    for j in range(flat.shape[1]):
        plus, minus = flat.copy(), flat.copy()
        plus[:, j] += eps
        minus[:, j] -= eps
        f_plus = adapter.scores(plus.reshape(x.shape).astype(np.float64).astype(np.float32))[:, target]
        f_minus = adapter.scores(minus.reshape(x.shape))[:, target]
        fd.reshape(2, -1)[:, j] = (f_plus.astype(np.float64) - f_minus) / (2 * eps)
    scale = np.abs(fd).max()
    np.testing.assert_allclose(exp.attributions, fd, atol=2e-3 * scale)
    if output == "probability":
        probs = model.predict(x, verbose=0)[:, target]
        np.testing.assert_allclose(exp.scores, probs, rtol=1e-5)
