// Grouped permutation importance: one bar per group of features shuffled together
// (FeatureImportance(groups=...)), under the per-feature chart. Correlated features can each
// show a small drop (the others still hold what it knows) while their group's is large; the
// two charts side by side make that visible. Group and feature names are user text: set as
// text (the bars' labels are SVG text nodes).
import { h } from "../common/dom.js";
import { arrayOf } from "./importance_logic.js";
import { drawGlobalBars, s } from "./svg_bars.js";

/** The words under the group chart: what each bar is and which features it holds. */
export function groupsCaption(groups) {
  if (!groups || !Array.isArray(groups.names) || groups.names.length === 0) return "";
  return "Each group's columns shuffled together (one shuffle of the rows for all of them): " +
    groups.names.map((name, i) => `${name} = ${(groups.memberNames && groups.memberNames[i]) || ""}`).join("; ") + ".";
}

/** {el, update(permutationInfo, featureNames, {width, family})}: hidden without groups. */
export function groupsChart() {
  const svg = s("svg", { class: "xw-chart", role: "img", "aria-label": "Importance of each group of features" });
  const caption = h("div", { class: "xw-caption", dataset: { testid: "group-caption" } });
  const el = h("div", { class: "xw-groups", dataset: { testid: "group-chart" } }, [
    h("h5", { text: "Groups shuffled together" }), svg, caption]);
  el.hidden = true;

  function update(info, featureNames, { width, family }) {
    const groups = info && info.groups;
    const means = groups ? arrayOf(groups.mean) : null;
    el.hidden = !means;
    if (!means) return;
    const stds = arrayOf(groups.std);
    const names = featureNames || [];
    const memberNames = (groups.members || []).map((m) => m.map((j) => names[j] ?? `x${j}`).join(", "));
    drawGlobalBars(svg, groups.names.map((name, i) => ({
      name: String(name), value: means[i], error: stds ? stds[i] : null, muted: false,
    })), { width, family, testid: "group-bar" });
    caption.textContent = groupsCaption({ names: groups.names, memberNames });
  }
  return { el, update };
}
