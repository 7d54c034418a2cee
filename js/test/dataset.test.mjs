import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { rowShares } from "../src/common/confusion.js";
import { cellRows, confusionCounts, decodeInts, keyText, pageOf, selectionRows, sortRows, thumbRGBA } from "../src/dataset/dataset_logic.js";
import view from "../src/dataset/dataset_explorer.js";

function rand(seed) {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}
const ints = (values) => ({ view: new DataView(new Int32Array(values).buffer), dtype: "int32", shape: [values.length] });
const f32 = (values, shape) => ({ view: new DataView(new Float32Array(values).buffer), dtype: "float32", shape });
const u8 = (values, shape) => ({ view: new DataView(new Uint8Array(values).buffer), dtype: "uint8", shape });
function f16(values, shape) { // only 0, ±0.5 and ±1 here: exact half bits
  const bits = { 0: 0, 1: 0x3c00, "-1": 0xbc00, 0.5: 0x3800, "-0.5": 0xb800 };
  return { view: new DataView(new Uint16Array(values.map((v) => bits[v])).buffer), dtype: "float16", shape };
}

test("confusion counts, row shares and cells equal a brute-force count", () => {
  const r = rand(7);
  const n = 500, k = 6;
  const y = Int32Array.from({ length: n }, () => Math.floor(r() * k));
  const p = Int32Array.from({ length: n }, () => Math.floor(r() * k));
  const counts = confusionCounts(y, p, k);
  const shares = rowShares(counts, k);
  for (let t = 0; t < k; t++) {
    const rowTotal = [...y].filter((v) => v === t).length;
    for (let q = 0; q < k; q++) {
      const brute = [];
      for (let i = 0; i < n; i++) if (y[i] === t && p[i] === q) brute.push(i);
      assert.equal(counts[t * k + q], brute.length);
      assert.deepEqual([...cellRows(y, p, t, q)], brute);
      assert.ok(Math.abs(shares[t * k + q] - brute.length / rowTotal) < 1e-6);
    }
  }
});

test("sortRows: largest first, ties by row, NaN last (the Python rule)", () => {
  const values = new Float32Array([0.5, NaN, 0.9, 0.5, 0.1]);
  assert.deepEqual(sortRows([0, 1, 2, 3, 4], values, true), [2, 0, 3, 4, 1]);
  assert.deepEqual(sortRows([0, 1, 2, 3, 4], values, false), [4, 0, 3, 2, 1]);
  assert.deepEqual(sortRows(new Uint32Array([3, 1, 0]), values, true), [0, 3, 1]);
  const page = pageOf([...Array(10).keys()], 5, 4);
  assert.deepEqual([page.page, page.pages, page.first, page.last, page.rows], [2, 3, 8, 10, [8, 9]]);
});

test("the selection decodes from bqplot's Uint32Array, the kernel's bytes, a list or null", () => {
  assert.deepEqual([...selectionRows(new Uint32Array([4, 2]))], [4, 2]);
  const buf = new ArrayBuffer(12);
  new Uint32Array(buf, 4, 2).set([7, 9]);
  assert.deepEqual([...selectionRows(new DataView(buf, 4, 8))], [7, 9]);
  assert.deepEqual([...selectionRows([1, 3])], [1, 3]);
  assert.equal(selectionRows(null).length, 0);
  const unaligned = new Uint8Array(9);
  unaligned.set(new Uint8Array(new Int32Array([5, -1]).buffer), 1);
  assert.deepEqual([...decodeInts({ view: new DataView(unaligned.buffer, 1, 8), dtype: "int32", shape: [2] })], [5, -1]);
  assert.throws(() => decodeInts({ view: new DataView(new ArrayBuffer(4)), dtype: "float32", shape: [1] }), /int32/);
});

