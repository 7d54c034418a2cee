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
        assert spec["inputs"] and set(spec["inputs"]) <= {"image", "tabular", "text"}, name
        for option, described in spec["options"].items():
            assert described["types"] and set(described["types"]) <= set(TYPES), (name, option)
            if "choice" in described["types"]:
                assert described["choices"], (name, option)


def test_methods_by_kind():
    image, tabular = xw.methods(kind="image"), xw.methods(kind="tabular")
    assert "gradcam" in image and "occlusion" in image and "lime" in image
    assert "kernel_shap" in tabular and "gradcam" not in tabular and "lime" not in tabular
    # one name, two registrations: superpixel KernelSHAP for images, the tabular one beside
    assert image["kernel_shap"]["label"] != tabular["kernel_shap"]["label"]
    assert "segmentation" in image["kernel_shap"]["options"]
    assert "background" in tabular["kernel_shap"]["options"]
    assert set(image) | set(tabular) == set(xw.methods()) == set(METHODS)
    with pytest.raises(ExplainError, match="unknown input kind 'video'"):
        xw.methods(kind="video")


def test_explain_refuses_a_method_for_another_kind_before_computing(digits, keras):
    model, (x, _), _ = digits
    with pytest.raises(ExplainError, match=r"'kernel_shap' explains tabular inputs; these "
                                           r"inputs \(2, 8, 8, 1\) are image inputs"):
        xw.explainers.kernel_shap(model, x[:2], background=x[:4])  # the tabular one
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ExplainError, match=r"'gradcam' explains image inputs.*Methods for "
                                           r"tabular inputs: \['gradient_x_input'"):
        xw.explain(dense, np.zeros((1, 4), np.float32), method="gradcam")


@pytest.fixture
def scratch_registry():
    """Registrations made by a test are removed after it."""
    from xai_widgets.explainers import base

    before = dict(base.REGISTRY), dict(base.METHODS)
    yield base
    base.REGISTRY.clear(); base.REGISTRY.update(before[0])
    base.METHODS.clear(); base.METHODS.update(before[1])


def test_one_name_per_kind_runs_the_registration_that_fits_the_inputs(scratch_registry):
    base = scratch_registry
    seen = []

    def make(kind):
        def compute(adapter, x, targets, runner, **options):
            seen.append((kind, sorted(options)))
            return {"attributions": np.zeros_like(x), "heatmaps": None}
        return compute

    base.register("probe", "Probe (image)", "test", signed=True, inputs=("image",),
                  options=(Option("size", 3, "a size", "integer"),))(make("image"))
    base.register("probe", "Probe (tabular)", "test", signed=True, inputs=("tabular",),
                  options=(Option("rows", 5, "rows", "integer"),))(make("tabular"))
    with pytest.raises(ValueError, match=r"'probe' is already registered for \['image'\]"):
        base.register("probe", "again", "test", signed=True, inputs=("image",))(make("x"))

    assert xw.methods(kind="image")["probe"]["label"] == "Probe (image)"
    assert list(xw.methods(kind="tabular")["probe"]["options"]) == ["batch_size", "rows"]
    assert xw.methods()["probe"]["inputs"] == ["image", "tabular"]
    assert base.get_method("probe", "tabular").label == "Probe (tabular)"
    with pytest.raises(ExplainError, match=r"'probe' does not explain text inputs \(it "
                                           r"explains image and tabular inputs\)"):
        base.get_method("probe", "text")

    import keras
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    conv = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(2)])
    xw.explain(dense, np.ones((2, 4), np.float32), method="probe", rows=7)
    xw.explain(conv, np.ones((1, 6, 6, 1), np.float32), method="probe", size=2)
    assert seen == [("tabular", ["rows"]), ("image", ["size"])]
    with pytest.raises(ExplainError, match=r"unknown option\(s\) \['size'\] for method "
                                           r"'probe'"):
        xw.explain(dense, np.ones((2, 4), np.float32), method="probe", size=2)
    text = base._kind_of_raw
    assert text(["a b", "c"], {}) == text("a b", {}) == text(np.array(["x"]), {}) == "text"
    assert text(np.ones((2, 5), np.int32), {"vocabulary": ["a"]}) == "text"
    assert text(np.ones((2, 5)), {}) == "tabular" and text(np.ones((1, 4, 4)), {}) == "image"


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
