// Controls every widget that asks the kernel shares: the class buttons and the status bar.
import { h, replaceChildren } from "./dom.js";

/** "Top class" plus the model's top predictions; pick(index) asks for that class. */
export function classButtons(model, pick) {
  const el = h("div", { class: "xw-classes", dataset: { testid: "classes" } });
  const render = () => {
    const target = model.get("target");
    const button = (index, label) => h("button", {
      type: "button",
      class: index === target ? "xw-class xw-active" : "xw-class",
      dataset: { testid: "class-option", class: String(index) },
      text: label, // class names are user text: never HTML
      on: { click: () => pick(index) },
    });
    replaceChildren(el, [
      button(-1, "Top class"),
      ...(model.get("top_classes") || []).map((c) => button(c.index, `${c.name} ${(c.probability * 100).toFixed(1)}%`)),
    ]);
  };
  return { el, render };
}

/** Busy state, progress bar, a Cancel button (stops the kernel's work between batches) and
 *  the error box with Python's message; `extra` nodes go at the end of the status row. */
export function statusBar(model, extra = []) {
  const bar = h("div", { class: "xw-progress-bar" });
  const progress = h("div", { class: "xw-progress", dataset: { testid: "progress" } }, [bar]);
  const cancel = h("button", { type: "button", class: "xw-cancel", text: "Cancel", dataset: { testid: "cancel" },
    on: { click: () => model.send({ type: "cancel" }) } });
  const text = h("span", { class: "xw-status-text" });
  const status = h("div", { class: "xw-status", dataset: { testid: "status", state: "idle" } },
    [text, progress, cancel, ...extra]);
  const error = h("div", { class: "xw-error", dataset: { testid: "error" }, role: "alert" });
  const render = () => {
    const state = model.get("status");
    status.dataset.state = state;
    bar.style.width = `${Math.round((model.get("progress") || 0) * 100)}%`;
    cancel.disabled = state !== "busy";
    text.textContent = state === "busy" ? "Computing…" : "";
    error.textContent = state === "error" ? model.get("error") : "";
    error.hidden = state !== "error";
  };
  return { status, error, render };
}
