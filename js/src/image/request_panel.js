// What to explain: the output (a menu when the model has several), the method, the class (the
// top classes as buttons, every class in a menu) and the methods to compare. Each change asks
// the kernel; the controls show what is asked.
import { classButtons, headMenu } from "../common/controls.js";
import { h, replaceChildren } from "../common/dom.js";

/** {el, compare, render(), destroy}; ask(changes) sends a request to the kernel. */
export function requestPanel(model, ask) {
  const method = h("select", { dataset: { testid: "method" }, title: "Explanation method" });
  const classes = classButtons(model, (index) => ask({ target: index }));
  const head = headMenu(model, (name) => ask({ head: name })); // the kernel resets the target
  const other = h("select", { class: "xw-class-select", dataset: { testid: "class-select" }, title: "Any class of the model" });
  const compareBox = h("div", { class: "xw-compare-choices" });
  const compare = h("details", { class: "xw-compare", dataset: { testid: "compare" } },
    [h("summary", { text: "Compare methods" }), compareBox]);
  const el = h("div", { class: "xw-toolbar" }, [head.el,
    h("label", { class: "xw-row" }, [h("span", { text: "Method" }), method]), classes.el, other]);

  method.addEventListener("change", () => ask({ method: method.value }));
  other.addEventListener("change", () => {
    if (other.value !== "") ask({ target: Number(other.value) });
  });
  compareBox.addEventListener("change", () => ask({
    compare: [...compareBox.querySelectorAll("input[data-compare]")].filter((i) => i.checked).map((i) => i.dataset.compare),
  }));

  function renderMethods() {
    const methods = model.get("methods") || {};
    const asked = model.get("method");
    replaceChildren(method, Object.entries(methods).map(([name, m]) =>
      h("option", { value: name, text: m.label, selected: name === asked })));
    method.value = asked;
    const chosen = new Set(model.get("compare") || []);
    if (chosen.size) compare.open = true;
    replaceChildren(compareBox, Object.entries(methods).map(([name, m]) => h("label", {}, [
      h("input", { type: "checkbox", checked: chosen.has(name) || (chosen.size > 0 && name === asked),
        disabled: chosen.size > 0 && name === asked, dataset: { compare: name } }),
      h("span", { text: m.label })])));
  }

  let classCount = -1;
  function renderClasses() {
    head.render();
    classes.render();
    const names = model.get("class_names") || [];
    const target = model.get("target");
    const top = new Set((model.get("top_classes") || []).map((c) => c.index));
    if (names.length !== classCount) { // class names are user text: option text, never HTML
      classCount = names.length;
      replaceChildren(other, [h("option", { value: "", text: `All ${names.length} classes…` }),
        ...names.map((name, i) => h("option", { value: String(i), text: `${i}: ${name}` }))]);
    }
    other.hidden = names.length <= top.size;
    other.value = target >= 0 && !top.has(target) ? String(target) : "";
    other.classList.toggle("xw-active", other.value !== "");
  }

  return {
    el,
    compare,
    render() {
      renderMethods();
      renderClasses();
    },
    renderMethods,
    renderClasses,
    destroy() {},
  };
}
