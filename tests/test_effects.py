"""Partial dependence, ICE and ALE against known answers: additive models whose components
are known, the textbook case where PD and ALE must differ (correlated features with an
interaction), and scikit-learn's own partial_dependence through a thin estimator wrapper."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers.effects import accumulated_local_effects, partial_dependence


@pytest.fixture(scope="module")
def additive(keras):
    """f(x) = 2 x0 + x1^2 - 3 sin(x2): each feature's effect is known, no interactions."""
    ops = keras.ops
    inputs = keras.Input((3,))
    out = keras.layers.Lambda(lambda t: ops.expand_dims(
        2 * t[:, 0] + t[:, 1] ** 2 - 3 * ops.sin(t[:, 2]), -1))(inputs)
    X = np.random.default_rng(0).uniform(-2, 2, (300, 3)).astype(np.float32)
    return keras.Model(inputs, out), X


@pytest.fixture(scope="module")
def interaction(keras):
    """f(x) = x0 * x1 with x1 = x0 + small noise: PD of x0 is ~flat (x1 averages to ~0),
    its local effect is x1 ~ x0, so ALE of x0 is ~x0^2 / 2."""
    inputs = keras.Input((2,))
    out = keras.layers.Lambda(lambda t: t[:, :1] * t[:, 1:])(inputs)
    rng = np.random.default_rng(1)
    x0 = rng.uniform(-1, 1, 4000)
    X = np.stack([x0, x0 + rng.normal(0, 0.05, x0.shape)], axis=1).astype(np.float32)
    return keras.Model(inputs, out), X


def test_pd_and_ice_recover_each_additive_component(additive):
    model, X = additive
    truth = {0: lambda v: 2 * v, 1: lambda v: v ** 2, 2: lambda v: -3 * np.sin(v)}
    results = partial_dependence(model, X, feature=None, grid=15)
    assert list(results) == ["x0", "x1", "x2"]
    for j, g in truth.items():
        pd = results[f"x{j}"]
        assert pd.score == "predicted value" and pd.rows == 300 and pd.grid.shape == (15,)
        # up to a constant: the mean of the other components over the rows
        expected = g(pd.grid.astype(np.float64))
        np.testing.assert_allclose(pd.average - pd.average.mean(), expected - expected.mean(),
                                   atol=2e-4)
        # no interactions: every ICE curve is the PD curve shifted
        centred = pd.individual - pd.individual.mean(axis=1, keepdims=True)
        np.testing.assert_allclose(centred, np.broadcast_to(centred[0], centred.shape),
                                   atol=2e-4)
        np.testing.assert_array_equal(pd.values, X[:, j])
    # the grid spans the 5th to 95th percentile, evenly (scikit-learn's default span)
    low, high = np.percentile(X[:, 1], [5, 95])
    np.testing.assert_allclose(results["x1"].grid[[0, -1]], [low, high], rtol=1e-5)


def test_ale_steps_are_the_exact_differences_of_an_additive_component(additive):
    model, X = additive
    ale = accumulated_local_effects(model, X, "x1", bins=10)
    assert len(ale.edges) == 11 and ale.counts.sum() == len(X) and not ale.notes
    np.testing.assert_allclose(np.diff(ale.effect), np.diff(ale.edges.astype(np.float64) ** 2),
                               atol=2e-4)
    middle = (ale.effect[:-1] + ale.effect[1:]) / 2
    assert abs((ale.counts * middle).sum() / ale.counts.sum()) < 1e-5  # centred


