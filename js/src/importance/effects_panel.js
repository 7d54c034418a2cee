// How does the prediction change with one feature? Partial dependence (the mean over all
// rows), a sample of the rows' own curves (ICE), this row's curve and ALE, for the feature
// chosen in the menu (a kernel request: `effect_feature`). A categorical feature gets bars.
// The what-if value of the feature is marked; a click on the chart moves the what-if control
// there (onPick), so the kernel predicts and explains that row.
import { h, replaceChildren } from "../common/dom.js";
import { formatShort } from "../common/format.js";
import { formatTick, niceTicks } from "../common/ticks.js";
import { arrayOf, featureValueText, linearScale } from "./importance_logic.js";
import { hint } from "./elements.js";
import { s } from "./svg_bars.js";

const HEIGHT = 230;
const M = { left: 52, right: 12, top: 10, bottom: 34 };

/** The curves of the `effects` trait as arrays; ALE is centred, so it is drawn shifted onto
 *  the mean of the PD curve (the legend says so). */
export function effectCurves(view) {
  const grid = arrayOf(view.grid);
  const pd = arrayOf(view.pd);
  if (!grid || !pd) return null;
  const flat = arrayOf(view.ice);
  const n = grid.length;
  const ice = [];
  for (let i = 0; flat && i + n <= flat.length; i += n) ice.push(flat.subarray(i, i + n));
  const edges = arrayOf(view.ale_edges);
  const ale = arrayOf(view.ale);
  const mean = pd.reduce((a, b) => a + b, 0) / pd.length;
  return {
    grid, pd, ice, own: arrayOf(view.own),
    ale: edges && ale ? { x: edges, y: Array.from(ale, (v) => v + mean) } : null,
  };
}

/** [lo, hi] over every finite number of the given arrays, padded by 4% (never empty). */
export function extent(arrays, pad = 0.04) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) for (const v of a || []) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** The feature value at pixel `px` of a numeric chart: on the what-if slider's step, within
 *  its range. */
export function valueAt(px, x0, x1, [d0, d1], feature) {
  const t = (px - x0) / (x1 - x0 || 1);
  let v = d0 + Math.min(1, Math.max(0, t)) * (d1 - d0);
  const step = Number(feature && feature.step);
  if (step > 0) v = Math.round(v / step) * step;
  const lo = Number(feature && feature.min);
  const hi = Number(feature && feature.max);
  if (Number.isFinite(lo)) v = Math.max(lo, v);
  if (Number.isFinite(hi)) v = Math.min(hi, v);
  return Number(v.toPrecision(12));
}

const path = (xs, ys, x, y) => Array.from(xs, (v, i) => `${i ? "L" : "M"}${x(v).toFixed(1)},${y(ys[i]).toFixed(1)}`).join("");

function yAxis(y, domain, width) {
  const ticks = niceTicks(domain[0], domain[1], 4);
  return s("g", { class: "xw-axis" }, ticks.map((t) => s("g", {}, [
    s("line", { x1: M.left, x2: width - M.right, y1: y(t), y2: y(t), class: "xw-grid" }),
    s("text", { x: M.left - 4, y: y(t), "text-anchor": "end", "dominant-baseline": "middle", text: formatTick(t) }),
  ])));
}

function drawNumeric(svg, view, c, feature, width, value) {
  const xDomain = extent([c.grid, [value]], 0);
  const yDomain = extent([c.pd, c.own, c.ale && c.ale.y, ...c.ice]);
  const x = linearScale(xDomain, [M.left, width - M.right]);
  const y = linearScale(yDomain, [HEIGHT - M.bottom, M.top]);
  const xTicks = niceTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor((width - M.left) / 80)));
  const parts = [
    yAxis(y, yDomain, width),
    s("g", { class: "xw-axis" }, xTicks.map((t) => s("text", { x: x(t), y: HEIGHT - M.bottom + 12, "text-anchor": "middle", text: formatTick(t) }))),
    ...c.ice.map((curve) => s("path", { d: path(c.grid, curve, x, y), class: "xw-ice" })),
  ];
  if (c.ale) parts.push(s("path", { d: path(c.ale.x, c.ale.y, x, y), class: "xw-ale", dataset: { testid: "ale" } }));
  parts.push(s("path", { d: path(c.grid, c.pd, x, y), class: "xw-pd", dataset: { testid: "pd" } }));
  if (c.own) parts.push(s("path", { d: path(c.grid, c.own, x, y), class: "xw-own", dataset: { testid: "own-curve" } }));
  if (Number.isFinite(value)) {
    parts.push(s("line", { x1: x(value), x2: x(value), y1: M.top, y2: HEIGHT - M.bottom, class: "xw-marker", dataset: { testid: "effect-marker" } }));
  }
  // hover: the exact numbers at each grid point
  c.grid.forEach((g, i) => {
    const own = c.own ? `; this row ${formatShort(c.own[i])}` : "";
    parts.push(s("circle", { cx: x(g), cy: y(c.pd[i]), r: 3, class: "xw-point", dataset: { testid: "pd-point" } },
      [s("title", { text: `${feature.name} = ${featureValueText(feature, g)}: mean ${formatShort(c.pd[i])}${own}` })]));
  });
  return { parts, pick: (px) => valueAt(px, M.left, width - M.right, xDomain, feature) };
}

