// LayerBrowser view, as a table of contents: each panel draws one part and they meet only
// here, through the model. Picking a layer, a class or a Grad-CAM asks the kernel; sorting,
// how many channels, which channel is enlarged and the opacity are drawn from data already here.
import { bindModel } from "../common/model.js";
import { classButtons, headMenu, statusBar } from "../common/controls.js";
import { decodePNG } from "../common/png.js";
import { h } from "../common/dom.js";
import { readActivation, selectedChannel } from "./layer_data.js";
import { revealIn } from "./dom_helpers.js";
import { layerList } from "./layer_list.js";
import { layerTitle } from "./layer_title.js";
import { pathPanel } from "./path_panel.js";
import { layerControls, opacityControl } from "./view_controls.js";
import { channelsPanel } from "./channels_panel.js";
import { enlargedPanel } from "./enlarged_panel.js";
import { gradcamPanel } from "./gradcam_panel.js";
import { histogramPanel } from "./histogram_panel.js";
import { weightsPanel } from "./weights_panel.js";

const LOADING = "Loading the layer…";

/** What the user's clicks do: view-only traits are set at once (no kernel round trip);
 *  a layer, a class or a Grad-CAM is asked of the kernel, with a pending note. */
function userActions(model, { ask: askKernel, setView }, ui) {
  const ask = (changes, pendingText) => { askKernel(changes); ui.pending.textContent = pendingText; };
  const channel = (c) => setView("channel", c);
  return {
    channel,
    order: (value) => setView("order", value),
    count: (n) => setView("count", n),
    opacity: (value) => setView("opacity", value),
    target: (index) => ask({ target: index }, "Computing the class…"),
    layer: (layer) => layer !== model.get("layer") && ask({ layer, channel: -1 }, LOADING),
    step(layer, c) { // a decision-path step (c: null) or one of its channels
      if (layer !== model.get("layer")) return ask({ channel: c ?? -1, layer }, LOADING);
      if (c !== null) channel(c);
    },
    gradcam() {
      const layer = model.get("layer");
      if (layer === model.get("gradcam_layer")) return revealIn(ui.detail, ui.gradcam.el);
      ui.gradcam.revealNext(); // bring the answer into view when it arrives
      ask({ gradcam_layer: layer }, "Computing Grad-CAM…");
    },
    clearGradcam: () => ask({ gradcam_layer: "" }, ""),
  };
}

/** The panels, and the page they sit in (in the detail: the channels or units left, the
 *  overlays on the image right); ui.destroy() releases them. */
function buildPanels(model, on, ui) {
  const pending = h("span", { class: "xw-pending" }); // what we last asked the kernel for
  const panels = {
    head: headMenu(model), classes: classButtons(model, on.target), status: statusBar(model, [pending]),
    path: pathPanel({ pick: on.step }), list: layerList({ pick: on.layer }), title: layerTitle(),
    controls: layerControls({ order: on.order, count: on.count, gradcam: on.gradcam }),
    channels: channelsPanel({ pick: on.channel }), enlarged: enlargedPanel(),
    gradcam: gradcamPanel({ clear: on.clearGradcam, reveal: (node) => revealIn(ui.detail, node) }),
    opacity: opacityControl(on.opacity), histogram: histogramPanel(), weights: weightsPanel({ pick: on.channel }),
  };
  const { head, classes, status, path, list, title, controls, channels, enlarged, gradcam, opacity, histogram, weights } = panels;
  const side = h("div", { class: "xw-side" }, [enlarged.el, gradcam.el, opacity.el]);
  const detail = h("div", { class: "xw-detail", dataset: { testid: "layer-detail" } },
    [title.el, controls.el, h("div", { class: "xw-main" }, [channels.el, side]), histogram.el, weights.el]);
  const root = h("div", { class: "xw-layers", dataset: { testid: "layer-browser" } }, [
    h("div", { class: "xw-toolbar" }, [head.el, classes.el, status.status]), status.error, path.el,
    h("div", { class: "xw-body" }, [list.el, detail])]);
  const destroy = () => { Object.values(panels).forEach((panel) => panel.destroy?.()); root.remove(); };
  return Object.assign(ui, panels, { pending, side, detail, root, destroy });
}

