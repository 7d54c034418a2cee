// Grad-CAM at the selected layer over the input image, with its colorbar, the kernel's
// caption and a button that hides it (clear()). Only the selected layer's Grad-CAM is shown:
// another layer's map would be read as this one's.
import { h } from "../common/dom.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { colourSettings, OverlayPanel, prepareHeatmap } from "../common/panel.js";
import { overlayView } from "./dom_helpers.js";

const STAGE_PX = 256; // the Grad-CAM overlay, CSS pixels (the longer side)

/** {el, update({payload, info, layer, base, opacity}), composite(opacity), revealNext(),
 *  destroy()}: payload/info are the `gradcam`/`gradcam_info` traits; after revealNext() the
 *  next Grad-CAM shown is scrolled into view with reveal(el). */
export function gradcamPanel({ clear, reveal }) {
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid: "gradcam-overlay" } });
  const caption = h("div", { class: "xw-caption", dataset: { testid: "gradcam-caption" } });
  const bar = colorbar("gradcam-colorbar");
  const hide = h("button", { type: "button", text: "Hide Grad-CAM", dataset: { testid: "gradcam-clear" },
    on: { click: () => clear() } });
  const el = h("section", { class: "xw-section xw-gradcam" }, [h("h4", { text: "Grad-CAM" }), canvas, caption, bar.box, hide]);
  const overlay = new OverlayPanel(canvas);
  let revealWhenShown = false; // the answer to our own request: bring it into view

  function update({ payload, info: given, layer, base, opacity }) {
    const info = given || {};
    const has = Boolean(payload && payload.view) && info.layer === layer;
    el.hidden = !has;
    if (!has) return;
    const heat = prepareHeatmap(payload, info);
    if (revealWhenShown) {
      revealWhenShown = false;
      requestAnimationFrame(() => reveal(el));
    }
    const view = overlayView(opacity);
    overlay.setBase(base);
    overlay.setHeatmap(heat);
    overlay.resize(STAGE_PX);
    overlay.redraw(view);
    const settings = colourSettings(heat, view);
    drawColorbar(bar, settings.cmap, settings.signed ? -settings.vmax : 0, settings.vmax);
    caption.textContent = info.caption || "";
  }

  function composite(opacity) {
    if (!el.hidden && overlay.heat) overlay.composite(overlayView(opacity));
  }
  return { el, update, composite, revealNext: () => { revealWhenShown = true; }, destroy: () => el.remove() };
}
