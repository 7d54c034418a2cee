// Pure helpers of the LayerBrowser view (no DOM): formatting layer rows, ranking channels,
// reading the uint8 maps back to true values, and shaping weights for display.

/** Most channels shown at once in the grid (and the top of the count slider). */
export const MAX_CHANNELS = 256;

/** Output shape without the batch axis: [null, 14, 14, 32] -> "14×14×32"; several outputs
 * -> "8×8, 10"; none -> "". */
export function formatShape(shape) {
  if (!Array.isArray(shape)) return "";
  if (shape.length && shape.every(Array.isArray)) return shape.map(formatShape).join(", ");
  const dims = shape[0] === null || shape[0] === undefined ? shape.slice(1) : shape;
  return dims.map((d) => (d === null || d === undefined ? "?" : String(d))).join("×");
}

/** The count slider's value for a layer of `channels` channels: 1..min(channels, 256). */
export function clampCount(count, channels) {
  const top = Math.min(channels, MAX_CHANNELS);
  if (!(top >= 1)) return 0;
  const n = Number.isFinite(count) ? Math.round(count) : top;
  return Math.min(top, Math.max(1, n));
}

/** Channel indices by descending score (ties keep index order, NaN last), the first `count`. */
export function rankChannels(scores, count = scores.length) {
  const index = Array.from({ length: scores.length }, (_, i) => i);
  const key = (i) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  index.sort((a, b) => {
    const d = key(b) - key(a);
    if (d !== 0 && !Number.isNaN(d)) return d;
    const na = Number.isNaN(scores[a]);
    const nb = Number.isNaN(scores[b]);
    return na === nb ? a - b : na ? 1 : -1;
  });
  return index.slice(0, Math.max(0, count));
}

/** Rows the kernel can show: not an input, not a nested model (those are headers). */
export function isSelectable(row) {
  return Boolean(row) && !row.is_model && row.kind !== "InputLayer" && row.output_shape != null;
}

const lastSegment = (path) => String(path).split("/").pop();

// Does `input` simply continue from the row above (so no arrow is needed)?
function continues(input, prev, row) {
  if (!prev) return true; // the first row (a Sequential lists no InputLayer): nothing to branch from
  if (input === prev.path) return true;
  if (prev.path.startsWith(`${input}/`)) return true; // the nested model `input` just ended
  return Boolean(prev.is_model) && row.path.startsWith(`${prev.path}/`); // first layer inside
}

/**
 * Where each row's input comes from, for the list: {kind: "merge", text: "← a + b"} for 2+
 * inputs; {kind: "branch", text: "← a"} for one input that is not the row above; otherwise
 * {kind: "", text: ""}. Names are the rows' short names (more than 3 inputs: "+ N more").
 */
export function inputLabels(rows) {
  const names = new Map(rows.map((r) => [r.path, r.name]));
  const name = (p) => names.get(p) ?? lastSegment(p);
  return rows.map((row, i) => {
    const inputs = row.inputs || [];
    if (inputs.length >= 2) {
      const shown = inputs.slice(0, 3).map(name);
      const more = inputs.length > 3 ? ` + ${inputs.length - 3} more` : "";
      return { kind: "merge", text: `← ${shown.join(" + ")}${more}` };
    }
    if (inputs.length === 1 && !continues(inputs[0], rows[i - 1], row)) {
      return { kind: "branch", text: `← ${name(inputs[0])}` };
    }
    return { kind: "", text: "" };
  });
}

/** True values of a per-channel quantised array (..., C): lo[c] + q / 255 * (hi[c] - lo[c]). */
export function dequantize(q, lo, hi) {
  const channels = lo.length;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = i % channels;
    out[i] = lo[c] + (q[i] / 255) * (hi[c] - lo[c]);
  }
  return out;
}

/** The uint8 plane of channel c of an [H, W, C] map (channels last), as a new Uint8Array. */
export function channelPlane(q, shape, c) {
  const [height, width, channels] = shape;
  const out = new Uint8Array(height * width);
  for (let i = 0, j = c; i < out.length; i++, j += channels) out[i] = q[j];
  return out;
}

/** True values of channel c of an [H, W, C] map. */
export function channelValues(q, shape, lo, hi, c) {
  const plane = channelPlane(q, shape, c);
  const out = new Float32Array(plane.length);
  const span = hi[c] - lo[c];
  for (let i = 0; i < plane.length; i++) out[i] = lo[c] + (plane[i] / 255) * span;
  return out;
}

/** True values of an array quantised with one range (weights): lo + q / 255 * (hi - lo). */
export function uniformValues(q, lo, hi) {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = lo + (q[i] / 255) * (hi - lo);
  return out;
}

