// Degenerate data in the FeatureImportance view: every panel that has its data shows it, and a
// panel without says why in the kernel's plain words (as text). The states are what
// xai_widgets/widgets/tabular.py sends for each case (tests/test_tabular_degenerate.py checks
// the Python side of the same words).
import { fakeModel, flush } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { globalMessages } from "../src/importance/importance_logic.js";
import { globalPanel } from "../src/importance/global_panel.js";
import { surrogatesPanel } from "../src/importance/surrogates_panel.js";
import { whatifPanel } from "../src/importance/whatif_panel.js";
import view from "../src/importance/feature_importance.js";

// the what-if panel ends a drag on pointerup anywhere: window-level listeners (node has none)
const globalTarget = new EventTarget();
globalThis.addEventListener ??= (type, fn) => globalTarget.addEventListener(type, fn);
globalThis.removeEventListener ??= (type, fn) => globalTarget.removeEventListener(type, fn);

const f32 = (values) => {
  const a = new Float32Array(values);
  return { view: new DataView(a.buffer), dtype: "float32", shape: [a.length] };
};
const testids = (root, id) => [...root.querySelectorAll(`[data-testid=${id}]`)];
const text = (root, id) => root.querySelector(`[data-testid=${id}]`).textContent;

const SINGLE_CLASS = "The model predicts 'benign' for all 60 rows, so there is nothing for a surrogate to imitate " +
  "(a tree would be one leaf, \"always 'benign'\", and a linear model needs two classes). Surrogates need rows on which its answers differ.";
const NO_LABELS = "Permutation importance needs the labels: pass y= (one label per row of X) to FeatureImportance.";
const CONSTANT_Y = "y has the same value (3) on all 60 rows: R² (the share of y's variation the model explains) is not defined " +
  "when y does not vary, so there is no permutation importance. Pass rows whose y varies.";
const ONE_CLASS_Y = "y holds one class only ('benign', all 60 rows): accuracy here is the share of rows the model predicts 'benign' " +
  "for (0.52 unshuffled), and a drop is how much that share falls when the column is shuffled (rows that leave 'benign' and " +
  "rows that join it cancel out). It says nothing about how well the model tells the classes apart.";
const CONSTANT_COLUMN = "flat is constant in these rows: shuffling it changes nothing, so its importance is 0 by construction " +
  "(not a sign that the model ignores it).";

const permutation = (mean, extra = {}) => ({ mean: f32(mean), std: f32(mean.map(() => 0)), metric: "accuracy", baseline: 0.52,
  repeats: 5, rows: 60, notes: [], constant: [], ...extra });
const shap = (values) => ({ mean_abs: f32(values), rows: 50, class_name: "benign", exact: true, coalitions: 8 });

function state(overrides = {}) {
  const names = overrides.feature_names || ["signal", "flat", "noise"];
  return {
    feature_names: names,
    features: names.map((name) => ({ name, kind: "numeric", min: -3, max: 3, step: 0.01 })),
    task: "classification", class_names: ["benign", "malignant"], top_classes: [],
    target: -1, instance: 0, instance_count: 60,
    original_values: names.map(() => 0.5), instance_values: names.map(() => 0.5), local: {},
    importance: {}, surrogate: {},
    importance_kind: "permutation", sort: "importance", top_k: 15, threshold: 0, local_method: "kernel_shap",
    status: "idle", progress: 0, error: "", height: 860,
    ...overrides,
  };
}

// ---- the words the global panel shows ------------------------------------------------------

