"""ImageExplainer in JupyterLab: what is shown versus what is asked, and the layout.

One notebook, several widgets (a notebook start costs ~30 s):
- w: the shapes CNN on 3 images. Cancel in the middle of a long request: the controls go
  back to what is shown and the widget says "cancelled: still showing ..." (Python agrees);
  a failed request keeps its error in view (the status and error sit above the pictures);
  compare mode: one panel per method, the asked method once, each with its own scale.
- big: a 1024x1024 image and 1000 classes: the picture is scaled down into the widget, the
  controls stay in view, every class can be picked from the menu; its logits are "scores:",
  never percentages.
- many: 32 thumbnails.
- heads: a softmax head and a regression head; the Output menu switches to the regression
  head, which shows its predicted value and no class buttons.
Screenshots: test-artifacts/browser/image-view-*.png.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from browser_harness import CanvasImage

pytestmark = pytest.mark.browser

ROOT = "[data-testid=image-explainer]"

SETUP = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
import xai_widgets as xw
model, (x, y, masks), names = xw.demo.shapes_cnn()
w = xw.ImageExplainer(model, x[:3], class_names=names, method="saliency")
w
"""
BIG = """
keras.utils.set_random_seed(0)
big_model = keras.Sequential([keras.Input((1024, 1024, 3)), keras.layers.Conv2D(4, 8, strides=8, name="conv"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1000)])
big_x = np.random.default_rng(0).uniform(size=(1, 1024, 1024, 3)).astype("float32")
big = xw.ImageExplainer(big_model, big_x, class_names=[f"class <{i}>" for i in range(1000)], method="saliency")
big
"""
# PuOr with absolute values: the browser once drew viridis here while to_png drew PuOr
COLOURS = """
c = xw.ImageExplainer(model, x[:1], class_names=names, method="gradient_x_input")
c.colormap, c.absolute, c.heatmap_only, c.threshold = "PuOr", True, True, 20.0
c
"""
EXPECTED = """
import json
from xai_widgets import overlay
from xai_widgets._encode import decode_payload
values = (decode_payload(c.heatmap).astype(np.float64) * c.heatmap_info["scale"]).astype(np.float32)
s = overlay.view_settings(c.heatmap_info["signed"], c.colormap, c.absolute, c.heatmap_only)
cutoff = overlay.threshold_cutoff(decode_payload(c.heatmap_info["cutoffs"]), c.threshold)
rgba = overlay.colorize(values, s["cmap"], s["signed"], s["absolute"], cutoff, s["fade"])
print(json.dumps(rgba.tolist()))
"""
HEADS = """
keras.utils.set_random_seed(1)
inp = keras.Input(x.shape[1:])
hid = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp))
two = keras.Model(inp, [keras.layers.Dense(3, activation="softmax", name="kind")(hid), keras.layers.Dense(1, name="age")(hid)])
heads = xw.ImageExplainer(two, x[:2], head="kind", class_names={"kind": ["cat", "dog", "<i>cow</i>"]}, method="saliency")
heads
"""
MANY = """
many = xw.ImageExplainer(model, x[:32], class_names=names, method="gradient_x_input")
many
"""


def widget(page, i):
    return page.locator(ROOT).nth(i)


def idle(root, timeout=120_000):
    root.locator("[data-testid=status][data-state=idle]").wait_for(timeout=timeout)


def shows(root, text, timeout=120_000):
    """Wait until the caption describes `text` (the kernel answered), then until idle."""
    root.locator("[data-testid=caption]").filter(has_text=text).wait_for(timeout=timeout)
    idle(root, timeout)


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= size["height"]


