// The browser's side of the shared overlay fixture (tests/test_overlay.py, overlay.test.mjs).
//   node test/overlay_fixture.mjs --stdin < cases.json   -> the browser's answers as JSON
// Without --stdin it does nothing (node --test test/ also loads this file).
// Non-finite numbers travel as the strings "NaN", "Infinity", "-Infinity".
import { colorbarRGBA, colorize, lut } from "../src/common/colormap.js";
import { colourSettings, thresholdCutoff } from "../src/common/panel.js";

const SPECIAL = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** JSON.parse with the non-finite numbers back. */
export function parseCases(text) {
  return JSON.parse(text, (_, v) => (typeof v === "string" && v in SPECIAL ? SPECIAL[v] : v));
}

/** JSON.stringify keeping non-finite numbers (as strings). */
export function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/**
 * The browser's answers to the cases: {colorize: [hex RGBA], luts: {name: hex RGB},
 * colorbars: [hex RGBA], settings: [{signed, cmap, absolute, fade, half}], cutoffs: [number]}.
 */
export function evaluate(cases) {
  return {
    colorize: (cases.colorize || []).map(({ values, options }) =>
      hex(colorize(Float32Array.from(values), options))),
    luts: Object.fromEntries((cases.luts || []).map((name) => [name, hex(lut(name))])),
    colorbars: (cases.colorbars || []).map(({ name, width, half }) => hex(colorbarRGBA(name, width, { half }))),
    settings: (cases.settings || []).map(({ signed, view }) => {
      const heat = { info: { signed }, cutoffs: null, sorted: new Float32Array(0), vmax: 1 };
      const s = colourSettings(heat, { ...view, threshold: 0 });
      return { signed: s.signed, cmap: s.cmap, absolute: s.absolute, fade: s.fade, half: s.half };
    }),
    cutoffs: (cases.cutoffs || []).map(({ table, pct }) =>
      thresholdCutoff({ cutoffs: Float32Array.from(table) }, pct)),
  };
}

if (process.argv.includes("--stdin")) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  process.stdout.write(stringify(evaluate(parseCases(Buffer.concat(chunks).toString("utf8")))));
}
