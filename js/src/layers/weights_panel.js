// The selected layer's weights: RGB kernels of a first conv layer (click one to pick its
// channel: pick(c)), the kernels of the selected channel over its input channels for other
// conv layers, or the matrix of a dense layer; RdBu on one shared symmetric range.
import { h, replaceChildren } from "../common/dom.js";
import { colorize } from "../common/colormap.js";
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { displaySize, downsampleMatrix, kernelPlane, rgbKernel } from "./layers_logic.js";
import { decodeWeights } from "./layer_data.js";
import { paint } from "./dom_helpers.js";

const KERNELS_MAX = 64; // input-channel kernels shown for one output channel
const RGB_KERNELS_MAX = 128;
const MATRIX_MAX = 512; // dense weights: pixels per side on the canvas

function kernelCanvas(rgba, kh, kw, extra) {
  const zoom = Math.max(2, Math.floor(40 / Math.max(kh, kw)));
  const canvas = paint(h("canvas", { class: "xw-kernel", ...extra }), rgba, kw, kh);
  Object.assign(canvas.style, { width: `${kw * zoom}px`, height: `${kh * zoom}px` });
  return canvas;
}

/** Every output channel's kernel as a small RGB image (3 input channels): [nodes, note]. */
function rgbKernels(weights, selected, pick) {
  const [cout, kh, kw] = weights.shape;
  const n = Math.min(cout, RGB_KERNELS_MAX);
  const nodes = Array.from({ length: n }, (_, c) => {
    const canvas = kernelCanvas(rgbKernel(weights.q, weights.shape, c), kh, kw, {
      title: `kernel of channel ${c}`, dataset: { channel: String(c) }, on: { click: () => pick(c) },
    });
    canvas.classList.toggle("xw-active", c === selected);
    return canvas;
  });
  return [nodes, `${n} of ${cout} kernels (${kh}×${kw}, RGB input), one shared range: grey = 0. Click one to see its channel.`];
}

/** The selected output channel's kernels (channel 0 when none), one per input channel. */
function channelKernels(weights, selected) {
  const [cout, kh, kw, cin] = weights.shape;
  const c = selected >= 0 && selected < cout ? selected : 0;
  const hint = selected === c ? "" : " Click a channel to see its kernels.";
  const n = Math.min(cin, KERNELS_MAX);
  const settings = { cmap: "RdBu", signed: true, vmax: weights.vmax };
  const nodes = Array.from({ length: n }, (_, i) => h("figure", { class: "xw-kernel-box" }, [
    kernelCanvas(colorize(kernelPlane(weights.values, weights.shape, c, i), settings), kh, kw, { title: `input channel ${i}` }),
    h("figcaption", { text: String(i) }),
  ]));
  return [nodes, `Kernels of channel ${c} over ${n === cin ? "its" : `${n} of its`} ${cin} input channels (${kh}×${kw}).${hint}`];
}

/** A dense layer's matrix (inputs × units), reduced to MATRIX_MAX per side by largest |w|. */
function matrix(weights) {
  const [rows, cols] = weights.shape;
  const small = downsampleMatrix(weights.values, rows, cols, MATRIX_MAX);
  const size = displaySize(small.rows, small.cols, { max: MATRIX_MAX, min: 96 });
  const canvas = paint(h("canvas", { class: "xw-matrix", title: `${rows} inputs × ${cols} units` }),
    colorize(small.values, { cmap: "RdBu", signed: true, vmax: weights.vmax }), small.cols, small.rows);
  Object.assign(canvas.style, { width: `${size.width}px`, height: `${size.height}px` });
  const block = small.blockRows > 1 || small.blockCols > 1
    ? ` Each pixel: the largest |w| of a block of up to ${small.blockRows}×${small.blockCols}.` : "";
  return [[canvas], `Matrix: ${rows} inputs (rows) × ${cols} units (columns).${block}`];
}

/** {el, update({payload, info, channel}), setChannel(channel), destroy()}: payload/info are
 *  the `weights`/`weights_info` traits (decoded again only when either changes); hidden for
 *  a layer without weights. setChannel redraws only what depends on the channel (conv). */
export function weightsPanel({ pick }) {
  const note = h("div", { class: "xw-hint" });
  const body = h("div", { class: "xw-weights-body" });
  const bar = colorbar("weights-colorbar");
  const el = h("section", { class: "xw-section xw-weights", dataset: { testid: "weights" } },
    [h("h4", { text: "Weights" }), note, body, bar.box]);
  let weights = null; // decodeWeights()
  let source = [null, null]; // the payload and info it was decoded from
  let channel = -1;

  function draw() {
    el.hidden = !weights;
    if (!weights) return replaceChildren(body);
    const [nodes, text] = weights.kind === "dense" ? matrix(weights)
      : weights.rgb ? rgbKernels(weights, channel, pick) : channelKernels(weights, channel);
    replaceChildren(body, nodes);
    note.textContent = text;
    bar.box.hidden = weights.rgb;
    if (!weights.rgb) drawColorbar(bar, "RdBu", -weights.vmax, weights.vmax);
  }

  function update({ payload, info, channel: c }) {
    channel = c;
    if (payload !== source[0] || info !== source[1]) {
      source = [payload, info];
      try {
        weights = decodeWeights(payload, info);
      } catch (err) {
        weights = null; // unreadable weights: the section is hidden
      }
    }
    draw();
  }

  function setChannel(c) {
    channel = c;
    if (weights && weights.kind === "conv") draw();
  }
  return { el, update, setChannel, destroy: () => el.remove() };
}
