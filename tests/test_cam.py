"""Grad-CAM and Grad-CAM++ against the class activation map, on flat and nested models."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


@pytest.fixture(scope="module")
def gap_cnn(keras):
    """conv -> global average pooling -> dense: the architecture where CAM is defined."""
    keras.utils.set_random_seed(11)
    inp = keras.Input((12, 10, 3))
    h = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="features")(inp)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(4, activation="softmax", name="classifier")(h)
    return keras.Model(inp, out)


def cam(model, x, c):
    """Class activation map (Zhou et al. 2016): sum_k w_kc A_k, computed independently."""
    import keras

    features = keras.Model(model.inputs, model.get_layer("features").output)
    acts = features.predict(x, verbose=0)
    w = model.get_layer("classifier").get_weights()[0]
    return np.einsum("nhwk,k->nhw", acts, w[:, c]), acts


def images(n=3, shape=(12, 10, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n,) + shape).astype(np.float32)


@pytest.mark.parametrize("c", [0, 3])
def test_gradcam_equals_the_class_activation_map_on_a_gap_cnn(gap_cnn, c):
    """For GAP, dS/dA_ij^k = w_kc / Z, so Grad-CAM = ReLU(CAM) / Z (Selvaraju et al. 2017)."""
    x = images()
    exp = xw.explain(gap_cnn, x, method="gradcam", target=c)
    expected, _ = cam(gap_cnn, x, c)
    z = 12 * 10
    np.testing.assert_allclose(exp.attributions * z, np.maximum(expected, 0), rtol=1e-4, atol=1e-5)
    unsigned = xw.explain(gap_cnn, x, method="gradcam", target=c, relu=False)
    np.testing.assert_allclose(unsigned.attributions * z, expected, rtol=1e-4, atol=1e-5)
    assert exp.params["layer"] == "features"
    assert exp.heatmaps.shape == (3, 12, 10)


def test_gradcam_plus_plus_with_one_channel_is_the_rectified_activation(keras):
    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(1, 3, padding="same", name="features")(inp)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(1, name="classifier", kernel_initializer="ones")(h)
    model = keras.Model(inp, out)
    x = images(2, (8, 8, 1))
    exp = xw.explain(model, x, method="gradcam_plus_plus", target=0)
    acts = keras.Model(inp, model.get_layer("features").output).predict(x, verbose=0)[..., 0]
    # A positive weight on the single channel: the map is proportional to ReLU(A).
    for m, a in zip(exp.attributions, np.maximum(acts, 0)):
        np.testing.assert_allclose(m / m.max(), a / a.max(), rtol=1e-4, atol=1e-6)


@pytest.fixture(scope="module")
def nested_pair(keras):
    """The same network twice: flat, and as a transfer-learning model with a nested backbone
    (with its own preprocessing layer) and a nested classifier head ending in softmax."""
    keras.utils.set_random_seed(21)
    backbone = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block1"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block2"),
    ], name="backbone")
    head = keras.Sequential([keras.Input((8,)), keras.layers.Dense(5, activation="softmax",
                                                                  name="logits")], name="head")
    inp = keras.Input((16, 16, 3))
    h = keras.layers.Rescaling(2.0, offset=-1.0, name="preprocess")(inp)
    h = backbone(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    nested = keras.Model(inp, head(h), name="transfer")

    flat_in = keras.Input((16, 16, 3))
    f = keras.layers.Rescaling(2.0, offset=-1.0)(flat_in)
    f = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block1")(f)
    f = keras.layers.MaxPooling2D(2)(f)
    f = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block2")(f)
    f = keras.layers.GlobalAveragePooling2D()(f)
    flat = keras.Model(flat_in, keras.layers.Dense(5, activation="softmax", name="logits")(f))
    for name in ("block1", "block2"):
        flat.get_layer(name).set_weights(backbone.get_layer(name).get_weights())
    flat.get_layer("logits").set_weights(head.get_layer("logits").get_weights())
    return nested, flat


@pytest.mark.parametrize("method", ["gradcam", "gradcam_plus_plus"])
def test_cam_finds_and_reads_a_layer_inside_a_nested_backbone(nested_pair, method):
    nested, flat = nested_pair
    x = images(3, (16, 16, 3))
    a = xw.explain(nested, x, method=method, target=2)
    b = xw.explain(flat, x, method=method, target=2)
    assert a.params["layer"] == "backbone/block2"
    np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
    assert a.params["score"] == "logit (before softmax)"
    inner = xw.explain(nested, x, method=method, target=2, layer="block1")
    assert inner.params["layer"] == "backbone/block1"
    assert inner.attributions.shape == (3, 16, 16)


def test_gradients_through_a_nested_model_match_the_flat_model(nested_pair):
    nested, flat = nested_pair
    x = images(2, (16, 16, 3))
    for method in ("saliency", "integrated_gradients"):
        a = xw.explain(nested, x, method=method, target=1)
        b = xw.explain(flat, x, method=method, target=1)
        np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-4, atol=1e-6)


def test_default_layer_skips_a_final_pooling_layer(keras):
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(2, 3, padding="same", name="last_conv"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ])
    assert xw.explain(model, images(1, (8, 8, 1)), method="gradcam").params["layer"] == "last_conv"


def test_a_layer_without_a_spatial_output_is_refused_with_the_spatial_layers_listed(gap_cnn):
    with pytest.raises(ExplainError, match=r"not a spatial map.*Layers with spatial outputs: \['features'\]"):
        xw.explain(gap_cnn, images(1), method="gradcam", layer="classifier")
