// FeatureImportance view: a tabular model's global importance, one instance's explanation and
// a what-if panel. This file is the table of contents: it makes the panels, lays them out and
// wires them to the model (which trait redraws which panel, what a user's action asks for).
// Sorting, top-k, the threshold and which method is shown are view-only (setView: redrawn in
// the browser from data already here); the instance, the class and the what-if values go to
// the kernel (ask; the what-if values one request at a time, the newest winning).
import { bindModel } from "../common/model.js";
import { classButtons, statusBar } from "../common/controls.js";
import { h } from "../common/dom.js";
import { counterfactualPanel } from "./counterfactual_panel.js";
import { effectsPanel } from "./effects_panel.js";
import { errorsPanel } from "./errors_panel.js";
import { globalPanel } from "./global_panel.js";
import { instancePicker } from "./instance_picker.js";
import { localPanel } from "./local_panel.js";
import { predictionLine } from "./prediction.js";
import { surrogatesPanel } from "./surrogates_panel.js";
import { whatifPanel } from "./whatif_panel.js";
import { whatifRequests } from "./whatif_requests.js";

function makePanels(model, { ask, setView }) {
  const prediction = predictionLine(model);
  const requests = whatifRequests(model, { ask, onBusy: prediction.setUpdating });
  const panels = {
    prediction,
    requests,
    classes: classButtons(model, (index) => ask({ target: index })),
    status: statusBar(model),
    // what-if values of the old row mean nothing for the new one
    picker: instancePicker(model, { pick: (instance) => { requests.clear(); ask({ instance }); } }),
    global: globalPanel(model, { setView, compute: () => model.send({ type: "compute_global" }) }),
    surrogates: surrogatesPanel(model),
    local: localPanel(model, { setView }),
    whatif: whatifPanel(model, { submit: requests.submit }),
  };
  // a click on the effects chart or a counterfactual's Apply moves the what-if controls
  panels.effects = effectsPanel(model, {
    choose: (name) => ask({ effect_feature: name }),
    onPick: (j, v) => panels.whatif.setValue(j, v),
  });
  panels.counterfactuals = counterfactualPanel(model, {
    find: (desired) => model.send({ type: "compute_counterfactuals", desired, locked: model.get("locked") || [] }),
    toggleLock: (name, on) => {
      const locked = new Set(model.get("locked") || []);
      if (on) locked.add(name);
      else locked.delete(name);
      setView("locked", [...locked]);
    },
    apply: (values) => panels.whatif.apply(values),
  });
  panels.errors = errorsPanel(model, {
    cell: (i, j) => model.send({ type: "error_cell", true: i, predicted: j }),
    pick: (instance) => { requests.clear(); ask({ instance }); },
  });
  return panels;
}

function layout(p) {
  const toolbar = h("div", { class: "xw-toolbar" }, [p.picker.el, p.classes.el, p.status.status]);
  const thisInstance = h("section", { class: "xw-section" }, [h("h4", { text: "This instance" }), p.local.el, p.whatif.el]);
  const columns = h("div", { class: "xw-columns" }, [
    h("div", { class: "xw-column" }, [p.global.el, p.effects.el, p.errors.el, p.surrogates.el]),
    h("div", { class: "xw-column" }, [thisInstance, p.counterfactuals.el]),
  ]);
  const root = h("div", { class: "xw-tabular", dataset: { testid: "feature-importance" } },
    [toolbar, p.status.error, p.prediction.el, columns]);
  return { root, columns };
}

/** Charts are as wide as their column (between 360 and 640 px): onWidth(width) on a change. */
function followChartWidth(columns, onWidth) {
  if (typeof ResizeObserver === "undefined") return () => {};
  let width = 460;
  const observer = new ResizeObserver(() => {
    const inner = columns.firstElementChild.clientWidth - 18; // the section's padding and border
    const next = Math.round(Math.min(640, Math.max(360, inner > 0 ? inner : 460)));
    if (Math.abs(next - width) < 8) return;
    width = next;
    onWidth(width);
  });
  observer.observe(columns);
  return () => observer.disconnect();
}

/** Which trait change redraws which panel. Data traits often arrive together (one
 *  hold_sync): `later` redraws each panel once after the last of them. */
function wire(model, p, { listen, later, onStatus }) {
  const redraw = (...panels) => () => panels.forEach((fn) => later(fn));
  const classes = () => {
    p.classes.el.hidden = model.get("task") === "regression";
    p.classes.render();
  };
  const status = () => {
    p.status.render();
    p.requests.followStatus();
    p.global.renderStatus();
  };
  listen("change:feature_names", redraw(p.whatif.build, p.global.update, p.local.update, p.surrogates.update,
    p.effects.buildMenu, p.counterfactuals.buildControls));
  listen("change:effects", redraw(p.effects.update));
  listen("change:effect_feature", redraw(p.effects.update));
  listen("change:counterfactual", redraw(p.counterfactuals.update));
  listen("change:locked", redraw(p.counterfactuals.buildControls));
  listen("change:errors", redraw(p.errors.update));
  listen("change:error_rows", redraw(p.errors.updateRows));
  listen("change:class_names", redraw(p.counterfactuals.buildControls));
  listen("change:features", redraw(p.whatif.build, p.local.update));
  listen("change:task", () => { classes(); later(p.prediction.update); });
  listen("change:class_names", redraw(p.prediction.update));
  listen("change:task", redraw(p.counterfactuals.buildControls));
  listen("change:top_classes", classes);
  listen("change:target", classes);
  listen("change:instance", p.picker.render);
  listen("change:instance_count", p.picker.render);
  listen("change:original_values", () => {
    p.requests.clear(); // a new row: its own values, not the old row's edits
    later(p.whatif.follow);
  });
  listen("change:instance_values", () => { if (!p.requests.isSending()) later(p.whatif.follow); });
  listen("change:local", () => {
    p.requests.answered((model.get("local") || {}).values);
    later(p.prediction.update);
    later(p.local.update);
  });
  listen("change:local_method", redraw(p.local.update));
  for (const key of ["importance", "importance_kind", "sort", "top_k", "threshold"]) listen(`change:${key}`, redraw(p.global.update));
  listen("change:surrogate", redraw(p.surrogates.update));
  onStatus(status);
  return { classes, status };
}

function render({ model, el }) {
  const binding = bindModel(model);
  const p = makePanels(model, binding);
  const { root, columns } = layout(p);
  el.append(root);
  const charts = [p.global, p.local, p.surrogates, p.effects, p.errors];
  const stopWidth = followChartWidth(columns, (width) => charts.forEach((panel) => {
    panel.resize(width);
    binding.later(panel.update);
  }));
  const { classes, status } = wire(model, p, binding);
  binding.followHeight(root);
  classes();
  p.picker.render();
  status();
  p.whatif.build();
  p.effects.buildMenu();
  p.counterfactuals.buildControls();
  p.counterfactuals.update();
  p.errors.update();
  p.errors.updateRows();
  p.prediction.update();
  for (const panel of charts) panel.update();

  return () => {
    binding.dispose();
    for (const panel of Object.values(p)) panel.destroy?.();
    stopWidth();
    root.remove();
  };
}

export default { render };