test("globalMessages: a missing kind's reason, the shown kind's notes, and all-zero bars", () => {
  const importance = { shap: shap([0, 0, 0]), reasons: { permutation: CONSTANT_Y } };
  assert.deepEqual(globalMessages(importance, "shap", new Float32Array([0, 0, 0])), {
    reasons: [`Permutation importance: ${CONSTANT_Y}`],
    notes: ["Every value is 0: no feature moves this output on these rows."],
  });
  // a reason that names its kind already is not prefixed twice
  assert.deepEqual(globalMessages({ reasons: { permutation: NO_LABELS } }, "permutation", null).reasons, [NO_LABELS]);
  assert.deepEqual(globalMessages({ reasons: { shap: "no background rows" } }, "shap", null).reasons,
    ["Mean |SHAP value|: no background rows"]);
  // a kind that is there has no reason shown, even if one came along
  assert.deepEqual(globalMessages({ shap: shap([1]), reasons: { shap: "stale" } }, "shap", new Float32Array([1])),
    { reasons: [], notes: [] });
  const withNotes = { permutation: permutation([0, 0], { notes: [ONE_CLASS_Y] }) };
  assert.deepEqual(globalMessages(withNotes, "permutation", new Float32Array([0, 0])).notes,
    [ONE_CLASS_Y, "Every drop is 0: shuffling any one column never changes the score on these rows."]);
  assert.deepEqual(globalMessages(null, "shap", null), { reasons: [], notes: [] });
});

// ---- a model that predicts one class on the rows --------------------------------------------

test("a single-class model: the bars are shown, the surrogates say why in plain words", async () => {
  const model = fakeModel(state({
    importance: { permutation: permutation([0, 0, 0]), shap: shap([0.002, 0, 0.001]) },
    surrogate: { reason: SINGLE_CLASS },
  }));
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  assert.equal(testids(el, "global-bar").length, 3);
  assert.equal(el.querySelector("[data-testid=global-chart]").hidden, false);
  assert.match(text(el, "global-notes"), /^Every drop is 0: shuffling any one column never changes the score/);
  const reason = el.querySelector("[data-testid=surrogate-reason]");
  assert.equal(reason.hidden, false);
  assert.equal(reason.textContent, SINGLE_CLASS);
  assert.equal(el.querySelector("[data-testid=rules]").closest("details").parentNode.hidden, true);
  assert.equal(testids(el, "coefficient").length, 0);
  assert.doesNotMatch(el.textContent, /Not computed yet|solver|samples of at least/);
  cleanup();
});

test("surrogates panel: a class never predicted has no coefficients and says so", () => {
  const why = "The model predicts this class for none of these rows, so the linear surrogate has no coefficients for it.";
  const model = fakeModel(state({ surrogate: {
    kind: "classification", fidelity_label: "agreement", fitted_rows: 42, held_out_rows: 18,
    tree: { fidelity: 1, depth: 1, rules: "|--- signal <= 0.00\n" }, linear: { fidelity: 1, reason: why },
  } }));
  const panel = surrogatesPanel(model);
  panel.update();
  assert.equal(text(panel.el, "tree-fidelity"), "Decision tree (depth 1): agreement 1.00");
  assert.equal(testids(panel.el, "coefficient").length, 0);
  assert.match(panel.el.textContent, new RegExp(why.replace(/[.()]/g, "\\$&")));
  // an undefined fidelity (R² of a constant held-out output) prints n/a
  model.set("surrogate", { kind: "regression", fitted_rows: 42, held_out_rows: 18, tree: { fidelity: null, depth: 0, rules: "" },
    linear: { fidelity: null, coefficients: f32([0, 0, 0]) } });
  panel.update();
  assert.equal(text(panel.el, "tree-fidelity"), "Decision tree (depth 0): R² n/a");
  // and back to a reason: the body hides, the reason shows
  model.set("surrogate", { reason: SINGLE_CLASS });
  panel.update();
  assert.equal(text(panel.el, "surrogate-reason"), SINGLE_CLASS);
  model.set("surrogate", {});
  panel.update();
  assert.equal(text(panel.el, "surrogate-reason"), "Not computed yet.");
});

// ---- labels: one class in y, a constant y, none ----------------------------------------------

test("one class in y: the permutation bars and what they mean; SHAP has no such note", () => {
  const model = fakeModel(state({ importance: {
    permutation: permutation([0.1, 0, 0.02], { notes: [ONE_CLASS_Y] }), shap: shap([0.3, 0, 0.1]) } }));
  const panel = globalPanel(model, { setView: (k, v) => model.set(k, v), compute: () => assert.fail("no compute") });
  panel.update();
  assert.equal(testids(panel.el, "global-bar").length, 3);
  assert.equal(text(panel.el, "global-notes"), ONE_CLASS_Y);
  assert.equal(panel.el.querySelector("[data-testid=global-reasons]").hidden, true);
  model.set("importance_kind", "shap");
  panel.update();
  assert.equal(panel.el.querySelector("[data-testid=global-notes]").hidden, true);
});

