"""Compiled functions are traced once per model and shape: repeated calls do not retrace."""

import numpy as np
import pytest

import xai_widgets as xw


@pytest.fixture(scope="module")
def model(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.mark.parametrize("method,options", [
    ("saliency", {}), ("gradient_x_input", {}), ("integrated_gradients", {"steps": 5}),
    ("smoothgrad", {"samples": 3}), ("gradcam", {}), ("gradcam_plus_plus", {}),
    ("occlusion", {"patch": 3}),
])
def test_no_retracing_on_repeated_calls(model, method, options):
    adapter = xw.adapt(model)
    x = np.random.default_rng(0).uniform(size=(5, 8, 8, 3)).astype(np.float32)
    xw.explain(model, x, method=method, batch_size=4, **options)  # traces
    traced = adapter.trace_count
    assert traced > 0
    # New values, a different number of inputs, other targets, other option values and
    # a last chunk of another size: the same compiled functions run again.
    xw.explain(model, x[:3] * 0.5, method=method, batch_size=4, target=1, **options)
    xw.explain(model, x, method=method, batch_size=4, target=[0, 1, 2, 0, 1], **options)
    if method == "integrated_gradients":
        xw.explain(model, x, method=method, batch_size=4, steps=9, rule="trapezoid")
    assert adapter.trace_count == traced


def test_explain_reuses_one_adapter_per_model_and_output(model):
    assert xw.adapt(model) is xw.adapt(model)
    assert xw.adapt(model, output="probability") is not xw.adapt(model)


def test_progress_reports_every_chunk_and_cancel_stops_between_batches(model):
    x = np.random.default_rng(0).uniform(size=(3, 8, 8, 3)).astype(np.float32)
    seen = []
    xw.explain(model, x, method="integrated_gradients", steps=10, batch_size=8,
               progress=lambda done, total: seen.append((done, total)))
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == seen[-1][1] == 3 * 10

    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2  # let two chunks run, then cancel

    with pytest.raises(xw.Cancelled, match=r"cancelled after 16 of 30 model evaluations"):
        xw.explain(model, x, method="integrated_gradients", steps=10, batch_size=8, cancel=cancel)


def test_methods_table_lists_options_with_defaults():
    table = xw.methods()
    assert set(table) >= {"saliency", "gradient_x_input", "integrated_gradients", "smoothgrad",
                          "gradcam", "gradcam_plus_plus", "occlusion"}
    ig = table["integrated_gradients"]["options"]
    assert ig["steps"]["default"] == 32 and ig["rule"]["default"] == "gauss_legendre"
    assert "batch_size" in table["gradcam"]["options"]


def test_params_record_every_option_used(model):
    x = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    exp = xw.explain(model, x, method="smoothgrad", samples=4)
    assert exp.params == {"samples": 4, "noise": 0.15, "squared": False, "seed": 0,
                          "batch_size": 32, "output": "logit", "head": exp.params["head"],
                          "score": "logit (before softmax)"}


def test_weights_changed_after_the_first_explanation_are_seen(keras):
    """The adapter reads the user's variables live (no snapshot of the softmax layer)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax",
                                                                    name="head")])
    x = np.ones((1, 3), np.float32)
    model.get_layer("head").set_weights([np.zeros((3, 2), np.float32), np.zeros(2, np.float32)])
    before = xw.explain(model, x, method="saliency", target=1)
    np.testing.assert_allclose(before.attributions, 0.0)
    kernel = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    model.get_layer("head").set_weights([kernel, np.zeros(2, np.float32)])
    after = xw.explain(model, x, method="saliency", target=1)
    np.testing.assert_allclose(after.attributions[0], kernel[:, 1])
    np.testing.assert_allclose(after.scores, [12.0])
