// DatasetExplorer's logic without DOM: decoding its integer arrays and the selection, the
// confusion matrix and its cells, the gallery's order and pages. Python has the same rules
// (xai_widgets/dataset_view.py); tests hold both to a brute-force count.
import { bytesOf } from "../common/dom.js";

/** An int32 payload {view, dtype: "int32", shape} -> Int32Array (copied when unaligned). */
export function decodeInts(payload) {
  if (!payload || !payload.view) return new Int32Array(0);
  if (payload.dtype !== "int32") throw new Error(`decodeInts: expected int32, got ${JSON.stringify(payload.dtype)}`);
  const bytes = bytesOf(payload.view);
  const n = payload.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== 4 * n) throw new Error(`decodeInts: ${n} int32 need ${4 * n} bytes, got ${bytes.byteLength}`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, n);
}

/**
 * The `selection` trait as a Uint32Array of rows: bqplot's Uint32Array (linked in the
 * browser), raw uint32 bytes from the kernel (a DataView), a plain array, or null (none).
 */
export function selectionRows(value) {
  if (value === null || value === undefined) return new Uint32Array(0);
  if (value instanceof Uint32Array) return value;
  if (Array.isArray(value)) return Uint32Array.from(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof Uint8Array)) return Uint32Array.from(value);
  const bytes = bytesOf(value);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
}

/** The same rows in the same order. */
export function sameRows(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** counts[t * k + p]: rows of true class t predicted p. */
export function confusionCounts(y, predicted, k) {
  const counts = new Int32Array(k * k);
  for (let i = 0; i < y.length; i++) counts[y[i] * k + predicted[i]] += 1;
  return counts;
}

/** The rows (ascending) of one cell: true class t, predicted p. */
export function cellRows(y, predicted, t, p) {
  const rows = [];
  for (let i = 0; i < y.length; i++) if (y[i] === t && predicted[i] === p) rows.push(i);
  return Uint32Array.from(rows);
}

/**
 * Rows ordered by values[row], largest first when `descending`, ties by row number, rows
 * whose value is NaN (or missing) last: the same order as dataset_view.sorted_rows.
 */
export function sortRows(rows, values, descending = true) {
  const out = Array.from(rows);
  if (!values) return out.sort((a, b) => a - b);
  const sign = descending ? -1 : 1;
  out.sort((a, b) => {
    const va = values[a];
    const vb = values[b];
    const na = !Number.isFinite(va);
    const nb = !Number.isFinite(vb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && va !== vb) return sign * (va - vb);
    return a - b;
  });
  return out;
}

/** Page `page` (0-based, clamped) of `rows`: {rows, page, pages, first, last (exclusive)}. */
export function pageOf(rows, page, size) {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, page | 0), pages - 1);
  const first = p * size;
  const last = Math.min(rows.length, first + size);
  return { rows: rows.slice(first, last), page: p, pages, first, last };
}

/** A sort key's value as the tile prints it: "p=0.931", "score 12.3", "loss 0.07", "outside 41%". */
export function keyText(value, info, fmt) {
  if (!Number.isFinite(value)) return `${info.label}: n/a`;
  if (info.unit === "probability") return `p=${fmt(value)}`;
  if (info.unit === "share") return `${info.label} ${(100 * value).toFixed(0)}%`;
  return `${info.label === "confidence" ? "score" : info.label} ${fmt(value)}`;
}

/** Grey (1 channel) or RGB thumbnail pixels at `i` -> RGBA for an ImageData. */
export function thumbRGBA(thumbs, shape, i) {
  const [, h, w, c] = shape;
  const n = h * w;
  const out = new Uint8ClampedArray(4 * n);
  const base = i * n * c;
  for (let j = 0; j < n; j++) {
    const src = base + j * c;
    out[4 * j] = thumbs[src];
    out[4 * j + 1] = thumbs[src + (c === 3 ? 1 : 0)];
    out[4 * j + 2] = thumbs[src + (c === 3 ? 2 : 0)];
    out[4 * j + 3] = 255;
  }
  return out;
}
