"""FeatureImportance state and messages, checked against closed forms and driven the way the
front end drives it (``set_state`` for trait changes, custom messages for commands)."""

import threading
import time

import numpy as np
import pytest
import traitlets

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets._encode import decode_payload
from xai_widgets.tables import prepare_table
from xai_widgets.widgets import tabular as tabular_module


# The models (linear_regressor, one_feature) are tests/conftest.py's.

def values_of(payload):
    return decode_payload(payload).astype(np.float64)


def break_explain_row(monkeypatch, message):
    """Every what-if request fails with ``message``; returns the real explain_row."""
    original = tabular_module.explain_row

    def broken(*args, **kwargs):
        raise ExplainError(message)

    monkeypatch.setattr(tabular_module, "explain_row", broken)
    return original


def wait_until(condition, seconds=30.0):
    """Poll ``condition`` until it holds; fail (never hang) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_linear_regressor_attributions_match_their_closed_forms(linear_regressor):
    model, X, y, w = linear_regressor
    f = xw.FeatureImportance(model, X, y=y, feature_names=list("abcd"), instance=7,
                             background=40)
    assert f.task == "regression" and f.class_names == ["prediction"] and f.top_classes == []
    x = X[7].astype(np.float64)
    background = f._background.astype(np.float64)
    local = f.local
    assert local["values"] == pytest.approx(x.tolist())
    assert local["prediction"] == pytest.approx(x @ w + 0.25, abs=1e-5)
    shap = local["methods"]["kernel_shap"]
    # interventional Shapley values of a linear model: w * (x - mean(background))
    np.testing.assert_allclose(values_of(shap["values"]), w * (x - background.mean(0)),
                               atol=1e-5)
    assert shap["base"] == pytest.approx(background.mean(0) @ w + 0.25, abs=1e-5)
    assert shap["exact"] is True and shap["coalitions"] == 16 and shap["sums_to_prediction"]
    ig = local["methods"]["integrated_gradients"]  # baseline: the background's mean row
    np.testing.assert_allclose(values_of(ig["values"]), w * (x - background.mean(0)), atol=1e-5)
    assert ig["base"] == pytest.approx(background.mean(0) @ w + 0.25, abs=1e-5)
    gxi = local["methods"]["gradient_x_input"]
    np.testing.assert_allclose(values_of(gxi["values"]), w * x, atol=1e-5)
    assert gxi["base"] is None and gxi["sums_to_prediction"] is False
    # the linear surrogate of a linear model is perfect on held-out rows
    assert f.wait(60)  # the global lane runs in the background
    assert f.surrogate["linear"]["fidelity"] == pytest.approx(1.0, abs=1e-6)
    assert f.surrogate["fidelity_label"] == "R²"
    assert f.global_importance["metric"] == "r2"


def test_efficiency_the_walk_ends_at_the_prediction(one_feature):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y, instance=3)
    local = f.local
    for name in ("kernel_shap", "integrated_gradients"):
        method = local["methods"][name]
        total = method["base"] + values_of(method["values"]).sum()
        assert total == pytest.approx(local["prediction"], abs=2e-3 if name != "kernel_shap"
                                      else 1e-5), name
    probs = model.predict(X[3:4], verbose=0)[0]
    assert local["target"] == int(probs.argmax())
    assert local["prediction"] == pytest.approx(float(probs.max()), abs=1e-6)
    np.testing.assert_allclose(values_of(local["outputs"]), probs, atol=1e-6)
    assert local["score_label"] == f"probability of '{local['class_name']}'"


def test_global_importance_finds_the_only_informative_feature(one_feature):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y, feature_names=["a", "b", "decisive", "d", "e"])
    g = f.global_importance
    assert g["feature_names"] == ["a", "b", "decisive", "d", "e"]
    assert g["metric"] == "accuracy" and g["baseline_score"] == 1.0
    assert g["permutation_mean"].argmax() == 2 and g["permutation_mean"][2] > 0.3
    np.testing.assert_array_equal(np.delete(g["permutation_mean"], 2), 0.0)
    assert g["mean_abs_shap"].argmax() == 2
    np.testing.assert_allclose(np.delete(g["mean_abs_shap"], 2), 0.0, atol=1e-7)
    # the same numbers reach the browser, as binary float32
    perm = f.importance["permutation"]
    assert perm["mean"]["dtype"] == "float32" and isinstance(perm["mean"]["view"], memoryview)
    np.testing.assert_allclose(values_of(perm["mean"]), g["permutation_mean"], atol=1e-7)
    np.testing.assert_allclose(values_of(f.importance["shap"]["mean_abs"]), g["mean_abs_shap"],
                               atol=1e-7)
    assert perm["repeats"] == 5 and perm["rows"] == 300
    assert "decisive <=" in f.surrogate["tree"]["rules"]
    # the linear surrogate's coefficients are those of the explained class: feature 2 raises
    # class 1 and lowers class 0 (a binary logistic regression stores only class 1's row)
    raise_target = values_of(f.surrogate["linear"]["coefficients"])[2]
    assert raise_target < 0 if f.resolved_target() == 0 else raise_target > 0
    f.target = 1 - f.resolved_target()
    assert f.wait(60)
    flipped = values_of(f.surrogate["linear"]["coefficients"])[2]
    assert np.sign(flipped) == -np.sign(raise_target) and flipped != 0
    assert f.surrogate["held_out_rows"] == 90 and f.surrogate["fitted_rows"] == 210


def test_what_if_from_the_browser_re_predicts_in_the_background(one_feature, monkeypatch):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y, instance=0)
    f.wait(60)
    main, threads = threading.get_ident(), []
    original = tabular_module.explain_row

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(tabular_module, "explain_row", spy)
    values = list(f.original_values)
    values[2] = 3.0  # the decisive feature: class 1 for sure
    f.set_state({"instance_values": values})
    assert f.wait(60)
    assert threads and all(t != main for t in threads)
    assert f.local["values"] == pytest.approx(values)
    np.testing.assert_allclose(values_of(f.local["outputs"]),
                               model.predict(np.float32([values]), verbose=0)[0], atol=1e-6)
    # the explained class stays the instance's original class while the sliders move
    assert f.local["target"] == f.resolved_target()
    assert f.original_values == pytest.approx(X[0].tolist())
    assert f.local["original_prediction"] == pytest.approx(
        float(model.predict(X[:1], verbose=0)[0, f.local["target"]]), abs=1e-6)
    # back to the original values: the first explanation comes from the cache
    calls = len(threads)
    f.set_state({"instance_values": list(f.original_values)})
    assert f.wait(60) and len(threads) == calls
    assert f.local["values"] == pytest.approx(X[0].tolist())


def test_the_newest_what_if_request_wins(one_feature):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y)
    for v in (0.5, 1.0, 2.0):
        values = list(f.original_values)
        values[2] = v
        f.set_state({"instance_values": values})
    f.wait(60)
    assert f.local["values"][2] == 2.0 and f.instance_values[2] == 2.0


def test_a_what_if_request_never_cancels_the_global_computation(one_feature, monkeypatch):
    model, X, y = one_feature
    started, release = threading.Event(), threading.Event()
    original = tabular_module.permutation_importance

    def slow(*args, cancel=None, **kwargs):
        started.set()
        release.wait(20)
        return original(*args, cancel=cancel, **kwargs)

    monkeypatch.setattr(tabular_module, "permutation_importance", slow)
    f = xw.FeatureImportance(model, X, y=y)
    assert started.wait(30) and f.status == "busy" and f.importance == {}
    values = list(f.original_values)
    values[0] = 1.5
    f.set_state({"instance_values": values})  # the local lane: done while global waits
    wait_until(lambda: f.local["values"][0] == 1.5)
    assert f.status == "busy"  # the global lane is still working
    release.set()
    assert f.wait(60)
    assert f.status == "idle" and "permutation" in f.importance


def test_cancel_stops_the_global_computation_and_compute_global_restarts_it(one_feature,
                                                                          monkeypatch):
    model, X, y = one_feature
    started, release = threading.Event(), threading.Event()
    original = tabular_module.permutation_importance

    def gated(*args, cancel=None, **kwargs):
        def gate():
            started.set()
            release.wait(20)
            return cancel()
        return original(*args, cancel=gate, **kwargs)

    monkeypatch.setattr(tabular_module, "permutation_importance", gated)
    f = xw.FeatureImportance(model, X, y=y)
    assert started.wait(30)
    for lane in ("effects", "errors"):  # the short lanes started beside it: done first, so
        assert f._lane(lane).done.wait(30)  # the progress shown at the end is the global's
    f._handle_custom_msg({"type": "cancel"}, [])  # the Cancel button's message
    release.set()
    assert f.wait(30)
    assert f.status == "idle" and f.importance == {} and f.progress == 0.0
    progress = []
    f.observe(lambda change: progress.append(change["new"]), "progress")
    f._handle_custom_msg({"type": "compute_global"}, [])  # the Compute button's message
    assert f.wait(60)
    assert "permutation" in f.importance and "shap" in f.importance
    assert progress and progress[-1] == 1.0 and any(0 < p < 1 for p in progress)


def test_target_and_instance_changes(one_feature):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y, class_names=["no", "<b>yes</b>"], instance=0)
    f.target = 1
    assert f.local["target"] == 1 and f.local["class_name"] == "<b>yes</b>"
    assert f.global_importance["target"] == 1
    assert f.importance["shap"]["class_name"] == "<b>yes</b>"
    f.instance = 5
    assert f.original_values == pytest.approx(X[5].tolist())
    assert f.instance_values == f.original_values
    assert f.local["values"] == pytest.approx(X[5].tolist())
    assert [c["index"] for c in f.top_classes] == list(
        np.argsort(model.predict(X[5:6], verbose=0)[0])[::-1])
    with pytest.raises(traitlets.TraitError, match="target 2 is out of range"):
        f.target = 2
    with pytest.raises(traitlets.TraitError, match=r"instance 300 is out of range: X has 300"):
        f.instance = 300
    with pytest.raises(traitlets.TraitError, match="instance_values needs 5 values"):
        f.instance_values = [0.0, 1.0]


def test_without_labels_there_is_no_permutation_importance(one_feature):
    model, X, _ = one_feature
    f = xw.FeatureImportance(model, X)
    g = f.global_importance
    assert g["permutation_mean"] is None and g["mean_abs_shap"].argmax() == 2
    assert f.importance_kind == "shap" and "permutation" not in f.importance


def test_pandas_dataframe_with_category_and_bool_columns(keras):
    import pandas as pd  # in the test extra: a missing pandas fails, never skips
    rng = np.random.default_rng(2)
    df = pd.DataFrame({
        "size": rng.normal(size=60),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 60),
                                 categories=["red", "green", "blue"]),
        "flag": rng.random(60) > 0.5,
        "count": rng.integers(0, 3, 60),
    })
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    f = xw.FeatureImportance(model, df)
    assert f.feature_names == ["size", "colour", "flag", "count"]
    kinds = {row["name"]: row for row in f.features}
    assert kinds["size"]["kind"] == "numeric"
    assert kinds["colour"] == {"name": "colour", "kind": "categorical", "min": 0.0, "max": 2.0,
                               "step": 1.0, "values": [0.0, 1.0, 2.0],
                               "labels": ["red", "green", "blue"]}
    assert kinds["flag"]["kind"] == "categorical" and kinds["flag"]["values"] == [0.0, 1.0]
    assert kinds["count"]["labels"] == ["0", "1", "2"]
    # the model sees the category codes
    assert f.original_values[1] == float(df["colour"].cat.codes[0])


@pytest.mark.parametrize("make, match", [
    (lambda X: (X, {"feature_names": ["a", "b"]}),
     r"feature_names has 2 names but X has 5 columns"),
    (lambda X: (np.where(np.arange(5) == 3, np.nan, X), {}),
     r"column 'x3' has 300 missing \(NaN\) or infinite value\(s\), the first in row 0; fill"),
    (lambda X: (X.astype(str), {}), r"X must be numeric .* got dtype <U"),
    (lambda X: (X, {"instance": 300}), r"instance 300 is out of range"),
    (lambda X: (X, {"target": 5}), r"target 5 is out of range"),
    (lambda X: (X, {"y": np.zeros(10)}), r"y must hold one label per row of X: X has 300"),
    (lambda X: (X, {"y": np.array(["a"] * 300)}), r"y holds <U1 labels \(e.g. 'a'\); pass"),
    (lambda X: (X, {"y": np.full(300, 2)}), r"y must hold class indices 0..1"),
    (lambda X: (X, {"class_names": ["one"]}), r"class_names has 1 names but the model has 2"),
    (lambda X: (X, {"samples": 0}), r"samples must be an integer >= 2"),
    (lambda X: (X[:, :4], {}), r"inputs have shape \(300, 4\), but the model expects \(N, 5\)"),
    (lambda X: (X, {"categorical": ["nope"]}), r"categorical names an unknown column 'nope'"),
])
def test_bad_input_is_refused_before_computing(one_feature, monkeypatch, make, match):
    model, X, _ = one_feature
    data, kwargs = make(X)
    monkeypatch.setattr(tabular_module, "explain_row", lambda *a, **k: pytest.fail("computed"))
    with pytest.raises(ExplainError, match=match):
        xw.FeatureImportance(model, data, **kwargs)


def test_text_columns_of_a_dataframe_say_how_to_encode_them():
    import pandas as pd  # in the test extra: a missing pandas fails, never skips
    df = pd.DataFrame({"age": [30, 40], "city": ["Oslo", "Rome"]})
    with pytest.raises(ExplainError, match=r"column 'city' is not numeric \(dtype (object|str)"
                                           r".*'Oslo'.*astype\('category'\)"):
        prepare_table(df)
    with pytest.raises(ExplainError, match="feature_names has 1 names but the DataFrame has 2"):
        prepare_table(df.assign(city=1), feature_names=["a"])
    with pytest.raises(ExplainError, match=r"feature names must be unique; repeated: \['a'\]"):
        prepare_table(np.zeros((2, 2)), feature_names=["a", "a"])


def test_numeric_slider_ranges_and_steps_come_from_the_data():
    X = np.array([[0.5, 1, 10.0], [2.25, 3, 250.0], [1.0, 2, 17.5], [0.75, 9, 99.0],
                  [1.5, 4, 3.0], [1.1, 5, 8.0], [0.9, 6, 1.0], [1.2, 7, 5.0],
                  [1.3, 8, 6.0]])
    table = prepare_table(X, categorical="auto")
    a, b, c = table.features
    assert (a.kind, a.min, a.max, a.step) == ("numeric", 0.5, 2.25, 0.01)
    assert (b.kind, b.step) == ("numeric", 1.0)  # 9 whole-number levels: more than 8
    assert (c.kind, c.max, c.step) == ("numeric", 250.0, 1.0)
    forced = prepare_table(X, categorical=[1])
    assert forced.features[1].kind == "categorical" and forced.features[1].values[:2] == [1.0, 2.0]
    assert prepare_table(X[:, :2], categorical=[]).features[1].kind == "numeric"
    # the range lies on the step's grid, so slider values are round numbers
    odd = prepare_table(np.array([[6.981], [28.11], [15.0], [9.5]])).features[0]
    assert (odd.step, odd.min, odd.max) == (0.1, 6.9, 28.2)


def test_a_binary_sigmoid_classifier_is_a_classifier(keras):
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, activation="sigmoid", name="d")])
    model.get_layer("d").set_weights([np.array([[4.0], [0.0], [0.0]], np.float32),
                                      np.zeros(1, np.float32)])
    X = np.random.default_rng(3).normal(size=(80, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    f = xw.FeatureImportance(model, X, y=y, class_names=["positive"])
    assert f.task == "classification" and f.class_names == ["positive"]
    assert f.local["score_label"] == "probability of 'positive'"
    g = f.global_importance
    assert g["metric"] == "accuracy" and g["baseline_score"] == 1.0
    assert g["permutation_mean"].argmax() == 0
    assert f.surrogate["kind"] == "classification"
    # both classes named: the column is the second one's probability, the rules name both
    both = xw.FeatureImportance(model, X, y=y, class_names=["no", "yes"])
    assert both.class_names == ["yes"] and both.local["class_name"] == "yes"
    rules = both.surrogates.rules
    assert "class: yes" in rules and "class: no" in rules


def test_to_png_draws_the_current_view(one_feature, tmp_path):
    from PIL import Image

    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y, feature_names=["a", "b", "decisive", "d", "e"])
    first = f.to_png(tmp_path / "view.png")
    assert (tmp_path / "view.png").read_bytes() == first
    image = Image.open(tmp_path / "view.png")
    assert image.format == "PNG" and image.width > 600
    f.top_k, f.local_method, f.importance_kind = 2, "gradient_x_input", "shap"
    assert f.to_png() != first


def test_an_error_in_a_what_if_request_is_shown_and_the_widget_keeps_working(one_feature,
                                                                             monkeypatch):
    model, X, y = one_feature
    f = xw.FeatureImportance(model, X, y=y)
    assert f.wait(60)
    before = f.local
    original = break_explain_row(monkeypatch, "something the user can fix")
    values = list(f.original_values)
    values[1] = 0.123
    f.set_state({"instance_values": values})
    assert f.wait(60)
    assert f.status == "error" and f.error == "something the user can fix"
    assert f.local is before  # the last good explanation stays on screen
    with pytest.raises(ExplainError, match="something the user can fix"):
        f.local_explanation  # from Python, the error is raised, not a KeyError
    monkeypatch.setattr(tabular_module, "explain_row", original)
    values[1] = 0.5
    f.set_state({"instance_values": values})
    assert f.wait(60)
    assert f.status == "idle" and f.error == "" and f.local["values"][1] == 0.5


def test_a_failed_what_if_stays_shown_while_and_after_the_global_lane_works(one_feature,
                                                                           monkeypatch):
    model, X, y = one_feature
    started, release = threading.Event(), threading.Event()
    slow_original = tabular_module.permutation_importance

    def slow(*args, **kwargs):
        started.set()
        release.wait(20)
        return slow_original(*args, **kwargs)

    monkeypatch.setattr(tabular_module, "permutation_importance", slow)
    f = xw.FeatureImportance(model, X, y=y)
    assert started.wait(30)
    row_original = break_explain_row(monkeypatch, "this row cannot be explained")
    values = list(f.original_values)
    values[0] = 2.5
    f.set_state({"instance_values": values})
    wait_until(lambda: f.status == "error")
    assert f.error == "this row cannot be explained"
    release.set()  # the global lane succeeds: it must not hide the what-if's failure
    assert f.wait(60)
    assert "permutation" in f.importance
    assert f.status == "error" and f.error == "this row cannot be explained"
    monkeypatch.setattr(tabular_module, "explain_row", row_original)
    values[0] = 1.5
    f.set_state({"instance_values": values})  # the what-if lane succeeds: the error is gone
    assert f.wait(60)
    assert f.status == "idle" and f.error == ""
