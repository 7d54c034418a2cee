// The Trust panel: for the methods shown (one, or the compare grid), on request, the kernel's
// xw.metrics.evaluate as a table (each column says what a good value looks like) and the
// deletion/insertion curves. Feedback: "Train with this feedback" retrains the model with the
// painted region as "should not matter" and shows the accuracy and heatmaps before and after.
// Which region each training image gets (`feedback_scope`: "each" its own, or "all" the union)
// is said in words and switched here; the switch only sets the trait, Train computes.
import { decodeArray } from "../common/binary.js";
import { h, replaceChildren } from "../common/dom.js";
import { formatShort } from "../common/format.js";
import { OverlayPanel, prepareHeatmap } from "../common/panel.js";
import { decodePNG } from "../common/png.js";

// column -> [header, what a good value looks like]
export const COLUMNS = [
  ["deletion_auc", "deletion AUC", "lower is better"],
  ["insertion_auc", "insertion AUC", "higher is better"],
  ["faithfulness_correlation", "faithfulness", "near 1 is good"],
  ["max_sensitivity", "max-sensitivity", "lower is more robust"],
  ["sparseness", "sparseness", "higher is easier to read"],
  ["random_logit", "random logit", "lower is better"],
  ["randomization", "sanity check", "lower is better; near 1 fails"],
  ["pointing_game", "pointing game", "hit = max in the region"],
  ["relevance_mass", "relevance mass", "share in the region: higher is better"],
];
export const SANITY_FAIL = 0.5; // rank correlation after randomising the top layers

/** A cell's text: numbers to 3 digits, the pointing game as hit/miss, missing as "n/a". */
export function cellText(key, value) {
  if (value === null || value === undefined) return "n/a";
  if (key === "pointing_game") return value ? "hit" : "miss";
  const text = formatShort(value);
  return key === "randomization" && value > SANITY_FAIL ? `${text} fails` : text;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Images with a painted region, from `region_masks` (uint8 (N, H, W)): [painted, N]. */
export function paintedImages(payload) {
  if (!payload || !payload.view) return [0, 0];
  const { data, shape } = decodeArray(payload);
  const [n, size] = [shape[0], shape[1] * shape[2]];
  let painted = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i * size; j < (i + 1) * size; j++) if (data[j]) { painted++; break; }
  }
  return [painted, n];
}

/** What training will apply, in words: the regions painted (shown) versus where they are
 *  applied (asked). `rows`: the training images; `own`: they are the widget's images. */
export function scopeText(scope, painted, images, rows, own) {
  if (!painted) return "No region painted yet: paint what should not matter, then train.";
  if (scope === "each") {
    if (!own) return "Each image its own region: not possible with the data of use_feedback_data "
      + "(its images have no regions of their own); choose the union.";
    const rest = images - painted;
    return (painted === 1 ? "Region of 1 image, applied to that image only"
      : `Region of ${plural(painted, "image")}, applied to each of them`)
      + (rest > 0 ? `; ${rest === 1 ? "the other image trains" : `the other ${rest} images train`} without a penalty (cross-entropy only).` : ".");
  }
  return `${painted === 1 ? "Region of 1 image" : `Union of the regions on ${plural(painted, "image")}`}, `
    + `applied to all ${plural(rows, "training image")}${own ? "" : " (the data of use_feedback_data)"}.`;
}

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
};
// Okabe-Ito's first six colours, then a mid grey and a brown in place of its black (lost on
// a dark theme) and its yellow (lost on white).
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f", "#a6761d"];

