// The overlay rule (colormaps, range, fade, threshold) is data: xai_widgets/overlay_rule.json,
// shared with Python (xai_widgets/overlay.py: to_png, matplotlib plots). esbuild inlines it.
// Colour-blind-safe colormaps as lut_size-entry RGB lookup tables, built by linear
// interpolation between evenly spaced stops.
import RULE from "../../../xai_widgets/overlay_rule.json" with { type: "json" };
import { symmetricMax } from "./threshold.js";

const N = RULE.lut_size; // table entries
const TOP = N - 1; // last index

/** name -> {kind: "sequential" | "diverging", label}: the maps the colormap menu offers. */
export const COLORMAPS = Object.fromEntries(
  Object.entries(RULE.colormaps).map(([name, map]) => [name, { kind: map.kind, label: map.label }]),
);

const known = (name) => typeof name === "string" && Object.hasOwn(COLORMAPS, name);

/** True for a diverging map (its centre means 0). */
export function isDiverging(name) {
  return known(name) && COLORMAPS[name].kind === "diverging";
}

/** Default map: diverging for signed values, sequential for magnitudes. */
export function defaultColormap(signed) {
  return signed ? RULE.defaults.signed : RULE.defaults.magnitude;
}

/**
 * The map colorize() uses: `name`, or for "auto" (or an unknown name) the default for signed
 * values or magnitudes. A diverging map chosen for magnitudes is kept (its upper half is
 * used, see colorize). Use the same name for the colorbar.
 */
export function resolveColormap(name, signed) {
  return known(name) ? name : defaultColormap(signed);
}

const CACHE = new Map();

/** Uint8Array(lut_size * 3) of RGB for a colormap name (cached; throws on an unknown name). */
export function lut(name) {
  let table = CACHE.get(name);
  if (table) return table;
  if (!known(name)) throw new Error(`Unknown colormap ${JSON.stringify(name)}`);
  const stops = RULE.colormaps[name].stops.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const m = stops.length - 1;
  table = new Uint8Array(N * 3);
  for (let i = 0; i < N; i++) {
    const t = (i / TOP) * m;
    const j = Math.min(Math.floor(t), m - 1);
    const f = t - j;
    for (let c = 0; c < 3; c++) table[3 * i + c] = Math.round(stops[j][c] + (stops[j + 1][c] - stops[j][c]) * f);
  }
  CACHE.set(name, table);
  return table;
}

// alpha = 255 * r ** exponent for r = |v| / vmax in lut_size steps: a table, not a pow per pixel.
const EXPONENT = RULE.fade.exponent;
const FADE = Uint8Array.from({ length: N }, (_, i) =>
  Math.round(255 * (EXPONENT === 0.5 ? Math.sqrt(i / TOP) : (i / TOP) ** EXPONENT)));

/**
 * Values -> RGBA pixels (Uint8ClampedArray of length 4n).
 * options: cmap (name or "auto"), signed, absolute, vmax (default max finite |v|), cutoff
 * (default 0), fade.
 * - absolute: |v|. The range is [-vmax, vmax] (0 at the table's centre) for signed values
 *   (signed && !absolute) and for any diverging map; otherwise [0, vmax]. So magnitudes on a
 *   diverging map use its upper half. Out-of-range values clamp to the ends.
 * - |v| < cutoff and NaN -> fully transparent (all zeros); everything else alpha 255, or with
 *   fade: true, alpha 255 * (|v| / vmax) ** fade.exponent (0.5), so that near-zero
 *   attributions let the image underneath show through.
 */
export function colorize(values, options = {}) {
  const { cmap = "auto", signed = false, absolute = false, cutoff = 0, fade = false } = options;
  const name = resolveColormap(cmap, signed && !absolute);
  const centred = (signed && !absolute) || isDiverging(name);
  const table = lut(name);
  const vmax = options.vmax > 0 && options.vmax < Infinity ? options.vmax : symmetricMax(values);
  const lo = centred ? -vmax : 0;
  const scale = TOP / (centred ? 2 * vmax : vmax);
  const n = values.length;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    let v = values[i];
    const a = v < 0 ? -v : v;
    if (!(a >= cutoff)) continue; // below cutoff, or NaN: leave transparent
    if (absolute) v = a;
    const x = (v - lo) * scale;
    // Clamp before `| 0`, which would wrap Infinity to 0.
    const k = 3 * (x <= 0 ? 0 : x >= TOP ? TOP : (x + 0.5) | 0);
    out[o] = table[k];
    out[o + 1] = table[k + 1];
    out[o + 2] = table[k + 2];
    out[o + 3] = fade ? (a >= vmax ? 255 : FADE[((a / vmax) * TOP + 0.5) | 0]) : 255;
  }
  return out;
}

/**
 * One row of `width` RGBA pixels for a colorbar, left = low end. The whole map by default;
 * with {half: true} the upper half of a diverging map (0 -> vmax), as colorize() draws
 * magnitudes on it. Pixel i is the colour colorize() gives the value at i / (width - 1).
 */
export function colorbarRGBA(name, width, options = {}) {
  const table = lut(name);
  const half = Boolean(options && options.half);
  const last = Math.max(1, width - 1);
  const out = new Uint8ClampedArray(width * 4);
  for (let i = 0; i < width; i++) {
    // round half up of x = TOP * i / last (half: TOP / 2 * (1 + i / last)) as one exact
    // integer ratio, so that ties (x = k + 0.5) do not depend on rounding errors.
    const k = 3 * Math.floor(half ? (TOP * (last + i) + last) / (2 * last) : (2 * TOP * i + last) / (2 * last));
    out.set(table.subarray(k, k + 3), 4 * i);
    out[4 * i + 3] = 255;
  }
  return out;
}
