"""The ImageExplainer's Trust section in JupyterLab (issue 14; DOM contract: js/CONTRACT.md).

Paint a region with mouse moves: nothing reaches the kernel while drawing, one binary
message on release, and ``w.region`` holds what the canvas shows. The Trust panel shows
numbers for the methods shown. The "feedback on" switch says which regions training applies
where and only sets ``feedback_scope`` (one state update, no compute). "Train with this
feedback" trains and the view updates (before/after side by side). Screenshot:
test-artifacts/browser/trust-lab.png.
"""

from __future__ import annotations

import json

import pytest

from browser_harness import CanvasImage

pytestmark = pytest.mark.browser

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras, numpy as np
import xai_widgets as xw
(x, y, masks), (x_test, y_test), names = xw.demo.decoy_digits()
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=10, batch_size=64, verbose=0)  # learns the swatch shortcut
w = xw.ImageExplainer(model, x_test[:3], class_names=names, method="saliency")
w.height = 1100
w
"""

ROOT = "[data-testid=image-explainer]"


def test_lab_trust_region_and_feedback(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("trust.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)
    root = page.locator(ROOT)
    root.wait_for(state="visible")
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for()
    page.locator(f"{ROOT} [data-testid=trust-section] > summary").click()
    canvas = page.locator(f"{ROOT} canvas[data-testid=region-canvas]")
    CanvasImage.wait_painted(canvas)
    page.locator(f"{ROOT} input[data-testid=brush-size]").fill("1")

    # -- paint the top-left 2x2 swatch: one stroke of mouse moves
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    px = box["width"] / 8  # CSS pixels per image pixel (8x8 digits)
    at = lambda col, row: (box["x"] + col * px, box["y"] + row * px)  # noqa: E731
    kernel_ws.settle()
    before = kernel_ws.mark()
    page.mouse.move(*at(0.5, 0.5))
    page.mouse.down()
    for col, row in ((1.0, 0.5), (1.5, 0.5), (1.5, 1.0), (1.5, 1.5), (0.5, 1.5)):
        page.mouse.move(*at(col, row), steps=3)
    page.wait_for_timeout(300)
    kernel_ws.settle(quiet_ms=300)
    assert kernel_ws.count("comm_msg", since=before) == 0, kernel_ws.describe(before)
    page.mouse.up()
    kernel_ws.settle()
    sent = kernel_ws.messages(before, "comm_msg")
    assert len(sent) == 1, kernel_ws.describe(before)
    content = sent[0].message["content"]["data"]
    assert content["method"] == "custom" and content["content"]["type"] == "region_stroke"
    assert len(sent[0].message["buffers"]) == 1 and len(sent[0].message["buffers"][0]) == 64
    marked = int(page.locator(f"{ROOT} [data-testid=region-panel]").get_attribute("data-marked"))
    region = json.loads(nb.execute(
        "import json; print(json.dumps(w.region[0].astype(int).tolist()))"))
    assert sum(map(sum, region)) == marked
    assert all(region[r][c] for r in (0, 1) for c in (0, 1)), region
    assert not any(region[r][c] for r in range(8) for c in range(8) if r >= 3 or c >= 3), region

    # -- the feedback scope: on the widget's own images each image gets its own region
    scope = page.locator(f"{ROOT} select[data-testid=feedback-scope]")
    scope_text = page.locator(f"{ROOT} [data-testid=feedback-scope-text]")
    assert scope.input_value() == "each"
    assert scope_text.inner_text() == (
        "Region of 1 image, applied to that image only; the other 2 images train without a "
        "penalty (cross-entropy only).")
    scope.scroll_into_view_if_needed()
    screenshot(page, "trust-lab-scope-each", show=root)
    kernel_ws.settle()
    before = kernel_ws.mark()
    scope.select_option("all")
    kernel_ws.settle()
    sent = kernel_ws.messages(before, "comm_msg")
    assert len(sent) == 1, kernel_ws.describe(before)  # the trait, nothing to compute
    assert sent[0].message["content"]["data"]["state"] == {"feedback_scope": "all"}
    assert nb.execute("print(w.feedback_scope)").strip() == "all"
    assert scope_text.inner_text() == "Region of 1 image, applied to all 3 training images."
    # other training data: the union on all of it; "each" cannot be chosen there
    rows = nb.execute("w.use_feedback_data(x, y, validation_data=(x_test, y_test)); "
                      "print(len(x))").strip()
    page.wait_for_function(
        "el => el.textContent.includes('(the data of use_feedback_data)')",
        arg=scope_text.element_handle())
    assert scope_text.inner_text() == (
        f"Region of 1 image, applied to all {rows} training images (the data of "
        "use_feedback_data).")
    assert scope.locator("option[value=each]").is_disabled()

    # -- the Trust panel shows numbers, with the region's pointing game and relevance mass
    page.locator(f"{ROOT} [data-testid=trust-evaluate]").click()
    table = page.locator(f"{ROOT} [data-testid=trust-table] table")
    table.wait_for(timeout=120_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    cells = {key: table.locator(f"td[data-key={key}]").first.inner_text()
             for key in ("deletion_auc", "faithfulness_correlation", "max_sensitivity",
                         "sparseness", "randomization", "relevance_mass", "pointing_game")}
    for key in ("deletion_auc", "faithfulness_correlation", "sparseness", "relevance_mass"):
        float(cells[key])  # a number
    assert cells["pointing_game"] in ("hit", "miss")
    assert page.locator(f"{ROOT} svg[data-testid=trust-curves] polyline").count() == 2
    assert nb.execute("print(len(w.trust))").strip() == "1"
    # the sanity check as a picture: the map after randomising the top layers
    CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=sanity-map]"))
    assert "after randomising the top" in page.locator(
        f"{ROOT} [data-testid=trust-sanity] figcaption").inner_text()
    page.locator(f"{ROOT} [data-testid=trust-panel]").scroll_into_view_if_needed()
    screenshot(page, "trust-lab-evaluated", show=root)

    # -- train with the region as "should not matter": the view updates, before/after shown
    shown_before = CanvasImage.read(page.locator(f"{ROOT} canvas[data-testid=overlay]"))
    page.locator(f"{ROOT} [data-testid=feedback-train]").click()
    result = page.locator(f"{ROOT} [data-testid=feedback-text]")
    result.wait_for(timeout=180_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    assert "before" in result.inner_text() and "after" in result.inner_text()
    assert f"Trained with: Region of 1 image, applied to all {rows} training images" in \
        result.inner_text()
    CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=feedback-after]"))
    CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=feedback-before]"))
    shown_after = CanvasImage.read(page.locator(f"{ROOT} canvas[data-testid=overlay]"))
    assert shown_after.diff(shown_before) > 0.01  # the heatmap was recomputed
    info = json.loads(nb.execute(
        "print(json.dumps({k: w.feedback_info[k] for k in ('before_accuracy', 'after_accuracy')}))"))
    assert info["after_accuracy"] > info["before_accuracy"], info
    page.locator(f"{ROOT} [data-testid=trust-section]").scroll_into_view_if_needed()
    screenshot(page, "trust-lab", show=root)
    assert not page.page_errors, page.page_errors
