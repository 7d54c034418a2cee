"""FeatureImportance's partial dependence and counterfactual panels in a real JupyterLab.

The wine demo MLP: the PD panel draws its curves for the first feature; a click on the chart
moves that feature's what-if slider and the kernel predicts the new row; choosing another
feature redraws the chart for it. "Find" returns counterfactuals whose "Apply" changes the
prediction to the class they reach. Markup in feature names stays text. Screenshots:
test-artifacts/browser/tabular-depth.png, tabular-errors.png.
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
model, (X, y), features, classes = xw.demo.wine_mlp()
features = ["<b>" + features[0] + "</b>"] + features[1:]  # markup in user text: must stay text
f = xw.FeatureImportance(model, X, y=y, feature_names=features, class_names=classes,
                         background=20, shap_rows=10)
f
"""

ROOT = "[data-testid=feature-importance]"


def test_effects_and_counterfactuals_in_lab(open_notebook, page, screenshot):
    nb = open_notebook("tabular_depth.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)
    root = page.locator(ROOT)
    root.wait_for(state="visible")
    effects = page.locator(f"{ROOT} [data-testid=effects]")
    effects.locator("[data-testid=pd]").wait_for(timeout=120_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    assert effects.locator("path.xw-ice").count() >= 10
    assert effects.locator("[data-testid=own-curve]").count() == 1
    assert effects.locator("b").count() == 0, "a feature name is never markup"
    assert "<b>" in effects.locator("[data-testid=effect-feature]").inner_text()
    legend = effects.locator("[data-testid=effects-legend]").inner_text()
    assert legend.startswith("y: probability of") and "partial dependence" in legend

    # a click on the chart: the first feature's what-if value moves, the kernel predicts
    row = json.loads(nb.execute("import json; print(json.dumps(f.instance_values))"))
    svg = effects.locator("svg")
    box = svg.bounding_box()
    svg.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.5})
    nb.execute("f.wait(60)")
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
    after = json.loads(nb.execute("import json; print(json.dumps(f.instance_values))"))
    assert after[0] != row[0] and after[1:] == pytest.approx(row[1:])
    assert json.loads(nb.execute("print(json.dumps(f.local['values']))")) == pytest.approx(after)
    marker = float(effects.locator("[data-testid=effect-marker]").get_attribute("x1"))
    assert marker > box["width"] * 0.8  # the marker moved with the value

    # another feature: the chart is redrawn for it
    effects.locator("[data-testid=effect-feature]").select_option("alcalinity_of_ash")
    page.wait_for_function(
        "(sel) => document.querySelector(sel).textContent.includes('all 45 rows with alcalinity_of_ash')",
        arg=f"{ROOT} [data-testid=effects-legend]", timeout=60_000)
    assert nb.execute("print(f.effect_feature)").strip() == "alcalinity_of_ash"

    # counterfactuals: Find, then Apply moves the what-if row to one the model decides otherwise
    panel = page.locator(f"{ROOT} [data-testid=counterfactual-panel]")
    panel.locator("[data-testid=find-counterfactuals]").click()
    panel.locator("[data-testid=counterfactual]").first.wait_for(timeout=120_000)
    summary = panel.locator("[data-testid=cf-summary]").inner_text()
    assert "each checked with the model" in summary, summary
    reached = panel.locator("[data-testid=counterfactual]").first.inner_text().split("→ ")[1].split(":")[0]
    panel.locator("[data-testid=apply-counterfactual]").first.click()
    page.wait_for_function(
        "([sel, name]) => document.querySelector(sel).textContent.includes(name)",
        arg=[f"{ROOT} [data-testid=prediction]", reached], timeout=60_000)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
    top = json.loads(nb.execute(
        "import json, numpy as np; v = np.float32([f.instance_values]); "
        "print(json.dumps(int(model.predict(v, verbose=0).argmax())))"))
    assert classes_of(nb)[top] == reached
    # where the model is wrong: a click on a cell lists its rows, a click on a row picks it
    errors = page.locator(f"{ROOT} [data-testid=errors]")
    errors.locator("[data-testid=error-cell]").first.wait_for(timeout=60_000)
    assert errors.locator("[data-testid=error-cell]").count() == 9  # 3 classes
    assert "All 45 rows of X: accuracy" in errors.locator("[data-testid=errors-summary]").inner_text()
    errors.locator("[data-testid=error-cell][data-true='1'][data-predicted='1']").click()
    errors.locator("[data-testid=error-row]").first.wait_for(timeout=60_000)
    row = int(errors.locator("[data-testid=error-row]").nth(1).get_attribute("data-row"))
    errors.locator("[data-testid=error-row]").nth(1).click()
    page.wait_for_function("([sel, n]) => Number(document.querySelector(sel).value) === n",
                           arg=[f"{ROOT} input.xw-instance", row], timeout=60_000)
    assert int(nb.execute("print(f.instance)")) == row
    errors.scroll_into_view_if_needed()
    screenshot(errors, "tabular-errors")
    effects.scroll_into_view_if_needed()
    screenshot(root, "tabular-depth")
    assert not unexpected_console_errors(page)


def classes_of(nb):
    return json.loads(nb.execute("import json; print(json.dumps(list(classes)))"))
