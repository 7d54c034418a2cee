"""The method registry knows which kinds of input each method explains, and every menu a
widget shows is read from it: each listed method runs on that widget's demo model."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers import METHODS
from xai_widgets.explainers.base import TYPES, Option


def test_every_method_declares_its_input_kinds_and_typed_options():
    for name, spec in xw.methods().items():
        assert spec["inputs"] and set(spec["inputs"]) <= {"image", "tabular"}, name
        for option, described in spec["options"].items():
            assert described["types"] and set(described["types"]) <= set(TYPES), (name, option)
            if "choice" in described["types"]:
                assert described["choices"], (name, option)


def test_methods_by_kind():
    image, tabular = xw.methods(kind="image"), xw.methods(kind="tabular")
    assert "kernel_shap" not in image and "gradcam" in image and "occlusion" in image
    assert "kernel_shap" in tabular and "gradcam" not in tabular
    assert set(image) | set(tabular) == set(xw.methods()) == set(METHODS)
    with pytest.raises(ExplainError, match="unknown input kind 'video'"):
        xw.methods(kind="video")


def test_explain_refuses_a_method_for_another_kind_before_computing(digits, keras):
    model, (x, _), _ = digits
    with pytest.raises(ExplainError, match=r"'kernel_shap' explains tabular inputs; these "
                                           r"inputs \(2, 8, 8, 1\) are image inputs"):
        xw.explain(model, x[:2], method="kernel_shap", background=x[:4])
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ExplainError, match=r"'gradcam' explains image inputs.*Methods for "
                                           r"tabular inputs: \['gradient_x_input'"):
        xw.explain(dense, np.zeros((1, 4), np.float32), method="gradcam")


def test_option_types_are_data_types_with_clear_errors():
    fill = Option("fill", 0.0, "fill value", ("number", "choice"), choices=("mean",))
    assert fill.check("m", "mean") == "mean" and fill.check("m", 2) == 2.0
    with pytest.raises(ExplainError, match=r"fill='abc' .* expected a finite number or one of "
                                           r"'mean'"):
        fill.check("m", "abc")
    with pytest.raises(ExplainError, match="expected an integer"):
        Option("steps", 4, "steps", "integer").check("m", 2.5)
    with pytest.raises(ExplainError, match="expected True or False"):
        Option("relu", True, "relu", "boolean").check("m", 1)
    with pytest.raises(ValueError, match="unknown type"):
        Option("x", 0, "x", "slider")
    assert Option("b", None, "rows", "array").check("m", np.zeros(3)).shape == (3,)


@pytest.mark.slow
def test_every_method_in_the_image_menu_runs_on_the_demo_model(digits):
    model, (x, _), names = digits
    w = xw.ImageExplainer(model, x[:2], class_names=names)
    for method in w.methods:
        w.method = method  # raises if it fails
        assert w.explanation.method == method and w.status == "idle", (method, w.error)
        assert np.isfinite(w.explanation.heatmaps).all(), method


@pytest.mark.slow
def test_every_method_in_the_feature_importance_menu_runs_on_the_demo_model():
    model, (X, y), features, classes = xw.demo.wine_mlp()
    f = xw.FeatureImportance(model, X[:60], y=y[:60], feature_names=features,
                             class_names=classes, background=10, shap_rows=5)
    local = f.local_explanation
    listed = f.local["methods"]
    assert list(listed) == ["kernel_shap", "integrated_gradients", "gradient_x_input"]
    for method, entry in listed.items():
        assert entry["label"] == xw.methods(kind="tabular")[method]["label"]
        assert np.isfinite(local[method]["values"]).all(), method
