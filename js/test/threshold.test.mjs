import { test } from "node:test";
import assert from "node:assert/strict";
import { percentileCutoff, sortedMagnitudes, symmetricMax, valueRange } from "../src/common/threshold.js";

const hidden = (values, cutoff) => values.filter((v) => Math.abs(v) < cutoff);

test("sortedMagnitudes sorts |v| ascending and drops NaN", () => {
  const s = sortedMagnitudes(new Float32Array([3, -1, NaN, -0, 2, -4]));
  assert.ok(s instanceof Float32Array);
  assert.deepEqual(Array.from(s), [0, 1, 2, 3, 4]);
  assert.ok(Object.is(s[0], 0)); // -0 became +0
});

test("percentileCutoff hides the requested share of magnitudes", () => {
  const values = Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)); // |v| = 1..100
  const s = sortedMagnitudes(values);
  assert.equal(percentileCutoff(s, 0), 0);
  assert.equal(hidden(values, percentileCutoff(s, 0)).length, 0);
  assert.equal(hidden(values, percentileCutoff(s, 25)).length, 25);
  assert.equal(hidden(values, percentileCutoff(s, 50)).length, 50);
  assert.ok(percentileCutoff(s, 50) > 50 && percentileCutoff(s, 50) <= 51);
  assert.equal(hidden(values, percentileCutoff(s, 99)).length, 99);
  assert.equal(percentileCutoff(s, 100), Infinity);
  assert.equal(hidden(values, percentileCutoff(s, 100)).length, 100);
  assert.equal(percentileCutoff(s, -5), 0);
  assert.equal(percentileCutoff(s, NaN), 0);
});

test("percentileCutoff hides ties together (zeros go at once)", () => {
  const values = [0, 0, 0, 0, 0, 0, 0.5, -1, 2, 3];
  const s = sortedMagnitudes(values);
  const c = percentileCutoff(s, 30);
  assert.ok(c > 0 && c < 1e-30);
  assert.equal(hidden(values, c).length, 6);
  assert.equal(hidden(values, percentileCutoff(s, 70)).length, 7);
  assert.equal(percentileCutoff(new Float32Array(0), 50), 0);
});

test("symmetricMax and valueRange ignore NaN and infinities", () => {
  assert.equal(symmetricMax([1, -3, NaN, 2]), 3);
  assert.equal(symmetricMax([0, 0, NaN]), 1);
  assert.equal(symmetricMax([]), 1);
  assert.equal(symmetricMax([Infinity, -0.5]), 0.5);
  assert.deepEqual(valueRange(new Float32Array([2, -1.5, NaN, 7])), { min: -1.5, max: 7 });
  assert.deepEqual(valueRange([NaN]), { min: 0, max: 0 });
  assert.deepEqual(valueRange([-Infinity, 4, Infinity]), { min: 4, max: 4 });
});
