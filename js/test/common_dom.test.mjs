import { fakeModel, flush, userInput } from "./dom_env.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { colorbar, drawColorbar } from "../src/common/colorbar.js";
import { classButtons, statusBar } from "../src/common/controls.js";
import { bindModel } from "../src/common/model.js";

test("statusBar shows busy, progress and Python's error as text", () => {
  const model = fakeModel({ status: "busy", progress: 0.25, error: "" });
  const bar = statusBar(model);
  bar.render();
  assert.equal(bar.status.dataset.state, "busy");
  assert.equal(bar.status.querySelector(".xw-progress-bar").style.width, "25%");
  assert.equal(bar.status.querySelector("[data-testid=cancel]").disabled, false);
  bar.status.querySelector("[data-testid=cancel]").click();
  assert.deepEqual(model.sent, [{ type: "cancel" }]);
  model.set("status", "error");
  model.set("error", "<b>bad</b> input");
  bar.render();
  assert.equal(bar.error.hidden, false);
  assert.equal(bar.error.textContent, "<b>bad</b> input");
  assert.equal(bar.error.querySelector("b"), null, "an error message is text, never markup");
});

test("classButtons: user text stays text, the active class is marked", () => {
  const model = fakeModel({ target: 2, top_classes: [{ index: 2, name: "<img src=x>", probability: 0.5 }] });
  const picked = [];
  const bar = classButtons(model, (i) => picked.push(i));
  bar.render();
  const buttons = bar.el.querySelectorAll("button");
  assert.equal(buttons.length, 2);
  assert.equal(bar.el.querySelector("img"), null);
  assert.ok(buttons[1].classList.contains("xw-active"));
  buttons[0].click();
  assert.deepEqual(picked, [-1]);
});

test("bindModel: later() batches a burst into one call, dispose removes every listener", async () => {
  const model = fakeModel({ a: 1, height: 300 });
  const binding = bindModel(model);
  let calls = 0;
  const redraw = () => { calls += 1; };
  binding.listen("change:a", () => binding.later(redraw));
  model.set("a", 2);
  model.set("a", 3);
  await flush();
  assert.equal(calls, 1);
  const root = document.createElement("div");
  binding.followHeight(root);
  assert.equal(root.style.height, "300px");
  binding.ask({ a: 4 });
  assert.equal(model.saves, 1);
  await flush();
  assert.equal(calls, 2);
  binding.later(redraw);
  binding.dispose();
  await flush();
  assert.equal(calls, 2, "a redraw queued before dispose does not run after it");
  assert.equal(model.listenerCount(), 0);
});

test("drawColorbar labels the range it paints", () => {
  const bar = colorbar("cb", "shared scale");
  drawColorbar(bar, "RdBu", -2, 2);
  assert.equal(bar.canvas.dataset.cmap, "RdBu");
  const ticks = [...bar.ticks.children].map((s) => s.textContent);
  assert.deepEqual(ticks, ["-2", "-1", "0", "1", "2"]);
  assert.equal(bar.caption.textContent, "shared scale");
  assert.equal(bar.caption.hidden, false);
});

test("userInput dispatches input events a listener sees", () => {
  const input = document.createElement("input");
  let seen = null;
  input.addEventListener("input", () => { seen = input.value; });
  userInput(input, 0.5);
  assert.equal(seen, "0.5");
});

test("colorbar ticks never run into each other: long labels get fewer ticks", async () => {
  const { fittingTicks } = await import("../src/common/colorbar.js");
  const { formatTick } = await import("../src/common/ticks.js");
  assert.deepEqual(fittingTicks(-2, 2, 256), [-2, -1, 0, 1, 2]);
  for (const [lo, hi] of [[0, 0.0014], [0, 1.2e-6], [-0.00037, 0.00037], [0, 123456]]) {
    const ticks = fittingTicks(lo, hi, 256);
    assert.ok(ticks.length >= 2, `${lo}..${hi}`);
    const spacing = (256 * (ticks[1] - ticks[0])) / (hi - lo);
    const widest = Math.max(...ticks.map((t) => formatTick(t).length)) * 6.5;
    assert.ok(spacing > widest, `${lo}..${hi}: ${ticks.map(formatTick)} at ${spacing.toFixed(1)} px`);
  }
});