test("a constant y (R² undefined) or no y: SHAP is shown, the permutation option says why", () => {
  for (const why of [CONSTANT_Y, NO_LABELS]) {
    const model = fakeModel(state({ importance: { shap: shap([0.3, 0, 0.1]), reasons: { permutation: why } } }));
    const panel = globalPanel(model, { setView: () => {}, compute: () => {} });
    panel.update();
    const kind = panel.el.querySelector("[data-testid=importance-kind]");
    assert.equal(kind.value, "shap");
    assert.equal(kind.options[0].disabled, true);
    assert.equal(kind.options[0].title, why);
    assert.equal(testids(panel.el, "global-bar").length, 3);
    const reasons = panel.el.querySelector("[data-testid=global-reasons]");
    assert.equal(reasons.hidden, false);
    assert.equal(reasons.textContent, why === NO_LABELS ? why : `Permutation importance: ${why}`);
    assert.equal(panel.el.querySelector("[data-testid=compute-global]").hidden, true);
  }
});

test("neither kind computable: the reasons stand in for the chart, no Compute button", () => {
  const model = fakeModel(state({ importance: { reasons: { permutation: NO_LABELS, shap: "no background rows" } } }));
  const panel = globalPanel(model, { setView: () => {}, compute: () => assert.fail("nothing to compute") });
  panel.update();
  assert.equal(panel.el.querySelector("[data-testid=global-chart]").hidden, true);
  assert.equal(panel.el.querySelector("[data-testid=compute-global]").hidden, true);
  assert.match(panel.el.textContent, /Global importance cannot be computed on these data:/);
  assert.deepEqual([...panel.el.querySelectorAll("[data-testid=global-reasons] div")].map((d) => d.textContent),
    [NO_LABELS, "Mean |SHAP value|: no background rows"]);
  // nothing said yet: "not computed yet" with Compute, as before
  model.set("importance", {});
  panel.update();
  assert.equal(panel.el.querySelector("[data-testid=compute-global]").hidden, false);
  assert.equal(panel.el.querySelector("[data-testid=global-reasons]").hidden, true);
});

// ---- constant columns ------------------------------------------------------------------------

test("constant columns: zero bars with the note, and sliders with min == max that do not break", () => {
  const features = [
    { name: "signal", kind: "numeric", min: -3, max: 3, step: 0.01 },
    { name: "flat", kind: "numeric", min: 2.5, max: 2.5, step: 1 },
    { name: "four", kind: "categorical", min: 4, max: 4, step: 1, values: [4], labels: ["4"] },
  ];
  const model = fakeModel(state({
    feature_names: ["signal", "flat", "four"], features,
    original_values: [0.5, 2.5, 4], instance_values: [0.5, 2.5, 4],
    importance: { permutation: permutation([0.4, 0, 0], { notes: [CONSTANT_COLUMN], constant: [1, 2] }), shap: shap([0.3, 0, 0]) },
  }));
  const global = globalPanel(model, { setView: () => {}, compute: () => {} });
  global.update();
  assert.equal(text(global.el, "global-notes"), CONSTANT_COLUMN);
  const numbers = testids(global.el, "global-bar").map((g) => g.querySelector(".xw-number").textContent);
  assert.deepEqual(numbers, ["0.4", "0", "0"]);

  const submitted = [];
  const whatif = whatifPanel(model, { submit: (values) => submitted.push([...values]) });
  whatif.build();
  const slider = (name) => whatif.el.querySelector(`[data-feature="${name}"] input, [data-feature="${name}"] select`);
  assert.equal(slider("signal").disabled, false);
  for (const name of ["flat", "four"]) {
    assert.equal(slider(name).disabled, true, name);
    assert.equal(slider(name).title, "Constant in the data: the only value seen, nothing to move.");
  }
  assert.equal(slider("flat").getAttribute("min"), "2.5");
  assert.equal(slider("flat").getAttribute("max"), "2.5");
  const labels = [...whatif.el.querySelectorAll(".xw-whatif-row .xw-value")].map((l) => l.textContent);
  assert.deepEqual(labels, ["0.50", "2.5", "4"]);
  // Python may still set another value: it is shown, marked as changed, and revertible
  model.set("instance_values", [0.5, 3, 4]);
  whatif.follow();
  const flatRow = whatif.el.querySelector(".xw-whatif-row[data-feature=flat]");
  assert.equal(flatRow.classList.contains("xw-changed"), true);
  flatRow.querySelector("[data-testid=whatif-revert]").click();
  assert.deepEqual(submitted.at(-1), [0.5, 2.5, 4]);
  whatif.destroy();
});

