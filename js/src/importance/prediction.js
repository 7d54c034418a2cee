// The prediction line: the explained output for the what-if values (and at the data's values),
// the classes' outputs (probabilities, or scores for a head without softmax: `local.value_kind`),
// and "updating…" while a what-if request is on its way.
import { h, replaceChildren } from "../common/dom.js";
import { formatProbability, formatShort } from "../common/format.js";
import { arrayOf, predictionText } from "./importance_logic.js";

const CLASSES_SHOWN = 6; // outputs listed on the prediction line

/** The classes with the largest outputs, the explained one marked (class names are user
 *  text); each printed by its kind: "0.931" for a probability (as the prediction above
 *  it), "12.3" for a score. */
function classOutputs(outputs, classNames, target, kind) {
  const shown = Array.from(outputs.keys()).sort((a, b) => outputs[b] - outputs[a]).slice(0, CLASSES_SHOWN);
  return shown.map((k) => h("span", {
    class: k === target ? "xw-output xw-active" : "xw-output",
    dataset: { class: String(k) },
  }, [h("span", { text: classNames[k] ?? `class ${k}` }), ` ${kind === "probability" ? formatProbability(outputs[k]) : formatShort(outputs[k])}`]));
}

/** Reads `local`, `task` and `class_names`. update() redraws; setUpdating(busy) shows whether
 *  a what-if request is in flight. */
export function predictionLine(model) {
  const main = h("span", { class: "xw-prediction-main" });
  const outputs = h("span", { class: "xw-outputs" });
  const updating = h("span", { class: "xw-pending" });
  const el = h("div", { class: "xw-prediction", dataset: { testid: "prediction" } }, [main, outputs, updating]);

  const update = () => {
    const local = model.get("local") || {};
    main.textContent = predictionText(local) || "No prediction yet.";
    // tests wait for this: the values of the explanation now on screen
    if (Array.isArray(local.values)) el.dataset.values = JSON.stringify(local.values);
    else delete el.dataset.values;
    const values = model.get("task") === "regression" ? null : arrayOf(local.outputs);
    if (!values || values.length < 2) return replaceChildren(outputs);
    const kind = local.value_kind ?? "probability"; // kernels before value_kind sent probabilities
    replaceChildren(outputs, classOutputs(values, model.get("class_names") || [], local.target, kind));
  };
  const setUpdating = (busy) => {
    updating.textContent = busy ? "updating…" : "";
  };
  return { el, update, setUpdating, destroy() {} };
}
