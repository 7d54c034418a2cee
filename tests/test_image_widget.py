"""ImageExplainer state and messages, driven the way the front end drives them:
``set_state`` for trait changes (what an update message does) and custom messages."""

import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets._encode import decode_payload
from xai_widgets.widgets import image as image_module


@pytest.fixture(scope="module")
def small(keras):
    """A small CNN on 10x12 RGB images, ending in softmax; 4 classes."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([
        keras.Input((10, 12, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(4, activation="softmax"),
    ])
    x = np.random.default_rng(0).uniform(size=(3, 10, 12, 3)).astype(np.float32)
    return model, x


@pytest.fixture
def widget(small):
    model, x = small
    return xw.ImageExplainer(model, x, class_names=["cat", "dog", "<b>bird</b>", "fish"],
                             method="integrated_gradients")


def heat_of(w):
    return decode_payload(w.heatmap).astype(np.float32) * w.heatmap_info["scale"]


def test_initial_state_shows_the_top_class_explanation(widget, small):
    model, x = small
    exp = widget.explanation
    assert exp.method == "integrated_gradients" and exp.inputs.shape == (1, 10, 12, 3)
    assert widget.heatmap["dtype"] == "float16" and widget.heatmap["shape"] == [10, 12]
    np.testing.assert_allclose(heat_of(widget), exp.heatmaps[0], rtol=2e-3,
                               atol=2e-3 * np.abs(exp.heatmaps[0]).max())
    probs = model.predict(x[:1], verbose=0)[0]
    top = widget.top_classes
    assert [c["index"] for c in top] == list(np.argsort(probs)[::-1][:4])
    np.testing.assert_allclose([c["value"] for c in top], np.sort(probs)[::-1], rtol=1e-5)
    assert {c["value_kind"] for c in top} == {"probability"}
    info = widget.heatmap_info
    assert info["target"] == exp.targets[0] and info["signed"] is True
    assert info["caption"].startswith(f"Integrated Gradients for class '{widget.class_names[info['target']]}' (score ")
    assert info["caption"].endswith("warm pixels raise the score, cool ones lower it")
    assert widget.status == "idle" and widget.error == ""


def test_images_travel_once_as_png(widget, small):
    _, x = small
    assert len(widget.images) == 3
    decoded = np.asarray(Image.open(io.BytesIO(widget.images[1])))
    expected = (x[1] - x[1].min()) / (x[1].max() - x[1].min()) * 255
    np.testing.assert_allclose(decoded, expected, atol=0.51)


def test_arrays_travel_as_binary_buffers_never_json_numbers(widget):
    from ipywidgets.widgets.widget import _remove_buffers

    state, paths, buffers = _remove_buffers(widget.get_state())
    assert ["heatmap", "view"] in paths
    assert sum(len(b) for b in buffers) >= 10 * 12 * 2 + 3 * 50
    text = json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")})

    def long_number_lists(node):
        if isinstance(node, list):
            if len(node) > 8 and all(isinstance(v, (int, float)) for v in node):
                yield node
            for v in node:
                yield from long_number_lists(v)
        elif isinstance(node, dict):
            for v in node.values():
                yield from long_number_lists(v)

    assert not list(long_number_lists(state)), "numbers sent as a JSON list"
    # the data besides the buffers: names, metadata; the method menu (the registry's labels,
    # descriptions and options) grows with each method registered, so it has its own bound
    menu = json.dumps(state["methods"])
    assert len(text) - len(menu) < 8000
    assert len(menu) < 1500 * len(state["methods"])


def test_set_from_python_the_view_follows(widget):
    widget.method = "gradcam"
    assert widget.explanation.method == "gradcam"
    assert widget.heatmap_info["layer"] == "conv" and widget.heatmap_info["signed"] is False
    widget.target = 2
    assert widget.explanation.targets.tolist() == [2]
    assert widget.heatmap_info["class_name"] == "<b>bird</b>"  # kept as text, never HTML
    widget.index = 2
    assert widget.explanation.inputs.shape == (1, 10, 12, 3)
    np.testing.assert_array_equal(widget.explanation.inputs[0], widget.inputs[2])


def test_changes_from_the_browser_run_in_the_background(widget):
    main = threading.get_ident()
    threads = []
    original = image_module.explain

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    image_module.explain = spy
    try:
        widget.set_state({"method": "saliency", "target": 1})
        assert widget.wait(60)
    finally:
        image_module.explain = original
    assert threads and all(t != main for t in threads)
    assert widget.explanation.method == "saliency" and widget.explanation.targets[0] == 1
    assert widget.status == "idle" and widget.progress == 1.0


def test_an_error_is_shown_and_the_widget_keeps_working(widget):
    before = widget.explanation
    widget.set_state({"options": {"steps": 0}})
    widget.wait(60)
    assert widget.status == "error"
    assert "steps=0" in widget.error and "must be >= 1" in widget.error
    assert widget.explanation is before
    widget.set_state({"options": {"steps": 4}})
    widget.wait(60)
    assert widget.status == "idle" and widget.error == ""
    assert widget.explanation.params["steps"] == 4


def test_an_error_from_python_is_raised_shown_and_the_request_goes_back(widget):
    shown = widget.explanation
    with pytest.raises(ExplainError, match=r"valid values are \['trapezoid'"):
        widget.options = {"rule": "simpson"}
    assert widget.status == "error" and "valid values are" in widget.error
    # the controls go back to what is shown, and the widget says so
    assert widget.options == {} and widget.explanation is shown
    assert widget.notice.startswith("Integrated Gradients failed: still showing Integrated "
                                    "Gradients for class")


def test_cancel_stops_between_batches_and_keeps_the_last_result(widget, monkeypatch):
    before = widget.explanation
    started = threading.Event()
    release = threading.Event()
    original = image_module.explain

    def slow(*args, progress=None, cancel=None, **kwargs):
        def gate():
            started.set()
            release.wait(10)
            return cancel()

        return original(*args, progress=progress, cancel=gate, **kwargs)

    monkeypatch.setattr(image_module, "explain", slow)
    widget.set_state({"options": {"steps": 200}, "method": "integrated_gradients"})
    assert started.wait(30)
    assert widget.status == "busy"
    widget._handle_custom_msg({"type": "cancel"}, [])  # the Cancel button's message
    release.set()
    assert widget.wait(30)
    assert widget.status == "idle" and widget.progress == 0.0
    assert widget.explanation is before
    # the request goes back to what is shown, and the widget says so: no silent mismatch
    assert widget.options == {} and widget.method == widget.explanation.method
    assert widget.shown["options"] == {} and widget.shown["method"] == "integrated_gradients"
    assert widget.notice.startswith("Integrated Gradients cancelled: still showing "
                                    "Integrated Gradients for class")


def test_a_failed_request_from_the_browser_goes_back_to_what_is_shown(widget):
    shown = widget.explanation
    widget.set_state({"method": "saliency", "target": 2})
    widget.wait(60)
    assert widget.method == "saliency" and widget.notice == ""
    widget.set_state({"method": "occlusion", "options": {"fill": "abc"}})
    widget.wait(60)
    assert widget.status == "error" and "fill='abc'" in widget.error
    assert (widget.method, widget.target, widget.options) == ("saliency", 2, {})
    assert widget.explanation.method == "saliency" and widget.explanation is not shown
    assert widget.notice == ("Occlusion failed: still showing Saliency (gradient) for class "
                             "'<b>bird</b>' (image 0).")


def test_a_cancel_that_makes_way_for_a_newer_request_does_not_undo_it(widget):
    for method in ("smoothgrad", "saliency", "gradient_x_input"):
        widget.set_state({"method": method})
    widget.wait(60)
    assert widget.method == widget.explanation.method == "gradient_x_input"
    assert widget.shown["method"] == "gradient_x_input" and widget.notice == ""


def test_the_newest_request_wins(widget):
    for target in (0, 1, 3):
        widget.set_state({"target": target})
    widget.wait(60)
    assert widget.explanation.targets.tolist() == [3]
    assert widget.heatmap_info["target"] == 3


def test_progress_is_reported_while_computing(small):
    model, x = small
    w = xw.ImageExplainer(model, x, method="integrated_gradients")
    seen = []
    w.observe(lambda change: seen.append(change["new"]), "progress")
    w.set_state({"options": {"steps": 64, "batch_size": 4}})
    w.wait(60)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_repeated_requests_come_from_the_cache(widget, monkeypatch):
    calls = []
    original = image_module.explain
    monkeypatch.setattr(image_module, "explain", lambda *a, **k: calls.append(1) or original(*a, **k))
    widget.method = "saliency"
    widget.method = "integrated_gradients"  # computed at start: cached
    widget.method = "saliency"
    assert len(calls) == 1


def test_changing_method_keeps_only_the_options_it_knows(widget):
    widget.options = {"steps": 8}
    widget.method = "smoothgrad"
    assert widget.options == {} and widget.explanation.method == "smoothgrad"


def test_compare_mode_computes_every_method_with_shared_controls(widget):
    widget.compare = ["gradcam", "saliency", "occlusion"]
    labels = [c["info"]["label"] for c in widget.compare_heatmaps]
    assert labels == ["Grad-CAM", "Saliency (gradient)", "Occlusion"]
    for c in widget.compare_heatmaps:
        assert c["heatmap"]["shape"] == [10, 12] and c["heatmap"]["dtype"] == "float16"
    assert widget.explanation.method == "integrated_gradients"


def test_a_method_in_compare_and_method_is_shown_once(widget):
    widget.compare = ["saliency", "integrated_gradients", "saliency"]
    assert widget.compare == ["saliency", "integrated_gradients"]  # each method once
    assert [c["info"]["method"] for c in widget.compare_heatmaps] == ["saliency"]
    assert widget.shown["compare"] == ["saliency"]
    assert [e.method for e in widget.compared] == ["saliency"]
    png = Image.open(io.BytesIO(widget.to_png()))
    assert png.size[0] < 2 * 4.2 * 120 + 10  # two panels, not three


@pytest.fixture
def tabular_only():
    """A method registered for tabular inputs only (kernel_shap now has an image
    registration too), removed after the test."""
    from xai_widgets.explainers import base

    before = dict(base.REGISTRY), dict(base.METHODS)
    base.register("tabular_probe", "Probe", "test", signed=True, inputs=("tabular",))(
        lambda adapter, x, targets, runner: {"attributions": x, "heatmaps": None})
    yield "tabular_probe"
    base.REGISTRY.clear(); base.REGISTRY.update(before[0])
    base.METHODS.clear(); base.METHODS.update(before[1])


def test_the_image_menu_offers_only_methods_that_explain_images(widget, tabular_only):
    assert set(widget.methods) == set(xw.methods(kind="image"))
    assert tabular_only not in widget.methods and tabular_only in xw.methods()
    with pytest.raises(Exception, match=f"'{tabular_only}' does not explain images"):
        widget.method = tabular_only
    with pytest.raises(Exception, match=f"'{tabular_only}' does not explain images"):
        widget.compare = [tabular_only]
    with pytest.raises(ExplainError, match="does not explain images"):
        xw.ImageExplainer(widget._model, widget.inputs, method=tabular_only)


def test_to_png_captions_are_inside_the_picture(widget):
    widget.compare = ["gradcam"]
    fig = widget.figure()
    fig.canvas.draw()
    top = fig.bbox.y1
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            box = title.get_window_extent()
            assert box.y1 <= top and box.x0 >= 0 and box.x1 <= fig.bbox.x1, title.get_text()


def test_to_png_keeps_a_large_image_at_full_resolution(keras):
    model = keras.Sequential([keras.Input((256, 256, 3)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    x = np.random.default_rng(1).uniform(size=(1, 256, 256, 3)).astype(np.float32)
    w = xw.ImageExplainer(model, x, method="saliency")
    png = Image.open(io.BytesIO(w.to_png(dpi=50)))
    assert png.size[0] >= 256 and png.size[1] >= 256


def test_to_png_draws_the_current_view(widget, tmp_path):
    path = tmp_path / "view.png"
    data = widget.to_png(path)
    assert path.read_bytes() == data
    first = np.asarray(Image.open(io.BytesIO(data)))
    assert first.shape[2] in (3, 4) and first.shape[0] > 300
    widget.heatmap_only = True
    widget.opacity = 0.2
    assert not np.array_equal(np.asarray(Image.open(io.BytesIO(widget.to_png()))), first)
    widget.compare = ["gradcam", "saliency"]
    wide = np.asarray(Image.open(io.BytesIO(widget.to_png())))
    assert wide.shape[1] > 1.8 * first.shape[1]


@pytest.mark.parametrize("kwargs,match", [
    ({"class_names": ["a", "b"]}, r"class_names has 2 names but the model has 4 classes"),
    ({"method": "anchors"}, r"unknown method 'anchors'"),
])
def test_bad_construction_arguments(small, kwargs, match):
    model, x = small
    with pytest.raises(ExplainError, match=match):
        xw.ImageExplainer(model, x, **kwargs)


def test_bad_target_or_index_from_python(widget):
    import traitlets

    with pytest.raises(traitlets.TraitError, match=r"target 7 is out of range: the model has 4"):
        widget.target = 7
    with pytest.raises(traitlets.TraitError, match=r"index 5 is out of range: there are 3"):
        widget.index = 5


def test_a_single_image_works(small):
    model, x = small
    w = xw.ImageExplainer(model, x[0])
    assert len(w.images) == 1 and w.heatmap["shape"] == [10, 12]
    # the first view is the cheapest method (issue 12: the first heatmap of a large model
    # under 1.5 s); the others are one click away
    assert w.method == "saliency" == w.explanation.method == w.shown["method"]


def test_threshold_cutoffs_travel_with_the_heatmap(widget):
    """The browser's threshold slider and to_png use the same percentiles of |heatmap|."""
    cutoffs = decode_payload(widget.heatmap_info["cutoffs"])
    heat = np.abs(widget.explanation.heatmaps[0])
    assert cutoffs.shape == (101,) and widget.heatmap_info["cutoffs"]["dtype"] == "float32"
    np.testing.assert_allclose(cutoffs, np.percentile(heat, np.arange(101)), rtol=1e-6)
    hidden = (heat < cutoffs[40]).mean()
    assert 0.35 <= hidden <= 0.45
