// Controls every widget that asks the kernel shares: the class buttons, the head menu and the
// status bar.
import { h, replaceChildren } from "./dom.js";
import { outputLabel, outputSentence } from "./format.js";

const KIND_TITLES = {
  probability: "The model's probability of each class (its output ends in softmax or sigmoid).",
  score: "The model's raw score (logit) of each class: its output has no softmax, so these are not probabilities.",
  value: "The model's prediction: this output is one number (a regression head), not a class.",
};

/**
 * "Top class" plus the model's top outputs, printed as their kind says (each `top_classes`
 * entry carries `value_kind`): probabilities "cow 93.1%"; scores (logits) "cow 12.3" after a
 * "scores:" label. A head with one unit has nothing to choose: a sentence instead of buttons
 * ("Predicted value of 'age': 54.2", "Probability of class 'dog': 23.1%"). pick(index) asks
 * for that class.
 */
export function classButtons(model, pick) {
  const el = h("div", { class: "xw-classes", dataset: { testid: "classes" } });
  const render = () => {
    const top = model.get("top_classes") || [];
    const kind = top.length ? (top[0].value_kind ?? "probability") : "";
    el.dataset.kind = kind;
    el.title = KIND_TITLES[kind] || "";
    if (top.length === 1 && (model.get("class_names") || []).length === 1) {
      replaceChildren(el, [h("span", { class: "xw-head-output", dataset: { testid: "head-output" }, text: outputSentence(top[0]) })]);
      return;
    }
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
      kind === "score" ? h("span", { class: "xw-kind", dataset: { testid: "output-kind" }, text: "scores:" }) : null,
      ...top.map((c) => button(c.index, outputLabel(c))),
    ]);
  };
  return { el, render };
}

/** The model's outputs (`heads`) as a menu when it has several; pick(name) asks for one.
 *  Without pick the menu only says which output is explained (disabled: the widget was made
 *  for one head). Hidden for a model with one output. Head names are user text. */
export function headMenu(model, pick = null) {
  const select = h("select", { dataset: { testid: "head" }, disabled: !pick,
    title: pick ? "Which of the model's outputs to explain" : "The output explained (chosen with head= when the widget was made)" });
  const el = h("label", { class: "xw-row xw-head", dataset: { testid: "head-menu" } }, [h("span", { text: "Output" }), select]);
  if (pick) select.addEventListener("change", () => pick(select.value));
  let names = null;
  const render = () => {
    const heads = model.get("heads") || [];
    el.hidden = heads.length <= 1;
    if (JSON.stringify(heads) !== names) {
      names = JSON.stringify(heads);
      replaceChildren(select, heads.map((name) => h("option", { value: name, text: name })));
    }
    select.value = model.get("head") || "";
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
