"""FeatureImportance in a real browser (DOM contract: js/CONTRACT.md, FeatureImportance).

Live JupyterLab, on the breast_cancer demo MLP: the global bars, the local walk and the
what-if sliders are drawn; top-k and the threshold change the chart with no request for
computation (only the debounced sync of view-only traits reaches the kernel); moving a what-if
slider re-predicts in the kernel and the prediction and bars change; Reset goes back; feature
names with markup stay text. Static HTML export: the saved view draws offline and its view-only
controls work with no kernel. Degenerate data (a model that predicts one class, a constant
column): the bars are drawn and the surrogates' place says why in plain words; "(as in the
data)" only for the data's values. Screenshots: test-artifacts/browser/feature-importance-*.png.
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
model, (X, y), features, classes = xw.demo.breast_cancer_mlp()
features = ["<b>" + features[0] + "</b>"] + features[1:]  # markup in user text: must stay text
instance = int(np.abs(model.predict(X, verbose=0)[:, 0] - 0.5).argmin())
f = xw.FeatureImportance(model, X, y=y, feature_names=features, class_names=classes,
                         instance=instance)
f
"""

ROOT = "[data-testid=feature-importance]"
VIEW_KEYS = {"importance_kind", "sort", "top_k", "threshold", "local_method"}
MODEL_KEYS = {"instance", "instance_values", "target"}
DATA_KEYS = {"local", "importance", "surrogate"}


def shown_values(page) -> list[float] | None:
    raw = page.locator(f"{ROOT} [data-testid=prediction]").get_attribute("data-values")
    return json.loads(raw) if raw else None


def wait_global_bars(page, timeout=120_000):
    page.locator(f"{ROOT} [data-testid=global-bar]").first.wait_for(timeout=timeout)


