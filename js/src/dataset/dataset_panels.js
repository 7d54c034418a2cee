// DatasetExplorer's panels: the confusion matrix (our own grid), the class-mean heatmaps and
// the gallery of selected examples. Class names are user text: textContent only.
import { h, replaceChildren } from "../common/dom.js";
import { formatShort } from "../common/format.js";
import { OverlayPanel, heatmapFromValues } from "../common/panel.js";
import { keyText, thumbRGBA } from "./dataset_logic.js";

const TILE = 72; // px of a gallery picture
const MEAN = 44; // px of a class-mean picture

/** A canvas holding RGBA pixels (an OverlayPanel's base image). */
export function pixelCanvas(rgba, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas;
}

/** Blue, from white (0) to dark (1): a cell's share of its true class. */
export function shareColour(share) {
  const t = Math.max(0, Math.min(1, share));
  const r = Math.round(247 - t * (247 - 8));
  const g = Math.round(251 - t * (251 - 69));
  const b = Math.round(255 - t * (255 - 148));
  return { background: `rgb(${r}, ${g}, ${b})`, color: t > 0.55 ? "#ffffff" : "#1f2328" };
}

/** The confusion matrix: rows = true class, columns = predicted; pick(t, p) on a click. */
export function confusionGrid(pick) {
  const table = h("div", { class: "xw-grid", dataset: { testid: "confusion" }, role: "grid" });
  const el = h("div", { class: "xw-grid-box" }, [
    h("div", { class: "xw-axis-x", text: "predicted class →" }),
    h("div", { class: "xw-grid-row-box" }, [h("div", { class: "xw-axis-y", text: "true class →" }), table]),
    h("div", { class: "xw-hint", text: "Counts; colour = share of the true class (row). Click a cell for its examples." }),
  ]);
  /** state: {k, names, counts, shares, cell: [t, p] | []} */
  const render = (state) => {
    const { k, names, counts, shares, cell } = state;
    table.style.gridTemplateColumns = `auto repeat(${k}, minmax(26px, 40px))`;
    const nodes = [h("div", { class: "xw-corner" })];
    for (let p = 0; p < k; p++) nodes.push(h("div", { class: "xw-col-head", title: `predicted ${names[p]}`, text: names[p] }));
    for (let t = 0; t < k; t++) {
      nodes.push(h("div", { class: "xw-row-head", title: `true ${names[t]}`, text: names[t] }));
      for (let p = 0; p < k; p++) {
        const count = counts[t * k + p];
        const share = shares[t * k + p];
        const chosen = cell.length === 2 && cell[0] === t && cell[1] === p;
        nodes.push(h("button", {
          type: "button",
          class: `xw-cell${t === p ? " xw-diagonal" : ""}${chosen ? " xw-active" : ""}${count ? "" : " xw-zero"}`,
          style: shareColour(share),
          title: `true ${names[t]}, predicted ${names[p]}: ${count} example${count === 1 ? "" : "s"} (${(100 * share).toFixed(1)}% of true ${names[t]})`,
          dataset: { testid: "cell", true: String(t), pred: String(p), count: String(count) },
          text: String(count),
          on: { click: () => pick(t, p) },
        }));
      }
    }
    replaceChildren(table, nodes);
  };
  return { el, render };
}