/** Each part drawn from the model and the decoded layer and image (`data`). */
function drawers(model, ui, data, isDisposed) {
  const get = (key) => model.get(key);
  const channel = () => selectedChannel(get("channel"), data.act);
  const view = () => ({ act: data.act, order: get("order"), count: get("count"), channel: channel(), opacity: get("opacity") });
  const rows = () => new Map((get("layers") || []).map((r) => [r.path, r]));
  const d = {
    status: () => { ui.status.render(); if (get("status") !== "busy") ui.pending.textContent = ""; },
    title: () => {
      const info = get("activation_info") || {};
      ui.title.update({ row: rows().get(get("layer")), layer: get("layer"), note: info.note, shown: info.layer });
    },
    layer: () => { ui.list.select(get("layer")); d.title(); },
    rows: () => { ui.list.setRows(get("layers") || []); d.layer(); },
    path: () => ui.path.update({ steps: get("decision_path") || [], rows: rows(), layer: get("layer"), channel: get("channel") }),
    channels: () => { ui.controls.update(view()); ui.channels.update(view()); },
    channel: () => { ui.channels.update(view()); d.enlarged(); ui.weights.setChannel(channel()); d.path(); },
    weights: () => ui.weights.update({ payload: get("weights"), info: get("weights_info"), channel: channel() }),
    side: () => { // the opacity slider serves the enlarged channel and the Grad-CAM
      ui.opacity.el.hidden = !ui.enlarged.showsChannel() && ui.gradcam.el.hidden;
      ui.side.hidden = ui.enlarged.el.hidden && ui.gradcam.el.hidden;
    },
    enlarged: () => { ui.enlarged.update({ ...view(), base: data.base }); d.side(); },
    gradcam: () => {
      ui.gradcam.update({ payload: get("gradcam"), info: get("gradcam_info"), layer: get("layer"), base: data.base, opacity: get("opacity") });
      d.side();
    },
    opacity: () => { const o = get("opacity"); ui.opacity.update(o); ui.enlarged.composite(o); ui.gradcam.composite(o); },
    activation() {
      const t0 = performance.now();
      if (ui.detail.dataset.layer !== get("layer")) ui.detail.scrollTop = 0; // a new layer: from its top
      ui.detail.dataset.layer = get("layer");
      ui.root.dataset.activationAt = t0.toFixed(1); // read by benchmarks: when the data arrived
      Object.assign(data, readActivation(get("activation"), get("activation_info")));
      ui.pending.textContent = "";
      d.title(); // its note comes with the layer's data
      ui.channels.show(data.act, data.error);
      d.channels();
      d.enlarged();
      ui.histogram.update({ act: data.act, layer: get("layer") });
      ui.root.dataset.renderMs = (performance.now() - t0).toFixed(1); // decode + draw the layer
    },
    async image() {
      data.base = await decodePNG(get("image")).catch(() => null); // no image: the maps alone
      if (!isDisposed()) { d.enlarged(); d.gradcam(); }
    },
  };
  return d;
}

function render({ model, el }) {
  const binding = bindModel(model);
  const ui = {}; // the panels, filled by buildPanels (the actions reach them at click time)
  const data = { act: null, error: "", base: null }; // the decoded layer and input image
  buildPanels(model, userActions(model, binding, ui), ui);
  const draw = drawers(model, ui, data, binding.isDisposed);
  const each = (keys, fn) => keys.forEach((key) => binding.listen(`change:${key}`, fn));
  // data traits arrive together: drawn once per burst (later); view-only traits at once
  each(["image"], draw.image);
  each(["layers"], draw.rows);
  each(["layer"], () => { draw.layer(); draw.path(); draw.gradcam(); });
  each(["activation", "activation_info"], () => binding.later(draw.activation));
  each(["weights", "weights_info"], () => binding.later(draw.weights));
  each(["decision_path"], () => binding.later(draw.path));
  each(["gradcam", "gradcam_info"], () => binding.later(draw.gradcam));
  each(["top_classes", "target", "class_names"], ui.classes.render);
  each(["heads", "head"], ui.head.render);
  binding.onStatus(draw.status);
  each(["order", "count"], draw.channels);
  each(["channel"], draw.channel);
  each(["opacity"], draw.opacity);
  el.append(ui.root);
  binding.followHeight(ui.root);
  ui.classes.render();
  ui.head.render();
  for (const part of ["status", "rows", "path", "opacity", "activation", "weights", "gradcam", "image"]) draw[part]();
  return () => {
    binding.dispose();
    ui.destroy();
  };
}

export default { render };
