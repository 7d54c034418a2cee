// LayerBrowser view: a model's layers on one input. The list of layers and the decision path
// pick a layer (the kernel sends its maps); sorting, how many channels, which channel is
// enlarged and the opacity are handled here from data already in the browser.
import { bindModel } from "../common/model.js";
import { classButtons, statusBar } from "../common/controls.js";
import { decodeArray } from "../common/binary.js";
import { colorize } from "../common/colormap.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { decodePNG } from "../common/png.js";
import { h, replaceChildren } from "../common/dom.js";
import {
  barGeometry, channelPlane, channelValues, clampCount, dequantize, displaySize,
  downsampleMatrix, formatShape, histogram, inputLabels,
  isSelectable,
  kernelPlane, rankChannels, rgbKernel, uniformValues,
} from "./layers_logic.js";
import { colourSettings, heatmapFromValues, OverlayPanel, prepareHeatmap } from "../common/panel.js";
import { formatTick, niceTicks } from "../common/ticks.js";
import * as format from "../common/format.js";

const { formatCount } = format;
const formatShort = (v) => format.formatShort(v, 2); // small labels: two significant digits
const formatSigned = (v) => format.formatSigned(v, 2);

const TILE_PX = 56; // a channel in the grid, CSS pixels (the longer side)
const STAGE_PX = 256; // the enlarged channel and the Grad-CAM overlay
const KERNELS_MAX = 64; // input-channel kernels shown for one output channel
const RGB_KERNELS_MAX = 128;
const MATRIX_MAX = 512; // dense weights: pixels per side on the canvas
const ORDERS = [["mean", "mean activation"], ["contribution", "contribution to the class"]];

/** Put RGBA pixels on a canvas of that size (CSS size set by the caller). */
function paint(canvas, rgba, width, height) {
  canvas.width = width;
  canvas.height = height;
  if (width && height) canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas;
}

/** Decoded activation_info + activation: everything the view needs for one layer. */
function decodeActivation(payload, info) {
  if (!payload || !payload.view || !info || !info.lo) return null;
  const { data: q, shape } = decodeArray(payload);
  const arr = (key) => (info[key] ? decodeArray(info[key]).data : new Float32Array(0));
  const lo = arr("lo");
  const hi = arr("hi");
  const kind = info.kind === "spatial" && shape.length === 3 ? "spatial" : info.kind === "vector" ? "vector" : "other";
  return { kind, shape, infoShape: info.shape || shape, q, lo, hi, means: arr("means"),
    contributions: arr("contributions"), channels: lo.length,
    labels: Array.isArray(info.labels) ? info.labels : null }; // e.g. class names at the head
}

function decodeWeights(payload, info) {
  if (!info || !payload || !payload.view || (info.kind !== "conv" && info.kind !== "dense")) return null;
  const { data: q, shape } = decodeArray(payload);
  const lo = Number(info.lo);
  const hi = Number(info.hi);
  return { kind: info.kind, rgb: Boolean(info.rgb) && shape[3] === 3, shape, q, lo, hi,
    values: uniformValues(q, lo, hi), vmax: Math.max(Math.abs(lo), Math.abs(hi)) || 1 };
}

/** Scroll a child into view inside its scrolling parent only (never the notebook). */
function revealIn(container, child, horizontal = false) {
  if (!child) return;
  const [start, size, scroll, view] = horizontal
    ? [child.offsetLeft, child.offsetWidth, "scrollLeft", container.clientWidth]
    : [child.offsetTop, child.offsetHeight, "scrollTop", container.clientHeight];
  if (start < container[scroll]) container[scroll] = start;
  else if (start + size > container[scroll] + view) container[scroll] = start + size - view;
}

