// The FeatureImportance panels in node against linkedom's DOM: what each shows for a small,
// realistic state, and what it asks (view-only traits vs requests to the kernel).
import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { bindModel } from "../src/common/model.js";
import { globalPanel } from "../src/importance/global_panel.js";
import { instancePicker } from "../src/importance/instance_picker.js";
import { localPanel } from "../src/importance/local_panel.js";
import { predictionLine } from "../src/importance/prediction.js";
import { surrogatesPanel } from "../src/importance/surrogates_panel.js";
import { whatifPanel } from "../src/importance/whatif_panel.js";
import { whatifRequests } from "../src/importance/whatif_requests.js";
import view from "../src/importance/feature_importance.js";

// ---- what linkedom lacks (stubbed here, not in the source) ---------------------------------
// <select>: a settable value and selectedIndex, as in a browser.
const selectProto = Object.getPrototypeOf(document.createElement("select"));
Object.defineProperty(selectProto, "value", {
  configurable: true,
  get() {
    const options = [...this.options];
    return (options.find((o) => o.selected) ?? options[0])?.value ?? "";
  },
  set(value) {
    const match = [...this.options].find((o) => o.value === String(value));
    for (const o of this.options) o.toggleAttribute("selected", o === match);
  },
});
Object.defineProperty(selectProto, "selectedIndex", {
  configurable: true,
  get() { return [...this.options].findIndex((o) => o.selected); },
  set(k) { [...this.options].forEach((o, i) => o.toggleAttribute("selected", i === k)); },
});
// window-level listeners (the what-if panel ends a drag on pointerup anywhere): counted
const globalTarget = new EventTarget();
let globalListeners = 0;
globalThis.addEventListener = (type, fn) => { globalListeners += 1; globalTarget.addEventListener(type, fn); };
globalThis.removeEventListener = (type, fn) => { globalListeners -= 1; globalTarget.removeEventListener(type, fn); };
globalThis.dispatchEvent = (event) => globalTarget.dispatchEvent(event);

// ---- a small, realistic state (as xai_widgets/widgets/tabular.py sends it) ------------------
const f32 = (values) => {
  const a = new Float32Array(values);
  return { view: new DataView(a.buffer), dtype: "float32", shape: [a.length] };
};
const NAMES = ["<b>radius</b>", "texture", "colour", "age"];
const ORIGINAL = [14.2, 20.5, 1, 40];

function localFor(values, prediction = 0.7) {
  return {
    values, as_in_data: values.every((v, j) => v === ORIGINAL[j]), target: 1, class_name: "malignant", score_label: "probability of 'malignant'",
    prediction, original_prediction: 0.7, outputs: f32([1 - prediction, prediction]), original_outputs: f32([0.3, 0.7]),
    methods: {
      kernel_shap: { label: "KernelSHAP (Shapley values)", values: f32([0.2, -0.05, 0.1, 0.02]), base: 0.43,
        exact: true, coalitions: 16, background_rows: 50, sums_to_prediction: true, standard_errors: f32([0, 0, 0, 0]) },
      gradient_x_input: { label: "Gradient × input", values: f32([0.3, -0.1, 0, 0.05]), base: null, sums_to_prediction: false },
    },
  };
}

