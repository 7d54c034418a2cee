// What the TrainingMonitor view computes from the traits, without a DOM: the recording
// decoded once per change, which recorded epoch a scrubber position is, each probe's
// timeline ("right since epoch 3"), drift as words, and the curves' series.
import { decodeArray } from "../common/binary.js";

/** The `frames` trait decoded: {count (E), probes (N), height, width, heatmap(e, n) ->
 *  Float32Array of values scaled to [-1, 1] (each map by its own max |value|), scale(e, n),
 *  probabilities(e, n) -> Float32Array (C), target(e, n), drift(e, n), driftFinal(e, n)}. */
export function decodeFrames(frames) {
  if (!frames || !frames.heatmaps) return null;
  const heat = decodeArray(frames.heatmaps);
  const [count, probes, height, width] = heat.shape;
  const probs = decodeArray(frames.probabilities);
  const flat = (name) => (frames[name] ? decodeArray(frames[name]).data : new Float32Array(count * probes));
  return fromArrays({
    count, probes, height, width, classes: probs.shape[2] || 0, heat: heat.data, probs: probs.data,
    scales: flat("scales"), targets: flat("targets"), drift: flat("drift"), driftFinal: flat("drift_final"),
  });
}

function fromArrays(raw) {
  const { count, probes, height, width, classes, heat, probs, scales, targets, drift, driftFinal } = raw;
  const size = height * width;
  const none = (v) => (v < -1.5 ? null : v); // the kernel sends -2 for "not defined"
  return {
    raw, count, probes, height, width, classes,
    heatmap: (e, n) => heat.subarray((e * probes + n) * size, (e * probes + n + 1) * size),
    scale: (e, n) => scales[e * probes + n],
    probabilities: (e, n) => probs.subarray((e * probes + n) * classes, (e * probes + n + 1) * classes),
    target: (e, n) => targets[e * probes + n],
    drift: (e, n) => none(drift[e * probes + n]),
    driftFinal: (e, n) => none(driftFinal[e * probes + n]),
  };
}

function concat(a, b) {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The recording with the newest epoch appended, from the kernel's "frame" message (its
 *  arrays in `buffers`, in `content.order`). A message that does not follow the epochs this
 *  view has (it joined between two whole pushes) is ignored: the next whole push brings all. */
export function appendFrame(data, content, buffers) {
  if (!data || !content || content.count !== data.count + 1) return data;
  const get = (name) => {
    const i = content.order.indexOf(name);
    return decodeArray({ view: buffers[i], ...content.arrays[name] }).data;
  };
  const raw = data.raw;
  return fromArrays({
    ...raw, count: data.count + 1,
    heat: concat(raw.heat, get("heatmaps")), probs: concat(raw.probs, get("probabilities")),
    scales: concat(raw.scales, get("scales")), targets: concat(raw.targets, get("targets")),
    drift: concat(raw.drift, get("drift")), driftFinal: get("drift_final"),
  });
}

/** Index in `epochs` of the recorded epoch shown: `epoch` (-1 = the latest). */
export function shownIndex(epochs, epoch) {
  if (!epochs || !epochs.length) return -1;
  if (epoch === -1 || epoch === undefined || epoch === null) return epochs.length - 1;
  const i = epochs.indexOf(epoch);
  return i >= 0 ? i : epochs.length - 1;
}

/** The largest entry of a probability row: {index, value}. */
export function argmax(row) {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return { index: best, value: row.length ? row[best] : NaN };
}

/** One probe over the recorded epochs: [{epoch, p (of the true class, else of the predicted
 *  one), predicted, right (null without a label)}], and `since`: the first recorded epoch
 *  from which the prediction stays right to the end (null if it is not right at the end). */
export function timeline(data, epochs, n, label) {
  const points = [];
  for (let e = 0; e < data.count; e++) {
    const row = data.probabilities(e, n);
    const top = argmax(row);
    const right = label >= 0 ? top.index === label : null;
    points.push({ epoch: epochs[e], p: label >= 0 ? row[label] : top.value, predicted: top.index, right });
  }
  let since = null;
  for (let e = points.length - 1; e >= 0 && points[e].right; e--) since = points[e].epoch;
  return { points, since };
}

/** A rank correlation as the view prints it: "0.83", or "–" where it is not defined. */
export function formatDrift(rho) {
  return rho === null || !Number.isFinite(rho) ? "–" : rho.toFixed(2);
}

/** The `curves` trait decoded: {epochs: number[], series: [{name, values: number[]}]} with
 *  losses first; Infinity (sent for a missing value) becomes null. */
export function decodeCurves(curves) {
  if (!curves || !curves.epochs) return { epochs: [], series: [] };
  const epochs = Array.from(decodeArray(curves.epochs).data);
  const series = Object.entries(curves.series || {}).map(([name, payload]) => ({
    name, values: Array.from(decodeArray(payload).data, (v) => (Number.isFinite(v) ? v : null)),
  }));
  series.sort((a, b) => (isLoss(b.name) - isLoss(a.name)) || a.name.localeCompare(b.name));
  return { epochs, series };
}

export const isLoss = (name) => /loss/.test(name);

/** The status line: what the monitor is doing, in words. */
export function stateText(state, done, total, recorded) {
  const of = total ? ` of ${total}` : "";
  if (state === "waiting") return "Waiting for training: pass this monitor to model.fit(callbacks=[...]).";
  if (state === "training") return `Training: epoch ${done}${of} done.`;
  if (state === "stopping") return `Stopping after the current batch (epoch ${done}${of} done)…`;
  if (state === "stopped") return `Stopped by the Stop button after epoch ${done}${of}; ${recorded} epochs recorded.`;
  return `Finished: ${done} epochs trained, ${recorded} recorded.`;
}
