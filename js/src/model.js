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
  return { listen, save, saveView, dispose };
}
