import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTick, niceTicks } from "../src/common/ticks.js";

test("niceTicks picks 1/2/5 x 10^k steps inside the range", () => {
  assert.deepEqual(niceTicks(-3.2, 3.2, 5), [-3, -2, -1, 0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0.00037, 5), [0, 0.0001, 0.0002, 0.0003]);
  assert.deepEqual(niceTicks(0.1, 0.3, 4), [0.1, 0.15, 0.2, 0.25, 0.3]); // no 0.30000000000000004
  assert.deepEqual(niceTicks(0, 255, 5), [0, 50, 100, 150, 200, 250]);
  assert.deepEqual(niceTicks(-0.7, 0.7, 5), [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(1, -1, 4), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.deepEqual(niceTicks(0, NaN), []);
});

test("signed ranges include 0 and never -0", () => {
  for (const [lo, hi] of [[-3.2, 3.2], [-1e-5, 3e-5], [-123, 45]]) {
    const t = niceTicks(lo, hi, 5);
    assert.ok(t.includes(0), `${lo}..${hi}: ${t}`);
    assert.ok(!t.some((v) => Object.is(v, -0)));
    assert.ok(t.every((v) => v >= lo && v <= hi));
  }
});

test("formatTick gives short consistent labels", () => {
  const cases = [
    [0, "0"], [-0, "0"], [0.25, "0.25"], [-1.5, "-1.5"], [1, "1"], [100, "100"], [123.456, "123.5"],
    [0.1 + 0.2, "0.3"], [0.001, "0.001"], [2e-4, "2e-4"], [-2.5e-7, "-2.5e-7"], [1000, "1k"],
    [1200, "1.2k"], [25000, "25k"], [65504, "65.5k"], [1e6, "1M"], [1.5e9, "1.5G"], [1e15, "1e15"],
  ];
  for (const [v, s] of cases) assert.equal(formatTick(v), s, `formatTick(${v})`);
});
