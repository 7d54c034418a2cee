"""An explanation whose map is zero everywhere says why and what to try (issue 19), and the
widgets show it. The models are built so that the answer is known (negative_head: conftest)."""

import numpy as np

import xai_widgets as xw
from xai_widgets.explainers.base import Explanation


def test_an_empty_gradcam_says_why_and_what_to_try(negative_head):
    model, x = negative_head
    exp = xw.explain(model, x, method="gradcam", target=0)
    assert np.all(exp.heatmaps == 0)
    assert len(exp.warnings) == 1
    text = exp.warnings[0]
    assert "Grad-CAM is zero everywhere for class 0 at layer 'conv'" in text
    assert "3 of 3 images" in text and "relu=False" in text and "earlier layer" in text


def test_a_map_with_something_to_show_has_no_warning(negative_head):
    model, x = negative_head
    assert xw.explain(model, x, method="gradcam", target=1).warnings == []
    # without the ReLU the same map shows its negative evidence: not empty
    signed = xw.explain(model, x, method="gradcam", target=0, relu=False)
    assert signed.warnings == [] and np.all(signed.heatmaps < 0)


def test_a_zero_gradient_gives_a_warning_for_input_space_methods(keras):
    """ReLU(w.x - 100) with x in [0, 1]: the unit is off for every input, so the gradient
    of the score is exactly zero and saliency has nothing to show."""
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="relu", name="dead")])
    model.get_layer("dead").set_weights([np.ones((16, 1), np.float32),
                                         np.array([-100.0], np.float32)])
    x = np.random.default_rng(1).uniform(size=(2, 4, 4, 1)).astype(np.float32)
    exp = xw.explain(model, x, method="saliency")
    assert np.all(exp.heatmaps == 0)
    assert exp.warnings and exp.warnings[0].startswith("Saliency (gradient) is zero everywhere")
    assert "inputs 0, 1 (of 2)" in exp.warnings[0]


def test_explanation_without_warnings_still_constructs():
    """Code that builds an Explanation by keywords, as before warnings existed."""
    exp = Explanation(method="m", params={}, inputs=np.zeros((1, 2)), targets=np.zeros(1, int),
                      scores=np.zeros(1), attributions=np.zeros((1, 2)), heatmaps=None,
                      signed=True, seconds=0.0)
    assert exp.warnings == []


def test_the_image_widget_shows_the_warning_and_clears_it(negative_head):
    model, x = negative_head
    w = xw.ImageExplainer(model, x, method="gradcam")
    w.target = 0
    assert "Grad-CAM is zero everywhere" in w.notice and "relu=False" in w.notice
    # the caption does not say "brighter pixels matter more" of a blank picture
    assert w.heatmap_info["empty"] and "zero everywhere, nothing to show" in w.heatmap_info["caption"]
    assert "brighter" not in w.heatmap_info["caption_magnitude"]
    w.target = 1
    assert w.notice == "" and not w.heatmap_info["empty"]
    assert w.heatmap_info["caption"].endswith("brighter pixels matter more")


def test_the_layer_browser_puts_the_warning_in_the_gradcam_caption(negative_head):
    model, x = negative_head
    b = xw.LayerBrowser(model, x[0])
    b.target = 0
    b.gradcam_layer = "conv"
    assert "Grad-CAM is zero everywhere" in b.gradcam_info["caption"]
    assert b.gradcam_info["warnings"]
