// FeatureImportance view: a tabular model's global importance, one instance's explanation and
// a what-if panel. Sorting, top-k, the threshold and which method is shown are handled here
// from data already in the browser; the instance, the class and the what-if values go to the
// kernel (the what-if values one request at a time, the newest winning).
import { bindModel } from "../common/model.js";
import { classButtons, statusBar } from "../common/controls.js";
import { decodeArray } from "../common/binary.js";
import { debounce, h, replaceChildren } from "../common/dom.js";
import {
  baseLabel, clampTopK, formatValue, globalCaption, methodNote,
  mutedFlags, orderFeatures, predictionText, waterfall,
} from "./importance_logic.js";
import { formatProbability, formatShort } from "../common/format.js";
import { createRequestQueue, sameValues } from "../common/request_queue.js";
import { drawGlobalBars, drawSteps, s } from "./svg_bars.js";

const KINDS = [["permutation", "permutation (shuffle a column)"], ["shap", "mean |SHAP value|"]];
const SORTS = [["importance", "importance"], ["name", "name"], ["data", "column order"]];
const MAX_STEPS = 12; // local chart: the largest attributions, the rest folded into one step
const COEFFICIENTS_SHOWN = 8;
const CLASSES_SHOWN = 6; // outputs listed on the prediction line

function arrayOf(payload) {
  try {
    return payload && payload.view ? decodeArray(payload).data : null;
  } catch (err) {
    return null;
  }
}

const hint = (text) => h("div", { class: "xw-hint", text });
const row = (label, control, value) => h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);
const options = (pairs) => pairs.map(([value, text]) => h("option", { value, text }));

