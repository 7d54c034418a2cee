// The TextExplainer's panels, each {el, render()}: the text editor and the list of texts, the
// method menu and the compared methods, and the rows of coloured words with their legends.
// Words, texts, class names and method labels are user text: textContent only, never HTML.
import { decodeArray } from "../common/binary.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { h, replaceChildren } from "../common/dom.js";
import { hoverText, inkFor, rowColormap, rowRange, wordColours } from "./text_logic.js";

/** A text area (each edit asks for the new text at once: the lane paces the requests, one in
 *  flight, the newest waiting) and a menu of the given texts. */
export function textEditor(model, { submit }) {
  const area = h("textarea", { class: "xw-text-input", rows: 2, spellcheck: false, dataset: { testid: "text-input" } });
  const picker = h("select", { class: "xw-text-picker", dataset: { testid: "text-picker" }, title: "Pick one of the texts" });
  area.addEventListener("input", () => { if (area.value.trim()) submit(area.value); });
  picker.addEventListener("change", () => {
    const texts = model.get("texts") || [];
    const text = texts[Number(picker.value)];
    if (text !== undefined) { area.value = text; submit(text); }
  });
  let listed = null;
  const render = () => {
    const texts = model.get("texts") || [];
    const key = JSON.stringify(texts);
    if (key !== listed) {
      listed = key;
      replaceChildren(picker, [h("option", { value: "", text: "Pick a text…", disabled: true }),
        ...texts.map((t, i) => h("option", { value: String(i), text: t.length > 80 ? `${t.slice(0, 79)}…` : t }))]);
    }
    picker.hidden = texts.length < 2;
    const at = texts.indexOf(model.get("text"));
    picker.value = at >= 0 ? String(at) : "";
    // the text typed stays while the user types; otherwise the asked text is shown
    if (document.activeElement !== area) area.value = model.get("text") || "";
  };
  const el = h("div", { class: "xw-editor" }, [picker, area]);
  return { el, area, picker, render };
}

/** The method menu (the registry's text methods) and a checkbox per method to compare. */
export function methodControls(model, { ask }) {
  const select = h("select", { dataset: { testid: "method" } });
  select.addEventListener("change", () => ask({ method: select.value }));
  const boxes = h("span", { class: "xw-compare", dataset: { testid: "compare" } });
  let listed = null;
  const render = () => {
    const methods = model.get("methods") || {};
    const key = JSON.stringify(Object.keys(methods));
    if (key !== listed) {
      listed = key;
      replaceChildren(select, Object.entries(methods).map(([name, m]) => h("option", { value: name, text: m.label })));
    }
    select.value = model.get("method");
    const compare = model.get("compare") || [];
    replaceChildren(boxes, [h("span", { class: "xw-hint", text: "compare:" }),
      ...Object.entries(methods).filter(([name]) => name !== model.get("method")).map(([name, m]) => {
        const box = h("input", { type: "checkbox", checked: compare.includes(name), dataset: { testid: "compare-option", method: name } });
        box.addEventListener("change", () => {
          const next = (model.get("compare") || []).filter((x) => x !== name);
          if (box.checked) next.push(name);
          ask({ compare: next });
        });
        return h("label", { class: "xw-row" }, [box, h("span", { text: m.label })]);
      })]);
  };
  return { el: h("div", { class: "xw-controls" }, [h("label", { class: "xw-row" }, [h("span", { text: "Method" }), select]), boxes]), render };
}

/** One row per method: its caption, its words coloured by value (hover: the exact value) and
 *  its legend (colour scale centred at 0 for signed values). */
export function wordRows(model, { onHover }) {
  const el = h("div", { class: "xw-rows", dataset: { testid: "rows" } });
  const render = () => {
    const start = performance.now();
    const rows = model.get("rows") || [];
    const cmap = model.get("colormap") || "auto";
    replaceChildren(el, rows.map((row) => {
      const values = Array.from(decodeArray(row.values).data);
      const errors = row.standard_errors ? Array.from(decodeArray(row.standard_errors).data) : null;
      const colours = wordColours(values, { cmap, signed: row.signed, vmax: row.vmax > 0 ? row.vmax : 1 });
      const words = row.words.map((word, i) => {
        const title = hoverText(word, values[i], row, i, errors);
        const span = h("span", {
          class: "xw-word", text: word, title,
          dataset: { testid: "word", index: String(i), value: String(values[i]) },
          style: { background: colours[i], color: inkFor(colours[i]) },
        });
        span.addEventListener("mouseenter", () => onHover(title));
        span.addEventListener("mouseleave", () => onHover(""));
        return span;
      });
      const spaced = [];
      words.forEach((w, i) => { if (i) spaced.push(document.createTextNode(" ")); spaced.push(w); });
      const bar = colorbar("legend", row.signed ? "0 at the centre: values above raise the score, below lower it" : "unsigned: how much each word matters");
      const [lo, hi] = rowRange(row);
      drawColorbar(bar, rowColormap(cmap, row), lo, hi);
      const truncated = row.truncated ? h("div", { class: "xw-hint", text: `${row.truncated} word(s) past the model's sequence length are not shown.` }) : null;
      return h("section", { class: "xw-text-row", dataset: { testid: "text-row", method: row.method } }, [
        h("div", { class: "xw-caption", dataset: { testid: "caption" }, text: row.caption }),
        h("div", { class: "xw-words", dataset: { testid: "words" } }, spaced),
        truncated,
        bar.box,
      ]);
    }));
    el.dataset.renderMs = (performance.now() - start).toFixed(2); // read by benchmarks
  };
  return { el, render };
}
