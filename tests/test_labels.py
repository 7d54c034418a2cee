"""Labels never lie: a number is called a probability only when it is one.

Three models that used to be mislabelled: logits (no softmax: "cow 2641.5%"), one sigmoid
unit (a binary classifier: the probability of class 1) and a model with a classification head
and a regression head (the regression value was shown as "0 5421.9%", "class '0'").
"""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.models import ModelAdapter

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
