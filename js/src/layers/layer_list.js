// The model's layers, one row each, indented by nesting, with where a branch or a merge takes
// its inputs from. Clicking a selectable row calls pick(path); the view asks the kernel.
import { h, replaceChildren } from "../common/dom.js";
import { formatCount } from "../common/format.js";
import { formatShape, inputLabels, isSelectable } from "./layers_logic.js";
import { onKeyClick, revealIn } from "./dom_helpers.js";

function layerRow(r, link, pick) {
  const selectable = isSelectable(r);
  return h("div", {
    class: ["xw-layer-row", r.is_model ? "xw-model" : "", selectable ? "" : "xw-fixed", link.kind ? `xw-${link.kind}` : ""]
      .filter(Boolean).join(" "),
    dataset: { testid: "layer-row", path: r.path },
    role: "option",
    tabindex: selectable ? "0" : undefined,
    title: r.path,
    style: { paddingLeft: `${6 + 14 * (r.depth || 0)}px` },
    on: selectable ? { click: () => pick(r.path), keydown: onKeyClick } : {},
  }, [
    h("div", { class: "xw-layer-line" }, [
      h("span", { class: "xw-layer-name", text: r.name }), // layer names are user text
      h("span", { class: "xw-layer-params", text: r.params ? formatCount(r.params) : "", title: `${r.params} parameters` }),
    ]),
    h("div", { class: "xw-layer-line xw-layer-meta" }, [
      h("span", { text: [r.kind, formatShape(r.output_shape)].filter(Boolean).join(" · ") }),
      link.text ? h("span", { class: "xw-link", text: link.text }) : null,
    ]),
  ]);
}

/** {el, setRows(rows), select(layer), destroy()}: setRows draws the rows (the `layers`
 *  trait), select marks the selected one and scrolls it into view inside the list. */
export function layerList({ pick }) {
  const el = h("div", { class: "xw-layer-list", dataset: { testid: "layer-list" }, role: "listbox" });
  function setRows(rows) {
    const labels = inputLabels(rows);
    replaceChildren(el, rows.map((r, i) => layerRow(r, labels[i], pick)));
  }
  function select(layer) {
    let active = null;
    for (const node of el.children) {
      const on = node.dataset.path === layer;
      node.classList.toggle("xw-active", on);
      node.setAttribute("aria-selected", String(on));
      if (on) active = node;
    }
    revealIn(el, active);
  }
  return { el, setRows, select, destroy: () => el.remove() };
}
