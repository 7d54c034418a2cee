"""TextExplainer in a real browser, on the demo reviews model (DOM: js/src/text/).

Live JupyterLab: the words are coloured; hovering a word shows its value; typing a new text
re-explains it (the kernel's explanation is of the typed text); choosing a class re-explains
for that class. Static HTML export: the saved view shows the coloured words offline.
Screenshots: test-artifacts/browser/text-explainer-*.png.
"""

from __future__ import annotations

import json

import pytest

from browser_harness import unexpected_console_errors

pytestmark = pytest.mark.browser

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import xai_widgets as xw
model, (texts, y), names = xw.demo.reviews_model()
names = ["<b>" + n + "</b>" for n in names]  # markup in user text: must stay text
t = xw.TextExplainer(model, texts[:6] + ["<img src=x onerror=alert(1)> good"], class_names=names)
t
"""

ROOT = "[data-testid=text-explainer]"
WORD = f"{ROOT} [data-testid=text-row] [data-testid=word]"


def backgrounds(page) -> list[str]:
    return page.locator(WORD).evaluate_all("els => els.map(e => e.style.background)")


def words(page) -> list[str]:
    return page.locator(WORD).all_inner_texts()


def test_lab_text_explainer(open_notebook, page, screenshot):
    nb = open_notebook("text_explainer.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=120_000)
    page.locator(WORD).first.wait_for(timeout=120_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    first_text = nb.execute("print(t.text)").strip()
    assert words(page) == first_text.split()
    colours = backgrounds(page)
    assert all(c.startswith("rgb(") for c in colours) and len(set(colours)) >= 3, colours

    # hovering a word shows its exact value
    page.locator(WORD).nth(1).hover()
    hover = page.locator(f"{ROOT} [data-testid=hover-value]").inner_text()
    value = float(page.locator(WORD).nth(1).get_attribute("data-value"))
    assert hover.startswith(f"“{first_text.split()[1]}”:") and "Integrated gradients" in hover
    expected = json.loads(nb.execute(
        "import json; print(json.dumps(float(t.explanation.attributions[0][1])))"))
    assert value == pytest.approx(expected, rel=1e-6)
    screenshot(page, "text-explainer-lab-hover", show=root)

    # typing a new text re-explains it
    area = page.locator(f"{ROOT} [data-testid=text-input]")
    area.fill("honestly the movie was not bad at all")
    page.wait_for_function(
        """(sel) => [...document.querySelectorAll(sel)].map(e => e.textContent).join(' ')
             === 'honestly the movie was not bad at all'""", arg=WORD, timeout=60_000)
    assert nb.execute("print(t.explanation.texts[0])").strip() == (
        "honestly the movie was not bad at all")
    before = page.locator(f"{ROOT} [data-testid=caption]").first.inner_text()
    shown = json.loads(nb.execute("import json; print(json.dumps(t.shown['class_index']))"))

    # choosing another class re-explains for that class
    other = (shown + 1) % 3
    page.locator(f"{ROOT} button[data-testid=class-option][data-class='{other}']").click()
    page.wait_for_function(
        """([sel, old]) => document.querySelector(sel).textContent !== old""",
        arg=[f"{ROOT} [data-testid=caption]", before], timeout=60_000)
    assert json.loads(nb.execute("import json; print(json.dumps(int(t.explanation.targets[0])))")) == other
    names = json.loads(nb.execute("import json; print(json.dumps(names))"))
    assert f"class '{names[other]}'" in page.locator(f"{ROOT} [data-testid=caption]").first.inner_text()
    assert root.locator("b, img").count() == 0  # class names and texts stayed text
    screenshot(page, "text-explainer-lab-other-class", show=root)
    assert not page.page_errors, page.page_errors


def test_static_text_explainer(static_export, page, screenshot):
    url = static_export.export([SETUP_CELL], "text-explainer-static")
    log = static_export.open(page, url)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    page.locator(WORD).first.wait_for(timeout=60_000)
    colours = backgrounds(page)
    assert len(colours) >= 3 and len(set(colours)) >= 3, colours
    screenshot(page, "text-explainer-static", show=root)
    assert not log.missing, log.missing
    errors = unexpected_console_errors(page, log)
    assert not errors, json.dumps(errors, indent=1)
