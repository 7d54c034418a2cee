import { test } from "node:test";
import assert from "node:assert/strict";
import {
  arrayOf, barDomain, baseLabel, categoryIndex, clampTopK, featureValueText, formatValue,
  globalCaption, linearScale, methodNote, mutedFlags, orderFeatures, OTHER, predictionText,
  rankByValue, stepDecimals, waterfall,
} from "../src/importance/importance_logic.js";
import { createRequestQueue, sameValues } from "../src/common/request_queue.js";
import { formatProbability, formatShort, formatSigned } from "../src/common/format.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// ---- global importance ----------------------------------------------------------------------

test("rankByValue: descending, NaN last, ties in data order", () => {
  assert.deepEqual(rankByValue([0.1, NaN, 0.5, 0.1, -0.2]), [2, 0, 3, 4, 1]);
  assert.deepEqual(rankByValue(new Float32Array([NaN, NaN, 1])), [2, 0, 1]);
  assert.deepEqual(rankByValue([]), []);
});

test("orderFeatures sorts by importance, name or data order", () => {
  const names = ["b", "A10", "c", "a2", "<b>z</b>"];
  const imp = [0.3, 0.1, NaN, 0.2, 0];
  assert.deepEqual(orderFeatures(names, imp, { sort: "importance" }), [0, 3, 1, 4, 2]);
  // case-insensitive, by code point (as Python's sorted(key=str.lower)): "<" < "a", "a10" < "a2"
  assert.deepEqual(orderFeatures(names, imp, { sort: "name" }), [4, 1, 3, 0, 2]);
  assert.deepEqual(orderFeatures(names, imp, { sort: "data" }), [0, 1, 2, 3, 4]);
  assert.deepEqual(orderFeatures(names, imp), [0, 3, 1, 4, 2]);
  assert.deepEqual(orderFeatures(["b", "B", "a"], [1, 2, 3], { sort: "name" }), [2, 0, 1]); // ties: data order
  assert.deepEqual(orderFeatures(names, []), []);
});

test("orderFeatures keeps the top-k most important, then orders them", () => {
  const names = ["d", "c", "b", "a"];
  const imp = [0.4, 0.1, 0.3, 0.2];
  assert.deepEqual(orderFeatures(names, imp, { sort: "importance", topK: 2 }), [0, 2]);
  assert.deepEqual(orderFeatures(names, imp, { sort: "name", topK: 2 }), [2, 0]); // b, d: not a, b
  assert.deepEqual(orderFeatures(names, imp, { sort: "data", topK: 3 }), [0, 2, 3]);
  assert.deepEqual(orderFeatures(names, imp, { topK: 0 }), [0]); // at least one
  assert.deepEqual(orderFeatures(names, imp, { topK: 99 }).length, 4);
  assert.deepEqual(orderFeatures(names, imp, { topK: NaN }).length, 4);
});

test("clampTopK: an integer in 1..n", () => {
  assert.equal(clampTopK(5, 30), 5);
  assert.equal(clampTopK(2.6, 30), 3);
  assert.equal(clampTopK(40, 30), 30);
  assert.equal(clampTopK(-1, 30), 1);
  assert.equal(clampTopK(undefined, 30), 30);
  assert.equal(clampTopK(3, 0), 0);
});

test("mutedFlags: below threshold x the largest |importance|", () => {
  const imp = [1, 0.5, 0.09, -0.2, NaN];
  assert.deepEqual(mutedFlags(imp, 0), [false, false, false, false, true]);
  assert.deepEqual(mutedFlags(imp, 0.1), [false, false, true, true, true]);
  assert.deepEqual(mutedFlags(imp, 0.5), [false, false, true, true, true]); // 0.5 is not below 0.5
  assert.deepEqual(mutedFlags(imp, 1), [false, true, true, true, true]);
  assert.deepEqual(mutedFlags(imp, 7), [false, true, true, true, true]); // clamped to 1
  assert.deepEqual(mutedFlags([-2, 1], 0.6), [true, true]); // the largest magnitude is negative
  assert.deepEqual(mutedFlags([0, 0], 0.5), [false, false]);
});

