// Labels never lie: a number is printed as a percentage only when the kernel says it is a
// probability (`value_kind` on each top_classes entry); scores (logits) are numbers under a
// "scores:" label; a head with one unit is a sentence (a regression head's predicted value, or
// one sigmoid unit's probability of class 1), with no class buttons; the head menu asks once.
import { fakeModel, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { classButtons, headMenu } from "../src/common/controls.js";
import { formatOutput, formatPercent, outputLabel, outputSentence } from "../src/common/format.js";
import { captionPanel, requestText } from "../src/image/caption_panel.js";
import { requestPanel } from "../src/image/request_panel.js";

const texts = (el, testid) => [...el.querySelectorAll(`[data-testid=${testid}]`)].map((n) => n.textContent);

test("formatOutput prints a percentage only for probabilities", () => {
  assert.equal(formatOutput(0.931, "probability"), "93.1%");
  assert.equal(formatOutput(26.415, "score"), "26.4");
  assert.equal(formatOutput(-1.877, "score"), "-1.88");
  assert.equal(formatOutput(54.2189, "value"), "54.2");
  assert.equal(formatOutput(12345, "value"), "12.3k");
  assert.equal(formatPercent(0.7), "70.0%");
  assert.equal(formatPercent(2e-9), "<0.1%");
  assert.equal(formatPercent(0.99999), ">99.9%");
  assert.equal(formatPercent(1), "100.0%");
});

test("outputLabel and outputSentence by kind; an old kernel's {probability} still reads", () => {
  assert.equal(outputLabel({ name: "cow", value: 0.931, value_kind: "probability" }), "cow 93.1%");
  assert.equal(outputLabel({ name: "cow", value: 26.415, value_kind: "score" }), "cow 26.4");
  assert.equal(outputLabel({ name: "cow", probability: 0.5 }), "cow 50.0%");
  assert.equal(outputSentence({ name: "age", value: 54.21, value_kind: "value" }), "Predicted value of 'age': 54.2");
  assert.equal(outputSentence({ name: "dog", value: 0.231, value_kind: "probability" }), "Probability of class 'dog': 23.1%");
});

test("class buttons: probabilities as percentages, no 'scores:' label", () => {
  const model = fakeModel({ target: -1, class_names: ["cat", "dog", "cow"], top_classes: [
    { index: 1, name: "dog", value: 0.7, value_kind: "probability" }, { index: 0, name: "cat", value: 0.2, value_kind: "probability" }] });
  const bar = classButtons(model, () => {});
  bar.render();
  assert.deepEqual(texts(bar.el, "class-option"), ["Top class", "dog 70.0%", "cat 20.0%"]);
  assert.equal(bar.el.querySelector("[data-testid=output-kind]"), null);
  assert.equal(bar.el.dataset.kind, "probability");
});

test("class buttons on logits: scores, never percentages", () => {
  const model = fakeModel({ target: -1, class_names: ["cow", "dog", "cat"], top_classes: [
    { index: 0, name: "cow", value: 26.415, value_kind: "score" }, { index: 2, name: "cat", value: 3, value_kind: "score" },
    { index: 1, name: "dog", value: -1.877, value_kind: "score" }] });
  const picked = [];
  const bar = classButtons(model, (i) => picked.push(i));
  bar.render();
  assert.deepEqual(texts(bar.el, "class-option"), ["Top class", "cow 26.4", "cat 3", "dog -1.88"]);
  assert.equal(bar.el.querySelector("[data-testid=output-kind]").textContent, "scores:");
  assert.ok(!bar.el.textContent.includes("%"));
  assert.match(bar.el.title, /not probabilities/);
  bar.el.querySelector("[data-class='2']").click();
  assert.deepEqual(picked, [2]);
});

test("a regression head: its predicted value in words, no class buttons", () => {
  const model = fakeModel({ target: -1, class_names: ["<b>age</b>"],
    top_classes: [{ index: 0, name: "<b>age</b>", value: 54.21, value_kind: "value" }] });
  const bar = classButtons(model, () => {});
  bar.render();
  assert.deepEqual(texts(bar.el, "class-option"), []);
  assert.deepEqual(texts(bar.el, "head-output"), ["Predicted value of '<b>age</b>': 54.2"]);
  assert.equal(bar.el.querySelector("b"), null, "a head's name is text, never markup");
});

test("one sigmoid unit: the probability of class 1 in words", () => {
  const model = fakeModel({ target: -1, class_names: ["dog"],
    top_classes: [{ index: 0, name: "dog", value: 0.231, value_kind: "probability" }] });
  const bar = classButtons(model, () => {});
  bar.render();
  assert.deepEqual(texts(bar.el, "head-output"), ["Probability of class 'dog': 23.1%"]);
});

test("the head menu lists the outputs, asks once for another, hides for one output", () => {
  const model = fakeModel({ heads: ["kind", "<i>age</i>"], head: "kind" });
  const asked = [];
  const menu = headMenu(model, (name) => asked.push(name));
  menu.render();
  const select = menu.el.querySelector("select[data-testid=head]");
  assert.equal(menu.el.hidden, false);
  assert.deepEqual([...select.options].map((o) => o.textContent), ["kind", "<i>age</i>"]);
  assert.equal(menu.el.querySelector("i"), null);
  userInput(select, "<i>age</i>", "change");
  assert.deepEqual(asked, ["<i>age</i>"]);
  model.set("heads", ["out"]);
  menu.render();
  assert.equal(menu.el.hidden, true);
});

test("the ImageExplainer's toolbar asks the kernel for the head only (it resets the target)", () => {
  const model = fakeModel({ heads: ["kind", "age"], head: "kind", methods: {}, method: "saliency", compare: [],
    target: 2, class_names: ["a", "b", "c"], top_classes: [] });
  const asked = [];
  const panel = requestPanel(model, (changes) => asked.push(changes));
  panel.render();
  const select = panel.el.querySelector("select[data-testid=head]");
  userInput(select, "age", "change");
  assert.deepEqual(asked, [{ head: "age" }]);
});

const regressionState = (extra = {}) => ({
  heads: ["kind", "age"], head: "age", methods: { saliency: { label: "Saliency" }, gradcam: { label: "Grad-CAM" } },
  method: "saliency", options: {}, compare: [], index: 0, target: -1, class_names: ["age"],
  top_classes: [{ index: 0, name: "age", value: 54.2, value_kind: "value" }], status: "busy", notice: "",
  shown: { head: "age", index: 0, method: "saliency", target: -1, label: "Saliency", compare: [], options: {} },
  heatmap_info: { signed: true, class_name: "age", value_kind: "value", score: 54.2, score_word: "value",
    reading: "the predicted value of 'age' (54.2)",
    caption: "Saliency for the predicted value of 'age' (54.2): warm pixels raise the value, cool ones lower it" },
  ...extra,
});

test("a regression head's request and comparison name the value, not a class", () => {
  const model = fakeModel(regressionState({ method: "gradcam" }));
  assert.equal(requestText(model), "Computing Grad-CAM for the predicted value of 'age'… Still showing Saliency until then.");
  const words = captionPanel(model);
  words.render({ comparing: 2 });
  assert.equal(words.el.textContent, "Comparing 2 methods for the predicted value of 'age' (54.2); each panel has its own colour scale.");
  words.render();
  assert.ok(!words.el.textContent.includes("class"));
});

test("asking for another head says which output while the old one is shown", () => {
  const model = fakeModel(regressionState({ head: "kind", class_names: ["cat", "dog", "cow"],
    top_classes: [{ index: 1, name: "dog", value: 0.7, value_kind: "probability" }] }));
  assert.equal(requestText(model), "Computing Saliency for the top class (output 'kind')… Still showing Saliency until then.");
});

test("without pick the head menu only says which output is explained (the LayerBrowser's)", () => {
  const model = fakeModel({ heads: ["kind", "age"], head: "age" });
  const menu = headMenu(model);
  menu.render();
  const select = menu.el.querySelector("select[data-testid=head]");
  assert.equal(menu.el.hidden, false);
  assert.equal(select.disabled, true);
  assert.equal(select.value, "age");
});