def set_range(locator, value):
    """Move a range input as a drag would end: value set, input + change events fired."""
    locator.evaluate(
        """(el, v) => { el.value = String(v);
                        el.dispatchEvent(new Event('input', {bubbles: true}));
                        el.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def test_lab_feature_importance(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("feature_importance.ipynb", [SETUP_CELL])
    nb.run_all(timeout=240)

    root = page.locator(ROOT)
    root.wait_for(state="visible")
    wait_global_bars(page)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    bars = page.locator(f"{ROOT} [data-testid=global-bar]")
    assert bars.count() == 15  # the default top-k
    assert page.locator(f"{ROOT} [data-testid=local-bar]").count() >= 5
    # 30 features: sampled KernelSHAP, each kept step with its standard error as whiskers
    assert page.locator(f"{ROOT} [data-testid=local-error]").count() == 12
    assert "standard error" in page.locator(f"{ROOT} [data-testid=local-note]").inner_text()
    original = shown_values(page)
    original_raw = page.locator(f"{ROOT} [data-testid=prediction]").get_attribute("data-values")
    assert original and len(original) == 30
    prediction = page.locator(f"{ROOT} [data-testid=prediction]")
    first_text = prediction.inner_text()
    assert "malignant" in first_text, first_text
    assert page.locator(f"{ROOT} pre[data-testid=rules]").inner_text().strip().startswith("|---")
    assert "agreement" in page.locator(f"{ROOT} [data-testid=tree-fidelity]").inner_text()
    screenshot(page, "feature-importance-lab-initial", show=root)

    # -- user text is text: the feature name's markup is shown, never parsed into elements
    assert page.locator(f"{ROOT} b").count() == 0
    assert page.locator(f"{ROOT} [data-feature='<b>mean radius</b>']").count() >= 1
    assert "<b>mean radius</b>" in page.locator(f"{ROOT} [data-testid=whatif]").inner_text()

    # -- top-k and threshold: redrawn in the browser, nothing computed in the kernel
    kernel_ws.settle()
    before_view = kernel_ws.mark()
    set_range(page.locator(f"{ROOT} input[data-testid=top-k]"), 5)
    assert bars.count() == 5
    set_range(page.locator(f"{ROOT} input[data-testid=threshold]"), 0.9)
    top5 = sorted(json.loads(nb.execute(
        "import json; print(json.dumps(f.global_importance['permutation_mean'].tolist()))")),
        reverse=True)[:5]
    expected = sum(v < 0.9 * top5[0] for v in top5)
    assert expected >= 1  # the check below can fail
    muted = page.locator(f"{ROOT} [data-testid=global-bar].xw-muted").count()
    assert muted == expected, (muted, top5)
    page.locator(f"{ROOT} select[data-testid=sort]").select_option("name")
    names = [bars.nth(i).get_attribute("data-feature") for i in range(bars.count())]
    assert names == sorted(names, key=str.lower) or names == sorted(names), names
    kernel_ws.settle()
    sent = kernel_ws.comm_msgs(since=before_view)
    assert sent, "the view-only traits were never synced back"
    for content in sent:
        state = content["data"].get("state", {})
        assert set(state) <= VIEW_KEYS, kernel_ws.describe(before_view)
    back = [c["data"].get("state", {}) for c in kernel_ws.received_comm_msgs(since=before_view)]
    assert not [s for s in back if set(s) & DATA_KEYS], back
    assert nb.execute("print(f.top_k, f.sort)").split() == ["5", "name"]
    screenshot(page, "feature-importance-lab-view-controls", show=root)

    # -- what-if: one slider moves, the kernel re-predicts, the numbers on the page change
    slider = page.locator(f"{ROOT} input[data-testid=whatif-slider][data-feature='worst texture']")
    low = float(slider.get_attribute("min"))
    before_whatif = kernel_ws.mark()
    set_range(slider, low)
    page.wait_for_function(
        """([root, old]) => {
             const el = document.querySelector(root + ' [data-testid=prediction]');
             return el && el.dataset.values && el.dataset.values !== old;
           }""", arg=[ROOT, original_raw], timeout=60_000)
    changed = shown_values(page)
    j = 21  # "worst texture" in breast_cancer's column order
    assert changed[j] == pytest.approx(low, rel=1e-5) and changed[:j] == original[:j]
    assert prediction.inner_text() != first_text
    kernel_ws.settle()
    states = [c["data"].get("state", {}) for c in kernel_ws.comm_msgs(since=before_whatif)]
    assert any("instance_values" in s for s in states), kernel_ws.describe(before_whatif)
    python = json.loads(nb.execute(
        "import json; print(json.dumps([f.local['values'][21], f.local['prediction'],"
        " f.local['original_prediction']]))"))
    assert python[0] == pytest.approx(low, rel=1e-5)
    assert python[1] != pytest.approx(python[2])  # the prediction moved
    screenshot(page, "feature-importance-lab-whatif", show=root)

    # -- a fast drag: one request in flight at a time, and the newest value wins
    kernel_ws.settle()
    before_drag = kernel_ws.mark()
    lo, hi = low, float(slider.get_attribute("max"))
    moves = [lo + (hi - lo) * k / 12 for k in range(1, 12)]
    # all moves in one browser task: no answer can arrive between them
    slider.evaluate(
        """(el, values) => { for (const v of values) { el.value = String(v);
             el.dispatchEvent(new Event('input', {bubbles: true})); }
             el.dispatchEvent(new Event('change', {bubbles: true})); }""", moves)
    last = float(slider.input_value())
    page.wait_for_function(
        """([root, j, want]) => {
             const el = document.querySelector(root + ' [data-testid=prediction]');
             const v = el.dataset.values && JSON.parse(el.dataset.values);
             return v && Math.abs(v[j] - want) < 1e-4 * Math.max(1, Math.abs(want));
           }""", arg=[ROOT, j, last], timeout=60_000)
    kernel_ws.settle()
    asked = [c for c in kernel_ws.comm_msgs(since=before_drag)
             if "instance_values" in c["data"].get("state", {})]
    # the first move at once, then only the newest after its answer
    assert len(asked) == 2, kernel_ws.describe(before_drag)
    assert float(nb.execute("print(f.local['values'][21])")) == pytest.approx(last, rel=1e-5)

    # -- reset: back to the instance as it is in the data
    page.locator(f"{ROOT} button[data-testid=reset]").click()
    page.wait_for_function(
        """([root, want]) => document.querySelector(root + ' [data-testid=prediction]')
             .dataset.values === want""", arg=[ROOT, original_raw], timeout=60_000)
    assert prediction.inner_text() == first_text

    assert page.locator(f"{ROOT} [data-testid=error]").inner_text().strip() == ""
    assert not page.page_errors, page.page_errors


def test_static_feature_importance(static_export, page, screenshot):
    url = static_export.export([SETUP_CELL, "_ = f.global_importance  # wait for it"],
                               "feature-importance-static")
    log = static_export.open(page, url)

    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    wait_global_bars(page, timeout=60_000)
    bars = page.locator(f"{ROOT} [data-testid=global-bar]")
    assert bars.count() == 15
    assert page.locator(f"{ROOT} [data-testid=local-bar]").count() >= 5
    assert page.locator(f"{ROOT} input[data-testid=whatif-slider]").count() == 30
    screenshot(page, "feature-importance-static-initial", show=root)

    # view-only controls work from the saved state, with no kernel at all
    set_range(page.locator(f"{ROOT} input[data-testid=top-k]"), 8)
    assert bars.count() == 8
    page.locator(f"{ROOT} select[data-testid=importance-kind]").select_option("shap")
    page.locator(f"{ROOT} select[data-testid=local-method]").select_option("integrated_gradients")
    assert page.locator(f"{ROOT} [data-testid=local-bar]").count() >= 5
    page.wait_for_timeout(600)  # the debounced (kernel-less) save must not throw
    screenshot(page, "feature-importance-static-view-controls", show=root)

    assert not log.missing, log.missing
    errors = unexpected_console_errors(page, log)
    assert not errors, json.dumps(errors, indent=1)


CATEGORICAL_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, pandas as pd, keras
import xai_widgets as xw
rng = np.random.default_rng(0)
df = pd.DataFrame({"size": rng.normal(size=80),
                   "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 80),
                                            categories=["red", "green", "blue"])})
# a regressor that adds 3 per colour code: red 0, green 3, blue 6
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
model.get_layer("d").set_weights([np.array([[1.0], [3.0]], np.float32), np.zeros(1, np.float32)])
row = int(np.flatnonzero(df["colour"] == "red")[0])
g = xw.FeatureImportance(model, df, instance=row)
g
"""


def test_lab_categorical_feature_is_a_drop_down(open_notebook, page):
    nb = open_notebook("feature_importance_categorical.ipynb", [CATEGORICAL_CELL])
    nb.run_all(timeout=240)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    select = page.locator(f"{ROOT} select[data-testid=whatif-select][data-feature=colour]")
    assert [o.strip() for o in select.locator("option").all_inner_texts()] == [
        "red", "green", "blue"]
    assert page.locator(f"{ROOT} input[data-testid=whatif-slider][data-feature=colour]").count() == 0
    assert page.locator(f"{ROOT} [data-testid=classes]").is_hidden()  # a regressor: no classes
    before = float(nb.execute("print(g.local['prediction'])"))
    raw = page.locator(f"{ROOT} [data-testid=prediction]").get_attribute("data-values")
    select.select_option(label="blue")
    page.wait_for_function(
        """([root, old]) => document.querySelector(root + ' [data-testid=prediction]')
             .dataset.values !== old""", arg=[ROOT, raw], timeout=60_000)
    after = json.loads(nb.execute(
        "import json; print(json.dumps([g.instance_values[1], g.local['prediction']]))"))
    assert after[0] == 2.0  # blue's category code
    assert after[1] == pytest.approx(before + 6.0, abs=1e-4)  # red -> blue adds 2 x 3
    assert not page.page_errors, page.page_errors


DEGENERATE_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
import xai_widgets as xw
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3)).astype(np.float32)
X[:, 2] = 2.5  # a constant column
# leans on x0, ignores x1, but a bias of -20 keeps 'benign' on top for every row
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax", name="d")])
kernel = np.zeros((3, 2), np.float32)
kernel[0, 1] = 2.0
model.get_layer("d").set_weights([kernel, np.array([0.0, -20.0], np.float32)])
d = xw.FeatureImportance(model, X, y=(X[:, 0] > 0).astype(int),
                         feature_names=["signal", "ignored", "flat"],
                         class_names=["benign", "malignant"])
