// Colour-blind-safe colormaps as 256-entry RGB lookup tables, built by linear interpolation
// between evenly spaced control points sampled from the published definitions.
import { symmetricMax } from "./threshold.js";

const STOPS = {
  // Sequential: matplotlib's perceptually uniform maps at t = 0, 0.05, ..., 1 (21 stops keep
  // the interpolated table within a few units of the original).
  viridis:
    "440154 471365 482475 463480 414487 3b528b 355f8d 2f6c8e 2a788e 25848e 21918c " +
    "1e9c89 22a884 2fb47c 44bf70 5ec962 7ad151 9bd93c bddf26 dfe318 fde725",
  cividis:
    "00224e 002b62 083370 243c6e 35456c 434e6c 4f576c 5b606e 666970 727274 7d7c78 " +
    "888578 948e77 a19975 aea371 bcae6c c8b866 d6c35d e5cf52 f3db42 fee838",
  inferno:
    "000004 07051b 160b39 2b0b57 420a68 57106e 6a176e 7f1e6c 932667 a82e5f bc3754 " +
    "cc4248 dd513a ea632a f37819 f98e09 fca50a fbbe23 f6d746 f1ef75 fcffa4",
  // Diverging: the 11-class ColorBrewer schemes, ordered negative -> positive so that the
  // positive end is red (RdBu) / orange (PuOr) and the centre (value 0) is near white.
  RdBu: "053061 2166ac 4393c3 92c5de d1e5f0 f7f7f7 fddbc7 f4a582 d6604d b2182b 67001f",
  PuOr: "2d004b 542788 8073ac b2abd2 d8daeb f7f7f7 fee0b6 fdb863 e08214 b35806 7f3b08",
};

export const COLORMAPS = {
  viridis: { kind: "sequential", label: "Viridis" },
  cividis: { kind: "sequential", label: "Cividis" },
  inferno: { kind: "sequential", label: "Inferno" },
  RdBu: { kind: "diverging", label: "Red–Blue (RdBu)" },
  PuOr: { kind: "diverging", label: "Purple–Orange (PuOr)" },
};

/** Default map: diverging for signed values, sequential for magnitudes. */
export function defaultColormap(signed) {
  return signed ? "RdBu" : "viridis";
}

/**
 * The map colorize() actually uses: `name` unless it is "auto"/unknown, or diverging while the
 * range is [0, vmax] (a diverging map's centre would then mean nothing) -> the default.
 * Use the same name for the colorbar.
 */
export function resolveColormap(name, diverging) {
  const info = COLORMAPS[name];
  if (!info || (info.kind === "diverging" && !diverging)) return defaultColormap(diverging);
  return name;
}

const CACHE = new Map();

/** Uint8Array(256 * 3) of RGB for a colormap name (cached; throws on an unknown name). */
export function lut(name) {
  let table = CACHE.get(name);
  if (table) return table;
  if (!STOPS[name]) throw new Error(`Unknown colormap ${JSON.stringify(name)}`);
  const stops = STOPS[name].split(" ").map((h) => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const m = stops.length - 1;
  table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * m;
    const j = Math.min(Math.floor(t), m - 1);
    const f = t - j;
    for (let c = 0; c < 3; c++) table[3 * i + c] = Math.round(stops[j][c] + (stops[j + 1][c] - stops[j][c]) * f);
  }
  CACHE.set(name, table);
  return table;
}

/**
 * Values -> RGBA pixels (Uint8ClampedArray of length 4n).
 * options: cmap (name or "auto"), signed, absolute, vmax (default max |v|), cutoff (default 0).
 * - absolute: |v| over [0, vmax]; signed && !absolute: [-vmax, vmax] centred at 0;
 *   otherwise (magnitudes): [0, vmax]. Out-of-range values clamp to the ends.
 * - |v| < cutoff and NaN -> fully transparent (all zeros); everything else alpha 255, or with
 *   fade: true, alpha 255 * sqrt(|v| / vmax), so that near-zero attributions let the image
 *   underneath show through (a white diverging centre would otherwise cover it).
 */
// alpha = 255 * sqrt(r) for r = |v| / vmax in 256 steps: a table instead of a sqrt per pixel.
const FADE = Uint8Array.from({ length: 256 }, (_, i) => Math.round(255 * Math.sqrt(i / 255)));

export function colorize(values, options = {}) {
  const { cmap = "auto", signed = false, absolute = false, cutoff = 0, fade = false } = options;
  const diverging = signed && !absolute;
  const table = lut(resolveColormap(cmap, diverging));
  const vmax = options.vmax > 0 && options.vmax < Infinity ? options.vmax : symmetricMax(values);
  const lo = diverging ? -vmax : 0;
  const scale = 255 / (diverging ? 2 * vmax : vmax);
  const n = values.length;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    let v = values[i];
    const a = v < 0 ? -v : v;
    if (!(a >= cutoff)) continue; // below cutoff, or NaN: leave transparent
    if (absolute) v = a;
    const x = (v - lo) * scale;
    // Clamp before `| 0`, which would wrap Infinity to 0.
    const k = 3 * (x <= 0 ? 0 : x >= 255 ? 255 : (x + 0.5) | 0);
    out[o] = table[k];
    out[o + 1] = table[k + 1];
    out[o + 2] = table[k + 2];
    out[o + 3] = fade ? (a >= vmax ? 255 : FADE[((a / vmax) * 255 + 0.5) | 0]) : 255;
  }
  return out;
}

/** One row of `width` RGBA pixels running through the whole map (left = low end), for a colorbar. */
export function colorbarRGBA(name, width) {
  const table = lut(name);
  const out = new Uint8ClampedArray(width * 4);
  for (let i = 0; i < width; i++) {
    const k = 3 * Math.round((i * 255) / Math.max(1, width - 1));
    out.set(table.subarray(k, k + 3), 4 * i);
    out[4 * i + 3] = 255;
  }
  return out;
}
