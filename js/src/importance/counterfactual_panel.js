// What is the smallest change that flips this decision? "Find" asks the kernel for
// counterfactuals of the what-if row (compute_counterfactuals, with the class wanted and the
// features kept fixed); each answer is shown as a diff against the row (only the features it
// changes), with its distance and the model's decision on it, and "Apply" moves the what-if
// controls there. Feature names and class names are user text: textContent only.
import { h, replaceChildren } from "../common/dom.js";
import { formatShort } from "../common/format.js";
import { arrayOf, featureValueText } from "./importance_logic.js";
import { hint } from "./elements.js";

/** The counterfactual rows of the `counterfactual` trait: [{values, changed, distance, ...}]. */
export function counterfactualRows(view, featureCount) {
  const flat = view && view.count ? arrayOf(view.rows) : null;
  if (!flat || !featureCount) return [];
  return Array.from({ length: view.count }, (_, i) => ({
    values: Array.from(flat.subarray(i * featureCount, (i + 1) * featureCount)),
    changed: (view.changed || [])[i] || [],
    distance: (view.distance || [])[i],
    prediction: (view.predictions || [])[i],
    valid: Boolean((view.valid || [])[i]),
  }));
}

function card(cf, i, { names, features, current, apply }) {
  const diff = cf.changed.map((name) => {
    const j = names.indexOf(name);
    const f = { ...(features[j] || {}), name };
    return h("tr", { dataset: { feature: name } }, [
      h("td", { class: "xw-name", text: name }),
      h("td", { class: "xw-old", text: featureValueText(f, current[j]) }),
      h("td", { text: "→" }),
      h("td", { class: "xw-new", text: featureValueText(f, cf.values[j]) }),
    ]);
  });
  const head = `${i + 1}. → ${cf.prediction}: ${cf.changed.length} feature${cf.changed.length === 1 ? "" : "s"} changed, ` +
    `distance ${formatShort(cf.distance)}${cf.valid ? "" : " (not confirmed by the model)"}`;
  return h("div", { class: "xw-cf", dataset: { testid: "counterfactual" } }, [
    h("div", { class: "xw-cf-head" }, [
      h("span", { text: head }),
      h("button", { type: "button", text: "Apply", dataset: { testid: "apply-counterfactual" },
        title: "Set the what-if values to this counterfactual", on: { click: () => apply(cf.values) } }),
    ]),
    h("table", { class: "xw-diff" }, diff),
  ]);
}

function build({ find, toggleLock }) {
  const desired = h("select", { dataset: { testid: "cf-desired" } });
  const button = h("button", { type: "button", text: "Find", dataset: { testid: "find-counterfactuals" },
    title: "Search for the smallest changes of this row that change the decision (asks the kernel)",
    on: { click: () => find(desired.value === "" ? -1 : Number(desired.value)) } });
  const locks = h("div", { class: "xw-locks" });
  const list = h("div", { class: "xw-cfs", dataset: { testid: "counterfactuals" } });
  const notes = h("div", { class: "xw-notes" });
  const summary = h("div", { class: "xw-hint", dataset: { testid: "cf-summary" }, text: "Press Find to search (the kernel computes)." });
  const controls = h("div", { class: "xw-controls" }, [h("span", { text: "Reach" }), desired, button]);
  const el = h("section", { class: "xw-section", dataset: { testid: "counterfactual-panel" } }, [
    h("h4", { text: "Smallest change that flips the decision" }),
    controls,
    h("details", { class: "xw-details" }, [h("summary", { text: "Keep these features as they are" }), locks]),
    summary, list, notes,
    hint("Distance: the sum of the changes, each in units of its feature's typical spread (median absolute deviation); a changed category counts 1."),
  ]);
  locks.addEventListener("change", (event) => {
    const box = event.target;
    if (box && box.dataset && box.dataset.feature !== undefined) toggleLock(box.dataset.feature, box.checked);
  });
  return { el, desired, button, locks, list, notes, summary, controls };
}

/** Reads `counterfactual`, `locked`, `class_names`, `task`, `features`, `feature_names` and
 *  `instance_values`. find(desired) asks the kernel (-1: any other class); toggleLock(name,
 *  on) and apply(values) are the view's. */
export function counterfactualPanel(model, { find, toggleLock, apply }) {
  const p = build({ find, toggleLock });
  const buildControls = () => {
    const names = model.get("feature_names") || [];
    const locked = new Set(model.get("locked") || []);
    replaceChildren(p.locks, names.map((name) => h("label", { class: "xw-lock" }, [
      h("input", { type: "checkbox", checked: locked.has(name), dataset: { testid: "cf-lock", feature: name } }),
      h("span", { text: name }),
    ])));
    const classes = model.get("class_names") || [];
    replaceChildren(p.desired, [h("option", { value: "", text: "any other class" }),
      ...classes.map((name, k) => h("option", { value: String(k), text: name }))]);
    const regression = model.get("task") === "regression";
    p.controls.hidden = regression;
    if (regression) p.summary.textContent = "For a regression, ask from Python with the values to reach: f.find_counterfactuals(desired=(low, high)).";
  };
  const update = () => {
    const view = model.get("counterfactual") || {};
    const names = model.get("feature_names") || [];
    const features = model.get("features") || [];
    const current = arrayOf(view.instance) || model.get("instance_values") || [];
    const rows = counterfactualRows(view, names.length);
    replaceChildren(p.list, rows.map((cf, i) => card(cf, i, { names, features, current, apply })));
    if (view.count === undefined) return;
    p.summary.textContent = rows.length
      ? `From the row searched (the model decides ${view.original}): ${rows.length} counterfactual${rows.length === 1 ? "" : "s"}` +
        ` reaching ${view.desired ?? "another class"}, each checked with the model:`
      : `No counterfactual found for the row searched (the model decides ${view.original}).`;
    replaceChildren(p.notes, (view.notes || []).map((text) => h("div", { class: "xw-hint", text })));
  };
  return { el: p.el, update, buildControls, destroy() {} };
}