function curvesChart(info, labels) {
  const fractions = decodeArray(info.fractions).data;
  const del = decodeArray(info.deletion);
  const ins = decodeArray(info.insertion);
  const [w, hgt, pad] = [300, 150, 28];
  const root = svg("svg", { width: w, height: hgt + 18, "data-testid": "trust-curves", role: "img" });
  const x = (f) => pad + f * (w - pad - 8);
  const y = (p) => 6 + (1 - p) * (hgt - pad);
  root.append(svg("rect", { x: pad, y: 6, width: w - pad - 8, height: hgt - pad, fill: "none", stroke: "#999" }));
  const methods = del.shape[0];
  const steps = del.shape[1];
  for (let m = 0; m < methods; m++) {
    for (const [curve, dash] of [[del, ""], [ins, "4 3"]]) {
      const pts = [];
      for (let s = 0; s < steps; s++) pts.push(`${x(fractions[s]).toFixed(1)},${y(curve.data[m * steps + s]).toFixed(1)}`);
      root.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: COLOURS[m % 8], "stroke-width": 1.5, "stroke-dasharray": dash }));
    }
  }
  const text = (content, attrs) => { const t = svg("text", { "font-size": 10, fill: "#555", ...attrs }); t.textContent = content; return t; };
  root.append(text("0", { x: pad - 4, y: hgt - pad + 16, "text-anchor": "middle" }));
  root.append(text("1", { x: w - 8, y: hgt - pad + 16, "text-anchor": "middle" }));
  root.append(text("fraction of pixels deleted (solid) / inserted (dashed)", { x: pad, y: hgt - 2 }));
  root.append(text("p(class)", { x: pad + 4, y: 18 }));
  root.append(text("1", { x: pad - 4, y: 12, "text-anchor": "end" }));
  // each label in the text colour after a swatch of its curve's colour (coloured text was
  // unreadable over a dark theme: #0072b2 is 3.1:1, #000000 1:1); the swatch is data
  const legend = h("div", { class: "xw-trust-legend" }, labels.map((label, m) => h("span", {}, [
    h("span", { class: "xw-swatch", style: { background: COLOURS[m % 8] }, dataset: { xwData: "curve" } }),
    String(label)])));
  return h("div", {}, [root, legend]);
}

async function beforeAfter(entry, label, images, testid = `feedback-${label}`, caption = null) {
  const canvas = h("canvas", { class: "xw-overlay", dataset: { testid } });
  const panel = new OverlayPanel(canvas);
  const base = await decodePNG(images[entry.index]).catch(() => null);
  panel.setBase(base);
  panel.setHeatmap(prepareHeatmap(entry.heatmap, entry.info));
  panel.resize(160);
  panel.redraw({ opacity: 0.6, threshold: 0, colormap: "auto", absolute: false, heatmap_only: false });
  return h("figure", {}, [canvas, h("figcaption", { text: caption || `${label}: ${entry.info.label || ""}` })]);
}

