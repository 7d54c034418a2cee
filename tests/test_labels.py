"""Labels never lie: a number is called a probability only when it is one.

Three models that used to be mislabelled: logits (no softmax: "cow 2641.5%"), one sigmoid
unit (a binary classifier: the probability of class 1) and a model with a classification head
and a regression head (the regression value was shown as "0 5421.9%", "class '0'"). Each is
checked in the ``top_classes`` entries, the captions, the ``to_png`` titles and ``head=``.
"""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.models import ModelAdapter
from xai_widgets.payloads import caption, top_classes
from xai_widgets.widgets import image as image_module

AGE = 54.2


def image_trunk(keras, inp):
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    return keras.layers.GlobalAveragePooling2D(name="gap")(h)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def logits_model(keras):
    """Three classes, no softmax; the scores are far outside [0, 1]."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((8, 8, 3))
    model = keras.Model(inp, keras.layers.Dense(3, name="scores")(image_trunk(keras, inp)))
    kernel, _ = model.get_layer("scores").get_weights()
    model.get_layer("scores").set_weights([kernel, np.array([26.4, -1.9, 3.0], np.float32)])
    return model


@pytest.fixture(scope="module")
def sigmoid_model(keras):
    keras.utils.set_random_seed(2)
    inp = keras.Input((8, 8, 3))
    out = keras.layers.Dense(1, activation="sigmoid", name="is_dog")(image_trunk(keras, inp))
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def two_heads(keras):
    """A softmax head "kind" (3 classes) and a regression head "age" (one unit, no
    activation) on the same trunk."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 8, 3))
    h = image_trunk(keras, inp)
    model = keras.Model(inp, [keras.layers.Dense(3, activation="softmax", name="kind")(h),
                              keras.layers.Dense(1, name="age")(h)])
    kernel, _ = model.get_layer("age").get_weights()
    model.get_layer("age").set_weights([kernel, np.array([AGE], np.float32)])
    return model


def titles_of(widget, monkeypatch):
    """The titles to_png draws (the figure is caught before it is encoded)."""
    import xai_widgets.plotting as plotting

    caught = []
    monkeypatch.setattr(plotting, "figure_png", lambda fig, path=None: caught.append(fig) or b"")
    widget.to_png()
    return [ax.get_title() for ax in caught[0].axes if ax.get_title()]


# -- what a head's numbers are -------------------------------------------------------------
def test_value_kind_follows_the_heads_last_activation(keras, logits_model, sigmoid_model,
                                                      two_heads):
    assert ModelAdapter(logits_model).value_kind == "score"
    assert ModelAdapter(sigmoid_model).value_kind == "probability"
    assert ModelAdapter(two_heads, head="kind").value_kind == "probability"
    age = ModelAdapter(two_heads, head="age")
    assert age.value_kind == "value" and age.is_regression
    # the explained output does not change what the head outputs
    assert ModelAdapter(sigmoid_model, output="probability").value_kind == "probability"
    # a sigmoid as its own layer at the end is seen too: a binary classifier, not a value
    separate = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1),
                                 keras.layers.Activation("sigmoid")])
    assert ModelAdapter(separate).value_kind == "probability"
    # one unit with any other activation (or none) predicts a value
    relu = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="relu")])
    assert ModelAdapter(relu).is_regression


def test_class_names_of_one_unit_heads(sigmoid_model, two_heads):
    sigmoid = ModelAdapter(sigmoid_model)
    assert sigmoid.class_names() == ["1"]  # the unit is the probability of class 1
    assert sigmoid.class_names(["cat", "dog"]) == ["dog"]
    assert sigmoid.class_names(["dog"]) == ["dog"]
    assert ModelAdapter(two_heads, head="age").class_names() == ["age"]


def test_top_classes_carry_their_kind():
    names = ["cow", "dog", "cat"]
    scores = top_classes(np.array([26.4, -1.9, 3.0]), names, value_kind="score")
    assert [(c["name"], c["value"], c["value_kind"]) for c in scores] == [
        ("cow", pytest.approx(26.4), "score"), ("cat", pytest.approx(3.0), "score"),
        ("dog", pytest.approx(-1.9), "score")]
    assert all("probability" not in c for c in scores)
    value = top_classes(np.array([AGE]), ["age"], value_kind="value")
    assert value == [{"index": 0, "name": "age", "value": pytest.approx(AGE),
                      "value_kind": "value"}]
    with pytest.raises(ValueError, match="value_kind"):
        top_classes(np.array([0.5]), ["a"], value_kind="percent")


