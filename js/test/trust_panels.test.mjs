import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { paintDisc, paintSegment, regionPanel } from "../src/image/region_panel.js";
import { cellText, paintedImages, scopeText, trustPanel } from "../src/image/trust_panel.js";
import { trustView } from "../src/image/trust_view.js";

const count = (mask) => mask.reduce((a, b) => a + b, 0);

test("a brush disc marks the pixels whose centres lie within its radius, the eraser clears them", () => {
  const mask = new Uint8Array(10 * 10);
  paintDisc(mask, 10, 10, 5, 5, 2, 1); // centres (x + .5, y + .5) within 2 of (5, 5)
  let expected = 0;
  for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) expected += (x + 0.5 - 5) ** 2 + (y + 0.5 - 5) ** 2 <= 4;
  assert.equal(count(mask), expected);
  assert.equal(expected, 12);
  paintDisc(mask, 10, 10, 5, 5, 1, 0);
  assert.equal(count(mask), 8); // the 4 pixels around (5, 5) erased
  paintDisc(mask, 10, 10, -3, -3, 1, 1); // outside: nothing, no error
  assert.equal(count(mask), 8);
});

test("a segment leaves no gaps between its ends", () => {
  const mask = new Uint8Array(4 * 20);
  paintSegment(mask, 4, 20, 0.5, 1.5, 19.5, 1.5, 0.5, 1);
  assert.deepEqual(Array.from(mask.subarray(20, 40)), new Array(20).fill(1)); // row 1, every column
  assert.equal(count(mask), 20);
});

function regionModel() {
  const region = new Uint8Array(2 * 8 * 8);
  const model = fakeModel({ images: [], image_sizes: [[8, 8], [8, 8]], index: 1, shown: { index: 1 },
    region_masks: { view: new DataView(region.buffer), dtype: "uint8", shape: [2, 8, 8], version: 1 } });
  const sent = [];
  model.send = (message, callbacks, buffers) => sent.push({ message, buffers });
  return { model, sent };
}

const pointer = (type, x, y) => Object.assign(new window.Event(type), { clientX: x, clientY: y });

test("a stroke sends nothing while drawing and one binary message (the image's mask) on release", async () => {
  const { model, sent } = regionModel();
  const panel = regionPanel(model);
  panel.render();
  await flush();
  const canvas = panel.el.querySelector('[data-testid="region-canvas"]');
  canvas.getBoundingClientRect = () => ({ left: 0, top: 0, width: 80, height: 80 }); // 10 px a pixel
  const size = panel.el.querySelector('[data-testid="brush-size"]');
  size.value = "0.5";
  canvas.dispatchEvent(pointer("pointerdown", 5, 5)); // pixel (0, 0)
  canvas.dispatchEvent(pointer("pointermove", 35, 5)); // to pixel (0, 3)
  assert.equal(sent.length, 0);
  assert.equal(panel.el.dataset.marked, "4");
  canvas.dispatchEvent(pointer("pointerup", 35, 5));
  assert.equal(sent.length, 1);
  const { message, buffers } = sent[0];
  assert.deepEqual(message, { type: "region_stroke", index: 1, shape: [8, 8] });
  const mask = new Uint8Array(buffers[0]);
  assert.equal(mask.length, 64);
  assert.deepEqual(Array.from(mask.subarray(0, 8)), [1, 1, 1, 1, 0, 0, 0, 0]);
  assert.equal(count(mask), 4);
  // the eraser: a second stroke starts from the mask shown
  panel.el.querySelector('[data-testid="brush-erase"]').click();
  canvas.dispatchEvent(pointer("pointerdown", 5, 5));
  canvas.dispatchEvent(pointer("pointerup", 5, 5));
  assert.equal(count(new Uint8Array(sent[1].buffers[0])), 3);
  panel.el.querySelector('[data-testid="region-clear"]').click();
  assert.deepEqual(sent[2].message, { type: "region_clear" });
  panel.destroy();
});

