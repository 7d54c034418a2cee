// The selected layer's title: its name, kind, output shape, parameters and the kernel's note
// on its values (e.g. "scores before the final softmax").
import { h, replaceChildren } from "../common/dom.js";
import { formatCount } from "../common/format.js";
import { formatShape } from "./layers_logic.js";

/** {el, update({row, layer, note}), destroy()}; row: the `layers` entry of `layer` (if any). */
export function layerTitle() {
  const el = h("div", { class: "xw-title", dataset: { testid: "layer-title" } });
  function update({ row, layer, note }) {
    replaceChildren(el, row ? [
      h("strong", { text: row.name }),
      h("span", { class: "xw-value", text: [row.kind, formatShape(row.output_shape), `${formatCount(row.params)} params`].join(" · ") }),
      note ? h("span", { class: "xw-hint", text: ` (${note})` }) : null,
    ] : [h("strong", { text: layer || "" })]);
  }
  return { el, update, destroy: () => el.remove() };
}