test("every number says what it is", () => {
  assert.equal(keyText(0.931, { label: "confidence", unit: "probability" }, String), "p=0.931");
  assert.equal(keyText(12.3, { label: "confidence", unit: "score" }, String), "score 12.3");
  assert.equal(keyText(0.07, { label: "loss", unit: "cross-entropy" }, String), "loss 0.07");
  assert.equal(keyText(0.412, { label: "outside", unit: "share" }, String), "outside 41%");
  assert.equal(keyText(NaN, { label: "outside", unit: "share" }, String), "outside: n/a");
  assert.deepEqual([...thumbRGBA(new Uint8Array([9, 8, 7, 6]), [2, 1, 2, 1], 1)], [7, 7, 7, 255, 6, 6, 6, 255]);
});

// 6 examples of 2x2 grey pictures, 3 classes, the last name is markup
function state(extra = {}) {
  const y = [0, 0, 1, 1, 2, 2];
  const pred = [0, 1, 1, 1, 2, 0];
  return {
    class_names: ["zero", "one", "<b>two</b>"],
    labels: { y: ints(y), predicted: ints(pred), targets: ints(pred) },
    sort_keys: { loss: f32([0.1, 2.0, 0.3, 0.2, 0.05, 3.0], [6]), confidence: f32([0.9, 0.6, 0.7, 0.8, 0.95, 0.5], [6]) },
    key_info: { loss: { label: "loss", unit: "cross-entropy", title: "" }, confidence: { label: "confidence", unit: "probability", title: "" } },
    gallery: { mode: "all", ready: true, thumbs: u8(Array.from({ length: 24 }, (_, i) => i * 10), [6, 2, 2, 1]),
      heatmaps: f16(Array.from({ length: 24 }, (_, i) => [0, 0.5, 1, -1][i % 4]), [6, 2, 2]), scales: f32([1, 1, 1, 1, 1, 1], [6]) },
    means: {}, info: { n: 6, accuracy: 4 / 6, label: "Grad-CAM", maps_of: "the predicted class", source: "computed", embedding: "PCA", signed: false },
    selection: null, cell: [], sort: "loss", descending: true, page: 0, page_size: 48, opacity: 0.6, colormap: "auto",
    height: 600, status: "idle", progress: 1, error: "", ...extra,
  };
}

function mount(model) {
  const el = document.createElement("div");
  document.body.append(el);
  const dispose = view.render({ model, el });
  return { el, dispose };
}

test("a click on a cell fills the gallery with its rows, sorted by loss; names stay text", async () => {
  const model = fakeModel(state());
  const { el, dispose } = mount(model);
  await flush();
  const cells = el.querySelectorAll("[data-testid=cell]");
  assert.equal(cells.length, 9);
  const cell = el.querySelector('[data-testid=cell][data-true="0"][data-pred="1"]');
  assert.equal(cell.textContent, "1");
  assert.match(cell.title, /true zero, predicted one: 1 example \(50\.0% of true zero\)/);
  assert.equal(el.querySelectorAll("b").length, 0); // the markup in a class name is not markup
  assert.ok(el.textContent.includes("<b>two</b>"));
  el.querySelector('[data-testid=cell][data-true="2"][data-pred="0"]').dispatchEvent(new window.Event("click"));
  await flush();
  assert.deepEqual([...selectionRows(model.get("selection"))], [5]);
  assert.deepEqual(model.get("cell"), [2, 0]);
  let tiles = [...el.querySelectorAll("[data-testid=tile]")];
  assert.deepEqual(tiles.map((t) => t.dataset.row), ["5"]);
  assert.equal(tiles[0].dataset.right, "false");
  assert.equal(tiles[0].querySelector("[data-testid=tile-key]").textContent, "loss 3");
  assert.equal(tiles[0].querySelector("[data-testid=tile-true]").textContent, "true: <b>two</b>");
  // a lasso on the scatter: bqplot's Uint32Array arrives through jsdlink; the cell clears
  model.set("selection", new Uint32Array([0, 1, 2, 3]));
  await flush();
  tiles = [...el.querySelectorAll("[data-testid=tile]")];
  assert.deepEqual(tiles.map((t) => t.dataset.row), ["1", "2", "3", "0"]);
  assert.deepEqual(model.get("cell"), []);
  // sorting by confidence is drawn here, no message to the kernel
  const sent = model.sent.length;
  userInput(el.querySelector("[data-testid=sort]"), "confidence", "change");
  await flush();
  tiles = [...el.querySelectorAll("[data-testid=tile]")];
  assert.deepEqual(tiles.map((t) => t.dataset.row), ["0", "3", "2", "1"]);
  assert.equal(tiles[0].querySelector("[data-testid=tile-key]").textContent, "p=0.9");
  assert.equal(model.sent.length, sent);
  dispose();
});

