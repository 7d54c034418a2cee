import { test } from "node:test";
import assert from "node:assert/strict";
import {
  barGeometry, channelPlane, channelValues, clampCount, dequantize, displaySize, downsampleMatrix,
  formatShape, inputLabels, isSelectable, kernelPlane, MAX_CHANNELS,
  rankChannels, rgbKernel, uniformValues,
} from "../src/layers/layers_logic.js";
import { formatCount, formatShort as short, formatSigned as signed } from "../src/common/format.js";

const formatShort = (v) => short(v, 2);
const formatSigned = (v) => signed(v, 2);

const close = (a, b, tol = 1e-6) =>
  assert.ok(a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]) <= tol), `${Array.from(a)} vs ${b}`);

test("formatCount: short parameter counts", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(950), "950");
  assert.equal(formatCount(1000), "1k");
  assert.equal(formatCount(1234), "1.2k");
  assert.equal(formatCount(9_960), "10k");
  assert.equal(formatCount(12_345), "12k");
  assert.equal(formatCount(123_456), "123k");
  assert.equal(formatCount(999_600), "1M"); // not "1000k"
  assert.equal(formatCount(1_500_000), "1.5M");
  assert.equal(formatCount(23_834_568), "24M"); // ResNet50
  assert.equal(formatCount(3.1e9), "3.1G");
  assert.equal(formatCount(NaN), "");
});

test("formatShape drops the batch axis", () => {
  assert.equal(formatShape([null, 14, 14, 32]), "14×14×32");
  assert.equal(formatShape([null, 10]), "10");
  assert.equal(formatShape([8, 8, 5]), "8×8×5");
  assert.equal(formatShape([null, null, 64]), "?×64");
  assert.equal(formatShape([[null, 8, 8, 3], [null, 10]]), "8×8×3, 10");
  assert.equal(formatShape(null), "");
});

test("formatSigned: two significant digits with a sign", () => {
  assert.equal(formatSigned(0.5312), "+0.53");
  assert.equal(formatSigned(-0.12), "-0.12");
  assert.equal(formatSigned(12.345), "+12");
  assert.equal(formatSigned(3.14159), "+3.1");
  assert.equal(formatSigned(-1234), "-1.2k");
  assert.equal(formatSigned(0.00025), "+2.5e-4");
  assert.equal(formatSigned(-0.0002), "-2e-4");
  assert.equal(formatSigned(0), "0");
  assert.equal(formatShort(0.05913), "0.059");
  assert.equal(formatShort(-0.5312), "-0.53");
  assert.equal(formatShort(245.7), "250");
  assert.equal(formatShort(2500), "2.5k");
});

test("clampCount keeps 1..min(C, 256)", () => {
  assert.equal(MAX_CHANNELS, 256);
  assert.equal(clampCount(32, 16), 16);
  assert.equal(clampCount(32, 512), 32);
  assert.equal(clampCount(1000, 512), 256);
  assert.equal(clampCount(0, 8), 1);
  assert.equal(clampCount(NaN, 8), 8);
  assert.equal(clampCount(4, 0), 0);
});

test("rankChannels: descending, stable ties, NaN last, top count", () => {
  const scores = Float32Array.from([0.1, 0.9, -0.5, 0.9, NaN, 0.3]);
  assert.deepEqual(rankChannels(scores), [1, 3, 5, 0, 2, 4]);
  assert.deepEqual(rankChannels(scores, 3), [1, 3, 5]);
  assert.deepEqual(rankChannels([-3, -1, -2], 2), [1, 2]); // contributions: most positive first
  assert.deepEqual(rankChannels([], 5), []);
  assert.deepEqual(rankChannels([Infinity, 1, -Infinity, Infinity]), [0, 3, 1, 2]);
});

