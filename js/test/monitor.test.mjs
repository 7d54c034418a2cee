import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCurves, decodeFrames, formatDrift, shownIndex, stateText, timeline } from "../src/monitor/monitor_logic.js";
import { drawTimeline } from "../src/monitor/probes_panel.js";
import view from "../src/monitor/training_monitor.js";

const f32 = (values, shape) => ({ view: new DataView(new Float32Array(values).buffer), dtype: "float32", shape });

// 3 recorded epochs (0, 2, 4), 2 probes of 2x2, 3 classes
const EPOCHS = [0, 2, 4];
const PROBS = [
  [0.2, 0.5, 0.3, /* probe 1 */ 0.4, 0.3, 0.3],
  [0.1, 0.8, 0.1, /* probe 1 */ 0.3, 0.3, 0.4],
  [0.05, 0.9, 0.05, /* probe 1 */ 0.2, 0.7, 0.1],
];
function frames() {
  const heat = [];
  for (let e = 0; e < 3; e++) for (let n = 0; n < 2; n++) heat.push(e / 2, -1, n, 0.5);
  return {
    heatmaps: f32(heat, [3, 2, 2, 2]),
    scales: f32([1, 2, 3, 4, 5, 6], [3, 2]),
    probabilities: f32(PROBS.flat(), [3, 2, 3]),
    targets: f32([1, 2, 1, 2, 1, 2], [3, 2]),
    drift: f32([-2, -2, 0.5, 0.25, 0.75, -2], [3, 2]),
    drift_final: f32([0.1, 0.2, 0.3, 0.4, 1, 1], [3, 2]),
    seconds: f32([0.1, 0.01, 0.01], [3]),
  };
}
const curves = () => ({
  epochs: f32([1, 2, 3, 4], [4]),
  series: { val_loss: f32([2, 1.5, Infinity, 1], [4]), loss: f32([2.2, 1.4, 1.1, 0.9], [4]), accuracy: f32([0.2, 0.5, 0.7, 0.8], [4]) },
});
const state = (extra = {}) => ({
  images: [], image_size: [2, 2], labels: [1, 2], class_names: ["cat", "<b>dog</b>", "<img src=x onerror=alert(1)>"],
  method_label: "Grad-CAM", signed: false, probability_kind: "probability", every: 2,
  epochs: EPOCHS, frames: frames(), curves: curves(), state: "training", epochs_done: 4, total_epochs: 10,
  error: "", epoch: -1, opacity: 0.6, colormap: "auto", height: 560, ...extra,
});

test("frames decode per epoch and probe; -2 drift is 'not defined'", () => {
  const data = decodeFrames(frames());
  assert.equal(data.count, 3);
  assert.equal(data.probes, 2);
  assert.deepEqual(Array.from(data.heatmap(2, 1)), [1, -1, 1, 0.5]);
  assert.equal(data.scale(1, 1), 4);
  assert.deepEqual(Array.from(data.probabilities(1, 0)).map((v) => +v.toFixed(2)), [0.1, 0.8, 0.1]);
  assert.equal(data.drift(0, 0), null);
  assert.equal(data.drift(1, 1), 0.25);
  assert.equal(formatDrift(data.drift(0, 0)), "–");
  assert.equal(formatDrift(data.drift(2, 0)), "0.75");
  assert.equal(decodeFrames({}), null);
});

test("the shown epoch: -1 follows the latest, else the recorded epoch's index", () => {
  assert.equal(shownIndex(EPOCHS, -1), 2);
  assert.equal(shownIndex(EPOCHS, 2), 1);
  assert.equal(shownIndex(EPOCHS, 0), 0);
  assert.equal(shownIndex([], -1), -1);
});

