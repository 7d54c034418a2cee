"""The widgets in Jupyter Notebook 7 (``jupyter notebook``), in headless Chromium.

The same smoke test as in JupyterLab, on the same notebooks: the notebook opens at
``/notebooks/<name>.ipynb``, its cells run through Notebook 7's menu (Run > Run All Cells), the
widget draws, one view-only control changes the view with no request for computation, one
control that needs the model (a class, a layer, a what-if value) brings new data from the kernel,
and the page logs no console error. The TrainingMonitor follows the epochs while ``fit`` runs and
Stop ends it early; the DatasetExplorer's bqplot scatter is drawn (bqplot's frontend is its
Python package's labextension, which Notebook 7 loads as Lab does), a grid cell and a lasso fill
the gallery. The setup cells and helpers are the Lab tests' own, so both
front ends run the same code. Screenshots: test-artifacts/browser/notebook7-*.png.
"""

from __future__ import annotations

import json
import re

import pytest

import test_dataset_explorer as de
import test_feature_importance as fi
import test_image_explainer as ie
import test_layer_browser as lb
import test_text_explainer as te
import test_training_monitor as tm
from browser_harness import CanvasImage, unexpected_console_errors

pytestmark = pytest.mark.browser

# Notebook 7.6.5 (with JupyterLab 4.6) throws this on every page load, a plain notebook with no
# widget included: the keyboard-shortcut settings code in its own bundle (notebook_core.*.js,
# JupyterLab's shortcuts extension) reads the schema of a settings plugin it does not have.
# It is tolerated only with that message AND every frame of its stack in that bundle; any
# other error, or this message from anywhere else (the widgets load from blob: URLs), fails.
NOTEBOOK_OWN_ERRORS = {"Cannot read properties of undefined (reading 'schema')"}
NOTEBOOK_BUNDLE = re.compile(r"/static/notebook/notebook_core\.[0-9a-f]+\.js")


@pytest.fixture(autouse=True)
def error_stacks(page):
    """The stack of each uncaught page error (the ``page`` fixture keeps only the message)."""
    page.error_stacks = []
    page.on("pageerror", lambda exc: page.error_stacks.append((str(exc), exc.stack or "")))
    return page.error_stacks


def notebook_own(message: str, stack: str) -> bool:
    frames = [line for line in stack.splitlines() if line.strip().startswith("at ")]
    urls = [line for line in frames if "http" in line or "blob:" in line]
    return (message in NOTEBOOK_OWN_ERRORS and bool(urls)
            and all(NOTEBOOK_BUNDLE.search(line) for line in urls))


def assert_no_console_errors(page):
    errors = unexpected_console_errors(page)
    for message, stack in page.error_stacks:
        if notebook_own(message, stack) and message in errors:
            errors.remove(message)
    assert not errors, json.dumps(errors, indent=1) + "\n" + json.dumps(page.error_stacks, indent=1)


def sent_keys(kernel_ws, since) -> list[set]:
    """The trait names of each widget update the page sent since ``since``."""
    return [set(c["data"].get("state", {})) for c in kernel_ws.comm_msgs(since=since)
            if c["data"].get("method") == "update"]


def assert_view_only(kernel_ws, since, view_keys, data_keys):
    """Since ``since``: only debounced syncs of view keys went out, no data came back."""
    kernel_ws.settle()  # view traits are synced back debounced
    sent = kernel_ws.requests(since=since)
    assert all(f.msg_type == "comm_msg" for f in sent), kernel_ws.describe(since)
    assert all(keys <= view_keys for keys in sent_keys(kernel_ws, since)), kernel_ws.describe(since)
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=since)]
    assert not [s for s in back if set(s) & data_keys or s.get("status") == "busy"], back


def screenshot_whole(page, screenshot, name, locator):
    """Notebook 7 scrolls the notebook inside its own panel, so a full-page screenshot is only
    the viewport: make the viewport as tall as the widget for the screenshot, then restore it."""
    size = page.viewport_size
    height = int(locator.bounding_box()["height"]) + 260
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 2400)})
    try:
        locator.evaluate("el => el.scrollIntoView({block: 'start'})")
        screenshot(page, name)
    finally:
        page.set_viewport_size(size)


