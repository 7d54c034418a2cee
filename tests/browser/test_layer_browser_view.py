"""LayerBrowser in a real browser (DOM contract: js/CONTRACT.md, LayerBrowser section).

Live JupyterLab: the channel grid draws; selecting a layer asks the kernel for that layer only;
the count slider and the enlarged channel's opacity are handled in the browser with no request
for computation; Grad-CAM is one click; a dense layer shows its units; the histogram is drawn.
Static HTML export: the saved layer draws offline and a channel can be enlarged without a kernel.
Screenshots go to test-artifacts/browser/layer-browser-*.png.
"""

from __future__ import annotations

import pytest

from browser_harness import CanvasImage, unexpected_console_errors

pytestmark = pytest.mark.browser

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import xai_widgets as xw
model, (x, y), names = xw.demo.digits_cnn()
b = xw.LayerBrowser(model, x[0], class_names=names)
b
"""

ROOT = "[data-testid=layer-browser]"
VIEW_KEYS = {"order", "count", "channel", "opacity"}
MODEL_KEYS = {"layer", "target", "gradcam_layer"}


def channels(page):
    return page.locator(f"{ROOT} [data-testid=channel-grid] canvas[data-testid=channel]")


def wait_idle(page):
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)


def select_layer(page, path: str):
    page.locator(f"{ROOT} [data-testid=layer-row][data-path='{path}']").click()
    page.locator(f"{ROOT} [data-testid=layer-row][data-path='{path}'].xw-active").wait_for(timeout=60_000)
    wait_idle(page)


def test_lab_layer_browser(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("layer_browser.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)
    root = page.locator(ROOT)
    root.wait_for(state="visible")
    wait_idle(page)
    rows = page.locator(f"{ROOT} [data-testid=layer-row]")
    assert rows.count() == 7  # conv1 conv2 pool conv3 flatten dropout probabilities
    first = CanvasImage.wait_painted(channels(page).first)
    assert not first.is_blank()
    assert not CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=histogram]")).is_blank()
    screenshot(page, "layer-browser-lab-initial", show=root)

    # -- another layer: one request, and only that layer's data comes back
    kernel_ws.settle()
    before = kernel_ws.mark()
    select_layer(page, "conv1")
    kernel_ws.settle()
    states = [c["data"].get("state", {}) for c in kernel_ws.comm_msgs(since=before)]
    assert any(s.get("layer") == "conv1" for s in states), kernel_ws.describe(before)
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before)]
    assert any("activation" in s for s in back)
    assert nb.execute("print(b.layer)").strip() == "conv1"
    shown = channels(page).count()
    assert shown == min(32, int(nb.execute("print(b.count)")))
    screenshot(page, "layer-browser-lab-conv1-grid", show=root)

    # -- view only: how many channels, the enlarged channel and its opacity
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    page.locator(f"{ROOT} input[data-testid=count]").fill("8")
    page.locator(f"{ROOT} input[data-testid=count]").dispatch_event("input")
    assert channels(page).count() == 8
    channels(page).nth(2).click()
    enlarged = page.locator(f"{ROOT} canvas[data-testid=enlarged]")
    painted = CanvasImage.wait_painted(enlarged)
    assert not painted.is_blank()
    page.locator(f"{ROOT} input[data-testid=opacity]").fill("0.15")
    faded = CanvasImage.read(enlarged)
    assert faded.diff(painted) > 0.02, "opacity did not change the enlarged channel"
    kernel_ws.settle()
    for content in kernel_ws.comm_msgs(since=before_view):
        state = content["data"].get("state", {})
        assert set(state) <= VIEW_KEYS, kernel_ws.describe(before_view)
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before_view)]
    assert not [s for s in back if "activation" in s or s.get("status") == "busy"], back
    screenshot(page, "layer-browser-lab-enlarged", show=root)

    # -- Grad-CAM for the selected layer: one click
    page.locator(f"{ROOT} button[data-testid=gradcam]").click()
    caption = page.locator(f"{ROOT} [data-testid=gradcam-caption]")
    caption.filter(has_text="Grad-CAM").wait_for(timeout=60_000)
    assert not CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=gradcam-overlay]")).is_blank()
    assert nb.execute("print(b.gradcam_info['layer'])").strip() == "conv1"
    screenshot(page, "layer-browser-lab-gradcam", show=root)

    # -- a dense layer: its units as bars
    select_layer(page, "probabilities")
    units = page.locator(f"{ROOT} canvas[data-testid=units]")
    units.wait_for(state="visible")
    assert not CanvasImage.wait_painted(units).is_blank()
    screenshot(page, "layer-browser-lab-dense", show=root)

    # -- the decision path: a step selects its layer
    page.locator(f"{ROOT} [data-testid=path-step][data-layer='conv2']").click()
    page.locator(f"{ROOT} [data-testid=layer-row][data-path='conv2'].xw-active").wait_for(timeout=60_000)
    wait_idle(page)
    assert nb.execute("print(b.layer)").strip() == "conv2"
    screenshot(root, "layer-browser-lab-widget")
    assert page.locator(f"{ROOT} [data-testid=error]").inner_text().strip() == ""
    assert not page.page_errors, page.page_errors


def test_static_layer_browser(static_export, page, screenshot):
    url = static_export.export([SETUP_CELL, "b.layer = 'conv2'"], "layer-browser-static")
    log = static_export.open(page, url)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    page.locator(f"{ROOT} [data-testid=layer-row][data-path='conv2'].xw-active").wait_for()
    assert not CanvasImage.wait_painted(channels(page).first).is_blank()
    assert not CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=histogram]")).is_blank()
    channels(page).nth(1).click()  # view-only: works without a kernel
    assert not CanvasImage.wait_painted(page.locator(f"{ROOT} canvas[data-testid=enlarged]")).is_blank()
    screenshot(page, "layer-browser-static", show=root)
    assert not log.missing, log.missing
    errors = unexpected_console_errors(page, log)
    assert not errors, errors