function render({ model, el }) {
  const { listen, save, saveView, dispose, onStatus, followHeight } = bindModel(model);
  const ask = (changes) => { // a change the kernel computes for
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    saveView.cancel(); // this save carries the pending view changes too
    save();
  };
  const setView = (key, value) => { // a view-only change: drawn at once, synced later
    model.set(key, value);
    saveView();
  };

  // ---- layout -----------------------------------------------------------------------
  const classBar = classButtons(model, (index) => ask({ target: index }));
  const instanceInput = h("input", { type: "number", min: "0", step: "1", class: "xw-instance",
    dataset: { testid: "instance" }, title: "Row of the data to explain" });
  const instanceCount = h("span", { class: "xw-value" });
  const statusRow = statusBar(model);
  const toolbar = h("div", { class: "xw-toolbar" },
    [row("Row", instanceInput, instanceCount), classBar.el, statusRow.status]);

  const predictionMain = h("span", { class: "xw-prediction-main" });
  const outputs = h("span", { class: "xw-outputs" });
  const updating = h("span", { class: "xw-pending" });
  const prediction = h("div", { class: "xw-prediction", dataset: { testid: "prediction" } }, [predictionMain, outputs, updating]);

  // global importance (left column)
  const kindSelect = h("select", { dataset: { testid: "importance-kind" } }, options(KINDS));
  const sortSelect = h("select", { dataset: { testid: "sort" } }, options(SORTS));
  const topK = h("input", { type: "range", min: "1", max: "1", step: "1", dataset: { testid: "top-k" } });
  const topKLabel = h("span", { class: "xw-value" });
  const threshold = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "threshold" } });
  const thresholdLabel = h("span", { class: "xw-value" });
  const globalSvg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Global importance of each feature" });
  const globalChart = h("div", { class: "xw-chart-box", dataset: { testid: "global-chart" } }, [globalSvg]);
  const globalCaptionBox = h("div", { class: "xw-caption", dataset: { testid: "global-caption" } });
  const globalEmptyText = h("span", { class: "xw-hint" });
  const computeButton = h("button", { type: "button", text: "Compute", dataset: { testid: "compute-global" },
    title: "Compute global importance and the surrogates (asks the kernel)",
    on: { click: () => model.send({ type: "compute_global" }) } });
  const globalEmpty = h("div", { class: "xw-empty" }, [globalEmptyText, computeButton]);
  const globalControls = h("div", { class: "xw-controls" }, [row("Importance", kindSelect), row("Sort by", sortSelect),
    row("Show", topK, topKLabel), row("Grey below", threshold, thresholdLabel)]);
  const globalSection = h("section", { class: "xw-section" }, [
    h("h4", { text: "Global importance" }),
    globalControls,
    globalEmpty, globalChart, globalCaptionBox,
    hint("Longer bars: the model leans more on that feature across the data (not only for this row)."),
  ]);

  // global surrogates (left column)
  const surrogateNote = h("span", { class: "xw-hint" });
  const surrogateEmpty = hint("Not computed yet.");
  const treeFidelity = h("div", { dataset: { testid: "tree-fidelity" } });
  const linearFidelity = h("div", { dataset: { testid: "linear-fidelity" } });
  const rules = h("pre", { class: "xw-rules", dataset: { testid: "rules" } });
  const coefficientSvg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Linear surrogate coefficients" });
  const coefficientNote = hint("");
  const surrogateBody = h("div", { class: "xw-section" }, [
    treeFidelity,
    h("details", { class: "xw-details", open: true }, [h("summary", { text: "Rules of the tree" }), rules]),
    linearFidelity, h("div", { class: "xw-chart-box" }, [coefficientSvg]), coefficientNote,
  ]);
  const surrogate = h("section", { class: "xw-section", dataset: { testid: "surrogate" } }, [
    h("h4", {}, [h("span", { text: "Global surrogates " }), surrogateNote]),
    surrogateEmpty, surrogateBody,
    hint("Simple models trained to imitate this model's answers: when they agree often, their rules describe it well."),
  ]);

  // this instance (right column)
  const methodSelect = h("select", { dataset: { testid: "local-method" } });
  const localTitle = h("div", { class: "xw-caption" });
  const localEmpty = hint("Explaining this instance…");
  const localSvg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Contribution of each feature to this prediction" });
  const localSvgBox = h("div", { class: "xw-chart-box" }, [localSvg]);
  const localNote = h("div", { class: "xw-caption", dataset: { testid: "local-note" } });
  const localHint = hint("");
  const methodRow = row("Method", methodSelect);
  const localChart = h("div", { class: "xw-section", dataset: { testid: "local-chart" } },
    [methodRow, localTitle, localEmpty, localSvgBox]);

  const resetButton = h("button", { type: "button", text: "Reset to the data", dataset: { testid: "reset" } });
  const whatifRows = h("div", { class: "xw-whatif-rows" });
  const whatif = h("section", { class: "xw-section", dataset: { testid: "whatif" } }, [
    h("div", { class: "xw-whatif-head" }, [h("h4", { text: "What if?" }), resetButton]),
    hint("Move a value to see how the prediction and its explanation change (the kernel predicts again)."),
    whatifRows,
  ]);
  const localSection = h("section", { class: "xw-section" },
    [h("h4", { text: "This instance" }), localChart, localNote, localHint, whatif]);

  const columns = h("div", { class: "xw-columns" }, [
    h("div", { class: "xw-column" }, [globalSection, surrogate]),
    h("div", { class: "xw-column" }, [localSection]),
  ]);
  const root = h("div", { class: "xw-tabular", dataset: { testid: "feature-importance" } },
    [toolbar, statusRow.error, prediction, columns]);
  el.append(root);

  // ---- state --------------------------------------------------------------------------
  let values = []; // the what-if values the controls show
  let controls = []; // per feature: {feature, input, label, revert, row}
  let dragging = -1; // index of the slider under the pointer
  let ownWrite = false; // our own model.set("instance_values"): not a change to follow
  let lastStatus = model.get("status");
  let chartWidth = 460;
  let disposed = false;

  const names = () => model.get("feature_names") || [];
  const features = () => model.get("features") || [];
  const family = () => getComputedStyle(root).fontFamily || "sans-serif";

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

  // ---- the kernel's what-if requests ----------------------------------------------------
  const queue = createRequestQueue((next) => {
    ownWrite = true;
    try {
      model.set("instance_values", next);
    } finally {
      ownWrite = false;
    }
    saveView.cancel();
    save();
    renderUpdating();
  });
  // Sent at once when nothing is in flight (no waiting on the first move); while a request is
  // in flight the queue keeps only the newest values and sends them with the answer, so the
  // round trip itself paces the requests: one at a time, the newest wins.
  const submit = () => {
    if (!queue.busy() && sameValues(values, model.get("instance_values"))) return; // nothing new
    queue.request(values);
    renderUpdating();
  };

  function renderUpdating() {
    updating.textContent = queue.busy() ? "updating…" : "";
  }

  // ---- header -------------------------------------------------------------------------
  function renderClasses() {
    classBar.el.hidden = model.get("task") === "regression";
    classBar.render();
  }

  function renderInstance() {
    const n = model.get("instance_count") || 0;
    instanceInput.max = String(Math.max(0, n - 1));
    if (document.activeElement !== instanceInput) instanceInput.value = String(model.get("instance"));
    instanceCount.textContent = `of ${n}`;
  }

  function pickInstance() {
    const n = model.get("instance_count") || 0;
    const i = Math.round(Number(instanceInput.value));
    if (instanceInput.value.trim() === "" || !Number.isFinite(i) || n < 1) return;
    const clamped = Math.min(n - 1, Math.max(0, i));
    if (clamped !== i) instanceInput.value = String(clamped);
    if (clamped === model.get("instance")) return;
    queue.clear(); // what-if values of the old row mean nothing for the new one
    ask({ instance: clamped });
    renderUpdating();
  }
  const pickInstanceLater = debounce(pickInstance, 400);

  function renderStatus() {
    statusRow.render();
    const state = model.get("status");
    if (state !== lastStatus) {
      if (state === "error") queue.failed();
      else if (state === "idle" && lastStatus === "busy") {
        // Done without our answer (cancelled, replaced): go on. The answer, when there is
        // one, usually comes in the same message; let its change event go first.
        const token = queue.current();
        queueMicrotask(() => {
          if (!disposed) queue.failed(token);
          renderUpdating();
        });
      }
      lastStatus = state;
    }
    renderUpdating();
    renderGlobalEmpty();
  }

  // ---- prediction line ----------------------------------------------------------------
  function drawPrediction() {
    const local = model.get("local") || {};
    predictionMain.textContent = predictionText(local) || "No prediction yet.";
    const probabilities = model.get("task") === "regression" ? null : arrayOf(local.outputs);
    if (!probabilities || probabilities.length < 2) return replaceChildren(outputs);
    const classNames = model.get("class_names") || [];
    const shown = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]).slice(0, CLASSES_SHOWN);
    replaceChildren(outputs, shown.map((k) => h("span", {
      class: k === local.target ? "xw-output xw-active" : "xw-output",
      dataset: { class: String(k) },
    }, [h("span", { text: classNames[k] ?? `class ${k}` }), ` ${formatProbability(probabilities[k])}`])));
  }

  // ---- global importance --------------------------------------------------------------
  function currentKind(importance) {
    const wanted = model.get("importance_kind");
    if (importance[wanted]) return wanted;
    return importance.permutation ? "permutation" : importance.shap ? "shap" : wanted;
  }

  function renderGlobalEmpty() {
    const importance = model.get("importance") || {};
    const empty = !importance.permutation && !importance.shap;
    const busy = model.get("status") === "busy";
    globalEmpty.hidden = !empty;
    globalChart.hidden = empty;
    globalControls.hidden = empty;
    globalCaptionBox.hidden = empty;
    computeButton.hidden = !empty || busy;
    globalEmptyText.textContent = busy ? "Computing global importance…" : "Global importance is not computed yet.";
  }

  function syncGlobalControls(count) {
    const k = clampTopK(model.get("top_k"), count);
    topK.max = String(Math.max(1, count));
    topK.value = String(k);
    topKLabel.textContent = `${k} of ${count}`;
    sortSelect.value = model.get("sort");
    const t = Number(model.get("threshold")) || 0;
    threshold.value = String(t);
    thresholdLabel.textContent = t > 0 ? `${Math.round(t * 100)}% of the largest` : "off";
  }

  function drawGlobal() {
    renderGlobalEmpty();
    const importance = model.get("importance") || {};
    const kind = currentKind(importance);
    for (const option of kindSelect.options) option.disabled = !importance[option.value];
    kindSelect.value = kind;
    const info = importance[kind];
    const all = names();
    const scores = info ? arrayOf(kind === "permutation" ? info.mean : info.mean_abs) : null;
    syncGlobalControls(scores ? scores.length : all.length);
    if (!scores) {
      globalCaptionBox.textContent = "";
      return globalSvg.replaceChildren();
    }
    const errors = kind === "permutation" ? arrayOf(info.std) : null;
    const muted = mutedFlags(scores, model.get("threshold"));
    const shown = orderFeatures(all, scores, { sort: model.get("sort"), topK: model.get("top_k") });
    drawGlobalBars(globalSvg, shown.map((i) => ({
      name: all[i] ?? `x${i}`, value: scores[i], error: errors ? errors[i] : null, muted: muted[i],
    })), { width: chartWidth, family: family() });
    globalCaptionBox.textContent = globalCaption(kind, info);
  }

  // ---- surrogates ---------------------------------------------------------------------
  function drawSurrogate() {
    const sg = model.get("surrogate") || {};
    const has = Boolean(sg.tree || sg.linear);
    surrogateEmpty.hidden = has;
    surrogateBody.hidden = !has;
    surrogateNote.textContent = has ? `(fitted to the model's predictions, fidelity on ${sg.held_out_rows} held-out rows)` : "";
    if (!has) return;
    const label = sg.fidelity_label || (sg.kind === "regression" ? "R²" : "agreement");
    const fidelity = (v) => (Number.isFinite(v) ? v.toFixed(2) : "n/a");
    const tree = sg.tree || {};
    const linear = sg.linear || {};
    treeFidelity.textContent = `Decision tree (depth ${tree.depth}): ${label} ${fidelity(tree.fidelity)}`;
    const linearName = sg.kind === "regression" ? "Linear regression" : "Logistic regression";
    linearFidelity.textContent = `${linearName}: ${label} ${fidelity(linear.fidelity)}`;
    rules.textContent = tree.rules || "";
    const coefficients = arrayOf(linear.coefficients);
    coefficientSvg.parentNode.hidden = !coefficients;
    coefficientNote.hidden = !coefficients;
    if (!coefficients) return;
    const w = waterfall(coefficients, { names: names(), sumsToPrediction: false, maxSteps: COEFFICIENTS_SHOWN, fold: false });
    drawSteps(coefficientSvg, w, { width: chartWidth, family: family(), row: 16, testid: "coefficient", label: (st) => [st.name] });
    coefficientNote.textContent = `The ${w.steps.length} largest coefficients of the linear surrogate, on standardised features` +
      `${sg.kind === "regression" ? "" : " (log-odds of the target class)"}.`;
  }

  // ---- this instance ------------------------------------------------------------------
  function valueText(j, source) {
    const f = features()[j] || {};
    const v = Number(source[j]);
    if (f.kind === "categorical") {
      const k = (f.values || []).findIndex((code) => sameValues([code], [v]));
      if (k >= 0) return String((f.labels || [])[k] ?? f.values[k]);
    }
    return formatValue(v, f.step);
  }

  function drawLocal() {
    const local = model.get("local") || {};
    const methods = local.methods || {};
    const available = Object.keys(methods);
    replaceChildren(methodSelect, available.map((name) => h("option", { value: name, text: methods[name].label || name })));
    const name = methods[model.get("local_method")] ? model.get("local_method") : available[0];
    methodSelect.value = name || "";
    methodSelect.disabled = available.length < 2;
    methodRow.hidden = available.length === 0;
    const method = methods[name];
    const attributions = method ? arrayOf(method.values) : null;
    localEmpty.hidden = Boolean(attributions);
    localSvgBox.hidden = !attributions;
    // tests wait for this: the values of the explanation now on screen
    if (Array.isArray(local.values)) prediction.dataset.values = JSON.stringify(local.values);
    else delete prediction.dataset.values;
    if (!attributions) {
      localSvg.replaceChildren();
      localTitle.textContent = "";
      localNote.textContent = "";
      localHint.textContent = "";
      return;
    }
    const instance = Array.isArray(local.values) ? local.values : values;
    const summing = Boolean(method.sums_to_prediction) && Number.isFinite(method.base);
    const errors = arrayOf(method.standard_errors); // sampled KernelSHAP's uncertainty
    const w = waterfall(attributions, { names: names(), base: method.base, sumsToPrediction: summing, maxSteps: MAX_STEPS, errors });
    const finalValue = Number.isFinite(local.prediction) ? local.prediction : w.final;
    drawSteps(localSvg, w, {
      width: chartWidth, family: family(),
      label: (st) => [st.name, st.index >= 0 && st.index < instance.length ? `= ${valueText(st.index, instance)}` : ""],
      baseText: summing ? baseLabel(name, method.base) : "",
      finalText: summing ? `f(x) = ${formatShort(finalValue)}` : "",
    });
    localTitle.textContent = `Contributions to the ${local.score_label || "prediction"} for this instance`;
    let note = methodNote(name, method, attributions.length);
    const gap = Math.abs(w.final - local.prediction);
    if (summing && !Number.isFinite(method.completeness_delta) && gap > 0.01 * (w.domain[1] - w.domain[0])) {
      note += ` The steps add up to ${formatShort(w.final)}, the prediction is ${formatShort(local.prediction)}.`;
    }
    localNote.textContent = note;
    localHint.textContent = summing
      ? "Bars pointing right raise the prediction, bars pointing left lower it; together they walk from the base value to this prediction."
      : "Bars pointing right raise the prediction, bars pointing left lower it (for a small change of the value).";
  }

  // ---- what-if panel ------------------------------------------------------------------
  function buildWhatif() {
    const all = names();
    controls = features().map((f, j) => {
      const name = f.name ?? all[j] ?? `x${j}`;
      const input = f.kind === "categorical"
        ? h("select", { dataset: { testid: "whatif-select", feature: name } },
          (f.values || []).map((code, k) => h("option", { value: String(code), text: (f.labels || [])[k] ?? String(code) })))
        : h("input", { type: "range", min: String(f.min), max: String(f.max), step: f.step > 0 ? String(f.step) : "any",
          dataset: { testid: "whatif-slider", feature: name } });
      const edit = () => {
        const v = Number(input.value);
        if (!Number.isFinite(v)) return;
        values[j] = v;
        renderControl(j, false);
        submit();
      };
      input.addEventListener("input", edit);
      input.addEventListener("change", () => { edit(); dragging = -1; });
      input.addEventListener("pointerdown", () => { dragging = j; });
      const label = h("span", { class: "xw-value" });
      const revert = h("button", { type: "button", class: "xw-revert", text: "↺", dataset: { testid: "whatif-revert", feature: name },
        on: { click: () => {
          values[j] = (model.get("original_values") || [])[j];
          renderControl(j, true);
          submit();
        } } });
      const line = h("div", { class: "xw-whatif-row", dataset: { feature: name } },
        [h("span", { class: "xw-name", text: name, title: name }), input, label, revert]);
      return { feature: f, input, label, revert, line };
    });
    replaceChildren(whatifRows, controls.map((c) => c.line));
    followKernel();
  }

  /** Show values[j] on its row: the control too when `move` (not while it is dragged). */
  function renderControl(j, move = true) {
    const c = controls[j];
    if (!c) return;
    const v = values[j];
    if (move && j !== dragging && Number.isFinite(v)) {
      if (c.feature.kind === "categorical") {
        c.input.selectedIndex = (c.feature.values || []).findIndex((code) => sameValues([code], [v]));
      } else {
        c.input.value = String(v);
      }
    }
    c.label.textContent = Number.isFinite(v) ? valueText(j, values) : "";
    c.label.title = c.label.textContent;
    const original = (model.get("original_values") || [])[j];
    const changed = Number.isFinite(original) && Number.isFinite(v) && !sameValues([v], [original]);
    c.line.classList.toggle("xw-changed", changed);
    c.revert.disabled = !changed; // hidden by CSS (it keeps its grid cell)
    c.revert.title = changed ? `back to ${valueText(j, model.get("original_values"))}, the value in the data` : "";
  }

  /** The kernel's instance_values (another row, or Python set them): the controls follow. */
  function followKernel() {
    const next = model.get("instance_values") || [];
    values = Array.from(next, (v, j) => (j === dragging && Number.isFinite(values[j]) ? values[j] : Number(v)));
    controls.forEach((_, j) => renderControl(j, true));
  }

  // ---- events -------------------------------------------------------------------------
  kindSelect.addEventListener("change", () => setView("importance_kind", kindSelect.value));
  sortSelect.addEventListener("change", () => setView("sort", sortSelect.value));
  topK.addEventListener("input", () => setView("top_k", Number(topK.value)));
  threshold.addEventListener("input", () => setView("threshold", Number(threshold.value)));
  methodSelect.addEventListener("change", () => setView("local_method", methodSelect.value));
  instanceInput.addEventListener("input", pickInstanceLater);
  instanceInput.addEventListener("change", () => { pickInstanceLater.cancel(); pickInstance(); });
  instanceInput.addEventListener("blur", renderInstance);
  resetButton.addEventListener("click", () => {
    values = Array.from(model.get("original_values") || [], Number);
    dragging = -1;
    controls.forEach((_, j) => renderControl(j, true));
    submit();
  });
  const endDrag = () => { dragging = -1; };
  globalThis.addEventListener("pointerup", endDrag);
  globalThis.addEventListener("pointercancel", endDrag);

  // Charts are as wide as their column (between 360 and 640 px).
  const resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => {
    const inner = columns.firstElementChild.clientWidth - 18; // the section's padding and border
    const width = Math.round(Math.min(640, Math.max(360, inner > 0 ? inner : 460)));
    if (Math.abs(width - chartWidth) < 8) return;
    chartWidth = width;
    later(drawGlobal);
    later(drawLocal);
    later(drawSurrogate);
  });
  if (resize) resize.observe(columns);

  listen("change:feature_names", () => { later(buildWhatif); later(drawGlobal); later(drawLocal); later(drawSurrogate); });
  listen("change:features", () => { later(buildWhatif); later(drawLocal); });
  listen("change:task", () => { renderClasses(); later(drawPrediction); });
  listen("change:class_names", () => later(drawPrediction));
  listen("change:top_classes", renderClasses);
  listen("change:target", renderClasses);
  listen("change:instance", renderInstance);
  listen("change:instance_count", renderInstance);
  listen("change:original_values", () => {
    queue.clear(); // a new row: its own values, not the old row's edits
    renderUpdating();
    later(followKernel);
  });
  listen("change:instance_values", () => { if (!ownWrite) later(followKernel); });
  listen("change:local", () => {
    const local = model.get("local") || {};
    if (Array.isArray(local.values)) queue.answered(local.values);
    renderUpdating();
    later(drawPrediction);
    later(drawLocal);
  });
  listen("change:local_method", () => later(drawLocal));
  for (const key of ["importance", "importance_kind", "sort", "top_k", "threshold"]) listen(`change:${key}`, () => later(drawGlobal));
  listen("change:surrogate", () => later(drawSurrogate));
  onStatus(renderStatus);

  followHeight(root);
  renderClasses();
  renderInstance();
  renderStatus();
  buildWhatif();
  drawPrediction();
  drawGlobal();
  drawLocal();
  drawSurrogate();

  return () => {
    disposed = true;
    dispose();
    pickInstanceLater.cancel();
    queue.dispose();
    if (resize) resize.disconnect();
    globalThis.removeEventListener("pointerup", endDrag);
    globalThis.removeEventListener("pointercancel", endDrag);
    root.remove();
  };
}

export default { render };
