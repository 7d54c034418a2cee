// The layer traits decoded once for every panel (no DOM): the selected layer's activation
// (activation + activation_info) and its weights (weights + weights_info).
import { decodeArray } from "../common/binary.js";
import { uniformValues } from "./layers_logic.js";

/** Decoded activation_info + activation: everything the panels need for one layer (null:
 *  no data yet). Throws when the payload cannot be read. */
export function decodeActivation(payload, info) {
  if (!payload || !payload.view || !info || !info.lo) return null;
  const { data: q, shape } = decodeArray(payload);
  const arr = (key) => (info[key] ? decodeArray(info[key]).data : new Float32Array(0));
  const lo = arr("lo");
  const hi = arr("hi");
  const kind = info.kind === "spatial" && shape.length === 3 ? "spatial" : info.kind === "vector" ? "vector" : "other";
  return { kind, shape, infoShape: info.shape || shape, q, lo, hi, means: arr("means"),
    contributions: arr("contributions"), channels: lo.length,
    labels: Array.isArray(info.labels) ? info.labels : null }; // e.g. class names at the head
}

/** Decoded conv / dense weights (one shared range lo..hi); null for layers without. */
export function decodeWeights(payload, info) {
  if (!info || !payload || !payload.view || (info.kind !== "conv" && info.kind !== "dense")) return null;
  const { data: q, shape } = decodeArray(payload);
  const lo = Number(info.lo);
  const hi = Number(info.hi);
  return { kind: info.kind, rgb: Boolean(info.rgb) && shape[3] === 3, shape, q, lo, hi,
    values: uniformValues(q, lo, hi), vmax: Math.max(Math.abs(lo), Math.abs(hi)) || 1 };
}

/** The `channel` trait as a channel of this activation, or -1 (none, or out of range). */
export function selectedChannel(channel, act) {
  return act && Number.isInteger(channel) && channel >= 0 && channel < act.channels ? channel : -1;
}

/** {act, error}: decodeActivation's result, or null and why the payload could not be read. */
export function readActivation(payload, info) {
  try {
    return { act: decodeActivation(payload, info), error: "" };
  } catch (err) {
    return { act: null, error: err.message };
  }
}
