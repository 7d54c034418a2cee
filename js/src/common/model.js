// Binding a view to its widget model, the same way for every widget: listeners that are
// removed on cleanup, saves that keep working in a static export (no kernel there), the two
// kinds of change (`ask`: the kernel computes; `setView`: drawn here, synced later) and one
// batched redraw per burst of trait changes (`later`).
import { debounce } from "./dom.js";

export function bindModel(model, viewDebounceMs = 400) {
  const cleanups = [];
  let disposed = false;
  const listen = (event, fn) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };
  const save = () => {
    try {
      model.save_changes();
    } catch (err) {
      // A static export has no kernel to save to: the view keeps working without one.
    }
  };
  // View-only state reaches Python later, in one message, without any compute.
  const saveView = debounce(save, viewDebounceMs);
  /** A change the kernel computes for; this save carries the pending view changes too. */
  const ask = (changes) => {
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    saveView.cancel();
    save();
  };
  /** A view-only change: model.set fires the change listeners (drawn at once, no kernel);
   *  the value reaches Python later, debounced. */
  const setView = (key, value) => {
    model.set(key, value);
    saveView();
  };
  // Data traits often arrive together (one hold_sync): redraw once after the last of them.
  const queued = new Set();
  const later = (fn) => {
    if (queued.has(fn)) return;
    queued.add(fn);
    queueMicrotask(() => {
      queued.delete(fn);
      if (!disposed) fn();
    });
  };
  const dispose = () => {
    disposed = true;
    saveView.cancel();
    cleanups.splice(0).forEach((fn) => fn());
  };
  // Every widget: redraw its status row on status/progress/error, and keep the root at the
  // explicit pixel height Python sets (percentage heights collapse in VS Code and exports).
  const onStatus = (fn) => ["status", "progress", "error"].forEach((key) => listen(`change:${key}`, fn));
  // `least`: the height is a minimum and the root grows to fit its content (views whose
  // content must not hide behind an inner scrollbar: the monitor's probe cards, the
  // explorer's gallery); it never shrinks below it, so the notebook does not jump.
  const followHeight = (root, { least = false } = {}) => {
    const apply = () => { root.style[least ? "minHeight" : "height"] = `${model.get("height")}px`; };
    listen("change:height", apply);
    apply();
  };
  return { listen, save, saveView, ask, setView, later, dispose, onStatus, followHeight, isDisposed: () => disposed };
}
