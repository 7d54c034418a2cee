// The FeatureImportance's partial dependence panel and counterfactual panel in node: what they
// draw from the kernel's payloads, and what a click or a button asks for.
import { fakeModel, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { counterfactualPanel, counterfactualRows } from "../src/importance/counterfactual_panel.js";
import { effectCurves, effectsPanel, extent, valueAt } from "../src/importance/effects_panel.js";

const f32 = (values) => {
  const a = new Float32Array(values);
  return { view: new DataView(a.buffer), dtype: "float32", shape: [a.length] };
};
const NAMES = ["<b>radius</b>", "colour"];
const FEATURES = [
  { name: NAMES[0], kind: "numeric", min: 0, max: 10, step: 0.5 },
  { name: "colour", kind: "categorical", values: [0, 1, 2], labels: ["red", "green", "<i>blue</i>"] },
];

const numericView = {
  feature: NAMES[0], index: 0, categorical: false, labels: [], score_label: "probability of 'malignant'",
  rows: 120, grid: f32([0, 5, 10]), pd: f32([0.2, 0.5, 0.8]), ice: f32([0.1, 0.4, 0.7, 0.3, 0.6, 0.9]), ice_shown: 2,
  own: f32([0.25, 0.55, 0.85]), value: 4, ale_edges: f32([0, 5, 10]), ale: f32([-0.3, 0, 0.3]), ale_notes: [],
};

function model(overrides = {}) {
  return fakeModel({
    feature_names: NAMES, features: FEATURES, effect_feature: NAMES[0], effects: numericView,
    instance_values: [4, 1], class_names: ["benign", "<b>malignant</b>"], task: "classification",
    locked: [], counterfactual: {}, ...overrides,
  });
}

test("effect curves: ICE rows split from one buffer, ALE shifted onto the PD's mean", () => {
  const c = effectCurves(numericView);
  assert.deepEqual(c.ice.map((r) => Array.from(r, (v) => Math.round(v * 10) / 10)), [[0.1, 0.4, 0.7], [0.3, 0.6, 0.9]]);
  assert.deepEqual(c.ale.y.map((v) => Math.round(v * 100) / 100), [0.2, 0.5, 0.8]);
  assert.deepEqual(extent([[1, 3], [NaN, 2]], 0), [1, 3]);
  assert.deepEqual(extent([[2, 2]]), [1.5, 2.5]);
  // a pixel -> the slider's step and range
  assert.equal(valueAt(50, 0, 100, [0, 10], FEATURES[0]), 5);
  assert.equal(valueAt(63, 0, 100, [0, 10], FEATURES[0]), 6.5);
  assert.equal(valueAt(500, 0, 100, [0, 20], FEATURES[0]), 10);
});

test("effects panel: PD, ICE, this row and ALE drawn, with a legend that says what each is", () => {
  const m = model();
  const panel = effectsPanel(m, { choose: () => {}, onPick: () => {} });
  panel.buildMenu();
  panel.update();
  const q = (sel) => panel.el.querySelectorAll(sel);
  assert.equal(q("[data-testid=pd]").length, 1);
  assert.equal(q("path.xw-ice").length, 2);
  assert.equal(q("[data-testid=own-curve]").length, 1);
  assert.equal(q("[data-testid=ale]").length, 1);
  assert.equal(q("[data-testid=effect-marker]").length, 1);
  assert.equal(q("[data-testid=pd-point] title")[1].textContent, "<b>radius</b> = 5.0: mean 0.5; this row 0.55");
  assert.equal(panel.el.querySelector("b"), null, "a feature name is never markup");
  const legend = panel.el.querySelector("[data-testid=effects-legend]").textContent;
  assert.match(legend, /^y: probability of 'malignant'\. thick line: the mean over all 120 rows/);
  assert.match(legend, /thin lines: 2 of those rows \(ICE\)/);
  assert.match(legend, /dashed: accumulated local effects \(centred, drawn on the mean of the thick line\)/);
});

test("effects panel: the menu asks for a feature; a click moves the what-if control", () => {
  const asked = [];
  const picked = [];
  const m = model();
  const panel = effectsPanel(m, { choose: (name) => asked.push(name), onPick: (j, v) => picked.push([j, v]) });
  panel.buildMenu();
  panel.update();
  userInput(panel.el.querySelector("[data-testid=effect-feature]"), "colour", "change");
  assert.deepEqual(asked, ["colour"]);
  const svg = panel.el.querySelector("svg");
  svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 460, height: 230 });
  // the x axis runs from 52 px (value 0) to 448 px (value 10)
  svg.dispatchEvent(Object.assign(new window.Event("click"), { clientX: 52 + (448 - 52) * 0.7 }));
  assert.deepEqual(picked, [[0, 7]]);
});

