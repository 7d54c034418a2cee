"""Degenerate data: FeatureImportance shows every part that can be computed, and says why in
plain words (never a library's error, never a silent None) for the rest.

The cases: a model that predicts one class on the rows, one class in y, a constant y for a
regressor, constant columns, one feature, too few rows, and an unexpected failure of one part.
"""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets._encode import decode_payload
from xai_widgets.explainers.tabular import global_surrogates, permutation_importance
from xai_widgets.tables import prepare_table
from xai_widgets.widgets import tabular as tabular_module


def values_of(payload):
    return decode_payload(payload).astype(np.float64)


def softmax_model(keras, kernel, bias):
    """Dense(2 or more, softmax) with the given weights: logits = x @ kernel + bias."""
    kernel = np.asarray(kernel, np.float32)
    model = keras.Sequential([keras.Input((kernel.shape[0],)),
                              keras.layers.Dense(kernel.shape[1], activation="softmax",
                                                 name="d")])
    model.get_layer("d").set_weights([kernel, np.asarray(bias, np.float32)])
    return model


@pytest.fixture(scope="module")
def rows():
    return np.random.default_rng(21).normal(size=(60, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def always_benign(keras):
    """Leans on x0 (logits (0, 2 x0)) but a bias of -20 keeps 'benign' on top for every row."""
    kernel = np.zeros((3, 2), np.float32)
    kernel[0, 1] = 2.0
    return softmax_model(keras, kernel, [0.0, -20.0])


@pytest.fixture(scope="module")
def by_x0(keras):
    """Class 1 iff x0 > 0 (logits (0, 10 x0)); x1 and x2 are ignored."""
    kernel = np.zeros((3, 2), np.float32)
    kernel[0, 1] = 10.0
    return softmax_model(keras, kernel, [0.0, 0.0])


SINGLE_CLASS = ("The model predicts 'benign' for all 60 rows, so there is nothing for a "
                "surrogate to imitate (a tree would be one leaf, \"always 'benign'\", and a "
                "linear model needs two classes). Surrogates need rows on which its answers "
                "differ.")


# -- a model that predicts one class on the rows --------------------------------------------
def test_a_single_class_model_shows_the_bars_and_says_why_there_are_no_surrogates(
        always_benign, rows):
    y = (rows[:, 0] > 0).astype(int)
    f = xw.FeatureImportance(always_benign, rows, y=y, class_names=["benign", "malignant"])
    assert f.wait(120)
    # not an error: the widget works, the data leave nothing to imitate
    assert f.status == "idle" and f.error == ""
    assert set(f.importance) == {"shap", "permutation"}
    assert f.surrogate == {"reason": SINGLE_CLASS}
    g = f.global_importance
    # accuracy of "always benign" is the share of benign labels; no shuffle moves a row
    assert g["baseline_score"] == pytest.approx(float((y == 0).mean()))
    np.testing.assert_array_equal(g["permutation_mean"], 0.0)
    assert g["permutation_reason"] is None and g["mean_abs_shap"].shape == (3,)
    # in Python: a clear ExplainError, never None, never sklearn's "needs samples of at least
    # 2 classes"
    with pytest.raises(ExplainError) as caught:
        f.surrogates
    assert str(caught.value) == SINGLE_CLASS
    f.to_png()  # the static picture draws the bars too


def test_the_surrogate_explainer_says_why_in_plain_words(always_benign, rows, keras):
    with pytest.raises(ExplainError, match=r"^The model predicts class 0 for all 60 rows"):
        global_surrogates(always_benign, rows)
    # one sigmoid column whose probability stays below 1/2: always the first class
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, activation="sigmoid", name="d")])
    model.get_layer("d").set_weights([np.zeros((3, 1), np.float32), np.full(1, -3.0, np.float32)])
    f = xw.FeatureImportance(model, rows, class_names=["no", "yes"])
    assert f.wait(120) and f.status == "idle"
    assert f.surrogate["reason"].startswith("The model predicts 'no' for all 60 rows")
    # a regressor with one answer
    flat = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="d")])
    flat.get_layer("d").set_weights([np.zeros((3, 1), np.float32), np.ones(1, np.float32)])
    with pytest.raises(ExplainError, match=r"^The model predicts the same value \(1\) for all "
                                           r"60 rows, so there is nothing for a surrogate"):
        global_surrogates(flat, rows)


