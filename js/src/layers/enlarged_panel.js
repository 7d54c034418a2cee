// One channel of a spatial layer enlarged over the input image (the layer's low-resolution
// map stretched over the whole image), with its colorbar (|value|) and a caption; a hint
// until a channel is picked.
import { h } from "../common/dom.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { colourSettings, heatmapFromValues, OverlayPanel } from "../common/panel.js";
import { formatTick } from "../common/ticks.js";
import { channelValues } from "./layers_logic.js";
import { formatSigned, overlayView } from "./dom_helpers.js";

const STAGE_PX = 256; // the enlarged channel, CSS pixels (the longer side)

/** {el, update({act, channel, base, opacity}), composite(opacity), showsChannel(), destroy()}:
 *  hidden unless the layer is spatial; base is the input's ImageBitmap (or null). */
export function enlargedPanel() {
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid: "enlarged" } });
  const caption = h("div", { class: "xw-caption", dataset: { testid: "enlarged-caption" } });
  const bar = colorbar("enlarged-colorbar");
  const hint = h("div", { class: "xw-hint", text: "Click a channel to see it over the image." });
  const el = h("div", { class: "xw-enlarged" }, [hint, canvas, caption, bar.box]);
  const overlay = new OverlayPanel(canvas);

  function update({ act, channel, base, opacity }) {
    const spatial = Boolean(act) && act.kind === "spatial";
    const c = spatial ? channel : -1;
    el.hidden = !spatial;
    canvas.hidden = c < 0;
    bar.box.hidden = c < 0;
    caption.hidden = c < 0;
    hint.hidden = c >= 0;
    if (c < 0) {
      caption.textContent = "";
      return;
    }
    const [height, width] = act.shape;
    const heat = heatmapFromValues(channelValues(act.q, act.shape, act.lo, act.hi, c), height, width, { signed: false });
    const view = overlayView(opacity);
    overlay.setBase(base);
    overlay.setHeatmap(heat);
    overlay.resize(STAGE_PX, "base"); // the layer's map stretched over the whole image
    overlay.redraw(view);
    const settings = colourSettings(heat, view);
    drawColorbar(bar, settings.cmap, 0, settings.vmax);
    caption.textContent = `Channel ${c} (${width}×${height} map over the image): mean ${formatTick(act.means[c])}, ` +
      `contribution ${formatSigned(act.contributions[c])}; colour: |value|`;
  }

  /** A new opacity: the colours stay, only the image and the map are blended again. */
  function composite(opacity) {
    if (!canvas.hidden && overlay.heat) overlay.composite(overlayView(opacity));
  }
  const showsChannel = () => !el.hidden && !canvas.hidden;
  return { el, update, composite, showsChannel, destroy: () => el.remove() };
}
