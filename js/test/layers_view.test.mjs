// The whole LayerBrowser view on a fake model: the panels wired together, what goes to the
// kernel (and what stays in the browser), and a cleanup that leaves no listener behind.
import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { gradcamFor, layerBrowserState, vectorLayer } from "./layers_fixture.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import view from "../src/layers/layer_browser.js";

const KERNEL_KEYS = ["layer", "target", "gradcam_layer"];
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function mount(state = layerBrowserState()) {
  const model = fakeModel(state);
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = view.render({ model, el });
  const q = (selector) => el.querySelector(`[data-testid=layer-browser] ${selector}`);
  const all = (selector) => [...el.querySelectorAll(selector)];
  const kernelState = () => KERNEL_KEYS.map((key) => model.get(key));
  return { model, el, cleanup, q, all, kernelState };
}

test("view: renders every panel from the traits; cleanup removes every listener and the DOM", async () => {
  const { model, el, cleanup, q, all } = mount();
  await flush();
  assert.equal(q("").style.height, "500px");
  assert.equal(all("[data-testid=layer-row]").length, 7);
  assert.equal(q("[data-testid=layer-row].xw-active").dataset.path, "conv1");
  assert.equal(q("[data-testid=layer-title] strong").textContent, "conv1");
  assert.equal(all("canvas[data-testid=channel]").length, 4);
  assert.equal(q("[data-testid=histogram-note]").textContent, "144 values of conv1, 40 bins from -0.98 to 2.");
  assert.deepEqual(all("[data-testid=path-step]").map((s) => s.dataset.layer), ["conv1", "dense"]);
  assert.equal(all("[data-testid=weights] canvas.xw-kernel").length, 2);
  assert.equal(q("canvas[data-testid=enlarged]").hidden, true);
  assert.equal(q("input[data-testid=opacity]").closest("label").hidden, true, "no overlay shown: no opacity");
  assert.equal(q(".xw-gradcam").hidden, true);
  assert.deepEqual(all("[data-testid=class-option]").map((b) => b.textContent), ["Top class", "dog 70.0%", "cat 20.0%"]);
  assert.ok(model.listenerCount() > 0);
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(el.children.length, 0);
  model.set("activation", vectorLayer().activation); // nothing listens, nothing throws
  await flush();
});

test("view: sorting, count, channel and opacity stay in the browser (view traits, debounced)", async () => {
  const { model, cleanup, q, all, kernelState } = mount();
  await flush();
  const before = kernelState();
  userInput(q("input[data-testid=count]"), 2);
  assert.equal(all("canvas[data-testid=channel]").length, 2, "drawn at once");
  assert.equal(q(".xw-controls .xw-value").textContent, "2 of 4");
  userInput(q("select[data-testid=order]"), "contribution", "change");
  assert.deepEqual(all("canvas[data-testid=channel]").map((c) => c.dataset.channel), ["2", "1"]);
  q("figure.xw-channel[data-channel='1']").click();
  assert.equal(q("canvas[data-testid=enlarged]").hidden, false);
  assert.match(q("[data-testid=enlarged-caption]").textContent, /^Channel 1 /);
  assert.ok(q("[data-testid=path-channel][data-channel='1']").classList.contains("xw-active"));
  userInput(q("input[data-testid=opacity]"), 0.25);
  assert.equal(q("input[data-testid=opacity]").closest("label").textContent, "Opacity25%");
  assert.deepEqual([model.get("count"), model.get("order"), model.get("channel"), model.get("opacity")], [2, "contribution", 1, 0.25]);
  assert.deepEqual(kernelState(), before, "nothing the kernel computes for");
  assert.equal(model.saves, 0, "view traits are synced later");
  assert.equal(q("[data-testid=status] .xw-pending").textContent, "");
  await wait(450);
  assert.equal(model.saves, 1, "one debounced save for the four view changes");
  cleanup();
  assert.equal(model.listenerCount(), 0);
});

