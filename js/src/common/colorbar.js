// A colorbar with round tick labels: the colour scale of every heatmap the widgets draw.
import { colorbarRGBA, isDiverging } from "./colormap.js";
import { h, replaceChildren } from "./dom.js";
import { formatTick, niceTicks } from "./ticks.js";

/** {box, canvas, ticks, caption}: a 256-px gradient, tick labels under it and an optional
 *  caption ("shared scale", "|value|") under those. */
export function colorbar(testid, captionText = "") {
  const canvas = h("canvas", { class: "xw-colorbar", width: 256, height: 12, dataset: { testid } });
  const ticks = h("div", { class: "xw-ticks" });
  const caption = h("div", { class: "xw-colorbar-caption", text: captionText });
  caption.hidden = !captionText;
  return { box: h("div", { class: "xw-colorbar-box" }, [canvas, ticks, caption]), canvas, ticks, caption };
}

/** Paint `cmap` from `lo` (left) to `hi` (right) and label it. A diverging map keeps 0 at
 *  its centre, so from lo = 0 it shows its upper half (as colorize() draws magnitudes). */
export function drawColorbar(bar, cmap, lo, hi, half = isDiverging(cmap) && lo >= 0) {
  const { canvas, ticks } = bar;
  const rgba = colorbarRGBA(cmap, canvas.width, { half });
  const image = new ImageData(canvas.width, canvas.height);
  for (let y = 0; y < canvas.height; y++) image.data.set(rgba, y * canvas.width * 4);
  canvas.getContext("2d").putImageData(image, 0, 0);
  canvas.dataset.cmap = cmap;
  canvas.dataset.lo = String(lo);
  canvas.dataset.hi = String(hi);
  const values = fittingTicks(lo, hi, canvas.width);
  replaceChildren(ticks, values.map((t) =>
    h("span", { text: formatTick(t), style: { left: `${((t - lo) / (hi - lo || 1)) * 100}%` } })));
}

const CHAR_PX = 6.5; // an 11 px label's average character width

/** Round ticks whose labels do not run into each other over `width` pixels: 5 intervals, or
 *  fewer when the labels are long ("0.0012"). */
export function fittingTicks(lo, hi, width) {
  let values = [];
  for (const count of [5, 4, 3, 2, 1]) {
    values = niceTicks(lo, hi, count);
    if (values.length < 2) return values;
    const spacing = (width * (values[1] - values[0])) / (hi - lo || 1);
    const widest = Math.max(...values.map((t) => formatTick(t).length)) * CHAR_PX + 6;
    if (spacing >= widest) return values;
  }
  return values;
}