test("timeline: the true class's probability, and since when the prediction stays right", () => {
  const data = decodeFrames(frames());
  const first = timeline(data, EPOCHS, 0, 1);
  assert.deepEqual(first.points.map((p) => p.right), [true, true, true]);
  assert.equal(first.since, 0);
  const second = timeline(data, EPOCHS, 1, 2); // right only at epoch 2, wrong at the end
  assert.deepEqual(second.points.map((p) => p.right), [false, true, false]);
  assert.equal(second.since, null);
  const unlabelled = timeline(data, EPOCHS, 1, -1);
  assert.deepEqual(unlabelled.points.map((p) => p.right), [null, null, null]);
  assert.ok(Math.abs(unlabelled.points[2].p - 0.7) < 1e-6, "the predicted class's probability");
  const canvas = document.createElement("canvas");
  canvas.width = 30;
  canvas.height = 10;
  drawTimeline(canvas, first.points, 1);
  const fills = canvas.getContext("2d").calls.filter((c) => c[0] === "fillRect");
  assert.equal(fills.length, 3);
  assert.equal(canvas.dataset.shown, "1");
});

test("curves: losses first, a missing value (sent as Infinity) is null", () => {
  const c = decodeCurves(curves());
  assert.deepEqual(c.epochs, [1, 2, 3, 4]);
  assert.deepEqual(c.series.map((s) => s.name), ["loss", "val_loss", "accuracy"]);
  assert.equal(c.series[1].values[2], null);
  assert.match(stateText("stopped", 3, 10, 2), /Stopped by the Stop button after epoch 3 of 10/);
});

test("the view draws every probe with its classes as text, curves and the scrubber at the latest", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  const cleanup = view.render({ model, el });
  await flush();
  const root = el.querySelector("[data-testid=training-monitor]");
  assert.equal(root.dataset.epoch, "4");
  assert.equal(root.dataset.recorded, "3");
  const probes = el.querySelectorAll("[data-testid=probe]");
  assert.equal(probes.length, 2);
  const label = probes[0].querySelector("[data-testid=probe-label]");
  assert.equal(probes[0].querySelector("[data-testid=probe-truth]").textContent, "true <b>dog</b>");
  assert.equal(label.textContent, "predicted <b>dog</b> 90.0%");
  assert.equal(label.querySelector("b"), null, "class names are text, never markup");
  assert.equal(el.querySelector("img"), null);
  assert.equal(probes[0].dataset.right, "true");
  assert.equal(probes[1].dataset.right, "false");
  assert.equal(probes[0].querySelector("[data-testid=since]").textContent, "right since epoch 0");
  assert.match(probes[0].querySelector("[data-testid=drift]").textContent, /ρ prev 0.75 · final 1.00/);
  const scrubber = el.querySelector("[data-testid=scrubber]");
  assert.equal(scrubber.max, "2");
  assert.equal(scrubber.value, "2");
  assert.equal(el.querySelector("[data-testid=epoch-label]").textContent, "4 of 10");
  const charts = el.querySelectorAll("[data-testid=curves]");
  assert.equal(charts.length, 2);
  assert.ok(charts[0].querySelector("polyline[data-series=val_loss]"));
  assert.equal(charts[0].querySelector("[data-testid=curve-marker]").getAttribute("data-epoch"), "4");
  // `height` is a least height: the view grows to show every probe, never clips them
  assert.equal(root.style.minHeight, "560px");
  assert.equal(root.style.height, "");
  model.set("height", 600);
  assert.equal(root.style.minHeight, "600px");
  cleanup();
  assert.equal(model.listenerCount(), 0);
});

test("scrubbing and opacity are drawn here: no message, no request, only a debounced save", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  view.render({ model, el });
  await flush();
  const scrubber = el.querySelector("[data-testid=scrubber]");
  userInput(scrubber, 1);
  await flush();
  assert.equal(model.get("epoch"), 2);
  const root = el.querySelector("[data-testid=training-monitor]");
  assert.equal(root.dataset.epoch, "2");
  const label = el.querySelectorAll("[data-testid=probe-label]")[1];
  assert.match(label.textContent, /predicted <img src=x onerror=alert\(1\)> 40.0%/);
  userInput(scrubber, 2); // the last position follows new epochs
  assert.equal(model.get("epoch"), -1);
  userInput(el.querySelector("[data-testid=opacity]"), 0.3);
  assert.equal(model.get("opacity"), 0.3);
  assert.deepEqual(model.sent, []);
  assert.equal(model.saves, 0, "saved later, debounced");
});