test("effects panel: a categorical feature gets bars, its chosen category marked", () => {
  const picked = [];
  const m = model({ effect_feature: "colour", instance_values: [4, 2], effects: {
    feature: "colour", index: 1, categorical: true, labels: ["red", "green", "<i>blue</i>"], score_label: "probability of 'x'",
    rows: 50, grid: f32([0, 1, 2]), pd: f32([0.1, 0.4, 0.2]), ice: f32([0.1, 0.4, 0.2]), ice_shown: 1,
    own: f32([0.2, 0.5, 0.3]), value: 2, ale_reason: "'colour' is categorical",
  } });
  const panel = effectsPanel(m, { choose: () => {}, onPick: (j, v) => picked.push([j, v]) });
  panel.update();
  const bars = [...panel.el.querySelectorAll("[data-testid=pd-bar]")];
  assert.deepEqual(bars.map((b) => b.classList.contains("xw-chosen")), [false, false, true]);
  assert.equal(panel.el.querySelector("i"), null);
  assert.match(panel.el.textContent, /ALE: 'colour' is categorical/);
  const svg = panel.el.querySelector("svg");
  svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 460, height: 230 });
  svg.dispatchEvent(Object.assign(new window.Event("click"), { clientX: 60 }));
  assert.deepEqual(picked, [[1, 0]]);
});

const cfView = {
  count: 2, rows: f32([4, 2, 6.5, 1]), instance: f32([4, 1]),
  changed: [["colour"], ["<b>radius</b>"]], distance: [1, 1.25], sparsity: [1, 1], valid: [true, true],
  predictions: ["<b>malignant</b>", "<b>malignant</b>"], original: "benign", desired: null, notes: ["a note"],
};

test("counterfactual panel: a diff per answer, Apply hands its values, Find sends the request", () => {
  const applied = [];
  const found = [];
  const locks = [];
  const m = model({ counterfactual: cfView, locked: ["colour"] });
  const panel = counterfactualPanel(m, {
    find: (d) => found.push(d), toggleLock: (name, on) => locks.push([name, on]), apply: (v) => applied.push(v),
  });
  panel.buildControls();
  panel.update();
  assert.deepEqual(counterfactualRows(cfView, 2).map((r) => r.values), [[4, 2], [6.5, 1]]);
  const cards = [...panel.el.querySelectorAll("[data-testid=counterfactual]")];
  assert.equal(cards.length, 2);
  assert.match(cards[0].textContent, /^1\. → <b>malignant<\/b>: 1 feature changed, distance 1/);
  assert.deepEqual([...cards[0].querySelectorAll("td")].map((td) => td.textContent), ["colour", "green", "→", "<i>blue</i>"]);
  assert.equal(panel.el.querySelector("b, i"), null, "names stay text");
  assert.match(panel.el.querySelector("[data-testid=cf-summary]").textContent, /From the row searched \(the model decides benign\): 2 counterfactuals/);
  cards[1].querySelector("[data-testid=apply-counterfactual]").dispatchEvent(new window.Event("click"));
  assert.deepEqual(applied, [[6.5, 1]]);
  const lock = panel.el.querySelector("[data-testid=cf-lock][data-feature=colour]");
  assert.equal(lock.checked, true);
  userInput(panel.el.querySelector("[data-testid=cf-lock]"), true, "change");
  assert.deepEqual(locks, [["<b>radius</b>", true]]);
  userInput(panel.el.querySelector("[data-testid=cf-desired]"), "1", "change");
  panel.el.querySelector("[data-testid=find-counterfactuals]").dispatchEvent(new window.Event("click"));
  userInput(panel.el.querySelector("[data-testid=cf-desired]"), "", "change");
  panel.el.querySelector("[data-testid=find-counterfactuals]").dispatchEvent(new window.Event("click"));
  assert.deepEqual(found, [1, -1]);
});