function render({ model, el }) {
  const { listen, save, saveView, dispose, onStatus, followHeight } = bindModel(model);
  const ask = (changes, pendingText) => { // a change the kernel computes for
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    saveView.cancel(); // this save carries the pending view changes too
    save();
    pending.textContent = pendingText;
  };
  const setView = (key, value) => { // a view-only change: drawn at once, synced later
    model.set(key, value);
    saveView();
  };

  // ---- layout -----------------------------------------------------------------------
  const classBar = classButtons(model, (index) => ask({ target: index }, "Computing the class…"));
  const classes = classBar.el;
  const path = h("div", { class: "xw-path", dataset: { testid: "decision-path" } });
  const pending = h("span", { class: "xw-pending" });
  const statusRow = statusBar(model, [pending]);
  const { status, error } = statusRow;
  const list = h("div", { class: "xw-layer-list", dataset: { testid: "layer-list" }, role: "listbox" });

  const title = h("div", { class: "xw-title", dataset: { testid: "layer-title" } });
  const order = h("select", { dataset: { testid: "order" } },
    ORDERS.map(([value, label]) => h("option", { value, text: label })));
  const count = h("input", { type: "range", min: "1", max: "256", step: "1", dataset: { testid: "count" } });
  const countLabel = h("span", { class: "xw-value" });
  const gradcamButton = h("button", { type: "button", text: "Grad-CAM at this layer", dataset: { testid: "gradcam" },
    title: "Which parts of the image this layer's channels point to for the class (asks the kernel)" });
  const row = (label, control, value) => h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);
  const controls = h("div", { class: "xw-controls" }, [row("Sort by", order), row("Show", count, countLabel), gradcamButton]);

  const grid = h("div", { class: "xw-channel-grid", dataset: { testid: "channel-grid" } });
  const enlargedCanvas = h("canvas", { class: "xw-overlay", dataset: { testid: "enlarged" } });
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "opacity" } });
  const opacityLabel = h("span", { class: "xw-value" });
  const enlargedCaption = h("div", { class: "xw-caption", dataset: { testid: "enlarged-caption" } });
  const enlargedBar = colorbar("enlarged-colorbar");
  const enlargedHint = h("div", { class: "xw-hint", text: "Click a channel to see it over the image." });
  const enlarged = h("div", { class: "xw-enlarged" }, [enlargedHint, enlargedCanvas, enlargedCaption, enlargedBar.box]);
  const units = h("canvas", { class: "xw-units", dataset: { testid: "units" } });
  const unitsNote = h("div", { class: "xw-hint" });
  const vector = h("div", { class: "xw-vector" }, [units, unitsNote]);
  const noData = h("div", { class: "xw-hint", text: "No data for this layer yet." });
  // The histogram is drawn here from the layer's data (no chart widget): it needs no kernel
  // and works the same in an HTML export.
  const histogramCanvas = h("canvas", { class: "xw-histogram", dataset: { testid: "histogram" } });
  const histogramNote = h("div", { class: "xw-hint", dataset: { testid: "histogram-note" } });
  const histogramBox = h("section", { class: "xw-section xw-histogram-box" },
    [h("h4", { text: "Values" }), histogramCanvas, histogramNote]);

  const gradcamCanvas = h("canvas", { class: "xw-overlay", dataset: { testid: "gradcam-overlay" } });
  const gradcamCaption = h("div", { class: "xw-caption", dataset: { testid: "gradcam-caption" } });
  const gradcamBar = colorbar("gradcam-colorbar");
  const gradcamClear = h("button", { type: "button", text: "Hide Grad-CAM", dataset: { testid: "gradcam-clear" } });
  const gradcamBox = h("section", { class: "xw-section xw-gradcam" },
    [h("h4", { text: "Grad-CAM" }), gradcamCanvas, gradcamCaption, gradcamBar.box, gradcamClear]);
  const opacityRow = row("Opacity", opacity, opacityLabel);
  // left: the channels (or units); right: the overlays on the image
  const side = h("div", { class: "xw-side" }, [enlarged, gradcamBox, opacityRow]);
  const maps = h("div", { class: "xw-maps" }, [noData, grid, vector]);

  const weightsNote = h("div", { class: "xw-hint" });
  const weightsBody = h("div", { class: "xw-weights-body" });
  const weightsBar = colorbar("weights-colorbar");
  const weightsBox = h("section", { class: "xw-section xw-weights", dataset: { testid: "weights" } },
    [h("h4", { text: "Weights" }), weightsNote, weightsBody, weightsBar.box]);

  const detail = h("div", { class: "xw-detail", dataset: { testid: "layer-detail" } },
    [title, controls, h("div", { class: "xw-main" }, [maps, side]), histogramBox, weightsBox]);
  const root = h("div", { class: "xw-layers", dataset: { testid: "layer-browser" } }, [
    h("div", { class: "xw-toolbar" }, [classes, status]),
    error,
    h("div", { class: "xw-path-box" }, [h("span", { class: "xw-label", text: "Decision path" }), path]),
    h("div", { class: "xw-body" }, [list, detail]),
  ]);
  el.append(root);

  // ---- state --------------------------------------------------------------------------
  const enlargedPanel = new OverlayPanel(enlargedCanvas);
  const gradcamPanel = new OverlayPanel(gradcamCanvas);
  let base = null; // ImageBitmap of the input
  let act = null; // decodeActivation()
  let weights = null; // decodeWeights()
  let tiles = new Map(); // channel -> {figure, canvas, label}, for the current activation
  let disposed = false;
  let gradcamAsked = false; // reveal the Grad-CAM when the answer to our request arrives

  const overlayView = () => ({ opacity: model.get("opacity"), threshold: 0, colormap: "auto", absolute: false, heatmap_only: false });
  const rowsByPath = () => new Map((model.get("layers") || []).map((r) => [r.path, r]));
  const currentChannel = () => {
    const c = model.get("channel");
    return act && Number.isInteger(c) && c >= 0 && c < act.channels ? c : -1;
  };
  const orderScores = () => (model.get("order") === "contribution" ? act.contributions : act.means);
  const shownChannels = () => rankChannels(orderScores(), clampCount(model.get("count"), act.channels));

  // Data traits often arrive together (one hold_sync): redraw once after the last of them.
  const queued = new Set();
  const later = (fn) => {
    if (queued.has(fn)) return;
    queued.add(fn);
    queueMicrotask(() => {
      queued.delete(fn);
      if (!disposed) fn();
    });
  };

  // ---- header: classes, status, decision path ---------------------------------------
  const renderClasses = classBar.render;

  function renderStatus() {
    statusRow.render();
    if (model.get("status") !== "busy") pending.textContent = "";
  }

  function renderPath() {
    const rows = rowsByPath();
    const layer = model.get("layer");
    const channel = model.get("channel");
    const steps = (model.get("decision_path") || []).map((step) => {
      const active = step.layer === layer;
      const chips = (step.channels || []).map((c, i) => {
        const value = (step.contributions || [])[i] ?? 0;
        return h("button", {
          type: "button",
          class: `xw-chip ${value >= 0 ? "xw-pos" : "xw-neg"}${active && c === channel ? " xw-active" : ""}`,
          dataset: { testid: "path-channel", channel: String(c) },
          text: `#${c} ${formatSigned(value)}`,
          title: `channel ${c}: adds ${formatSigned(value)} to the class score (gradient × activation)`,
          on: { click: (event) => { event.stopPropagation(); pickStep(step.layer, c); } },
        });
      });
      const row = rows.get(step.layer);
      return h("div", {
        class: active ? "xw-step xw-active" : "xw-step",
        dataset: { testid: "path-step", layer: step.layer },
        role: "button",
        tabindex: "0",
        title: step.layer,
        on: { click: () => pickStep(step.layer, null), keydown: onKeyClick },
      }, [
        h("div", { class: "xw-step-name", text: row ? row.name : step.layer }),
        h("div", { class: "xw-step-kind", text: `${step.kind || ""} Σ ${formatSigned(step.total ?? 0)}` }),
        h("div", { class: "xw-chips" }, chips),
      ]);
    });
    replaceChildren(path, steps.length ? steps : [h("span", { class: "xw-hint", text: "(no layers with weights)" })]);
    revealIn(path, path.querySelector(".xw-step.xw-active"), true);
  }

  function pickStep(layerPath, channel) {
    if (layerPath === model.get("layer")) {
      if (channel !== null) setView("channel", channel);
      return;
    }
    ask({ channel: channel ?? -1, layer: layerPath }, "Loading the layer…");
  }

  function onKeyClick(event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.currentTarget.click();
    }
  }

  // ---- the layer list -----------------------------------------------------------------
  function renderLayers() {
    const rows = model.get("layers") || [];
    const labels = inputLabels(rows);
    replaceChildren(list, rows.map((r, i) => {
      const selectable = isSelectable(r);
      const link = labels[i];
      return h("div", {
        class: ["xw-layer-row", r.is_model ? "xw-model" : "", selectable ? "" : "xw-fixed", link.kind ? `xw-${link.kind}` : ""]
          .filter(Boolean).join(" "),
        dataset: { testid: "layer-row", path: r.path },
        role: "option",
        tabindex: selectable ? "0" : undefined,
        title: r.path,
        style: { paddingLeft: `${6 + 14 * (r.depth || 0)}px` },
        on: selectable ? { click: () => pickLayer(r.path), keydown: onKeyClick } : {},
      }, [
        h("div", { class: "xw-layer-line" }, [
          h("span", { class: "xw-layer-name", text: r.name }),
          h("span", { class: "xw-layer-params", text: r.params ? formatCount(r.params) : "", title: `${r.params} parameters` }),
        ]),
        h("div", { class: "xw-layer-line xw-layer-meta" }, [
          h("span", { text: [r.kind, formatShape(r.output_shape)].filter(Boolean).join(" · ") }),
          link.text ? h("span", { class: "xw-link", text: link.text }) : null,
        ]),
      ]);
    }));
    markActiveRow();
  }

  function pickLayer(layerPath) {
    if (layerPath !== model.get("layer")) ask({ layer: layerPath, channel: -1 }, "Loading the layer…");
  }

  function markActiveRow() {
    const layer = model.get("layer");
    let active = null;
    for (const node of list.children) {
      const on = node.dataset.path === layer;
      node.classList.toggle("xw-active", on);
      node.setAttribute("aria-selected", String(on));
      if (on) active = node;
    }
    revealIn(list, active);
    renderTitle();
  }

  function renderTitle() {
    const r = rowsByPath().get(model.get("layer"));
    replaceChildren(title, r ? [
      h("strong", { text: r.name }),
      h("span", { class: "xw-value", text: [r.kind, formatShape(r.output_shape), `${formatCount(r.params)} params`].join(" · ") }),
      note(),
    ] : [h("strong", { text: model.get("layer") || "" })]);
  }

  function note() {
    const text = (model.get("activation_info") || {}).note;
    return text ? h("span", { class: "xw-hint", text: ` (${text})` }) : null;
  }

  // ---- the selected layer -------------------------------------------------------------
  function loadActivation() {
    const t0 = performance.now();
    if (detail.dataset.layer !== model.get("layer")) detail.scrollTop = 0; // a new layer: from its top
    detail.dataset.layer = model.get("layer");
    root.dataset.activationAt = t0.toFixed(1); // read by benchmarks: when the data arrived
    noData.textContent = "No data for this layer yet.";
    try {
      act = decodeActivation(model.get("activation"), model.get("activation_info"));
    } catch (err) {
      act = null;
      noData.textContent = `Could not read this layer's data: ${err.message}`;
    }
    tiles = new Map();
    pending.textContent = "";
    renderDetail();
    root.dataset.renderMs = (performance.now() - t0).toFixed(1); // decode + draw the layer
  }

  function renderDetail() {
    renderTitle(); // its note comes with the layer's data
    const kind = act ? act.kind : null;
    noData.hidden = Boolean(act);
    controls.hidden = !act;
    grid.hidden = kind !== "spatial";
    enlarged.hidden = kind !== "spatial";
    vector.hidden = !act || kind === "spatial";
    gradcamButton.disabled = kind !== "spatial";
    if (act) count.max = String(clampCount(256, act.channels));
    syncViewControls();
    renderGrid();
    renderEnlarged();
    renderUnits();
    renderHistogram();
  }

  function renderHistogram() {
    histogramBox.hidden = !act;
    if (!act) return;
    const values = dequantize(act.q, act.lo, act.hi);
    const { counts, lo, hi } = histogram(values, 40);
    const left = 44;
    const [width, height, bottom] = [420, 150, 22];
    const ratio = globalThis.devicePixelRatio || 1;
    histogramCanvas.width = Math.round((left + width + 8) * ratio);
    histogramCanvas.height = Math.round(height * ratio);
    Object.assign(histogramCanvas.style, { width: `${left + width + 8}px`, height: `${height}px` });
    const ctx = histogramCanvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, left + width + 8, height);
    const style = getComputedStyle(root);
    const most = Math.max(1, ...counts);
    const inner = height - bottom - 8;
    const slot = width / counts.length;
    ctx.fillStyle = style.getPropertyValue("--xw-accent").trim() || "#1769aa";
    counts.forEach((c, i) => {
      const barHeight = (c / most) * inner;
      ctx.fillRect(left + i * slot + 0.5, 8 + inner - barHeight, Math.max(1, slot - 1), barHeight);
    });
    ctx.fillStyle = style.color;
    ctx.font = "10px sans-serif";
    ctx.fillRect(left, 8 + inner, width, 1);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(0, most, 3)) ctx.fillText(formatTick(t), left - 6, 8 + inner - (t / most) * inner);
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    for (const t of niceTicks(lo, hi, 5)) ctx.fillText(formatTick(t), left + ((t - lo) / (hi - lo)) * width, height - 6);
    histogramNote.textContent = `${values.length} values of ${model.get("layer")}, ${counts.length} bins from ${formatShort(lo)} to ${formatShort(hi)}.`;
  }

  function syncViewControls() {
    order.value = model.get("order");
    const n = act ? clampCount(model.get("count"), act.channels) : model.get("count");
    count.value = String(n);
    countLabel.textContent = act ? `${n} of ${act.channels}` : String(n);
    opacity.value = String(model.get("opacity"));
    opacityLabel.textContent = `${Math.round(model.get("opacity") * 100)}%`;
  }

  function tile(c) {
    let t = tiles.get(c);
    if (t) return t;
    const [height, width] = act.shape;
    const canvas = h("canvas", { class: "xw-tile", dataset: { testid: "channel", channel: String(c) } });
    paint(canvas, colorize(channelPlane(act.q, act.shape, c), { cmap: "viridis", vmax: 255 }), width, height);
    const zoom = TILE_PX / Math.max(width, height);
    Object.assign(canvas.style, { width: `${Math.round(width * zoom)}px`, height: `${Math.round(height * zoom)}px` });
    const label = h("figcaption");
    const figure = h("figure", {
      class: "xw-channel", tabindex: "0", dataset: { channel: String(c) },
      on: { click: () => setView("channel", currentChannel() === c ? -1 : c), keydown: onKeyClick },
    }, [canvas, label]);
    t = { figure, canvas, label };
    tiles.set(c, t);
    return t;
  }

  function renderGrid() {
    if (!act || act.kind !== "spatial") return replaceChildren(grid);
    const scores = orderScores();
    const signed = model.get("order") === "contribution";
    const selected = currentChannel();
    replaceChildren(grid, shownChannels().map((c) => {
      const t = tile(c);
      t.label.textContent = `#${c} ${signed ? formatSigned(scores[c]) : formatShort(scores[c])}`;
      t.figure.title = `channel ${c}: mean ${formatTick(act.means[c])}, contribution ${formatSigned(act.contributions[c])}, range ${formatTick(act.lo[c])} … ${formatTick(act.hi[c])}`;
      t.figure.classList.toggle("xw-active", c === selected);
      return t.figure;
    }));
  }

  function renderEnlarged() {
    const c = act && act.kind === "spatial" ? currentChannel() : -1;
    enlargedCanvas.hidden = c < 0;
    enlargedBar.box.hidden = c < 0;
    enlargedCaption.hidden = c < 0;
    enlargedHint.hidden = c >= 0;
    updateSide();
    if (c < 0) {
      enlargedCaption.textContent = "";
      return;
    }
    const [height, width] = act.shape;
    const heat = heatmapFromValues(channelValues(act.q, act.shape, act.lo, act.hi, c), height, width, { signed: false });
    enlargedPanel.setBase(base);
    enlargedPanel.setHeatmap(heat);
    enlargedPanel.resize(STAGE_PX, "base"); // the layer's map stretched over the whole image
    enlargedPanel.redraw(overlayView());
    const settings = colourSettings(heat, overlayView());
    drawColorbar(enlargedBar, settings.cmap, 0, settings.vmax);
    enlargedCaption.textContent = `Channel ${c} (${width}×${height} map over the image): mean ${formatTick(act.means[c])}, ` +
      `contribution ${formatSigned(act.contributions[c])}; colour: |value|`;
  }

  function renderUnits() {
    if (!act || act.kind === "spatial") return;
    const values = dequantize(act.q, act.lo, act.hi);
    const chosen = shownChannels();
    const shown = Float32Array.from(chosen, (c) => values[c]);
    drawBars(units, shown, chosen, act.labels);
    const what = act.kind === "vector" ? "units" : `values (flattened from ${formatShape(act.infoShape)})`;
    const by = model.get("order") === "contribution" ? "contribution to the class" : "value";
    unitsNote.textContent = `${chosen.length} of ${act.channels} ${what}, sorted by ${by}; bars show the value.`;
  }

  function drawBars(canvas, values, indices, labels = null) {
    const left = 44;
    const height = 180;
    const slot = Math.max(4, Math.min(28, Math.floor(600 / Math.max(1, values.length))));
    const width = left + slot * values.length + 8;
    const ratio = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
    canvas.dataset.count = String(values.length);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const g = barGeometry(values, { width: slot * values.length, height, padTop: 8, padBottom: 20 });
    const style = getComputedStyle(root);
    const fg = style.color;
    // the RdBu ends (as in the diverging heatmaps), lighter in dark mode: --xw-pos / --xw-neg
    const positive = style.getPropertyValue("--xw-pos").trim() || "#b2182b";
    const negative = style.getPropertyValue("--xw-neg").trim() || "#2166ac";
    ctx.font = "10px sans-serif";
    ctx.fillStyle = fg;
    ctx.strokeStyle = fg;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.globalAlpha = 0.6;
    for (const t of niceTicks(g.min, g.max, 4)) {
      ctx.fillText(formatTick(t), left - 6, g.y(t));
      ctx.fillRect(left - 4, Math.round(g.y(t)), 3, 1);
    }
    ctx.globalAlpha = 1;
    for (const bar of g.bars) {
      ctx.fillStyle = bar.positive ? positive : negative;
      ctx.fillRect(left + bar.x, bar.y, bar.width, Math.max(1, bar.height));
    }
    ctx.fillStyle = fg;
    ctx.fillRect(left, Math.round(g.zeroY), slot * values.length, 1);
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    const every = Math.ceil(24 / slot);
    // labels are user text, drawn on the canvas (never parsed as HTML)
    const name = (c) => (labels && labels[c] !== undefined ? String(labels[c]) : String(c));
    for (let i = 0; i < indices.length; i += every) ctx.fillText(name(indices[i]), left + (i + 0.5) * slot, height - 6);
  }

  // ---- weights ------------------------------------------------------------------------
  let weightsSource = null;
  function renderWeights() {
    const payload = model.get("weights");
    if (payload !== weightsSource) {
      weightsSource = payload;
      try {
        weights = decodeWeights(payload, model.get("weights_info"));
      } catch (err) {
        weights = null;
      }
    }
    weightsBox.hidden = !weights;
    if (!weights) return replaceChildren(weightsBody);
    if (weights.kind === "dense") return drawMatrix();
    if (weights.rgb) return drawRGBKernels();
    return drawKernels();
  }

  function kernelCanvas(rgba, kh, kw, extra) {
    const zoom = Math.max(2, Math.floor(40 / Math.max(kh, kw)));
    const canvas = paint(h("canvas", { class: "xw-kernel", ...extra }), rgba, kw, kh);
    Object.assign(canvas.style, { width: `${kw * zoom}px`, height: `${kh * zoom}px` });
    return canvas;
  }

  function drawRGBKernels() {
    const [cout, kh, kw] = weights.shape;
    const n = Math.min(cout, RGB_KERNELS_MAX);
    const selected = currentChannel();
    replaceChildren(weightsBody, Array.from({ length: n }, (_, c) => {
      const canvas = kernelCanvas(rgbKernel(weights.q, weights.shape, c), kh, kw, {
        title: `kernel of channel ${c}`, dataset: { channel: String(c) },
        on: { click: () => setView("channel", c) },
      });
      canvas.classList.toggle("xw-active", c === selected);
      return canvas;
    }));
    weightsNote.textContent = `${n} of ${cout} kernels (${kh}×${kw}, RGB input), one shared range: grey = 0. Click one to see its channel.`;
    weightsBar.box.hidden = true;
  }

  function drawKernels() {
    const [cout, kh, kw, cin] = weights.shape;
    const selected = currentChannel();
    const c = selected >= 0 && selected < cout ? selected : 0;
    const hint = selected === c ? "" : " Click a channel to see its kernels.";
    const n = Math.min(cin, KERNELS_MAX);
    const settings = { cmap: "RdBu", signed: true, vmax: weights.vmax };
    replaceChildren(weightsBody, Array.from({ length: n }, (_, i) => h("figure", { class: "xw-kernel-box" }, [
      kernelCanvas(colorize(kernelPlane(weights.values, weights.shape, c, i), settings), kh, kw, { title: `input channel ${i}` }),
      h("figcaption", { text: String(i) }),
    ])));
    weightsNote.textContent = `Kernels of channel ${c} over ${n === cin ? "its" : `${n} of its`} ${cin} input channels (${kh}×${kw}).${hint}`;
    weightsBar.box.hidden = false;
    drawColorbar(weightsBar, "RdBu", -weights.vmax, weights.vmax);
  }

  function drawMatrix() {
    const [rows, cols] = weights.shape;
    const small = downsampleMatrix(weights.values, rows, cols, MATRIX_MAX);
    const size = displaySize(small.rows, small.cols, { max: MATRIX_MAX, min: 96 });
    const canvas = paint(h("canvas", { class: "xw-matrix", title: `${rows} inputs × ${cols} units` }),
      colorize(small.values, { cmap: "RdBu", signed: true, vmax: weights.vmax }), small.cols, small.rows);
    Object.assign(canvas.style, { width: `${size.width}px`, height: `${size.height}px` });
    replaceChildren(weightsBody, [canvas]);
    const block = small.blockRows > 1 || small.blockCols > 1
      ? ` Each pixel: the largest |w| of a block of up to ${small.blockRows}×${small.blockCols}.` : "";
    weightsNote.textContent = `Matrix: ${rows} inputs (rows) × ${cols} units (columns).${block}`;
    weightsBar.box.hidden = false;
    drawColorbar(weightsBar, "RdBu", -weights.vmax, weights.vmax);
  }

  // ---- Grad-CAM -----------------------------------------------------------------------
  function loadGradcam() {
    const payload = model.get("gradcam");
    const info = model.get("gradcam_info") || {};
    // only the selected layer's Grad-CAM: another layer's map would be read as this one's
    const has = Boolean(payload && payload.view) && info.layer === model.get("layer");
    gradcamBox.hidden = !has;
    updateSide();
    if (!has) return;
    const heat = prepareHeatmap(payload, info);
    if (gradcamAsked) {
      gradcamAsked = false;
      requestAnimationFrame(() => revealIn(detail, gradcamBox));
    }
    gradcamPanel.setBase(base);
    gradcamPanel.setHeatmap(heat);
    gradcamPanel.resize(STAGE_PX);
    gradcamPanel.redraw(overlayView());
    const settings = colourSettings(heat, overlayView());
    drawColorbar(gradcamBar, settings.cmap, settings.signed ? -settings.vmax : 0, settings.vmax);
    gradcamCaption.textContent = info.caption || "";
  }

  async function loadImage() {
    let bitmap = null;
    try {
      bitmap = await decodePNG(model.get("image"));
    } catch (err) {
      bitmap = null; // no image: the maps are drawn alone
    }
    if (disposed) return;
    base = bitmap;
    renderEnlarged();
    loadGradcam();
  }

  // ---- events -------------------------------------------------------------------------
  order.addEventListener("change", () => {
    setView("order", order.value);
    syncViewControls();
    renderGrid();
    renderUnits();
  });
  count.addEventListener("input", () => {
    setView("count", Number(count.value));
    syncViewControls();
    renderGrid();
    renderUnits();
  });
  opacity.addEventListener("input", () => {
    setView("opacity", Number(opacity.value));
    syncViewControls();
    compositeOverlays();
  });
  gradcamButton.addEventListener("click", () => {
    const layer = model.get("layer");
    if (layer === model.get("gradcam_layer")) return revealIn(detail, gradcamBox);
    gradcamAsked = true;
    ask({ gradcam_layer: layer }, "Computing Grad-CAM…");
  });
  gradcamClear.addEventListener("click", () => ask({ gradcam_layer: "" }, ""));

  function updateSide() {
    const showsChannel = !enlarged.hidden && !enlargedCanvas.hidden;
    opacityRow.hidden = !showsChannel && gradcamBox.hidden;
    side.hidden = enlarged.hidden && gradcamBox.hidden;
  }

  function compositeOverlays() {
    const v = overlayView();
    if (!enlargedCanvas.hidden && enlargedPanel.heat) enlargedPanel.composite(v);
    if (!gradcamBox.hidden && gradcamPanel.heat) gradcamPanel.composite(v);
  }
  function onChannel() {
    renderGrid();
    renderEnlarged();
    if (weights && weights.kind === "conv") renderWeights();
    renderPath();
  }

  listen("change:image", loadImage);
  listen("change:layers", renderLayers);
  listen("change:layer", () => { markActiveRow(); renderPath(); loadGradcam(); });
  listen("change:activation", () => later(loadActivation));
  listen("change:activation_info", () => later(loadActivation));
  listen("change:weights", () => later(renderWeights));
  listen("change:weights_info", () => { weightsSource = null; later(renderWeights); });
  listen("change:decision_path", () => later(renderPath));
  listen("change:gradcam", () => later(loadGradcam));
  listen("change:gradcam_info", () => later(loadGradcam));
  listen("change:top_classes", renderClasses);
  listen("change:target", renderClasses);
  onStatus(renderStatus);
  listen("change:order", () => { syncViewControls(); renderGrid(); renderUnits(); });
  listen("change:count", () => { syncViewControls(); renderGrid(); renderUnits(); });
  listen("change:channel", onChannel);
  listen("change:opacity", () => { syncViewControls(); compositeOverlays(); });

  followHeight(root);
  renderClasses();
  renderStatus();
  renderLayers();
  renderPath();
  loadActivation();
  renderWeights();
  loadGradcam();
  loadImage();

  return () => {
    disposed = true;
    dispose();
    root.remove();
  };
}

export default { render };
