// The probes at the shown epoch: each image with its heatmap (scaled to its own max |value|),
// its true and predicted class with the probability, a timeline of that probability over the
// recorded epochs (when did it become right?) and its drift. Class names: textContent only.
import { h, replaceChildren } from "../common/dom.js";
import { formatPercent } from "../common/format.js";
import { OverlayPanel, heatmapFromValues } from "../common/panel.js";
import { argmax, formatDrift, timeline } from "./monitor_logic.js";

const SIDE = 112; // px of each probe's picture
const TIMELINE_W = SIDE;
const TIMELINE_H = 22;

function card(index) {
  const canvas = h("canvas", { class: "xw-probe-canvas", dataset: { testid: "probe-overlay" } });
  const truth = h("div", { class: "xw-probe-truth", dataset: { testid: "probe-truth" } });
  const label = h("div", { class: "xw-probe-label", dataset: { testid: "probe-label" } });
  const line = h("canvas", { class: "xw-timeline", width: TIMELINE_W, height: TIMELINE_H, dataset: { testid: "timeline" } });
  const since = h("div", { class: "xw-probe-since", dataset: { testid: "since" } });
  const drift = h("div", { class: "xw-probe-drift", dataset: { testid: "drift" } });
  const el = h("figure", { class: "xw-probe", dataset: { testid: "probe", index: String(index) } },
    [canvas, truth, label, line, since, drift]);
  return { el, canvas, truth, label, line, since, drift, panel: new OverlayPanel(canvas) };
}

/** Paint a probe's timeline: one bar per recorded epoch, its height the probability, green
 *  when the prediction is right, grey without a label, red when wrong; the shown epoch framed. */
export function drawTimeline(canvas, points, shown) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const w = width / Math.max(points.length, 1);
  points.forEach((pt, i) => {
    ctx.fillStyle = pt.right === null ? "#8c8c8c" : pt.right ? "#1a9850" : "#d73027";
    const bar = Math.max(1, Math.round(pt.p * (height - 2)));
    ctx.fillRect(i * w + 0.5, height - bar, Math.max(1, w - 1), bar);
  });
  if (shown >= 0) {
    ctx.strokeStyle = "#1769aa";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(shown * w + 0.75, 0.75, Math.max(1, w - 1.5), height - 1.5);
  }
  canvas.dataset.bars = String(points.length);
  canvas.dataset.shown = String(shown);
}

/** {el, setBases(bitmaps), render(data, state, view), redraw(view), destroy}. */
export function probesPanel() {
  const el = h("div", { class: "xw-probes", dataset: { testid: "probes" } });
  let cards = [];
  let bases = [];
  return {
    el,
    setBases(bitmaps) { bases = bitmaps; cards.forEach((c, i) => c.panel.setBase(bases[i] || null)); },
    /** data: decodeFrames(); state: {epochs, index (shown), labels, names, kind, signed}. */
    render(data, state, view) {
      const n = data ? data.probes : state.labels.length;
      if (cards.length !== n) {
        cards = Array.from({ length: n }, (_, i) => card(i));
        cards.forEach((c, i) => c.panel.setBase(bases[i] || null));
        replaceChildren(el, cards.map((c) => c.el));
      }
      const word = state.kind === "probability" ? "" : " (softmax)";
      cards.forEach((c, i) => {
        const label = state.labels[i] ?? -1;
        c.truth.textContent = label >= 0 ? `true ${state.names[label] ?? label}` : "no label";
        if (!data || state.index < 0 || !data.count) {
          c.label.textContent = "not recorded yet";
          c.panel.heat = null;
          c.panel.resize(SIDE, "base");
          c.panel.composite(view);
          return;
        }
        const e = Math.min(state.index, data.count - 1); // a view that joined late has fewer
        const values = data.heatmap(e, i);
        c.panel.setHeatmap(heatmapFromValues(values, data.height, data.width, { signed: state.signed }));
        c.panel.resize(SIDE, "base");
        c.panel.redraw(view);
        const top = argmax(data.probabilities(e, i));
        const name = state.names[top.index] ?? String(top.index);
        c.label.textContent = `predicted ${name} ${formatPercent(top.value)}${word}`;
        c.el.dataset.right = label < 0 ? "" : String(top.index === label);
        const line = timeline(data, state.epochs, i, label);
        drawTimeline(c.line, line.points, e);
        c.line.title = label >= 0 ? `probability of the true class at each recorded epoch${word}`
          : `probability of the predicted class at each recorded epoch${word}`;
        c.since.textContent = label < 0 ? "" : line.since === null ? "not right at the last epoch"
          : `right since epoch ${line.since}`;
        c.drift.textContent = `ρ prev ${formatDrift(data.drift(e, i))} · final ${formatDrift(data.driftFinal(e, i))}`;
        c.drift.title = "Spearman rank correlation of this heatmap with the previous recorded epoch's and with the last one's";
      });
    },
    redraw(view, recolor = true) {
      for (const c of cards) if (c.panel.heat) (recolor ? c.panel.redraw(view) : c.panel.composite(view));
    },
    destroy() { cards = []; },
  };
}
