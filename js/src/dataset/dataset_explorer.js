// DatasetExplorer view (the anywidget half; the bqplot scatter sits beside it in an HBox and
// its Scatter.selected is linked to `selection` in the browser). This file is the table of
// contents: it decodes the traits, makes the panels and wires them. Everything after the
// first view (a cell click, the lasso's selection, sort, page, opacity, colormap) is drawn
// here with no kernel round trip while the thumbnails are all in the browser (mode "all");
// for a large data set the view asks the kernel for the rows of the page it shows.
import { bindModel } from "../common/model.js";
import { statusBar } from "../common/controls.js";
import { h, bytesOf } from "../common/dom.js";
import { decodeArray } from "../common/binary.js";
import { COLORMAPS } from "../common/colormap.js";
import { formatPercent } from "../common/format.js";
import { rowShares } from "../common/confusion.js";
import { cellRows, confusionCounts, decodeInts, pageOf, sameRows, selectionRows, sortRows, thumbRGBA } from "./dataset_logic.js";
import { confusionGrid, galleryTiles, meansPanel } from "./dataset_panels.js";

const NO_KERNEL_MS = 1500; // no answer to the ping by then: a static page, no kernel

function decodeMeans(means) {
  const out = {};
  for (const which of ["true", "predicted"]) {
    const m = means && means[which];
    if (!m || !m.heatmaps) continue;
    const heat = decodeArray(m.heatmaps);
    out[which] = { heat: heat.data, shape: heat.shape, scale: m.scale, images: bytesOf(m.images.view), imageShape: m.images.shape.length === 3 ? [...m.images.shape, 1] : m.images.shape, counts: m.counts };
  }
  return out;
}

