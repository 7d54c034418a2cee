// The user's region: paint on the shown image with a brush (a size, paint or erase), or clear.
// The mask lives here while drawing; nothing is sent until the stroke ends (pointer up), then
// one binary message carries the image's whole mask (H x W bytes of 0/1). Python's region
// (`region_masks`, set from a stroke or from Python) is what is drawn otherwise.
import { decodeArray } from "../common/binary.js";
import { h } from "../common/dom.js";
import { decodePNG } from "../common/png.js";

const SIDE = 256; // the painting canvas' longer side, in CSS pixels

/** Set (value 1) or clear (0) the pixels of `mask` (height x width) within `radius` of (cx, cy). */
export function paintDisc(mask, height, width, cx, cy, radius, value) {
  const r = Math.max(0.5, radius);
  const r2 = r * r;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= r2) mask[y * width + x] = value;
    }
  }
}

/** A brush segment from (x0, y0) to (x1, y1): discs every half radius, so no gaps. */
export function paintSegment(mask, height, width, x0, y0, x1, y1, radius, value) {
  const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(0.25, radius / 2)));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    paintDisc(mask, height, width, x0 + t * (x1 - x0), y0 + t * (y1 - y0), radius, value);
  }
}

/** {el, render(), destroy}: the painting canvas and its brush controls. */
export function regionPanel(model) {
  const canvas = h("canvas", { class: "xw-region-canvas", dataset: { testid: "region-canvas" } });
  const size = h("input", { type: "range", min: "1", max: "16", step: "1", value: "2",
    dataset: { testid: "brush-size" }, title: "brush radius in image pixels" });
  const sizeText = h("span", { class: "xw-value" });
  const mode = { value: 1 };
  const paint = h("button", { text: "Brush", dataset: { testid: "brush-paint" }, on: { click: () => setMode(1) } });
  const erase = h("button", { text: "Eraser", dataset: { testid: "brush-erase" }, on: { click: () => setMode(0) } });
  const clear = h("button", { text: "Clear", dataset: { testid: "region-clear" },
    on: { click: () => model.send({ type: "region_clear" }) } });
  const note = h("div", { class: "xw-trust-caption", text: "Paint what should not matter (or the object to locate). "
    + "Each stroke is sent when you release the button." });
  const el = h("div", { class: "xw-region", dataset: { testid: "region-panel" } }, [
    canvas, h("div", { class: "xw-toolbar" }, [paint, erase, h("label", { class: "xw-row" }, ["size", size, sizeText]), clear]), note]);

  let masks = null; // Uint8Array (N * H * W) from Python
  let shape = [0, 0, 0];
  let base = null;
  let baseIndex = -1;
  let stroke = null; // the mask being painted (a copy), and the last point
  let version = 0;

  function setMode(value) {
    mode.value = value;
    paint.classList.toggle("xw-active", value === 1);
    erase.classList.toggle("xw-active", value === 0);
  }
  setMode(1);
  const showSize = () => { sizeText.textContent = `${size.value} px`; };
  size.addEventListener("input", showSize);
  showSize();

  const index = () => {
    const shown = model.get("shown") || {};
    return Number.isInteger(shown.index) ? shown.index : model.get("index");
  };
  const dims = () => (model.get("image_sizes") || [])[index()] || [shape[1], shape[2]];
  const current = () => {
    const [hgt, wid] = dims();
    if (stroke) return stroke.mask;
    if (!masks || shape[1] !== hgt || shape[2] !== wid) return new Uint8Array(hgt * wid);
    const n = hgt * wid;
    return masks.subarray(index() * n, (index() + 1) * n);
  };

  function draw() {
    const [hgt, wid] = dims();
    if (!hgt || !wid) return;
    const scale = SIDE / Math.max(hgt, wid);
    canvas.width = Math.round(wid * scale);
    canvas.height = Math.round(hgt * scale);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (base) ctx.drawImage(base, 0, 0, canvas.width, canvas.height);
    const mask = current();
    const pixels = new ImageData(wid, hgt);
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      pixels.data.set([255, 128, 0, 150], 4 * i);
    }
    const layer = document.createElement("canvas");
    layer.width = wid;
    layer.height = hgt;
    layer.getContext("2d").putImageData(pixels, 0, 0);
    ctx.drawImage(layer, 0, 0, canvas.width, canvas.height);
    el.dataset.marked = String(mask.reduce((a, b) => a + b, 0)); // pixels marked, for tests
  }

  async function loadBase() {
    const i = index();
    if (i === baseIndex) return draw();
    baseIndex = i;
    const bytes = (model.get("images") || [])[i];
    base = bytes ? await decodePNG(bytes).catch(() => null) : null;
    draw();
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    const [hgt, wid] = dims();
    return [(event.clientX - rect.left) / rect.width * wid, (event.clientY - rect.top) / rect.height * hgt];
  }

  function down(event) {
    const [hgt, wid] = dims();
    const mask = Uint8Array.from(current());
    const [x, y] = point(event);
    stroke = { mask, x, y };
    paintDisc(mask, hgt, wid, x, y, Number(size.value), mode.value);
    if (canvas.setPointerCapture && event.pointerId !== undefined) canvas.setPointerCapture(event.pointerId);
    draw();
  }

  function move(event) {
    if (!stroke) return;
    const [hgt, wid] = dims();
    const [x, y] = point(event);
    paintSegment(stroke.mask, hgt, wid, stroke.x, stroke.y, x, y, Number(size.value), mode.value);
    stroke.x = x;
    stroke.y = y;
    draw();
  }

  function up() {
    if (!stroke) return;
    const { mask } = stroke;
    const [hgt, wid] = dims();
    // keep showing the stroke until Python's region comes back
    if (masks && shape[1] === hgt && shape[2] === wid) masks.set(mask, index() * hgt * wid);
    stroke = null;
    model.send({ type: "region_stroke", index: index(), shape: [hgt, wid] }, undefined, [mask.buffer]);
    draw();
  }

  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);

  return {
    el,
    render() {
      const payload = model.get("region_masks") || {};
      if (payload.view && payload.version !== version) {
        version = payload.version;
        const decoded = decodeArray(payload);
        masks = Uint8Array.from(decoded.data);
        shape = decoded.shape;
      }
      loadBase();
    },
    destroy() {
      canvas.removeEventListener("pointerdown", down);
      canvas.removeEventListener("pointermove", move);
      canvas.removeEventListener("pointerup", up);
      canvas.removeEventListener("pointercancel", up);
    },
  };
}
