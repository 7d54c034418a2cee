// Pure helpers of the FeatureImportance view (no DOM): array traits as numbers, which features
// the global chart shows and in what order, the waterfall of one instance's attributions, and
// the text of numbers, feature values and captions. (The what-if request queue is
// common/request_queue.js.)
import { decodeArray } from "../common/binary.js";
import { formatShort, formatSigned } from "../common/format.js";
import { sameValues } from "../common/request_queue.js";
import { formatTick } from "../common/ticks.js";

/** A binary array trait ({view, dtype, shape}) as numbers; null when absent or unreadable. */
export function arrayOf(payload) {
  try {
    return payload && payload.view ? decodeArray(payload).data : null;
  } catch (err) {
    return null;
  }
}

// ---- global importance --------------------------------------------------------------------

/** Indices by descending value (NaN last, ties keep data order). */
export function rankByValue(values) {
  const index = Array.from({ length: values.length }, (_, i) => i);
  const key = (i) => (Number.isNaN(values[i]) ? -Infinity : values[i]);
  return index.sort((a, b) => {
    const nanA = Number.isNaN(values[a]);
    const nanB = Number.isNaN(values[b]);
    if (nanA !== nanB) return nanA ? 1 : -1;
    return key(b) - key(a) || a - b;
  });
}

/**
 * The features the global chart shows, in display order: the `topK` most important (clamped
 * to 1..F; a non-number keeps all; NaN counts least), ordered by `sort` ("importance":
 * descending; "name": case-insensitive, by code point; "data": the columns' order; ties in
 * data order). The same rule as plotting.importance_bars, so to_png() shows the same bars.
 */
export function orderFeatures(names, importance, { sort = "importance", topK = Infinity } = {}) {
  const n = importance.length;
  if (!n) return [];
  // the k most important features, whatever order they are then shown in
  const top = rankByValue(importance).slice(0, clampTopK(topK, n));
  if (sort === "name") {
    const key = (i) => String(names[i] ?? "").toLowerCase();
    return top.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
  }
  if (sort === "data") return top.sort((a, b) => a - b);
  return top;
}

/** The top-k slider's value: an integer in 1..n (n when not a number). */
export function clampTopK(topK, n) {
  if (!(n >= 1)) return 0;
  const k = Number.isFinite(topK) ? Math.round(topK) : n;
  return Math.min(n, Math.max(1, k));
}

/**
 * Greyed-out flags: importance < threshold x max |importance| (threshold in 0..1, clamped).
 * Threshold 0 greys nothing (not even negative importances); NaN is always greyed.
 */
export function mutedFlags(importance, threshold) {
  let most = 0;
  for (const v of importance) if (Math.abs(v) > most) most = Math.abs(v);
  const t = Math.min(1, Math.max(0, Number(threshold) || 0));
  const cut = t * most;
  return Array.from(importance, (v) => Number.isNaN(v) || (t > 0 && v < cut));
}

/** [min, max] of an axis holding 0 and every value ± its error (NaN ignored; [0, 1] when empty). */
export function barDomain(values, errors = null) {
  let min = 0;
  let max = 0;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const e = errors && Number.isFinite(errors[i]) ? Math.abs(errors[i]) : 0;
    min = Math.min(min, v - e);
    max = Math.max(max, v + e);
  });
  return min === max ? [0, 1] : [min, max];
}

// ---- local explanation: waterfall ------------------------------------------------------------

export const OTHER = "(other)"; // data-feature of the folded step

/**
 * Steps of one instance's attributions, largest |value| first (NaN as 0, ties in data order).
 * The first `maxSteps` are kept; the rest fold into one step "N other features" (value =
 * their sum, index -1; fold: false drops them), as plotting.waterfall does. Waterfall (sumsToPrediction): steps walk
 * from `base`: start = the running total before the step, end = after it; `final` =
 * base + sum. Otherwise plain bars from 0 (start 0, end value). `domain` [min, max] holds
 * every start and end, the base and the final value (and 0 for plain bars); when all of
 * these are one value d (every step 0, up to 1e-9 of d), it is [0, d] (or [d, 0]; [0, 1]
 * for d = 0).
 */