d
"""


def test_lab_single_class_model_shows_the_bars_and_says_why(open_notebook, page, screenshot):
    nb = open_notebook("feature_importance_degenerate.ipynb", [DEGENERATE_CELL])
    nb.run_all(timeout=240)
    root = page.locator(ROOT)
    wait_global_bars(page)
    page.locator(f"{ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
    assert page.locator(f"{ROOT} [data-testid=global-bar]").count() == 3
    reason = page.locator(f"{ROOT} [data-testid=surrogate-reason]")
    assert reason.is_visible()
    assert reason.inner_text().startswith(
        "The model predicts 'benign' for all 60 rows, so there is nothing for a surrogate")
    assert page.locator(f"{ROOT} [data-testid=rules]").is_hidden()
    notes = page.locator(f"{ROOT} [data-testid=global-notes]").inner_text()
    assert "flat is constant in these rows" in notes, notes
    assert "solver" not in root.inner_text()
    assert page.locator(f"{ROOT} [data-testid=error]").inner_text().strip() == ""
    flat = page.locator(f"{ROOT} input[data-testid=whatif-slider][data-feature=flat]")
    assert flat.is_disabled() and flat.get_attribute("min") == flat.get_attribute("max")
    prediction = page.locator(f"{ROOT} [data-testid=prediction]")
    assert "(as in the data)" in prediction.inner_text()
    screenshot(page, "feature-importance-lab-single-class", show=root)

    # other values, the same prediction (the model ignores this one): not "as in the data"
    raw = prediction.get_attribute("data-values")
    set_range(page.locator(f"{ROOT} input[data-testid=whatif-slider][data-feature=ignored]"), 1.0)
    page.wait_for_function(
        """([root, old]) => document.querySelector(root + ' [data-testid=prediction]')
             .dataset.values !== old""", arg=[ROOT, raw], timeout=60_000)
    text = prediction.inner_text()
    assert "unchanged" in text and "(as in the data)" not in text, text
    assert nb.execute("print(d.local['as_in_data'])").strip() == "False"
    assert not page.page_errors, page.page_errors