test("barDomain holds 0 and the error bars", () => {
  assert.deepEqual(barDomain([0.2, 0.5], [0.1, 0.05]), [0, 0.55]);
  const [lo, hi] = barDomain([-0.1, 0.3], [0.05, 0]);
  close(lo, -0.15);
  close(hi, 0.3);
  assert.deepEqual(barDomain([NaN, 0.4]), [0, 0.4]);
  assert.deepEqual(barDomain([]), [0, 1]);
});

// ---- waterfall -------------------------------------------------------------------------------

test("waterfall walks from base to base + sum, largest |value| first", () => {
  const w = waterfall([0.1, -0.3, 0.05], { names: ["a", "b", "c"], base: 0.5 });
  assert.deepEqual(w.steps.map((s) => s.name), ["b", "a", "c"]);
  assert.deepEqual(w.steps.map((s) => s.index), [1, 0, 2]);
  close(w.steps[0].start, 0.5);
  close(w.steps[0].end, 0.2);
  close(w.steps[1].start, 0.2);
  close(w.steps[1].end, 0.3);
  close(w.steps[2].end, 0.35);
  close(w.final, 0.35);
  assert.equal(w.base, 0.5);
  assert.equal(w.waterfall, true);
  close(w.domain[0], 0.2);
  close(w.domain[1], 0.5);
});

test("waterfall folds the rest into one 'N other features' step", () => {
  const values = Array.from({ length: 30 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) * 0.01);
  const names = values.map((_, i) => `f${i}`);
  const w = waterfall(values, { names, base: 1, maxSteps: 12 });
  assert.equal(w.steps.length, 13);
  assert.deepEqual(w.steps.slice(0, 3).map((s) => s.name), ["f29", "f28", "f27"]);
  const other = w.steps[12];
  assert.equal(other.name, "18 other features");
  assert.equal(other.index, -1);
  const restSum = values.slice(0, 18).reduce((a, b) => a + b, 0);
  close(other.value, restSum);
  close(w.final, 1 + values.reduce((a, b) => a + b, 0));
  close(other.end, w.final);
  assert.equal(OTHER, "(other)");
  // one left over folds too (as plotting.waterfall), named in the singular
  const one = waterfall(values.slice(0, 13), { names, maxSteps: 12 });
  assert.equal(one.steps.length, 13);
  assert.equal(one.steps[12].name, "1 other feature");
  assert.equal(one.steps[12].index, -1);
  assert.equal(waterfall(values.slice(0, 12), { names, maxSteps: 12 }).steps.at(-1).index >= 0, true);
});

test("waterfall without folding keeps only the largest", () => {
  const w = waterfall([0.1, -0.5, 0.3, 0.2], { names: ["a", "b", "c", "d"], sumsToPrediction: false, maxSteps: 2, fold: false });
  assert.deepEqual(w.steps.map((s) => s.name), ["b", "c"]);
});

test("waterfall carries each step's error (none for the folded step) and widens the domain for it", () => {
  const w = waterfall([0.5, -0.2, 0.01, 0.02], { names: ["a", "b", "c", "d"], base: 1, maxSteps: 2, errors: [0.1, NaN, 0.3, 0.3] });
  assert.deepEqual(w.steps.map((st) => st.error), [0.1, 0, 0]);
  assert.equal(w.domain[1], 1.6); // base 1 + 0.5, plus its error 0.1
  assert.deepEqual(waterfall([0.5], { base: 0 }).steps.map((st) => st.error), [0]); // no errors given
});

test("waterfall domain includes base and final value", () => {
  const w = waterfall([0.2, 0.3], { base: -1 });
  close(w.domain[0], -1);
  close(w.domain[1], -0.5);
  close(w.final, -0.5);
});