def test_captions_in_each_case():
    assert caption("Saliency", "cow", 12.34, "output", True) == (
        "Saliency for class 'cow' (score 12.3): warm pixels raise the score, cool ones lower it")
    assert caption("Saliency", "dog", 0.931, "probability", False, "probability") == (
        "Saliency for class 'dog' (probability 0.931): brighter pixels matter more")
    assert caption("Saliency", "dog", 2.5, "logit (before sigmoid)", False, "probability") == (
        "Saliency for class 'dog' (score 2.5): brighter pixels matter more")
    assert caption("Saliency", "age", 54.21, "output", True, "value") == (
        "Saliency for the predicted value of 'age' (54.2): warm pixels raise the value, "
        "cool ones lower it")


# -- head= by index, output name, dict key or layer name -----------------------------------
def test_head_accepts_the_output_layers_name(keras, images):
    seq = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                            keras.layers.Dense(1, name="age")])
    assert seq.outputs[0].name.startswith("keras_tensor")  # Keras' name for the output
    adapter = ModelAdapter(seq, head="age")
    assert adapter.head_names == ["age"] and adapter.head_name == "age"
    assert ModelAdapter(seq, head=seq.outputs[0].name).head_index == 0
    exp = xw.explain(seq, images, method="saliency", head="age")
    assert exp.params["head"] == "age"
    with pytest.raises(ExplainError, match=r"no output named 'height'.*\['age'\].*layer's name"):
        ModelAdapter(seq, head="height")


def test_dict_outputs_are_found_by_key_and_by_layer_name(keras):
    inp = keras.Input((4,))
    h = keras.layers.Dense(5, activation="tanh")(inp)
    model = keras.Model(inp, {"k": keras.layers.Dense(3, activation="softmax", name="kind")(h),
                              "a": keras.layers.Dense(1, name="age")(h)})
    x = np.random.default_rng(0).uniform(size=(3, 4)).astype(np.float32)
    out = model(x)
    adapter = ModelAdapter(model, head="a")
    assert adapter.head_names == ["a", "k"] and adapter.is_regression
    assert ModelAdapter(model, head="age").head_index == adapter.head_index
    np.testing.assert_allclose(adapter.outputs(x), np.asarray(out["a"]), rtol=1e-5)
    kind = ModelAdapter(model, head="kind")
    assert kind.head_name == "k" and kind.value_kind == "probability"
    np.testing.assert_allclose(kind.outputs(x), np.asarray(out["k"]), rtol=1e-5)


# -- ImageExplainer ------------------------------------------------------------------------
def test_image_explainer_on_logits_says_score(logits_model, images, monkeypatch):
    w = xw.ImageExplainer(logits_model, images, class_names=["cow", "dog", "cat"],
                          method="saliency")
    raw = np.asarray(logits_model(images[:1]))[0]
    top = w.top_classes
    assert [c["name"] for c in top] == ["cow", "cat", "dog"]
    assert {c["value_kind"] for c in top} == {"score"}
    np.testing.assert_allclose([c["value"] for c in top], np.sort(raw)[::-1], rtol=1e-5)
    assert w.heatmap_info["caption"].startswith(
        f"Saliency (gradient) for class 'cow' (score {raw[0]:.3g})")
    assert w.heatmap_info["reading"] == f"class 'cow' (score {raw[0]:.3g})"
    assert titles_of(w, monkeypatch)[0].replace("\n", " ").startswith(
        "Saliency (gradient) for class 'cow' (score ")


def test_image_explainer_on_one_sigmoid_unit(sigmoid_model, images, monkeypatch):
    w = xw.ImageExplainer(sigmoid_model, images, class_names=["cat", "dog"], method="saliency")
    p = float(np.asarray(sigmoid_model(images[:1]))[0, 0])
    assert w.class_names == ["dog"] and w.heads == [sigmoid_model.output_names[0]]
    assert w.top_classes == [{"index": 0, "name": "dog", "value": pytest.approx(p, rel=1e-5),
                              "value_kind": "probability"}]
    logit = np.log(p / (1 - p))
    assert w.heatmap_info["caption"].startswith(
        f"Saliency (gradient) for class 'dog' (score {logit:.3g})")
    assert "class 'dog' (score" in titles_of(w, monkeypatch)[0].replace("\n", " ")
    assert xw.ImageExplainer(sigmoid_model, images).class_names == ["1"]


def test_image_explainer_on_a_regression_head(two_heads, images, monkeypatch):
    w = xw.ImageExplainer(two_heads, images, head="age", method="saliency")
    value = float(np.asarray(two_heads(images[:1])[1])[0, 0])
    assert w.heads == ["kind", "age"] and w.head == "age"
    assert w.class_names == ["age"]
    assert w.top_classes == [{"index": 0, "name": "age", "value": pytest.approx(value, rel=1e-5),
                              "value_kind": "value"}]
    expected = f"Saliency (gradient) for the predicted value of 'age' ({value:.3g})"
    assert w.heatmap_info["caption"] == f"{expected}: brighter pixels matter more"
    assert "class" not in w.heatmap_info["caption"]
    assert titles_of(w, monkeypatch)[0].replace("\n", " ").startswith(expected)


