// The decision path: the layers with weights, in order, each with the channels that add the
// most to the class score (gradient × activation). A step calls pick(layer, null); a channel
// chip calls pick(layer, channel). The view decides what that asks for.
import { h, replaceChildren } from "../common/dom.js";
import { formatSigned, onKeyClick, revealIn } from "./dom_helpers.js";

function chip(step, c, value, active, pick) {
  return h("button", {
    type: "button",
    class: `xw-chip ${value >= 0 ? "xw-pos" : "xw-neg"}${active ? " xw-active" : ""}`,
    dataset: { testid: "path-channel", channel: String(c) },
    text: `#${c} ${formatSigned(value)}`,
    title: `channel ${c}: adds ${formatSigned(value)} to the class score (gradient × activation)`,
    on: { click: (event) => { event.stopPropagation(); pick(step.layer, c); } },
  });
}

function stepBox(step, row, { layer, channel }, pick) {
  const active = step.layer === layer;
  const chips = (step.channels || []).map((c, i) =>
    chip(step, c, (step.contributions || [])[i] ?? 0, active && c === channel, pick));
  return h("div", {
    class: active ? "xw-step xw-active" : "xw-step",
    dataset: { testid: "path-step", layer: step.layer },
    role: "button",
    tabindex: "0",
    title: step.layer,
    on: { click: () => pick(step.layer, null), keydown: onKeyClick },
  }, [
    h("div", { class: "xw-step-name", text: row ? row.name : step.layer }),
    h("div", { class: "xw-step-kind", text: `${step.kind || ""} Σ ${formatSigned(step.total ?? 0)}` }),
    h("div", { class: "xw-chips" }, chips),
  ]);
}

/** {el, update({steps, rows, layer, channel}), destroy()}: steps is the `decision_path`
 *  trait, rows a Map path -> `layers` row (for the names). */
export function pathPanel({ pick }) {
  const path = h("div", { class: "xw-path", dataset: { testid: "decision-path" } });
  const el = h("div", { class: "xw-path-box" }, [h("span", { class: "xw-label", text: "Decision path" }), path]);
  function update({ steps = [], rows = new Map(), layer, channel }) {
    const boxes = steps.map((step) => stepBox(step, rows.get(step.layer), { layer, channel }, pick));
    replaceChildren(path, boxes.length ? boxes : [h("span", { class: "xw-hint", text: "(no layers with weights)" })]);
    revealIn(path, path.querySelector(".xw-step.xw-active"), true);
  }
  return { el, update, destroy: () => el.remove() };
}
