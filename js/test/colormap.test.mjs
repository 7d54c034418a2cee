import { test } from "node:test";
import assert from "node:assert/strict";
import { COLORMAPS, colorbarRGBA, colorize, defaultColormap, isDiverging, lut, resolveColormap } from "../src/common/colormap.js";

const rgb = (table, i) => Array.from(table.subarray(3 * i, 3 * i + 3));
const hex = (h) => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
const near = (a, b, tol, msg) => assert.ok(a.every((x, i) => Math.abs(x - b[i]) <= tol), `${msg}: ${a} vs ${b}`);
const px = (rgba, i) => Array.from(rgba.subarray(4 * i, 4 * i + 4));

test("registry and defaults", () => {
  assert.deepEqual(Object.keys(COLORMAPS).sort(), ["PuOr", "RdBu", "cividis", "inferno", "viridis"]);
  assert.equal(COLORMAPS.RdBu.kind, "diverging");
  assert.equal(COLORMAPS.viridis.kind, "sequential");
  assert.equal(defaultColormap(true), "RdBu");
  assert.equal(defaultColormap(false), "viridis");
  assert.equal(resolveColormap("auto", true), "RdBu");
  assert.equal(resolveColormap("cividis", true), "cividis");
  assert.equal(resolveColormap("RdBu", false), "RdBu"); // honoured: magnitudes use its upper half
  assert.equal(resolveColormap("PuOr", false), "PuOr");
  assert.equal(resolveColormap("nope", false), "viridis");
  assert.equal(resolveColormap("toString", true), "RdBu"); // not a map, whatever Object has
  assert.ok(isDiverging("PuOr") && !isDiverging("viridis") && !isDiverging("auto"));
  assert.throws(() => lut("nope"), /Unknown colormap "nope"/);
});

test("LUTs match the published endpoints", () => {
  for (const name of Object.keys(COLORMAPS)) {
    assert.equal(lut(name).length, 768);
    assert.equal(lut(name), lut(name)); // cached
  }
  near(rgb(lut("viridis"), 0), hex("440154"), 2, "viridis low");
  near(rgb(lut("viridis"), 255), hex("fde725"), 2, "viridis high");
  near(rgb(lut("viridis"), 128), hex("21918c"), 3, "viridis middle");
  near(rgb(lut("inferno"), 0), hex("000004"), 2, "inferno low");
  near(rgb(lut("inferno"), 255), hex("fcffa4"), 2, "inferno high");
  near(rgb(lut("cividis"), 0), hex("00224e"), 2, "cividis low");
  near(rgb(lut("cividis"), 255), hex("fee838"), 2, "cividis high");
});

test("diverging maps: blue negative, white centre, red positive", () => {
  const t = lut("RdBu");
  const [r0, , b0] = rgb(t, 0);
  const [r1, , b1] = rgb(t, 255);
  assert.ok(b0 > 80 && r0 < 20, "negative end is dark blue");
  assert.ok(r1 > 90 && b1 < 40, "positive end is dark red");
  for (const c of [...rgb(t, 127), ...rgb(t, 128)]) assert.ok(c > 235, "centre is near white");
  const [pr, , pb] = rgb(lut("PuOr"), 255);
  assert.ok(pr > pb, "PuOr positive end is orange");
});

test("colorize: signed values on RdBu, centred at 0", () => {
  const out = colorize(new Float32Array([-2, 0, 2, 1, 5, NaN]), { signed: true, vmax: 2 });
  assert.ok(out instanceof Uint8ClampedArray);
  assert.equal(out.length, 24);
  assert.deepEqual(px(out, 0), [...rgb(lut("RdBu"), 0), 255]);
  assert.ok(px(out, 1).every((c) => c > 235), "0 is white-ish");
  assert.deepEqual(px(out, 2), [...rgb(lut("RdBu"), 255), 255]);
  assert.deepEqual(px(out, 3), [...rgb(lut("RdBu"), 191), 255]); // 1 of [-2, 2] -> 3/4 of the way
  assert.deepEqual(px(out, 4), px(out, 2), "beyond vmax clamps");
  assert.deepEqual(px(out, 5), [0, 0, 0, 0], "NaN is transparent");
});

test("colorize: cutoff hides small magnitudes on both sides", () => {
  const out = colorize([-0.05, 0.05, -0.5, 0.5, 0.1], { signed: true, vmax: 1, cutoff: 0.1 });
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => out[4 * i + 3]), [0, 0, 255, 255, 255]);
  assert.deepEqual(px(out, 0), [0, 0, 0, 0]);
  const all = colorize([0, 1], { cutoff: 0 });
  assert.deepEqual([all[3], all[7]], [255, 255], "cutoff 0 hides nothing");
  const none = colorize([0, 1, -3], { cutoff: Infinity });
  assert.ok(none.every((c) => c === 0), "cutoff Infinity hides everything");
});