def test_image_explainer_switches_heads_with_one_request(two_heads, images, monkeypatch):
    w = xw.ImageExplainer(two_heads, images, head="kind", method="saliency",
                          class_names={"kind": ["cat", "dog", "cow"]})
    assert w.class_names == ["cat", "dog", "cow"]
    assert {c["value_kind"] for c in w.top_classes} == {"probability"}
    w.target = 2
    calls = []
    real = image_module.explain
    monkeypatch.setattr(image_module, "explain", lambda *a, **k: calls.append(k) or real(*a, **k))
    w.set_state({"head": "age"})  # what the view's menu sends
    w.wait()
    assert len(calls) == 1, "one request for the new head"
    assert w.target == -1 and w.class_names == ["age"]
    assert w.top_classes[0]["value_kind"] == "value"
    assert w.shown["head"] == "age" and w.explanation.params["head"] == "age"
    assert w.heatmap_info["caption"].startswith("Saliency (gradient) for the predicted value")
    # and back: the classes' names again; the first explanation comes from the cache
    w.head = "kind"
    assert w.class_names == ["cat", "dog", "cow"] and w.target == -1
    assert w.heatmap_info["caption"].startswith("Saliency (gradient) for class '")
    with pytest.raises(Exception, match="no output named 'size'"):
        w.head = "size"


def test_image_explainer_checks_class_names_per_head(two_heads, images):
    with pytest.raises(ExplainError, match="class_names has 2 names but the model has 3"):
        xw.ImageExplainer(two_heads, images, head="age", class_names={"kind": ["a", "b"]})
    with pytest.raises(ExplainError, match="no output named 'size'"):
        xw.ImageExplainer(two_heads, images, head="age", class_names={"size": ["a"]})


def test_a_failed_request_on_another_head_keeps_the_shown_heads_words(two_heads, images):
    w = xw.ImageExplainer(two_heads, images, head="age", method="saliency")
    with pytest.raises(ExplainError):
        with w.hold_trait_notifications():
            w.head = "kind"
            w.options = {"layer": "gap"}  # not spatial: Grad-CAM fails
            w.method = "gradcam"
    assert w.head == "age" and w.class_names == ["age"]
    assert "for the predicted value of 'age'" in w.notice


# -- LayerBrowser --------------------------------------------------------------------------
def test_layer_browser_labels(two_heads, logits_model, images):
    b = xw.LayerBrowser(two_heads, images[0], head="age")
    assert b.class_names == ["age"] and b.top_classes[0]["value_kind"] == "value"
    assert b.heads == ["kind", "age"] and b.head == "age"
    with pytest.raises(Exception, match="explains the output 'age'; make another with head='kind'"):
        b.head = "kind"
    b.gradcam_layer = "conv"
    assert b.gradcam_info["caption"].startswith("Grad-CAM at conv for the predicted value of "
                                                "'age' (")
    logits = xw.LayerBrowser(logits_model, images[0])
    assert {c["value_kind"] for c in logits.top_classes} == {"score"}
    assert max(c["value"] for c in logits.top_classes) > 1  # a score, shown as one


# -- FeatureImportance ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tabular_heads(keras):
    keras.utils.set_random_seed(5)
    inp = keras.Input((3,))
    h = keras.layers.Dense(4, activation="tanh")(inp)
    model = keras.Model(inp, [keras.layers.Dense(2, activation="softmax", name="kind")(h),
                              keras.layers.Dense(1, name="price")(h)])
    X = np.random.default_rng(1).normal(size=(30, 3)).astype(np.float32)
    return model, X


def small_importance(model, X, **kwargs):
    return xw.FeatureImportance(model, X, background=5, shap_rows=3, samples=16, **kwargs)


def test_feature_importance_states_the_head(tabular_heads, monkeypatch):
    model, X = tabular_heads
    price = small_importance(model, X, head="price")
    assert price.task == "regression"
    assert price.local["score_label"] == "predicted value of 'price'"
    assert price.local["head"] == "price" and price.local["value_kind"] == "value"
    assert any("predicted value of 'price'" in t for t in titles_of(price, monkeypatch))
    kind = small_importance(model, X, head="kind", class_names=["no", "yes"])
    name = kind.local["class_name"]
    assert kind.local["score_label"] == f"probability of '{name}' (output 'kind')"
    assert {c["value_kind"] for c in kind.top_classes} == {"probability"}


def test_feature_importance_on_logits_says_score(keras, monkeypatch):
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, name="scores")])
    X = np.random.default_rng(2).normal(size=(30, 3)).astype(np.float32) * 40
    f = small_importance(model, X)
    assert f.task == "classification"
    assert {c["value_kind"] for c in f.top_classes} == {"score"}
    assert f.local["value_kind"] == "score"
    assert f.local["score_label"] == f"score of '{f.local['class_name']}'"
    assert any("score of '" in t for t in titles_of(f, monkeypatch))