test("plain bars (does not sum to the prediction) start at 0", () => {
  const w = waterfall([0.2, -0.4, NaN], { names: ["a", "b", "c"], base: null, sumsToPrediction: false });
  assert.equal(w.waterfall, false);
  assert.equal(w.final, null);
  assert.equal(w.base, null);
  assert.deepEqual(w.steps.map((s) => [s.name, s.start, s.end]), [["b", 0, -0.4], ["a", 0, 0.2], ["c", 0, 0]]);
  assert.deepEqual(w.domain, [-0.4, 0.2]);
  assert.deepEqual(waterfall([0.2, 0.1], { sumsToPrediction: false }).domain, [0, 0.2]);
  assert.deepEqual(waterfall([0, 0], { sumsToPrediction: false }).domain, [0, 1]); // never empty
  // a walk of zero steps (the output never moves): from 0 to where it stays, never past it
  assert.deepEqual(waterfall([0, 0, 0], { base: 1 }).domain, [0, 1]);
  assert.deepEqual(waterfall([0], { base: -2 }).domain, [-2, 0]);
  assert.deepEqual(waterfall([-2e-12], { base: 1 }).domain, [0, 1]); // within rounding of 0
});

test("linearScale maps a domain onto a range", () => {
  const x = linearScale([-1, 1], [0, 200]);
  assert.equal(x(-1), 0);
  assert.equal(x(0), 100);
  assert.equal(x(1), 200);
  assert.equal(linearScale([2, 2], [0, 10])(2), 0);
});

// ---- request queue ---------------------------------------------------------------------------

function fakeTimers() {
  let now = 0;
  let id = 0;
  const timers = new Map();
  return {
    setTimer: (fn, ms) => { timers.set(++id, { fn, at: now + ms }); return id; },
    clearTimer: (t) => timers.delete(t),
    advance(ms) {
      now += ms;
      for (const [t, { fn, at }] of [...timers]) if (at <= now) { timers.delete(t); fn(); }
    },
    count: () => timers.size,
  };
}

test("sameValues tolerates the float32 round trip", () => {
  const f32 = Array.from(new Float32Array([0.1, 17.99, 1001.3]));
  assert.ok(sameValues([0.1, 17.99, 1001.3], f32));
  assert.ok(!sameValues([0.1, 17.99, 1001.3], [0.1, 18, 1001.3]));
  assert.ok(!sameValues([1, 2], [1, 2, 3]));
  assert.ok(sameValues([0, NaN], [1e-12, NaN]));
  assert.ok(!sameValues(null, [1]));
});

test("the queue sends at once when idle and keeps only the newest while busy", () => {
  const timers = fakeTimers();
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), timers);
  q.request([1, 2]);
  assert.deepEqual(sent, [[1, 2]]);
  assert.ok(q.busy());
  q.request([1, 3]);
  q.request([1, 4]);
  assert.deepEqual(sent, [[1, 2]]);
  assert.deepEqual(q.pendingValues(), [1, 4]);
  q.answered(Array.from(new Float32Array([1, 2]))); // float32 echo of the request
  assert.deepEqual(sent, [[1, 2], [1, 4]]);
  assert.equal(q.pendingValues(), null);
  q.answered([1, 4]);
  assert.ok(!q.busy());
  assert.equal(timers.count(), 0);
});

test("an answer for other values does not end the request", () => {
  const timers = fakeTimers();
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), timers);
  q.request([1, 2]);
  q.request([5, 5]);
  q.answered([0, 0]); // e.g. an older explanation
  assert.ok(q.busy());
  assert.equal(sent.length, 1);
  q.request([1, 2]); // back to what is in flight: nothing more to send
  assert.equal(q.pendingValues(), null);
  q.answered([1, 2]);
  assert.ok(!q.busy());
  assert.equal(sent.length, 1);
});

test("the request copies its values", () => {
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), fakeTimers());
  const values = [1, 2];
  q.request(values);
  values[0] = 9;
  assert.deepEqual(sent[0], [1, 2]);
});

test("failed() and the timeout send the pending request", () => {
  const timers = fakeTimers();
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), { ...timers, timeoutMs: 1000 });
  q.request([1]);
  q.request([2]);
  q.failed();
  assert.deepEqual(sent, [[1], [2]]);
  q.request([3]);
  timers.advance(999);
  assert.equal(sent.length, 2);
  timers.advance(1);
  assert.deepEqual(sent, [[1], [2], [3]]);
  timers.advance(1000); // [3] timed out too: idle
  assert.ok(!q.busy());
  q.failed(); // nothing in flight: no-op
  assert.equal(sent.length, 3);
});