test("counterfactual panel: none found says so; a regression points to Python", () => {
  const m = model({ counterfactual: { count: 0, rows: null, instance: f32([4, 1]), changed: [], distance: [], sparsity: [],
    valid: [], predictions: [], original: "benign", desired: "<b>malignant</b>", notes: ["no counterfactual found: ..."] } });
  const panel = counterfactualPanel(m, { find: () => {}, toggleLock: () => {}, apply: () => {} });
  panel.buildControls();
  panel.update();
  assert.match(panel.el.textContent, /No counterfactual found for the row searched \(the model decides benign\)/);
  assert.match(panel.el.textContent, /no counterfactual found: \.\.\./);
  const r = model({ task: "regression", class_names: ["prediction"] });
  const regression = counterfactualPanel(r, { find: () => {}, toggleLock: () => {}, apply: () => {} });
  regression.buildControls();
  assert.match(regression.el.textContent, /f\.find_counterfactuals\(desired=\(low, high\)\)/);
});

test("errors panel: the confusion matrix by true class, a cell asks for its rows, a row becomes the instance", async () => {
  const { errorsPanel } = await import("../src/importance/errors_panel.js");
  const { rowShares } = await import("../src/common/confusion.js");
  const cells = [];
  const picks = [];
  const m = model({
    errors: { kind: "classification", matrix: f32([8, 2, 0, 10]), class_names: ["no", "<b>yes</b>"], rows: 20, accuracy: 0.9 },
    error_rows: { true: 0, predicted: 1, true_name: "no", predicted_name: "<b>yes</b>", count: 2, shown: 2,
      index: f32([17, 3]), confidence: f32([0.9, 0.6]), confidence_label: "probability" },
  });
  const panel = errorsPanel(m, { cell: (i, j) => cells.push([i, j]), pick: (row) => picks.push(row) });
  panel.update();
  panel.updateRows();
  assert.deepEqual(Array.from(rowShares([8, 2, 0, 10], 2)), [0.8, 0.2, 0, 1]);
  const buttons = [...panel.el.querySelectorAll("[data-testid=error-cell]")];
  assert.deepEqual(buttons.map((b) => b.textContent), ["8", "2", "0", "10"]);
  assert.match(buttons[1].title, /^true no, predicted <b>yes<\/b>: 2 rows \(20% of no\)/);
  assert.equal(panel.el.querySelector("b"), null, "class names stay text");
  assert.match(panel.el.querySelector("[data-testid=errors-summary]").textContent, /^All 20 rows of X: accuracy 0\.9\./);
  buttons[1].dispatchEvent(new window.Event("click"));
  assert.deepEqual(cells, [[0, 1]]);
  const rows = [...panel.el.querySelectorAll("[data-testid=error-row]")];
  assert.deepEqual(rows.map((r) => r.textContent), ["row 17 (probability 0.9)", "row 3 (probability 0.6)"]);
  rows[1].dispatchEvent(new window.Event("click"));
  assert.deepEqual(picks, [3]);
});

test("errors panel: a regressor's residuals, a click on a point picks its row; no labels says why", async () => {
  const { errorsPanel } = await import("../src/importance/errors_panel.js");
  const picks = [];
  const m = model({ errors: { kind: "regression", rows: 3, shown: 3, points: f32([1, 0.5, 2, -0.5, 3, 0]), index: f32([0, 4, 9]),
    rmse: 0.41, mae: 0.33, r2: 0.9 } });
  const panel = errorsPanel(m, { cell: () => {}, pick: (row) => picks.push(row) });
  panel.update();
  const dots = [...panel.el.querySelectorAll("[data-testid=residual]")];
  assert.equal(dots.length, 3);
  assert.match(panel.el.textContent, /RMSE 0\.41, MAE 0\.33, R² 0\.9; all drawn/);
  dots[1].dispatchEvent(new window.Event("click", { bubbles: true }));
  assert.deepEqual(picks, [4]);
  const none = errorsPanel(model({ errors: { reason: "needs the labels: pass y=" } }), { cell: () => {}, pick: () => {} });
  none.update();
  assert.match(none.el.textContent, /needs the labels: pass y=/);
});
