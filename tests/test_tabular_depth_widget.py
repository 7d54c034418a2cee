"""FeatureImportance's partial dependence / ALE panel and counterfactuals, driven the way the
view drives them (set_state, custom messages), checked against closed forms."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets._encode import decode_payload


# The models (linear_regressor, one_feature) are tests/conftest.py's.

def arr(payload):
    return decode_payload(payload).astype(np.float64)


def test_the_effects_panel_shows_the_chosen_features_curves(linear_regressor):
    model, X, _, w = linear_regressor
    f = xw.FeatureImportance(model, X, feature_names=["a", "b", "c", "d"], background=10,
                             shap_rows=5)
    f.wait()
    view = f.effects
    assert view["feature"] == "a" and view["score_label"].startswith("predicted value")
    grid, pd = arr(view["grid"]), arr(view["pd"])
    np.testing.assert_allclose(np.diff(pd) / np.diff(grid), w[0], rtol=1e-4)  # slope w_0
    assert arr(view["ice"]).shape == (40, len(grid)) and view["rows"] == 120
    # the what-if row's own curve: f(row with a = v)
    row = np.asarray(f.instance_values)
    np.testing.assert_allclose(arr(view["own"]), w @ row - w[0] * row[0] + w[0] * grid + 0.25,
                               rtol=1e-4, atol=1e-4)
    assert view["value"] == pytest.approx(row[0])
    np.testing.assert_allclose(np.diff(arr(view["ale"])), w[0] * np.diff(arr(view["ale_edges"])),
                               rtol=1e-4, atol=1e-5)
    # the view asks for another feature; a what-if move redraws the row's own curve
    f.set_state({"effect_feature": "b"})
    f.wait()
    assert f.effects["feature"] == "b" and f.feature_effects["pd"].feature == "b"
    f.set_state({"instance_values": [0.0, 1.0, 0.0, 0.0]})
    f.wait()
    np.testing.assert_allclose(arr(f.effects["own"]), -arr(f.effects["grid"]) + 0.25, atol=1e-5)
    assert f.effects["value"] == 1.0
    f.close()


def test_counterfactuals_from_the_view_flip_the_decision_and_keep_locked_features(one_feature):
    model, X, y = one_feature
    names = ["v", "w", "key", "x", "z"]
    f = xw.FeatureImportance(model, X, y=y, feature_names=names, class_names=["no", "yes"],
                             background=10, shap_rows=5, instance=int(np.argmax(X[:, 2] < -0.3)))
    f.wait()
    f.set_state({"locked": ["v"]})
    f._handle_custom_msg({"type": "compute_counterfactuals", "desired": -1,
                          "locked": ["v", "w"]}, [])
    f.wait()
    view = f.counterfactual
    assert view["count"] >= 1 and all(view["valid"]) and view["original"] == "no"
    assert set(view["predictions"]) == {"yes"} and f.locked == ["v", "w"]
    # the only feature that matters is `key`: the closest change moves it, and only it
    assert view["changed"][0] == ["key"]
    rows = arr(view["rows"]).reshape(view["count"], 5)
    assert (model.predict(rows, verbose=0).argmax(axis=1) == 1).all()
    assert (rows[:, :2] == np.float32(f.instance_values)[:2]).all()
    # from Python, with a desired class, as the same object
    found = f.find_counterfactuals(desired=1, n=2)
    assert len(found) <= 2 and found.valid.all() and f.counterfactual["desired"] == "yes"
    f.close()


def test_bad_effect_feature_and_locks_are_refused(linear_regressor):
    import traitlets

    model, X, _, _ = linear_regressor
    f = xw.FeatureImportance(model, X, background=10, shap_rows=5)
    with pytest.raises(traitlets.TraitError, match="effect_feature must be one of"):
        f.effect_feature = "age"
    with pytest.raises(traitlets.TraitError, match=r"locked names unknown features \['age'\]"):
        f.locked = ["age"]
    f.close()


def test_the_confusion_matrix_counts_every_row_and_a_cell_lists_its_rows(one_feature):
    model, X, y = one_feature
    flipped = y.copy()
    flipped[:30] = 1 - flipped[:30]  # 30 labels the model gets "wrong"
    f = xw.FeatureImportance(model, X, y=flipped, class_names=["no", "<b>yes</b>"],
                             background=10, shap_rows=5)
    f.wait()
    view = f.errors
    predicted = model.predict(X, verbose=0).argmax(axis=1)
    expected = np.zeros((2, 2))
    np.add.at(expected, (flipped, predicted), 1)
    np.testing.assert_array_equal(arr(view["matrix"]).reshape(2, 2), expected)
    assert view["rows"] == 300 and view["class_names"] == ["no", "<b>yes</b>"]
    assert view["accuracy"] == pytest.approx(np.trace(expected) / 300)
    # the view's click on a cell: its rows, the most confident first
    f._handle_custom_msg({"type": "error_cell", "true": 1, "predicted": 0}, [])
    rows = f.error_rows
    want = np.flatnonzero((flipped == 1) & (predicted == 0))
    assert rows["count"] == len(want) and rows["true_name"] == "<b>yes</b>"
    listed = arr(rows["index"]).astype(int)
    assert set(listed) == set(want) and rows["confidence_label"] == "probability"
    confidence = model.predict(X[listed], verbose=0)[:, 0]
    np.testing.assert_allclose(arr(rows["confidence"]), confidence, rtol=1e-5)
    assert np.all(np.diff(arr(rows["confidence"])) <= 1e-7)
    np.testing.assert_array_equal(np.sort(f.show_error_cell(0, 0)),
                                  np.flatnonzero((flipped == 0) & (predicted == 0)))
    f.close()


def test_a_regressor_shows_its_residuals_and_no_labels_says_why(linear_regressor):
    model, X, _, w = linear_regressor
    y = X @ w + 0.25 + np.random.default_rng(1).normal(0, 0.1, len(X))
    f = xw.FeatureImportance(model, X, y=y, background=10, shap_rows=5)
    f.wait()
    view = f.errors
    residual = y - (X @ w + 0.25)
    assert view["kind"] == "regression" and view["shown"] == 120
    assert view["rmse"] == pytest.approx(np.sqrt((residual ** 2).mean()), rel=1e-4)
    points = arr(view["points"]).reshape(-1, 2)
    index = arr(view["index"]).astype(int)
    np.testing.assert_allclose(points[:, 1], residual[index], atol=1e-4)
    f.close()
    g = xw.FeatureImportance(model, X, background=10, shap_rows=5)
    g.wait()
    assert "needs the labels: pass y=" in g.errors["reason"]
    g.close()