test("failed(token) only ends the request it was about", () => {
  const timers = fakeTimers();
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), timers);
  q.request([1]);
  const token = q.current();
  q.request([2]);
  q.answered([1]); // [2] goes out
  q.failed(token); // late news about [1]: ignored
  assert.ok(q.busy());
  assert.deepEqual(q.inFlightValues(), [2]);
  q.failed(q.current());
  assert.ok(!q.busy());
});

test("clear() forgets the pending and in-flight requests", () => {
  const timers = fakeTimers();
  const sent = [];
  const q = createRequestQueue((v) => sent.push(v), timers);
  q.request([1]);
  q.request([2]);
  q.clear();
  assert.ok(!q.busy());
  assert.equal(timers.count(), 0);
  q.answered([1]);
  assert.equal(sent.length, 1);
  q.request([3]);
  assert.deepEqual(sent, [[1], [3]]);
  q.dispose();
  assert.equal(timers.count(), 0);
});

// ---- numbers and text ---------------------------------------------------------------------

test("stepDecimals and formatValue follow the slider's step", () => {
  assert.equal(stepDecimals(0.01), 2);
  assert.equal(stepDecimals(0.5), 1);
  assert.equal(stepDecimals(1), 0);
  assert.equal(stepDecimals(10), 0);
  assert.equal(stepDecimals(2.5e-4), 5);
  assert.equal(stepDecimals(0), 3);
  assert.equal(formatValue(17.99, 0.01), "17.99");
  assert.equal(formatValue(1001, 1), "1001");
  assert.equal(formatValue(1001.25, 1), "1001");
  assert.equal(formatValue(17.9, 0.01), "17.90");
  assert.equal(formatValue(19.98, 0.1), "19.98"); // off the step grid: not rounded to "20.0"
  assert.equal(formatValue(Math.fround(25.4), 0.1), "25.4"); // float32 noise hidden
  assert.equal(formatValue(-0.0000001, 0.01), "0.00"); // no "-0.00"
  assert.equal(formatValue(0.123456), "0.1235");
  assert.equal(formatValue(2501.7), "2502");
  assert.equal(formatValue(2e-5), "2e-5");
  assert.equal(formatValue(NaN), "NaN");
});

test("featureValueText: a categorical code by its label, a number by its step", () => {
  const colour = { kind: "categorical", values: [0, 1, 2], labels: ["red", "<b>green</b>", "blue"] };
  assert.equal(categoryIndex(colour, Math.fround(1)), 1);
  assert.equal(categoryIndex(colour, 7), -1);
  assert.equal(categoryIndex(undefined, 1), -1);
  assert.equal(featureValueText(colour, 1), "<b>green</b>");
  assert.equal(featureValueText(colour, "2"), "blue");
  assert.equal(featureValueText(colour, 7), "7"); // not a code: the number itself
  assert.equal(featureValueText({ kind: "categorical", values: [3] }, 3), "3"); // no labels: the code
  assert.equal(featureValueText({ kind: "numeric", step: 0.01 }, 17.9), "17.90");
  assert.equal(featureValueText(undefined, 0.5), "0.5");
});

test("arrayOf decodes a binary trait and is null for anything else", () => {
  const bytes = new Float32Array([1.5, -2]);
  const data = arrayOf({ view: new DataView(bytes.buffer), dtype: "float32", shape: [2] });
  assert.deepEqual(Array.from(data), [1.5, -2]);
  assert.equal(arrayOf(undefined), null);
  assert.equal(arrayOf({}), null);
  assert.equal(arrayOf({ view: new DataView(new ArrayBuffer(3)), dtype: "float32", shape: [2] }), null); // too short
});

test("formatShort and formatSigned: three significant digits", () => {
  assert.equal(formatShort(0.93123), "0.931");
  assert.equal(formatShort(12.345), "12.3");
  assert.equal(formatShort(1234), "1.23k");
  assert.equal(formatShort(0), "0");
  assert.equal(formatShort(-0.00025), "-2.5e-4");
  assert.equal(formatSigned(0.219), "+0.219");
  assert.equal(formatSigned(-0.5), "-0.5");
  assert.equal(formatSigned(0), "0");
});

