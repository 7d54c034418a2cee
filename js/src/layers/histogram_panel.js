// The histogram of every value of the selected layer, drawn here from the layer's data (no
// chart widget): it needs no kernel and works the same in an HTML export.
import { h } from "../common/dom.js";
import { formatTick, niceTicks } from "../common/ticks.js";
import { dequantize, histogram } from "./layers_logic.js";
import { formatShort } from "./dom_helpers.js";

const BINS = 40;
const [LEFT, WIDTH, HEIGHT, BOTTOM] = [44, 420, 150, 22]; // CSS pixels: ticks, bars, axis labels

/** Bars of `counts` with count ticks on the left and value ticks (lo..hi) underneath. */
function drawHistogram(canvas, { counts, lo, hi }, style) {
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round((LEFT + WIDTH + 8) * ratio);
  canvas.height = Math.round(HEIGHT * ratio);
  Object.assign(canvas.style, { width: `${LEFT + WIDTH + 8}px`, height: `${HEIGHT}px` });
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, LEFT + WIDTH + 8, HEIGHT);
  const most = Math.max(1, ...counts);
  const inner = HEIGHT - BOTTOM - 8;
  const slot = WIDTH / counts.length;
  ctx.fillStyle = style.getPropertyValue("--xw-accent").trim() || "#1769aa";
  counts.forEach((c, i) => {
    const barHeight = (c / most) * inner;
    ctx.fillRect(LEFT + i * slot + 0.5, 8 + inner - barHeight, Math.max(1, slot - 1), barHeight);
  });
  ctx.fillStyle = style.color;
  ctx.font = "10px sans-serif";
  ctx.fillRect(LEFT, 8 + inner, WIDTH, 1);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of niceTicks(0, most, 3)) ctx.fillText(formatTick(t), LEFT - 6, 8 + inner - (t / most) * inner);
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  for (const t of niceTicks(lo, hi, 5)) ctx.fillText(formatTick(t), LEFT + ((t - lo) / (hi - lo)) * WIDTH, HEIGHT - 6);
}

/** {el, update({act, layer}), destroy()}: hidden while the layer has no data. */
export function histogramPanel() {
  const canvas = h("canvas", { class: "xw-histogram", dataset: { testid: "histogram" } });
  const note = h("div", { class: "xw-hint", dataset: { testid: "histogram-note" } });
  const el = h("section", { class: "xw-section xw-histogram-box" }, [h("h4", { text: "Values" }), canvas, note]);
  function update({ act, layer }) {
    el.hidden = !act;
    if (!act) return;
    const values = dequantize(act.q, act.lo, act.hi);
    const bins = histogram(values, BINS);
    drawHistogram(canvas, bins, getComputedStyle(el));
    note.textContent = `${values.length} values of ${layer}, ${bins.counts.length} bins from ${formatShort(bins.lo)} to ${formatShort(bins.hi)}.`;
  }
  return { el, update, destroy: () => el.remove() };
}