def test_pd_and_ale_differ_where_features_correlate_as_theory_says(interaction):
    model, X = interaction
    pd = partial_dependence(model, X, 0, grid=20, kind="average")
    ale = accumulated_local_effects(model, X, 0, bins=20)
    assert pd.individual is None
    # PD: slope = mean(x1), near 0 -> almost flat, although the model depends on x0
    slope = np.polyfit(pd.grid, pd.average, 1)[0]
    np.testing.assert_allclose(slope, X[:, 1].mean(), atol=1e-3)
    assert np.ptp(pd.average) < 0.1
    # ALE: the accumulated local slope x1 ~ x0, i.e. x0^2 / 2 up to a constant
    expected = ale.edges.astype(np.float64) ** 2 / 2
    np.testing.assert_allclose(ale.effect - ale.effect.mean(), expected - expected.mean(),
                               atol=0.03)
    assert np.ptp(ale.effect) > 0.4


def test_pd_agrees_with_scikit_learn_through_an_estimator_wrapper(keras):
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.inspection import partial_dependence as sk_partial_dependence

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1)])
    X = np.random.default_rng(3).normal(size=(200, 4)).astype(np.float32)

    class Wrapped(RegressorMixin, BaseEstimator):
        def __init__(self, net=None):
            self.net = net

        def fit(self, X, y=None):
            self.fitted_ = True
            return self

        def predict(self, X):
            return self.net.predict(np.asarray(X, np.float32), verbose=0)[:, 0]

    theirs = sk_partial_dependence(Wrapped(model).fit(X), X, [2], kind="average",
                                   method="brute", grid_resolution=12)
    ours = partial_dependence(model, X, 2, grid=theirs["grid_values"][0], kind="average")
    np.testing.assert_allclose(ours.average, theirs["average"][0], rtol=1e-4, atol=1e-5)


def test_categorical_features_use_their_categories_and_classifiers_name_the_score(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(0)
    X = np.stack([rng.integers(0, 3, 120), rng.normal(size=120)], axis=1).astype(np.float32)
    pd = partial_dependence(model, X, "x0")
    assert pd.categorical and pd.grid.tolist() == [0, 1, 2] and pd.labels == ["0", "1", "2"]
    top = np.bincount(model.predict(X, verbose=0).argmax(axis=1), minlength=3).argmax()
    assert pd.target == top and pd.score == f"probability of class {top}"
    np.testing.assert_allclose(pd.individual[:, 1],
                               model.predict(np.c_[np.ones(120), X[:, 1]], verbose=0)[:, top],
                               rtol=1e-5)
    logit = partial_dependence(model, X, 1, target=2, output="logit")
    assert logit.score == "logit of class 2" and not logit.categorical
    named = partial_dependence(model, X, 1, target=2, class_names=["a", "b", "<c>"])
    assert named.score == "probability of '<c>'"
    ale = accumulated_local_effects(model, X, "x0")
    assert len(ale.edges) == 3 and "categorical" in ale.notes[0]


def test_bad_requests_say_what_to_do(additive):
    model, X = additive
    for call, message in [
        (lambda: partial_dependence(model, X, "age"), r"unknown feature 'age'.*\['x0', 'x1'"),
        (lambda: partial_dependence(model, X, 7), "feature index 7 is out of range"),
        (lambda: partial_dependence(model, X, 0, kind="ice"), "kind must be"),
        (lambda: partial_dependence(model, X, 0, grid=1), "at least 2 points"),
        (lambda: partial_dependence(model, X, 0, target=1), r"target 1 is out of range"),
        (lambda: partial_dependence(model, X, 0, rows=0), "rows must be a positive int"),
        (lambda: accumulated_local_effects(model, X, 0, bins=0), "bins must be a positive"),
        (lambda: accumulated_local_effects(model, np.c_[X[:, :2], np.ones(300)], 2),
         "has one value"),
    ]:
        with pytest.raises(ExplainError, match=message):
            call()


def test_a_row_sample_is_seeded_and_stated(additive):
    model, X = additive
    a = partial_dependence(model, X, 0, rows=50, seed=1)
    b = partial_dependence(model, X, 0, rows=50, seed=1)
    assert a.rows == 50 and a.individual.shape == (50, 20)
    np.testing.assert_array_equal(a.values, b.values)
    assert xw.explainers.partial_dependence is partial_dependence
