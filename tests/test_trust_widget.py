"""The ImageExplainer's region, Trust panel and feedback training, driven the way the
browser drives them (custom messages with binary buffers)."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


@pytest.fixture(scope="module")
def region_model(keras):
    """Two classes; class 0's logit reads only the 2x2 top-left corner."""
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="d")])
    kernel = np.zeros((64, 2), np.float32)
    for r in range(2):
        for c in range(2):
            kernel[r * 8 + c, 0] = 3.0
    kernel[:, 1] = 0.05
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    return model


def _images():
    x = np.random.default_rng(0).uniform(0.2, 0.6, (2, 8, 8, 1)).astype(np.float32)
    x[:, :2, :2] = 1.0
    return x


def test_a_stroke_message_sets_the_region_and_python_draws_it(region_model):
    w = xw.ImageExplainer(region_model, _images(), method="saliency")
    assert w.region.shape == (2, 8, 8) and not w.region.any()
    mask = np.zeros((8, 8), np.uint8)
    mask[:2, :2] = 1
    w._handle_custom_msg({"type": "region_stroke", "index": 1, "shape": [8, 8]},
                         [memoryview(mask.tobytes())])
    assert w.region[1].sum() == 4 and w.region[1, :2, :2].all() and not w.region[0].any()
    payload = w.region_masks
    assert payload["shape"] == [2, 8, 8] and payload["dtype"] == "uint8"
    assert np.frombuffer(bytes(payload["view"]), np.uint8).sum() == 4
    version = payload["version"]
    w.region = np.eye(8, dtype=bool)  # one (H, W) region for every image
    assert w.region.sum() == 16 and w.region_masks["version"] == version + 1
    w._handle_custom_msg({"type": "region_clear"}, [])
    assert not w.region.any()
    with pytest.raises(ExplainError, match="region must be a boolean array of shape"):
        w.region = np.ones((3, 3), bool)
    # a malformed stroke (wrong size) changes nothing
    w._handle_custom_msg({"type": "region_stroke", "index": 0}, [memoryview(b"\x01\x01")])
    assert not w.region.any()


def test_trust_panel_evaluates_the_methods_shown_with_the_region(region_model):
    w = xw.ImageExplainer(region_model, _images(), method="saliency",
                          options={})
    w.compare = ["gradient_x_input"]
    region = np.zeros((2, 8, 8), bool)
    region[:, :2, :2] = True
    w.region = region
    df = w.evaluate_trust(steps=8, subsets=16, samples=2, randomization_layers=None,
                          random_logit_check=False)
    assert list(df.method) == ["saliency", "gradient_x_input"]
    # the model reads only the region: saliency (|weights|) points there with all its mass
    sal = df[df.method == "saliency"].iloc[0]
    assert sal.pointing_game and sal.relevance_mass == pytest.approx(1.0, abs=1e-6)
    rows = w.trust_rows
    assert [r["method"] for r in rows] == ["saliency", "gradient_x_input"]
    assert rows[0]["pointing_game"] is True and "relevance_mass" in w.trust_info["captions"]
    assert w.trust_info["deletion"]["shape"] == [2, 9]
    # the sanity check as maps: the one Dense layer re-drawn, correlation beside each map
    sanity = w.trust_info["sanity"]
    assert [s["info"]["method"] for s in sanity] == ["saliency", "gradient_x_input"]
    assert sanity[0]["heatmap"]["shape"] == [8, 8]
    assert sanity[0]["info"]["correlation"] == pytest.approx(df.randomization[0])
    assert abs(df.randomization[0]) < 0.5  # random weights: the map changed
    assert w.trust is df


@pytest.mark.slow
def test_train_with_feedback_moves_the_heatmap_off_the_region(region_model, keras):
    model = keras.models.clone_model(region_model)
    model.set_weights(region_model.get_weights())
    x = _images()
    w = xw.ImageExplainer(model, x, method="saliency", output="probability")
    with pytest.raises(ExplainError, match="paint a region"):
        w.train_with_feedback()
    rng = np.random.default_rng(1)
    xs = rng.uniform(0, 1, (64, 8, 8, 1)).astype(np.float32)
    ys = (xs[:, 4:, 4:, 0].mean(axis=(1, 2)) > 0.5).astype(int)  # what should matter
    w.use_feedback_data(xs, ys, validation_data=(xs, ys))
    region = np.zeros((8, 8), bool)
    region[:2, :2] = True
    w.region = region
    w.train_with_feedback(epochs=60, learning_rate=0.05)
    info = w.feedback_info
    assert info["after_accuracy"] > info["before_accuracy"]
    assert info["relevance_mass"]["after"] < 0.2 * info["relevance_mass"]["before"], info["relevance_mass"]
    assert "before" in info and "after" in info
    assert w.trust_rows == []  # an evaluation of the model before training is not shown
    assert w.explanation.heatmaps[0, :2, :2].max() < w.explanation.heatmaps[0].max()


def test_a_cancelled_training_still_refreshes_the_view(region_model, keras):
    model = keras.models.clone_model(region_model)
    model.set_weights(region_model.get_weights())
    w = xw.ImageExplainer(model, _images(), method="saliency")
    w.region = np.pad(np.ones((2, 2), bool), ((0, 6), (0, 6)))
    before = w.explanation
    calls = []

    def cancel_later():  # after two batches
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(xw.Cancelled):
        w._feedback(lambda d, t: None, cancel_later, epochs=5, batch_size=1,
                    learning_rate=0.5)
    assert w.explanation is not before  # recomputed with the partly trained model
    assert not np.allclose(w.explanation.heatmaps, before.heatmaps)
