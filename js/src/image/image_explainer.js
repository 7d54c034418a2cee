// ImageExplainer view: the image with its heatmap, view controls handled here in the browser,
// and controls that ask the kernel (method, class, options, image, compare) through traits.
import { bindModel } from "../common/model.js";
import { classButtons, statusBar } from "../common/controls.js";
import { colorbarRGBA, COLORMAPS } from "../common/colormap.js";
import { bytesOf, h, replaceChildren } from "../common/dom.js";
import { colourSettings, OverlayPanel, prepareHeatmap } from "../common/panel.js";
import { formatTick, niceTicks } from "../common/ticks.js";

// View-only keys, and whether a change needs new colours (else only re-compositing).
const RECOLOR = { opacity: false, threshold: true, colormap: true, absolute: true, heatmap_only: true };
const VIEW_KEYS = Object.keys(RECOLOR);
const STAGE_PX = 360; // the largest side of the main canvas, in CSS pixels

function readView(model) {
  return Object.fromEntries(VIEW_KEYS.map((k) => [k, model.get(k)]));
}

async function decodePNG(value) {
  const blob = new Blob([bytesOf(value)], { type: "image/png" });
  return createImageBitmap(blob);
}

/** Inputs for a method's options, from the registry's description. */
function optionInput(name, spec, value, layers) {
  const current = value === undefined ? spec.default : value;
  const common = { dataset: { option: name, testid: `option-${name}` }, title: spec.doc };
  if (spec.kind === "bool") return h("input", { ...common, type: "checkbox", checked: Boolean(current) });
  if (spec.kind === "choice" || spec.kind === "layer" || spec.kind === "baseline") {
    const choices = spec.kind === "layer" ? ["", ...layers] : spec.kind === "baseline" ? ["zeros", "blur"] : spec.choices;
    return h("select", common, choices.map((c) =>
      h("option", { value: c, text: c === "" ? "(last spatial layer)" : c, selected: c === (current ?? "") })));
  }
  const input = h("input", { ...common, type: spec.kind === "fill" ? "text" : "number",
    value: current === null || current === undefined ? "" : String(current), placeholder: "auto" });
  if (spec.kind === "int") input.step = "1";
  if (spec.kind === "float") input.step = "any";
  if (spec.minimum !== undefined) input.min = String(spec.minimum);
  if (spec.maximum !== undefined) input.max = String(spec.maximum);
  return input;
}

function readOption(input, spec) {
  if (spec.kind === "bool") return input.checked;
  const raw = input.value.trim();
  if (raw === "") return undefined; // back to the default
  if (spec.kind === "int") return Number.parseInt(raw, 10);
  if (spec.kind === "float") return Number(raw);
  if (spec.kind === "fill") return raw === "mean" ? raw : Number(raw);
  return raw;
}

