import { test } from "node:test";
import assert from "node:assert/strict";
import { heatmapFromValues, OverlayPanel, prepareHeatmap } from "../src/common/panel.js";

// OverlayPanel only needs document.createElement for its offscreen heat canvas.
globalThis.document ??= { createElement: () => ({ width: 0, height: 0 }) };
const fakeCanvas = () => ({ style: {}, width: 0, height: 0 });

test("heatmapFromValues keeps the values and their statistics", () => {
  const heat = heatmapFromValues(Float32Array.from([0, -2, 1, 0.5, 3, -1]), 2, 3, { signed: true });
  assert.equal(heat.height, 2);
  assert.equal(heat.width, 3);
  assert.equal(heat.vmax, 3);
  assert.deepEqual(Array.from(heat.sorted), [0, 0.5, 1, 1, 2, 3]);
  assert.equal(heat.info.signed, true);
  assert.deepEqual(heatmapFromValues(new Float32Array(1), 1, 1).info, {});
});

test("prepareHeatmap scales and shapes as before", () => {
  const bytes = new Uint8Array(new Float32Array([0.5, -1, 0.25, 1]).buffer);
  const heat = prepareHeatmap({ view: new DataView(bytes.buffer), dtype: "float32", shape: [2, 2] }, { scale: 2 });
  assert.deepEqual(Array.from(heat.values), [1, -2, 0.5, 2]);
  assert.equal(heat.vmax, 2);
  assert.equal(heat.width, 2);
});

test("resize sizes from the heatmap by default, from the image when asked", () => {
  globalThis.devicePixelRatio = 1;
  const canvas = fakeCanvas();
  const panel = new OverlayPanel(canvas);
  panel.setBase({ width: 64, height: 48 });
  panel.setHeatmap(heatmapFromValues(new Float32Array(7 * 5), 5, 7));
  panel.resize(300); // 7 x 5 map: zoom floor(min(300/7, 300/5)) = 42
  assert.deepEqual([canvas.width, canvas.height, canvas.style.width], [294, 210, "294px"]);
  panel.resize(300, "base"); // 64 x 48 image: zoom 4
  assert.deepEqual([canvas.width, canvas.height, canvas.style.height], [256, 192, "192px"]);
  panel.setBase(null); // no image: falls back to the heatmap
  panel.resize(300, "base");
  assert.deepEqual([canvas.width, canvas.height], [294, 210]);
  delete globalThis.devicePixelRatio;
});

test("thresholdCutoff reads the kernel's percentile table, interpolating between steps", async () => {
  const { heatmapFromValues, thresholdCutoff } = await import("../src/common/panel.js");
  const cutoffs = new Float32Array(101).map((_, i) => i / 100);
  const info = { cutoffs: { view: new DataView(cutoffs.buffer), dtype: "float32", shape: [101] } };
  const heat = heatmapFromValues(new Float32Array([0.1, -0.5, 1]), 1, 3, info);
  assert.equal(heat.sorted, null); // no sort when the table came with the heatmap
  assert.equal(thresholdCutoff(heat, 0), 0);
  assert.ok(Math.abs(thresholdCutoff(heat, 40) - 0.4) < 1e-6);
  assert.ok(Math.abs(thresholdCutoff(heat, 40.5) - 0.405) < 1e-6);
  assert.equal(thresholdCutoff(heat, 100), Infinity);
  const sortedOnly = heatmapFromValues(new Float32Array([0.1, -0.5, 1, 0.2]), 2, 2, {});
  assert.ok(sortedOnly.sorted.length === 4 && thresholdCutoff(sortedOnly, 50) > 0.2);
});
