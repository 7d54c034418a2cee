// The superpixel methods' segment borders on the picture, in node against linkedom's DOM.
import "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";

test("OverlayPanel: segment borders are drawn over the picture only when the view asks", async () => {
  const { OverlayPanel } = await import("../src/common/panel.js");
  const canvas = document.createElement("canvas");
  const panel = new OverlayPanel(canvas);
  const bytes = new Uint8Array([0, 1, 1, 0]);
  panel.setBorders({ view: new DataView(bytes.buffer), dtype: "uint8", shape: [2, 2] });
  const pixels = panel.borders.getContext("2d").pixels.data;
  assert.deepEqual(Array.from(pixels.slice(0, 8)), [0, 0, 0, 0, 255, 255, 255, 235]);
  panel.resize(8);
  const drawn = () => canvas.getContext("2d").calls.filter((c) => c[0] === "drawImage" && c[1] === panel.borders).length;
  panel.composite({ opacity: 0.5, heatmap_only: false, show_segments: false });
  assert.equal(drawn(), 0);
  panel.composite({ opacity: 0.5, heatmap_only: false, show_segments: true });
  assert.equal(drawn(), 1);
  panel.setBorders(null);
  assert.equal(panel.borders, null);
});