def test_a_class_seen_only_in_held_out_rows_is_fitted(keras):
    """Class 1 on one row only: wherever the random split puts it, the linear surrogate is
    fitted on both classes (sklearn would refuse one class)."""
    X = np.random.default_rng(3).normal(size=(20, 2)).astype(np.float32)
    top = int(X[:, 0].argmax())
    cut = (np.sort(X[:, 0])[-1] + np.sort(X[:, 0])[-2]) / 2  # between the two largest
    model = softmax_model(keras, [[0.0, 50.0], [0.0, 0.0]], [0.0, -50.0 * cut])
    assert model.predict(X, verbose=0).argmax(1).tolist() == [int(i == top) for i in range(20)]
    held_out_seeds = [seed for seed in range(40) if top in np.random.default_rng(seed)
                      .permutation(20)[14:]]
    assert held_out_seeds  # some split would hold the only class-1 row out
    for seed in held_out_seeds[:2]:
        s = global_surrogates(model, X, seed=seed)
        assert top in s.fitted_rows and len(s.fitted_rows) == 14 and len(s.held_out) == 6
        assert not set(s.fitted_rows) & set(s.held_out)
        assert s.linear[-1].classes_.tolist() == [0, 1]


def test_a_class_the_model_never_predicts_has_no_coefficients_and_says_so(keras, rows):
    kernel = np.zeros((3, 3), np.float32)
    kernel[0, 1] = 10.0
    model = softmax_model(keras, kernel, [0.0, 0.0, -30.0])  # class 2 never on top
    f = xw.FeatureImportance(model, rows, class_names=["a", "b", "c"], target=2)
    assert f.wait(120) and f.status == "idle"
    linear = f.surrogate["linear"]
    assert "coefficients" not in linear
    assert linear["reason"] == ("The model predicts this class for none of these rows, so the "
                                "linear surrogate has no coefficients for it.")
    f.target = 1
    assert f.wait(120) and "coefficients" in f.surrogate["linear"]


# -- one class in y -------------------------------------------------------------------------
def test_single_class_y_keeps_accuracy_and_says_what_it_means(keras):
    """y is all 'high': accuracy is the share of rows the model calls 'high', and a feature's
    drop is how much that share falls when its column is shuffled. The model calls a row
    'high' when x0 + x1 > 1.5 and x1 follows x0: shuffling x0 breaks that, and fewer rows
    clear the bar (about 0.23 -> 0.15)."""
    rng = np.random.default_rng(8)
    x0 = rng.normal(size=400)
    X = np.stack([x0, x0 + 0.1 * rng.normal(size=400), rng.normal(size=400)], 1)
    X = X.astype(np.float32)
    model = softmax_model(keras, [[0.0, 20.0], [0.0, 20.0], [0.0, 0.0]], [0.0, -30.0])
    f = xw.FeatureImportance(model, X, y=np.ones(400, int), class_names=["low", "high"])
    g = f.global_importance
    share = float((model.predict(X, verbose=0).argmax(1) == 1).mean())
    assert g["metric"] == "accuracy" and g["baseline_score"] == pytest.approx(share)
    assert 0.15 < share < 0.3
    assert g["permutation_mean"][0] > 0.04 and g["permutation_mean"][1] > 0.04
    assert g["permutation_mean"][2] == 0.0
    note = (f"y holds one class only ('high', all 400 rows): accuracy here is the share of "
            f"rows the model predicts 'high' for ({share:.2f} unshuffled), and a drop is how "
            "much that share falls when the column is shuffled (rows that leave 'high' and "
            "rows that join it cancel out). It says nothing about how well the model tells "
            "the classes apart.")
    assert g["permutation_notes"] == [note]
    assert f.importance["permutation"]["notes"] == [note]
    assert f.status == "idle" and "tree" in f.surrogate  # the model's answers still differ


