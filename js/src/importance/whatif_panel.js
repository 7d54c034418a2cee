// What if? One control per feature (a slider, or a drop-down for a categorical one) with its
// value and a revert button, and "Reset to the data". The panel keeps the values its controls
// show; every edit hands the whole list to submit() (the view wires it to the request lane,
// whatif_requests.js). follow() takes the kernel's instance_values (another row, or Python set
// them), except on the slider being dragged.
import { h, replaceChildren } from "../common/dom.js";
import { sameValues } from "../common/request_queue.js";
import { categoryIndex, featureValueText } from "./importance_logic.js";
import { hint } from "./elements.js";

/** One feature's row: {feature, input, label, revert, line}. on: {edit(v), revert(), grab(), release()}. */
function featureRow(feature, name, on) {
  const input = feature.kind === "categorical"
    ? h("select", { dataset: { testid: "whatif-select", feature: name } },
      (feature.values || []).map((code, k) => h("option", { value: String(code), text: (feature.labels || [])[k] ?? String(code) })))
    : h("input", { type: "range", min: String(feature.min), max: String(feature.max), step: feature.step > 0 ? String(feature.step) : "any",
      dataset: { testid: "whatif-slider", feature: name } });
  const edit = () => {
    const v = Number(input.value);
    if (Number.isFinite(v)) on.edit(v);
  };
  input.addEventListener("input", edit);
  input.addEventListener("change", () => { edit(); on.release(); });
  input.addEventListener("pointerdown", on.grab);
  // a constant column (min == max, or one level): nothing to move, and it says so
  const levels = feature.kind === "categorical" ? (feature.values || []).length : null;
  if (levels !== null ? levels <= 1 : !(Number(feature.max) > Number(feature.min))) {
    input.disabled = true;
    input.title = "Constant in the data: the only value seen, nothing to move.";
  }
  const label = h("span", { class: "xw-value" });
  const revert = h("button", { type: "button", class: "xw-revert", text: "↺",
    dataset: { testid: "whatif-revert", feature: name }, on: { click: on.revert } });
  const line = h("div", { class: "xw-whatif-row", dataset: { feature: name } },
    [h("span", { class: "xw-name", text: name, title: name }), input, label, revert]);
  return { feature, input, label, revert, line };
}

/** Show value `v` on a row (and on its control when `move`), marked when it differs from the data. */
function showValue(c, v, original, move) {
  if (move && Number.isFinite(v)) {
    if (c.feature.kind === "categorical") c.input.selectedIndex = categoryIndex(c.feature, v);
    else c.input.value = String(v);
  }
  c.label.textContent = Number.isFinite(v) ? featureValueText(c.feature, v) : "";
  c.label.title = c.label.textContent;
  const changed = Number.isFinite(original) && Number.isFinite(v) && !sameValues([v], [original]);
  c.line.classList.toggle("xw-changed", changed);
  c.revert.disabled = !changed; // hidden by CSS (it keeps its grid cell)
  c.revert.title = changed ? `back to ${featureValueText(c.feature, original)}, the value in the data` : "";
}

/** Reads `features`, `feature_names`, `original_values` and `instance_values`. build() makes
 *  the rows anew; follow() shows the kernel's values; submit(values) asks for new ones. */
export function whatifPanel(model, { submit }) {
  let values = []; // the what-if values the controls show
  let controls = [];
  let dragging = -1; // index of the slider under the pointer
  const originals = () => model.get("original_values") || [];
  const show = (j, move = true) => {
    if (controls[j]) showValue(controls[j], values[j], originals()[j], move && j !== dragging);
  };
  const set = (j, v, move) => {
    values[j] = v;
    show(j, move);
    submit(values);
  };
  const reset = () => {
    values = Array.from(originals(), Number);
    dragging = -1;
    controls.forEach((_, j) => show(j));
    submit(values);
  };
  const rows = h("div", { class: "xw-whatif-rows" });
  const el = h("section", { class: "xw-section", dataset: { testid: "whatif" } }, [
    h("div", { class: "xw-whatif-head" }, [h("h4", { text: "What if?" }),
      h("button", { type: "button", text: "Reset to the data", dataset: { testid: "reset" }, on: { click: reset } })]),
    hint("Move a value to see how the prediction and its explanation change (the kernel predicts again)."),
    rows,
  ]);
  const follow = () => {
    const next = model.get("instance_values") || [];
    values = Array.from(next, (v, j) => (j === dragging && Number.isFinite(values[j]) ? values[j] : Number(v)));
    controls.forEach((_, j) => show(j));
  };
  const build = () => {
    const names = model.get("feature_names") || [];
    controls = (model.get("features") || []).map((f, j) => featureRow(f, f.name ?? names[j] ?? `x${j}`, {
      edit: (v) => set(j, v, false),
      revert: () => set(j, originals()[j], true),
      grab: () => { dragging = j; },
      release: () => { dragging = -1; },
    }));
    replaceChildren(rows, controls.map((c) => c.line));
    follow();
  };
  const endDrag = () => { dragging = -1; };
  globalThis.addEventListener("pointerup", endDrag);
  globalThis.addEventListener("pointercancel", endDrag);
  return {
    el, build, follow,
    values: () => values.slice(),
    /** Move control j to v (a click on the effects chart) and ask for the row. */
    setValue: (j, v) => { if (controls[j]) set(j, v, true); },
    /** All values at once (a counterfactual's "Apply"). */
    apply(next) {
      values = Array.from(next, Number);
      controls.forEach((_, j) => show(j));
      submit(values);
    },
    destroy() {
      globalThis.removeEventListener("pointerup", endDrag);
      globalThis.removeEventListener("pointercancel", endDrag);
    },
  };
}
