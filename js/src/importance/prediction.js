// The prediction line: the explained output for the what-if values (and at the data's values),
// the classes' probabilities, and "updating…" while a what-if request is on its way.
import { h, replaceChildren } from "../common/dom.js";
import { formatProbability } from "../common/format.js";
import { arrayOf, predictionText } from "./importance_logic.js";

const CLASSES_SHOWN = 6; // outputs listed on the prediction line

/** The most probable classes, the explained one marked (class names are user text). */
function classOutputs(probabilities, classNames, target) {
  const shown = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]).slice(0, CLASSES_SHOWN);
  return shown.map((k) => h("span", {
    class: k === target ? "xw-output xw-active" : "xw-output",
    dataset: { class: String(k) },
  }, [h("span", { text: classNames[k] ?? `class ${k}` }), ` ${formatProbability(probabilities[k])}`]));
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
    const probabilities = model.get("task") === "regression" ? null : arrayOf(local.outputs);
    if (!probabilities || probabilities.length < 2) return replaceChildren(outputs);
    replaceChildren(outputs, classOutputs(probabilities, model.get("class_names") || [], local.target));
  };
  const setUpdating = (busy) => {
    updating.textContent = busy ? "updating…" : "";
  };
  return { el, update, setUpdating, destroy() {} };
}
