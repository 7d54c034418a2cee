// Magnitude statistics for heatmaps: the threshold slider hides a percentile of |value|.

/** |v| of every non-NaN value, sorted ascending (compute once per heatmap). NaNs are dropped. */
export function sortedMagnitudes(values) {
  const out = new Float32Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) out[n++] = Math.abs(v); // v === v is false only for NaN; abs also turns -0 into 0
  }
  return out.subarray(0, n).sort(); // typed-array sort is numeric
}

// Smallest float32 strictly greater than x (x >= 0, finite), so `|v| < cutoff` means `|v| <= x`.
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
function nextUpFloat32(x) {
  F32[0] = x;
  U32[0] += 1;
  return F32[0];
}

/**
 * Cutoff for hiding the `pct` percent smallest magnitudes, used as `hidden = |v| < cutoff`.
 * With k = round(pct / 100 * n), the k smallest values are hidden, and so is every value tied
 * with the k-th (so a map that is 60 % zeros loses all its zeros at any pct >= 1/n, rather than
 * none). pct <= 0 (or NaN) -> 0: nothing hidden. pct >= 100 -> Infinity: everything finite hidden.
 * `sorted` comes from sortedMagnitudes().
 */
export function percentileCutoff(sorted, pct) {
  if (!(pct > 0) || sorted.length === 0) return 0;
  if (pct >= 100) return Infinity;
  const k = Math.round((pct / 100) * sorted.length);
  if (k === 0) return 0;
  const x = sorted[k - 1];
  return x === Infinity ? Infinity : nextUpFloat32(x);
}

/** max |v| over finite values (NaN and ±Inf ignored); 1 when there is none or it is 0. */
export function symmetricMax(values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && a !== Infinity) m = a; // NaN fails `a > m`
  }
  return m > 0 ? m : 1;
}

/** {min, max} over finite values (NaN and ±Inf ignored); {min: 0, max: 0} when there is none. */
export function valueRange(values) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min && v !== -Infinity) min = v;
    if (v > max && v !== Infinity) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}
