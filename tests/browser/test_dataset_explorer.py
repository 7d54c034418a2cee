"""DatasetExplorer in a real browser (DOM: js/src/dataset/, js/CONTRACT.md).

Live JupyterLab, on every scikit-learn digit (1797 images, the demo CNN): a click on a cell
of the confusion matrix fills the gallery with that cell's examples; a lasso drawn with the
mouse on the bqplot scatter selects points and the gallery follows (bqplot's
``Scatter.selected`` is read by the view in the browser, from a reference to the Scatter's model); markup in class
names stays text; a cell chosen after a lasso clears the lasso's outline; then a second
explorer, forced into the paged mode (``ALL_AT_ONCE_BYTES = 0`` in the kernel), draws a cell's
first and next page from the rows the kernel sends. The HTML export hides bqplot's broken
placeholder under the view's note. Screenshot: test-artifacts/browser/dataset-explorer-*.png.
"""

from __future__ import annotations

import json

import pytest

from browser_harness import unexpected_console_errors

pytestmark = pytest.mark.browser

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import xai_widgets as xw
model, _, names = xw.demo.digits_cnn()
(xa, ya), (xb, yb), _ = xw.demo.digits_data()
x, y = np.concatenate([xa, xb]), np.concatenate([ya, yb])
names = [f"<i>{n}</i>" for n in names]  # markup in user text: must show as text
w = xw.DatasetExplorer(model, x, y, class_names=names)
import ipywidgets
box = ipywidgets.VBox([w])  # (later another explorer, paged, takes its place)
box
"""

# the paged mode (the view asks the kernel for the shown page), forced on a small set
PAGED = """
import xai_widgets.widgets.dataset as dsw
dsw.ALL_AT_ONCE_BYTES = 0
w2 = xw.DatasetExplorer(model, x[:400], y[:400], class_names=names, page_size=24)
w2.wait()
box.children = [w2]
print(w2.view.gallery["mode"])
"""

ROOT = "[data-testid=dataset-explorer]"
GALLERY = f"{ROOT} [data-testid=gallery]"
FIGURE = ".bqplot.figure"
# the figure's margins (DatasetExplorer._scatter): the plotting area inside them
MARGIN = {"top": 40, "bottom": 40, "left": 50, "right": 10}


def drawn_at(page) -> str:
    return page.evaluate(f"document.querySelector('{GALLERY}').dataset.drawnAt || ''")


def lasso(page, polygon) -> tuple[float, int]:
    """Draw a lasso with the mouse over the scatter (``polygon``: fractions of the plotting
    area) and wait for the gallery to be drawn again: (ms from the mouse-up to the gallery
    drawn, measured in the page; examples selected)."""
    page.locator(FIGURE).first.scroll_into_view_if_needed()
    box = page.locator(FIGURE).first.bounding_box()
    left, top = box["x"] + MARGIN["left"], box["y"] + MARGIN["top"]
    width = box["width"] - MARGIN["left"] - MARGIN["right"]
    height = box["height"] - MARGIN["top"] - MARGIN["bottom"]
    points = [(left + fx * width, top + fy * height) for fx, fy in polygon]
    before = drawn_at(page)
    page.mouse.move(*points[0])
    page.mouse.down()
    for px, py in points[1:] + points[:1]:
        page.mouse.move(px, py, steps=6)
    t0 = page.evaluate("performance.now()")
    page.mouse.up()
    page.wait_for_function(
        "([sel, old]) => (document.querySelector(sel).dataset.drawnAt || '') !== old",
        arg=[GALLERY, before], timeout=30_000)
    gallery = page.locator(GALLERY)
    return float(gallery.get_attribute("data-drawn-at")) - t0, int(gallery.get_attribute("data-count"))


def python_selection(nb) -> list[int]:
    return json.loads(nb.execute("import json; print(json.dumps(sorted(int(i) for i in w.selection)))"))



def most_confused_cell(nb) -> tuple[int, int, int]:
    """(true, predicted, count) of the explorer ``w``'s largest off-diagonal count, or of
    (3, 3) when the model makes no mistake: a cell with examples either way."""
    confusion = json.loads(nb.execute("import json; print(json.dumps(w.confusion.tolist()))"))
    t, p = max(((i, j) for i in range(10) for j in range(10) if i != j),
               key=lambda ij: confusion[ij[0]][ij[1]])
    if not confusion[t][p]:
        t, p = 3, 3
    return t, p, confusion[t][p]

def test_lab_dataset_explorer(open_notebook, page, screenshot):
    nb = open_notebook("dataset_explorer.ipynb", [SETUP_CELL])
    nb.run_all(timeout=300)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=120_000)
    page.locator(f"{ROOT}[data-ready=true]").wait_for(timeout=120_000)
    page.locator(FIGURE).first.wait_for(state="visible", timeout=60_000)
    assert page.locator(f"{ROOT} [data-testid=cell]").count() == 100
    assert root.get_attribute("data-mode") == "all"

    # a click on a cell: the gallery shows exactly that cell's rows
    t, p, in_cell = most_confused_cell(nb)
    page.locator(f"{ROOT} [data-testid=cell][data-true='{t}'][data-pred='{p}']").click()
    page.wait_for_function(
        "([sel, n]) => document.querySelector(sel).dataset.count === String(n)",
        arg=[GALLERY, in_cell])
    rows = [int(r) for r in page.locator(f"{GALLERY} [data-testid=tile]").evaluate_all(
        "els => els.map(e => e.dataset.row)")]
    expected = json.loads(nb.execute(
        f"import json; print(json.dumps([int(i) for i in np.flatnonzero((y == {t}) & (w.predicted == {p}))]))"))
    assert sorted(rows) == expected[:48]
    page.wait_for_timeout(600)  # the view syncs its selection back, debounced
    assert python_selection(nb) == expected

    # a lasso over the left part of the scatter: the points inside, and the gallery follows
    ms, count = lasso(page, [(0.02, 0.02), (0.55, 0.02), (0.55, 0.98), (0.02, 0.98)])
    assert count > 50, count
    page.wait_for_timeout(600)
    selected = json.loads(nb.execute(
        "import json; print(json.dumps(sorted(int(i) for i in (w.scatter.selected if w.scatter.selected is not None else []))))"))
    assert len(selected) == count and python_selection(nb) == selected
    # the points selected are those inside the lasso (the left 2-55% of the plotting area)
    inside = json.loads(nb.execute(
        "import json; e = w.embedding; lo, hi = e.min(0), e.max(0); f = (e - lo) / (hi - lo); "
        "sure = np.flatnonzero((f[:, 0] > 0.05) & (f[:, 0] < 0.5) & (f[:, 1] > 0.06) & (f[:, 1] < 0.94)); "
        "maybe = np.flatnonzero(f[:, 0] < 0.58); print(json.dumps([sure.tolist(), maybe.tolist()]))"))
    assert set(inside[0]) <= set(selected) <= set(inside[1])
    first = page.locator(f"{GALLERY} [data-testid=tile]").first.get_attribute("data-row")
    assert int(first) in selected
    assert page.locator(f"{ROOT} [data-testid=selection]").inner_text().startswith(f"{count} examples selected")
    print(f"lasso of {count} points -> gallery drawn in {ms:.0f} ms")

    # user text stayed text; the scatter note is hidden (a live kernel)
    assert root.locator("i").count() == 0
    assert "<i>three</i>" in root.inner_text()
    assert page.locator(f"{ROOT} [data-testid=scatter-note]").is_hidden()
    # the gallery of ~1,000 selected points is in view: the view grows (no inner scrollbar)
    hidden = root.evaluate("(el) => el.scrollHeight - el.clientHeight")
    assert hidden <= 1, f"{hidden} px of the view are hidden behind a scrollbar"
    screenshot(page, "dataset-explorer-lab", show=root.locator("[data-testid=confusion]"))
    screenshot(page, "dataset-explorer-lab-lasso", show=page.locator(GALLERY))
    assert not page.page_errors, page.page_errors

    # a cell chosen after the lasso: the lasso's outline goes (it no longer matches)
    assert page.locator(f"{FIGURE} .lassoselector path").count() > 0
    page.locator(f"{ROOT} [data-testid=cell][data-true='{t}'][data-pred='{p}']").click()
    page.wait_for_function(
        "([sel, n]) => document.querySelector(sel).dataset.count === String(n)",
        arg=[GALLERY, in_cell])
    assert page.locator(f"{FIGURE} .lassoselector path").count() == 0
    page.wait_for_timeout(600)
    assert python_selection(nb) == expected
    assert json.loads(nb.execute("import json; print(json.dumps(w.view.cell))")) == [t, p]
    assert json.loads(nb.execute(  # the scatter shows the cell's points (after bqplot's reset)
        "import json; print(json.dumps(sorted(int(i) for i in (w.scatter.selected if w.scatter.selected is not None else []))))")) == expected

    screenshot(page, "dataset-explorer-lab-cell-after-lasso", show=page.locator(FIGURE).first)

    # paged mode: a cell's first page, then the next, each asked from the kernel and drawn
    assert nb.execute(PAGED, timeout=180).strip() == "page"
    paged = page.locator(f"{ROOT}[data-mode=page][data-ready=true]")
    paged.wait_for(timeout=60_000)
    counts = json.loads(nb.execute("import json; print(json.dumps(w2.confusion.tolist()))"))
    t2 = max(range(10), key=lambda c: counts[c][c])
    assert counts[t2][t2] > 24, counts[t2][t2]
    paged.locator(f"[data-testid=cell][data-true='{t2}'][data-pred='{t2}']").click()
    tiles = f"{ROOT} [data-testid=gallery] [data-testid=tile]"
    page.wait_for_function(
        "(sel) => { const t = [...document.querySelectorAll(sel)]; return t.length === 24 && t.every((e) => e.dataset.loaded === 'true'); }",
        arg=tiles, timeout=30_000)
    page.wait_for_timeout(600)  # the selection, synced back
    order = json.loads(nb.execute("import json; print(json.dumps(w2.gallery_rows().tolist()))"))
    shown = [int(r) for r in page.locator(tiles).evaluate_all("els => els.map(e => e.dataset.row)")]
    assert shown == order[:24]
    paged.locator("[data-testid=next]").click()
    page.wait_for_function(
        "([sel, first]) => { const t = [...document.querySelectorAll(sel)]; return t.length && t[0].dataset.row === String(first) && t.every((e) => e.dataset.loaded === 'true'); }",
        arg=[tiles, order[24]], timeout=30_000)
    shown = [int(r) for r in page.locator(tiles).evaluate_all("els => els.map(e => e.dataset.row)")]
    assert shown == order[24:48]
    screenshot(page, "dataset-explorer-lab-paged", show=paged.locator("[data-testid=gallery]"))
    assert not page.page_errors, page.page_errors


STATIC_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import xai_widgets as xw
model, (x, y), names = xw.demo.digits_cnn()
w = xw.DatasetExplorer(model, x[:200], y[:200], class_names=names)
w.wait()
w
"""