test("the view reads the bqplot Scatter's selection in the browser; a cell selects its points there", async () => {
  const scatter = fakeModel({ selected: null });
  const model = fakeModel(state({ scatter_ref: "IPY_MODEL_abc" }));
  let asked = null;
  model.widget_manager = { get_model: async (id) => { asked = id; return scatter; } };
  const { el, dispose } = mount(model);
  await flush();
  assert.equal(asked, "abc");
  scatter.set("selected", new Uint32Array([2, 4]));
  assert.deepEqual([...el.querySelectorAll("[data-testid=tile]")].map((t) => t.dataset.row), ["2", "4"]);
  assert.equal(model.saves, 0); // synced to Python later, debounced
  const drawn = el.querySelector("[data-testid=gallery]").dataset.drawnAt;
  model.set("selection", new DataView(new Uint32Array([2, 4]).buffer)); // the kernel's echo
  assert.equal(el.querySelector("[data-testid=gallery]").dataset.drawnAt, drawn); // not drawn again
  el.querySelector('[data-testid=cell][data-true="0"][data-pred="0"]').dispatchEvent(new window.Event("click"));
  await flush();
  assert.deepEqual([...scatter.get("selected")], [0]);
  assert.equal(scatter.saves, 1);
  assert.deepEqual(model.get("cell"), [0, 0]); // the scatter's echo did not clear the cell
  dispose();
  scatter.set("selected", new Uint32Array([1]));
  assert.deepEqual([...selectionRows(model.get("selection"))], [0]); // disposed: not listening
});

test("paged mode asks the kernel for the shown rows only, and draws its answer", async () => {
  const base = state();
  const model = fakeModel({ ...base, gallery: { mode: "page", ready: true }, selection: new Uint32Array([4, 5]) });
  const custom = [];
  const on = model.on;
  model.on = (event, fn) => { if (event === "msg:custom") custom.push(fn); on(event, fn); };
  const { el, dispose } = mount(model);
  await flush();
  const ask = model.sent.find((m) => m.type === "rows");
  assert.deepEqual(ask.rows, [5, 4]);
  assert.ok(model.sent.some((m) => m.type === "ping"));
  assert.equal(el.querySelector("[data-testid=tile]").dataset.loaded, "false");
  const thumbs = new Uint8Array(8).fill(100);
  const heat = new Uint16Array(8).fill(0x3800);
  custom.forEach((fn) => fn({ type: "rows", rows: [5, 4], arrays: { thumbs: { dtype: "uint8", shape: [2, 2, 2, 1] }, heatmaps: { dtype: "float16", shape: [2, 2, 2] }, scales: { dtype: "float32", shape: [2] } } },
    [new DataView(thumbs.buffer), new DataView(heat.buffer), new DataView(new Float32Array([1, 1]).buffer)]));
  await flush();
  assert.deepEqual([...el.querySelectorAll("[data-testid=tile]")].map((t) => t.dataset.loaded), ["true", "true"]);
  // a kernel answered the ping: no "needs a live kernel" note
  custom.forEach((fn) => fn({ type: "pong" }, []));
  assert.equal(el.querySelector("[data-testid=scatter-note]").hidden, true);
  dispose();
});

