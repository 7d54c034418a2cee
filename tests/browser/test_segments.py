"""The superpixel methods' segment borders in JupyterLab: the "Segment borders" switch shows
only for a method with segments, draws them over the picture in the browser (no kernel work:
only the debounced view-state sync reaches the kernel) and `to_png` follows.
Screenshot: test-artifacts/browser/segments.png."""

from __future__ import annotations

import pytest

from browser_harness import CanvasImage

pytestmark = pytest.mark.browser

ROOT = "[data-testid=image-explainer]"
SETUP = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import xai_widgets as xw
model, (x, y, masks), names = xw.demo.shapes_cnn()
w = xw.ImageExplainer(model, x[:1], class_names=names, method="lime",
                      options={"segmentation": "grid", "segments": 16, "samples": 200})
w
"""


def test_segment_borders_on_request(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("segments.ipynb", [SETUP])
    nb.run_all(timeout=300)
    w = page.locator(ROOT).first
    w.locator("[data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    overlay = w.locator("canvas[data-testid=overlay]")
    before = CanvasImage.wait_painted(overlay)
    switch = w.locator("input[data-testid=segments]")
    assert switch.is_visible() and not switch.is_checked()
    kernel_ws.settle()
    mark = kernel_ws.mark()
    switch.check()
    after = CanvasImage.read(overlay)
    assert after.diff(before) > 0.02, "the borders did not change the picture"
    kernel_ws.settle()
    sent = [c["data"].get("state", {}) for c in kernel_ws.comm_msgs(since=mark)]
    assert all(set(s) <= {"show_segments"} for s in sent), sent  # view state only
    assert nb.execute("print(w.show_segments)").strip() == "True"
    screenshot(page, "segments", show=w)
    # a method without segments: no switch
    w.locator("select[data-testid=method]").select_option("saliency")
    w.locator("[data-testid=caption]").filter(has_text="Saliency").wait_for(timeout=60_000)
    assert not switch.is_visible()
