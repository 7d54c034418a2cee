// Binding a view to its widget model, the same way for every widget: listeners that are
// removed on cleanup, and saves that keep working in a static export (no kernel there).
import { debounce } from "./dom.js";

export function bindModel(model, viewDebounceMs = 400) {
  const cleanups = [];
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
  const dispose = () => {
    saveView.cancel();
    cleanups.splice(0).forEach((fn) => fn());
  };
  // Every widget: redraw its status row on status/progress/error, and keep the root at the
  // explicit pixel height Python sets (percentage heights collapse in VS Code and exports).
  const onStatus = (fn) => ["status", "progress", "error"].forEach((key) => listen(`change:${key}`, fn));
  const followHeight = (root) => {
    const apply = () => { root.style.height = `${model.get("height")}px`; };
    listen("change:height", apply);
    apply();
  };
  return { listen, save, saveView, dispose, onStatus, followHeight };
}
