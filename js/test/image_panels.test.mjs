import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { captionPanel, requestText } from "../src/image/caption_panel.js";
import { optionInput, optionsPanel, readOption } from "../src/image/options_panel.js";
import { requestPanel } from "../src/image/request_panel.js";
import { stage } from "../src/image/stage.js";
import view from "../src/image/image_explainer.js";

const f32 = (values, shape) => ({ view: new DataView(new Float32Array(values).buffer), dtype: "float32", shape });
const METHODS = {
  saliency: { label: "Saliency", options: { batch_size: { types: ["integer"], default: 32 } } },
  integrated_gradients: { label: "Integrated Gradients", options: {
    steps: { types: ["integer"], default: 32, minimum: 1 },
    baseline: { types: ["choice", "array"], default: "zeros", choices: ["zeros", "blur"] },
  } },
  occlusion: { label: "Occlusion", options: { fill: { types: ["number", "choice"], default: 0, choices: ["mean"] } } },
};
const info = (method, label) => ({ method, label, signed: true, scale: 1, class_name: "<b>cat</b>", score: 2.5,
  score_word: "score", caption: `${label} for class '<b>cat</b>' (score 2.5): warm pixels raise the score`, caption_magnitude: "mag" });
const state = (extra = {}) => ({
  methods: METHODS, method: "integrated_gradients", options: {}, compare: [], index: 0, target: -1,
  class_names: Array.from({ length: 1000 }, (_, i) => (i === 7 ? "<img src=x onerror=alert(1)>" : `class ${i}`)),
  top_classes: [{ index: 3, name: "c3", probability: 0.5 }], layers: [], images: [], status: "idle", progress: 0, error: "",
  notice: "", shown: { index: 0, method: "integrated_gradients", target: -1, label: "Integrated Gradients", compare: [] },
  heatmap: f32([0, 1, -1, 0.5], [2, 2]), heatmap_info: info("integrated_gradients", "Integrated Gradients"), compare_heatmaps: [],
  opacity: 0.6, threshold: 0, colormap: "auto", absolute: false, heatmap_only: false, height: 600, ...extra,
});

test("options are asked for by data type: integer, choice, number-or-choice, boolean", () => {
  const steps = optionInput("steps", METHODS.integrated_gradients.options.steps, undefined);
  assert.equal(steps.type, "number");
  assert.equal(steps.step, "1");
  const baseline = optionInput("baseline", METHODS.integrated_gradients.options.baseline, undefined);
  assert.equal(baseline.tagName, "SELECT");
  assert.deepEqual([...baseline.options].map((o) => o.value), ["zeros", "blur"]);
  const fill = optionInput("fill", METHODS.occlusion.options.fill, "mean");
  assert.equal(fill.type, "text");
  assert.equal(readOption(fill, METHODS.occlusion.options.fill), "mean");
  fill.value = "0.25";
  assert.equal(readOption(fill, METHODS.occlusion.options.fill), 0.25);
  fill.value = "abc";
  assert.equal(readOption(fill, METHODS.occlusion.options.fill), "abc", "Python says what is wrong");
  const relu = optionInput("relu", { types: ["boolean"], default: true }, undefined);
  assert.equal(relu.type, "checkbox");
  assert.equal(relu.checked, true);
});

test("the options form hides batch_size and array-only options, and applies what was typed", () => {
  const applied = [];
  const panel = optionsPanel((o) => applied.push(o));
  panel.render({ options: { ...METHODS.integrated_gradients.options, batch_size: { types: ["integer"] },
    background: { types: ["array"], default: null } } }, { steps: 8 });
  const names = [...panel.el.querySelectorAll("[data-option]")].map((i) => i.dataset.option);
  assert.deepEqual(names, ["steps", "baseline"]);
  panel.el.querySelector("[data-option=steps]").value = "";
  panel.el.dispatchEvent(new window.Event("submit", { cancelable: true }));
  assert.deepEqual(applied, [{ baseline: "zeros" }], "an emptied field goes back to its default");
});

test("the method menu lists the registry's image methods; every class is reachable", () => {
  const model = fakeModel(state());
  const asked = [];
  const panel = requestPanel(model, (c) => asked.push(c));
  panel.render();
  const menu = panel.el.querySelector("[data-testid=method]");
  assert.deepEqual([...menu.options].map((o) => o.value), Object.keys(METHODS));
  assert.equal(menu.value, "integrated_gradients");
  const select = panel.el.querySelector("[data-testid=class-select]");
  assert.equal(select.options.length, 1001);
  assert.equal(select.options[8].textContent, "7: <img src=x onerror=alert(1)>");
  assert.equal(panel.el.querySelector("img"), null, "class names are text");
  userInput(select, "999", "change");
  assert.deepEqual(asked, [{ target: 999 }]);
});

