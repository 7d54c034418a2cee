// What only changes the picture: opacity, the threshold, the colormap, absolute values and
// "heatmap only". Handled here in the browser (setView), with the colour scale they give.
import { COLORMAPS } from "../common/colormap.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { h } from "../common/dom.js";

const row = (label, control, value) => h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);

/** {el, render(view), scale(settings | null, note), destroy}; setView(key, value). */
export function viewControls(setView) {
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "opacity" } });
  const threshold = h("input", { type: "range", min: "0", max: "99", step: "1", dataset: { testid: "threshold" } });
  const colormap = h("select", { dataset: { testid: "colormap" } }, [
    h("option", { value: "auto", text: "auto" }),
    ...Object.entries(COLORMAPS).map(([name, cm]) => h("option", { value: name, text: cm.label || name })),
  ]);
  const absolute = h("input", { type: "checkbox", dataset: { testid: "absolute" } });
  const heatmapOnly = h("input", { type: "checkbox", dataset: { testid: "heatmap-only" } });
  const segments = h("input", { type: "checkbox", dataset: { testid: "segments" } });
  const segmentsRow = row("Segment borders", segments);
  segmentsRow.title = "The superpixels the method scored (LIME, KernelSHAP on segments)";
  segmentsRow.hidden = true;
  const opacityLabel = h("span", { class: "xw-value" });
  const thresholdLabel = h("span", { class: "xw-value" });
  const bar = colorbar("colorbar");
  const el = h("div", { class: "xw-side" }, [
    row("Opacity", opacity, opacityLabel),
    row("Hide below", threshold, thresholdLabel), // a percentile of |value|
    row("Colormap", colormap),
    row("Absolute values", absolute),
    row("Heatmap only", heatmapOnly),
    segmentsRow,
    bar.box,
  ]);
  opacity.addEventListener("input", () => setView("opacity", Number(opacity.value)));
  threshold.addEventListener("input", () => setView("threshold", Number(threshold.value)));
  colormap.addEventListener("change", () => setView("colormap", colormap.value));
  absolute.addEventListener("change", () => setView("absolute", absolute.checked));
  heatmapOnly.addEventListener("change", () => setView("heatmap_only", heatmapOnly.checked));
  segments.addEventListener("change", () => setView("show_segments", segments.checked));

  return {
    el,
    render(view) {
      opacity.value = String(view.opacity);
      threshold.value = String(view.threshold);
      colormap.value = view.colormap;
      absolute.checked = view.absolute;
      heatmapOnly.checked = view.heatmap_only;
      segments.checked = Boolean(view.show_segments);
      opacityLabel.textContent = `${Math.round(view.opacity * 100)}%`;
      thresholdLabel.textContent = view.threshold > 0 ? `${Math.round(view.threshold)}th pct` : "off";
    },
    /** Show the "Segment borders" switch only for a method that has segments. */
    segmentsAvailable(on) { segmentsRow.hidden = !on; },
    /** The colour scale of the single picture; null in compare mode (each panel has its own). */
    scale(settings, note = "") {
      bar.canvas.hidden = !settings;
      bar.ticks.hidden = !settings;
      if (settings) drawColorbar(bar, settings.cmap, settings.signed ? -settings.vmax : 0, settings.vmax);
      bar.caption.textContent = note;
      bar.caption.hidden = !note;
    },
    destroy() {},
  };
}