function state(overrides = {}) {
  return {
    feature_names: NAMES,
    features: [
      { name: NAMES[0], kind: "numeric", min: 5, max: 30, step: 0.1 },
      { name: "texture", kind: "numeric", min: 5, max: 40, step: 0.01 },
      { name: "colour", kind: "categorical", values: [0, 1, 2], labels: ["red", "green", "<i>blue</i>"] },
      { name: "age", kind: "numeric", min: 18, max: 90, step: 1 },
    ],
    task: "classification", class_names: ["benign", "malignant"],
    top_classes: [{ index: 1, name: "malignant", probability: 0.7 }, { index: 0, name: "benign", probability: 0.3 }],
    target: -1, instance: 3, instance_count: 20,
    original_values: ORIGINAL, instance_values: ORIGINAL, local: localFor(ORIGINAL),
    importance: {
      permutation: { mean: f32([0.1, 0.05, 0.2, -0.01]), std: f32([0.01, 0.02, 0.03, 0.01]), metric: "accuracy",
        baseline: 0.95, repeats: 5, rows: 20 },
      shap: { mean_abs: f32([0.3, 0.1, 0.05, 0.01]), rows: 20, class_name: "malignant", exact: true, coalitions: 16 },
    },
    surrogate: {
      kind: "classification", fidelity_label: "agreement", fitted_rows: 15, held_out_rows: 5,
      tree: { fidelity: 0.9, depth: 2, rules: "|--- <b>radius</b> <= 15.00\n|   |--- class: benign\n" },
      linear: { fidelity: 0.85, coefficients: f32([1.2, -0.4, 0.3, 0.1]) },
    },
    importance_kind: "permutation", sort: "importance", top_k: 4, threshold: 0, local_method: "kernel_shap",
    status: "idle", progress: 0, error: "", height: 860,
    ...overrides,
  };
}

/** A fake model that also records which keys the view set. */
function recordingModel(overrides) {
  const model = fakeModel(state(overrides));
  const set = model.set;
  model.setKeys = [];
  model.set = (key, value) => { model.setKeys.push(key); set(key, value); };
  return model;
}

const testids = (root, id) => [...root.querySelectorAll(`[data-testid=${id}]`)];
const features = (root, id) => testids(root, id).map((g) => g.dataset.feature);

// ---- global importance -----------------------------------------------------------------------

