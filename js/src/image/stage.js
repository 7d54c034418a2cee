// The pictures: the image with the shown heatmap over it, or in compare mode one panel per
// method, each with its own colour scale stated under it. Sized to fit the space it has
// (large images are scaled down, small ones up by whole pixels).
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { h, replaceChildren } from "../common/dom.js";
import { colourSettings, OverlayPanel, prepareHeatmap } from "../common/panel.js";

const MIN_PX = 96;

function comparePanel(base, entry) {
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid: "compare-panel", method: entry.info.method } });
  const panel = new OverlayPanel(canvas);
  panel.setBase(base);
  panel.setHeatmap(prepareHeatmap(entry.heatmap, entry.info));
  panel.setBorders(entry.info.borders);
  panel.bar = colorbar("compare-colorbar", "this panel's own scale");
  panel.figure = h("figure", { dataset: { method: entry.info.method } }, [
    canvas, h("figcaption", { text: entry.info.label }), panel.bar.box]);
  return panel;
}

/** {el, show(base, main, compared), resize(width, height), redraw(view, recolor), settings(view), destroy}. */
export function stage() {
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid: "overlay" } });
  const grid = h("div", { class: "xw-grid", dataset: { testid: "compare-grid" } });
  const el = h("div", { class: "xw-stage" }, [canvas, grid]);
  const main = new OverlayPanel(canvas);
  let panels = []; // compare mode: the shown method first, then the others
  let box = { width: 360, height: 360 };

  const fit = () => {
    if (!panels.length) return main.resize(Math.max(MIN_PX, Math.min(box.width, box.height)));
    const columns = Math.min(panels.length, Math.max(1, Math.floor(box.width / 200)), 3);
    const side = Math.max(MIN_PX, Math.floor((box.width - 10 * (columns - 1)) / columns) - 4);
    for (const p of panels) p.resize(Math.min(side, 320));
    grid.style.maxWidth = `${box.width}px`; // wrap into the columns counted above
  };

  return {
    el,
    /** main / compared: {heatmap, info} entries; compared empty -> one picture. */
    show(base, mainEntry, compared = []) {
      main.setBase(base);
      if (mainEntry && mainEntry.heatmap && mainEntry.heatmap.view) main.setHeatmap(prepareHeatmap(mainEntry.heatmap, mainEntry.info));
      main.setBorders(mainEntry && mainEntry.info ? mainEntry.info.borders : null);
      panels = compared.length && mainEntry && mainEntry.heatmap.view ? [mainEntry, ...compared].map((e) => comparePanel(base, e)) : [];
      replaceChildren(grid, panels.map((p) => p.figure));
      canvas.hidden = panels.length > 0;
      grid.hidden = panels.length === 0;
      fit();
    },
    resize(width, height) {
      box = { width: Math.max(MIN_PX, width), height: Math.max(MIN_PX, height) };
      fit();
    },
    redraw(view, recolor = true) {
      for (const p of panels.length ? panels : [main]) {
        if (recolor) p.redraw(view);
        else p.composite(view);
        if (p.bar && recolor) {
          const s = colourSettings(p.heat, view);
          drawColorbar(p.bar, s.cmap, s.signed ? -s.vmax : 0, s.vmax);
        }
      }
    },
    /** The single picture's colour settings (null in compare mode or before any heatmap). */
    settings: (view) => (panels.length || !main.heat ? null : colourSettings(main.heat, view)),
    comparing: () => panels.length > 0,
    destroy() {},
  };
}