test("formatProbability hides float noise at the ends", () => {
  assert.equal(formatProbability(0.93123), "0.931");
  assert.equal(formatProbability(1.42e-18), "<0.001");
  assert.equal(formatProbability(0.99999), ">0.999");
  assert.equal(formatProbability(0), "0");
  assert.equal(formatProbability(1), "1");
});

test("predictionText shows the change from the original", () => {
  const local = { score_label: "probability of 'malignant'", prediction: 0.93, original_prediction: 0.71, as_in_data: false };
  assert.equal(predictionText(local), "probability of 'malignant': 0.93 (original 0.71, +0.22)");
  assert.equal(predictionText({ ...local, prediction: 0.71, as_in_data: true }), "probability of 'malignant': 0.71 (as in the data)");
  assert.equal(predictionText({ score_label: "predicted value", prediction: 21.5 }), "predicted value: 21.5");
  assert.equal(predictionText({}), "");
  assert.equal(predictionText(null), "");
});

test("predictionText: '(as in the data)' only for the data's values, not for the same prediction", () => {
  const local = { score_label: "probability of 'malignant'", prediction: 0.71, original_prediction: 0.71 };
  // other values (an ignored feature moved), the same prediction: not "as in the data"
  assert.equal(predictionText({ ...local, as_in_data: false }), "probability of 'malignant': 0.71 (original 0.71, unchanged)");
  // a kernel that does not say: never claimed either
  assert.equal(predictionText(local), "probability of 'malignant': 0.71 (original 0.71, unchanged)");
  // the data's values: said even when a float's last digit differs
  assert.equal(predictionText({ ...local, prediction: 0.7100001, as_in_data: true }), "probability of 'malignant': 0.71 (as in the data)");
  // the data's values and no original prediction sent
  assert.equal(predictionText({ score_label: "predicted value", prediction: 3, as_in_data: true }), "predicted value: 3 (as in the data)");
});

test("globalCaption says what the bars are", () => {
  assert.equal(
    globalCaption("permutation", { metric: "accuracy", baseline: 0.972, repeats: 5, rows: 143 }),
    "Drop in accuracy when a feature's column is shuffled (5 repeats, 143 rows; accuracy 0.972 unshuffled); whiskers: ± one standard deviation.",
  );
  assert.match(globalCaption("permutation", { metric: "r2", baseline: 0.8, repeats: 1, rows: 10 }), /Drop in R² .*1 repeat,.*R² 0.8 unshuffled/);
  assert.equal(globalCaption("shap", { class_name: "malignant", rows: 50, exact: false, coalitions: 2048 }),
    "Mean |SHAP value| for class 'malignant' over 50 rows (KernelSHAP, 2048 coalitions per row).");
  assert.equal(globalCaption("shap", { class_name: "", rows: 50, exact: true }), "Mean |SHAP value| of the prediction over 50 rows (exact).");
  assert.equal(globalCaption("shap", undefined), "");
});

test("methodNote and baseLabel describe the local method", () => {
  assert.equal(methodNote("kernel_shap", { exact: true, coalitions: 1024, background_rows: 50 }, 10),
    "exact Shapley values (2^10 = 1024 coalitions); 50 background rows.");
  assert.equal(methodNote("kernel_shap", { exact: false, coalitions: 2048, background_rows: 50 }, 30),
    "KernelSHAP, 2048 sampled coalitions, seeded; whiskers: ± one standard error of the sampling; 50 background rows.");
  assert.match(methodNote("integrated_gradients", { steps: 64, baseline: "mean of the data" }, 30), /64 steps from the baseline \(mean of the data\)/);
  assert.equal(methodNote("integrated_gradients", { steps: 32, completeness_delta: -0.0123 }, 30),
    "Integrated gradients: 32 steps from the baseline to this instance; completeness gap 0.0123 (sum of the steps − prediction).");
  assert.match(methodNote("gradient_x_input", { label: "Gradient × input", sums_to_prediction: false }, 30), /does not add up to the prediction/);
  assert.equal(methodNote("kernel_shap", undefined, 3), "");
  assert.equal(baseLabel("kernel_shap", 0.6271), "E[f(x)] = 0.627");
  assert.equal(baseLabel("integrated_gradients", 0.1), "f(baseline) = 0.1");
});
