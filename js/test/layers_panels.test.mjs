// The LayerBrowser's panels, each built alone with fake data: what it shows and what it asks.
import { flush, userInput } from "./dom_env.mjs";
import { DECISION_PATH, ROWS, gradcamFor, spatialLayer, u8, vectorLayer } from "./layers_fixture.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeActivation, readActivation, selectedChannel } from "../src/layers/layer_data.js";
import { layerList } from "../src/layers/layer_list.js";
import { layerTitle } from "../src/layers/layer_title.js";
import { pathPanel } from "../src/layers/path_panel.js";
import { layerControls, opacityControl } from "../src/layers/view_controls.js";
import { channelsPanel } from "../src/layers/channels_panel.js";
import { enlargedPanel } from "../src/layers/enlarged_panel.js";
import { gradcamPanel } from "../src/layers/gradcam_panel.js";
import { histogramPanel } from "../src/layers/histogram_panel.js";
import { weightsPanel } from "../src/layers/weights_panel.js";

const spatial = () => { const l = spatialLayer(); return decodeActivation(l.activation, l.activation_info); };
const vector = () => { const l = vectorLayer(); return decodeActivation(l.activation, l.activation_info); };
const texts = (nodes) => [...nodes].map((n) => n.textContent);
const recorder = () => { const calls = []; const fn = (...args) => calls.push(args); fn.calls = calls; return fn; };
const keydown = (el, key) => el.dispatchEvent(Object.assign(new window.Event("keydown"), { key }));
const drawn = (canvas) => canvas.getContext("2d").calls;

test("layer data: decoded per channel; an unreadable payload says why; the channel is checked", () => {
  const act = spatial();
  assert.equal(act.kind, "spatial");
  assert.equal(act.channels, 4);
  assert.deepEqual(act.shape, [6, 6, 4]);
  assert.equal(decodeActivation({}, {}), null, "no data yet");
  const bad = readActivation({ view: new DataView(new ArrayBuffer(3)), dtype: "uint8", shape: [6, 6, 4] }, spatialLayer().activation_info);
  assert.equal(bad.act, null);
  assert.match(bad.error, /needs 144 bytes, got 3/);
  assert.deepEqual([selectedChannel(3, act), selectedChannel(4, act), selectedChannel(-1, act), selectedChannel(1, null)], [3, -1, -1, -1]);
});

test("layer list: one row per layer, nesting, branches and merges; markup in names stays text", () => {
  const pick = recorder();
  const list = layerList({ pick });
  list.setRows(ROWS);
  const rows = list.el.querySelectorAll("[data-testid=layer-row]");
  assert.deepEqual([...rows].map((r) => r.dataset.path), ROWS.map((r) => r.path));
  const row = (path) => list.el.querySelector(`[data-path='${path}']`);
  assert.equal(row("block/conv2").querySelector("b"), null, "a layer name is text, never markup");
  assert.equal(row("block/conv2").querySelector(".xw-layer-name").textContent, "<b>conv2</b>");
  assert.equal(row("block/conv2").style.paddingLeft, "20px"); // depth 1
  assert.ok(row("add").classList.contains("xw-merge"));
  assert.equal(row("add").querySelector(".xw-link").textContent, "← conv1 + block");
  assert.ok(row("side").classList.contains("xw-branch"));
  assert.equal(row("side").querySelector(".xw-link").textContent, "← conv1");
  assert.equal(row("dense").querySelector(".xw-layer-params").textContent, "1.5M");
  assert.equal(row("conv1").querySelector(".xw-layer-meta").textContent, "Conv2D · 6×6×4");
  assert.ok(row("block").classList.contains("xw-model") && row("block").classList.contains("xw-fixed"));
  row("input").click();
  row("block").click();
  assert.deepEqual(pick.calls, [], "inputs and nested models are not selectable");
  row("dense").click();
  keydown(row("side"), "Enter");
  assert.deepEqual(pick.calls, [["dense"], ["side"]]);
  list.select("side");
  assert.deepEqual([...rows].filter((r) => r.classList.contains("xw-active")).map((r) => r.dataset.path), ["side"]);
  assert.equal(row("side").getAttribute("aria-selected"), "true");
  assert.equal(row("conv1").getAttribute("aria-selected"), "false");
});

