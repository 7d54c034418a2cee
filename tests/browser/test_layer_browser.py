"""LayerBrowser in a real browser (DOM contract: js/CONTRACT.md, LayerBrowser section).

Live JupyterLab, on the digits demo CNN: the widget draws its layer list, channel grid and
histogram; clicking a layer row asks the kernel for that layer (and Python agrees); the count
slider, the sort order, enlarging a channel and its opacity are drawn in the browser with no
request for computation (only the debounced sync of the view-only traits goes to the kernel,
and no layer data comes back); Grad-CAM is one click; a dense layer shows its units as bars; a
decision-path step selects its layer; the histogram follows the layer.
Static HTML export: the saved layer draws offline (layer list, grid, histogram) and a channel
can be enlarged with no kernel.
Screenshots go to test-artifacts/browser/layer-browser-*.png.
"""

from __future__ import annotations

import json

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
# what needs the kernel: any of these in a sync means a computation was asked for
MODEL_KEYS = {"layer", "target", "gradcam_layer"}
# what the kernel sends back when it computed something
DATA_KEYS = {"activation", "activation_info", "weights", "weights_info", "decision_path",
             "gradcam", "gradcam_info"}


def q(selector: str) -> str:
    return f"{ROOT} {selector}"


def channel_canvases(page):
    return page.locator(q("[data-testid=channel-grid] canvas[data-testid=channel]"))


def shown_channels(page) -> list[int]:
    return [int(c) for c in channel_canvases(page).evaluate_all(
        "(nodes) => nodes.map((n) => n.dataset.channel)")]


def wait_idle(page, timeout: float = 60):
    page.locator(q("[data-testid=status][data-state=idle]")).wait_for(timeout=timeout * 1000)


def wait_layer(page, path: str):
    page.locator(q(f"[data-testid=layer-row][data-path='{path}'].xw-active")).wait_for(timeout=60_000)
    page.locator(q("[data-testid=layer-title]")).filter(has_text=path).wait_for(timeout=60_000)
    wait_idle(page)


def histogram(page) -> CanvasImage:
    return CanvasImage.wait_painted(page.locator(q("canvas[data-testid=histogram]")))


def assert_grid_painted(page, expected: int):
    canvases = channel_canvases(page)
    assert canvases.count() == expected, (canvases.count(), expected)
    painted = [not CanvasImage.read(canvases.nth(i)).is_blank() for i in range(expected)]
    # a ReLU channel can be all zero on one input; most of them are not
    assert sum(painted) >= max(1, expected // 2), painted


def sent_states(kernel_ws, since) -> list[dict]:
    return [c["data"].get("state", {}) for c in kernel_ws.comm_msgs(since=since)
            if c["data"].get("method") == "update"]


def received_states(kernel_ws, since) -> list[dict]:
    return [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=since)]


def assert_view_only(kernel_ws, since):
    """Since ``since`` the page sent only debounced syncs of view-only keys, and the kernel
    sent back no layer data and never went busy."""
    kernel_ws.settle()  # the view keys are synced back debounced
    sent = kernel_ws.requests(since=since)
    assert all(f.msg_type == "comm_msg" for f in sent), kernel_ws.describe(since)
    for content in kernel_ws.comm_msgs(since=since):
        data = content["data"]
        assert data.get("method") == "update", kernel_ws.describe(since)
        assert set(data["state"]) <= VIEW_KEYS, kernel_ws.describe(since)
        assert not set(data["state"]) & MODEL_KEYS, kernel_ws.describe(since)
    back = received_states(kernel_ws, since)
    assert not [s for s in back if set(s) & DATA_KEYS or s.get("status") == "busy"], back


def kernel_ranking(nb, key: str, n: int) -> list[int]:
    """The first n channels of the selected layer ranked by ``key`` ("mean" | "contribution"),
    computed in the kernel from the layer's own arrays (ties: lower index first)."""
    out = nb.execute(
        "import numpy as _np\n"
        "from xai_widgets.explainers.activations import channel_contributions as _cc\n"
        "_a, _g = b.activations, b.gradients\n"
        f"_s = _a.mean(axis=(0, 1)) if {key!r} == 'mean' else _cc(_a[None], _g[None])[0]\n"
        f"print(_np.argsort(-_s, kind='stable')[:{n}].tolist())"
    )
    return json.loads(out.strip().splitlines()[-1])