function drawCategorical(svg, view, c, feature, width, value) {
  const yDomain = extent([c.pd, c.own, [0]]);
  const y = linearScale(yDomain, [HEIGHT - M.bottom, M.top]);
  const band = (width - M.left - M.right) / c.grid.length;
  const labels = view.labels || [];
  const parts = [yAxis(y, yDomain, width)];
  const codes = Array.from(c.grid);
  codes.forEach((code, i) => {
    const x0 = M.left + i * band;
    const top = Math.min(y(0), y(c.pd[i]));
    const chosen = Number(code) === Number(value);
    const own = c.own ? `; this row ${formatShort(c.own[i])}` : "";
    parts.push(s("g", { class: chosen ? "xw-category xw-chosen" : "xw-category", dataset: { testid: "pd-bar", code: String(code) } }, [
      s("rect", { x: x0 + band * 0.15, y: top, width: band * 0.7, height: Math.max(1, Math.abs(y(c.pd[i]) - y(0))), class: "xw-bar" },
        [s("title", { text: `${feature.name} = ${labels[i] ?? code}: mean ${formatShort(c.pd[i])}${own}` })]),
      c.own ? s("circle", { cx: x0 + band / 2, cy: y(c.own[i]), r: 4, class: "xw-own-dot" }) : null,
      s("text", { x: x0 + band / 2, y: HEIGHT - M.bottom + 12, "text-anchor": "middle", text: String(labels[i] ?? code) }),
    ]));
  });
  return { parts, pick: (px) => codes[Math.min(codes.length - 1, Math.max(0, Math.floor((px - M.left) / band)))] };
}

function build({ choose }) {
  const select = h("select", { dataset: { testid: "effect-feature" }, on: { change: () => choose(select.value) } });
  const svg = s("svg", { class: "xw-chart xw-effects", role: "img", "aria-label": "Partial dependence" });
  const legend = h("div", { class: "xw-hint", dataset: { testid: "effects-legend" } });
  const notes = h("div", { class: "xw-notes" });
  const empty = h("div", { class: "xw-hint", text: "The curves come from the kernel (not received yet)." });
  const el = h("section", { class: "xw-section", dataset: { testid: "effects" } }, [
    h("h4", {}, [h("span", { text: "How does the prediction change with " }), select, h("span", { text: "?" })]),
    empty, h("div", { class: "xw-chart-box" }, [svg]), legend, notes,
    hint("Click the chart to set this row's value there (the what-if control moves)."),
  ]);
  return { el, select, svg, legend, notes, empty };
}

/** Reads `effects`, `effect_feature`, `features`, `feature_names` and `instance_values`.
 *  choose(name) asks for another feature; onPick(index, value) moves a what-if control. */
export function effectsPanel(model, { choose, onPick }) {
  const p = build({ choose });
  let width = 460;
  let pick = null;
  let index = -1;
  p.svg.addEventListener("click", (event) => {
    if (!pick || index < 0) return;
    const box = p.svg.getBoundingClientRect();
    const scale = box.width ? width / box.width : 1;
    onPick(index, pick((event.clientX - box.left) * scale));
  });
  const buildMenu = () => {
    const names = model.get("feature_names") || [];
    replaceChildren(p.select, names.map((name) => h("option", { value: name, text: name })));
    p.select.value = model.get("effect_feature");
  };
  const update = () => {
    const view = model.get("effects") || {};
    p.select.value = model.get("effect_feature");
    const c = view.grid ? effectCurves(view) : null;
    const features = model.get("features") || [];
    index = Number.isInteger(view.index) ? view.index : -1;
    const feature = { ...(features[index] || {}), name: view.feature };
    p.empty.hidden = Boolean(c);
    if (!c) {
      p.svg.replaceChildren();
      pick = null;
      return;
    }
    const value = Number((model.get("instance_values") || [])[index] ?? view.value);
    const drawn = (view.categorical ? drawCategorical : drawNumeric)(p.svg, view, c, feature, width, value);
    pick = drawn.pick;
    p.svg.setAttribute("width", String(width));
    p.svg.setAttribute("height", String(HEIGHT));
    p.svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    p.svg.replaceChildren(...drawn.parts,
      s("text", { x: M.left, y: HEIGHT - 4, class: "xw-axis-title", text: `${view.feature} (this row: ${featureValueText(feature, value)})` }));
    const shape = view.categorical ? "bars: the mean over" : "thick line: the mean over";
    p.legend.textContent = `y: ${view.score_label}. ${shape} all ${view.rows} rows with ${view.feature} set to each value ` +
      `(partial dependence)${view.categorical ? "" : `; thin lines: ${view.ice_shown} of those rows (ICE)`}; ` +
      `${view.categorical ? "dots" : "accent line"}: this row` +
      (c.ale ? "; dashed: accumulated local effects (centred, drawn on the mean of the thick line)." : ".");
    const texts = [...(view.ale_notes || []), ...(view.ale_reason ? [`ALE: ${view.ale_reason}`] : [])];
    replaceChildren(p.notes, texts.map((text) => h("div", { class: "xw-hint", text })));
  };
  return { el: p.el, update, buildMenu, resize: (w) => { width = w; }, destroy() {} };
}
