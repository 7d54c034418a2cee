"""Shapley values and permutation importance against brute force and closed forms."""

import itertools
import math

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers.tabular import permutation_importance


@pytest.fixture(scope="module")
def mlp(keras):
    """A small nonlinear model on 4 features, 3 classes, ending in softmax."""
    keras.utils.set_random_seed(8)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"),
                             keras.layers.Dense(3, activation="softmax")])


def brute_force_shapley(model, x, background, target):
    """The definition: average marginal contribution over all orderings of the features,
    with v(S) = mean over background rows of the probability when S comes from x."""
    n = len(x)

    def v(coalition):
        rows = background.copy()
        rows[:, list(coalition)] = x[list(coalition)]
        return model.predict(rows, verbose=0)[:, target].mean()

    cache = {}
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        before = ()
        for i in order:
            a, b = tuple(sorted(before)), tuple(sorted(before + (i,)))
            for key in (a, b):
                if key not in cache:
                    cache[key] = v(key)
            phi[i] += cache[b] - cache[a]
            before += (i,)
    return phi / math.factorial(n), cache[()]


def test_exact_shapley_equals_the_brute_force_definition(mlp):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    background = rng.normal(size=(7, 4)).astype(np.float32)
    exp = xw.explain(mlp, x, method="kernel_shap", background=background, target=[1, 2],
                     output="probability")
    assert exp.params["exact"] is True and exp.params["coalitions"] == 16
    for i, target in enumerate([1, 2]):
        phi, base = brute_force_shapley(mlp, x[i], background.copy(), target)
        np.testing.assert_allclose(exp.attributions[i], phi, atol=2e-6)
        assert exp.params["base_values"][i] == pytest.approx(base, abs=1e-6)


def test_shapley_efficiency_sums_to_prediction_minus_expected_prediction(mlp):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    background = rng.normal(size=(20, 4)).astype(np.float32)
    exp = xw.explain(mlp, x, method="kernel_shap", background=background, output="probability")
    expected = mlp.predict(background, verbose=0)[:, exp.targets].mean(axis=0)
    np.testing.assert_allclose(exp.attributions.sum(axis=1), exp.scores - expected, atol=1e-5)


@pytest.mark.parametrize("n_features", [6, 30])
def test_linear_model_shapley_values_are_w_times_x_minus_background_mean(keras, n_features):
    """Exact (6 features) and sampled KernelSHAP (30 features) both recover the closed form."""
    rng = np.random.default_rng(n_features)
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(2, name="d")])
    w = rng.normal(size=(n_features, 2)).astype(np.float32)
    model.get_layer("d").set_weights([w, np.array([0.5, -1.0], np.float32)])
    x = rng.normal(size=(2, n_features)).astype(np.float32)
    background = rng.normal(size=(10, n_features)).astype(np.float32)
    exp = xw.explain(model, x, method="kernel_shap", background=background, target=1,
                     samples=256)
    assert exp.params["exact"] is (n_features <= 11)
    expected = w[:, 1] * (x - background.mean(axis=0))
    np.testing.assert_allclose(exp.attributions, expected, rtol=1e-3, atol=1e-4)


def test_sampled_shapley_is_seeded_and_keeps_efficiency(keras):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((14,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(2, activation="softmax")])
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 14)).astype(np.float32)
    background = rng.normal(size=(8, 14)).astype(np.float32)
    run = lambda seed: xw.explain(model, x, method="kernel_shap", background=background,
                                  samples=200, seed=seed, target=0, output="probability")
    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.attributions, b.attributions)
    assert not np.allclose(a.attributions, c.attributions)
    expected = model.predict(background, verbose=0)[:, 0].mean()
    for e in (a, c):
        assert e.attributions.sum() == pytest.approx(float(e.scores[0] - expected), abs=1e-5)


def test_permutation_importance_finds_the_only_informative_feature(one_feature):
    model, X, y = one_feature
    result = permutation_importance(model, X, y, repeats=4, seed=0)
    assert result.metric == "accuracy" and result.baseline == 1.0
    assert result.mean[2] > 0.4  # shuffling it leaves about chance accuracy
    np.testing.assert_array_equal(np.delete(result.mean, 2), 0.0)
    assert result.drops.shape == (5, 4) and result.std[2] > 0


