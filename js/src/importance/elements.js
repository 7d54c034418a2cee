// Small DOM pieces the FeatureImportance panels share (labelled rows, hints, option lists, the
// charts' font). Specific to this view, so they live here rather than in common/.
import { h } from "../common/dom.js";

/** A muted line of help text. */
export const hint = (text) => h("div", { class: "xw-hint", text });

/** A label, its control and (optionally) the value it shows, in one row. */
export const row = (label, control, value) => h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);

/** <option>s from [value, text] pairs. */
export const options = (pairs) => pairs.map(([value, text]) => h("option", { value, text }));

/** The font family the charts measure their labels with: the one `el` is drawn in. */
export const fontOf = (el) => getComputedStyle(el).fontFamily || "sans-serif";
