"""Counterfactuals against what is true: on a logistic model the closest change in L1/MAD
distance is known in closed form (move the one feature with the largest |w_j| * MAD_j just
past the boundary); every counterfactual returned is re-checked with the model here, and
locked features, ranges, whole numbers and categories are respected."""

import numpy as np
import pytest

from xai_widgets import ExplainError
from xai_widgets.explainers import counterfactuals


def logistic(keras, w, b):
    model = keras.Sequential([keras.Input((len(w),)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[-1].set_weights([np.asarray(w, np.float32)[:, None], np.array([b], np.float32)])
    return model


@pytest.fixture(scope="module")
def linear(keras):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(600, 4)) * [1.0, 10.0, 0.5, 2.0]).astype(np.float32)
    w = np.array([1.0, 0.05, 3.0, 0.2])
    model = logistic(keras, w, 0.0)
    margins = X @ w
    instance = int(np.argmin(np.abs(margins + 0.5)))  # predicted 0, margin about -0.5
    mad = np.median(np.abs(X - np.median(X, axis=0)), axis=0).astype(np.float64)
    return model, X, w, instance, float(-margins[instance]), mad


def closest_distance(w, mad, margin, allowed):
    """L1/MAD optimum on a linear boundary: one feature, the cheapest per unit of margin."""
    return min(margin / (abs(w[j]) * mad[j]) for j in allowed)


def decisions(model, rows):
    return (model.predict(rows, verbose=0)[:, 0] > 0.5).astype(int)


def test_the_closest_counterfactual_of_a_logistic_model_is_the_analytic_one(linear):
    model, X, w, instance, margin, mad = linear
    cf = counterfactuals(model, X, instance, n=3)
    assert cf.original == 0 and len(cf) == 3 and cf.valid.all()
    np.testing.assert_array_equal(decisions(model, cf.rows), 1)  # checked independently
    best = int(np.argmin(cf.distance))
    assert cf.changed[best] == ["x2"] and cf.sparsity[best] == 1
    optimum = closest_distance(w, mad, margin, range(4))
    assert optimum <= cf.distance[best] <= optimum * 1.002
    # distinct sets of changed features are preferred
    assert len({tuple(c) for c in cf.changed}) == 3
    np.testing.assert_allclose(cf.distance, (np.abs(cf.rows - X[instance]) / mad).sum(axis=1),
                               rtol=1e-5)
    # from 80 of the data's rows alone (no random edits): each changes every feature, so the
    # optimum is reached only by making them sparse and then moving them to the boundary
    few = X[:80]
    mad80 = np.median(np.abs(few - np.median(few, axis=0)), axis=0).astype(np.float64)
    data_only = counterfactuals(model, few, X[instance], n=1, samples=0)
    assert data_only.source == ["data"] and data_only.changed == [["x2"]]
    optimum = closest_distance(w, mad80, margin, range(4))
    assert optimum <= data_only.distance[0] <= optimum * 1.002


def test_locked_features_and_ranges_are_respected(linear):
    model, X, w, instance, margin, mad = linear
    cf = counterfactuals(model, X, instance, immutable=["x2"], n=2)
    assert cf.valid.all() and all("x2" not in c for c in cf.changed)
    np.testing.assert_array_equal(cf.rows[:, 2], X[instance, 2])
    optimum = closest_distance(w, mad, margin, [0, 1, 3])
    assert optimum <= cf.distance.min() <= optimum * 1.002
    x0 = float(X[instance, 0])
    ranged = counterfactuals(model, X, instance, ranges={"x0": (x0 - 0.01, x0 + 0.01),
                                                          2: (-0.2, 0.2)})
    assert ranged.valid.all()
    assert np.all(np.abs(ranged.rows[:, 0] - x0) <= 0.01 + 1e-6)
    assert np.all(np.abs(ranged.rows[:, 2]) <= 0.2 + 1e-6)


def test_whole_numbers_and_categories_stay_what_they_are(keras):
    rng = np.random.default_rng(1)
    X = np.stack([rng.integers(0, 40, 400), rng.integers(0, 3, 400) * 5,
                  rng.normal(size=400)], axis=1).astype(np.float32)
    model = logistic(keras, [0.3, 0.4, 0.5], -8.0)
    instance = int(np.argmin(np.abs(X @ [0.3, 0.4, 0.5] - 9.0)))
    cf = counterfactuals(model, X, instance, desired=1 - int(decisions(model, X[[instance]])[0]))
    assert len(cf) and cf.valid.all()
    np.testing.assert_array_equal(cf.rows[:, 0], np.round(cf.rows[:, 0]))
    assert set(cf.rows[:, 1].tolist()) <= {0.0, 5.0, 10.0}  # a category (levels 0, 5, 10)


def test_multiclass_and_regression_targets(keras):
    keras.utils.set_random_seed(2)
    three = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    X = np.random.default_rng(2).normal(size=(300, 3)).astype(np.float32)
    original = int(three.predict(X[:1], verbose=0).argmax())
    desired = (original + 1) % 3
    cf = counterfactuals(three, X, 0, desired=desired, n=2)
    assert cf.valid.all() and (three.predict(cf.rows, verbose=0).argmax(axis=1) == desired).all()
    assert (cf.predictions == desired).all() and cf.desired == desired

    line = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    line.layers[-1].set_weights([np.array([[1.0], [2.0], [0.0]], np.float32), np.zeros(1, np.float32)])
    value = float(X[0] @ [1, 2, 0])
    cf = counterfactuals(line, X, 0, desired=(value + 1, value + 2))
    got = line.predict(cf.rows, verbose=0)[:, 0]
    assert cf.valid.all() and np.all((got >= value + 1 - 1e-4) & (got <= value + 2 + 1e-4))
    assert all("x2" not in c for c in cf.changed)  # x2 does not move the prediction


def test_no_counterfactual_is_said_not_invented(linear):
    model, X, *_ = linear
    cf = counterfactuals(model, X, 0, immutable=[0, 1, 2, 3])
    assert len(cf) == 0 and "no counterfactual found" in cf.notes[0]


def test_bad_requests_say_what_to_do(linear, keras):
    model, X, _, instance, *_ = linear
    line = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    for kwargs, message in [
        (dict(instance=instance, desired=0), "already predicts class 0"),
        (dict(instance=instance, desired=2), "desired must be a class index 0..1"),
        (dict(instance=10_000), "is not a row of X"),
        (dict(instance=np.zeros(3)), "a row of 4 features"),
        (dict(instance=0, immutable=["age"]), r"unknown feature 'age'"),
        (dict(instance=0, ranges={"x1": (2, 1)}), "low must be <= high"),
        (dict(instance=0, n=0), "n must be a positive int"),
    ]:
        with pytest.raises(ExplainError, match=message):
            counterfactuals(model, X, **kwargs)
    with pytest.raises(ExplainError, match=r"regression.*desired=\(low, high\)"):
        counterfactuals(line, X, 0)


def test_a_dataframe_gives_a_frame_with_category_names(keras):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"age": rng.integers(20, 70, 300).astype(float),
                       "plan": pd.Categorical(rng.choice(["basic", "gold"], 300))})
    model = logistic(keras, [0.1, 3.0], -5.0)
    cf = counterfactuals(model, df, 0, n=2)
    frame = cf.frame()
    assert list(frame.columns[:2]) == ["age", "plan"] and frame.loc[0, "source"] == "instance"
    assert set(frame["plan"]) <= {"basic", "gold"} and frame["valid"][1:].all()
