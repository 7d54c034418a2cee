// The TextExplainer view in node against linkedom's DOM: words drawn as text (markup stays
// text), coloured by value around 0, hover shows the exact value, edits and class choices ask
// the kernel (the newest text wins), the colormap is view-only.
import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import view from "../src/text/text_explainer.js";
import { hoverText, inkFor, textRequests, wordColours } from "../src/text/text_logic.js";

const f32 = (values) => ({ view: new DataView(Float32Array.from(values).buffer), dtype: "float32", shape: [values.length] });

function state(words = ["<b>not</b>", "bad", "film"], values = [2.5, -1.25, 0]) {
  return {
    texts: ["not bad film", "good"], text: "not bad film", class_names: ["neg", "<i>pos</i>"],
    methods: {
      integrated_gradients: { label: "Integrated gradients (embeddings)", options: {
        steps: { default: 32, types: ["integer"], minimum: 1 }, baseline: { default: "zeros", types: ["choice"], choices: ["zeros", "pad"] } } },
      occlusion: { label: "Occlusion (words)", options: { replace: { default: "remove", types: ["choice", "integer"], choices: ["remove", "pad", "unknown"] } } },
    },
    method: "integrated_gradients", target: -1, options: {}, compare: [], colormap: "auto",
    shown: { text: "not bad film" }, notice: "", height: 400, status: "idle", progress: 1, error: "",
    top_classes: [{ index: 1, name: "<i>pos</i>", value: 0.9, value_kind: "probability" },
      { index: 0, name: "neg", value: 0.1, value_kind: "probability" }],
    rows: [{ method: "integrated_gradients", label: "Integrated gradients (embeddings)", words,
      values: f32(values), signed: true, vmax: 2.5, caption: "IG for class '<i>pos</i>'", completeness_delta: 0.01,
      standard_errors: null, truncated: 0 }],
  };
}

test("words are text nodes coloured around 0, hover shows the exact value", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  const words = [...el.querySelectorAll("[data-testid=word]")];
  assert.deepEqual(words.map((w) => w.textContent), ["<b>not</b>", "bad", "film"]);
  assert.equal(el.querySelector("b"), null); // markup in a word stays text
  assert.equal(el.querySelector("i"), null); // and in class names
  // 0 is the diverging map's centre (light), the largest |value| its ends
  const [pos, neg, zero] = wordColours([2.5, -1.25, 0], { signed: true, vmax: 2.5 });
  assert.equal(words[0].style.background, pos);
  assert.equal(words[2].style.background, zero);
  assert.notEqual(pos, neg);
  assert.equal(inkFor(zero), "#000");
  words[1].dispatchEvent(new window.Event("mouseenter"));
  const hover = el.querySelector("[data-testid=hover-value]").textContent;
  assert.match(hover, /“bad”: -1\.25 — Integrated gradients/);
  assert.match(words[1].title, /-1\.25/);
  assert.ok(el.querySelector("canvas[data-testid=legend]"));
  cleanup();
  assert.equal(model.listenerCount(), 0);
});

test("editing the text asks once for the newest text; a class button asks for that class", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  view.render({ model, el });
  const area = el.querySelector("[data-testid=text-input]");
  userInput(area, "not good");
  userInput(area, "not good a");
  userInput(area, "not good at all");
  assert.equal(model.get("text"), "not good"); // at once, no timer: the first edit goes
  assert.equal(model.saves, 1); // one request in flight; the newest edit waits
  model.set("shown", { text: "not good" }); // the kernel's answer
  assert.equal(model.get("text"), "not good at all");
  assert.equal(model.saves, 2);
  el.querySelector("[data-testid=class-option][data-class='0']").click();
  assert.equal(model.get("target"), 0);
  const colours = el.querySelector("[data-testid=colormap]");
  const saves = model.saves;
  userInput(colours, "viridis", "change");
  assert.equal(model.get("colormap"), "viridis");
  assert.equal(model.saves, saves); // view-only: no request now
});

test("the text lane sends one text at a time and the newest waiting one wins", () => {
  const sent = [];
  const lane = textRequests((t) => sent.push(t), { setTimer: () => 1, clearTimer: () => {} });
  lane.request("a");
  lane.request("b");
  lane.request("c");
  assert.deepEqual(sent, ["a"]);
  lane.answered("a");
  assert.deepEqual(sent, ["a", "c"]);
  lane.failed();
  assert.equal(lane.busy(), false);
});

test("hover text says what the number is, with a standard error when sampled", () => {
  const row = { label: "KernelSHAP (words)", signed: true };
  assert.equal(hoverText("good", 0.5, row, 0, [0.01]), "“good”: +0.5 ± 0.01 (standard error) — KernelSHAP (words)");
});

test("the method's options are a form from the registry: the baseline is a choice", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  view.render({ model, el });
  await flush();
  const baseline = el.querySelector("[data-testid=option-baseline]");
  assert.deepEqual([...baseline.querySelectorAll("option")].map((o) => o.value), ["zeros", "pad"]);
  baseline.value = "pad";
  el.querySelector("form[data-testid=options]").dispatchEvent(new window.Event("submit", { cancelable: true }));
  assert.deepEqual(model.get("options"), { steps: 32, baseline: "pad" });
});
