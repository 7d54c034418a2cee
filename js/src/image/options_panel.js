// The chosen method's options as a form, built from the registry's data types (integer,
// number, boolean, choice, layer, array). Apply asks the kernel; Python checks the values and
// its message shows in the widget (novalidate: one source of truth).
import { h, replaceChildren } from "../common/dom.js";

const has = (spec, type) => (spec.types || []).includes(type);

/** The input for one option, showing `value` (or the default when undefined). */
export function optionInput(name, spec, value, layers = []) {
  const current = value === undefined ? spec.default : value;
  const common = { dataset: { option: name, testid: `option-${name}` }, title: spec.doc };
  if (has(spec, "boolean")) return h("input", { ...common, type: "checkbox", checked: Boolean(current) });
  if (has(spec, "layer") || (has(spec, "choice") && !has(spec, "number") && !has(spec, "integer"))) {
    const choices = has(spec, "layer") ? ["", ...layers] : spec.choices || [];
    const label = (c) => (c === "" ? "(last spatial layer)" : c);
    return h("select", common, choices.map((c) => h("option", { value: c, text: label(c), selected: c === (current ?? "") })));
  }
  const numeric = !has(spec, "choice");
  const input = h("input", { ...common, type: numeric ? "number" : "text",
    value: current === null || current === undefined ? "" : String(current), placeholder: "auto" });
  if (!numeric) input.placeholder = `number or ${(spec.choices || []).join(", ")}`;
  if (numeric) input.step = has(spec, "integer") ? "1" : "any";
  if (numeric && spec.minimum !== undefined) input.min = String(spec.minimum);
  if (numeric && spec.maximum !== undefined) input.max = String(spec.maximum);
  // wide enough for its value (LRP's epsilon 1e-6 shows as 0.000001), the spinner beside it
  input.style.width = `${Math.max(6, input.value.length + 4)}ch`;
  return input;
}

/** The value an input holds for `spec`; undefined means "the default" (left empty). */
export function readOption(input, spec) {
  if (has(spec, "boolean")) return input.checked;
  const raw = input.value.trim();
  if (raw === "") return undefined;
  if ((spec.choices || []).includes(raw)) return raw;
  if (has(spec, "integer")) return Number.isInteger(Number(raw)) ? Number(raw) : raw;
  if (has(spec, "number")) return Number.isFinite(Number(raw)) ? Number(raw) : raw; // Python says what is wrong
  return raw;
}

/** {el, render(spec, values, layers), destroy}; apply(options) when the form is submitted. */
export function optionsPanel(apply) {
  let spec = null;
  const el = h("form", { class: "xw-options", dataset: { testid: "options" }, novalidate: true });
  const onSubmit = (event) => {
    event.preventDefault();
    if (!spec) return;
    const options = {};
    for (const input of el.querySelectorAll("[data-option]")) {
      const value = readOption(input, spec.options[input.dataset.option]);
      if (value !== undefined) options[input.dataset.option] = value;
    }
    apply(options);
  };
  el.addEventListener("submit", onSubmit);
  return {
    el,
    render(methodSpec, values = {}, layers = []) {
      spec = methodSpec;
      if (!spec) return replaceChildren(el);
      const fields = Object.entries(spec.options)
        .filter(([name, o]) => name !== "batch_size" && !(o.types || []).every((t) => t === "array"))
        .map(([name, o]) => h("label", { class: "xw-row" }, [h("span", { text: name }), optionInput(name, o, values[name], layers)]));
      replaceChildren(el, fields.length ? [...fields, h("button", { type: "submit", text: "Apply", dataset: { testid: "apply" } })] : []);
    },
    destroy: () => el.removeEventListener("submit", onSubmit),
  };
}
