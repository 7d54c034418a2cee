"""LRP in the ImageExplainer in JupyterLab: it is in the method menu, its rule is a menu of
the registry's rules and composites, a rule asked in the browser is what Python computes,
and a bad zB bound shows Python's message in the widget instead of killing it.
Screenshots: test-artifacts/browser/lrp-view.png, lrp-view-error.png."""

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
w = xw.ImageExplainer(model, x[:2], class_names=names, method="lrp")
w
"""


def idle(root, timeout=120_000):
    root.locator("[data-testid=status][data-state=idle]").wait_for(timeout=timeout)


def test_lrp_rules_from_the_browser(open_notebook, page, screenshot):
    nb = open_notebook("lrp_view.ipynb", [SETUP])
    nb.run_all(timeout=300)
    w = page.locator(ROOT).first
    idle(w)
    CanvasImage.wait_painted(w.locator("canvas[data-testid=overlay]"))
    caption = w.locator("[data-testid=caption]")
    assert caption.inner_text().startswith("LRP (layer-wise relevance) for class"), \
        caption.inner_text()

    rule = w.locator("[data-testid=option-rule]")
    options = rule.locator("option")
    listed = [options.nth(i).get_attribute("value") for i in range(options.count())]
    expected = nb.execute("print(list(xw.methods(kind='image')['lrp']['options']['rule']"
                          "['choices']))").strip()
    assert str(listed) == expected and rule.input_value() == "epsilon_plus"

    rule.select_option("epsilon_gamma_box")
    w.locator("[data-testid=apply]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=option-rule]').value === 'epsilon_gamma_box'")
    idle(w)
    nb_answer = "print(w.explanation.method, w.explanation.params['rule'])"
    for _ in range(60):
        if nb.execute(nb_answer).strip() == "lrp epsilon_gamma_box":
            break
        page.wait_for_timeout(500)
    assert nb.execute(nb_answer).strip() == "lrp epsilon_gamma_box"
    CanvasImage.wait_painted(w.locator("canvas[data-testid=overlay]"))
    screenshot(page, "lrp-view", show=w)

    # a bound Python refuses: its message shows, the widget keeps showing the last result
    w.locator("[data-testid=option-low]").fill("2")
    w.locator("[data-testid=option-high]").fill("1")
    w.locator("[data-testid=apply]").click()
    error = w.locator("[data-testid=error]")
    error.filter(has_text="low=2.0 is above high=1.0").wait_for(timeout=60_000)
    assert nb.execute(nb_answer).strip() == "lrp epsilon_gamma_box"
    screenshot(page, "lrp-view-error", show=w)
    assert not page.page_errors, page.page_errors