function render({ model, el }) {
  const binding = bindModel(model);
  const { listen, later, setView, onStatus } = binding;
  const s = { y: new Int32Array(0), predicted: new Int32Array(0), targets: new Int32Array(0), k: 0, counts: null, shares: null, keys: {}, gallery: null, cache: new Map(), asked: new Set() };
  let ownSelection = false; // the selection being set is a cell click of ours
  let showOnScatter = () => {}; // a cell's rows, selected on the scatter too (set below)
  const cleanups = [];

  const info = h("div", { class: "xw-info", dataset: { testid: "info" } });
  const status = statusBar(model);
  const grid = confusionGrid((t, p) => {
    const rows = cellRows(s.y, s.predicted, t, p);
    ownSelection = true;
    setView("cell", [t, p]);
    setView("page", 0);
    setView("selection", rows);
    ownSelection = false;
    showOnScatter(rows);
  });
  const means = meansPanel();
  const tiles = galleryTiles();
  const sortSelect = h("select", { dataset: { testid: "sort" } });
  sortSelect.addEventListener("change", () => { setView("sort", sortSelect.value); setView("page", 0); });
  const order = h("button", { type: "button", dataset: { testid: "order" }, on: { click: () => { setView("descending", !model.get("descending")); setView("page", 0); } } });
  const prev = h("button", { type: "button", text: "◀", title: "previous page", dataset: { testid: "prev" }, on: { click: () => setView("page", Math.max(0, model.get("page") - 1)) } });
  const next = h("button", { type: "button", text: "▶", title: "next page", dataset: { testid: "next" }, on: { click: () => setView("page", model.get("page") + 1) } });
  const pageText = h("span", { class: "xw-page", dataset: { testid: "page" } });
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.05", dataset: { testid: "opacity" } });
  opacity.addEventListener("input", () => setView("opacity", Number(opacity.value)));
  const cmap = h("select", { dataset: { testid: "colormap" } }, [h("option", { value: "auto", text: "auto" }),
    ...Object.entries(COLORMAPS).map(([name, m]) => h("option", { value: name, text: m.label }))]);
  cmap.addEventListener("change", () => setView("colormap", cmap.value));
  // after a Cancel (or a failure) of the heatmaps: ask for them again
  const compute = h("button", { type: "button", text: "Compute heatmaps", dataset: { testid: "compute" },
    title: "Compute every example's heatmap again (it was cancelled or failed)",
    on: { click: () => { try { model.send({ type: "compute" }); } catch (err) { /* no kernel */ } } } });
  const renderCompute = () => {
    const g = model.get("gallery") || {};
    compute.hidden = Boolean(g.ready) || model.get("status") === "busy" || root.dataset.kernel === "none";
  };
  const selText = h("div", { class: "xw-selection", dataset: { testid: "selection" } });
  const scatterNote = h("div", { class: "xw-notice", dataset: { testid: "scatter-note" }, hidden: true,
    text: "The embedding scatter (bqplot) needs a live kernel: it is not drawn in a static page. w.to_png() draws it with matplotlib." });
  const gallery = h("div", { class: "xw-gallery", dataset: { testid: "gallery-box" } }, [
    selText,
    h("div", { class: "xw-toolbar" }, [
      h("label", { class: "xw-row" }, [h("span", { text: "Sort by" }), sortSelect]), order,
      prev, pageText, next,
      h("label", { class: "xw-row" }, [h("span", { text: "Opacity" }), opacity]),
      h("label", { class: "xw-row" }, [h("span", { text: "Colours" }), cmap]),
    ]),
    tiles.el,
  ]);
  const root = h("div", { class: "xw-dataset", dataset: { testid: "dataset-explorer" } }, [
    h("div", { class: "xw-toolbar" }, [info, compute, status.status]), status.error, scatterNote,
    h("div", { class: "xw-top" }, [grid.el, means.el]),
    gallery,
  ]);
  el.append(root);
  // at least `height`, growing with the gallery (a fixed height hid it behind a scrollbar
  // once the grid and class means wrapped in a narrow notebook)
  binding.followHeight(root, { least: true });

  const view = () => ({ opacity: model.get("opacity"), colormap: model.get("colormap"), threshold: 0, absolute: false, heatmap_only: false });
  const names = () => model.get("class_names") || [];
  const signed = () => Boolean((model.get("info") || {}).signed);

  const renderInfo = () => {
    const i = model.get("info") || {};
    info.textContent = `${i.n ?? 0} examples · accuracy ${formatPercent(i.accuracy ?? 0)} · heatmaps: ${i.label ?? ""} of ${i.maps_of ?? ""} (${i.source ?? ""}) · embedding: ${i.embedding ?? ""}`;
  };
  const renderLabels = () => {
    const labels = model.get("labels") || {};
    s.y = decodeInts(labels.y);
    s.predicted = decodeInts(labels.predicted);
    s.targets = labels.targets ? decodeInts(labels.targets) : s.predicted;
    s.k = names().length;
    s.counts = confusionCounts(s.y, s.predicted, s.k);
    s.shares = rowShares(s.counts, s.k);
    root.dataset.examples = String(s.y.length);
  };
  const renderGrid = () => grid.render({ k: s.k, names: names(), counts: s.counts, shares: s.shares, cell: model.get("cell") || [] });
  const renderKeys = () => {
    const keys = model.get("sort_keys") || {};
    s.keys = {};
    for (const [name, payload] of Object.entries(keys)) s.keys[name] = decodeArray(payload).data;
    const keyInfo = model.get("key_info") || {};
    const current = model.get("sort");
    const options = Object.keys(s.keys).map((name) => h("option", { value: name, text: `${keyInfo[name]?.label ?? name} (${keyInfo[name]?.unit ?? ""})`, title: keyInfo[name]?.title ?? "" }));
    sortSelect.replaceChildren(...options);
    sortSelect.value = current in s.keys ? current : "loss";
  };
  const renderGalleryData = () => {
    const g = model.get("gallery") || {};
    s.gallery = null;
    s.cache.clear();
    s.asked.clear();
    if (g.mode === "all" && g.thumbs) {
      const heat = g.heatmaps ? decodeArray(g.heatmaps) : null; // null: not computed yet
      s.gallery = { thumbs: bytesOf(g.thumbs.view), shape: g.thumbs.shape, heat: heat && heat.data, hshape: heat && heat.shape };
    }
    root.dataset.mode = g.mode || "";
    root.dataset.ready = String(Boolean(g.ready));
    renderCompute();
  };
  const source = {
    tile(row) {
      if (s.gallery) {
        const { thumbs, shape, heat, hshape } = s.gallery;
        const [, hh, ww] = shape;
        if (!heat) return { rgba: thumbRGBA(thumbs, shape, row), width: ww, height: hh, heat: null };
        const n = hshape[1] * hshape[2];
        return { rgba: thumbRGBA(thumbs, shape, row), width: ww, height: hh, heat: heat.subarray(row * n, (row + 1) * n) };
      }
      if (s.cache.has(row)) return s.cache.get(row);
      return null;
    },
  };
  const renderGallery = () => {
    const t0 = performance.now();
    const rows = selectionRows(model.get("selection"));
    const key = model.get("sort");
    const desc = model.get("descending");
    const keyInfo = (model.get("key_info") || {})[key] || { label: key, unit: "" };
    const sorted = sortRows(rows, s.keys[key], desc);
    const page = pageOf(sorted, model.get("page"), model.get("page_size") || 48);
    const cell = model.get("cell") || [];
    const nm = names();
    const what = cell.length === 2 ? `cell true ${nm[cell[0]]}, predicted ${nm[cell[1]]}` : rows.length ? "points chosen on the scatter" : "";
    selText.textContent = rows.length
      ? `${rows.length} example${rows.length === 1 ? "" : "s"} selected (${what}); showing ${page.first + 1}-${page.last}, each heatmap scaled to its own largest |value|`
      : "Nothing selected: click a cell of the matrix, or draw a lasso on the scatter.";
    pageText.textContent = `page ${page.page + 1} of ${page.pages}`;
    prev.disabled = page.page === 0;
    next.disabled = page.page >= page.pages - 1;
    order.textContent = desc ? "largest first" : "smallest first";
    const g = model.get("gallery") || {};
    if (g.mode === "page" && g.ready) {
      const missing = page.rows.filter((r) => !s.cache.has(r) && !s.asked.has(r));
      if (missing.length) {
        missing.forEach((r) => s.asked.add(r));
        try { model.send({ type: "rows", rows: missing }); } catch (err) { /* no kernel */ }
      }
    }
    tiles.render(page.rows, { y: s.y, predicted: s.predicted, targets: s.targets, names: nm, signed: signed(), keyInfo, keyValues: s.keys[key] }, source, view());
    tiles.el.dataset.renderMs = (performance.now() - t0).toFixed(1);
    tiles.el.dataset.drawnAt = String(performance.now());
    tiles.el.dataset.count = String(rows.length);
    tiles.el.dataset.shown = String(page.rows.length);
  };
  const renderMeans = () => means.render(decodeMeans(model.get("means")), names(), view(), signed());
  const renderControls = () => {
    opacity.value = String(model.get("opacity"));
    cmap.value = model.get("colormap") || "auto";
  };

  listen("change:labels", () => { later(renderLabels); later(renderGrid); later(renderGallery); });
  listen("change:class_names", () => { later(renderLabels); later(renderGrid); later(renderMeans); later(renderGallery); });
  listen("change:info", () => { later(renderInfo); later(renderMeans); });
  listen("change:cell", () => {
    later(renderGrid);
    // the kernel's select_cell: its points on the scatter too (a click here does it itself)
    const cell = model.get("cell") || [];
    if (!ownSelection && cell.length === 2) showOnScatter(cellRows(s.y, s.predicted, cell[0], cell[1]));
  });
  listen("change:sort_keys", () => { later(renderKeys); later(renderGallery); });
  listen("change:key_info", () => { later(renderKeys); later(renderGallery); });
  listen("change:gallery", () => { later(renderGalleryData); later(renderGallery); });
  listen("change:means", () => later(renderMeans));
  // the selection: drawn at once (a lasso's comes from the Scatter's model below, no kernel)
  let shownSelection = null;
  listen("change:selection", () => {
    const rows = selectionRows(model.get("selection"));
    // the kernel's echo of the selection this view sent: nothing new to draw
    if (shownSelection && sameRows(rows, shownSelection)) return;
    shownSelection = rows;
    tiles.el.dataset.selectionAt = String(performance.now()); // when the selection arrived
    if (!ownSelection) {
      // another selection (the scatter's) ends the cell's; the kernel's select_cell sets
      // the cell and its rows together: those rows keep it
      const cell = model.get("cell") || [];
      if (cell.length && !(cell.length === 2 && sameRows(rows, cellRows(s.y, s.predicted, cell[0], cell[1])))) setView("cell", []);
      if (model.get("page")) setView("page", 0);
    }
    renderGallery();
  });
  for (const key of ["sort", "descending", "page", "page_size"]) listen(`change:${key}`, () => later(renderGallery));
  listen("change:opacity", () => { renderControls(); tiles.redraw(view()); means.redraw(view()); });
  listen("change:colormap", () => { renderControls(); tiles.redraw(view()); means.redraw(view()); });
  const onRows = (msg, buffers) => {
    if (!msg || msg.type === "pong") { if (msg) { scatterNote.hidden = true; root.dataset.kernel = "live"; showScatter(); } return; }
    if (msg.type !== "rows") return;
    const a = msg.arrays;
    const thumbs = bytesOf(buffers[0]);
    const heat = decodeArray({ view: buffers[1], dtype: a.heatmaps.dtype, shape: a.heatmaps.shape });
    const shape = a.thumbs.shape.length === 3 ? [...a.thumbs.shape, 1] : a.thumbs.shape;
    const [, hh, ww] = shape;
    const n = heat.shape[1] * heat.shape[2];
    msg.rows.forEach((row, i) => {
      s.cache.set(row, { rgba: thumbRGBA(thumbs, shape, i), width: ww, height: hh, heat: heat.data.slice(i * n, (i + 1) * n) });
    });
    later(renderGallery);
  };
  listen("msg:custom", onRows);
  onStatus(() => { status.render(); renderCompute(); });

  renderInfo(); renderLabels(); renderGrid(); renderKeys(); renderGalleryData(); renderMeans(); renderControls(); renderGallery(); status.render();
  // The bqplot Scatter beside this view: its `selected` (a lasso, a brush) is read here, in
  // the browser, as soon as bqplot sets it (a jsdlink delivered it 0.7-1.5 s after the mouse-up, measured);
  // a cell click selects the cell's points on the scatter too.
  let scatter = null;
  let selectors = []; // the lasso and the brush: their outline is cleared when a cell is chosen
  let fromCell = false;
  const ref = model.get("scatter_ref");
  if (ref && model.widget_manager) {
    model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, "")).then((m) => {
      if (binding.isDisposed()) return;
      scatter = m;
      const onSelected = () => {
        tiles.el.dataset.bqplotAt = String(performance.now());
        if (fromCell) return;
        const picked = m.get("selected");
        setView("selection", picked === null || picked === undefined ? null : Uint32Array.from(picked));
      };
      m.on("change:selected", onSelected);
      cleanups.push(() => m.off("change:selected", onSelected));
    }).catch(() => { /* a static page: no bqplot model (the note says so) */ });
    Promise.all((model.get("selector_refs") || []).map((r) => model.widget_manager.get_model(r.replace(/^IPY_MODEL_/, ""))))
      .then((models) => { selectors = models.filter(Boolean); })
      .catch(() => { /* a static page */ });
  }
  showOnScatter = (rows) => {
    if (!scatter) return;
    fromCell = true;
    try {
      // bqplot's own reset (what Selector.reset() asks from Python): the lasso's outline
      // or the brush's rectangle goes; it sets `selected` to null first, ignored here
      for (const m of selectors) m.trigger("msg:custom", { type: "reset" });
      scatter.set("selected", rows);
      scatter.save_changes();
    } catch (err) { /* no kernel */ } finally { fromCell = false; }
  };
  // Is a kernel there? In a static export nothing answers: the scatter cannot be drawn.
  // bqplot cannot load there either: its placeholder (the VBox of the figure and its
  // toggle, marked xw-dataset-scatter in Python) is hidden under the note
  const scatterBoxes = () => { const box = root.closest(".widget-hbox"); return box ? [...box.querySelectorAll(":scope > .xw-dataset-scatter")] : []; };
  const hideScatter = () => {
    for (const part of scatterBoxes()) { part.style.display = "none"; part.dataset.xwHidden = "static"; }
  };
  // a busy kernel answers late (a long cell): the scatter comes back when it does
  function showScatter() {
    for (const part of scatterBoxes()) if (part.dataset.xwHidden) { part.style.display = ""; delete part.dataset.xwHidden; }
  }
  let timer = setTimeout(() => { if (root.dataset.kernel !== "live") { scatterNote.hidden = false; root.dataset.kernel = "none"; renderCompute(); hideScatter(); } }, NO_KERNEL_MS);
  try { model.send({ type: "ping" }); } catch (err) { /* a static page */ }
  return () => { clearTimeout(timer); timer = null; cleanups.splice(0).forEach((fn) => fn()); binding.dispose(); };
}

export default { render };