test("layer title: name, kind, shape, parameters and the kernel's note, as text", () => {
  const title = layerTitle();
  title.update({ row: ROWS[3], layer: "block/conv2", note: "scores before the final <softmax>" });
  assert.equal(title.el.querySelector("strong").textContent, "<b>conv2</b>");
  assert.equal(title.el.querySelector("b"), null);
  assert.equal(title.el.querySelector(".xw-value").textContent, "Conv2D · 6×6×4 · 148 params");
  assert.equal(title.el.querySelector(".xw-hint").textContent, " (scores before the final <softmax>)");
  title.update({ row: undefined, layer: "somewhere/else" });
  assert.equal(title.el.textContent, "somewhere/else");
});

test("decision path: steps with signed chips; a step picks its layer, a chip its channel", () => {
  const pick = recorder();
  const path = pathPanel({ pick });
  const rows = new Map(ROWS.map((r) => [r.path, r]));
  path.update({ steps: DECISION_PATH, rows, layer: "conv1", channel: 1 });
  const steps = path.el.querySelectorAll("[data-testid=path-step]");
  assert.deepEqual([...steps].map((s) => s.dataset.layer), ["conv1", "dense"]);
  assert.ok(steps[0].classList.contains("xw-active") && !steps[1].classList.contains("xw-active"));
  assert.deepEqual(texts(steps[0].querySelectorAll(".xw-step-kind")), ["Conv2D Σ +0.65"]);
  const chips = path.el.querySelectorAll("[data-testid=path-channel]");
  assert.deepEqual(texts(chips), ["#2 +0.7", "#1 +0.1", "#0 -0.3"]);
  assert.deepEqual([...chips].map((c) => c.className), ["xw-chip xw-pos", "xw-chip xw-pos xw-active", "xw-chip xw-neg"]);
  chips[2].click(); // the chip alone: its step's click does not fire too
  steps[0].click();
  keydown(steps[1], " ");
  assert.deepEqual(pick.calls, [["dense", 0], ["conv1", null], ["dense", null]]);
  path.update({ steps: [], rows, layer: "conv1", channel: -1 });
  assert.equal(path.el.querySelector(".xw-path").textContent, "(no layers with weights)");
});

test("controls: hidden without data; the count is clamped to the layer; inputs only report", () => {
  const [order, count, gradcam] = [recorder(), recorder(), recorder()];
  const controls = layerControls({ order, count, gradcam });
  controls.update({ act: null, order: "mean", count: 32 });
  assert.equal(controls.el.hidden, true);
  controls.update({ act: spatial(), order: "contribution", count: 32 });
  const q = (id) => controls.el.querySelector(`[data-testid=${id}]`);
  assert.equal(controls.el.hidden, false);
  assert.deepEqual([q("count").max, q("count").value, q("order").value], ["4", "4", "contribution"]);
  assert.equal(controls.el.querySelector(".xw-value").textContent, "4 of 4");
  assert.equal(q("gradcam").disabled, false);
  userInput(q("count"), 2);
  userInput(q("order"), "mean", "change");
  q("gradcam").click();
  assert.deepEqual([count.calls, order.calls, gradcam.calls.length], [[[2]], [["mean"]], 1]);
  controls.update({ act: vector(), order: "mean", count: 2 });
  assert.equal(q("gradcam").disabled, true, "Grad-CAM needs a spatial layer");
  assert.equal(controls.el.querySelector(".xw-value").textContent, "2 of 3");
  const opacity = recorder();
  const slider = opacityControl(opacity);
  slider.update(0.3);
  assert.equal(slider.el.querySelector(".xw-value").textContent, "30%");
  userInput(slider.el.querySelector("input"), 0.75);
  assert.deepEqual(opacity.calls, [[0.75]]);
});

test("channels: the first `count` by mean or by contribution, two-digit labels; a click toggles", () => {
  const pick = recorder();
  const channels = channelsPanel({ pick });
  const act = spatial();
  channels.show(act);
  channels.update({ order: "mean", count: 32, channel: -1 });
  const tiles = () => channels.el.querySelectorAll("figure.xw-channel");
  assert.deepEqual(texts(channels.el.querySelectorAll("figcaption")), ["#1 1.5", "#0 0.5", "#3 0.2", "#2 0.1"]);
  assert.equal(channels.el.querySelectorAll("canvas[data-testid=channel]").length, 4);
  channels.update({ order: "contribution", count: 2, channel: 2 });
  assert.deepEqual(texts(channels.el.querySelectorAll("figcaption")), ["#2 +0.7", "#1 +0.1"]);
  assert.deepEqual([...tiles()].map((t) => t.classList.contains("xw-active")), [true, false]);
  tiles()[0].click(); // the enlarged one again: close it
  tiles()[1].click();
  assert.deepEqual(pick.calls, [[-1], [1]]);
  const canvas = channels.el.querySelector("canvas[data-channel='2']");
  assert.deepEqual([canvas.width, canvas.height, canvas.style.width], [6, 6, "56px"]);
  assert.equal(channels.el.querySelector("[data-testid=channel-grid]").hidden, false);
  assert.equal(channels.el.querySelector(".xw-vector").hidden, true);
  channels.show(null, "decodeArray: bad bytes");
  channels.update({ order: "mean", count: 32, channel: -1 });
  const note = channels.el.querySelector(".xw-hint");
  assert.equal(note.hidden, false);
  assert.equal(note.textContent, "Could not read this layer's data: decodeArray: bad bytes");
  assert.equal(tiles().length, 0);
});