def test_lab_layer_browser(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("layer_browser.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)  # imports TensorFlow, loads (or trains) the demo model

    # -- 1. it renders: one row per layer, a painted channel grid, a histogram
    root = page.locator(ROOT)
    root.wait_for(state="visible")
    wait_idle(page)
    layer_paths = json.loads(nb.execute("import json; print(json.dumps([r['path'] for r in b.layers]))"))
    rows = page.locator(q("[data-testid=layer-row]"))
    assert rows.count() == len(layer_paths) == 7, layer_paths
    assert [rows.nth(i).get_attribute("data-path") for i in range(rows.count())] == layer_paths
    first_layer = nb.execute("print(b.layer)").strip()  # the default: the last conv layer
    assert first_layer == "conv3"
    wait_layer(page, first_layer)
    CanvasImage.wait_painted(channel_canvases(page).first)
    default_count = int(nb.execute("print(b.count)"))
    assert_grid_painted(page, min(default_count, 64))
    first_histogram = histogram(page)
    assert first_histogram.distinct_colors() > 2
    note = page.locator(q("[data-testid=histogram-note]"))
    assert first_layer in note.inner_text()
    screenshot(page, "layer-browser-lab-initial", show=root)

    # -- 2. a layer row: one request (the layer), that layer's data comes back
    kernel_ws.settle()  # Lab's own comm messages at connect
    before_layer = kernel_ws.mark()
    page.locator(q("[data-testid=layer-row][data-path='conv1']")).click()
    wait_layer(page, "conv1")
    kernel_ws.settle()
    states = sent_states(kernel_ws, before_layer)
    assert any(s.get("layer") == "conv1" for s in states), kernel_ws.describe(before_layer)
    assert not any(set(s) & {"target", "gradcam_layer"} for s in states), kernel_ws.describe(before_layer)
    back = received_states(kernel_ws, before_layer)
    assert any("activation" in s for s in back), f"no activation from the kernel: {back}"
    assert nb.execute("print(b.layer)").strip() == "conv1"
    assert "conv1" in page.locator(q("[data-testid=layer-title]")).inner_text()
    conv1_channels = 32
    assert_grid_painted(page, min(default_count, conv1_channels))
    assert page.locator(q("input[data-testid=count]")).input_value() == str(min(default_count, conv1_channels))
    assert shown_channels(page) == kernel_ranking(nb, "mean", min(default_count, conv1_channels))
    # -- 8. the histogram follows the layer
    conv1_histogram = histogram(page)
    assert conv1_histogram.diff(first_histogram) > 0.005, "the histogram did not change with the layer"
    assert "conv1" in note.inner_text() and first_layer not in note.inner_text()
    screenshot(page, "layer-browser-lab-conv1-grid", show=root)

    # -- 3. count and order: redrawn in the browser, nothing computed
    by_mean, by_contribution = kernel_ranking(nb, "mean", 8), kernel_ranking(nb, "contribution", 8)
    assert by_mean != by_contribution
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    count = page.locator(q("input[data-testid=count]"))
    for n in (20, 12, 8):
        count.fill(str(n))
        assert channel_canvases(page).count() == n  # drawn at once, before any kernel message
    assert shown_channels(page) == by_mean
    page.locator(q("select[data-testid=order]")).select_option("contribution")
    assert shown_channels(page) == by_contribution
    assert_grid_painted(page, 8)
    assert "8 of 32" in page.locator(q("[data-testid=layer-detail] .xw-controls")).inner_text()

    # -- 4. enlarge a channel, change its opacity: nothing computed
    pick = by_contribution[1]
    enlarged = page.locator(q("canvas[data-testid=enlarged]"))
    assert enlarged.is_hidden()
    page.locator(q(f"canvas[data-testid=channel][data-channel='{pick}']")).click()
    enlarged.wait_for(state="visible")
    painted = CanvasImage.wait_painted(enlarged)
    assert painted.distinct_colors() > 16, painted.distinct_colors()
    assert f"Channel {pick}" in page.locator(q("[data-testid=enlarged-caption]")).inner_text()
    assert page.locator(q(f"figure.xw-channel.xw-active[data-channel='{pick}']")).count() == 1
    opacity = page.locator(q("input[data-testid=opacity]"))
    for value in (0.1, 0.9):
        opacity.fill(str(value))
        after = CanvasImage.read(enlarged)
        assert after.diff(painted) > 0.02, f"opacity {value}: the enlarged channel did not change"
        painted = after
    assert_view_only(kernel_ws, before_view)
    synced = nb.execute("print(b.count, b.order, b.channel, b.opacity)").split()
    assert synced == ["8", "contribution", str(pick), "0.9"], synced
    screenshot(page, "layer-browser-lab-enlarged", show=root)

    # -- 5. Grad-CAM at the selected layer: one click, one request
    kernel_ws.settle()
    before_cam = kernel_ws.mark()
    page.locator(q("button[data-testid=gradcam]")).click()
    caption = page.locator(q("[data-testid=gradcam-caption]"))
    caption.filter(has_text="Grad-CAM").wait_for(timeout=60_000)
    wait_idle(page)
    overlay = page.locator(q("canvas[data-testid=gradcam-overlay]"))
    overlay.wait_for(state="visible")
    cam = CanvasImage.wait_painted(overlay)
    assert cam.distinct_colors() > 16, cam.distinct_colors()
    assert "conv1" in caption.inner_text()
    kernel_ws.settle()
    assert {"gradcam_layer": "conv1"} in sent_states(kernel_ws, before_cam), kernel_ws.describe(before_cam)
    assert any("gradcam" in s for s in received_states(kernel_ws, before_cam))
    assert nb.execute("print(b.gradcam_info['layer'])").strip() == "conv1"
    screenshot(page, "layer-browser-lab-gradcam", show=root)

    # -- 6. a dense layer: its units as bars, no grid
    page.locator(q("[data-testid=layer-row][data-path='probabilities']")).click()
    wait_layer(page, "probabilities")
    units = page.locator(q("canvas[data-testid=units]"))
    units.wait_for(state="visible")
    bars = CanvasImage.wait_painted(units)
    assert bars.distinct_colors() > 2
    assert units.get_attribute("data-count") == "8"  # the count (8) of its 10 units
    assert channel_canvases(page).count() == 0 or page.locator(q("[data-testid=channel-grid]")).is_hidden()
    assert page.locator(q("button[data-testid=gradcam]")).is_disabled()
    assert "probabilities" in note.inner_text()
    assert histogram(page).diff(conv1_histogram) > 0.005
    assert nb.execute("print(b.layer)").strip() == "probabilities"
    screenshot(page, "layer-browser-lab-dense", show=root)

    # -- 7. a decision-path step selects its layer
    steps = page.locator(q("[data-testid=decision-path] [data-testid=path-step]"))
    assert steps.count() >= 2
    step_layers = [steps.nth(i).get_attribute("data-layer") for i in range(steps.count())]
    assert "probabilities" in step_layers and "conv2" in step_layers, step_layers
    kernel_ws.settle()
    before_step = kernel_ws.mark()
    page.locator(q("[data-testid=path-step][data-layer='conv2']")).click()
    wait_layer(page, "conv2")
    assert page.locator(q("[data-testid=path-step][data-layer='conv2'].xw-active")).count() == 1
    kernel_ws.settle()
    assert any(s.get("layer") == "conv2" for s in sent_states(kernel_ws, before_step))
    assert nb.execute("print(b.layer)").strip() == "conv2"
    assert_grid_painted(page, 8)
    assert "conv2" in note.inner_text()

    # -- 9. the whole widget; nothing went wrong
    screenshot(root, "layer-browser-lab-widget")
    assert page.locator(q("[data-testid=error]")).inner_text().strip() == ""
    assert page.locator(q("[data-testid=status]")).get_attribute("data-state") == "idle"
    assert not page.page_errors, page.page_errors


def test_static_layer_browser(static_export, page, screenshot):
    # changed after display: the export must show the last state (conv1, 16 channels)
    url = static_export.export([SETUP_CELL, "b.layer = 'conv1'\nb.count = 16"], "layer-browser-static")
    log = static_export.open(page, url)

    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    assert page.locator(q("[data-testid=layer-row]")).count() == 7
    page.locator(q("[data-testid=layer-row][data-path='conv1'].xw-active")).wait_for()
    CanvasImage.wait_painted(channel_canvases(page).first)
    assert_grid_painted(page, 16)
    assert histogram(page).distinct_colors() > 2
    assert "conv1" in page.locator(q("[data-testid=histogram-note]")).inner_text()
    assert page.locator(q("[data-testid=decision-path] [data-testid=path-step]")).count() >= 2

    # view-only works from the saved state, with no kernel at all
    page.locator(q("canvas[data-testid=channel]")).nth(1).click()
    enlarged = page.locator(q("canvas[data-testid=enlarged]"))
    enlarged.wait_for(state="visible")
    painted = CanvasImage.wait_painted(enlarged)
    assert painted.distinct_colors() > 16
    page.locator(q("input[data-testid=count]")).fill("4")
    assert channel_canvases(page).count() == 4
    page.locator(q("input[data-testid=opacity]")).fill("0.1")
    assert CanvasImage.read(enlarged).diff(painted) > 0.02
    page.wait_for_timeout(600)  # let the debounced (kernel-less) save run: it must not throw
    screenshot(page, "layer-browser-static", show=root)

    assert not log.missing, log.missing
    assert {"@jupyter-widgets/html-manager", "anywidget", "requirejs"} <= {s["package"] for s in log.served}
    errors = unexpected_console_errors(page, log)
    assert not errors, json.dumps(errors, indent=1)