// ---- one feature -----------------------------------------------------------------------------

test("one feature: the global bar, the waterfall, the what-if slider and the coefficient", async () => {
  const local = {
    values: [0.8], as_in_data: true, target: 1, class_name: "malignant", score_label: "probability of 'malignant'",
    prediction: 0.9, original_prediction: 0.9, outputs: f32([0.1, 0.9]), original_outputs: f32([0.1, 0.9]),
    methods: {
      kernel_shap: { label: "KernelSHAP (Shapley values)", values: f32([0.4]), base: 0.5, exact: true, coalitions: 2,
        background_rows: 50, sums_to_prediction: true, standard_errors: f32([0]) },
      gradient_x_input: { label: "Gradient × input", values: f32([0.2]), base: null, sums_to_prediction: false },
    },
  };
  const model = fakeModel(state({
    feature_names: ["only"], original_values: [0.8], instance_values: [0.8], local, top_k: 1,
    importance: { permutation: permutation([0.45]), shap: shap([0.35]) },
    surrogate: { kind: "classification", fidelity_label: "agreement", fitted_rows: 42, held_out_rows: 18,
      tree: { fidelity: 1, depth: 1, rules: "|--- only <= 0.00\n|   |--- class: benign\n" },
      linear: { fidelity: 1, coefficients: f32([2.5]) } },
  }));
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  assert.equal(testids(el, "global-bar").length, 1);
  const topK = el.querySelector("[data-testid=top-k]");
  assert.equal(topK.disabled, true);
  assert.match(topK.parentNode.textContent, /1 of 1/);
  assert.deepEqual(testids(el, "local-bar").map((g) => g.dataset.feature), ["only"]);
  assert.equal(el.querySelector(".xw-base-label").textContent, "E[f(x)] = 0.5");
  assert.equal(el.querySelector(".xw-final-label").textContent, "f(x) = 0.9");
  assert.match(text(el, "local-note"), /^exact Shapley values \(2\^1 = 2 coalitions\)/);
  assert.equal(testids(el, "whatif-slider").length, 1);
  assert.equal(testids(el, "coefficient").length, 1);
  assert.match(text(el, "prediction"), /^probability of 'malignant': 0.9 \(as in the data\)/);
  assert.doesNotMatch(el.textContent, /NaN|undefined/);
  cleanup();
});

// ---- "(as in the data)" ----------------------------------------------------------------------

test("the prediction line says '(as in the data)' for the data's values only", async () => {
  const base = { score_label: "probability of 'malignant'", prediction: 0.9, original_prediction: 0.9, target: 1,
    outputs: f32([0.1, 0.9]), methods: {} };
  const model = fakeModel(state({ local: { ...base, values: [0.5, 9, 0.5], as_in_data: false } }));
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  assert.match(text(el, "prediction"), /^probability of 'malignant': 0.9 \(original 0.9, unchanged\)/);
  model.set("local", { ...base, values: [0.5, 0.5, 0.5], as_in_data: true });
  await flush();
  assert.match(text(el, "prediction"), /^probability of 'malignant': 0.9 \(as in the data\)/);
  cleanup();
});
