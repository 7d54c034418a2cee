// Global surrogates: a decision tree and a linear model fitted to the model's own answers,
// with how often they agree with it (fidelity), the tree's rules as text and the linear
// model's largest coefficients as bars. When they cannot be fitted on these rows (the model
// gives every row the same answer, too few rows) the kernel's reason stands in their place.
import { h } from "../common/dom.js";
import { arrayOf, waterfall } from "./importance_logic.js";
import { fontOf, hint } from "./elements.js";
import { drawSteps, s } from "./svg_bars.js";

const COEFFICIENTS_SHOWN = 8;

function build() {
  const note = h("span", { class: "xw-hint" });
  const empty = h("div", { class: "xw-hint", text: "Not computed yet.", dataset: { testid: "surrogate-reason" } });
  const treeFidelity = h("div", { dataset: { testid: "tree-fidelity" } });
  const linearFidelity = h("div", { dataset: { testid: "linear-fidelity" } });
  const rules = h("pre", { class: "xw-rules", dataset: { testid: "rules" } });
  const svg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Linear surrogate coefficients" });
  const svgBox = h("div", { class: "xw-chart-box" }, [svg]);
  const coefficientNote = hint("");
  const body = h("div", { class: "xw-section" }, [
    treeFidelity,
    h("details", { class: "xw-details", open: true }, [h("summary", { text: "Rules of the tree" }), rules]),
    linearFidelity, svgBox, coefficientNote,
  ]);
  const el = h("section", { class: "xw-section", dataset: { testid: "surrogate" } }, [
    h("h4", {}, [h("span", { text: "Global surrogates " }), note]),
    empty, body,
    hint("Simple models trained to imitate this model's answers: when they agree often, their rules describe it well."),
  ]);
  return { el, note, empty, body, treeFidelity, linearFidelity, rules, svg, svgBox, coefficientNote };
}

const fidelity = (v) => (Number.isFinite(v) ? v.toFixed(2) : "n/a");

function drawCoefficients(p, sg, names, width) {
  const linear = sg.linear || {};
  const coefficients = arrayOf(linear.coefficients);
  p.svgBox.hidden = !coefficients;
  p.coefficientNote.hidden = !coefficients && !linear.reason;
  if (!coefficients) {
    p.coefficientNote.textContent = linear.reason ? String(linear.reason) : ""; // e.g. a class never predicted
    return;
  }
  const w = waterfall(coefficients, { names, sumsToPrediction: false, maxSteps: COEFFICIENTS_SHOWN, fold: false });
  drawSteps(p.svg, w, { width, family: fontOf(p.el), row: 16, testid: "coefficient", label: (st) => [st.name] });
  p.coefficientNote.textContent = `The ${w.steps.length} largest coefficients of the linear surrogate, on standardised features` +
    `${sg.kind === "regression" ? "" : " (log-odds of the target class)"}.`;
}

function draw(p, model, width) {
  const sg = model.get("surrogate") || {};
  const has = Boolean(sg.tree || sg.linear);
  p.empty.hidden = has;
  p.body.hidden = !has;
  p.empty.textContent = sg.reason ? String(sg.reason) : "Not computed yet.";
  p.note.textContent = has ? `(fitted to the model's predictions, fidelity on ${sg.held_out_rows} held-out rows)` : "";
  if (!has) return;
  const label = sg.fidelity_label || (sg.kind === "regression" ? "R²" : "agreement");
  const tree = sg.tree || {};
  const linearName = sg.kind === "regression" ? "Linear regression" : "Logistic regression";
  p.treeFidelity.textContent = `Decision tree (depth ${tree.depth}): ${label} ${fidelity(tree.fidelity)}`;
  p.linearFidelity.textContent = `${linearName}: ${label} ${fidelity((sg.linear || {}).fidelity)}`;
  p.rules.textContent = tree.rules || ""; // user text (feature names): never markup
  drawCoefficients(p, sg, model.get("feature_names") || [], width);
}

/** Reads `surrogate` and `feature_names`; update() redraws, resize(width) sets the chart width. */
export function surrogatesPanel(model) {
  const p = build();
  let width = 460;
  return {
    el: p.el,
    update: () => draw(p, model, width),
    resize: (w) => { width = w; },
    destroy() {},
  };
}
