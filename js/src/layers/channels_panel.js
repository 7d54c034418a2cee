// The selected layer's channels: a grid of small maps for a spatial layer (click one to
// enlarge it: pick(channel), or pick(-1) to close it), bars of its units for a vector layer,
// ranked by mean activation or by contribution to the class, the first `count` of them.
import { h, replaceChildren } from "../common/dom.js";
import { colorize } from "../common/colormap.js";
import { formatTick } from "../common/ticks.js";
import { channelPlane, clampCount, dequantize, formatShape, rankChannels } from "./layers_logic.js";
import { formatShort, formatSigned, onKeyClick, paint } from "./dom_helpers.js";
import { drawUnits } from "./units_chart.js";

const TILE_PX = 56; // a channel in the grid, CSS pixels (the longer side)
const NO_DATA = "No data for this layer yet.";

/** The figure of channel c: its map in viridis (0..255 of its own range) and a label. */
function channelTile(act, c, onClick) {
  const [height, width] = act.shape;
  const canvas = h("canvas", { class: "xw-tile", dataset: { testid: "channel", channel: String(c) } });
  paint(canvas, colorize(channelPlane(act.q, act.shape, c), { cmap: "viridis", vmax: 255 }), width, height);
  const zoom = TILE_PX / Math.max(width, height);
  Object.assign(canvas.style, { width: `${Math.round(width * zoom)}px`, height: `${Math.round(height * zoom)}px` });
  const label = h("figcaption");
  const figure = h("figure", {
    class: "xw-channel", tabindex: "0", dataset: { channel: String(c) },
    on: { click: onClick, keydown: onKeyClick },
  }, [canvas, label]);
  return { figure, canvas, label };
}

/** {el, show(act, error), update({order, count, channel}), destroy()}: show() takes a new
 *  layer's data from decodeActivation (null: none; `error` says why reading it failed),
 *  update() draws it as the view-only traits say (channel already validated). */
export function channelsPanel({ pick }) {
  const noData = h("div", { class: "xw-hint", text: NO_DATA });
  const grid = h("div", { class: "xw-channel-grid", dataset: { testid: "channel-grid" } });
  const units = h("canvas", { class: "xw-units", dataset: { testid: "units" } });
  const unitsNote = h("div", { class: "xw-hint" });
  const vector = h("div", { class: "xw-vector" }, [units, unitsNote]);
  const el = h("div", { class: "xw-maps" }, [noData, grid, vector]);
  let act = null;
  let tiles = new Map(); // channel -> {figure, canvas, label}, drawn once per activation
  let selected = -1;
  let unitsKey = null; // what the bars show now: redrawn only when it changes

  const tile = (c) => {
    if (!tiles.has(c)) tiles.set(c, channelTile(act, c, () => pick(selected === c ? -1 : c)));
    return tiles.get(c);
  };
  const shown = (scores, count) => rankChannels(scores, clampCount(count, act.channels));

  function show(next, error = "") {
    act = next;
    tiles = new Map();
    unitsKey = null;
    noData.textContent = error ? `Could not read this layer's data: ${error}` : NO_DATA;
    noData.hidden = Boolean(act);
    grid.hidden = !act || act.kind !== "spatial";
    vector.hidden = !act || act.kind === "spatial";
  }

  function drawGrid({ order, count }) {
    if (!act || act.kind !== "spatial") return replaceChildren(grid);
    const signed = order === "contribution";
    const scores = signed ? act.contributions : act.means;
    replaceChildren(grid, shown(scores, count).map((c) => {
      const t = tile(c);
      t.label.textContent = `#${c} ${signed ? formatSigned(scores[c]) : formatShort(scores[c])}`;
      t.figure.title = `channel ${c}: mean ${formatTick(act.means[c])}, contribution ${formatSigned(act.contributions[c])}, range ${formatTick(act.lo[c])} … ${formatTick(act.hi[c])}`;
      t.figure.classList.toggle("xw-active", c === selected);
      return t.figure;
    }));
  }

  function drawBars({ order, count }) {
    if (!act || act.kind === "spatial" || unitsKey === `${order} ${count}`) return;
    unitsKey = `${order} ${count}`;
    const byContribution = order === "contribution";
    const values = dequantize(act.q, act.lo, act.hi);
    const chosen = shown(byContribution ? act.contributions : act.means, count);
    drawUnits(units, Float32Array.from(chosen, (c) => values[c]), chosen, act.labels, getComputedStyle(el));
    const what = act.kind === "vector" ? "units" : `values (flattened from ${formatShape(act.infoShape)})`;
    unitsNote.textContent = `${chosen.length} of ${act.channels} ${what}, sorted by ${byContribution ? "contribution to the class" : "value"}; bars show the value.`;
  }

  function update(view) {
    selected = view.channel;
    drawGrid(view);
    drawBars(view);
  }
  return { el, show, update, destroy: () => { tiles.clear(); el.remove(); } };
}
