// The controls above the selected layer (sort by, how many channels, Grad-CAM at this layer)
// and the overlays' opacity slider. They only report: sort/count/opacity call back with the
// new value (the view sets the view-only trait), the Grad-CAM button calls gradcam().
import { h } from "../common/dom.js";
import { clampCount } from "./layers_logic.js";
import { labelRow } from "./dom_helpers.js";

const ORDERS = [["mean", "mean activation"], ["contribution", "contribution to the class"]];

/** {el, update({act, order, count}), destroy()}: hidden until the layer has data; the
 *  Grad-CAM button only for spatial layers. */
export function layerControls({ order: onOrder, count: onCount, gradcam: onGradcam }) {
  const order = h("select", { dataset: { testid: "order" }, on: { change: () => onOrder(order.value) } },
    ORDERS.map(([value, label]) => h("option", { value, text: label })));
  const count = h("input", { type: "range", min: "1", max: "256", step: "1", dataset: { testid: "count" },
    on: { input: () => onCount(Number(count.value)) } });
  const countLabel = h("span", { class: "xw-value" });
  const gradcam = h("button", { type: "button", text: "Grad-CAM at this layer", dataset: { testid: "gradcam" },
    title: "Which parts of the image this layer's channels point to for the class (asks the kernel)",
    on: { click: () => onGradcam() } });
  const el = h("div", { class: "xw-controls" }, [labelRow("Sort by", order), labelRow("Show", count, countLabel), gradcam]);

  function update({ act, order: by, count: n }) {
    el.hidden = !act;
    gradcam.disabled = !act || act.kind !== "spatial";
    if (act) count.max = String(clampCount(256, act.channels)); // before the value: not clipped
    order.value = by;
    const shown = act ? clampCount(n, act.channels) : n;
    count.value = String(shown);
    countLabel.textContent = act ? `${shown} of ${act.channels}` : String(shown);
  }
  return { el, update, destroy: () => el.remove() };
}

/** {el, update(opacity), destroy()}: the opacity of the enlarged channel and the Grad-CAM. */
export function opacityControl(onOpacity) {
  const input = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "opacity" },
    on: { input: () => onOpacity(Number(input.value)) } });
  const label = h("span", { class: "xw-value" });
  const el = labelRow("Opacity", input, label);
  function update(opacity) {
    input.value = String(opacity);
    label.textContent = `${Math.round(opacity * 100)}%`;
  }
  return { el, update, destroy: () => el.remove() };
}