def test_static_dataset_explorer(static_export, page, screenshot):
    """The HTML export: the grid, the class means and a cell's gallery work offline; the
    scatter (bqplot, live-only: its frontend is not on npm) is replaced by a note."""
    url = static_export.export([STATIC_CELL], "dataset-explorer-static")
    log = static_export.open(page, url)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    page.locator(f"{ROOT}[data-ready=true]").wait_for(timeout=60_000)
    note = page.locator(f"{ROOT} [data-testid=scatter-note]")
    note.wait_for(state="visible", timeout=10_000)
    assert "needs a live kernel" in note.inner_text()
    # bqplot's placeholder (the figure's box, which cannot load offline) is hidden
    scatter_box = page.locator(".xw-dataset-scatter")
    assert scatter_box.count() == 1
    page.wait_for_function(
        "() => document.querySelector('.xw-dataset-scatter').dataset.xwHidden === 'static'",
        timeout=10_000)
    assert scatter_box.is_hidden()
    page.locator(f"{ROOT} [data-testid=cell][data-true='3'][data-pred='3']").click()
    count = int(page.locator(f"{ROOT} [data-testid=cell][data-true='3'][data-pred='3']").inner_text())
    page.wait_for_function("([sel, n]) => document.querySelector(sel).dataset.count === String(n)",
                           arg=[GALLERY, count])
    assert page.locator(f"{GALLERY} [data-testid=tile]").count() == min(count, 48)
    screenshot(page, "dataset-explorer-static", show=root)
    # bqplot's module cannot load offline (no npm copy): only its failures are expected
    errors = [e for e in unexpected_console_errors(page, log)
              if "bqplot" not in e and "bqscales" not in e]
    assert all("bqplot" in url or "bqscales" in url for url in log.missing), log.missing
    assert not page.page_errors or all("bqplot" in str(e) for e in page.page_errors), page.page_errors
    assert not errors, json.dumps(errors, indent=1)
