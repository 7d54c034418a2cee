// Horizontal bar charts as SVG, built node by node: names are user text and only ever reach
// the page through textContent. Colours come from CSS classes (theme variables), so the
// charts follow light and dark mode; sizes are in CSS pixels.
import { formatShort, formatSigned } from "../common/format.js";
import { barDomain, linearScale, OTHER } from "./importance_logic.js";
import { formatTick, niceTicks } from "../common/ticks.js";

const NS = "http://www.w3.org/2000/svg";
const FONT_PX = 11;

/** s("rect", {x: 1, class: "a"}, children): an SVG element; `text` sets textContent. */
export function s(tag, attrs = {}, children = []) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "dataset") for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else node.setAttribute(key, typeof value === "number" ? String(Math.round(value * 10) / 10) : String(value));
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

let measureContext = null;
/** Width of `text` in CSS pixels at the charts' font (an estimate when no canvas is around). */
export function textWidth(text, family = "sans-serif") {
  if (measureContext === null) {
    try {
      measureContext = document.createElement("canvas").getContext("2d") || false;
    } catch (err) {
      measureContext = false;
    }
  }
  if (!measureContext) return String(text).length * FONT_PX * 0.6;
  measureContext.font = `${FONT_PX}px ${family}`;
  return measureContext.measureText(String(text)).width;
}

