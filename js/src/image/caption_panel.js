// What is shown, in words, and how it differs from what is asked: while the kernel works
// ("Computing Grad-CAM for class 'cat'… still showing Saliency"), and after a cancel or a
// failure (the kernel's notice: the controls went back to what is shown).
import { h } from "../common/dom.js";

/** The request line: "" when what is asked is what is shown. */
export function requestText(model) {
  const shown = model.get("shown") || {};
  const methods = model.get("methods") || {};
  const names = model.get("class_names") || [];
  const asked = { index: model.get("index"), method: model.get("method"), target: model.get("target") };
  const same = shown.method === asked.method && shown.target === asked.target && shown.index === asked.index &&
    JSON.stringify(shown.compare || []) === JSON.stringify((model.get("compare") || []).filter((m) => m !== asked.method));
  if (model.get("status") !== "busy" || same) return "";
  const label = (methods[asked.method] || {}).label || asked.method;
  const cls = asked.target === -1 ? "the top class" : `class '${names[asked.target] ?? asked.target}'`;
  const showing = shown.label ? ` Still showing ${shown.label} until then.` : "";
  return `Computing ${label} for ${cls}${asked.index !== shown.index ? ` (image ${asked.index})` : ""}…${showing}`;
}

/** {el, notice, render(), destroy}: the caption of the shown picture and the request line. */
export function captionPanel(model) {
  const caption = h("div", { class: "xw-caption", dataset: { testid: "caption" } });
  const notice = h("div", { class: "xw-notice", dataset: { testid: "notice" }, role: "status" });
  return {
    el: caption,
    notice,
    render({ absolute = false, comparing = 0 } = {}) {
      const info = model.get("heatmap_info") || {};
      const signed = info.signed && !absolute;
      const text = (signed ? info.caption : info.caption_magnitude) || "";
      caption.textContent = comparing
        ? `Comparing ${comparing} methods for class '${info.class_name}' (${info.score_word || "score"} ${Number(info.score).toPrecision(3)}); each panel has its own colour scale.`
        : text;
      notice.textContent = requestText(model) || model.get("notice") || "";
      notice.hidden = !notice.textContent;
    },
    destroy() {},
  };
}