// The rows of tests/test_activations.py's `branched` model (two branches, a merge, a nested block).
const ROWS = [
  { path: "image", name: "image", kind: "InputLayer", inputs: [], is_model: false, output_shape: [null, 8, 8, 3] },
  { path: "left", name: "left", kind: "Conv2D", inputs: ["image"], is_model: false, output_shape: [null, 8, 8, 4] },
  { path: "right", name: "right", kind: "Conv2D", inputs: ["image"], is_model: false, output_shape: [null, 8, 8, 4] },
  { path: "merge", name: "merge", kind: "Add", inputs: ["left", "right"], is_model: false, output_shape: [null, 8, 8, 4] },
  { path: "block", name: "block", kind: "Sequential", inputs: ["merge"], is_model: true, output_shape: [null, 8, 8, 5] },
  { path: "block/inner", name: "inner", kind: "Conv2D", inputs: ["block/input_layer"], is_model: false, output_shape: [null, 8, 8, 5] },
  { path: "gap", name: "gap", kind: "GlobalAveragePooling2D", inputs: ["block"], is_model: false, output_shape: [null, 5] },
  { path: "head", name: "head", kind: "Dense", inputs: ["gap"], is_model: false, output_shape: [null, 3] },
];

test("inputLabels shows merges and branches, not straight chains or nested models", () => {
  assert.deepEqual(inputLabels(ROWS).map((l) => l.text), [
    "", "", "← image", "← left + right", "", "", "", "",
  ]);
  assert.deepEqual(inputLabels(ROWS).map((l) => l.kind), ["", "", "branch", "merge", "", "", "", ""]);
  const skip = [
    { path: "a", name: "a", inputs: [] },
    { path: "b/c", name: "c", inputs: ["a"] },
    { path: "d", name: "d", inputs: ["b/c"] },
    { path: "e", name: "e", inputs: ["a", "b/c", "d", "x/y"] },
    { path: "f", name: "f", inputs: ["a"] },
  ];
  // a Sequential model lists no InputLayer: its first layer's input is not a row
  assert.deepEqual(inputLabels(ROWS.slice(1)).map((l) => l.text)[0], "");
  assert.deepEqual(inputLabels(skip).map((l) => l.text), [
    "", "", "", "← a + c + d + 1 more", "← a",
  ]);
});

test("isSelectable: layers with an output, not inputs or nested models", () => {
  assert.deepEqual(ROWS.map(isSelectable), [false, true, true, true, false, true, true, true]);
  assert.equal(isSelectable({ kind: "Dense", is_model: false, output_shape: null }), false);
});

test("dequantize and channelValues recover the true values (channels last)", () => {
  // [H=1, W=2, C=3]: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102)
  const q = Uint8Array.from([0, 255, 51, 255, 0, 102]);
  const lo = Float32Array.from([-1, 0, 2]);
  const hi = Float32Array.from([1, 10, 7]);
  close(dequantize(q, lo, hi), [-1, 10, 3, 1, 0, 4]);
  assert.deepEqual(Array.from(channelPlane(q, [1, 2, 3], 2)), [51, 102]);
  close(channelValues(q, [1, 2, 3], lo, hi, 0), [-1, 1]);
  close(channelValues(q, [1, 2, 3], lo, hi, 2), [3, 4]);
  // a vector layer: lo == hi (one value per unit), q all 0
  close(dequantize(new Uint8Array(3), Float32Array.from([0.5, -2, 3]), Float32Array.from([0.5, -2, 3])), [0.5, -2, 3]);
  // weights: one symmetric range
  close(uniformValues(Uint8Array.from([0, 255, 51]), -0.5, 0.5), [-0.5, 0.5, -0.3]);
});

test("kernelPlane and rgbKernel read [cout, kh, kw, cin] weights", () => {
  // cout=2, kh=1, kw=2, cin=3: value = 100*cout + 10*pixel + cin
  const shape = [2, 1, 2, 3];
  const values = Float32Array.from({ length: 12 }, (_, i) => {
    const cin = i % 3;
    const px = Math.floor(i / 3) % 2;
    const co = Math.floor(i / 6);
    return 100 * co + 10 * px + cin;
  });
  assert.deepEqual(Array.from(kernelPlane(values, shape, 1, 2)), [102, 112]);
  assert.deepEqual(Array.from(kernelPlane(values, shape, 0, 0)), [0, 10]);
  assert.deepEqual(Array.from(rgbKernel(values, shape, 1)), [100, 101, 102, 255, 110, 111, 112, 255]);
});