def test_single_class_y_and_a_model_of_one_feature_give_zero(by_x0, rows):
    """A shuffle keeps how many rows have x0 > 0, so a model of x0 alone keeps its share of
    each class: with one class in y, every drop is exactly 0 (the note says why)."""
    result = permutation_importance(by_x0, rows, np.zeros(60, int), repeats=3)
    assert result.baseline == pytest.approx(float((rows[:, 0] <= 0).mean()))
    np.testing.assert_array_equal(result.drops, 0.0)


def test_permutation_importance_with_one_class_names_its_index(by_x0, rows):
    result = permutation_importance(by_x0, rows, np.ones(60, int), repeats=2)
    assert result.notes[0].startswith("y holds one class only (class 1, all 60 rows)")
    assert result.baseline == pytest.approx(float((rows[:, 0] > 0).mean()))


def test_a_constant_y_has_no_r2_and_says_why_the_rest_is_shown(keras, rows):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="d")])
    model.get_layer("d").set_weights([np.array([[1.0], [0.0], [0.0]], np.float32),
                                      np.zeros(1, np.float32)])
    f = xw.FeatureImportance(model, rows, y=np.full(60, 3.0))
    g = f.global_importance
    reason = ("y has the same value (3) on all 60 rows: R² (the share of y's variation the "
              "model explains) is not defined when y does not vary, so there is no "
              "permutation importance. Pass rows whose y varies.")
    assert g["permutation_mean"] is None and g["permutation_reason"] == reason
    assert f.importance["reasons"] == {"permutation": reason}
    assert "shap" in f.importance and "tree" in f.surrogate and f.status == "idle"
    with pytest.raises(ExplainError, match=r"R² .* is not defined"):
        permutation_importance(model, rows, np.full(60, 3.0))
    f.to_png()  # falls back to the SHAP bars


def test_without_labels_the_reason_says_to_pass_y(by_x0, rows):
    f = xw.FeatureImportance(by_x0, rows)
    g = f.global_importance
    assert g["permutation_mean"] is None
    assert g["permutation_reason"] == ("Permutation importance needs the labels: pass y= (one "
                                       "label per row of X) to FeatureImportance.")
    assert f.importance["reasons"]["permutation"] == g["permutation_reason"]


# -- constant columns -----------------------------------------------------------------------
def test_constant_columns_are_zero_by_construction_and_the_rest_works(by_x0, rows):
    X = rows.copy()
    X[:, 1] = 2.5  # not a whole number: a numeric column with min == max
    X[:, 2] = 4.0  # a whole number: a drop-down of one level
    f = xw.FeatureImportance(by_x0, X, y=(X[:, 0] > 0).astype(int),
                             feature_names=["signal", "flat", "four"])
    g = f.global_importance
    assert g["permutation_mean"][0] > 0.3
    np.testing.assert_array_equal(g["permutation_mean"][1:], 0.0)
    np.testing.assert_array_equal(g["permutation_std"][1:], 0.0)
    np.testing.assert_array_equal(g["mean_abs_shap"][1:], 0.0)
    assert g["permutation_notes"] == [
        "flat and four are constant in these rows: shuffling them changes nothing, so their "
        "importance is 0 by construction (not a sign that the model ignores them)."]
    assert f.importance["permutation"]["constant"] == [1, 2]
    flat, four = f.features[1], f.features[2]
    assert (flat["kind"], flat["min"], flat["max"]) == ("numeric", 2.5, 2.5)
    assert (four["kind"], four["values"]) == ("categorical", [4.0])
    # surrogates are fine: they never split on a constant
    s = f.surrogates
    assert s.tree_fidelity == 1.0 and "flat" not in s.rules and "four" not in s.rules
    # what-if on the other column still works
    values = list(f.original_values)
    values[0] = -values[0]
    f.instance_values = values
    assert f.local["values"] == pytest.approx(values) and not f.local["as_in_data"]


