"""Every widget readable in JupyterLab's dark theme (and, on the same page, in the light one).

One Lab, one notebook with the six widgets (the Lab tests' own setup cells, the
TrainingMonitor after a short fit, the ImageExplainer's Trust panel evaluated, the
FeatureImportance's counterfactuals found and an error cell's rows listed, a DatasetExplorer
cell's gallery shown, every folded section open, each error box showing a message), opened with the "JupyterLab Dark" theme set through Lab's
settings API before the page loads. In the page, inside each widget's root:

- every visible text has a WCAG contrast ratio of at least 4.5 against its effective
  background (computed styles: the text colour, or an SVG text's fill, composited over the
  first opaque background up the tree; the opacity of its ancestors fades it towards that
  background). Text drawn on canvases has no DOM text, bqplot's own SVG is skipped, and so
  is the text of a disabled control (WCAG exempts inactive controls);
- no panel or control background is light (relative luminance > 0.5), except data: the
  cells and words coloured by a value (``DATA`` below).

Then the theme is switched to "JupyterLab Light" (``apputils:change-theme``) and the contrast
check runs again. The theme setting is put back afterwards: the Lab server is shared by the
session's other tests. Screenshots: test-artifacts/browser/dark-<widget>.png (and light-*).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

import test_dataset_explorer as de
import test_feature_importance as fi
import test_image_explainer as ie
import test_layer_browser as lb
import test_text_explainer as te
import test_training_monitor as tm
from browser_harness import CanvasImage, LabNotebook, artifact_path, unexpected_console_errors

pytestmark = pytest.mark.browser

THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"

# name -> (root selector, what the screenshot shows)
WIDGETS = {
    "image-explainer": (ie.ROOT, ie.ROOT),
    "layer-browser": (lb.ROOT, lb.ROOT),
    "feature-importance": (fi.ROOT, fi.ROOT),
    "text-explainer": (te.ROOT, te.ROOT),
    "training-monitor": (tm.ROOT, tm.ROOT),
    "dataset-explorer": (de.ROOT, f".widget-hbox:has({de.ROOT})"),
}

# Backgrounds that are data, coloured by a value (light where the value says so): the
# DatasetExplorer's non-empty and FeatureImportance's confusion cells (an empty cell has no
# fill: checked as a panel), the TextExplainer's words, and what a widget marks with
# data-xw-data.
DATA = ("[data-xw-data], .xw-dataset button.xw-cell:not(.xw-zero), "
        ".xw-tabular button.xw-cell, .xw-text .xw-word")

FIT_CELL = "model.fit(x[:400], y[:400], epochs=3, batch_size=50, callbacks=[mon], verbose=0);"

# The checks, in the page: audit([rootSelector, dataSelector, checkPanels]) -> {texts, panels,
# bad, light} (the panels only checked when checkPanels: in the dark theme).
AUDIT_JS = r"""
([rootSel, dataSel, checkPanels]) => {
  const root = document.querySelector(rootSel);
  if (!root) return {error: 'no ' + rootSel};
  // any CSS colour (rgb, color(srgb ...), color-mix results) -> [r, g, b, a] in 0..1,
  // through a 1x1 canvas: what the browser itself paints
  const ctx = (window.__xwAuditCtx ||= (() => {
    const c = document.createElement('canvas'); c.width = c.height = 1;
    return c.getContext('2d', {willReadFrequently: true});
  })());
  const cache = (window.__xwAuditCache ||= new Map());
  const rgba = (css) => {
    if (cache.has(css)) return cache.get(css);
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = 'rgba(0, 0, 0, 0)';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    const out = a ? [r / 255, g / 255, b / 255, a / 255] : [0, 0, 0, 0];
    cache.set(css, out);
    return out;
  };
  const over = (top, under) => {  // top composited over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('');
  // the background an element is painted on: its own and its ancestors' background colours,
  // composited from the first opaque one (the page's white if none is)
  const background = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [1, 1, 1, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const opacity = (el) => {
    let o = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity);
    return o;
  };
  const describe = (el) => {
    const parts = [];
    for (let n = el; n && n !== root.parentElement && parts.length < 4; n = n.parentElement) {
      let s = n.tagName.toLowerCase();
      if (n.dataset && n.dataset.testid) s += `[data-testid=${n.dataset.testid}]`;
      else if (n.classList && n.classList.length) s += '.' + [...n.classList].join('.');
      parts.unshift(s);
    }
    return parts.join(' > ');
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 &&
      el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  };
  const skipped = (el) => el.closest('.bqplot, canvas') || el.closest(':disabled') ||
    (el.closest('svg') && el.closest('svg').closest('.bqplot'));
  const all = [root, ...root.querySelectorAll('*')];

  // -- text: elements with their own text, inputs showing a value, selects
  const bad = [];
  let texts = 0;
  for (const el of all) {
    const tag = el.tagName.toLowerCase();
    let text = '';
    if (tag === 'select') text = el.selectedOptions[0] ? el.selectedOptions[0].textContent : '';
    else if (tag === 'input') text = ['text', 'number', 'search', ''].includes(el.type) ? (el.value || el.placeholder) : '';
    else if (tag === 'option' || tag === 'style' || tag === 'script') text = '';
    else text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('');
    text = text.trim();
    if (!text || skipped(el) || !visible(el)) continue;
    const style = getComputedStyle(el);
    const isSvg = el instanceof SVGElement;
    let fg = rgba(isSvg ? style.fill : style.color);
    if (fg[3] === 0) continue;  // transparent text is not text
    const bg = background(el);
    fg = over(fg, bg);
    const o = opacity(el);
    fg = [0, 1, 2].map((i) => fg[i] * o + bg[i] * (1 - o)).concat(1);
    const r = ratio(fg, bg);
    texts += 1;
    if (r < 4.5) bad.push({text: text.slice(0, 40), where: describe(el), fg: hex(fg), bg: hex(bg),
                           ratio: Math.round(r * 100) / 100});
  }

  // -- panels and controls: no light background but data
  const light = [];
  let panels = 0;
  for (const el of checkPanels ? all : []) {
    if (el.closest(dataSel) || skipped(el) || !visible(el)) continue;
    if (rgba(getComputedStyle(el).backgroundColor)[3] === 0) continue;
    panels += 1;
    const bg = background(el);
    if (lum(bg) > 0.5) light.push({where: describe(el), bg: hex(bg), luminance: Math.round(lum(bg) * 100) / 100});
  }
  return {texts, panels, bad, light};
}
"""


# States this run does not reach, shown with the widgets' own elements and classes so that their
# CSS is checked in place: each widget's error box with a message, and in the ImageExplainer's
# Trust panel a failed sanity check (a table cell and a figure caption marked xw-fail).
PROBES_JS = r"""
([roots, imageRoot]) => {
  for (const r of roots) {
    for (const d of document.querySelectorAll(r + ' details')) d.open = true;  // drawn since
    const box = document.querySelector(r + ' [data-testid=error]');
    if (box && !box.textContent.trim()) {
      box.textContent = 'Probe: what went wrong, and what to do about it.';
      box.hidden = false;
    }
  }
  const trust = document.querySelector(imageRoot + ' .xw-trust');
  if (trust) {
    const table = document.createElement('table');
    table.innerHTML = '<tr><th>probe</th><td class="xw-fail">0.93</td></tr>';
    const figure = document.createElement('figure');
    figure.className = 'xw-fail';
    figure.innerHTML = '<figcaption>probe: the map after randomising</figcaption>';
    trust.append(table, figure);
  }
}
"""


def put_theme(lab, theme: str | None):
    """Lab's stored theme setting (None: Lab's default)."""
    raw = json.dumps({"theme": theme} if theme else {})
    req = urllib.request.Request(
        f"{lab.base_url}/lab/api/settings/{THEMES_PLUGIN}", method="PUT",
        data=json.dumps({"raw": raw}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status in (200, 204), r.status


def audit(page, root: str, check_panels: bool) -> dict:
    page.locator(root).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(50)
    result = page.evaluate(AUDIT_JS, [root, DATA, check_panels])
    assert "error" not in result, result
    return result


def shoot(page, screenshot, name: str, selector: str):
    """The whole widget: the viewport made as tall as it for the screenshot (Lab scrolls the
    notebook in its own panel), then restored."""
    locator = page.locator(selector).first
    size = page.viewport_size
    height = int(locator.bounding_box()["height"]) + 120
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 2400)})
    try:
        locator.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(100)
        screenshot(locator, name)
    finally:
        page.set_viewport_size(size)


def audit_all(page, screenshot, theme: str) -> dict:
    report = {}
    for name, (root, shown) in WIDGETS.items():
        report[name] = audit(page, root, check_panels=theme == "dark")
        shoot(page, screenshot, f"{theme}-{name}", shown)
    # below the ImageExplainer's own scroll: the evaluated Trust panel
    shoot(page, screenshot, f"{theme}-image-explainer-trust", f"{ie.ROOT} [data-testid=trust-panel]")
    shoot(page, screenshot, f"{theme}-feature-importance-counterfactuals",
          f"{fi.ROOT} [data-testid=counterfactual-panel]")
    return report


def test_widgets_readable_in_dark_and_light_theme(lab, page, screenshot):
    cells = [ie.SETUP_CELL, lb.SETUP_CELL, fi.SETUP_CELL, te.SETUP_CELL, tm.SETUP_CELL, FIT_CELL,
             de.SETUP_CELL]
    lab.write_notebook("dark_theme.ipynb", cells)
    put_theme(lab, "JupyterLab Dark")
    try:
        nb = LabNotebook.open(page, lab, "dark_theme.ipynb")
        assert page.evaluate("document.body.dataset.jpThemeLight") == "false"
        nb.run_all(timeout=300)

        # everything drawn and idle
        for root in (ie.ROOT, lb.ROOT, fi.ROOT, te.ROOT):
            page.locator(f"{root} [data-testid=status][data-state=idle]").first.wait_for(timeout=120_000)
        CanvasImage.wait_painted(page.locator(f"{ie.ROOT} {ie.OVERLAY}"))
        lb.wait_layer(page, "conv3")
        fi.wait_global_bars(page)
        page.locator(te.WORD).first.wait_for(timeout=120_000)
        page.locator(f"{tm.ROOT}[data-state=finished]").wait_for(timeout=60_000)
        page.locator(f"{de.ROOT}[data-ready=true]").wait_for(timeout=120_000)
        page.locator(f"{de.FIGURE} .dot").first.wait_for(state="attached", timeout=60_000)
        # more to see: the Trust panel's numbers and curves, counterfactuals and the rows of an
        # error cell (~1 s), a grid cell's gallery, every folded section open
        page.evaluate("""(roots) => { for (const r of roots)
            for (const d of document.querySelectorAll(r + ' details')) d.open = true; }""",
                      [root for root, _ in WIDGETS.values()])
        page.locator(f"{ie.ROOT} [data-testid=trust-evaluate]").click()  # ~2 s
        page.locator(f"{ie.ROOT} svg[data-testid=trust-curves]").wait_for(timeout=120_000)
        page.locator(f"{ie.ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=120_000)
        cf = page.locator(f"{fi.ROOT} [data-testid=counterfactual-panel]")
        cf.locator("[data-testid=find-counterfactuals]").click()
        cf.locator("[data-testid=counterfactual]").first.wait_for(timeout=120_000)
        errors = page.locator(f"{fi.ROOT} [data-testid=errors]")
        errors.locator("[data-testid=error-cell]").first.click()
        errors.locator("[data-testid=error-row]").first.wait_for(timeout=60_000)
        page.locator(f"{fi.ROOT} [data-testid=status][data-state=idle]").wait_for(timeout=60_000)
        t, p, _ = de.most_confused_cell(nb)
        page.locator(f"{de.ROOT} [data-testid=cell][data-true='{t}'][data-pred='{p}']").click()
        page.locator(f"{de.GALLERY} [data-testid=tile]").first.wait_for()
        page.evaluate(PROBES_JS, [[root for root, _ in WIDGETS.values()], ie.ROOT])

        dark = audit_all(page, screenshot, "dark")
        for name, result in dark.items():  # the checks saw the widget's text and panels
            assert result["texts"] > 5 and result["panels"] > 0, (name, result)

        # the same page in the light theme: the text stays readable there too
        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
        # the theme's stylesheet applied, not only the body's flag: the widgets' background white
        page.wait_for_function(
            """(roots) => roots.every((r) =>
                getComputedStyle(document.querySelector(r)).backgroundColor === 'rgb(255, 255, 255)')""",
            arg=[root for root, _ in WIDGETS.values()], timeout=30_000)
        light = audit_all(page, screenshot, "light")
        assert all(light[n]["texts"] == dark[n]["texts"] for n in WIDGETS), (light, dark)

        failures = {f"dark {n}": {k: r[k] for k in ("bad", "light") if r[k]}
                    for n, r in dark.items() if r["bad"] or r["light"]}
        failures.update({f"light {n}": {"bad": r["bad"]} for n, r in light.items() if r["bad"]})
        artifact_path("theme-audit.json").write_text(json.dumps({"dark": dark, "light": light}, indent=1))
        assert not failures, json.dumps(failures, indent=1)
        assert not unexpected_console_errors(page), page.console_errors
    finally:
        put_theme(lab, None)
