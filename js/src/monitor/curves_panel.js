// Loss and metric curves over the epochs, drawn as SVG (survives an HTML export): losses in
// one chart, the other metrics in another, the shown epoch marked by a vertical line.
import { h, replaceChildren } from "../common/dom.js";
import { formatShort } from "../common/format.js";
import { isLoss } from "./monitor_logic.js";

const NS = "http://www.w3.org/2000/svg";
const W = 260;
const H = 120;
const PAD = { left: 38, right: 6, top: 8, bottom: 18 };
const COLOURS = ["#1769aa", "#e66101", "#5e3c99", "#1a9850", "#b2182b", "#666666"];

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** Polyline points of `values` over `epochs` in a W x H box; null values break nothing
 *  (they are skipped). Returns {points, lo, hi}. */
export function linePoints(epochs, values, lo, hi, lastEpoch) {
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  const y1 = PAD.top;
  const span = hi - lo || 1;
  const first = Math.min(epochs[0] ?? 1, 1);
  const xs = (ep) => x0 + ((ep - first) / Math.max(lastEpoch - first, 1)) * (x1 - x0);
  const ys = (v) => y0 - ((v - lo) / span) * (y0 - y1);
  const points = [];
  epochs.forEach((ep, i) => { if (values[i] !== null) points.push(`${xs(ep).toFixed(1)},${ys(values[i]).toFixed(1)}`); });
  return { points: points.join(" "), xs };
}

function chart(title, series, epochs, shownEpoch, lastEpoch) {
  const all = series.flatMap((s) => s.values.filter((v) => v !== null));
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "xw-chart", "data-testid": "curves", "data-title": title });
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "xw-axis" }));
  root.append(svg("text", { x: PAD.left - 3, y: PAD.top + 8, "text-anchor": "end", class: "xw-tick" }, formatShort(hi)));
  root.append(svg("text", { x: PAD.left - 3, y: H - PAD.bottom, "text-anchor": "end", class: "xw-tick" }, formatShort(lo)));
  root.append(svg("text", { x: W - PAD.right, y: H - 4, "text-anchor": "end", class: "xw-tick" }, `epoch ${lastEpoch}`));
  let xs = null;
  series.forEach((s, k) => {
    const line = linePoints(epochs, s.values, lo, hi, lastEpoch);
    xs = line.xs;
    root.append(svg("polyline", { points: line.points, fill: "none", stroke: COLOURS[k % COLOURS.length],
      "stroke-width": 1.5, "data-series": s.name }));
  });
  if (xs && shownEpoch !== null) {
    const x = xs(shownEpoch).toFixed(1);
    root.append(svg("line", { x1: x, x2: x, y1: PAD.top, y2: H - PAD.bottom, class: "xw-marker", "data-testid": "curve-marker", "data-epoch": shownEpoch }));
  }
  const legend = h("div", { class: "xw-legend" }, series.map((s, k) =>
    h("span", { class: "xw-legend-item" }, [h("span", { class: "xw-swatch", style: { background: COLOURS[k % COLOURS.length] } }), h("span", { text: s.name })])));
  return h("figure", { class: "xw-curve" }, [h("figcaption", { text: title }), root, legend]);
}

/** {el, render(curves (decodeCurves), shownEpoch), destroy}. */
export function curvesPanel() {
  const el = h("div", { class: "xw-curves" });
  return {
    el,
    render(curves, shownEpoch) {
      const { epochs, series } = curves;
      if (!epochs.length) {
        replaceChildren(el, [h("div", { class: "xw-muted", text: "Loss and metrics appear after the first epoch." })]);
        return;
      }
      const last = epochs[epochs.length - 1];
      const losses = series.filter((s) => isLoss(s.name));
      const metrics = series.filter((s) => !isLoss(s.name));
      replaceChildren(el, [
        losses.length ? chart("loss", losses, epochs, shownEpoch, last) : null,
        metrics.length ? chart("metrics", metrics, epochs, shownEpoch, last) : null,
      ]);
    },
    destroy() {},
  };
}