/** `text` cut to fit `width` pixels, ending in "…" when cut. */
export function fitText(text, width, family) {
  text = String(text);
  if (textWidth(text, family) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, family) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** A name label right-aligned at x, cut to `width` (the full text then in a tooltip); the
 *  `extra` detail (e.g. "= 17.3") in muted text after the name. */
function nameLabel(text, x, y, width, family, extra = "") {
  const full = extra ? `${text} ${extra}` : text;
  const shown = fitText(full, width, family);
  const attrs = { x, y, "text-anchor": "end", "dominant-baseline": "middle", class: "xw-name" };
  if (shown !== full) return s("text", attrs, [s("title", { text: full }), shown]);
  return s("text", attrs, [text, extra ? s("tspan", { class: "xw-detail", text: ` ${extra}` }) : null]);
}

function axis(x, ticks, y1, y2, labelY) {
  return s("g", { class: "xw-axis" }, ticks.map((t) => s("g", {}, [
    s("line", { x1: x(t), x2: x(t), y1, y2, class: t === 0 ? "xw-zero" : "xw-grid" }),
    s("text", { x: x(t), y: labelY, "text-anchor": "middle", "dominant-baseline": "middle", text: formatTick(t) }),
  ])));
}

function size(svg, width, height) {
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
}

// About one tick per 70 px of axis (2 to 5 intervals) so that their labels never touch, and
// at least 3 ticks where a short axis allows it.
function ticksFor([lo, hi], pixels) {
  let count = Math.max(2, Math.min(5, Math.floor(pixels / 70)));
  let ticks = niceTicks(lo, hi, count);
  while (ticks.length < 3 && count < 6) ticks = niceTicks(lo, hi, ++count);
  return ticks;
}

// The name column: as wide as the longest label, at most `share` of the chart.
const labelWidth = (texts, family, width, share) =>
  Math.min(width * share, Math.max(40, ...texts.map((t) => textWidth(t, family)))) + 10;

/**
 * Global importance: one row per feature, {name, value, error (or null), muted}, a bar from 0
 * to the value, whiskers at value ± error, the value at the right. `testid`/`feature` go on
 * each row's <g> for tests.
 */
export function drawGlobalBars(svg, rows, { width = 460, family, row = 18, testid = "global-bar" } = {}) {
  const top = 18;
  const valueW = 50;
  const left = labelWidth(rows.map((r) => r.name), family, width, 0.4);
  const height = top + rows.length * row + 4;
  size(svg, width, height);
  const domain = barDomain(rows.map((r) => r.value), rows.map((r) => r.error));
  const x = linearScale(domain, [left, width - valueW - 6]);
  const ticks = ticksFor(domain, width - valueW - 6 - left);
  const bars = rows.map((r, i) => {
    const y = top + i * row;
    const mid = y + row / 2;
    const v = Number.isFinite(r.value) ? r.value : 0;
    const x0 = x(Math.min(0, v));
    const e = Number.isFinite(r.error) && r.error > 0 ? r.error : 0;
    return s("g", { class: r.muted ? "xw-bar-row xw-muted" : "xw-bar-row", dataset: { testid, feature: r.name } }, [
      nameLabel(r.name, left - 6, mid, left - 8, family),
      s("rect", { x: x0, y: y + 3, width: Math.max(1, x(Math.max(0, v)) - x0), height: row - 6, class: "xw-bar" }),
      e ? s("path", { class: "xw-whisker", d: `M${x(v - e)},${mid}H${x(v + e)}M${x(v - e)},${mid - 3}v6M${x(v + e)},${mid - 3}v6` }) : null,
      s("text", { x: width - 4, y: mid, "text-anchor": "end", "dominant-baseline": "middle", class: "xw-number",
        text: Number.isFinite(r.value) ? formatShort(r.value) : "n/a" }),
    ]);
  });
  svg.replaceChildren(axis(x, ticks, top - 2, height - 4, 8), ...bars);
}

/**
 * Steps from importance_logic.waterfall(): one row per step (a bar from start to end, its
 * signed value beside it). Waterfall: dashed connectors, a line at the base (labelled
 * below the axis) and one at the final value (labelled on top). Plain bars: a line at 0.
 * label(step) -> [name, detail] (detail: e.g. "= 17.3", muted). A step with `error` > 0 gets
 * whiskers at its end ± error.
 */
export function drawSteps(svg, w, { width = 460, family, row = 20, testid = "local-bar", label, baseText = "", finalText = "" } = {}) {
  const texts = w.steps.map((st) => label(st).filter(Boolean).join(" "));
  const left = labelWidth(texts, family, width, 0.42);
  // room for the value labels beside the bars, and a gap after the names
  const pad = Math.max(...w.steps.map((st) => textWidth(formatSigned(st.value), family)), 20) + 10;
  const top = w.waterfall ? 20 : 6;
  const rowsBottom = top + w.steps.length * row;
  const height = rowsBottom + 18 + (w.waterfall ? 16 : 0);
  size(svg, width, height);
  const x = linearScale(w.domain, [left + pad, width - pad]);
  const ticks = ticksFor(w.domain, width - left - 2 * pad);
  const clampX = (px, text) => {
    const half = textWidth(text, family) / 2 + 2;
    return Math.min(width - half, Math.max(left + half, px));
  };
  const parts = [axis(x, ticks, top, rowsBottom, rowsBottom + 9)];
  // the lines first: bars and numbers are drawn over them
  if (!w.waterfall) parts.push(s("line", { class: "xw-zero", x1: x(0), x2: x(0), y1: top, y2: rowsBottom }));
  else {
    parts.push(
      s("line", { class: "xw-base", x1: x(w.base), x2: x(w.base), y1: top, y2: rowsBottom + 4 }),
      s("line", { class: "xw-final", x1: x(w.final), x2: x(w.final), y1: top - 4, y2: rowsBottom }),
    );
  }
  w.steps.forEach((st, i) => {
    const y = top + i * row;
    const mid = y + row / 2;
    const [name, detail] = label(st);
    const lo = Math.min(st.start, st.end);
    const hi = Math.max(st.start, st.end);
    const positive = st.value >= 0;
    const e = st.error > 0 ? st.error : 0;
    const tip = positive ? x(Math.max(hi, st.end + e)) + 4 : x(Math.min(lo, st.end - e)) - 4;
    parts.push(s("g", { class: "xw-step", dataset: { testid, feature: st.index < 0 ? OTHER : st.name } }, [
      nameLabel(name, left - 6, mid, left - 8, family, detail),
      s("rect", { x: x(lo), y: y + 3, width: Math.max(1, x(hi) - x(lo)), height: row - 6, class: positive ? "xw-pos" : "xw-neg" }),
      e ? s("path", { class: "xw-whisker", dataset: { testid: "local-error" },
        d: `M${x(st.end - e)},${mid}H${x(st.end + e)}M${x(st.end - e)},${mid - 3}v6M${x(st.end + e)},${mid - 3}v6` }) : null,
      s("text", { x: tip, y: mid, "text-anchor": positive ? "start" : "end", "dominant-baseline": "middle",
        class: "xw-number", text: formatSigned(st.value) }),
    ]));
    if (w.waterfall && i + 1 < w.steps.length) {
      parts.push(s("line", { class: "xw-connector", x1: x(st.end), x2: x(st.end), y1: y + row - 3, y2: y + row + 3 }));
    }
  });
  if (w.waterfall) {
    parts.push(
      s("text", { class: "xw-base-label", x: clampX(x(w.base), baseText), y: height - 6, "text-anchor": "middle", text: baseText }),
      s("text", { class: "xw-final-label", x: clampX(x(w.final), finalText), y: 10, "text-anchor": "middle",
        "dominant-baseline": "middle", text: finalText }),
    );
  }
  svg.replaceChildren(...parts);
}