def test_lab_image_view_shown_versus_asked_and_layout(open_notebook, page, screenshot):
    nb = open_notebook("image_view.ipynb", [SETUP, BIG, MANY, COLOURS, HEADS])
    nb.run_all(timeout=300)
    w = widget(page, 0)
    idle(w)
    CanvasImage.wait_painted(w.locator("canvas[data-testid=overlay]"))

    # -- the image menu lists the image methods, and only them (kernel_shap: on superpixels)
    menu = w.locator("[data-testid=method] option")
    values = [menu.nth(i).get_attribute("value") for i in range(menu.count())]
    assert {"gradcam", "occlusion", "saliency", "lime", "scorecam"} <= set(values)
    image_methods = nb.execute("print(' '.join(sorted(xw.methods(kind='image'))))").split()
    assert sorted(values) == image_methods

    # -- cancel mid-way: the controls go back to what is shown, and the widget says so
    w.scroll_into_view_if_needed()
    w.locator("[data-testid=method]").select_option("smoothgrad")
    shows(w, "SmoothGrad for class")
    w.locator("[data-testid=option-samples]").fill("4096")
    w.locator("[data-testid=apply]").click()
    w.locator("[data-testid=status][data-state=busy]").wait_for(timeout=30_000)
    notice = w.locator("[data-testid=notice]")
    assert notice.inner_text().startswith("Computing SmoothGrad"), notice.inner_text()
    w.locator("[data-testid=cancel]").click()
    notice.filter(has_text="SmoothGrad cancelled: still showing SmoothGrad").wait_for(timeout=60_000)
    idle(w)
    assert w.locator("[data-testid=option-samples]").input_value() == "32"  # back to what is shown
    assert nb.execute("print(w.options, w.method == w.explanation.method)").strip() == "{} True"
    screenshot(page, "image-view-cancelled", show=w)

    # -- a failure keeps its error in view, above the picture, with the notice
    w.locator("[data-testid=thumb][data-index='2']").click()
    page.wait_for_function("() => document.querySelector('[data-testid=image-explainer]').dataset.shownIndex === '2'",
                           timeout=60_000)
    w.locator("[data-testid=method]").select_option("occlusion")
    shows(w, "Occlusion for class")
    w.locator("[data-testid=option-fill]").fill("abc")
    w.locator("[data-testid=apply]").click()
    error = w.locator("[data-testid=error]")
    error.filter(has_text="fill='abc'").wait_for(timeout=60_000)
    w.scroll_into_view_if_needed()
    assert in_viewport(page, error), "the error is out of view"
    picture = w.locator(".xw-main").bounding_box()
    assert error.bounding_box()["y"] < picture["y"], "the error sits below the picture"
    assert "still showing Occlusion" in notice.inner_text()
    screenshot(page, "image-view-error", show=w)

    # -- compare: one panel per method, the asked one once, each with its own scale
    w.locator("[data-testid=compare] summary").click()
    w.locator("input[data-compare=gradcam]").check()
    shows(w, "Comparing 2 methods")
    w.locator("input[data-compare=saliency]").check()
    shows(w, "Comparing 3 methods")
    panels = w.locator("[data-testid=compare-panel]")
    panels.nth(2).wait_for(timeout=60_000)
    methods = [panels.nth(i).get_attribute("data-method") for i in range(panels.count())]
    assert methods == ["occlusion", "gradcam", "saliency"], methods
    bars = w.locator("[data-testid=compare-colorbar]")
    assert bars.count() == 3
    assert len({bars.nth(i).get_attribute("data-hi") for i in range(3)}) == 3, "one scale each"
    assert w.locator("[data-testid=caption]").inner_text().startswith("Comparing 3 methods")
    assert "own colour scale" in w.locator(".xw-side .xw-colorbar-caption").inner_text()
    for i in range(3):
        assert not CanvasImage.read(panels.nth(i)).is_blank()
    screenshot(page, "image-view-compare", show=w)

    # -- 1024x1024 and 1000 classes: scaled into the widget, controls in view
    b = widget(page, 1)
    idle(b)
    b.scroll_into_view_if_needed()
    canvas = b.locator("canvas[data-testid=overlay]")
    CanvasImage.wait_painted(canvas)
    root_box, canvas_box = b.bounding_box(), canvas.bounding_box()
    assert canvas_box["width"] < root_box["width"] and canvas_box["height"] < root_box["height"]
    assert canvas_box["width"] <= 600, canvas_box
    assert in_viewport(page, b.locator("[data-testid=status]"))
    select = b.locator("[data-testid=class-select]")
    assert select.locator("option").count() == 1001
    select.select_option("999")
    b.locator("[data-testid=caption]").filter(has_text="class <999>").wait_for(timeout=120_000)
    assert nb.execute("print(int(big.explanation.targets[0]))").strip() == "999"
    assert page.locator(f"{ROOT} i").count() == 0
    kinds = b.locator("[data-testid=classes]")  # no softmax: scores, never percentages
    assert kinds.get_attribute("data-kind") == "score"
    assert kinds.locator("[data-testid=output-kind]").inner_text() == "scores:"
    assert "%" not in kinds.inner_text()
    screenshot(page, "image-view-1024", show=b)

    # -- 32 thumbnails: one scrolling strip; the picture still shows
    m = widget(page, 2)
    idle(m)
    m.scroll_into_view_if_needed()
    assert m.locator("[data-testid=thumb]").count() == 32
    strip = m.locator("[data-testid=thumbs]").bounding_box()
    assert strip["height"] < 80, strip
    CanvasImage.wait_painted(m.locator("canvas[data-testid=overlay]"))
    screenshot(page, "image-view-thumbnails", show=m)

    # -- the browser's colours are the shared rule's (the one to_png and plot() use)
    c = widget(page, 3)
    idle(c)
    c.scroll_into_view_if_needed()
    canvas = CanvasImage.wait_painted(c.locator("canvas[data-testid=overlay]"))
    expected = np.array(json.loads(nb.execute(EXPECTED)), dtype=np.int16)
    h, w_ = expected.shape[:2]
    step = canvas.width // w_
    assert step >= 1 and canvas.height // h == step, (canvas.width, canvas.height)
    centres = canvas.rgba[step // 2::step, step // 2::step][:h, :w_].astype(np.int16)
    visible = expected[..., 3] > 0
    assert visible.mean() > 0.5 and (~visible).any()  # the threshold hid some, not all
    assert np.abs(centres[visible] - expected[visible]).max() <= 1
    assert (centres[~visible][:, 3] == 0).all()
    assert c.locator("canvas[data-testid=colorbar]").get_attribute("data-cmap") == "PuOr"
    screenshot(page, "image-view-colours", show=c)

    # -- two heads: the Output menu asks for the regression head, which is called a value
    t = widget(page, 4)
    idle(t)
    t.scroll_into_view_if_needed()
    assert t.locator("[data-testid=classes]").get_attribute("data-kind") == "probability"
    assert t.locator("[data-testid=class-option]").nth(1).inner_text().endswith("%")
    t.locator("select[data-testid=head]").select_option("age")
    shows(t, "for the predicted value of 'age'")
    assert t.locator("[data-testid=class-option]").count() == 0
    assert t.locator("[data-testid=head-output]").inner_text().startswith("Predicted value of 'age': ")
    assert nb.execute("print(heads.head, heads.target, heads.explanation.params['head'])").strip() == "age -1 age"
    assert page.locator(f"{ROOT} i").count() == 0
    screenshot(page, "image-view-regression-head", show=t)
    assert not page.page_errors, page.page_errors
