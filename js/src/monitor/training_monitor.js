// TrainingMonitor view: a table of contents. The kernel pushes the whole recording at each
// recorded epoch (kernel-to-browser messages arrive while fit runs); scrubbing, opacity and
// colormap are drawn here from data already sent. Stop is a message the kernel fetches during
// fit (jupyter-ui-poll).
import { h } from "../common/dom.js";
import { bindModel } from "../common/model.js";
import { decodePNG } from "../common/png.js";
import { controlsPanel } from "./controls_panel.js";
import { curvesPanel } from "./curves_panel.js";
import { appendFrame, decodeCurves, decodeFrames, shownIndex, stateText } from "./monitor_logic.js";
import { probesPanel } from "./probes_panel.js";

function render({ model, el }) {
  const { listen, setView, later, dispose, followHeight, isDisposed } = bindModel(model);
  const controls = controlsPanel(setView, () => model.send({ type: "stop" }));
  const probes = probesPanel();
  const curves = curvesPanel();
  const title = h("div", { class: "xw-title", dataset: { testid: "title" } });
  const root = h("div", { class: "xw-monitor", dataset: { testid: "training-monitor" } }, [
    title, h("div", { class: "xw-top" }, [controls.el, curves.el]), probes.el]);
  el.append(root);

  let data = null;
  let curveData = { epochs: [], series: [] };
  const view = () => ({ opacity: model.get("opacity"), colormap: model.get("colormap"), threshold: 0,
    absolute: false, heatmap_only: false });

  function state() {
    const epochs = model.get("epochs") || [];
    const index = shownIndex(epochs, model.get("epoch"));
    const run = model.get("state");
    return {
      epochs, index, epoch: model.get("epoch"), total: model.get("total_epochs"), done: model.get("epochs_done"),
      labels: model.get("labels") || [], names: model.get("class_names") || [],
      kind: model.get("probability_kind"), signed: Boolean(model.get("signed")),
      statusText: stateText(run, model.get("epochs_done"), model.get("total_epochs"), epochs.length),
      running: run === "training", live: run === "training" || run === "stopping",
      error: model.get("error") || "", opacity: model.get("opacity"), colormap: model.get("colormap"),
    };
  }

  function draw() {
    const s = state();
    const t0 = performance.now();
    title.textContent = `${model.get("method_label")} of ${s.labels.length} probes`
      + (s.labels.some((v) => v >= 0) ? " (for their true class)" : " (for the predicted class)");
    controls.render(s);
    probes.render(data, s, view());
    curves.render(curveData, s.index >= 0 ? s.epochs[s.index] : null);
    root.dataset.state = model.get("state");
    root.dataset.epoch = s.index >= 0 ? String(s.epochs[s.index]) : "";
    root.dataset.recorded = String(s.epochs.length);
    root.dataset.draws = String(Number(root.dataset.draws || 0) + 1);
    root.dataset.redrawMs = (performance.now() - t0).toFixed(3);
  }

  async function loadImages() {
    const bitmaps = await Promise.all((model.get("images") || []).map((bytes) => decodePNG(bytes)));
    if (isDisposed()) return;
    probes.setBases(bitmaps);
    later(draw);
  }

  listen("change:frames", () => { data = decodeFrames(model.get("frames")); later(draw); });
  // between two whole pushes of `frames`, the kernel sends each new epoch alone
  listen("msg:custom", (content, buffers) => {
    if (!content || content.type !== "frame") return;
    data = appendFrame(data, content, buffers || []);
    later(draw);
  });
  listen("change:curves", () => { curveData = decodeCurves(model.get("curves")); later(draw); });
  listen("change:images", loadImages);
  for (const key of ["epochs", "epoch", "state", "epochs_done", "total_epochs", "error", "class_names", "labels", "signed", "probability_kind"]) {
    listen(`change:${key}`, () => later(draw));
  }
  listen("change:opacity", () => { controls.render(state()); probes.redraw(view(), false); });
  listen("change:colormap", () => later(draw));

  // at least `height`: a fixed height hid the second row of probe cards behind a scrollbar
  followHeight(root, { least: true });
  data = decodeFrames(model.get("frames"));
  curveData = decodeCurves(model.get("curves"));
  draw();
  loadImages();

  return () => {
    dispose();
    for (const panel of [controls, probes, curves]) panel.destroy();
    root.remove();
  };
}

export default { render };
