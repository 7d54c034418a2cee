"""ImageExplainer in a real browser (DOM contract: js/CONTRACT.md).

Live JupyterLab: the canvas is not blank; moving the opacity slider changes the pixels with no
request to the kernel (no computation: the only thing sent is the debounced sync of the
view-only trait, and no heatmap comes back); clicking another class brings a new heatmap.
Static HTML export: the same picture from saved state, offline, and the view-only controls
still work without a kernel. Screenshots go to test-artifacts/browser/image-explainer-*.png.
"""

from __future__ import annotations

import json

import pytest

from browser_harness import CanvasImage, unexpected_console_errors

pytestmark = pytest.mark.browser

VIEW_KEYS = {"opacity", "threshold", "colormap", "absolute", "heatmap_only"}
# what needs the model: any of these in a sync means a kernel computation was asked for
MODEL_KEYS = {"method", "target", "options", "index", "compare", "images"}

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import xai_widgets as xw
model, (x, y, masks), names = xw.demo.shapes_cnn()
names = [f"<i>{n}</i>" for n in names]  # user text with markup: must show as text
w = xw.ImageExplainer(model, x[:2], class_names=names, method="integrated_gradients")
w
"""

ROOT = "[data-testid=image-explainer]"
OVERLAY = "canvas[data-testid=overlay]"


def other_class(page) -> tuple[int, str]:
    """A class button that is not the one shown now: (class index, its label)."""
    buttons = page.locator(f"{ROOT} button[data-testid=class-option]")
    buttons.first.wait_for()
    caption = page.locator(f"{ROOT} [data-testid=caption]").inner_text()
    for i in range(buttons.count()):
        button = buttons.nth(i)
        k = int(button.get_attribute("data-class"))
        name = button.inner_text().rsplit(" ", 1)[0]
        if k >= 0 and f"'{name}'" not in caption:
            return k, name
    raise AssertionError(f"no other class to click; caption: {caption!r}")


def move_opacity(page, value: float):
    page.locator(f"{ROOT} input[data-testid=opacity]").fill(str(value))


def test_lab_image_explainer(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("image_explainer.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)  # imports TensorFlow, loads (or trains) the demo model

    root = page.locator(ROOT)
    root.wait_for(state="visible")
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for()
    overlay = page.locator(f"{ROOT} {OVERLAY}")
    first = CanvasImage.wait_painted(overlay)
    assert not first.is_blank()
    assert first.distinct_colors() > 16, first.distinct_colors()
    assert page.locator(f"{ROOT} [data-testid=caption]").inner_text().strip()
    assert not CanvasImage.read(page.locator(f"{ROOT} canvas[data-testid=colorbar]")).is_blank()
    screenshot(page, "image-explainer-lab-initial", show=root)

    # -- opacity: the view changes in the browser, nothing is computed in the kernel
    kernel_ws.settle()
    before_opacity = kernel_ws.mark()
    moves = (0.1, 0.3, 0.5, 0.75, 0.95)
    for value in moves:
        move_opacity(page, value)
        after = CanvasImage.read(overlay)  # redrawn at once, before any kernel message
        assert after.diff(first) > 0.05, f"opacity {value}: the canvas did not change"
        first = after
    kernel_ws.settle()  # the view traits are synced back to Python, debounced (400 ms)
    sent = kernel_ws.requests(since=before_opacity)
    assert all(f.msg_type == "comm_msg" for f in sent), kernel_ws.describe(before_opacity)
    updates = kernel_ws.comm_msgs(since=before_opacity)
    # not one message per move (typically one for the whole drag), and never a request for work
    assert len(updates) < len(moves), kernel_ws.describe(before_opacity)
    for content in updates:
        data = content["data"]
        assert data.get("method") == "update", kernel_ws.describe(before_opacity)
        assert set(data["state"]) <= VIEW_KEYS, kernel_ws.describe(before_opacity)
        assert not set(data["state"]) & MODEL_KEYS
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before_opacity)]
    assert not [s for s in back if "heatmap" in s or s.get("status") == "busy"], back
    assert float(nb.execute("print(w.opacity)")) == pytest.approx(0.95)
    screenshot(page, "image-explainer-lab-opacity", show=root)

    # -- another class: one request to the kernel, a new heatmap comes back
    k, name = other_class(page)
    before_class = kernel_ws.mark()
    previous = CanvasImage.read(overlay)
    page.locator(f"{ROOT} button[data-testid=class-option][data-class='{k}']").click()
    page.locator(f"{ROOT} [data-testid=caption]").filter(has_text=f"'{name}'").wait_for(timeout=60_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
    kernel_ws.settle()
    states = [c["data"].get("state", {}) for c in kernel_ws.comm_msgs(since=before_class)]
    assert {"target": k} in states, kernel_ws.describe(before_class)
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before_class)]
    assert any("heatmap" in s for s in back), f"no heatmap from the kernel: {back}"
    new = CanvasImage.wait_painted(overlay)
    assert new.diff(previous) > 0.05, "a new class gave the same picture"
    assert nb.execute("print(int(w.explanation.targets[0]))").strip() == str(k)
    screenshot(page, "image-explainer-lab-other-class", show=root)
    screenshot(root, "image-explainer-lab-widget")

    assert page.locator(f"{ROOT} [data-testid=error]").inner_text().strip() == ""

    # -- user text is text: the class names' markup is shown, never parsed into elements
    assert page.locator(f"{ROOT} i").count() == 0
    assert "<i>" in page.locator(f"{ROOT} button[data-testid=class-option]").nth(1).inner_text()
    assert "'<i>" in page.locator(f"{ROOT} [data-testid=caption]").inner_text()

    # -- a bad option: the error from Python shows in the widget, which keeps working
    steps = page.locator(f"{ROOT} [data-testid=option-steps]")
    steps.fill("0")
    page.locator(f"{ROOT} [data-testid=apply]").click()
    error = page.locator(f"{ROOT} [data-testid=error]")
    error.filter(has_text="must be >= 1").wait_for(timeout=60_000)
    assert page.locator(f"{ROOT} [data-testid=status]").get_attribute("data-state") == "error"
    assert "steps=0" in error.inner_text()
    screenshot(page, "image-explainer-lab-error", show=root)
    steps.fill("8")
    page.locator(f"{ROOT} [data-testid=apply]").click()
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
    assert error.inner_text().strip() == ""
    assert nb.execute("print(w.explanation.params['steps'])").strip() == "8"
    assert not page.page_errors, page.page_errors


def test_static_image_explainer(static_export, page, screenshot):
    url = static_export.export([SETUP_CELL, "w.opacity = 0.7"], "image-explainer-static")
    log = static_export.open(page, url)

    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    overlay = page.locator(f"{ROOT} {OVERLAY}")
    first = CanvasImage.wait_painted(overlay)
    assert first.distinct_colors() > 16
    assert page.locator(f"{ROOT} [data-testid=caption]").inner_text().strip()
    assert page.locator(f"{ROOT} input[data-testid=opacity]").input_value() == "0.7"
    screenshot(page, "image-explainer-static-initial", show=root)

    # view-only controls work from the saved state, with no kernel at all
    move_opacity(page, 0.1)
    after = CanvasImage.read(overlay)
    assert after.diff(first) > 0.05, "opacity did not change the static picture"
    page.locator(f"{ROOT} input[data-testid=threshold]").fill("80")
    thresholded = CanvasImage.read(overlay)
    assert thresholded.diff(after) > 0.01
    page.wait_for_timeout(600)  # let the debounced (kernel-less) save run: it must not throw
    screenshot(page, "image-explainer-static-view-controls", show=root)

    # a class needs the kernel: in the export the picture stays as it was, nothing breaks
    k, _ = other_class(page)
    page.locator(f"{ROOT} button[data-testid=class-option][data-class='{k}']").click()
    page.wait_for_timeout(500)
    assert CanvasImage.read(overlay).diff(thresholded) == 0.0
    # ... and the view says that what is asked is not what is shown
    notice = page.locator(f"{ROOT} [data-testid=notice]").inner_text()
    assert notice.startswith("Asked for ") and "not computed" in notice, notice

    assert not log.missing, log.missing
    assert {"@jupyter-widgets/html-manager", "anywidget", "requirejs"} <= {s["package"] for s in log.served}
    errors = unexpected_console_errors(page, log)
    assert not errors, json.dumps(errors, indent=1)