test("global panel: one bar per shown feature, by importance, names as text", () => {
  const model = recordingModel();
  const panel = globalPanel(model, { setView: () => {}, compute: () => {} });
  panel.update();
  assert.deepEqual(features(panel.el, "global-bar"), ["colour", "<b>radius</b>", "texture", "age"]);
  assert.equal(panel.el.querySelector("b"), null, "a feature name is never markup");
  assert.match(testids(panel.el, "global-caption")[0].textContent, /^Drop in accuracy when a feature's column is shuffled \(5 repeats, 20 rows/);
  assert.equal(panel.el.querySelector("[data-testid=top-k]").value, "4");
  assert.equal(panel.el.querySelector("[data-testid=compute-global]").hidden, true);
});

test("global panel: kind, sort, top-k and threshold only set view traits", async () => {
  const model = recordingModel();
  const binding = bindModel(model, 5);
  const panel = globalPanel(model, { setView: binding.setView, compute: () => assert.fail("no compute") });
  for (const key of ["importance_kind", "sort", "top_k", "threshold"]) binding.listen(`change:${key}`, panel.update);
  panel.update();
  const el = (id) => panel.el.querySelector(`[data-testid=${id}]`);
  userInput(el("top-k"), 2);
  assert.deepEqual(features(panel.el, "global-bar"), ["colour", "<b>radius</b>"]);
  assert.equal(el("top-k").parentNode.textContent.trim().endsWith("2 of 4"), true);
  userInput(el("sort"), "name", "change");
  assert.deepEqual(features(panel.el, "global-bar"), ["<b>radius</b>", "colour"]); // "<" sorts before letters
  userInput(el("top-k"), 4);
  userInput(el("threshold"), 0.4);
  const muted = testids(panel.el, "global-bar").filter((g) => g.classList.contains("xw-muted")).map((g) => g.dataset.feature);
  assert.deepEqual(muted, ["age", "texture"]); // below 0.4 x 0.2
  userInput(el("importance-kind"), "shap", "change");
  assert.match(testids(panel.el, "global-caption")[0].textContent, /^Mean \|SHAP value\| for class 'malignant'/);
  assert.deepEqual(new Set(model.setKeys), new Set(["top_k", "sort", "threshold", "importance_kind"]));
  assert.equal(model.saves, 0, "no save at once: view-only changes are synced later");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(model.saves, 1, "one debounced save carries them all");
  binding.dispose();
});

test("global panel: Compute until the kernel has computed; busy says so", () => {
  const model = recordingModel({ importance: {}, status: "idle" });
  let computed = 0;
  const panel = globalPanel(model, { setView: () => {}, compute: () => { computed += 1; } });
  panel.update();
  const button = panel.el.querySelector("[data-testid=compute-global]");
  assert.equal(button.hidden, false);
  assert.equal(panel.el.querySelector("[data-testid=global-chart]").hidden, true);
  assert.equal(testids(panel.el, "global-bar").length, 0);
  button.click();
  assert.equal(computed, 1);
  model.set("status", "busy");
  panel.renderStatus();
  assert.equal(button.hidden, true);
  assert.match(panel.el.textContent, /Computing global importance…/);
  // only SHAP computed (no y): its option is the one enabled and shown
  model.set("importance", { shap: state().importance.shap });
  panel.update();
  const kind = panel.el.querySelector("[data-testid=importance-kind]");
  assert.equal(kind.value, "shap");
  assert.deepEqual([...kind.options].map((o) => o.disabled), [true, false]);
  assert.equal(testids(panel.el, "global-bar").length, 4);
});

// ---- this instance ---------------------------------------------------------------------------

test("local panel: the walk from the base value, each step with this row's value", () => {
  const model = recordingModel();
  const panel = localPanel(model, { setView: () => {} });
  panel.update();
  assert.deepEqual(features(panel.el, "local-bar"), ["<b>radius</b>", "colour", "texture", "age"]);
  const labels = testids(panel.el, "local-bar").map((g) => g.querySelector("text").textContent);
  assert.deepEqual(labels, ["<b>radius</b> = 14.2", "colour = green", "texture = 20.50", "age = 40"]);
  assert.equal(panel.el.querySelector("b"), null);
  assert.ok(panel.el.querySelector(".xw-base-label").textContent.startsWith("E[f(x)] = 0.43"));
  assert.equal(panel.el.querySelector(".xw-final-label").textContent, "f(x) = 0.7");
  assert.match(panel.el.querySelector("[data-testid=local-note]").textContent, /exact Shapley values/);
  const menu = panel.el.querySelector("[data-testid=local-method]");
  assert.deepEqual([...menu.options].map((o) => o.textContent), ["KernelSHAP (Shapley values)", "Gradient × input"]);
  assert.equal(menu.disabled, false);
});

test("local panel: the method menu is view-only; no explanation yet says so", () => {
  const model = recordingModel();
  const binding = bindModel(model, 5);
  const panel = localPanel(model, { setView: binding.setView });
  binding.listen("change:local_method", panel.update);
  panel.update();
  userInput(panel.el.querySelector("[data-testid=local-method]"), "gradient_x_input", "change");
  assert.deepEqual(model.setKeys, ["local_method"]);
  assert.equal(model.saves, 0);
  assert.equal(panel.el.querySelector(".xw-base-label"), null, "plain bars: no walk");
  assert.match(panel.el.querySelector("[data-testid=local-note]").textContent, /does not add up to the prediction/);
  model.set("local", {});
  panel.update();
  assert.equal(testids(panel.el, "local-bar").length, 0);
  assert.match(panel.el.textContent, /Explaining this instance…/);
  assert.equal(panel.el.querySelector("[data-testid=local-note]").textContent, "");
  binding.dispose();
});

test("prediction line: the explained output, the classes and 'updating…'", () => {
  const model = recordingModel({ class_names: ["benign", "<img src=x>"] });
  const line = predictionLine(model);
  line.update();
  assert.match(line.el.textContent, /^probability of 'malignant': 0.7 \(as in the data\)/);
  assert.deepEqual(JSON.parse(line.el.dataset.values), ORIGINAL);
  const outputs = [...line.el.querySelectorAll(".xw-output")];
  assert.deepEqual(outputs.map((o) => o.textContent), ["<img src=x> 0.7", "benign 0.3"]);
  assert.ok(outputs[0].classList.contains("xw-active"));
  assert.equal(line.el.querySelector("img"), null);
  line.setUpdating(true);
  assert.match(line.el.textContent, /updating…$/);
  line.setUpdating(false);
  model.set("task", "regression");
  model.set("local", {});
  line.update();
  assert.equal(line.el.textContent, "No prediction yet.");
  assert.equal(line.el.dataset.values, undefined);
});

// ---- surrogates --------------------------------------------------------------------------

test("surrogates panel: fidelity and rules as text, the largest coefficients", () => {
  const model = recordingModel();
  const panel = surrogatesPanel(model);
  panel.update();
  const text = (id) => panel.el.querySelector(`[data-testid=${id}]`).textContent;
  assert.equal(text("tree-fidelity"), "Decision tree (depth 2): agreement 0.90");
  assert.equal(text("linear-fidelity"), "Logistic regression: agreement 0.85");
  assert.equal(text("rules"), "|--- <b>radius</b> <= 15.00\n|   |--- class: benign\n");
  assert.equal(panel.el.querySelector("b"), null, "rules are text, never markup");
  assert.match(panel.el.textContent, /fidelity on 5 held-out rows/);
  assert.deepEqual(features(panel.el, "coefficient"), ["<b>radius</b>", "texture", "colour", "age"]);
  model.set("surrogate", {});
  panel.update();
  assert.match(panel.el.textContent, /Not computed yet\./);
  assert.equal(panel.el.querySelector("pre").parentNode.parentNode.hidden, true);
});

// ---- what-if ---------------------------------------------------------------------------------

/** The what-if panel wired as the view wires it (whatif_requests + bindModel's ask). */
function whatifSetup(overrides) {
  const model = recordingModel(overrides);
  const binding = bindModel(model, 5);
  const busy = [];
  const requests = whatifRequests(model, { ask: binding.ask, onBusy: (b) => busy.push(b) });
  const panel = whatifPanel(model, { submit: requests.submit });
  binding.listen("change:instance_values", () => { if (!requests.isSending()) binding.later(panel.follow); });
  binding.listen("change:local", () => requests.answered((model.get("local") || {}).values));
  panel.build();
  const slider = (name) => panel.el.querySelector(`[data-testid=whatif-slider][data-feature="${name}"]`);
  const done = () => { binding.dispose(); requests.destroy(); panel.destroy(); };
  return { model, binding, requests, panel, slider, busy, done };
}

test("what-if: one control per feature, user text stays text", () => {
  const { panel, done } = whatifSetup();
  assert.equal(testids(panel.el, "whatif-slider").length, 3);
  const select = panel.el.querySelector("[data-testid=whatif-select][data-feature=colour]");
  assert.deepEqual([...select.options].map((o) => o.textContent), ["red", "green", "<i>blue</i>"]);
  assert.equal(select.value, "1");
  assert.equal(panel.el.querySelector("b, i"), null);
  assert.match(panel.el.textContent, /<b>radius<\/b>/);
  const values = [...panel.el.querySelectorAll(".xw-whatif-row .xw-value")].map((s) => s.textContent);
  assert.deepEqual(values, ["14.2", "20.50", "green", "40"]);
  done();
});

test("what-if: a move asks at once; a second move during flight waits, the newest wins", () => {
  const { model, slider, requests, busy, panel, done } = whatifSetup();
  userInput(slider("texture"), 30);
  assert.deepEqual(model.get("instance_values"), [14.2, 30, 1, 40]);
  assert.equal(model.saves, 1, "the first move is sent at once");
  assert.equal(requests.busy(), true);
  assert.equal(busy.at(-1), true);
  const row = slider("texture").parentNode.querySelector(".xw-value");
  assert.equal(row.textContent, "30.00");
  userInput(slider("texture"), 31);
  userInput(slider("age"), 50);
  assert.equal(model.saves, 1, "nothing more while one request is in flight");
  assert.deepEqual(model.get("instance_values"), [14.2, 30, 1, 40]);
  model.set("local", localFor([14.2, 30, 1, 40], 0.8)); // the answer to the first
  assert.equal(model.saves, 2, "the newest values go with the answer");
  assert.deepEqual(model.get("instance_values"), [14.2, 31, 1, 50]);
  model.set("local", localFor([14.2, 31, 1, 50], 0.9));
  assert.equal(requests.busy(), false);
  assert.equal(busy.at(-1), false);
  assert.deepEqual(panel.values(), [14.2, 31, 1, 50]);
  done();
});

test("what-if: the kernel stopping without an answer sends the pending values", async () => {
  const { model, slider, requests, done } = whatifSetup();
  userInput(slider("age"), 60);
  model.set("status", "busy");
  requests.followStatus();
  userInput(slider("age"), 70);
  model.set("status", "idle"); // cancelled: no local for [.., 60]
  requests.followStatus();
  assert.equal(model.saves, 1, "the answer may still come in the same message");
  await flush();
  assert.equal(model.saves, 2);
  assert.equal(model.get("instance_values")[3], 70);
  done();
});

test("what-if: Reset and revert go back to the data; a changed row is marked", () => {
  const { model, slider, panel, done } = whatifSetup();
  const select = panel.el.querySelector("[data-testid=whatif-select]");
  userInput(select, "2", "change");
  assert.equal(model.get("instance_values")[2], 2);
  const line = select.closest(".xw-whatif-row");
  assert.equal(line.dataset.feature, "colour");
  assert.ok(line.classList.contains("xw-changed"));
  assert.equal(line.querySelector(".xw-value").textContent, "<i>blue</i>");
  const revert = line.querySelector("[data-testid=whatif-revert]");
  assert.equal(revert.disabled, false);
  assert.equal(revert.title, "back to green, the value in the data");
  model.set("local", localFor([14.2, 20.5, 2, 40]));
  revert.click();
  assert.deepEqual(model.get("instance_values"), ORIGINAL);
  assert.equal(select.value, "1");
  assert.equal(line.classList.contains("xw-changed"), false);
  model.set("local", localFor(ORIGINAL));
  userInput(slider("age"), 80);
  userInput(slider("<b>radius</b>"), 20);
  model.set("local", localFor([14.2, 20.5, 1, 80]));
  model.set("local", localFor([20, 20.5, 1, 80]));
  const saves = model.saves;
  panel.el.querySelector("[data-testid=reset]").click();
  assert.deepEqual(model.get("instance_values"), ORIGINAL);
  assert.equal(model.saves, saves + 1);
  assert.equal(slider("age").value, "40");
  assert.equal(panel.el.querySelectorAll(".xw-changed").length, 0);
  done();
});

test("what-if: the controls follow the kernel's values, except the slider being dragged", async () => {
  const { model, slider, panel, done } = whatifSetup();
  slider("age").dispatchEvent(new window.Event("pointerdown"));
  userInput(slider("age"), 55);
  model.set("local", localFor([14.2, 20.5, 1, 55]));
  model.set("instance_values", [10, 25, 0, 33]); // e.g. Python set them
  await flush();
  assert.equal(slider("texture").value, "25");
  assert.equal(panel.el.querySelector("[data-testid=whatif-select]").value, "0");
  assert.equal(slider("age").value, "55", "the dragged slider stays under the pointer");
  globalThis.dispatchEvent(new Event("pointerup"));
  model.set("instance_values", [10, 25, 0, 33]);
  await flush();
  assert.equal(slider("age").value, "33");
  done();
});

// ---- instance picker -------------------------------------------------------------------------

test("instance picker: a new row, clamped to the data; the same row asks nothing", () => {
  const model = recordingModel();
  const picked = [];
  const picker = instancePicker(model, { pick: (i) => picked.push(i) });
  picker.render();
  const input = picker.el.querySelector("[data-testid=instance]");
  assert.equal(input.value, "3");
  assert.equal(input.max, "19");
  assert.match(picker.el.textContent, /of 20/);
  userInput(input, 3, "change");
  userInput(input, 99, "change");
  assert.deepEqual(picked, [19]);
  assert.equal(input.value, "19");
  userInput(input, 5); // typing: waits for more digits
  assert.deepEqual(picked, [19]);
  picker.destroy();
});

// ---- the whole view --------------------------------------------------------------------------

test("the view: every panel drawn from the state; cleanup removes every listener", async () => {
  const model = recordingModel();
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = view.render({ model, el });
  const root = el.querySelector("[data-testid=feature-importance]");
  assert.equal(root.style.height, "860px");
  assert.equal(testids(root, "global-bar").length, 4);
  assert.equal(testids(root, "local-bar").length, 4);
  assert.equal(testids(root, "coefficient").length, 4);
  assert.equal(testids(root, "whatif-slider").length, 3);
  assert.equal(testids(root, "class-option").length, 3);
  assert.deepEqual(JSON.parse(root.querySelector("[data-testid=prediction]").dataset.values), ORIGINAL);
  assert.equal(root.querySelector("b, i, img"), null, "user text is text everywhere");
  // a view-only change redraws here and asks the kernel for nothing
  userInput(root.querySelector("[data-testid=top-k]"), 1);
  await flush();
  assert.equal(testids(root, "global-bar").length, 1);
  assert.deepEqual(model.setKeys, ["top_k"]);
  assert.equal(model.saves, 0);
  // a what-if move asks at once (its save carries the pending view change too)
  userInput(root.querySelector("[data-testid=whatif-slider][data-feature=age]"), 70);
  assert.equal(model.saves, 1);
  assert.match(root.querySelector("[data-testid=prediction]").textContent, /updating…/);
  model.set("local", localFor([14.2, 20.5, 1, 70], 0.9));
  await flush();
  const prediction = root.querySelector("[data-testid=prediction]");
  assert.match(prediction.textContent, /: 0.9 \(original 0.7, \+0.2\)malignant 0.9benign 0.1$/);
  assert.equal(JSON.parse(prediction.dataset.values)[3], 70);
  // another row: the class and the row ask the kernel
  root.querySelector("[data-testid=class-option][data-class='0']").click();
  userInput(root.querySelector("[data-testid=instance]"), 7, "change");
  assert.equal(model.get("target"), 0);
  assert.equal(model.get("instance"), 7);
  assert.equal(model.saves, 3);
  root.querySelector("[data-testid=compute-global]").click(); // hidden, but wired
  assert.deepEqual(model.sent, [{ type: "compute_global" }]);
  model.set("status", "error");
  model.set("error", "<b>bad</b>");
  assert.equal(root.querySelector("[data-testid=error]").textContent, "<b>bad</b>");

  assert.ok(model.listenerCount() > 0);
  assert.equal(globalListeners, 2);
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(globalListeners, 0, "the pointerup/pointercancel listeners are gone");
  assert.equal(el.children.length, 0);
  model.set("local", localFor(ORIGINAL)); // nothing listens, nothing throws
  await flush();
});

test("the view: a regressor hides the class buttons and lists no outputs", async () => {
  const model = recordingModel({ task: "regression", class_names: ["prediction"], top_classes: [],
    local: { ...localFor(ORIGINAL), score_label: "predicted value", outputs: f32([0.7]) } });
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  assert.equal(el.querySelector("[data-testid=classes]").hidden, true);
  assert.equal(el.querySelectorAll(".xw-output").length, 0);
  assert.match(el.querySelector("[data-testid=prediction]").textContent, /^predicted value: 0.7/);
  cleanup();
  assert.equal(model.listenerCount(), 0);
});