test("colorize: absolute mode uses |v| over [0, vmax] on a sequential map", () => {
  const out = colorize([-4, 4, 0, -2], { signed: true, absolute: true, cmap: "viridis" });
  const v = lut("viridis");
  assert.deepEqual(px(out, 0), [...rgb(v, 255), 255]); // vmax defaults to max |v| = 4
  assert.deepEqual(px(out, 1), px(out, 0));
  assert.deepEqual(px(out, 2), [...rgb(v, 0), 255]);
  assert.deepEqual(px(out, 3), [...rgb(v, 128), 255]);
  assert.deepEqual(colorize([-4, 4, 0, -2], { signed: true, absolute: true }), out, "auto -> viridis");
  const c = colorize([-4, 4], { absolute: true, cmap: "cividis", vmax: 8 });
  assert.deepEqual(px(c, 0), [...rgb(lut("cividis"), 128), 255]);
});

test("colorize: magnitudes on a diverging map use its upper half (PuOr stays PuOr)", () => {
  const t = lut("PuOr");
  const out = colorize([0, -2, 4, -4, 1], { signed: true, absolute: true, cmap: "PuOr" });
  assert.deepEqual(px(out, 0), [...rgb(t, 128), 255], "0 is the white centre");
  assert.deepEqual(px(out, 1), [...rgb(t, 191), 255], "|v| = vmax / 2 is 3/4 of the way");
  assert.deepEqual(px(out, 2), [...rgb(t, 255), 255], "vmax is the orange end");
  assert.deepEqual(px(out, 3), px(out, 2));
  assert.deepEqual(px(out, 4), [...rgb(t, 159), 255]); // (1 + 4) / 8 * 255 = 159.4
  const unsigned = colorize([0, 2, 4, 1], { absolute: true, cmap: "PuOr" }); // an unsigned method
  assert.deepEqual([0, 1, 2, 3].map((i) => px(unsigned, i)), [0, 1, 2, 4].map((i) => px(out, i)));
  const [r, , b] = px(out, 2);
  assert.ok(r > b, "orange, not purple, and not viridis");
});

test("colorize: magnitudes (unsigned) map [0, vmax], Infinity clamps to the top", () => {
  const out = colorize([0, 0.5, 1, Infinity], { cmap: "inferno", vmax: 1 });
  const t = lut("inferno");
  assert.deepEqual(px(out, 0), [...rgb(t, 0), 255]);
  assert.deepEqual(px(out, 1), [...rgb(t, 128), 255]);
  assert.deepEqual(px(out, 3), [...rgb(t, 255), 255]);
});

test("colorbarRGBA spans the map", () => {
  const row = colorbarRGBA("viridis", 10);
  assert.equal(row.length, 40);
  assert.deepEqual(px(row, 0), [...rgb(lut("viridis"), 0), 255]);
  assert.deepEqual(px(row, 9), [...rgb(lut("viridis"), 255), 255]);
  assert.equal(colorbarRGBA("RdBu", 1).length, 4);
  assert.deepEqual(colorbarRGBA("viridis", 10, {}), row, "no options: the whole map");
});

test("colorbarRGBA with half: the upper half of a diverging map, as colorize draws 0..vmax", () => {
  const width = 256;
  const row = colorbarRGBA("PuOr", width, { half: true });
  assert.deepEqual(px(row, 0), [...rgb(lut("PuOr"), 128), 255]);
  assert.deepEqual(px(row, width - 1), [...rgb(lut("PuOr"), 255), 255]);
  // pixel i is |v| = i / 255 * vmax: colorize's index floor(127.5 + i / 2 + 0.5)
  for (let i = 0; i < width; i++) assert.deepEqual(px(row, i), [...rgb(lut("PuOr"), 128 + (i >> 1)), 255]);
  const full = colorbarRGBA("RdBu", width);
  for (let i = 0; i < width; i++) assert.deepEqual(px(full, i), [...rgb(lut("RdBu"), i), 255]);
  const values = [0, 1, 2, 3].map((i) => (i / 3) * 7);
  const ends = colorize(values, { cmap: "PuOr", absolute: true, vmax: 7 });
  assert.deepEqual(px(ends, 0), px(row, 0));
  assert.deepEqual(px(ends, 3), px(row, width - 1));
});

test("colorize timing on 512x512 (printed, not asserted)", () => {
  const n = 512 * 512;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(i * 0.001) * 3;
  const opts = { signed: true, vmax: 3, cutoff: 0.3 };
  for (let i = 0; i < 5; i++) colorize(values, opts); // warm up the JIT
  const runs = 20;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) colorize(values, opts);
  const ms = (performance.now() - t0) / runs;
  console.log(`colorize 512x512: ${ms.toFixed(2)} ms per call`);
});

test("fade: alpha grows with sqrt(|v| / vmax), zero is transparent, cutoff still hides", () => {
  const values = new Float32Array([0, 0.25, -1, 1, 4, 0.01]);
  const out = colorize(values, { signed: true, vmax: 1, fade: true, cutoff: 0.05 });
  const alpha = [3, 7, 11, 15, 19, 23].map((i) => out[i]);
  assert.deepEqual(alpha, [0, 128, 255, 255, 255, 0]);
  const plain = colorize(values, { signed: true, vmax: 1 });
  assert.equal(plain[7], 255);
  assert.deepEqual([...out.slice(4, 7)], [...plain.slice(4, 7)]); // colours unchanged
});