test("the trust table prints each number with what a good value looks like; a failed sanity check shows", async () => {
  assert.equal(cellText("pointing_game", true), "hit");
  assert.equal(cellText("randomization", 0.93), "0.93 fails");
  assert.equal(cellText("randomization", 0.12), "0.12");
  assert.equal(cellText("relevance_mass", null), "n/a");
  const f32 = (values, shape) => ({ view: new DataView(new Float32Array(values).buffer), dtype: "float32", shape });
  const model = fakeModel({
    trust_rows: [
      { method: "saliency", label: "<b>Saliency</b>", deletion_auc: 0.12, randomization: 0.95, pointing_game: false },
      { method: "gradcam", label: "Grad-CAM", deletion_auc: 0.3, randomization: 0.1, pointing_game: true },
    ],
    trust_info: { index: 0, region: true, captions: { deletion_auc: "lower is better" },
      fractions: f32([0, 0.5, 1], [3]), deletion: f32([1, 0.5, 0, 1, 0.8, 0], [2, 3]), insertion: f32([0, 0.5, 1, 0, 0.2, 1], [2, 3]),
      sanity: [
        { heatmap: f32([0, 1, -1, 0.5], [2, 2]), info: { scale: 1, signed: true, label: "<b>Saliency</b>", correlation: 0.95, layers: 2 } },
        { heatmap: f32([1, 0, 0, 0], [2, 2]), info: { scale: 1, signed: false, label: "Grad-CAM", correlation: 0.1, layers: 2 } },
      ] },
    feedback_info: {}, images: [],
  });
  const sent = [];
  model.send = (message) => sent.push(message);
  const panel = trustPanel(model);
  panel.render();
  const cells = [...panel.el.querySelectorAll("td")];
  assert.equal(cells.length, 6);
  const fail = panel.el.querySelector('tr[data-method="saliency"] td[data-key="randomization"]');
  assert.equal(fail.textContent, "0.95 fails");
  assert.equal(fail.className, "xw-fail");
  assert.equal(panel.el.querySelector('tr[data-method="gradcam"] td[data-key="pointing_game"]').textContent, "hit");
  // user text is text, never markup
  assert.equal(panel.el.querySelector('tr[data-method="saliency"] th').textContent, "<b>Saliency</b>");
  assert.equal(panel.el.querySelectorAll("b").length, 0);
  assert.ok(panel.el.textContent.includes("lower is better"));
  assert.equal(panel.el.querySelectorAll("polyline").length, 4); // deletion + insertion per method
  // the legend: each label as text in the widget's text colour, its curve's colour on a swatch
  // (coloured text was unreadable over a dark theme)
  const keys = [...panel.el.querySelectorAll(".xw-trust-legend > span")];
  assert.deepEqual(keys.map((k) => k.textContent), ["<b>Saliency</b>", "Grad-CAM"]);
  assert.deepEqual(keys.map((k) => k.style.color), ["", ""]);
  const strokes = [...panel.el.querySelectorAll("polyline")].map((l) => l.getAttribute("stroke"));
  assert.deepEqual(keys.map((k) => k.querySelector(".xw-swatch").style.background), [strokes[0], strokes[2]]);
  for (let i = 0; i < 5; i++) await flush(); // the sanity pictures are drawn after their images decode
  const figures = [...panel.el.querySelectorAll('[data-testid="trust-sanity"] figure')];
  assert.equal(figures.length, 2);
  assert.ok(figures[0].classList.contains("xw-fail"));
  assert.ok(!figures[1].classList.contains("xw-fail"));
  assert.match(figures[0].textContent, /^<b>Saliency<\/b> after randomising the top 2 layers: rank correlation 0.95 \(fails/);
  assert.match(figures[1].textContent, /passes/);
  panel.el.querySelector('[data-testid="trust-evaluate"]').click();
  panel.el.querySelector('[data-testid="feedback-train"]').click();
  assert.deepEqual(sent, [{ type: "trust" }, { type: "train_feedback" }]);
});

test("the feedback scope in words: the regions painted versus where training applies them", () => {
  assert.equal(scopeText("each", 3, 3, 3, true), "Region of 3 images, applied to each of them.");
  assert.equal(scopeText("each", 1, 3, 3, true),
    "Region of 1 image, applied to that image only; the other 2 images train without a penalty (cross-entropy only).");
  assert.equal(scopeText("all", 3, 5, 200, false),
    "Union of the regions on 3 images, applied to all 200 training images (the data of use_feedback_data).");
  assert.equal(scopeText("all", 1, 3, 3, true), "Region of 1 image, applied to all 3 training images.");
  assert.match(scopeText("each", 2, 3, 200, false), /not possible with the data of use_feedback_data/);
  assert.match(scopeText("all", 0, 3, 3, true), /^No region painted yet/);
  const mask = new Uint8Array(3 * 2 * 2);
  mask[1] = 1; // image 0
  mask[8 + 3] = 1; // image 2
  assert.deepEqual(paintedImages({ view: new DataView(mask.buffer), dtype: "uint8", shape: [3, 2, 2] }), [2, 3]);
  assert.deepEqual(paintedImages(undefined), [0, 0]);
});

test("the scope switch sets the trait and says what it applies; it sends nothing to compute", async () => {
  const mask = new Uint8Array(3 * 4 * 4);
  mask[0] = 1;
  mask[16 + 5] = 1; // images 0 and 1 painted, image 2 not
  const model = fakeModel({ images: [], image_sizes: [[4, 4], [4, 4], [4, 4]], index: 0, shown: { index: 0 },
    region_masks: { view: new DataView(mask.buffer), dtype: "uint8", shape: [3, 4, 4], version: 1 },
    trust_rows: [], trust_info: {}, feedback_info: {}, feedback_scope: "each", feedback_data: {} });
  const cleanups = [];
  const listen = (event, fn) => { model.on(event, fn); cleanups.push(() => model.off(event, fn)); };
  const view = trustView(model, listen, (fn) => queueMicrotask(fn));
  const select = view.el.querySelector('[data-testid="feedback-scope"]');
  const caption = () => view.el.querySelector('[data-testid="feedback-scope-text"]').textContent;
  assert.equal(select.value, "each");
  assert.equal(caption(), "Region of 2 images, applied to each of them; the other image trains without a penalty (cross-entropy only).");
  userInput(select, "all", "change");
  assert.equal(model.get("feedback_scope"), "all");
  assert.equal(model.saves, 1);
  assert.deepEqual(model.sent, []); // no computation until Train
  await flush();
  assert.equal(caption(), "Union of the regions on 2 images, applied to all 3 training images.");
  // Python's use_feedback_data: other data, "all"; "each" cannot be chosen there
  model.set("feedback_data", { rows: 200 });
  await flush();
  assert.equal(caption(), "Union of the regions on 2 images, applied to all 200 training images (the data of use_feedback_data).");
  assert.equal(select.options[0].disabled, true);
  // a new stroke (region_masks from Python) updates the count
  mask[32] = 1;
  model.set("region_masks", { view: new DataView(mask.buffer), dtype: "uint8", shape: [3, 4, 4], version: 2 });
  await flush();
  assert.match(caption(), /^Union of the regions on 3 images/);
  // after training, the result says what was applied
  model.set("feedback_info", { epochs: 5, rows: 200, strength: 2, validation: false, relevance_mass: {},
    scope: "all", painted: 3, images: 3, own: false, index: 0 });
  for (let i = 0; i < 3; i++) await flush();
  assert.match(view.el.querySelector('[data-testid="feedback-text"]').textContent,
    /Trained with: Union of the regions on 3 images, applied to all 200 training images/);
  view.destroy();
  for (const off of cleanups) off();
});
