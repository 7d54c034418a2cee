// Grouped permutation importance in the global panel (issue 19): one bar per group under the
// per-feature chart, names as text, the members listed; hidden without groups and for SHAP.
import { fakeModel } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { globalPanel } from "../src/importance/global_panel.js";
import { globalCaption } from "../src/importance/importance_logic.js";
import { groupsCaption } from "../src/importance/groups_chart.js";

const f32 = (values) => {
  const a = new Float32Array(values);
  return { view: new DataView(a.buffer), dtype: "float32", shape: [a.length] };
};
const NAMES = ["radius", "perimeter", "area", "<i>texture</i>"];

function state(permutation) {
  return {
    feature_names: NAMES,
    importance: {
      permutation: { mean: f32([0.01, 0.015, 0.005, 0.02]), std: f32([0, 0, 0, 0]), metric: "accuracy",
        baseline: 0.97, repeats: 5, rows: 142, ...permutation },
      shap: { mean_abs: f32([0.3, 0.1, 0.05, 0.01]), rows: 20, class_name: "malignant", exact: true, coalitions: 16 },
    },
    importance_kind: "permutation", sort: "importance", top_k: 4, threshold: 0, status: "idle",
  };
}

const GROUPS = { names: ["<b>size</b>"], members: [[0, 1, 2]], mean: f32([0.11]), std: f32([0.02]) };

test("groups: one bar per group, its members named, user text never markup", () => {
  const model = fakeModel(state({ groups: GROUPS }));
  const panel = globalPanel(model, { setView: () => {}, compute: () => {} });
  panel.update();
  const chart = panel.el.querySelector("[data-testid=group-chart]");
  assert.equal(chart.hidden, false);
  assert.equal(chart.querySelectorAll("[data-testid=group-bar]").length, 1);
  assert.equal(panel.el.querySelector("b"), null);
  assert.equal(panel.el.querySelector("i"), null);
  const caption = panel.el.querySelector("[data-testid=group-caption]").textContent;
  assert.match(caption, /<b>size<\/b> = radius, perimeter, area\./);
  // the per-feature bars are still there, four of them
  assert.equal(panel.el.querySelectorAll("[data-testid=global-bar]").length, 4);
});

test("groups: hidden without groups, and when mean |SHAP| is shown", () => {
  const plain = globalPanel(fakeModel(state({})), { setView: () => {}, compute: () => {} });
  plain.update();
  assert.equal(plain.el.querySelector("[data-testid=group-chart]").hidden, true);
  const shap = fakeModel({ ...state({ groups: GROUPS }), importance_kind: "shap" });
  const panel = globalPanel(shap, { setView: () => {}, compute: () => {} });
  panel.update();
  assert.equal(panel.el.querySelector("[data-testid=group-chart]").hidden, true);
});

test("log-loss is a loss: its caption says rise, not drop", () => {
  assert.match(globalCaption("permutation", { metric: "log_loss", repeats: 5, rows: 142, baseline: 0.08 }),
    /^Rise in log-loss when a feature's column is shuffled/);
  assert.match(globalCaption("permutation", { metric: "accuracy", repeats: 5, rows: 142, baseline: 0.9 }), /^Drop in accuracy/);
  assert.equal(groupsCaption(null), "");
});