export function waterfall(values, { names = [], base = 0, sumsToPrediction = true, maxSteps = 12, fold = true, errors = null } = {}) {
  const v = Array.from(values, (x) => (Number.isFinite(x) ? x : 0));
  const order = Array.from({ length: v.length }, (_, i) => i)
    .sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
  const keep = order.slice(0, maxSteps);
  const rest = fold ? order.slice(maxSteps) : [];
  // a step's uncertainty (e.g. KernelSHAP's standard error), shown as whiskers at its end;
  // none for the folded step, whose parts' errors are not independent
  const errorOf = (i) => (errors && Number.isFinite(errors[i]) && errors[i] > 0 ? errors[i] : 0);
  const rows = keep.map((i) => ({ index: i, name: String(names[i] ?? `x${i}`), value: v[i], error: errorOf(i) }));
  if (rest.length) {
    const label = `${rest.length} other feature${rest.length === 1 ? "" : "s"}`;
    rows.push({ index: -1, name: label, value: rest.reduce((s, i) => s + v[i], 0), error: 0 });
  }
  const waterfallMode = Boolean(sumsToPrediction);
  const start0 = waterfallMode && Number.isFinite(base) ? base : 0;
  let total = start0;
  const steps = rows.map((row) => {
    const start = waterfallMode ? total : 0;
    const end = start + row.value;
    if (waterfallMode) total = end;
    return { ...row, start, end };
  });
  const ends = steps.flatMap((s) => [s.start, s.end - s.error, s.end + s.error]);
  const final = waterfallMode ? total : null;
  const extra = waterfallMode ? [start0, total] : [0];
  let domain = [Math.min(...ends, ...extra), Math.max(...ends, ...extra)];
  // every step 0, or within rounding of it (a model whose output never moves): an axis from
  // 0 to where the walk stays
  const [lo, hi] = domain;
  if (hi - lo <= 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi))) domain = hi > 0 ? [0, hi] : lo < 0 ? [lo, 0] : [0, 1];
  return { steps, base: waterfallMode ? start0 : null, final, domain, waterfall: waterfallMode };
}

/** A linear scale [d0, d1] -> [r0, r1]. */
export function linearScale([d0, d1], [r0, r1]) {
  const k = (r1 - r0) / (d1 - d0 || 1);
  return (x) => r0 + (x - d0) * k;
}

// ---- numbers and text ----------------------------------------------------------------------

/** Decimals that show a slider's step: 0.01 -> 2, 0.5 -> 1, 1 -> 0, 2.5e-4 -> 5 (at most 8). */
export function stepDecimals(step) {
  if (!(step > 0) || !Number.isFinite(step)) return 3;
  for (let d = 0; d <= 8; d++) {
    if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9 * 10 ** d) return d;
  }
  return 8;
}

/**
 * A feature's value for its label: with its slider step's decimals ("17.90" for step 0.01)
 * when that shows it exactly, else 4 significant digits ("19.98" for step 0.1: a value off
 * the step grid, e.g. as in the data); integers up to 1e7 in full.
 */
export function formatValue(v, step = null) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (step > 0 && a < 1e7) {
    const text = v.toFixed(stepDecimals(step));
    if (Math.abs(Number(text) - v) <= 1e-6 * Math.max(1, a)) return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
  }
  if (a >= 1000 && a < 1e7) return String(Math.round(v));
  if (a >= 1e-3 && a < 1000) return String(Number(v.toPrecision(4)));
  return formatTick(v);
}

/** Index of `value` among a categorical feature's codes (up to float32 rounding); -1 if none. */
export function categoryIndex(feature, value) {
  return ((feature && feature.values) || []).findIndex((code) => sameValues([code], [value]));
}

/** A feature's value as the what-if rows and the local chart show it: a categorical code by
 *  its label, a number with its slider step's decimals (formatValue). */
export function featureValueText(feature, value) {
  const f = feature || {};
  const v = Number(value);
  if (f.kind === "categorical") {
    const k = categoryIndex(f, v);
    if (k >= 0) return String((f.labels || [])[k] ?? f.values[k]);
  }
  return formatValue(v, f.step);
}

/**
 * "probability of 'malignant': 0.931 (original 0.712, +0.219)". "(as in the data)" only when
 * the kernel says the values are the data's row (`as_in_data`): the same prediction from
 * other values is "(original 0.931, unchanged)", never "as in the data".
 */
