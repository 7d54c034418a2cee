"""Right-for-the-right-reasons training and the decoy digits (issue 14)."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


def _linear(keras, functional=False, seed=0):
    keras.utils.set_random_seed(seed)
    if functional:
        inp = keras.Input((3, 3, 1))
        out = keras.layers.Dense(4, activation="softmax")(keras.layers.Flatten()(inp))
        return keras.Model(inp, out)
    return keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(4)])  # logits


def _by_hand(model, x):
    """The linear model's softmax probabilities (N, K) and, per image, the input gradient of
    its summed log-probabilities (N, 9): z = W x + b; sum_k log p_k = sum_k z_k - K
    logsumexp(z), so the gradient is sum_k W_k - K sum_k p_k W_k."""
    w, b = model.layers[-1].get_weights()
    z = x.reshape(len(x), -1) @ w + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return p, w.sum(1)[None] - w.shape[1] * p @ w.T


def _one_epoch_matches(model, x, y, masks, strength, batch_size, ce, penalty):
    """One epoch at learning rate 0 (the model stays as it is): its logged terms are the
    ones computed by hand."""
    history = xw.feedback.fit_right_reasons(model, x, y, masks, strength=strength, epochs=1,
                                            batch_size=batch_size, learning_rate=0.0)
    assert history.history["penalty"][0] == pytest.approx(penalty, rel=1e-4)
    assert history.history["cross_entropy"][0] == pytest.approx(ce, rel=1e-4)
    assert history.history["loss"][0] == pytest.approx(ce + strength * penalty, rel=1e-4)


@pytest.mark.parametrize("functional", [False, True])
def test_penalty_is_the_masked_input_gradient_of_the_summed_log_probabilities(keras, functional):
    model = _linear(keras, functional)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(10, 3, 3, 1)).astype(np.float32)
    y = rng.integers(0, 4, 10)
    masks = np.zeros((10, 3, 3), bool)
    masks[:, 0, :] = True
    p, grad = _by_hand(model, x)
    expected_penalty = ((grad * masks.reshape(10, 9)) ** 2).sum(1).mean()
    expected_ce = -np.log(p[np.arange(10), y]).mean()
    _one_epoch_matches(model, x, y, masks, 2.0, 10, expected_ce, expected_penalty)
    # automatic strength: the two terms start at the same size
    auto = xw.feedback.fit_right_reasons(model, x, y, masks, epochs=1, batch_size=10,
                                         learning_rate=0.0)
    assert auto.params["strength"] * expected_penalty == pytest.approx(expected_ce, rel=1e-3)


def test_training_moves_the_gradient_off_the_masked_pixels(keras):
    model = _linear(keras, functional=True, seed=1)  # ends in softmax
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(64, 3, 3, 1)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    masks = np.zeros((64, 3, 3), bool)
    masks[:, 1, 1] = True
    # the probabilities' gradient (a logit's may keep a weight that every class shares,
    # which the softmax ignores)
    before = xw.explain(model, x, method="saliency", target=y,
                        output="probability").heatmaps[:, 1, 1].mean()
    done = []
    xw.feedback.fit_right_reasons(model, x, y, masks, strength=10.0, epochs=30, batch_size=16,
                                  learning_rate=0.05, progress=lambda d, t: done.append((d, t)))
    after = xw.explain(model, x, method="saliency", target=y,
                       output="probability").heatmaps[:, 1, 1].mean()
    assert after < 0.05 * before
    assert done[-1] == (120, 120)
    with pytest.raises(xw.Cancelled, match="after 0 of"):
        xw.feedback.fit_right_reasons(model, x, y, masks, epochs=1, cancel=lambda: True)


def test_bad_feedback_is_refused_before_training(keras):
    model = _linear(keras)
    x = np.zeros((4, 3, 3, 1), np.float32)
    with pytest.raises(ExplainError, match="masks must mark the inputs' pixels"):
        xw.feedback.fit_right_reasons(model, x, np.zeros(4, int), np.ones((4, 2, 2), bool))
    with pytest.raises(ExplainError, match="masks mark nothing"):
        xw.feedback.fit_right_reasons(model, x, np.zeros(4, int), np.zeros((4, 3, 3), bool))
    with pytest.raises(ExplainError, match=r"labels must be in 0..3"):
        xw.feedback.fit_right_reasons(model, x, np.full(4, 7), np.ones((4, 3, 3), bool))


def test_decoy_digits_carry_the_label_in_training_only():
    (x, y, masks), (x_test, y_test), names = xw.demo.decoy_digits()
    level = x[:, 0, 0, 0]
    np.testing.assert_allclose(level, 0.1 + 0.1 * y, atol=1e-6)  # the shortcut
    assert masks[:, :2, :2].all() and masks.sum() == 4 * len(x)
    # in test the swatch names the true class only by chance (~10 %)
    test_label = np.round((x_test[:, 0, 0, 0] - 0.1) / 0.1).astype(int)
    assert 0.03 < (test_label == y_test).mean() < 0.2
    (clean, _), _, _ = xw.demo.digits_data()
    np.testing.assert_array_equal(x[:, 3:], clean[:, 3:])  # the digits themselves unchanged
    assert names[3] == "three"


@pytest.mark.slow
def test_feedback_fixes_the_shortcut_of_the_decoy_digits(keras):
    """The issue's goal, measured small: a plain MLP falls for the swatch; with the swatch's
    masks it does not, and its heatmaps leave the swatch."""
    (x, y, masks), (x_test, y_test), _ = xw.demo.decoy_digits()

    def mlp():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(64, activation="relu"),
                                 keras.layers.Dense(10, activation="softmax")])

    plain = mlp()
    plain.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    plain.fit(x, y, epochs=25, batch_size=32, verbose=0)
    fixed = mlp()
    xw.feedback.fit_right_reasons(fixed, x, y, masks, epochs=25)
    accuracy = {name: xw.demo.accuracy(m, x_test, y_test) for name, m in
                (("plain", plain), ("fixed", fixed))}
    assert accuracy["fixed"] > 0.93 and accuracy["fixed"] > accuracy["plain"] + 0.08, accuracy
    region = np.broadcast_to(masks[:1], (len(x_test), 8, 8))
    mass = {name: np.nanmean(xw.metrics.relevance_mass(
        xw.explain(m, x_test, method="saliency").heatmaps, region))
        for name, m in (("plain", plain), ("fixed", fixed))}
    assert mass["fixed"] * 10 < mass["plain"], mass


def test_a_second_call_reuses_the_compiled_step_and_frees_with_the_model(keras):
    import gc
    import weakref

    model = _linear(keras)
    x = np.random.default_rng(2).uniform(size=(8, 3, 3, 1)).astype(np.float32)
    y, masks = np.arange(8) % 4, np.ones((8, 3, 3), bool)
    xw.feedback.fit_right_reasons(model, x, y, masks, epochs=1, batch_size=3)
    (cached,) = xw.feedback._STEPS[model].values()
    traces = cached.step.experimental_get_tracing_count()
    xw.feedback.fit_right_reasons(model, x[:5], y[:5], masks[:5], epochs=2, batch_size=4)
    assert cached.step.experimental_get_tracing_count() == traces == 1
    assert int(cached.optimizer.iterations.numpy()) == 4  # fresh Adam: 2 epochs x 2 batches
    ref = weakref.ref(model)
    del model, cached
    gc.collect()
    assert ref() is None


def test_images_whose_mask_is_all_false_add_no_penalty(keras):
    """Per-image masks (N, H, W): image i's own region counts on image i only, and an image
    without one adds 0 to the penalty (whose mean still runs over every image) while its
    cross-entropy counts like any other's. By hand, as above, for a linear model."""
    model = _linear(keras, seed=3)
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(10, 3, 3, 1)).astype(np.float32)
    y = rng.integers(0, 4, 10)
    masks = np.zeros((10, 3, 3), bool)
    masks[0, 0, :] = True  # a different region on each of the first three images
    masks[1, :, 2] = True
    masks[2, 1, 1] = True  # images 3..9: no region
    p, grad = _by_hand(model, x)
    per_image = ((grad * masks.reshape(10, 9)) ** 2).sum(1)
    assert (per_image[:3] > 0).all() and (per_image[3:] == 0).all()
    expected_penalty = per_image.sum() / 10
    union = np.broadcast_to(masks.any(0), masks.shape).reshape(10, 9)
    assert ((grad * union) ** 2).sum(1).mean() > 2 * expected_penalty  # what a union would give
    expected_ce = -np.log(p[np.arange(10), y]).mean()
    _one_epoch_matches(model, x, y, masks, 3.0, 4, expected_ce, expected_penalty)
    # automatic strength: measured on the images with a region, scaled by their share (3/10)
    auto = xw.feedback.fit_right_reasons(model, x, y, masks, epochs=1, batch_size=10,
                                         learning_rate=0.0)
    ce_masked = -np.log(p[np.arange(3), y[:3]]).mean()
    assert auto.params["strength"] == pytest.approx(
        ce_masked / (per_image[:3].mean() * 0.3), rel=1e-3)
