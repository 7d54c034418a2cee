// Small DOM pieces the LayerBrowser's panels share: painting RGBA on a canvas, scrolling a
// child into view inside its own box, Enter/Space as a click, a labelled control row, the
// overlay settings of the layer view and its two-digit number labels.
import { h } from "../common/dom.js";
import * as format from "../common/format.js";

/** Small labels in this view: two significant digits. */
export const formatShort = (v) => format.formatShort(v, 2);
export const formatSigned = (v) => format.formatSigned(v, 2);

/** Put RGBA pixels on a canvas of that size (CSS size set by the caller). */
export function paint(canvas, rgba, width, height) {
  canvas.width = width;
  canvas.height = height;
  if (width && height) canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas;
}

/** Scroll a child into view inside its scrolling parent only (never the notebook). */
export function revealIn(container, child, horizontal = false) {
  if (!child) return;
  const [start, size, scroll, view] = horizontal
    ? [child.offsetLeft, child.offsetWidth, "scrollLeft", container.clientWidth]
    : [child.offsetTop, child.offsetHeight, "scrollTop", container.clientHeight];
  if (start < container[scroll]) container[scroll] = start;
  else if (start + size > container[scroll] + view) container[scroll] = start + size - view;
}

/** keydown handler: Enter or Space clicks the focused element. */
export function onKeyClick(event) {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    event.currentTarget.click();
  }
}

/** <label class="xw-row"><span>label</span> control value</label> */
export const labelRow = (label, control, value) =>
  h("label", { class: "xw-row" }, [h("span", { text: label }), control, value]);

/** OverlayPanel settings of a layer's map or Grad-CAM over the image: only opacity varies. */
export const overlayView = (opacity) => ({ opacity, threshold: 0, colormap: "auto", absolute: false, heatmap_only: false });
