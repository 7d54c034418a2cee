// A DOM for panel tests in node: linkedom's document, a recording 2D canvas context (linkedom
// has no canvas), ImageData, and a fake widget model with anywidget's get/set/on/off/save.
// Import it first: `import { fakeModel } from "./dom_env.mjs";` sets the globals.
import { parseHTML } from "linkedom";

const { window, document } = parseHTML("<!doctype html><html><body></body></html>");

class ImageDataStub {
  constructor(data, width, height) {
    if (typeof data === "number") [data, width, height] = [new Uint8ClampedArray(data * width * 4), data, width];
    Object.assign(this, { data, width, height });
  }
}

/** A 2D context that records what was drawn (putImageData keeps the last pixels). */
function context2d(canvas) {
  const calls = [];
  const ctx = new Proxy({ canvas, calls, pixels: null, globalAlpha: 1, imageSmoothingEnabled: true }, {
    get(target, key) {
      if (key in target) return target[key];
      if (key === "putImageData") return (img) => { target.pixels = img; calls.push(["putImageData", img.width, img.height]); };
      if (key === "measureText") return (text) => ({ width: 6 * String(text).length });
      return (...args) => { calls.push([key, ...args]); };
    },
    set(target, key, value) { target[key] = value; return true; },
  });
  return ctx;
}

const proto = Object.getPrototypeOf(document.createElement("canvas"));
// linkedom's canvas has no 2D context (getContext returns null): use the recording one
proto.getContext = function getContext() {
  this._ctx ??= context2d(this);
  return this._ctx;
};

// What linkedom leaves out of form controls and a browser has: a settable select.value and
// selectedIndex, and input.checked as a property (reflecting the attribute until set).
const selectProto = Object.getPrototypeOf(document.createElement("select"));
Object.defineProperty(selectProto, "value", {
  configurable: true,
  get() {
    const chosen = [...this.options].find((o) => o.selected) ?? this.options[0];
    return chosen ? chosen.value : "";
  },
  set(value) { // linkedom's option.selected = false unselects the selected sibling: use attributes
    for (const o of this.options) o.toggleAttribute("selected", o.value === String(value));
  },
});
Object.defineProperty(selectProto, "selectedIndex", {
  configurable: true,
  get() { return [...this.options].findIndex((o) => o.selected); },
  set(i) { [...this.options].forEach((o, k) => o.toggleAttribute("selected", k === i)); },
});
const inputProto = Object.getPrototypeOf(document.createElement("input"));
Object.defineProperty(inputProto, "checked", {
  configurable: true,
  get() { return this._checked ?? this.hasAttribute("checked"); },
  set(value) { this._checked = Boolean(value); },
});

Object.assign(globalThis, {
  window,
  document,
  ImageData: ImageDataStub,
  getComputedStyle: (el) => ({ getPropertyValue: () => "", color: "#000", fontFamily: "sans-serif" }),
  requestAnimationFrame: (fn) => setTimeout(fn, 0),
  createImageBitmap: async () => ({ width: 8, height: 8 }),
  devicePixelRatio: 1,
});
for (const name of ["HTMLElement", "Node", "Event", "CustomEvent"]) globalThis[name] ??= window[name];

/** anywidget's model as a view sees it; `sent` collects model.send() messages and `saves`
 *  counts save_changes(). fire(key) triggers the change:<key> listeners. */
export function fakeModel(state = {}) {
  const values = { ...state };
  const listeners = new Map();
  const model = {
    sent: [],
    saves: 0,
    get: (key) => values[key],
    set(key, value) {
      values[key] = value;
      model.fire(key);
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
    },
    off(event, fn) {
      listeners.get(event)?.delete(fn);
    },
    save_changes() { model.saves += 1; },
    send(message) { model.sent.push(message); },
    fire(key) {
      for (const fn of listeners.get(`change:${key}`) ?? []) fn();
    },
    listenerCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
  };
  return model;
}

/** Wait for queued microtasks (the views' batched redraws) to run. */
export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Set an input's value and dispatch the event a user's action would. */
export function userInput(el, value, event = "input") {
  if (typeof value === "boolean") el.checked = value;
  else el.value = String(value);
  el.dispatchEvent(new window.Event(event, { bubbles: true }));
}
