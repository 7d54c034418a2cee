// A bar per unit of a vector layer (or of a flattened layer), drawn on a canvas: red up,
// blue down from zero (--xw-pos / --xw-neg), value ticks on the left, names under the bars.
import { formatTick, niceTicks } from "../common/ticks.js";
import { barGeometry } from "./layers_logic.js";

const LEFT = 44; // room for the value ticks
const HEIGHT = 180;

/** Size the canvas for `values.length` bars (at the device's pixel ratio) and clear it. */
function prepare(canvas, count) {
  const slot = Math.max(4, Math.min(28, Math.floor(600 / Math.max(1, count))));
  const width = LEFT + slot * count + 8;
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(HEIGHT * ratio);
  Object.assign(canvas.style, { width: `${width}px`, height: `${HEIGHT}px` });
  canvas.dataset.count = String(count);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, HEIGHT);
  return { ctx, slot };
}

/**
 * Draw `values` (one per shown unit; `indices` are their unit numbers, `labels` optional
 * names by unit number, e.g. class names) with the colours of `style` (a computed style).
 */
export function drawUnits(canvas, values, indices, labels, style) {
  const { ctx, slot } = prepare(canvas, values.length);
  const g = barGeometry(values, { width: slot * values.length, height: HEIGHT, padTop: 8, padBottom: 20 });
  const fg = style.color;
  // the RdBu ends (as in the diverging heatmaps), lighter in dark mode: --xw-pos / --xw-neg
  const positive = style.getPropertyValue("--xw-pos").trim() || "#b2182b";
  const negative = style.getPropertyValue("--xw-neg").trim() || "#2166ac";
  ctx.font = "10px sans-serif";
  ctx.fillStyle = fg;
  ctx.strokeStyle = fg;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.globalAlpha = 0.6;
  for (const t of niceTicks(g.min, g.max, 4)) {
    ctx.fillText(formatTick(t), LEFT - 6, g.y(t));
    ctx.fillRect(LEFT - 4, Math.round(g.y(t)), 3, 1);
  }
  ctx.globalAlpha = 1;
  for (const bar of g.bars) {
    ctx.fillStyle = bar.positive ? positive : negative;
    ctx.fillRect(LEFT + bar.x, bar.y, bar.width, Math.max(1, bar.height));
  }
  ctx.fillStyle = fg;
  ctx.fillRect(LEFT, Math.round(g.zeroY), slot * values.length, 1);
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  const every = Math.ceil(24 / slot);
  // labels are user text, drawn on the canvas (never parsed as HTML)
  const name = (c) => (labels && labels[c] !== undefined ? String(labels[c]) : String(c));
  for (let i = 0; i < indices.length; i += every) ctx.fillText(name(indices[i]), LEFT + (i + 0.5) * slot, HEIGHT - 6);
}