/** {el, render(), destroy}: the Evaluate and Train buttons, the table, curves and results. */
export function trustPanel(model) {
  const evaluate = h("button", { text: "Evaluate trust", dataset: { testid: "trust-evaluate" },
    title: "deletion/insertion, faithfulness, robustness, sparseness, sanity checks for the methods shown",
    on: { click: () => model.send({ type: "trust" }) } });
  const train = h("button", { text: "Train with this feedback", dataset: { testid: "feedback-train" },
    title: "retrain the model so that the painted region does not matter (right for the right reasons)",
    on: { click: () => model.send({ type: "train_feedback" }) } });
  const scope = h("select", { dataset: { testid: "feedback-scope" },
    title: "which region each training image gets; nothing is computed until you train",
    on: { change: () => {
      model.set("feedback_scope", scope.value);
      try { model.save_changes(); } catch (err) { /* a static export: no kernel */ }
      renderScope();
    } } }, [
    h("option", { value: "each", text: "each image its own region" }),
    h("option", { value: "all", text: "the union, on every training image" })]);
  const scopeCaption = h("span", { class: "xw-trust-caption", dataset: { testid: "feedback-scope-text" } });
  const table = h("div", { class: "xw-trust-table", dataset: { testid: "trust-table" } });
  const curves = h("div", { class: "xw-trust-curves" });
  const sanity = h("div", { class: "xw-grid", dataset: { testid: "trust-sanity" } });
  let sanitySeen = null;
  const result = h("div", { class: "xw-feedback", dataset: { testid: "feedback-result" } });
  const el = h("div", { class: "xw-trust", dataset: { testid: "trust-panel" } }, [
    h("div", { class: "xw-toolbar" }, [evaluate, train]),
    h("div", { class: "xw-toolbar xw-feedback-scope" }, [h("label", { class: "xw-row" }, ["feedback on", scope]), scopeCaption]),
    table, curves, sanity, result]);
  let feedbackSeen = null;

  // the scope switch and its sentence: from the trait, the painted regions and the data
  function renderScope() {
    const value = model.get("feedback_scope") || "each";
    const data = model.get("feedback_data") || {};
    const [painted, images] = paintedImages(model.get("region_masks"));
    const own = data.rows === undefined;
    scope.value = value;
    scope.options[0].disabled = !own; // the data of use_feedback_data has no regions of its own
    scope.options[0].title = own ? "" : "the training data (use_feedback_data) has no regions of its own";
    scopeCaption.textContent = scopeText(value, painted, images, own ? images : data.rows, own);
    el.dataset.scope = value;
  }

  function renderTable() {
    const rows = model.get("trust_rows") || [];
    const info = model.get("trust_info") || {};
    if (!rows.length) {
      replaceChildren(table, h("div", { class: "xw-trust-caption", text: "Press Evaluate trust to score the methods shown on this image." }));
      replaceChildren(curves);
      return;
    }
    const keys = COLUMNS.filter(([key]) => rows.some((r) => key in r));
    const head = h("tr", {}, [h("th", { text: "method" }), ...keys.map(([, label, good]) => h("th", { title: good }, [
      h("div", { text: label }), h("div", { class: "xw-trust-good", text: good })]))]);
    const body = rows.map((row) => h("tr", { dataset: { method: row.method } }, [h("th", { text: row.label || row.method }),
      ...keys.map(([key]) => h("td", {
        text: cellText(key, row[key]), dataset: { key },
        class: key === "randomization" && row[key] > SANITY_FAIL ? "xw-fail" : "",
      }))]));
    const captions = info.captions || {};
    replaceChildren(table, [
      h("div", { class: "xw-trust-caption", text: `Image ${info.index}${info.region ? ", with your region" : " (paint a region for the pointing game and relevance mass)"}.` }),
      h("table", {}, [head, ...body]),
      h("details", {}, [h("summary", { text: "What the numbers mean" }),
        ...keys.map(([key, label]) => h("div", { class: "xw-trust-caption", text: `${label}: ${captions[key] || ""}` }))]),
    ]);
    replaceChildren(curves, info.deletion ? curvesChart(info, rows.map((r) => r.label || r.method)) : []);
    renderSanity(info);
  }

  // the sanity check as pictures: each method's map after randomising the top layers
  async function renderSanity(info) {
    if (info === sanitySeen) return;
    sanitySeen = info;
    const images = model.get("images") || [];
    const figures = [];
    for (const entry of info.sanity || []) {
      const r = entry.info.correlation;
      const verdict = r !== null && r > SANITY_FAIL ? "fails: the map barely changed" : "passes: the map changed";
      const text = `${entry.info.label} after randomising the top ${entry.info.layers} layers: rank correlation ${cellText("correlation", r)} (${verdict})`;
      figures.push(await beforeAfter({ ...entry, index: info.index }, "sanity", images, "sanity-map", text));
    }
    if (sanitySeen !== info) return;
    replaceChildren(sanity, figures);
    for (const [i, entry] of (info.sanity || []).entries()) {
      const r = entry.info.correlation;
      if (r !== null && r > SANITY_FAIL) figures[i].classList.add("xw-fail");
    }
  }

  async function renderFeedback() {
    const info = model.get("feedback_info") || {};
    if (info === feedbackSeen) return;
    feedbackSeen = info;
    if (info.epochs === undefined) return replaceChildren(result);
    const acc = info.validation
      ? `Accuracy on the validation data: ${formatShort(info.before_accuracy)} before, ${formatShort(info.after_accuracy)} after`
      : "Accuracy: no validation data given (w.use_feedback_data(x, y, validation_data=...))";
    const mass = info.relevance_mass || {};
    const massText = mass.before !== undefined && mass.after !== undefined
      ? `Share of |heatmap| in your region: ${formatShort(mass.before)} before, ${formatShort(mass.after)} after.` : "";
    const applied = info.scope ? `Trained with: ${scopeText(info.scope, info.painted, info.images, info.rows, info.own)} ` : "";
    const text = h("div", { dataset: { testid: "feedback-text" }, text: `${acc}. ${massText} ${applied}`
      + `(${info.epochs} epochs on ${info.rows} images, strength ${formatShort(info.strength)}.)` });
    const images = model.get("images") || [];
    const figures = [];
    for (const label of ["before", "after"]) {
      if (info[label]) figures.push(await beforeAfter({ ...info[label], index: info.index }, label, images));
    }
    if (feedbackSeen !== info) return; // a newer result arrived meanwhile
    replaceChildren(result, [text, h("div", { class: "xw-grid" }, figures)]);
  }

  return {
    el,
    render() { renderScope(); renderTable(); renderFeedback(); },
    renderScope,
    destroy() {},
  };
}
