// The selected layer's title: its name, kind, output shape, parameters and the kernel's note
// on its values (e.g. "scores before the final softmax").
import { h, replaceChildren } from "../common/dom.js";
import { formatCount } from "../common/format.js";
import { formatShape } from "./layers_logic.js";

/** {el, update({row, layer, note, shown}), destroy()}; row: the `layers` entry of `layer` (if
 *  any); shown: the layer whose maps are on screen, when it is not yet `layer`. */
export function layerTitle() {
  const el = h("div", { class: "xw-title", dataset: { testid: "layer-title" } });
  function update({ row, layer, note, shown }) {
    const stale = shown && shown !== layer;
    replaceChildren(el, [
      ...(row ? [
        h("strong", { text: row.name }),
        h("span", { class: "xw-value", text: [row.kind, formatShape(row.output_shape), `${formatCount(row.params)} params`].join(" · ") }),
        note && !stale ? h("span", { class: "xw-hint", text: ` (${note})` }) : null,
      ] : [h("strong", { text: layer || "" })]),
      stale ? h("span", { class: "xw-notice", dataset: { testid: "layer-shown" }, text: ` (asked; still showing ${shown})` }) : null,
    ]);
  }
  return { el, update, destroy: () => el.remove() };
}