export function predictionText(local) {
  if (!local || !Number.isFinite(local.prediction)) return "";
  const label = local.score_label || "prediction";
  const now = formatShort(local.prediction);
  if (local.as_in_data === true) return `${label}: ${now} (as in the data)`;
  const was = local.original_prediction;
  if (!Number.isFinite(was)) return `${label}: ${now}`;
  const delta = local.prediction - was;
  const tiny = Math.abs(delta) <= 1e-6 * Math.max(1, Math.abs(was));
  return `${label}: ${now} (original ${formatShort(was)}, ${tiny ? "unchanged" : formatSigned(delta)})`;
}

const METRICS = { accuracy: "accuracy", r2: "R²", log_loss: "log-loss" };

/** One sentence under the global chart saying what its bars are. */
export function globalCaption(kind, info) {
  if (!info) return "";
  if (kind === "permutation") {
    const metric = METRICS[info.metric] || info.metric || "score";
    const repeats = `${info.repeats} repeat${info.repeats === 1 ? "" : "s"}`;
    const baseline = Number.isFinite(info.baseline) ? `; ${metric} ${formatShort(info.baseline)} unshuffled` : "";
    const change = info.metric === "log_loss" ? "Rise in" : "Drop in"; // a loss gets worse by rising
    return `${change} ${metric} when a feature's column is shuffled (${repeats}, ${info.rows} rows${baseline}); whiskers: ± one standard deviation.`;
  }
  const target = info.class_name ? `for class '${info.class_name}'` : "of the prediction";
  const how = info.exact ? "exact" : Number.isFinite(info.coalitions) ? `KernelSHAP, ${info.coalitions} coalitions per row` : "";
  return `Mean |SHAP value| ${target} over ${info.rows} rows${how ? ` (${how})` : ""}.`;
}

const KIND_NAMES = { permutation: "Permutation importance", shap: "Mean |SHAP value|" };

/**
 * What the global panel says besides its bars, in plain words (user text: set as text):
 * `reasons`, why a kind is missing (the kernel's words, each once, after the kind's name
 * unless they start with it), and `notes` on the kind shown: the kernel's notes
 * (one class in y, constant columns) and "every value is 0" when it is.
 */
export function globalMessages(importance, kind, scores) {
  const reasons = Object.entries((importance && importance.reasons) || {})
    .filter(([k, why]) => why && !importance[k])
    .map(([k, why]) => {
      const name = KIND_NAMES[k] || k;
      return String(why).startsWith(name) ? String(why) : `${name}: ${why}`;
    });
  const info = (importance && importance[kind]) || {};
  const notes = Array.isArray(info.notes) ? info.notes.map(String) : [];
  if (scores && scores.length && Array.from(scores).every((v) => v === 0)) {
    notes.push(kind === "permutation"
      ? "Every drop is 0: shuffling any one column never changes the score on these rows."
      : "Every value is 0: no feature moves this output on these rows.");
  }
  return { reasons: [...new Set(reasons)], notes };
}

/** The line under the local chart: how the chosen method's numbers were made. */
export function methodNote(name, method, featureCount) {
  if (!method) return "";
  if (name === "kernel_shap") {
    const how = method.exact
      ? `exact Shapley values (2^${featureCount} = ${method.coalitions ?? 2 ** featureCount} coalitions)`
      : `KernelSHAP, ${method.coalitions} sampled coalitions, seeded; whiskers: ± one standard error of the sampling`;
    const rows = Number.isFinite(method.background_rows) ? `; ${method.background_rows} background rows` : "";
    return `${how}${rows}.`;
  }
  if (name === "integrated_gradients") {
    const steps = Number.isFinite(method.steps) ? `${method.steps} steps` : "a straight path";
    const baseline = method.baseline ? ` (${method.baseline})` : "";
    const gap = Number.isFinite(method.completeness_delta)
      ? `; completeness gap ${formatShort(Math.abs(method.completeness_delta))} (sum of the steps − prediction)` : "";
    return `Integrated gradients: ${steps} from the baseline${baseline} to this instance${gap}.`;
  }
  if (!method.sums_to_prediction) {
    return `${method.label || name}: local slope times the value; does not add up to the prediction.`;
  }
  return method.label || name;
}

/** Label of the waterfall's starting line: E[f(x)] for SHAP, f(baseline) for paths. */
export function baseLabel(name, base) {
  return `${name === "kernel_shap" ? "E[f(x)]" : "f(baseline)"} = ${formatShort(base)}`;
}