test("Stop sends one message and is offered only while training", async () => {
  const model = fakeModel(state());
  const el = document.createElement("div");
  view.render({ model, el });
  await flush();
  const stop = el.querySelector("[data-testid=stop]");
  assert.equal(stop.hidden, false);
  stop.dispatchEvent(new window.Event("click"));
  assert.deepEqual(model.sent, [{ type: "stop" }]);
  assert.equal(stop.disabled, true);
  model.set("state", "stopped");
  await flush();
  assert.equal(stop.hidden, true);
  assert.match(el.querySelector("[data-testid=state]").textContent, /Stopped by the Stop button/);
});

test("before training: a waiting line, no probes recorded, an error shown in place", async () => {
  const model = fakeModel(state({ epochs: [], frames: {}, curves: {}, state: "waiting", epochs_done: 0, total_epochs: 0 }));
  const el = document.createElement("div");
  view.render({ model, el });
  await flush();
  assert.match(el.querySelector("[data-testid=state]").textContent, /Waiting for training/);
  assert.match(el.querySelector("[data-testid=probe-label]").textContent, /not recorded yet/);
  model.set("error", "The probes do not fit the model: <b>x</b>");
  await flush();
  const error = el.querySelector("[data-testid=error]");
  assert.equal(error.hidden, false);
  assert.equal(error.textContent, "The probes do not fit the model: <b>x</b>");
});

test("monitor: an epoch appended from the kernel's message equals the whole recording decoded", async () => {
  const { appendFrame, decodeFrames } = await import("../src/monitor/monitor_logic.js");
  const f32 = (values, shape) => ({ view: new DataView(new Float32Array(values).buffer), dtype: "float32", shape });
  // 2 probes, 2x1 maps, 3 classes; epochs: 2 whole, then a third
  const heat = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, -1, -0.5];
  const probs = [0.2, 0.3, 0.5, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.4, 0.4, 0.2, 0.3, 0.3, 0.4, 0.9, 0.05, 0.05];
  const whole = (e) => ({
    heatmaps: f32(heat.slice(0, e * 4), [e, 2, 2, 1]), scales: f32([1, 2, 3, 4, 5, 6].slice(0, e * 2), [e, 2]),
    probabilities: f32(probs.slice(0, e * 6), [e, 2, 3]), targets: f32([0, 1, 0, 1, 2, 0].slice(0, e * 2), [e, 2]),
    drift: f32([-2, -2, 0.5, 0.4, 0.7, 0.1].slice(0, e * 2), [e, 2]), drift_final: f32([0.1, 0.2, 0.3, 0.4, 1, 1].slice(0, e * 2), [e, 2]),
  });
  const three = whole(3);
  const newest = {
    heatmaps: heat.slice(8), scales: [5, 6], probabilities: probs.slice(12), targets: [2, 0], drift: [0.7, 0.1],
    drift_final: [0.1, 0.2, 0.3, 0.4, 1, 1], seconds: [0.01],
  };
  const shapes = { heatmaps: [1, 2, 2, 1], scales: [1, 2], probabilities: [1, 2, 3], targets: [1, 2], drift: [1, 2], drift_final: [3, 2], seconds: [1] };
  const order = Object.keys(newest);
  const content = { type: "frame", count: 3, order, arrays: Object.fromEntries(order.map((k) => [k, { dtype: "float32", shape: shapes[k] }])) };
  const buffers = order.map((k) => new DataView(new Float32Array(newest[k]).buffer));
  const appended = appendFrame(decodeFrames(whole(2)), content, buffers);
  const direct = decodeFrames(three);
  assert.equal(appended.count, 3);
  for (let e = 0; e < 3; e++) {
    for (let n = 0; n < 2; n++) {
      assert.deepEqual(Array.from(appended.heatmap(e, n)), Array.from(direct.heatmap(e, n)));
      assert.deepEqual(Array.from(appended.probabilities(e, n)), Array.from(direct.probabilities(e, n)));
      assert.equal(appended.target(e, n), direct.target(e, n));
      assert.equal(appended.drift(e, n), direct.drift(e, n));
      assert.equal(appended.driftFinal(e, n), direct.driftFinal(e, n));
    }
  }
  // a message that does not follow what the view has (it joined late) is ignored
  const one = decodeFrames(whole(1));
  assert.equal(appendFrame(one, content, buffers), one);
});