test("view: a layer row asks the kernel for that layer; its data arriving redraws the detail once", async () => {
  const { model, cleanup, q, all } = mount(layerBrowserState({ count: 2 }));
  await flush();
  q("[data-testid=layer-row][data-path='dense']").click();
  assert.deepEqual([model.get("layer"), model.get("channel"), model.saves], ["dense", -1, 1]);
  assert.equal(q("[data-testid=status] .xw-pending").textContent, "Loading the layer…");
  assert.equal(q("[data-testid=layer-row].xw-active").dataset.path, "dense");
  q("[data-testid=layer-row][data-path='dense']").click();
  q("[data-testid=layer-row][data-path='block']").click();
  assert.equal(model.saves, 1, "the selected layer and a nested model ask nothing");
  const clears = () => q("canvas[data-testid=histogram]").getContext("2d").calls.filter(([name]) => name === "clearRect").length;
  const drawnBefore = clears();
  for (const [key, value] of Object.entries(vectorLayer())) model.set(key, value); // one hold_sync
  await flush();
  assert.equal(clears(), drawnBefore + 1, "four data traits, one redraw");
  assert.equal(q("[data-testid=status] .xw-pending").textContent, "");
  assert.equal(q("canvas[data-testid=units]").dataset.count, "2");
  assert.equal(q("[data-testid=channel-grid]").hidden, true);
  assert.equal(q("button[data-testid=gradcam]").disabled, true);
  assert.equal(q("[data-testid=layer-title] .xw-hint").textContent, " (scores before the final softmax)");
  assert.equal(q("[data-testid=histogram-note]").textContent, "3 values of dense, 40 bins from -0.84 to 1.6.");
  assert.equal(q(".xw-side").hidden, true);
  assert.match(q("[data-testid=weights] .xw-hint").textContent, /^Matrix: 4 inputs/);
  cleanup();
  assert.equal(model.listenerCount(), 0);
});

test("view: decision path, Grad-CAM and classes ask the kernel; a chip of the shown layer does not", async () => {
  const { model, cleanup, q } = mount();
  await flush();
  q("[data-testid=path-step][data-layer='conv1'] [data-testid=path-channel][data-channel='2']").click();
  assert.deepEqual([model.get("channel"), model.saves], [2, 0], "the shown layer: a view change");
  q("button[data-testid=gradcam]").click();
  assert.deepEqual([model.get("gradcam_layer"), model.saves], ["conv1", 1]);
  assert.equal(q("[data-testid=status] .xw-pending").textContent, "Computing Grad-CAM…");
  model.set("status", "busy");
  assert.equal(q("[data-testid=status]").dataset.state, "busy");
  for (const [key, value] of Object.entries({ ...gradcamFor("conv1"), status: "idle" })) model.set(key, value);
  await flush();
  assert.equal(q(".xw-gradcam").hidden, false);
  assert.equal(q("[data-testid=gradcam-caption]").textContent, "Grad-CAM at conv1 for <b>dog</b>");
  q("button[data-testid=gradcam]").click();
  assert.equal(model.saves, 1, "the Grad-CAM already shown is not asked for again");
  q("[data-testid=path-step][data-layer='dense']").click();
  assert.deepEqual([model.get("layer"), model.get("channel"), model.saves], ["dense", -1, 2]);
  assert.equal(q(".xw-gradcam").hidden, true, "conv1's Grad-CAM is not shown for dense");
  q("[data-testid=class-option][data-class='0']").click();
  assert.deepEqual([model.get("target"), model.saves], [0, 3]);
  assert.equal(q("[data-testid=status] .xw-pending").textContent, "Computing the class…");
  model.set("status", "error");
  model.set("error", "<b>boom</b>");
  assert.equal(q("[data-testid=error]").textContent, "<b>boom</b>");
  assert.equal(q("[data-testid=error] b"), null);
  cleanup();
  assert.equal(model.listenerCount(), 0);
});
