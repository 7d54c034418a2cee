"""LayerBrowser state and messages, driven the way the front end drives them."""

import json

import numpy as np
import pytest
import traitlets

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets._encode import decode_payload
from xai_widgets.explainers import activations as activations_module
from xai_widgets.explainers.activations import dequantize


@pytest.fixture
def browser(digits):
    model, (x, _), names = digits
    return xw.LayerBrowser(model, x[0], class_names=names)


def direct(model, name, x):
    import keras

    return keras.Model(model.inputs, model.get_layer(name).output).predict(x, verbose=0)[0]


def test_starts_on_the_last_convolution_with_its_activations(browser, digits):
    model, (x, _), _ = digits
    assert browser.layer == "conv3"
    np.testing.assert_allclose(browser.activations, direct(model, "conv3", x[:1]), rtol=1e-5,
                               atol=1e-6)
    assert [row["path"] for row in browser.layers][:2] == ["conv1", "conv2"]


def test_selecting_a_layer_sends_only_its_maps_as_uint8(browser, digits):
    model, (x, _), _ = digits
    browser.layer = "conv1"
    view = browser
    assert view.activation["dtype"] == "uint8" and view.activation["shape"] == [8, 8, 32]
    info = view.activation_info
    assert info["kind"] == "spatial"
    lo, hi = decode_payload(info["lo"]), decode_payload(info["hi"])
    shown = dequantize(decode_payload(view.activation), lo, hi)
    truth = direct(model, "conv1", x[:1])
    assert (np.abs(shown - truth) <= (hi - lo) / 255 / 2 + 1e-5).all()
    np.testing.assert_allclose(decode_payload(info["means"]), truth.mean(axis=(0, 1)), rtol=1e-5,
                               atol=1e-6)
    # the weights of conv1: 32 kernels 3x3 over one input channel
    assert view.weights_info == {"kind": "conv", "shape": [32, 3, 3, 1], "lo": view.weights_info["lo"],
                                 "hi": view.weights_info["hi"], "rgb": False}


def test_a_dense_layer_is_a_vector_of_units_and_its_weights_a_matrix(browser, digits):
    model, (x, _), _ = digits
    browser.layer = "probabilities"
    assert browser.activation_info["kind"] == "vector"
    assert browser.activation_info["note"] == "scores before the final softmax"
    assert browser.activation_info["labels"] == browser.class_names  # bars named by class
    # the head's output is shown before its softmax: the logits
    probs = model.predict(x[:1], verbose=0)[0]
    z = np.exp(browser.activations - browser.activations.max())
    np.testing.assert_allclose(z / z.sum(), probs, rtol=1e-5)
    assert browser.weights_info["kind"] == "dense"
    assert browser.weights_info["shape"] == [64, 10]  # after global average pooling


def test_one_pass_per_target_whatever_the_number_of_layers_selected(browser, monkeypatch):
    calls = []
    original = activations_module.ActivationProbe.run
    monkeypatch.setattr(activations_module.ActivationProbe, "run",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    for name in ("conv1", "conv2", "pool", "gap", "conv3"):
        browser.layer = name
    assert calls == []  # all from the pass made when the widget was created
    browser.target = 4
    browser.layer = "conv1"
    assert len(calls) == 1


def test_changing_the_class_from_the_browser_updates_contributions(browser):
    before = decode_payload(browser.activation_info["contributions"]).copy()
    path_before = browser.decision_path
    browser.set_state({"target": 7})
    assert browser.wait(60)
    assert browser.status == "idle" and browser.target == 7
    after = decode_payload(browser.activation_info["contributions"])
    assert not np.allclose(before, after)
    assert browser.decision_path != path_before
    grads = browser.gradients
    np.testing.assert_allclose(after, (browser.activations * grads).sum(axis=(0, 1)), rtol=1e-4,
                               atol=1e-5)


def test_decision_path_lists_the_layers_with_weights(browser):
    steps = browser.decision_path
    assert [s["layer"] for s in steps] == ["conv1", "conv2", "conv3", "probabilities"]
    assert all(len(s["channels"]) == 3 for s in steps[:-1])
    last = steps[-1]  # at the head, the only contributing "channel" is the explained class
    assert last["channels"] == [browser.top_classes[0]["index"]]


def test_gradcam_for_the_selected_layer_is_one_request(browser, digits):
    model, (x, _), _ = digits
    browser.set_state({"gradcam_layer": "conv2"})
    browser.wait(60)
    info = browser.gradcam_info
    assert info["layer"] == "conv2" and "Grad-CAM at conv2" in info["caption"]
    shown = decode_payload(browser.gradcam).astype(np.float32) * info["scale"]
    expected = xw.explain(model, x[:1], method="gradcam", layer="conv2").heatmaps[0]
    np.testing.assert_allclose(shown, expected, atol=2e-3 * np.abs(expected).max())


def test_arrays_travel_as_binary(browser):
    from ipywidgets.widgets.widget import _remove_buffers

    state, paths, buffers = _remove_buffers(browser.get_state())
    assert ["activation", "view"] in paths and ["weights", "view"] in paths
    data = {k: v for k, v in state.items() if k not in ("_esm", "_css")}
    assert len(json.dumps(data)) < 20000


def test_layers_inside_a_nested_model_can_be_selected(keras):
    keras.utils.set_random_seed(1)
    backbone = keras.Sequential([keras.Input((8, 8, 3)),
                                 keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                                                     name="inner_conv")], name="backbone")
    inp = keras.Input((8, 8, 3))
    out = keras.layers.Dense(2, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(backbone(inp)))
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).uniform(size=(8, 8, 3)).astype(np.float32)
    b = xw.LayerBrowser(model, x)
    assert b.layer == "backbone/inner_conv"
    np.testing.assert_allclose(b.activations, backbone.predict(x[None], verbose=0)[0], rtol=1e-5,
                               atol=1e-6)
    assert b.weights_info["rgb"] is True  # 3 input channels: kernels shown as RGB


def test_bad_input(digits, browser):
    model, (x, _), _ = digits
    with pytest.raises(ExplainError, match=r"one input; got a batch of 2"):
        xw.LayerBrowser(model, x[:2])
    with pytest.raises(traitlets.TraitError, match=r"no layer named 'conv9'.*conv1"):
        browser.layer = "conv9"
    assert browser.layer == "conv3"
    with pytest.raises(traitlets.TraitError, match=r"target 10 is out of range"):
        browser.target = 10