/** One kernel of conv weights [cout, kh, kw, cin]: its kh x kw plane for input channel cin. */
export function kernelPlane(values, shape, cout, cin) {
  const [, kh, kw, inputs] = shape;
  const out = new Float32Array(kh * kw);
  const base = cout * kh * kw * inputs;
  for (let i = 0; i < out.length; i++) out[i] = values[base + i * inputs + cin];
  return out;
}

/** A kernel with 3 input channels [cout, kh, kw, 3] as RGBA pixels: q (lo..hi -> 0..255) is
 * already the display value, so the colours keep the one shared range. */
export function rgbKernel(q, shape, cout) {
  const [, kh, kw, inputs] = shape;
  const out = new Uint8ClampedArray(kh * kw * 4);
  const base = cout * kh * kw * inputs;
  for (let i = 0; i < kh * kw; i++) {
    for (let k = 0; k < 3; k++) out[4 * i + k] = q[base + i * inputs + k];
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * A (rows x cols) row-major matrix reduced to at most maxSide per side for display. Each
 * output cell covers a block of the input; mode "maxabs" keeps the block's value of largest
 * magnitude (with its sign, so strong weights stay visible), "mean" averages it.
 * Returns {values, rows, cols, blockRows, blockCols} (blocks: the largest block size).
 */
export function downsampleMatrix(values, rows, cols, maxSide = 512, mode = "maxabs") {
  const outRows = Math.min(rows, maxSide);
  const outCols = Math.min(cols, maxSide);
  if (outRows === rows && outCols === cols) {
    return { values: Float32Array.from(values), rows, cols, blockRows: 1, blockCols: 1 };
  }
  const rowStart = (r) => Math.floor((r * rows) / outRows);
  const colStart = (c) => Math.floor((c * cols) / outCols);
  const out = new Float32Array(outRows * outCols);
  for (let r = 0; r < outRows; r++) {
    const r0 = rowStart(r);
    const r1 = rowStart(r + 1);
    for (let c = 0; c < outCols; c++) {
      const c0 = colStart(c);
      const c1 = colStart(c + 1);
      let sum = 0;
      let best = 0;
      for (let i = r0; i < r1; i++) {
        for (let j = c0; j < c1; j++) {
          const v = values[i * cols + j];
          sum += v;
          if (Math.abs(v) > Math.abs(best)) best = v;
        }
      }
      out[r * outCols + c] = mode === "mean" ? sum / ((r1 - r0) * (c1 - c0)) : best;
    }
  }
  return {
    values: out, rows: outRows, cols: outCols,
    blockRows: Math.ceil(rows / outRows), blockCols: Math.ceil(cols / outCols),
  };
}

/**
 * CSS size of a (rows x cols) image: an integer zoom so the larger side approaches `max`,
 * each side then kept within [min, max] (a 4096 x 10 matrix stays readable: 512 x 96).
 */
export function displaySize(rows, cols, { max = 512, min = 96 } = {}) {
  const zoom = Math.max(1, Math.floor(max / Math.max(rows, cols, 1)));
  const side = (n) => Math.min(max, Math.max(min, n * zoom));
  return { width: side(cols), height: side(rows) };
}

/**
 * Bars of a chart of `values` in a box (width x height, minus pad top/bottom), always
 * including 0: {min, max, zeroY, y(v), bars: [{x, width, y, height, positive}]}.
 * Bars fill their slot but leave a gap of `gap` (fraction of the slot) between them.
 */
export function barGeometry(values, { width, height, padTop = 0, padBottom = 0, gap = 0.2 }) {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  const inner = height - padTop - padBottom;
  const y = (v) => padTop + ((max - v) / span) * inner;
  const zeroY = y(0);
  const slot = values.length ? width / values.length : width;
  const bars = Array.from(values, (v, i) => {
    const top = Math.min(y(v), zeroY);
    return { x: i * slot + (slot * gap) / 2, width: slot * (1 - gap), y: top, height: Math.abs(y(v) - zeroY), positive: v >= 0 };
  });
  return { min, max, zeroY, y, slot, bars };
}

/**
 * Histogram of all finite values: `bins` equal-width bins over [lo, hi] (the data's range;
 * a constant layer gets one bin of width 1 around its value). Returns {counts, lo, hi}.
 */
export function histogram(values, bins = 40) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const counts = new Uint32Array(bins);
  if (!(lo <= hi)) return { counts, lo: 0, hi: 1 }; // no finite values
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const scale = bins / (hi - lo);
  for (const v of values) {
    if (!(v >= lo && v <= hi)) continue; // NaN
    counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
  }
  return { counts, lo, hi };
}
