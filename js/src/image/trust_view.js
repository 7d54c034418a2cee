// The Trust section of the ImageExplainer (issue 14), folded under the pictures: the region
// painter beside the Trust panel. Its own listeners, through the view's `listen`.
import { h } from "../common/dom.js";
import { regionPanel } from "./region_panel.js";
import { trustPanel } from "./trust_panel.js";

export function trustView(model, listen, later) {
  const region = regionPanel(model);
  const trust = trustPanel(model);
  const el = h("details", { class: "xw-trust-section", dataset: { testid: "trust-section" } }, [
    h("summary", { text: "Trust: evaluate the methods, mark a region, train with feedback" }),
    h("div", { class: "xw-trust-body" }, [region.el, trust.el])]);
  const renderRegion = () => region.render();
  const renderTrust = () => trust.render();
  for (const key of ["region_masks", "shown", "index", "images"]) listen(`change:${key}`, () => later(renderRegion));
  for (const key of ["trust_rows", "trust_info", "feedback_info"]) listen(`change:${key}`, () => later(renderTrust));
  const renderScope = () => trust.renderScope();
  for (const key of ["feedback_scope", "feedback_data", "region_masks"]) listen(`change:${key}`, () => later(renderScope));
  region.render();
  trust.render();
  return { el, destroy() { region.destroy(); trust.destroy(); } };
}