test("channels: a vector layer's units as bars, named by class on the canvas (never in the DOM)", () => {
  const channels = channelsPanel({ pick: recorder() });
  channels.show(vector());
  channels.update({ order: "mean", count: 32, channel: -1 });
  const units = channels.el.querySelector("canvas[data-testid=units]");
  assert.equal(channels.el.querySelector("[data-testid=channel-grid]").hidden, true);
  assert.equal(units.dataset.count, "3");
  const names = drawn(units).filter(([name]) => name === "fillText").map(([, text]) => text);
  assert.deepEqual(names.slice(-3), ["<i>dog</i>", "fish", "cat"], "ranked by value, labelled by class");
  assert.equal(channels.el.querySelector("i"), null);
  assert.equal(channels.el.querySelector(".xw-vector .xw-hint").textContent, "3 of 3 units, sorted by value; bars show the value.");
  const before = drawn(units).length;
  channels.update({ order: "mean", count: 32, channel: 1 });
  assert.equal(drawn(units).length, before, "picking a channel does not redraw the bars");
  channels.update({ order: "contribution", count: 2, channel: 1 });
  assert.equal(units.dataset.count, "2");
  assert.equal(channels.el.querySelector(".xw-vector .xw-hint").textContent, "2 of 3 units, sorted by contribution to the class; bars show the value.");
});

test("enlarged channel: a hint until one is picked, then the map over the image with its colorbar", () => {
  const panel = enlargedPanel();
  const act = spatial();
  const q = (id) => panel.el.querySelector(`[data-testid=${id}]`);
  panel.update({ act, channel: -1, base: null, opacity: 0.6 });
  assert.equal(panel.el.hidden, false);
  assert.equal(q("enlarged").hidden, true);
  assert.equal(panel.el.querySelector(".xw-hint").textContent, "Click a channel to see it over the image.");
  assert.equal(panel.showsChannel(), false);
  panel.update({ act, channel: 1, base: { width: 24, height: 24 }, opacity: 0.6 });
  assert.equal(panel.showsChannel(), true);
  assert.match(q("enlarged-caption").textContent, /^Channel 1 \(6×6 map over the image\): mean 1\.5, contribution \+0\.1; colour: \|value\|$/);
  assert.deepEqual([q("enlarged").width, q("enlarged").style.width], [240, "240px"], "stretched over the 24 px image, zoom 10");
  assert.equal(q("enlarged-colorbar").dataset.lo, "0");
  const calls = drawn(q("enlarged")).length;
  panel.composite(0.2);
  assert.ok(drawn(q("enlarged")).length > calls, "opacity re-composites");
  panel.update({ act: vector(), channel: 1, base: null, opacity: 0.6 });
  assert.equal(panel.el.hidden, true, "only spatial layers are enlarged");
});

test("Grad-CAM: only the selected layer's, caption as text; hide asks; revealed once after our request", async () => {
  const [clear, reveal] = [recorder(), recorder()];
  const panel = gradcamPanel({ clear, reveal });
  const { gradcam: payload, gradcam_info: info } = gradcamFor("conv1");
  panel.update({ payload: {}, info: {}, layer: "conv1", base: null, opacity: 0.6 });
  assert.equal(panel.el.hidden, true);
  panel.update({ payload, info, layer: "dense", base: null, opacity: 0.6 });
  assert.equal(panel.el.hidden, true, "another layer's map would be read as this one's");
  panel.revealNext();
  panel.update({ payload, info, layer: "conv1", base: null, opacity: 0.6 });
  assert.equal(panel.el.hidden, false);
  const caption = panel.el.querySelector("[data-testid=gradcam-caption]");
  assert.equal(caption.textContent, "Grad-CAM at conv1 for <b>dog</b>");
  assert.equal(caption.querySelector("b"), null);
  assert.equal(panel.el.querySelector("[data-testid=gradcam-colorbar]").dataset.lo, "0", "unsigned: the scale starts at 0");
  panel.update({ payload, info, layer: "conv1", base: null, opacity: 0.6 });
  await flush();
  assert.deepEqual(reveal.calls, [[panel.el]], "scrolled into view once, for the answer to our request");
  panel.el.querySelector("[data-testid=gradcam-clear]").click();
  assert.equal(clear.calls.length, 1);
});