def test_permutation_importance_progress_and_cancel(one_feature):
    model, X, y = one_feature
    seen = []
    permutation_importance(model, X, y, repeats=2, progress=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == [600 * (j + 1) for j in range(5)] and seen[-1][1] == 3000
    with pytest.raises(xw.Cancelled):
        permutation_importance(model, X, y, cancel=lambda: True)


def test_tabular_bad_input(one_feature):
    model, X, y = one_feature
    with pytest.raises(ExplainError, match="kernel_shap needs background rows"):
        xw.explain(model, X[:1], method="kernel_shap")
    with pytest.raises(ExplainError, match=r"y has 299 rows but X has 300"):
        permutation_importance(model, X, y[:-1])
    with pytest.raises(ExplainError, match=r"unknown metric 'auc'"):
        permutation_importance(model, X, y, metric="auc")
    with pytest.raises(ExplainError, match=r"background rows have shape \(4,\), inputs \(5,\): pass rows with the same"):
        xw.explain(model, X[:1], method="kernel_shap", background=X[:5, :4])


def test_kernel_shap_packs_whole_coalitions_into_each_call(mlp):
    """16 coalitions x 7 background rows; batch_size 20 holds 2 whole coalitions (14 rows)."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(1, 4)).astype(np.float32)
    background = rng.normal(size=(7, 4)).astype(np.float32)
    calls = []
    xw.explain(mlp, x, method="kernel_shap", background=background, batch_size=20,
               progress=lambda done, total: calls.append((done, total)))
    assert calls == [(14 * (i + 1), 112) for i in range(8)]
    assert xw.methods()["kernel_shap"]["options"]["batch_size"]["default"] == 32768


def test_kernel_shap_caps_the_rows_built_per_call_by_memory(mlp, monkeypatch):
    """A wide input must not build batch_size rows at once: at most MAX_CALL_FLOATS."""
    from xai_widgets.explainers import tabular

    monkeypatch.setattr(tabular, "MAX_CALL_FLOATS", 4 * 30)  # 30 rows of 4 features
    rng = np.random.default_rng(9)
    x = rng.normal(size=(1, 4)).astype(np.float32)
    background = rng.normal(size=(7, 4)).astype(np.float32)
    calls = []
    capped = xw.explain(mlp, x, method="kernel_shap", background=background,
                        progress=lambda done, total: calls.append(done))
    assert np.diff([0] + calls).max() == 28  # 4 whole coalitions of 7 rows <= 30 rows
    monkeypatch.undo()
    free = xw.explain(mlp, x, method="kernel_shap", background=background)
    np.testing.assert_allclose(capped.attributions, free.attributions, atol=1e-6)


def test_surrogates_imitate_the_model_and_are_scored_on_held_out_rows(one_feature):
    from xai_widgets.explainers.tabular import global_surrogates

    model, X, _ = one_feature
    names = ["a", "b", "decisive", "d", "e"]
    result = global_surrogates(model, X, feature_names=names, max_depth=2, seed=1)
    assert result.kind == "classification"
    assert not set(result.fitted_rows) & set(result.held_out)
    assert len(result.held_out) == 90 and len(result.fitted_rows) == 210
    # fidelity is recomputed here, independently, on the held-out rows only
    predicted = model.predict(X[result.held_out], verbose=0).argmax(axis=1)
    assert result.tree_fidelity == pytest.approx(
        float((result.tree.predict(X[result.held_out]) == predicted).mean()))
    assert result.tree_fidelity >= 0.95 and result.linear_fidelity >= 0.95
    assert "decisive <=" in result.rules and "a <=" not in result.rules
    strongest = np.abs(result.linear_coefficients).sum(axis=0).argmax()
    assert strongest == 2


def test_regression_surrogate_fidelity_is_r2(keras):
    from xai_widgets.explainers.tabular import global_surrogates

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="d")])
    model.get_layer("d").set_weights([np.array([[2.0], [0.0], [-1.0]], np.float32),
                                      np.zeros(1, np.float32)])
    X = np.random.default_rng(7).normal(size=(200, 3)).astype(np.float32)
    result = global_surrogates(model, X)
    assert result.kind == "regression"
    assert result.linear_fidelity == pytest.approx(1.0, abs=1e-6)  # the model is linear
    assert 0.5 < result.tree_fidelity < 1.0  # a depth-3 tree only approximates a plane
    with pytest.raises(ExplainError, match="feature_names has 2 names for 3 features"):
        global_surrogates(model, X, feature_names=["a", "b"])


def test_sampled_shapley_standard_errors_are_honest(keras):
    """Zero for an exact fit (a linear model is additive, every coalition agrees), and for a
    nonlinear model they shrink with more coalitions and cover the real error: the estimate
    lies within 4 standard errors of a 32x larger reference for nearly every feature."""
    rng = np.random.default_rng(11)
    linear = keras.Sequential([keras.Input((14,)), keras.layers.Dense(1)])
    x = rng.normal(size=(1, 14)).astype(np.float32)
    background = rng.normal(size=(10, 14)).astype(np.float32)
    exp = xw.explain(linear, x, method="kernel_shap", background=background, samples=256)
    assert exp.params["standard_errors"].shape == (1, 14)
    np.testing.assert_allclose(exp.params["standard_errors"], 0.0, atol=1e-5)

    keras.utils.set_random_seed(12)
    model = keras.Sequential([keras.Input((14,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)])
    run = lambda samples, seed=0: xw.explain(model, x, method="kernel_shap",
                                             background=background, samples=samples, seed=seed)
    reference = run(8192, seed=99).attributions[0]
    small, large = run(256), run(1024)
    assert small.params["exact"] is False  # 14 > 11 features: the sampled estimator
    se_small, se_large = small.params["standard_errors"][0], large.params["standard_errors"][0]
    assert np.median(se_large / se_small) < 0.7  # ~1/2 for 4x the coalitions
    z = np.abs(small.attributions[0] - reference) / se_small
    assert (z < 4).mean() >= 0.9, z