def test_a_constant_column_note_names_one_column(by_x0, rows):
    X = rows.copy()
    X[:, 2] = 0.1
    result = permutation_importance(by_x0, X, (X[:, 0] > 0).astype(int), repeats=2)
    assert result.constant == [2]
    assert result.notes == ["x2 is constant in these rows: shuffling it changes nothing, so "
                            "its importance is 0 by construction (not a sign that the model "
                            "ignores it)."]
    feature = prepare_table(X).features[2]
    assert feature.min == feature.max == float(np.float32(0.1))


# -- one feature ----------------------------------------------------------------------------
def test_one_feature_everything_works_and_shap_is_exact(keras, rows):
    model = softmax_model(keras, [[0.0, 3.0]], [0.0, 0.0])
    X = rows[:, :1]
    f = xw.FeatureImportance(model, X, y=(X[:, 0] > 0).astype(int), feature_names=["only"],
                             instance=4)
    local = f.local
    shap = local["methods"]["kernel_shap"]
    assert shap["exact"] is True and shap["coalitions"] == 2
    # one feature: its Shapley value is the whole gap f(x) - E f(background)
    expected = model.predict(f._background, verbose=0)[:, local["target"]].mean()
    assert shap["base"] == pytest.approx(float(expected), abs=1e-6)
    assert values_of(shap["values"])[0] == pytest.approx(local["prediction"] - shap["base"],
                                                         abs=1e-6)
    g = f.global_importance
    assert g["permutation_mean"].shape == (1,) and g["mean_abs_shap"].shape == (1,)
    assert g["permutation_mean"][0] > 0.3
    assert f.top_k == 1 and f.status == "idle"
    assert "only <=" in f.surrogates.rules
    assert values_of(f.surrogate["linear"]["coefficients"]).shape == (1,)
    f.set_state({"instance_values": [1.5]})  # the what-if, as the slider sends it
    assert f.wait(60) and f.local["values"] == [1.5]
    f.to_png()
    exp = xw.explain(model, X[:2], method="kernel_shap", background=X[:10], target=1)
    assert exp.params["exact"] is True and exp.attributions.shape == (2, 1)


# -- too few rows, and an unexpected failure ------------------------------------------------
def test_too_few_rows_for_surrogates_still_shows_the_importance(by_x0, rows):
    f = xw.FeatureImportance(by_x0, rows[:8], y=(rows[:8, 0] > 0).astype(int))
    assert f.wait(120) and f.status == "idle"
    assert f.surrogate == {"reason": "Surrogates need at least 10 rows (fitted on some, their "
                                     "fidelity measured on the others); there are 8."}
    assert set(f.importance) == {"shap", "permutation"}


def test_an_unexpected_failure_of_one_part_leaves_the_others_shown(by_x0, rows, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(tabular_module, "global_surrogates", broken)
    f = xw.FeatureImportance(by_x0, rows, y=(rows[:, 0] > 0).astype(int))
    assert f.wait(120)
    assert f.status == "error" and f.error == "RuntimeError: a bug"
    assert set(f.importance) == {"shap", "permutation"}
    assert f.surrogate == {"reason": tabular_module.FAILED}
    with pytest.raises(RuntimeError, match="a bug"):
        f.surrogates  # not remembered as a reason: asking again tries again
    monkeypatch.undo()
    assert f.surrogates.kind == "classification"


# -- "(as in the data)" is about the values -------------------------------------------------
def test_as_in_data_compares_the_values_not_the_prediction(by_x0, rows):
    f = xw.FeatureImportance(by_x0, rows, instance=2)
    assert f.local["as_in_data"] is True
    values = list(f.original_values)
    values[1] += 1.0  # an ignored feature: the same prediction, other values
    f.instance_values = values
    assert f.local["prediction"] == pytest.approx(f.local["original_prediction"], abs=1e-7)
    assert f.local["as_in_data"] is False
    f.instance_values = list(f.original_values)
    assert f.local["as_in_data"] is True
