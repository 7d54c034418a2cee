"""The FeatureImportance view in a notebook's HTML export paints at once (issue 19).

Why it took ~25 s, with an error first: nbconvert's page loads MathJax from a CDN with a plain
<script src> in <head>, and the widget renderer draws at the page's load event, which waits
for every script, MathJax included. A CDN that is slow or does not answer holds the widgets
back until the browser gives up ("Failed to load resource" first). Here the MathJax request
never answers (a dropped connection): nbconvert's default page has drawn nothing after 8 s;
``xw.export_html``'s page (MathJax added after the load event, widget modules from the CDN
directly) draws the view in a few seconds, with no console error at all. The export also
shows the grouped permutation importance (``groups=``), and an ImageExplainer whose Grad-CAM is
empty says why in its notice line.
"""

import time

import pytest

from browser_harness import route_cdn_to_local, StaticRequestLog, unexpected_console_errors

pytestmark = pytest.mark.browser

CELL = """
import numpy as np, keras
import xai_widgets as xw
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4)).astype("float32")
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int64")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax", name="d")])
model.get_layer("d").set_weights([np.array([[-2, 2], [-1, 1], [0, 0], [0, 0]], "float32"),
                                  np.zeros(2, "float32")])
f = xw.FeatureImportance(model, X, y=y, feature_names=["a", "b", "c", "d"], class_names=["no", "yes"],
                         groups={"<b>a and b</b>": ["a", "b"]})
f
"""
EMPTY_MAP_CELL = """
# every channel lowers class 0's score: its Grad-CAM is empty, and the widget says why
cnn = keras.Sequential([keras.Input((6, 6, 1)),
                        keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv"),
                        keras.layers.Flatten(), keras.layers.Dense(2, name="head")])
cnn.get_layer("conv").set_weights([np.full((3, 3, 1, 2), 0.1, "float32"), np.full((2,), 0.5, "float32")])
cnn.get_layer("head").set_weights([np.stack([-np.ones(72), np.ones(72)], 1).astype("float32"),
                                   np.zeros(2, "float32")])
w = xw.ImageExplainer(cnn, rng.uniform(size=(1, 6, 6, 1)).astype("float32"), method="gradcam", target=0)
w
"""
BARS = "[data-testid=feature-importance] [data-testid=global-bar]"


def open_with_hanging_mathjax(page, url):
    log = StaticRequestLog()
    route_cdn_to_local(page, log)
    hanging = []
    page.route("**/mathjax/**", lambda route: hanging.append(route))  # never answered
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    return log, hanging, start


def test_export_first_paint(static_export, browser, screenshot):
    import xai_widgets as xw

    nb = static_export.execute([CELL, "_ = f.global_importance  # wait for it",
                                EMPTY_MAP_CELL], "first-paint")
    default_url = static_export.to_html(nb, "first-paint-nbconvert")
    (static_export.workdir / "first-paint-xw.html").write_text(xw.export_html(nb), encoding="utf-8")
    ours_url = f"{static_export.server.base_url}/first-paint-xw.html"

    def new_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.console_errors = []
        page.page_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(
            {"text": m.text, "url": (m.location or {}).get("url", "")}))
        page.on("pageerror", lambda e: page.page_errors.append(str(e)))
        return page

    # nbconvert's page: held back by the MathJax request
    page = new_page()
    _, hanging, start = open_with_hanging_mathjax(page, default_url)
    page.wait_for_timeout(8000)
    assert hanging and page.locator(BARS).count() == 0
    page.context.close()

    # ours: drawn at once, nothing failing on the way
    page = new_page()
    log, hanging, start = open_with_hanging_mathjax(page, ours_url)
    page.locator(BARS).first.wait_for(timeout=30_000)
    first_paint = time.perf_counter() - start
    print(f"first paint of the exported FeatureImportance view: {first_paint:.2f} s "
          "(MathJax's CDN not answering)")
    assert first_paint < 10, first_paint
    assert page.locator(BARS).count() == 4
    # the group chart (FeatureImportance(groups=...)) is drawn too, its name as text
    group = page.locator("[data-testid=feature-importance] [data-testid=group-chart]")
    assert group.locator("[data-testid=group-bar]").count() == 1
    assert "<b>a and b</b> = a, b" in group.inner_text()
    # the empty Grad-CAM's warning is in the ImageExplainer's notice line, from the saved state
    notice = page.locator("[data-testid=image-explainer] [data-testid=notice]")
    notice.wait_for(timeout=30_000)
    assert "Grad-CAM is zero everywhere for class 0" in notice.inner_text()
    caption = page.locator("[data-testid=image-explainer] [data-testid=caption]").first
    assert "nothing to show" in caption.inner_text() and "brighter" not in caption.inner_text()
    screenshot(page, "export-empty-map-notice", show=page.locator("[data-testid=image-explainer]"))
    assert not [u for u in log.local if u.endswith("/anywidget.js")]  # no local probe, no 404
    assert not unexpected_console_errors(page, log), page.console_errors
    screenshot(page, "export-first-paint", show=page.locator("[data-testid=feature-importance]"))
    page.context.close()