test("in compare mode the asked method is one of the panels, once", () => {
  const model = fakeModel(state({ compare: ["saliency", "integrated_gradients"] }));
  const panel = requestPanel(model, () => {});
  panel.render();
  const box = panel.compare.querySelector("input[data-compare=integrated_gradients]");
  assert.equal(box.checked, true);
  assert.equal(box.disabled, true);
  const pictures = stage();
  pictures.show(null, { heatmap: model.get("heatmap"), info: model.get("heatmap_info") },
    [{ heatmap: f32([1, 2, 3, 4], [2, 2]), info: info("saliency", "Saliency") }]);
  pictures.redraw(model.get("opacity") === undefined ? {} : { opacity: 0.6, threshold: 0, colormap: "auto", absolute: false, heatmap_only: false });
  const methods = [...pictures.el.querySelectorAll("figure")].map((fig) => fig.dataset.method);
  assert.deepEqual(methods, ["integrated_gradients", "saliency"]);
  const bars = pictures.el.querySelectorAll("[data-testid=compare-colorbar]");
  assert.equal(bars.length, 2);
  assert.deepEqual([...bars].map((b) => b.dataset.hi), ["1", "4"], "each panel has its own scale");
  assert.equal(pictures.settings({}), null);
});

test("while busy the view says what is asked and what is still shown; a notice after a cancel", () => {
  const model = fakeModel(state({ status: "busy", method: "saliency", target: 7 }));
  assert.equal(requestText(model),
    "Computing Saliency for class '<img src=x onerror=alert(1)>'… Still showing Integrated Gradients until then.");
  const words = captionPanel(model);
  words.render();
  assert.match(words.notice.textContent, /^Computing Saliency/);
  assert.equal(words.notice.querySelector("img"), null);
  model.set("status", "idle");
  model.set("method", "integrated_gradients");
  model.set("target", -1); // the kernel put the request back to what is shown
  model.set("notice", "Saliency cancelled: still showing Integrated Gradients for class 'cat' (image 0).");
  words.render();
  assert.equal(words.notice.textContent, "Saliency cancelled: still showing Integrated Gradients for class 'cat' (image 0).");
  assert.equal(words.el.textContent, "Integrated Gradients for class '<b>cat</b>' (score 2.5): warm pixels raise the score");
  words.render({ comparing: 3 });
  assert.match(words.el.textContent, /^Comparing 3 methods for class '<b>cat<\/b>' \(score 2\.50\); each panel has its own colour scale\.$/);
});

test("a large heatmap is scaled down to the space it has; a small one up by whole pixels", () => {
  const pictures = stage();
  const big = new Float32Array(1024 * 1024);
  pictures.show(null, { heatmap: f32(big, [1024, 1024]), info: info("saliency", "Saliency") });
  pictures.resize(400, 300);
  const canvas = pictures.el.querySelector("[data-testid=overlay]");
  assert.equal(canvas.style.width, "300px");
  pictures.show(null, { heatmap: f32(new Float32Array(64), [8, 8]), info: info("saliency", "Saliency") });
  assert.equal(canvas.style.width, "296px"); // 37 x 8
});

test("the whole view renders, opacity is drawn without the kernel, cleanup removes every listener", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  const root = el.querySelector("[data-testid=image-explainer]");
  assert.ok(root);
  assert.equal(root.style.height, "600px");
  const children = [...root.children].map((c) => c.className);
  assert.ok(children.indexOf("xw-status-box") < children.indexOf("xw-main"), "status above the pictures");
  userInput(root.querySelector("[data-testid=opacity]"), 0.3);
  assert.equal(model.get("opacity"), 0.3);
  assert.equal(model.saves, 0, "a view-only change does not save at once");
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(el.children.length, 0);
});

test("asked but not computed (an export has no kernel): the view says so", () => {
  const model = fakeModel(state({ status: "idle", target: 5 }));
  assert.equal(requestText(model),
    "Asked for Integrated Gradients for class 'class 5': not computed (is the kernel running?). Showing Integrated Gradients.");
  model.set("target", -1);
  assert.equal(requestText(model), "");
});

test("new options for the shown method are a new request too", () => {
  const model = fakeModel(state({ status: "busy", options: { steps: 8 } }));
  assert.equal(requestText(model), "Computing Integrated Gradients with new options for the top class… Still showing Integrated Gradients until then.");
  model.set("shown", { ...model.get("shown"), options: { steps: 8 } });
  assert.equal(requestText(model), "");
});