test("thumbnails before the heatmaps; after a cancel a button asks for them again", async () => {
  const base = state();
  const gallery = { mode: "all", ready: false, thumbs: base.gallery.thumbs };
  const model = fakeModel({ ...base, gallery, selection: new Uint32Array([0, 1]) });
  const { el, dispose } = mount(model);
  await flush();
  const tiles = [...el.querySelectorAll("[data-testid=tile]")];
  assert.deepEqual(tiles.map((t) => t.dataset.loaded), ["true", "true"]); // pictures, no maps yet
  const compute = el.querySelector("[data-testid=compute]");
  assert.equal(compute.hidden, false);
  compute.dispatchEvent(new window.Event("click"));
  assert.ok(model.sent.some((m) => m.type === "compute"));
  model.set("gallery", base.gallery); // the heatmaps arrived
  await flush();
  assert.equal(el.querySelector("[data-testid=compute]").hidden, true);
  dispose();
});

test("a cell's selection clears the lasso's outline (bqplot's reset) and the kernel's select_cell keeps its cell", async () => {
  const scatter = fakeModel({ selected: null });
  const resets = [];
  // bqplot's selector view on {type: "reset"}: its outline goes and the scatter's selected is null
  const selector = (name) => ({ trigger: (event, msg) => { resets.push([name, event, msg.type]); scatter.set("selected", null); } });
  const models = { abc: scatter, lasso: selector("lasso"), brush: selector("brush") };
  const model = fakeModel(state({ scatter_ref: "IPY_MODEL_abc", selector_refs: ["IPY_MODEL_lasso", "IPY_MODEL_brush"] }));
  model.widget_manager = { get_model: async (id) => models[id] };
  const { el, dispose } = mount(model);
  await flush();
  scatter.set("selected", new Uint32Array([2, 4])); // a lasso
  assert.deepEqual([...selectionRows(model.get("selection"))], [2, 4]);
  el.querySelector('[data-testid=cell][data-true="1"][data-pred="1"]').dispatchEvent(new window.Event("click"));
  await flush();
  assert.deepEqual(resets, [["lasso", "msg:custom", "reset"], ["brush", "msg:custom", "reset"]]);
  assert.deepEqual([...scatter.get("selected")], [2, 3]); // the cell's points, after the reset
  assert.deepEqual([...selectionRows(model.get("selection"))], [2, 3]); // the reset's null was ignored
  assert.deepEqual(model.get("cell"), [1, 1]);
  // the kernel's select_cell(0, 1): cell and rows in one update; the cell stays, the scatter follows
  resets.length = 0;
  model.set("cell", [0, 1]);
  model.set("selection", new DataView(new Uint32Array([1]).buffer));
  await flush();
  assert.deepEqual(model.get("cell"), [0, 1]);
  assert.deepEqual([...scatter.get("selected")], [1]);
  assert.equal(resets.length, 2);
  assert.deepEqual([...el.querySelectorAll("[data-testid=tile]")].map((t) => t.dataset.row), ["1"]);
  dispose();
});

test("with no kernel (a static page) the scatter's placeholder is hidden under the note", async () => {
  const box = document.createElement("div");
  box.className = "widget-hbox";
  const scatterBox = document.createElement("div");
  scatterBox.className = "xw-dataset-scatter";
  const other = document.createElement("div"); // not the explorer's: left alone
  const el = document.createElement("div");
  box.append(el, scatterBox, other);
  document.body.append(box);
  const model = fakeModel(state());
  const custom = [];
  const on = model.on;
  model.on = (event, fn) => { if (event === "msg:custom") custom.push(fn); on(event, fn); };
  const dispose = view.render({ model, el });
  assert.notEqual(scatterBox.style.display, "none");
  await new Promise((resolve) => setTimeout(resolve, 1600)); // no pong in 1.5 s
  assert.equal(el.querySelector("[data-testid=scatter-note]").hidden, false);
  assert.equal(scatterBox.style.display, "none");
  assert.equal(scatterBox.dataset.xwHidden, "static");
  assert.notEqual(other.style.display, "none");
  // a busy kernel's late answer: a live kernel after all, the scatter comes back
  custom.forEach((fn) => fn({ type: "pong" }, []));
  assert.equal(el.querySelector("[data-testid=scatter-note]").hidden, true);
  assert.equal(scatterBox.style.display, "");
  assert.equal(scatterBox.dataset.xwHidden, undefined);
  dispose();
  box.remove();
});
