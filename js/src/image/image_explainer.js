// ImageExplainer view: a table of contents. What to explain (output, method, class, options,
// image, compare) asks the kernel; what only changes the picture (opacity, threshold, colormap,
// absolute, heatmap only) is drawn here. The caption says what is shown; the notice line says
// how that differs from what is asked (computing, cancelled, failed).
import { statusBar } from "../common/controls.js";
import { h } from "../common/dom.js";
import { bindModel } from "../common/model.js";
import { decodePNG } from "../common/png.js";
import { captionPanel } from "./caption_panel.js";
import { optionsPanel } from "./options_panel.js";
import { requestPanel } from "./request_panel.js";
import { stage } from "./stage.js";
import { thumbnails } from "./thumbnails.js";
import { trustView } from "./trust_view.js";
import { viewControls } from "./view_controls.js";

// View-only keys, and whether a change needs new colours (else only re-compositing).
const RECOLOR = { opacity: false, threshold: true, colormap: true, absolute: true, heatmap_only: true, show_segments: false };
const VIEW_KEYS = Object.keys(RECOLOR);
const SIDE_PX = 290; // the view controls' column

function render({ model, el }) {
  const { listen, ask, setView, later, dispose, onStatus, followHeight, isDisposed } = bindModel(model);
  const request = requestPanel(model, ask);
  const options = optionsPanel((values) => ask({ options: values }));
  const thumbs = thumbnails((index) => ask({ index }));
  const pictures = stage();
  const controls = viewControls(setView);
  const words = captionPanel(model);
  const status = statusBar(model);
  const trust = trustView(model, listen, later);
  const main = h("div", { class: "xw-main" }, [pictures.el, controls.el]);
  // status, notice and errors sit under the toolbar: always in view, whatever the picture's size
  const root = h("div", { class: "xw-image", dataset: { testid: "image-explainer" } }, [
    request.el, h("div", { class: "xw-status-box" }, [status.status, words.notice]), status.error,
    thumbs.el, options.el, request.compare, main, words.el, trust.el]);
  el.append(root);

  let bases = []; // ImageBitmaps, by image index
  const view = () => Object.fromEntries(VIEW_KEYS.map((k) => [k, model.get(k)]));
  const comparing = () => (pictures.comparing() ? 1 + (model.get("compare_heatmaps") || []).length : 0);

  function redraw(recolor = true) {
    const v = view();
    const t0 = performance.now();
    pictures.redraw(v, recolor);
    controls.scale(pictures.settings(v), comparing() ? "Each panel has its own colour scale, under it." : "");
    words.render({ absolute: v.absolute, comparing: comparing() });
    root.dataset.redrawMs = (performance.now() - t0).toFixed(3); // read by benchmarks
  }

  function showHeatmaps() {
    const shown = model.get("shown") || {};
    const index = Number.isInteger(shown.index) ? shown.index : model.get("index");
    pictures.show(bases[index] || null, { heatmap: model.get("heatmap") || {}, info: model.get("heatmap_info") || {} },
      model.get("compare_heatmaps") || []);
    root.dataset.shownIndex = String(index);
    controls.segmentsAvailable(Boolean((model.get("heatmap_info") || {}).borders)
      || (model.get("compare_heatmaps") || []).some((e) => e.info && e.info.borders));
    redraw(true);
  }

  async function loadImages() {
    const images = model.get("images") || [];
    const decoded = await Promise.all(images.map(decodePNG));
    if (isDisposed()) return;
    bases = decoded;
    thumbs.render(images, model.get("index"));
    showHeatmaps();
  }

  function renderRequest() {
    request.render();
    const methods = model.get("methods") || {};
    options.render(methods[model.get("method")], model.get("options") || {}, model.get("layers") || []);
    thumbs.mark(model.get("index"));
    words.render({ absolute: model.get("absolute"), comparing: comparing() });
  }

  // The space the pictures have: the main row's width beside the controls, and its height.
  function fit() {
    const width = main.clientWidth || 640;
    const beside = width >= SIDE_PX + 220;
    pictures.resize(beside ? width - SIDE_PX - 16 : width - 8, main.clientHeight || 360);
    redraw(true);
  }
  const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => later(fit));
  if (observer) observer.observe(main);

  listen("change:images", loadImages);
  for (const key of ["heatmap", "heatmap_info", "compare_heatmaps", "shown"]) listen(`change:${key}`, () => later(showHeatmaps));
  for (const key of ["heads", "head", "methods", "method", "options", "compare", "index", "target", "top_classes", "class_names", "layers", "notice"]) {
    listen(`change:${key}`, () => later(renderRequest));
  }
  onStatus(() => { status.render(); later(renderRequest); });
  for (const key of VIEW_KEYS) listen(`change:${key}`, () => { controls.render(view()); redraw(RECOLOR[key]); });

  followHeight(root);
  controls.render(view());
  status.render();
  renderRequest();
  loadImages();

  return () => {
    dispose();
    if (observer) observer.disconnect();
    for (const panel of [request, options, thumbs, pictures, controls, words, trust]) panel.destroy();
    root.remove();
  };
}

export default { render };
