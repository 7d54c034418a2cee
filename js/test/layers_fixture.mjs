// A small, realistic LayerBrowser state for the panel and view tests (traits as
// xai_widgets/widgets/layers.py sends them; see js/CONTRACT.md), and a <select> whose value
// can be set (linkedom's has a getter only).
import "./dom_env.mjs";

const selectProto = Object.getPrototypeOf(document.createElement("select"));
const selectedValue = Object.getOwnPropertyDescriptor(selectProto, "value").get;
Object.defineProperty(selectProto, "value", {
  configurable: true,
  get() { return selectedValue.call(this) ?? this.options[0]?.value; },
  set(value) { for (const option of this.options) option.selected = option.value === String(value); },
});

export const u8 = (values, shape) => ({ view: new DataView(Uint8Array.from(values).buffer), dtype: "uint8", shape });
export const f32 = (values) => ({ view: new DataView(Float32Array.from(values).buffer), dtype: "float32", shape: [values.length] });
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

// input -> conv1 -> block (a nested model holding conv2) -> add(conv1, block); side branches
// off conv1 -> dense. One name holds markup: it must stay text.
export const ROWS = [
  { index: 0, path: "input", name: "input", kind: "InputLayer", output_shape: [null, 6, 6, 3], params: 0, depth: 0, inputs: [], is_model: false },
  { index: 1, path: "conv1", name: "conv1", kind: "Conv2D", output_shape: [null, 6, 6, 4], params: 112, depth: 0, inputs: ["input"], is_model: false },
  { index: 2, path: "block", name: "block", kind: "Functional", output_shape: [null, 6, 6, 4], params: 1234, depth: 0, inputs: ["conv1"], is_model: true },
  { index: 3, path: "block/conv2", name: "<b>conv2</b>", kind: "Conv2D", output_shape: [null, 6, 6, 4], params: 148, depth: 1, inputs: ["conv1"], is_model: false },
  { index: 4, path: "add", name: "add", kind: "Add", output_shape: [null, 6, 6, 4], params: 0, depth: 0, inputs: ["conv1", "block"], is_model: false },
  { index: 5, path: "side", name: "side", kind: "ReLU", output_shape: [null, 6, 6, 4], params: 0, depth: 0, inputs: ["conv1"], is_model: false },
  { index: 6, path: "dense", name: "dense", kind: "Dense", output_shape: [null, 3], params: 1500000, depth: 0, inputs: ["side"], is_model: false },
];

/** A 6x6x4 conv layer: channel means 0.5, 1.5, 0.1, 0.2; contributions -0.2, 0.1, 0.7, 0.05. */
export function spatialLayer() {
  return {
    activation: u8(range(6 * 6 * 4, (i) => (i * 37) % 256), [6, 6, 4]),
    activation_info: { kind: "spatial", shape: [6, 6, 4], lo: f32([0, 0, -1, 0]), hi: f32([1, 2, 1, 0.5]),
      means: f32([0.5, 1.5, 0.1, 0.2]), contributions: f32([-0.2, 0.1, 0.7, 0.05]) },
    weights: u8(range(4 * 3 * 3 * 2, (i) => (i * 11) % 256), [4, 3, 3, 2]),
    weights_info: { kind: "conv", shape: [4, 3, 3, 2], lo: -0.5, hi: 0.5, rgb: false },
  };
}

/** The 3-unit head: its units are named by class (one name holds markup). */
export function vectorLayer() {
  return {
    activation: u8([10, 200, 128], [3]),
    activation_info: { kind: "vector", shape: [3], lo: f32([-1, 0, -2]), hi: f32([3, 2, 1]),
      means: f32([0.1, 2, 0.5]), contributions: f32([0.3, -0.2, 0.9]), labels: ["cat", "<i>dog</i>", "fish"],
      note: "scores before the final softmax" },
    weights: u8(range(4 * 3, (i) => i * 20), [4, 3]),
    weights_info: { kind: "dense", shape: [4, 3], lo: -2, hi: 2, rgb: false },
  };
}

export const DECISION_PATH = [
  { layer: "conv1", kind: "Conv2D", channels: [2, 1], contributions: [0.7, 0.1], total: 0.65 },
  { layer: "dense", kind: "Dense", channels: [0], contributions: [-0.3], total: -0.3 },
];

export function gradcamFor(layer) {
  const values = new Float32Array(36).map((_, i) => (i % 7) / 7);
  return {
    gradcam: { view: new DataView(values.buffer), dtype: "float32", shape: [6, 6] },
    gradcam_info: { layer, scale: 1, signed: false, caption: `Grad-CAM at ${layer} for <b>dog</b>` },
  };
}

/** Every trait of the widget, on conv1. */
export function layerBrowserState(extra = {}) {
  return {
    image: new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    image_size: [6, 6],
    class_names: ["cat", "dog", "fish"],
    top_classes: [{ index: 1, name: "dog", probability: 0.7 }, { index: 0, name: "cat", probability: 0.2 }],
    target: -1,
    layers: ROWS,
    layer: "conv1",
    ...spatialLayer(),
    decision_path: DECISION_PATH,
    gradcam_layer: "",
    gradcam: {},
    gradcam_info: {},
    order: "mean",
    count: 32,
    channel: -1,
    opacity: 0.6,
    status: "idle",
    progress: 0,
    error: "",
    height: 500,
    ...extra,
  };
}
