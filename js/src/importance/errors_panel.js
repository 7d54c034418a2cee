// Where is the model wrong? A classifier's confusion matrix over every row of X (true class
// by row, predicted class by column; a click on a cell asks the kernel for its rows, listed
// below, most confident first; a click on a listed row makes it the instance). A regressor's
// residuals (label - prediction) against its predictions, a sample of the rows drawn, a click
// on a point makes that row the instance. Class names are user text: textContent only.
import { rowShares } from "../common/confusion.js";
import { h, replaceChildren } from "../common/dom.js";
import { formatCount, formatProbability, formatShort } from "../common/format.js";
import { formatTick, niceTicks } from "../common/ticks.js";
import { arrayOf, linearScale } from "./importance_logic.js";
import { s } from "./svg_bars.js";

function matrixTable(view, cell) {
  const names = view.class_names || [];
  const k = names.length;
  const counts = arrayOf(view.matrix) || new Float32Array(k * k);
  const shares = rowShares(counts, k);
  const head = h("tr", {}, [h("th", { text: "true \\ predicted" }), ...names.map((n) => h("th", { text: n, title: n }))]);
  const rows = names.map((name, i) => h("tr", {}, [
    h("th", { text: name, title: name }),
    ...names.map((_, j) => {
      const n = counts[i * k + j];
      const button = h("button", {
        type: "button", class: i === j ? "xw-cell xw-diagonal" : "xw-cell",
        text: formatCount(n), title: `true ${name}, predicted ${names[j]}: ${formatCount(n)} rows (${Math.round(shares[i * k + j] * 100)}% of ${name})`,
        dataset: { testid: "error-cell", true: String(i), predicted: String(j) },
        on: { click: () => cell(i, j) },
      });
      button.style.setProperty("--share", shares[i * k + j].toFixed(3));
      return h("td", {}, [button]);
    }),
  ]));
  return h("table", { class: "xw-confusion" }, [head, ...rows]);
}

function cellList(rowsView, pick) {
  const index = arrayOf(rowsView.index) || [];
  const confidence = arrayOf(rowsView.confidence) || [];
  const title = `${formatCount(rowsView.count)} rows labelled ${rowsView.true_name}, predicted ${rowsView.predicted_name}` +
    (rowsView.count > rowsView.shown ? ` (the ${rowsView.shown} most confident listed)` : "") + ":";
  return [
    h("div", { class: "xw-hint", text: title, dataset: { testid: "error-rows-title" } }),
    h("div", { class: "xw-error-rows" }, Array.from(index, (row, i) => h("button", {
      type: "button", class: "xw-error-row", dataset: { testid: "error-row", row: String(row) },
      text: `row ${row} (${rowsView.confidence_label} ${(rowsView.confidence_label === "probability" ? formatProbability : formatShort)(confidence[i])})`,
      title: "Make this row the instance", on: { click: () => pick(row) },
    }))),
  ];
}

function residualPlot(view, pick, width) {
  const points = arrayOf(view.points) || [];
  const index = arrayOf(view.index) || [];
  const n = Math.floor(points.length / 2);
  const xs = Array.from({ length: n }, (_, i) => points[2 * i]);
  const ys = Array.from({ length: n }, (_, i) => points[2 * i + 1]);
  const height = 200;
  const m = { left: 48, right: 10, top: 8, bottom: 30 };
  const span = (values) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  };
  const xd = span(xs);
  const yd = span([...ys, 0]);
  const x = linearScale(xd, [m.left, width - m.right]);
  const y = linearScale(yd, [height - m.bottom, m.top]);
  const svg = s("svg", { class: "xw-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Residuals" }, [
    s("g", { class: "xw-axis" }, [
      ...niceTicks(yd[0], yd[1], 4).map((t) => s("text", { x: m.left - 4, y: y(t), "text-anchor": "end", "dominant-baseline": "middle", text: formatTick(t) })),
      ...niceTicks(xd[0], xd[1], 5).map((t) => s("text", { x: x(t), y: height - m.bottom + 12, "text-anchor": "middle", text: formatTick(t) })),
    ]),
    s("line", { x1: m.left, x2: width - m.right, y1: y(0), y2: y(0), class: "xw-zero" }),
    ...xs.map((v, i) => s("circle", { cx: x(v), cy: y(ys[i]), r: 2.5, class: "xw-residual", dataset: { testid: "residual", row: String(index[i]) } },
      [s("title", { text: `row ${index[i]}: predicted ${formatShort(v)}, residual ${formatShort(ys[i])}` })])),
    s("text", { x: m.left, y: height - 4, class: "xw-axis-title", text: "predicted value (x) · label - prediction (y)" }),
  ]);
  svg.addEventListener("click", (event) => {
    const row = event.target && event.target.dataset ? event.target.dataset.row : undefined;
    if (row !== undefined) pick(Number(row));
  });
  return svg;
}

/** Reads `errors` and `error_rows`. cell(true, predicted) asks the kernel for a cell's rows;
 *  pick(row) makes a row the instance. */
export function errorsPanel(model, { cell, pick }) {
  const summary = h("div", { class: "xw-hint", dataset: { testid: "errors-summary" }, text: "Computing where the model is wrong…" });
  const body = h("div", { class: "xw-errors-body" });
  const list = h("div", { class: "xw-section", dataset: { testid: "error-rows" } });
  const el = h("section", { class: "xw-section", dataset: { testid: "errors" } }, [
    h("h4", { text: "Where is the model wrong?" }), summary, body, list,
  ]);
  let width = 460;
  const update = () => {
    const view = model.get("errors") || {};
    if (view.reason) {
      summary.textContent = String(view.reason);
      replaceChildren(body);
      return;
    }
    if (!view.kind) return;
    if (view.kind === "classification") {
      summary.textContent = `All ${formatCount(view.rows)} rows of X: accuracy ${formatShort(view.accuracy)}. ` +
        "Rows: the true class; columns: the predicted class; shade: share of the true class's rows. Click a cell to list its rows.";
      replaceChildren(body, [matrixTable(view, cell)]);
    } else {
      summary.textContent = `All ${formatCount(view.rows)} rows of X: RMSE ${formatShort(view.rmse)}, MAE ${formatShort(view.mae)}` +
        `${view.r2 === null || view.r2 === undefined ? "" : `, R² ${formatShort(view.r2)}`}; ${view.shown < view.rows ? `${formatCount(view.shown)} of them drawn` : "all drawn"}. Click a point to make it the instance.`;
      replaceChildren(body, [residualPlot(view, pick, width)]);
    }
  };
  const updateRows = () => {
    const rowsView = model.get("error_rows") || {};
    replaceChildren(list, rowsView.count === undefined ? [] : cellList(rowsView, pick));
  };
  return { el, update, updateRows, resize: (w) => { width = w; }, destroy() {} };
}