/** Class-mean heatmaps over the class-mean image, per true and per predicted class. */
export function meansPanel() {
  const el = h("div", { class: "xw-means", dataset: { testid: "means" } });
  let panels = [];
  /** data: {true: {...}, predicted: {...}} decoded: {heat, scale, images, shape, counts}. */
  const render = (data, names, view, signed) => {
    panels = [];
    const rows = [];
    for (const [which, title] of [["true", "Mean heatmap per true class"], ["predicted", "Mean heatmap per predicted class"]]) {
      const d = data && data[which];
      if (!d) continue;
      const [k, hh, ww] = d.shape;
      const tiles = [];
      for (let c = 0; c < k; c++) {
        const canvas = h("canvas", { class: "xw-mean-canvas", dataset: { testid: "mean-canvas" } });
        const panel = new OverlayPanel(canvas);
        panel.setBase(pixelCanvas(thumbRGBA(d.images, d.imageShape, c), d.imageShape[2], d.imageShape[1]));
        const values = d.heat.subarray(c * hh * ww, (c + 1) * hh * ww);
        // one scale for every class: the tiles compare (vmax = the largest over classes)
        const heat = heatmapFromValues(values, hh, ww, { signed });
        heat.vmax = d.scale > 0 ? 1 : heat.vmax;
        panel.setHeatmap(heat);
        panel.resize(MEAN, "base");
        panel.redraw(view);
        panels.push(panel);
        tiles.push(h("figure", { class: "xw-mean", dataset: { testid: "mean", by: which, class: String(c) } }, [
          canvas, h("figcaption", { text: names[c], title: names[c] }),
          h("figcaption", { class: "xw-hint", text: `n=${d.counts[c]}`, title: `${d.counts[c]} examples averaged` }),
        ]));
      }
      rows.push(h("div", { class: "xw-means-row" }, [
        h("div", { class: "xw-means-title", text: `${title} (one colour scale for all classes; max |mean| ${formatShort(d.scale)})` }),
        h("div", { class: "xw-means-tiles" }, tiles),
      ]));
    }
    replaceChildren(el, rows.length ? rows : [h("div", { class: "xw-hint", text: "Class means: waiting for the heatmaps…" })]);
  };
  const redraw = (view) => panels.forEach((p) => p.redraw(view));
  return { el, render, redraw };
}

/**
 * The gallery of the page shown: one tile per row with its picture (thumbnail + heatmap),
 * true and predicted class and the sort key's value. source.tile(row) -> {rgba, width,
 * height, heat (Float32Array) | null} or null (not here yet).
 */
export function galleryTiles() {
  const el = h("div", { class: "xw-tiles", dataset: { testid: "gallery" } });
  let panels = [];
  const render = (rows, state, source, view) => {
    panels = [];
    const tiles = rows.map((row) => {
      const t = state.y[row];
      const p = state.predicted[row];
      const canvas = h("canvas", { class: "xw-tile-canvas", dataset: { testid: "tile-canvas" } });
      const data = source.tile(row);
      if (data) {
        const panel = new OverlayPanel(canvas);
        panel.setBase(pixelCanvas(data.rgba, data.width, data.height));
        if (data.heat) panel.setHeatmap(heatmapFromValues(data.heat, data.height, data.width, { signed: state.signed }));
        panel.resize(TILE, "base");
        panel.redraw(view);
        panels.push(panel);
      }
      const target = state.targets[row];
      const lines = [
        h("div", { class: "xw-tile-row", text: `#${row}` }),
        h("div", { dataset: { testid: "tile-true" }, text: `true: ${state.names[t]}` }),
        h("div", { dataset: { testid: "tile-pred" }, class: t === p ? "" : "xw-wrong", text: `pred: ${state.names[p]}` }),
        target !== p ? h("div", { class: "xw-hint", text: `map of: ${state.names[target]}` }) : null,
        h("div", { dataset: { testid: "tile-key" }, title: state.keyInfo.title || "", text: keyText(state.keyValues ? state.keyValues[row] : NaN, state.keyInfo, formatShort) }),
      ];
      return h("figure", { class: `xw-tile${t === p ? "" : " xw-tile-wrong"}`, dataset: { testid: "tile", row: String(row), right: String(t === p), loaded: String(Boolean(data)) } },
        [canvas, h("figcaption", {}, lines)]);
    });
    replaceChildren(el, tiles);
  };
  const redraw = (view) => panels.forEach((p) => p.redraw(view));
  return { el, render, redraw };
}
