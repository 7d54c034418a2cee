// TextExplainer view: a text's words coloured by their attribution, one row per method. This
// file is the table of contents: it makes the panels, lays them out and wires them to the
// model. The colormap is view-only (setView); the text, the method, the class and the methods
// compared ask the kernel (ask; texts one request at a time, the newest winning).
import { bindModel } from "../common/model.js";
import { classButtons, statusBar } from "../common/controls.js";
import { h } from "../common/dom.js";
import { COLORMAPS } from "../common/colormap.js";
import { optionsPanel } from "../image/options_panel.js"; // the registry's options as a form
import { textRequests } from "./text_logic.js";
import { methodControls, textEditor, wordRows } from "./text_panels.js";

function colormapMenu(model, setView) {
  const select = h("select", { dataset: { testid: "colormap" } }, [h("option", { value: "auto", text: "auto" }),
    ...Object.entries(COLORMAPS).map(([name, m]) => h("option", { value: name, text: m.label }))]);
  select.addEventListener("change", () => setView("colormap", select.value));
  const render = () => { select.value = model.get("colormap") || "auto"; };
  return { el: h("label", { class: "xw-row" }, [h("span", { text: "Colours" }), select]), render };
}

function render({ model, el }) {
  const binding = bindModel(model);
  const { ask, setView, listen, later, onStatus } = binding;
  const lane = textRequests((text) => ask({ text }));
  const hover = h("div", { class: "xw-hover", dataset: { testid: "hover-value" } });
  const p = {
    editor: textEditor(model, { submit: (text) => lane.request(text) }),
    methods: methodControls(model, { ask }),
    colours: colormapMenu(model, setView),
    classes: classButtons(model, (index) => ask({ target: index })),
    status: statusBar(model),
    rows: wordRows(model, { onHover: (text) => { hover.textContent = text; } }),
    options: optionsPanel((values) => ask({ options: values })),
  };
  const renderOptions = () => p.options.render((model.get("methods") || {})[model.get("method")], model.get("options") || {});
  const notice = h("div", { class: "xw-notice", dataset: { testid: "notice" } });
  const root = h("div", { class: "xw-text", dataset: { testid: "text-explainer" } }, [
    p.editor.el,
    h("div", { class: "xw-toolbar" }, [p.methods.el, p.colours.el, p.status.status]),
    p.options.el,
    p.classes.el, p.status.error, notice, p.rows.el, hover,
  ]);
  el.append(root);
  const showNotice = () => { notice.textContent = model.get("notice") || ""; notice.hidden = !notice.textContent; };
  listen("change:texts", () => later(p.editor.render));
  listen("change:text", () => later(p.editor.render));
  listen("change:methods", () => later(p.methods.render));
  listen("change:method", () => { later(p.methods.render); later(renderOptions); });
  listen("change:options", () => later(renderOptions));
  listen("change:compare", () => later(p.methods.render));
  listen("change:top_classes", p.classes.render);
  listen("change:target", p.classes.render);
  listen("change:class_names", p.classes.render);
  listen("change:rows", () => later(p.rows.render));
  listen("change:colormap", () => { p.colours.render(); later(p.rows.render); });
  listen("change:shown", () => lane.answered((model.get("shown") || {}).text));
  listen("change:notice", showNotice);
  let last = model.get("status");
  onStatus(() => {
    p.status.render();
    const state = model.get("status");
    if (state !== last && (state === "error" || (state === "idle" && last === "busy"))) {
      queueMicrotask(() => lane.failed()); // the answer, if any, came first
    }
    last = state;
  });
  binding.followHeight(root);
  for (const panel of Object.values(p)) if (panel !== p.options) panel.render?.();
  renderOptions();
  showNotice();
  return () => {
    binding.dispose();
    lane.clear();
    p.options.destroy();
    root.remove();
  };
}

export default { render };
