"""Bad input: a clear message, raised before any computation starts."""

import warnings

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


@pytest.fixture(scope="module")
def model(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((6, 6, 1)),
        keras.layers.Conv2D(3, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(4, activation="softmax"),
    ])


@pytest.fixture
def x():
    return np.random.default_rng(0).uniform(0, 1, (2, 6, 6, 1)).astype(np.float32)


class Spy:
    """progress/cancel callbacks that record whether any chunk was started."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return False


def explain_fails(model, x, match, **kwargs):
    progress, cancel = Spy(), Spy()
    with pytest.raises(ExplainError, match=match):
        xw.explain(model, x, progress=progress, cancel=cancel, **kwargs)
    assert progress.calls == 0 and cancel.calls == 0, "the error came after computing started"


def test_wrong_shape_says_the_expected_shape(model, x):
    explain_fails(model, x[:, :5], r"shape \(2, 5, 6, 1\).*expects \(N, 6, 6, 1\)")


def test_missing_channel_axis_gets_a_hint(model, x):
    explain_fails(model, x[..., 0], r"Add a channel axis: x\[\.\.\., None\]")


def test_wrong_rank_is_refused(model, x):
    explain_fails(model, x[None], r"expects \(N, 6, 6, 1\)")


def test_a_single_example_is_a_batch_of_one(model, x):
    assert xw.explain(model, x[0], method="saliency").attributions.shape == (1, 6, 6, 1)


def test_target_out_of_range_says_the_number_of_classes(model, x):
    explain_fails(model, x, r"target 4 is out of range.*4 class\(es\).*0\.\.3", target=4)
    explain_fails(model, x, r"target -1 is out of range", target=[0, -1])


def test_target_list_of_the_wrong_length(model, x):
    explain_fails(model, x, r"target has 3 entries but there are 2 inputs", target=[0, 1, 2])


def test_unknown_method_lists_the_valid_ones(model, x):
    explain_fails(model, x, r"unknown method 'anchors'.*'gradcam'.*'integrated_gradients'", method="anchors")


def test_unknown_option_lists_the_valid_ones(model, x):
    explain_fails(model, x, r"unknown option\(s\) \['stepz'\].*\['baseline', 'batch_size', "
                  r"'blur_sigma', 'rule', 'steps'\]", method="integrated_gradients", stepz=3)


@pytest.mark.parametrize("options,match", [
    ({"steps": 0}, r"steps=0.*must be >= 1"),
    ({"steps": 2.5}, r"steps=2.5.*expected an integer"),
    ({"rule": "simpson"}, r"valid values are \['trapezoid'"),
    ({"baseline": "noise"}, r"baseline='noise' .* expected one of 'zeros', 'blur' or an array"),
    ({"baseline": np.zeros((3, 3))}, r"baseline has shape \(3, 3\)"),
])
def test_invalid_option_values(model, x, options, match):
    explain_fails(model, x, match, method="integrated_gradients", **options)


def test_no_spatial_layer_for_gradcam_lists_the_layers(keras, x):
    dense = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(3, name="scores")])
    explain_fails(dense, x, r"needs a layer with a spatial output.*has none.*flat \(Flatten.*scores \(Dense",
                  method="gradcam")


def test_unknown_layer_lists_the_layers(model, x):
    explain_fails(model, x, r"no layer named 'conv9'.*conv2d", method="gradcam", layer="conv9")


def test_output_without_gradient_says_which(keras, x):
    inp = keras.Input((6, 6, 1))
    h = keras.layers.Flatten()(inp)
    h = keras.ops.cast(keras.ops.cast(h * 10, "int32"), "float32")  # not differentiable
    out = keras.layers.Dense(2, name="decision")(h)
    model = keras.Model(inp, out)
    explain_fails(model, x, r"output 'decision' has no gradient with respect to its input",
                  method="saliency")
    # occlusion only needs forward passes, and works
    assert xw.explain(model, x, method="occlusion").heatmaps.shape == (2, 6, 6)


@pytest.mark.parametrize("value,where", [(np.nan, r"\(1, 2, 3, 0\)"), (np.inf, r"\(1, 2, 3, 0\)")])
def test_nan_or_inf_in_the_input(model, x, value, where):
    x = x.copy()
    x[1, 2, 3, 0] = value
    explain_fails(model, x, r"1 NaN or infinite value\(s\), the first at index " + where)


def test_uint8_images_for_a_model_that_expects_floats_in_0_1(model):
    raw = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 1), dtype=np.uint8)
    explain_fails(model, raw, r"integers \(uint8, values .*floats in \[0, 1\].*astype\('float32'\) / 255")


def test_uint8_images_are_fine_when_the_model_rescales_them(keras):
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    raw = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 1), dtype=np.uint8)
    assert xw.explain(model, raw, method="saliency").inputs.dtype == np.float32


def test_multi_output_model_needs_a_head_and_accepts_name_or_index(keras):
    inp = keras.Input((4,))
    h = keras.layers.Dense(5, activation="tanh")(inp)
    model = keras.Model(inp, {"kind": keras.layers.Dense(3, activation="softmax", name="kind")(h),
                              "size": keras.layers.Dense(1, name="size")(h)})
    x = np.random.default_rng(0).uniform(size=(2, 4)).astype(np.float32)
    with pytest.raises(ExplainError, match=r"has 2 outputs \['kind', 'size'\].*head="):
        xw.explain(model, x, method="saliency")
    with pytest.raises(ExplainError, match=r"no output named 'shape'"):
        xw.explain(model, x, method="saliency", head="shape")
    by_name = xw.explain(model, x, method="saliency", head="size")
    by_index = xw.explain(model, x, method="saliency", head=model.output_names.index("size"))
    np.testing.assert_allclose(by_name.attributions, by_index.attributions)
    assert by_name.params["score"] == "output" and by_name.heatmaps is None
    assert xw.explain(model, x, method="saliency", head="kind").params["score"].startswith("logit")


def test_unknown_output_kind(model, x):
    explain_fails(model, x, r"unknown output='prob'.*'logit'.*'probability'", output="prob")


def test_not_a_model(x):
    with pytest.raises(ExplainError, match=r"expected a keras.Model, got function"):
        xw.explain(lambda t: t, x)


def test_unbuilt_model(keras, x):
    with pytest.raises(ExplainError, match=r"has not been built.*keras.Input"):
        xw.explain(keras.Sequential([keras.layers.Dense(2)]), x)


def test_one_grayscale_image_without_its_channel_axis_gets_the_hint(model, x):
    explain_fails(model, x[0, ..., 0], r"one grayscale image without its channel axis: add "
                                       r"it with x\[\.\.\., None\]")
    with pytest.raises(ExplainError, match=r"x\[\.\.\., None\]"):
        xw.ImageExplainer(model, x[0, ..., 0])


def test_pixel_values_for_a_model_without_rescaling_warn_once(keras, x):
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    with pytest.warns(xw.InputRangeWarning, match=r"look like pixel values in 0\.\.255 \(max "
                                                  r"2[\d.]+\).*pass x / 255"):
        xw.explain(model, x * 255, method="saliency")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xw.explain(model, x * 255, method="saliency")  # once per model
        xw.explain(model, x, method="saliency")  # [0, 1]: nothing to say
        rescaled = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Rescaling(1 / 255),
                                     keras.layers.Conv2D(2, 3),
                                     keras.layers.GlobalAveragePooling2D(),
                                     keras.layers.Dense(3)])
        xw.explain(rescaled, x * 255, method="saliency")  # the model rescales itself


@pytest.mark.parametrize("name", ["my conv", "conv <b>1<b>", "a&b \"c\""])
def test_layer_names_with_spaces_or_markup_work_with_grad_cam(keras, x, name):
    """Keras accepts such names, TensorFlow's name scopes do not: the first call must behave
    like the second, with no raw scope error."""
    inp = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name=name)(inp)
    out = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(h))
    model = keras.Model(inp, out)
    first = xw.explain(model, x, method="gradcam", layer=name)
    second = xw.explain(model, x, method="gradcam", layer=name)
    np.testing.assert_allclose(first.heatmaps, second.heatmaps)
    assert first.params["layer"] == name
    from keras.src.backend.common import global_state
    assert not global_state.get_global_attribute("name_scope_stack", default=[])


def test_a_method_that_cannot_run_raises_when_set_from_python(keras, x):
    dense = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    w = xw.ImageExplainer(dense, x, method="saliency")
    with pytest.raises(ExplainError, match="needs a layer with a spatial output"):
        w.method = "gradcam"
    assert w.method == w.explanation.method == "saliency"
    assert w.status == "error" and "spatial" in w.error
    assert w.notice.startswith("Grad-CAM failed: still showing Saliency")