def test_notebook7_image_explainer(open_notebook7, page, kernel_ws, screenshot):
    nb = open_notebook7("nb7_image_explainer.ipynb", [ie.SETUP_CELL])
    assert page.evaluate("window.jupyterapp.name") == "Jupyter Notebook"
    nb.run_all(timeout=240)  # imports TensorFlow, loads (or trains) the demo model

    root = page.locator(ie.ROOT)
    root.wait_for(state="visible")
    page.locator(f"{ie.ROOT} [data-testid=status][data-state=idle]").wait_for()
    overlay = page.locator(f"{ie.ROOT} {ie.OVERLAY}")
    first = CanvasImage.wait_painted(overlay)
    assert first.distinct_colors() > 16, first.distinct_colors()
    screenshot(page, "notebook7-image-explainer-initial", show=root)

    # -- opacity: redrawn in the browser, nothing computed in the kernel
    kernel_ws.settle()
    before_opacity = kernel_ws.mark()
    for value in (0.2, 0.9):
        ie.move_opacity(page, value)
        after = CanvasImage.read(overlay)
        assert after.diff(first) > 0.05, f"opacity {value}: the canvas did not change"
        first = after
    assert_view_only(kernel_ws, before_opacity, ie.VIEW_KEYS, {"heatmap"})
    assert float(nb.execute("print(w.opacity)")) == pytest.approx(0.9)

    # -- another class: one request, a new heatmap from the kernel
    k, name = ie.other_class(page)
    before_class = kernel_ws.mark()
    page.locator(f"{ie.ROOT} button[data-testid=class-option][data-class='{k}']").click()
    page.locator(f"{ie.ROOT} [data-testid=caption]").filter(has_text=f"'{name}'").wait_for(timeout=60_000)
    page.locator(f"{ie.ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
    new = CanvasImage.wait_painted(overlay)
    assert new.diff(first) > 0.05, "a new class gave the same picture"
    kernel_ws.settle()
    assert any("target" in keys for keys in sent_keys(kernel_ws, before_class)), \
        kernel_ws.describe(before_class)
    assert nb.execute("print(int(w.explanation.targets[0]))").strip() == str(k)
    assert page.locator(f"{ie.ROOT} [data-testid=error]").inner_text().strip() == ""
    screenshot(page, "notebook7-image-explainer-other-class", show=root)
    assert_no_console_errors(page)


def test_notebook7_layer_browser(open_notebook7, page, kernel_ws, screenshot):
    nb = open_notebook7("nb7_layer_browser.ipynb", [lb.SETUP_CELL])
    nb.run_all(timeout=240)

    root = page.locator(lb.ROOT)
    root.wait_for(state="visible")
    lb.wait_layer(page, "conv3")  # the default: the last conv layer
    CanvasImage.wait_painted(lb.channel_canvases(page).first)
    assert page.locator(lb.q("[data-testid=layer-row]")).count() == 7
    screenshot(page, "notebook7-layer-browser-initial", show=root)

    # -- a layer row: one request, that layer's maps come back
    kernel_ws.settle()
    before_layer = kernel_ws.mark()
    page.locator(lb.q("[data-testid=layer-row][data-path='conv1']")).click()
    lb.wait_layer(page, "conv1")
    kernel_ws.settle()
    assert any(s.get("layer") == "conv1" for s in lb.sent_states(kernel_ws, before_layer)), \
        kernel_ws.describe(before_layer)
    assert any("activation" in s for s in lb.received_states(kernel_ws, before_layer))
    assert nb.execute("print(b.layer)").strip() == "conv1"

    # -- the count slider: redrawn in the browser, nothing computed
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    lb.channel_canvases(page).first.wait_for()
    page.locator(lb.q("input[data-testid=count]")).fill("8")
    assert lb.channel_canvases(page).count() == 8
    lb.assert_grid_painted(page, 8)
    lb.assert_view_only(kernel_ws, before_view)
    assert nb.execute("print(b.count)").strip() == "8"
    screenshot(page, "notebook7-layer-browser-conv1", show=root)
    assert_no_console_errors(page)


def test_notebook7_feature_importance(open_notebook7, page, kernel_ws, screenshot):
    nb = open_notebook7("nb7_feature_importance.ipynb", [fi.SETUP_CELL])
    nb.run_all(timeout=240)

    root = page.locator(fi.ROOT)
    root.wait_for(state="visible")
    fi.wait_global_bars(page)
    page.locator(f"{fi.ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    bars = page.locator(f"{fi.ROOT} [data-testid=global-bar]")
    assert bars.count() == 15  # the default top-k
    assert page.locator(f"{fi.ROOT} [data-testid=local-bar]").count() >= 5
    original_raw = page.locator(f"{fi.ROOT} [data-testid=prediction]").get_attribute("data-values")
    assert original_raw
    screenshot(page, "notebook7-feature-importance-initial", show=root)

    # -- top-k: redrawn in the browser, nothing computed
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    fi.set_range(page.locator(f"{fi.ROOT} input[data-testid=top-k]"), 5)
    assert bars.count() == 5
    assert_view_only(kernel_ws, before_view, fi.VIEW_KEYS, fi.DATA_KEYS)
    assert nb.execute("print(f.top_k)").strip() == "5"

    # -- a what-if slider: the kernel predicts again, the page shows the new values
    slider = page.locator(f"{fi.ROOT} input[data-testid=whatif-slider][data-feature='worst texture']")
    low = float(slider.get_attribute("min"))
    before_whatif = kernel_ws.mark()
    fi.set_range(slider, low)
    page.wait_for_function(
        """([root, old]) => {
             const el = document.querySelector(root + ' [data-testid=prediction]');
             return el && el.dataset.values && el.dataset.values !== old;
           }""", arg=[fi.ROOT, original_raw], timeout=60_000)
    kernel_ws.settle()
    assert any("instance_values" in keys for keys in sent_keys(kernel_ws, before_whatif)), \
        kernel_ws.describe(before_whatif)
    assert float(nb.execute("print(f.local['values'][21])")) == pytest.approx(low, rel=1e-5)
    assert page.locator(f"{fi.ROOT} [data-testid=error]").inner_text().strip() == ""
    screenshot(page, "notebook7-feature-importance-whatif", show=root)
    assert_no_console_errors(page)


def test_notebook7_text_explainer(open_notebook7, page, kernel_ws, screenshot):
    nb = open_notebook7("nb7_text_explainer.ipynb", [te.SETUP_CELL])
    nb.run_all(timeout=240)

    root = page.locator(te.ROOT)
    root.wait_for(state="visible")
    page.locator(te.WORD).first.wait_for(timeout=120_000)
    page.locator(f"{te.ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    assert te.words(page) == nb.execute("print(t.text)").strip().split()
    colours = te.backgrounds(page)
    assert all(c.startswith("rgb(") for c in colours) and len(set(colours)) >= 3, colours
    screenshot(page, "notebook7-text-explainer-initial", show=root)

    # -- the colour map: the words recoloured in the browser, nothing computed
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    menu = page.locator(f"{te.ROOT} select[data-testid=colormap]")
    other = [v for v in menu.locator("option").evaluate_all("os => os.map(o => o.value)") if v != "auto"][0]
    menu.select_option(other)
    page.wait_for_function(
        "([sel, old]) => JSON.stringify([...document.querySelectorAll(sel)].map(e => e.style.background)) !== old",
        arg=[te.WORD, json.dumps(colours)], timeout=10_000)
    assert_view_only(kernel_ws, before_view, {"colormap"}, {"rows", "shown", "top_classes"})
    assert nb.execute("print(t.colormap)").strip() == other

    # -- another class: one request, the kernel explains that class
    shown = int(nb.execute("print(t.shown['class_index'])"))
    k = (shown + 1) % 3
    caption = page.locator(f"{te.ROOT} [data-testid=caption]").first
    before_caption = caption.inner_text()
    before_class = kernel_ws.mark()
    page.locator(f"{te.ROOT} button[data-testid=class-option][data-class='{k}']").click()
    page.wait_for_function("([sel, old]) => document.querySelector(sel).textContent !== old",
                           arg=[f"{te.ROOT} [data-testid=caption]", before_caption], timeout=60_000)
    kernel_ws.settle()
    assert any("target" in keys for keys in sent_keys(kernel_ws, before_class)), \
        kernel_ws.describe(before_class)
    assert any("rows" in c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before_class))
    assert int(nb.execute("print(int(t.explanation.targets[0]))")) == k
    assert root.locator("b, img").count() == 0  # class names and texts stayed text
    assert page.locator(f"{te.ROOT} [data-testid=error]").inner_text().strip() == ""
    screenshot(page, "notebook7-text-explainer-other-class", show=root)
    assert_no_console_errors(page)


def test_notebook7_training_monitor(open_notebook7, page, kernel_ws, screenshot):
    fit = "model.fit(x, y, epochs=300, batch_size=32, callbacks=[mon], verbose=0)"
    nb = open_notebook7("nb7_training_monitor.ipynb", [tm.SETUP_CELL, fit])
    nb._run_all_cells()  # the menu's Run All Cells, not awaited: the view is watched during fit
    root = page.locator(tm.ROOT)
    root.wait_for(state="visible", timeout=180_000)

    # -- live: every epoch reaches the view while the fit cell runs, the kernel reads busy
    tm.watch_live_fit(page, nb.path, recorded=4)
    overlay = page.locator(f"{tm.ROOT} {tm.OVERLAY}")
    assert not CanvasImage.wait_painted(overlay).is_blank()
    screenshot_whole(page, screenshot, "notebook7-training-monitor-training", root)

    # -- Stop: reaches the busy kernel, fit ends early
    assert tm._fit_running(page, nb.path)
    page.locator(f"{tm.ROOT} button[data-testid=stop]").click()
    page.locator(f"{tm.ROOT}[data-state=stopped]").wait_for(timeout=60_000)
    nb.wait_cells_done(timeout=60)
    assert not nb.errors(), nb.errors()
    done = int(nb.execute("print(mon.epochs_done)").strip())
    assert 3 <= done < 300, done
    assert nb.execute("print(mon.state, len(model.history.epoch))").split() == ["stopped", str(done)]
    assert page.locator(f"{tm.ROOT} i").count() == 0  # class names with markup stay text

    # -- the scrubber: redrawn in the browser, only the debounced `epoch` sync goes out
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    recorded = tm._recorded(page)
    assert recorded == done + 1
    previous = CanvasImage.read(overlay)
    page.locator(f"{tm.ROOT} input[data-testid=scrubber]").fill("0")
    assert root.get_attribute("data-epoch") == "0"  # drawn before any message could return
    assert CanvasImage.read(overlay).diff(previous) > 0.0, "scrubbing did not change the picture"
    assert_view_only(kernel_ws, before_view, {"epoch"}, {"frames", "curves", "epochs"})
    assert nb.execute("print(mon.epoch)").strip() == "0"
    screenshot_whole(page, screenshot, "notebook7-training-monitor-scrubbed", root)
    assert_no_console_errors(page)


def test_notebook7_dataset_explorer(open_notebook7, page, kernel_ws, screenshot):
    nb = open_notebook7("nb7_dataset_explorer.ipynb", [de.SETUP_CELL])
    nb.run_all(timeout=300)

    root = page.locator(de.ROOT)
    root.wait_for(state="visible", timeout=120_000)
    # the heatmaps, computed in the background, come from the kernel
    page.locator(f"{de.ROOT}[data-ready=true]").wait_for(timeout=120_000)
    # bqplot's frontend (its Python package's labextension) is loaded by Notebook 7
    page.locator(f"{de.FIGURE} .dot").first.wait_for(state="attached", timeout=60_000)
    # every example is a dot (and the mistakes' crosses are dots of a second Scatter)
    assert page.locator(f"{de.FIGURE} .dot").count() >= int(nb.execute("print(len(x))"))
    assert page.locator(f"{de.ROOT} [data-testid=cell]").count() == 100
    assert page.locator(f"{de.ROOT} [data-testid=scatter-note]").is_hidden()  # a live kernel
    explorer = page.locator(f".widget-hbox:has({de.ROOT})").first  # the view and the scatter
    screenshot_whole(page, screenshot, "notebook7-dataset-explorer-initial", explorer)

    # -- a grid cell: the gallery shows that cell's rows, Python sees the selection
    t, p, count = de.most_confused_cell(nb)
    page.locator(f"{de.ROOT} [data-testid=cell][data-true='{t}'][data-pred='{p}']").click()
    page.wait_for_function("([sel, n]) => document.querySelector(sel).dataset.count === String(n)",
                           arg=[de.GALLERY, count])
    tiles = page.locator(f"{de.GALLERY} [data-testid=tile]")
    rows = sorted(int(r) for r in tiles.evaluate_all("els => els.map(e => e.dataset.row)"))
    expected = json.loads(nb.execute(
        f"import json; print(json.dumps([int(i) for i in np.flatnonzero((y == {t}) & (w.predicted == {p}))]))"))
    assert rows == expected[:48]
    page.wait_for_timeout(600)  # the selection is synced back, debounced
    assert de.python_selection(nb) == expected

    # -- opacity: the tiles redrawn in the browser, nothing computed
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    tile = tiles.first.locator("canvas[data-testid=tile-canvas]")
    first = CanvasImage.wait_painted(tile)
    fi.set_range(page.locator(f"{de.ROOT} input[data-testid=opacity]"), 0.0)
    assert CanvasImage.read(tile).diff(first) > 0.0, "opacity did not change the tile"
    assert_view_only(kernel_ws, before_view, {"opacity", "selection", "cell"},
                     {"gallery", "means", "labels", "sort_keys"})
    assert float(nb.execute("print(w.view.opacity)")) == pytest.approx(0.0)

    # -- a lasso on the bqplot scatter: the points inside fill the gallery
    ms, count = de.lasso(page, [(0.02, 0.02), (0.55, 0.02), (0.55, 0.98), (0.02, 0.98)])
    assert count > 50, count
    page.wait_for_timeout(600)
    selected = json.loads(nb.execute(
        "import json; print(json.dumps(sorted(int(i) for i in (w.scatter.selected if w.scatter.selected is not None else []))))"))
    assert len(selected) == count and de.python_selection(nb) == selected
    assert int(tiles.first.get_attribute("data-row")) in selected
    assert root.locator("i").count() == 0  # markup in class names stayed text
    screenshot_whole(page, screenshot, "notebook7-dataset-explorer-lasso", explorer)
    assert_no_console_errors(page)