function render({ model, el }) {
  const { listen, save, saveView, dispose, onStatus, followHeight } = bindModel(model);

  // ---- layout -----------------------------------------------------------------------
  const methodSelect = h("select", { dataset: { testid: "method" }, title: "Explanation method" });
  const classBar = classButtons(model, (index) => { model.set("target", index); save(); });
  const classes = classBar.el;
  // novalidate: Python checks the options and its message shows in the widget (one source
  // of truth; the browser's own min/max tooltips would say less, and differently).
  const optionsBox = h("form", { class: "xw-options", dataset: { testid: "options" }, novalidate: true });
  const compareBox = h("div", { class: "xw-compare-choices" });
  const compareDetails = h("details", { class: "xw-compare" }, [h("summary", { text: "Compare methods" }), compareBox]);
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid: "overlay" } });
  const grid = h("div", { class: "xw-grid", dataset: { testid: "compare-grid" } });
  const stage = h("div", { class: "xw-stage" }, [canvas, grid]);
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "opacity" } });
  const threshold = h("input", { type: "range", min: "0", max: "99", step: "1", dataset: { testid: "threshold" } });
  const colormap = h("select", { dataset: { testid: "colormap" } }, [
    h("option", { value: "auto", text: "auto" }),
    ...Object.entries(COLORMAPS).map(([name, cm]) => h("option", { value: name, text: cm.label || name })),
  ]);
  const absolute = h("input", { type: "checkbox", dataset: { testid: "absolute" } });
  const heatmapOnly = h("input", { type: "checkbox", dataset: { testid: "heatmap-only" } });
  const thresholdLabel = h("span", { class: "xw-value" });
  const opacityLabel = h("span", { class: "xw-value" });
  const colorbar = h("canvas", { class: "xw-colorbar", width: 256, height: 12, dataset: { testid: "colorbar" } });
  const ticks = h("div", { class: "xw-ticks" });
  const caption = h("div", { class: "xw-caption", dataset: { testid: "caption" } });
  const thumbs = h("div", { class: "xw-thumbs" });
  const { status, error, render: renderStatus } = statusBar(model);

  const row = (label, control, value) => h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);
  const side = h("div", { class: "xw-side" }, [
    row("Opacity", opacity, opacityLabel),
    row("Hide below", threshold, thresholdLabel),
    row("Colormap", colormap),
    row("Absolute values", absolute),
    row("Heatmap only", heatmapOnly),
    h("div", { class: "xw-colorbar-box" }, [colorbar, ticks]),
  ]);
  const root = h("div", { class: "xw-image", dataset: { testid: "image-explainer" } }, [
    h("div", { class: "xw-toolbar" }, [h("label", { class: "xw-row" }, [h("span", { text: "Method" }), methodSelect]), classes]),
    thumbs,
    optionsBox,
    compareDetails,
    h("div", { class: "xw-main" }, [stage, side]),
    caption,
    status,
    error,
  ]);
  el.append(root);

  // ---- state --------------------------------------------------------------------------
  const main = new OverlayPanel(canvas);
  let panels = []; // compare mode
  let bases = []; // ImageBitmaps, by image index
  const thumbURLs = [];
  let disposed = false;

  const view = () => readView(model);
  const redrawAll = (recolor) => {
    const v = view();
    const t0 = performance.now();
    for (const panel of [main, ...panels]) recolor ? panel.redraw(v) : panel.composite(v);
    drawColorbar();
    updateCaption();
    root.dataset.redrawMs = (performance.now() - t0).toFixed(3); // read by benchmarks
  };

  function drawColorbar() {
    if (!main.heat) return;
    const settings = colourSettings(main.heat, view());
    const ctx = colorbar.getContext("2d");
    const rgba = colorbarRGBA(settings.cmap, colorbar.width, { half: settings.half });
    const image = new ImageData(colorbar.width, colorbar.height);
    for (let y = 0; y < colorbar.height; y++) image.data.set(rgba, y * colorbar.width * 4);
    ctx.putImageData(image, 0, 0);
    const lo = settings.signed ? -settings.vmax : 0;
    const hi = settings.vmax;
    replaceChildren(ticks, niceTicks(lo, hi, 5).map((t) =>
      h("span", { text: formatTick(t), style: { left: `${((t - lo) / (hi - lo || 1)) * 100}%` } })));
  }

  function updateCaption() {
    const info = model.get("heatmap_info") || {};
    const signed = info.signed && !model.get("absolute");
    caption.textContent = (signed ? info.caption : info.caption_magnitude) || "";
  }

  function syncViewControls() {
    const v = view();
    opacity.value = String(v.opacity);
    threshold.value = String(v.threshold);
    colormap.value = v.colormap;
    absolute.checked = v.absolute;
    heatmapOnly.checked = v.heatmap_only;
    opacityLabel.textContent = `${Math.round(v.opacity * 100)}%`;
    thresholdLabel.textContent = `${Math.round(v.threshold)}th pct`;
  }

  function renderMethods() {
    const methods = model.get("methods") || {};
    replaceChildren(methodSelect, Object.entries(methods).map(([name, m]) =>
      h("option", { value: name, text: m.label, selected: name === model.get("method") })));
    const compare = new Set(model.get("compare") || []);
    if (compare.size) compareDetails.open = true;
    replaceChildren(compareBox, [...Object.entries(methods).map(([name, m]) =>
      h("label", {}, [h("input", { type: "checkbox", checked: compare.has(name), dataset: { compare: name },
        on: { change: onCompareChange } }), h("span", { text: m.label })]))]);
  }

  function renderOptions() {
    const spec = (model.get("methods") || {})[model.get("method")];
    if (!spec) return replaceChildren(optionsBox);
    const values = model.get("options") || {};
    const layers = model.get("layers") || [];
    const fields = Object.entries(spec.options)
      .filter(([name]) => name !== "batch_size")
      .map(([name, o]) => h("label", { class: "xw-row" }, [h("span", { text: name }), optionInput(name, o, values[name], layers)]));
    replaceChildren(optionsBox, [...fields, fields.length ? h("button", { type: "submit", text: "Apply", dataset: { testid: "apply" } }) : null]);
  }

  const renderClasses = classBar.render;

  async function loadImages() {
    const images = model.get("images") || [];
    thumbURLs.splice(0).forEach((u) => URL.revokeObjectURL(u));
    bases = await Promise.all(images.map(decodePNG));
    if (disposed) return;
    replaceChildren(thumbs, images.length > 1 ? images.map((img, i) => {
      const url = URL.createObjectURL(new Blob([bytesOf(img)], { type: "image/png" }));
      thumbURLs.push(url);
      return h("img", { src: url, alt: `image ${i}`, class: i === model.get("index") ? "xw-thumb xw-active" : "xw-thumb",
        dataset: { testid: "thumb", index: String(i) },
        on: { click: () => { model.set("index", i); save(); } } });
    }) : []);
    updateHeatmaps();
  }

  function updateHeatmaps() {
    const payload = model.get("heatmap");
    const index = model.get("index");
    main.setBase(bases[index] || null);
    if (payload && payload.view) main.setHeatmap(prepareHeatmap(payload, model.get("heatmap_info")));
    main.resize(STAGE_PX);
    const compared = model.get("compare_heatmaps") || [];
    panels = compared.map((c) => {
      const panelCanvas = h("canvas", { class: "xw-overlay", dataset: { testid: "compare-panel" } });
      const panel = new OverlayPanel(panelCanvas);
      panel.setBase(bases[index] || null);
      panel.setHeatmap(prepareHeatmap(c.heatmap, c.info));
      panel.resize(Math.floor(STAGE_PX / Math.min(2, compared.length || 1)));
      panel.figure = h("figure", {}, [panelCanvas, h("figcaption", { text: c.info.label })]);
      return panel;
    });
    replaceChildren(grid, panels.map((p) => p.figure));
    canvas.hidden = panels.length > 0;
    for (const img of thumbs.children) img.classList.toggle("xw-active", img.dataset.index === String(index));
    redrawAll(true);
  }

  // ---- events -------------------------------------------------------------------------
  function onCompareChange() {
    const chosen = [...compareBox.querySelectorAll("input[data-compare]")].filter((i) => i.checked).map((i) => i.dataset.compare);
    model.set("compare", chosen);
    save();
  }
  // Local only: model.set fires the change:<key> listener below, which redraws (once) with no
  // kernel involved; the value reaches Python later, debounced.
  const setView = (key, value) => {
    model.set(key, value);
    saveView();
  };
  opacity.addEventListener("input", () => setView("opacity", Number(opacity.value)));
  heatmapOnly.addEventListener("change", () => setView("heatmap_only", heatmapOnly.checked));
  threshold.addEventListener("input", () => setView("threshold", Number(threshold.value)));
  colormap.addEventListener("change", () => setView("colormap", colormap.value));
  absolute.addEventListener("change", () => setView("absolute", absolute.checked));
  methodSelect.addEventListener("change", () => { model.set("method", methodSelect.value); save(); });
  optionsBox.addEventListener("submit", (event) => {
    event.preventDefault();
    const spec = model.get("methods")[model.get("method")];
    const options = {};
    for (const input of optionsBox.querySelectorAll("[data-option]")) {
      const value = readOption(input, spec.options[input.dataset.option]);
      if (value !== undefined && !(typeof value === "number" && Number.isNaN(value))) options[input.dataset.option] = value;
    }
    model.set("options", options);
    save();
  });

  listen("change:images", loadImages);
  listen("change:heatmap", updateHeatmaps);
  listen("change:compare_heatmaps", updateHeatmaps);
  listen("change:index", updateHeatmaps);
  listen("change:top_classes", renderClasses);
  listen("change:target", renderClasses);
  listen("change:method", () => { renderMethods(); renderOptions(); });
  listen("change:options", renderOptions);
  listen("change:compare", renderMethods);
  onStatus(renderStatus);
  for (const key of VIEW_KEYS) listen(`change:${key}`, () => { syncViewControls(); redrawAll(RECOLOR[key]); });

  followHeight(root);
  syncViewControls();
  renderMethods();
  renderOptions();
  renderClasses();
  renderStatus();
  loadImages();

  return () => {
    disposed = true;
    dispose();
    thumbURLs.forEach((u) => URL.revokeObjectURL(u));
    root.remove();
  };
}

export default { render };
