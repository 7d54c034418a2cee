// This row's explanation: the method menu (view-only: setView, no kernel round trip, every
// method is already in `local`), the walk from the base value to the prediction (or plain
// bars for a method that does not add up), how the numbers were made, and how to read them.
import { formatShort } from "../common/format.js";
import { h, replaceChildren } from "../common/dom.js";
import { arrayOf, baseLabel, featureValueText, methodNote, waterfall } from "./importance_logic.js";
import { fontOf, hint, row } from "./elements.js";
import { drawSteps, s } from "./svg_bars.js";

const MAX_STEPS = 12; // the largest attributions, the rest folded into one step

function build({ setView }) {
  const method = h("select", { dataset: { testid: "local-method" },
    on: { change: () => setView("local_method", method.value) } });
  const title = h("div", { class: "xw-caption" });
  const empty = hint("Explaining this instance…");
  const svg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Contribution of each feature to this prediction" });
  const svgBox = h("div", { class: "xw-chart-box" }, [svg]);
  const note = h("div", { class: "xw-caption", dataset: { testid: "local-note" } });
  const readingHint = hint("");
  const methodRow = row("Method", method);
  const chart = h("div", { class: "xw-section", dataset: { testid: "local-chart" } }, [methodRow, title, empty, svgBox]);
  const el = h("div", { class: "xw-section" }, [chart, note, readingHint]);
  return { el, method, methodRow, title, empty, svg, svgBox, note, readingHint };
}

/** The method menu: the methods `local` holds; returns the one shown (the chosen one when
 *  there, else the first). */
function showMethods(p, methods, chosen) {
  const available = Object.keys(methods);
  replaceChildren(p.method, available.map((name) => h("option", { value: name, text: methods[name].label || name })));
  const name = methods[chosen] ? chosen : available[0];
  p.method.value = name || "";
  p.method.disabled = available.length < 2;
  p.methodRow.hidden = available.length === 0;
  return name;
}

/** The note under the chart; says so when a walk's steps miss the prediction. */
function noteText(name, method, local, w, count, summing) {
  let note = methodNote(name, method, count);
  const gap = Math.abs(w.final - local.prediction);
  if (summing && !Number.isFinite(method.completeness_delta) && gap > 0.01 * (w.domain[1] - w.domain[0])) {
    note += ` The steps add up to ${formatShort(w.final)}, the prediction is ${formatShort(local.prediction)}.`;
  }
  return note;
}

function drawChart(p, model, { local, name, method, attributions, width }) {
  const features = model.get("features") || [];
  const instance = Array.isArray(local.values) ? local.values : model.get("instance_values") || [];
  const summing = Boolean(method.sums_to_prediction) && Number.isFinite(method.base);
  const errors = arrayOf(method.standard_errors); // sampled KernelSHAP's uncertainty
  const w = waterfall(attributions, { names: model.get("feature_names") || [], base: method.base,
    sumsToPrediction: summing, maxSteps: MAX_STEPS, errors });
  const finalValue = Number.isFinite(local.prediction) ? local.prediction : w.final;
  drawSteps(p.svg, w, {
    width, family: fontOf(p.el),
    label: (st) => [st.name, st.index >= 0 && st.index < instance.length ? `= ${featureValueText(features[st.index], instance[st.index])}` : ""],
    baseText: summing ? baseLabel(name, method.base) : "",
    finalText: summing ? `f(x) = ${formatShort(finalValue)}` : "",
  });
  p.title.textContent = `Contributions to the ${local.score_label || "prediction"} for this instance`;
  p.note.textContent = noteText(name, method, local, w, attributions.length, summing);
  p.readingHint.textContent = summing
    ? "Bars pointing right raise the prediction, bars pointing left lower it; together they walk from the base value to this prediction."
    : "Bars pointing right raise the prediction, bars pointing left lower it (for a small change of the value).";
}

function draw(p, model, width) {
  const local = model.get("local") || {};
  const methods = local.methods || {};
  const name = showMethods(p, methods, model.get("local_method"));
  const method = methods[name];
  const attributions = method ? arrayOf(method.values) : null;
  p.empty.hidden = Boolean(attributions);
  p.svgBox.hidden = !attributions;
  if (attributions) return drawChart(p, model, { local, name, method, attributions, width });
  p.svg.replaceChildren();
  p.title.textContent = "";
  p.note.textContent = "";
  p.readingHint.textContent = "";
}

/** Reads `local`, `local_method`, `features`, `feature_names` (and `instance_values` when
 *  `local` lacks its values). setView(key, value): a view-only change. */
export function localPanel(model, { setView }) {
  const p = build({ setView });
  let width = 460;
  return {
    el: p.el,
    update: () => draw(p, model, width),
    resize: (w) => { width = w; },
    destroy() {},
  };
}