test("downsampleMatrix: block max |v| (signed) or mean", () => {
  const m = Float32Array.from([
    1, 2, 0, 0,
    3, -4, 0, 0.5,
    0, 0, -1, -1,
    0, 9, -1, -1,
  ]);
  const maxabs = downsampleMatrix(m, 4, 4, 2);
  assert.deepEqual([maxabs.rows, maxabs.cols, maxabs.blockRows, maxabs.blockCols], [2, 2, 2, 2]);
  assert.deepEqual(Array.from(maxabs.values), [-4, 0.5, 9, -1]);
  assert.deepEqual(Array.from(downsampleMatrix(m, 4, 4, 2, "mean").values), [0.5, 0.125, 2.25, -1]);
  // only the long side shrinks; 5 rows into 2 -> blocks of 2 and 3 rows
  const tall = downsampleMatrix(Float32Array.from([1, 2, 3, 4, 5]), 5, 1, 2, "mean");
  assert.deepEqual([tall.rows, tall.cols, tall.blockRows], [2, 1, 3]);
  assert.deepEqual(Array.from(tall.values), [1.5, 4]);
  const same = downsampleMatrix(m, 4, 4, 512);
  assert.deepEqual(Array.from(same.values), Array.from(m));
  assert.notEqual(same.values, m); // a copy
});

test("displaySize: integer zoom, each side within [min, max]", () => {
  assert.deepEqual(displaySize(512, 10), { width: 96, height: 512 });
  assert.deepEqual(displaySize(100, 10), { width: 96, height: 500 });
  assert.deepEqual(displaySize(64, 64), { width: 512, height: 512 });
  assert.deepEqual(displaySize(3, 3, { max: 48, min: 8 }), { width: 48, height: 48 });
});

test("barGeometry: bars up from and down to zero", () => {
  const g = barGeometry([2, -1, 0.5], { width: 30, height: 40, padTop: 5, padBottom: 5, gap: 0 });
  assert.equal(g.min, -1);
  assert.equal(g.max, 2);
  assert.equal(g.zeroY, 5 + (2 / 3) * 30); // 25
  assert.equal(g.slot, 10);
  assert.deepEqual(g.bars.map((b) => [b.x, b.width, b.y, b.height, b.positive]), [
    [0, 10, 5, 20, true],
    [10, 10, 25, 10, false],
    [20, 10, 20, 5, true],
  ]);
  const pos = barGeometry([1, 3], { width: 20, height: 10, gap: 0.5 });
  assert.equal(pos.zeroY, 10); // all positive: zero at the bottom
  assert.deepEqual([pos.bars[0].x, pos.bars[0].width], [2.5, 5]);
  assert.equal(barGeometry([], { width: 10, height: 10 }).bars.length, 0);
});

test("histogram counts every finite value in equal-width bins over the data range", async () => {
  const { histogram } = await import("../src/layers/layers_logic.js");
  const h = histogram(new Float32Array([0, 0.1, 0.5, 0.99, 1, NaN]), 4);
  assert.equal(h.lo, 0);
  assert.equal(h.hi, 1);
  assert.deepEqual(Array.from(h.counts), [2, 0, 1, 2]); // 1.0 falls in the last bin
  const constant = histogram(new Float32Array([3, 3, 3]), 5);
  assert.deepEqual([constant.lo, constant.hi], [2.5, 3.5]);
  assert.equal(constant.counts.reduce((a, b) => a + b, 0), 3);
  assert.deepEqual(Array.from(histogram(new Float32Array([NaN]), 2).counts), [0, 0]);
});
