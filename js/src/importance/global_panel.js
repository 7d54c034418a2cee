// Global importance: one bar per feature (permutation importance or mean |SHAP|) and its
// controls. Kind, sort, top-k and the threshold are view-only: they go out through setView
// and the chart is redrawn here from data already in the browser. Until the kernel has
// computed the importance, a Compute button stands in for the chart. A kind that cannot be
// computed on these data (no labels, a constant y, ...) says why under the chart, in the
// kernel's words; notes say what the numbers mean on degenerate data (one class in y,
// constant columns, every value 0).
import { h, replaceChildren } from "../common/dom.js";
import { arrayOf, clampTopK, globalCaption, globalMessages, mutedFlags, orderFeatures } from "./importance_logic.js";
import { fontOf, hint, options, row } from "./elements.js";
import { drawGlobalBars, s } from "./svg_bars.js";
import { groupsChart } from "./groups_chart.js";

const KINDS = [["permutation", "permutation (shuffle a column)"], ["shap", "mean |SHAP value|"]];
const SORTS = [["importance", "importance"], ["name", "name"], ["data", "column order"]];

function build({ setView, compute }) {
  const kind = h("select", { dataset: { testid: "importance-kind" },
    on: { change: () => setView("importance_kind", kind.value) } }, options(KINDS));
  const sort = h("select", { dataset: { testid: "sort" }, on: { change: () => setView("sort", sort.value) } }, options(SORTS));
  const topK = h("input", { type: "range", min: "1", max: "1", step: "1", dataset: { testid: "top-k" },
    on: { input: () => setView("top_k", Number(topK.value)) } });
  const threshold = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "threshold" },
    on: { input: () => setView("threshold", Number(threshold.value)) } });
  const topKLabel = h("span", { class: "xw-value" });
  const thresholdLabel = h("span", { class: "xw-value" });
  const svg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Global importance of each feature" });
  const chart = h("div", { class: "xw-chart-box", dataset: { testid: "global-chart" } }, [svg]);
  const caption = h("div", { class: "xw-caption", dataset: { testid: "global-caption" } });
  const notes = h("div", { class: "xw-notes", dataset: { testid: "global-notes" } });
  const reasons = h("div", { class: "xw-reasons", dataset: { testid: "global-reasons" } });
  const emptyText = h("span", { class: "xw-hint" });
  const computeButton = h("button", { type: "button", text: "Compute", dataset: { testid: "compute-global" },
    title: "Compute global importance and the surrogates (asks the kernel)", on: { click: () => compute() } });
  const empty = h("div", { class: "xw-empty" }, [emptyText, computeButton]);
  const controls = h("div", { class: "xw-controls" }, [row("Importance", kind), row("Sort by", sort),
    row("Show", topK, topKLabel), row("Grey below", threshold, thresholdLabel)]);
  const groups = groupsChart();
  const el = h("section", { class: "xw-section" }, [
    h("h4", { text: "Global importance" }),
    controls, empty, chart, caption, groups.el, notes, reasons,
    hint("Longer bars: the model leans more on that feature across the data (not only for this row)."),
  ]);
  return { el, kind, sort, topK, topKLabel, threshold, thresholdLabel, svg, chart, caption, notes, reasons, emptyText, computeButton, empty, controls, groups };
}

/** Chart or "not computed yet" (with Compute, unless the kernel is busy computing, or it
 *  said why neither kind can be computed: the reasons are shown instead). */
function showEmpty(p, model) {
  const importance = model.get("importance") || {};
  const empty = !importance.permutation && !importance.shap;
  const busy = model.get("status") === "busy";
  const explained = empty && Object.keys(importance.reasons || {}).length > 0;
  p.empty.hidden = !empty;
  p.chart.hidden = empty;
  p.controls.hidden = empty;
  p.caption.hidden = empty;
  p.computeButton.hidden = !empty || busy || explained;
  p.emptyText.textContent = busy ? "Computing global importance…"
    : explained ? "Global importance cannot be computed on these data:" : "Global importance is not computed yet.";
}

/** One muted line per message (user text: set as text); hidden when there is none. */
function lines(el, texts) {
  replaceChildren(el, texts.map((text) => h("div", { class: "xw-hint", text })));
  el.hidden = texts.length === 0;
}

/** The importance kind shown: the chosen one when computed, else one that is. */
function currentKind(importance, wanted) {
  if (importance[wanted]) return wanted;
  return importance.permutation ? "permutation" : importance.shap ? "shap" : wanted;
}

function syncControls(p, model, count) {
  const k = clampTopK(model.get("top_k"), count);
  p.topK.max = String(Math.max(1, count));
  p.topK.disabled = count <= 1; // one feature: nothing to choose
  p.topK.value = String(k);
  p.topKLabel.textContent = `${k} of ${count}`;
  p.sort.value = model.get("sort");
  const t = Number(model.get("threshold")) || 0;
  p.threshold.value = String(t);
  p.thresholdLabel.textContent = t > 0 ? `${Math.round(t * 100)}% of the largest` : "off";
}

function draw(p, model, width) {
  showEmpty(p, model);
  const importance = model.get("importance") || {};
  const kind = currentKind(importance, model.get("importance_kind"));
  const why = (importance.reasons || {});
  for (const option of p.kind.options) {
    option.disabled = !importance[option.value];
    option.title = option.disabled && why[option.value] ? String(why[option.value]) : "";
  }
  p.kind.value = kind;
  const info = importance[kind];
  const names = model.get("feature_names") || [];
  p.groups.update(kind === "permutation" ? info : null, names, { width, family: fontOf(p.el) });
  const scores = info ? arrayOf(kind === "permutation" ? info.mean : info.mean_abs) : null;
  const messages = globalMessages(importance, kind, scores);
  lines(p.notes, messages.notes);
  lines(p.reasons, messages.reasons);
  syncControls(p, model, scores ? scores.length : names.length);
  if (!scores) {
    p.caption.textContent = "";
    return p.svg.replaceChildren();
  }
  const errors = kind === "permutation" ? arrayOf(info.std) : null;
  const muted = mutedFlags(scores, model.get("threshold"));
  const shown = orderFeatures(names, scores, { sort: model.get("sort"), topK: model.get("top_k") });
  drawGlobalBars(p.svg, shown.map((i) => ({
    name: names[i] ?? `x${i}`, value: scores[i], error: errors ? errors[i] : null, muted: muted[i],
  })), { width, family: fontOf(p.el) });
  p.caption.textContent = globalCaption(kind, info);
}

/** Reads `importance`, `importance_kind`, `sort`, `top_k`, `threshold`, `feature_names` and
 *  `status`. setView(key, value): a view-only change; compute(): ask the kernel for it.
 *  update() redraws; renderStatus() only the empty state (cheap: status changes are many). */
export function globalPanel(model, { setView, compute }) {
  const p = build({ setView, compute });
  let width = 460;
  return {
    el: p.el,
    update: () => draw(p, model, width),
    renderStatus: () => showEmpty(p, model),
    resize: (w) => { width = w; },
    destroy() {},
  };
}
