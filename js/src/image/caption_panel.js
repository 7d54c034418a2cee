// What is shown, in words, and how it differs from what is asked: while the kernel works
// ("Computing Grad-CAM for class 'cat'… still showing Saliency"), and after a cancel or a
// failure (the kernel's notice: the controls went back to what is shown).
import { h } from "../common/dom.js";

// Equal as JSON, whatever the order of object keys.
const sorted = (v) => (v && typeof v === "object" && !Array.isArray(v)
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v);
const sameJSON = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** The request line: "" when what is asked is what is shown. */
export function requestText(model) {
  const shown = model.get("shown") || {};
  const methods = model.get("methods") || {};
  const names = model.get("class_names") || [];
  const asked = { index: model.get("index"), method: model.get("method"), target: model.get("target"), head: model.get("head") };
  const compare = (model.get("compare") || []).filter((m) => m !== asked.method);
  const sameHead = (shown.head ?? asked.head) === asked.head;
  const same = shown.method === asked.method && shown.target === asked.target && shown.index === asked.index &&
    sameHead && sameJSON(shown.compare || [], compare) && sameJSON(shown.options || {}, model.get("options") || {});
  if (same || !shown.method) return "";
  const label = (methods[asked.method] || {}).label || asked.method;
  const regression = ((model.get("top_classes") || [])[0] || {}).value_kind === "value";
  const cls = regression ? `the predicted value of '${names[0] ?? asked.head}'`
    : asked.target === -1 ? "the top class" : `class '${names[asked.target] ?? asked.target}'`;
  const options = sameJSON(shown.options || {}, model.get("options") || {}) ? "" : " with new options";
  const where = [asked.index !== shown.index ? `image ${asked.index}` : "",
    !sameHead && !regression ? `output '${asked.head}'` : ""].filter(Boolean).join(", ");
  const what = `${label}${options} for ${cls}${where ? ` (${where})` : ""}`;
  if (model.get("status") === "busy") return `Computing ${what}… Still showing ${shown.label} until then.`;
  // asked but not computed: the kernel has not answered yet, or there is none (an HTML export)
  return `Asked for ${what}: not computed (is the kernel running?). Showing ${shown.label}.`;
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
      // info.reading: "class 'cow' (score 12.3)", "the predicted value of 'age' (54.2)"
      const reading = info.reading || `class '${info.class_name}' (${info.score_word || "score"} ${Number(info.score).toPrecision(3)})`;
      caption.textContent = comparing ? `Comparing ${comparing} methods for ${reading}; each panel has its own colour scale.` : text;
      notice.textContent = requestText(model) || model.get("notice") || "";
      notice.hidden = !notice.textContent;
    },
    destroy() {},
  };
}
