// The "Row [n] of N" input: which row of the data is explained. Typing waits a moment (a
// number may have more digits coming); Enter or leaving the field picks at once.
import { debounce, h } from "../common/dom.js";
import { row } from "./elements.js";

/** Reads `instance` and `instance_count`; pick(row) is called with a new, clamped row. */
export function instancePicker(model, { pick }) {
  const input = h("input", { type: "number", min: "0", step: "1", class: "xw-instance",
    dataset: { testid: "instance" }, title: "Row of the data to explain" });
  const count = h("span", { class: "xw-value" });
  const el = row("Row", input, count);

  const render = () => {
    const n = model.get("instance_count") || 0;
    input.max = String(Math.max(0, n - 1));
    if (document.activeElement !== input) input.value = String(model.get("instance"));
    count.textContent = `of ${n}`;
  };
  const choose = () => {
    const n = model.get("instance_count") || 0;
    const i = Math.round(Number(input.value));
    if (input.value.trim() === "" || !Number.isFinite(i) || n < 1) return;
    const clamped = Math.min(n - 1, Math.max(0, i));
    if (clamped !== i) input.value = String(clamped);
    if (clamped !== model.get("instance")) pick(clamped);
  };
  const chooseLater = debounce(choose, 400);
  input.addEventListener("input", chooseLater);
  input.addEventListener("change", () => { chooseLater.cancel(); choose(); });
  input.addEventListener("blur", render);
  return { el, render, destroy: () => chooseLater.cancel() };
}