test("histogram: every value of the layer in 40 bins, and the note says which layer", () => {
  const panel = histogramPanel();
  panel.update({ act: null, layer: "conv1" });
  assert.equal(panel.el.hidden, true);
  panel.update({ act: spatial(), layer: "conv1" });
  assert.equal(panel.el.hidden, false);
  const note = panel.el.querySelector("[data-testid=histogram-note]");
  assert.equal(note.textContent, "144 values of conv1, 40 bins from -0.98 to 2.");
  const bars = drawn(panel.el.querySelector("canvas")).filter(([name, , , width]) => name === "fillRect" && width > 1 && width < 20);
  assert.equal(bars.length, 40);
  panel.update({ act: vector(), layer: "dense" });
  assert.equal(note.textContent, "3 values of dense, 40 bins from -0.84 to 1.6.");
});

test("weights: a conv layer's kernels follow the channel; a dense matrix; RGB kernels pick a channel", () => {
  const pick = recorder();
  const panel = weightsPanel({ pick });
  const note = () => panel.el.querySelector(".xw-hint").textContent;
  const conv = spatialLayer();
  panel.update({ payload: conv.weights, info: conv.weights_info, channel: -1 });
  assert.equal(panel.el.hidden, false);
  assert.equal(note(), "Kernels of channel 0 over its 2 input channels (3×3). Click a channel to see its kernels.");
  assert.equal(panel.el.querySelectorAll("canvas.xw-kernel").length, 2);
  assert.equal(panel.el.querySelector("[data-testid=weights-colorbar]").dataset.cmap, "RdBu");
  panel.setChannel(2);
  assert.equal(note(), "Kernels of channel 2 over its 2 input channels (3×3).");
  const dense = vectorLayer();
  panel.update({ payload: dense.weights, info: dense.weights_info, channel: -1 });
  assert.equal(note(), "Matrix: 4 inputs (rows) × 3 units (columns).");
  const matrix = panel.el.querySelector("canvas.xw-matrix");
  panel.setChannel(1);
  assert.equal(panel.el.querySelector("canvas.xw-matrix"), matrix, "a dense matrix does not depend on the channel");
  const rgbInfo = { kind: "conv", shape: [4, 2, 2, 3], lo: -1, hi: 1, rgb: true };
  panel.update({ payload: u8(new Array(48).fill(9), [4, 2, 2, 3]), info: rgbInfo, channel: 3 });
  assert.equal(note(), "4 of 4 kernels (2×2, RGB input), one shared range: grey = 0. Click one to see its channel.");
  assert.ok(panel.el.querySelector("canvas.xw-kernel[data-channel='3']").classList.contains("xw-active"));
  assert.equal(panel.el.querySelector(".xw-colorbar-box").hidden, true, "RGB kernels have no colour scale");
  panel.el.querySelector("canvas.xw-kernel[data-channel='1']").click();
  assert.deepEqual(pick.calls, [[1]]);
  panel.update({ payload: {}, info: { kind: "none" }, channel: -1 });
  assert.equal(panel.el.hidden, true);
  panel.update({ payload: u8([1, 2, 3], [4, 3]), info: dense.weights_info, channel: -1 });
  assert.equal(panel.el.hidden, true, "unreadable weights are not shown");
});

test("the title says when the maps on screen are still another layer's", async () => {
  const { layerTitle } = await import("../src/layers/layer_title.js");
  const title = layerTitle();
  title.update({ row: { name: "conv2", kind: "Conv2D", output_shape: [null, 4, 4, 8], params: 10 }, layer: "conv2", note: "n", shown: "conv1" });
  assert.match(title.el.textContent, /\(asked; still showing conv1\)$/);
  assert.doesNotMatch(title.el.textContent, /\(n\)/);
  title.update({ row: { name: "conv2", kind: "Conv2D", output_shape: [null, 4, 4, 8], params: 10 }, layer: "conv2", note: "n", shown: "conv2" });
  assert.doesNotMatch(title.el.textContent, /still showing/);
  assert.match(title.el.textContent, /\(n\)$/);
});
