// The epoch scrubber, opacity and colormap (view-only: setView, no kernel round trip), the
// Stop button (a message the kernel fetches during fit), the status line and the colour scale.
import { colorbar, drawColorbar } from "../common/colorbar.js";
import { COLORMAPS, isDiverging, resolveColormap } from "../common/colormap.js";
import { h } from "../common/dom.js";

/** {el, render(state), destroy}; setView(key, value); stop() sends the Stop message. */
export function controlsPanel(setView, stop) {
  const scrubber = h("input", { type: "range", min: "0", max: "0", step: "1", dataset: { testid: "scrubber" } });
  const epochLabel = h("span", { class: "xw-epoch-label", dataset: { testid: "epoch-label" } });
  const follow = h("input", { type: "checkbox", dataset: { testid: "follow" } });
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.01", dataset: { testid: "opacity" } });
  const colormap = h("select", { dataset: { testid: "colormap" } }, [
    h("option", { value: "auto", text: "auto" }),
    ...Object.entries(COLORMAPS).map(([name, cm]) => h("option", { value: name, text: cm.label || name })),
  ]);
  const stopButton = h("button", { type: "button", text: "Stop", dataset: { testid: "stop" } });
  const status = h("span", { class: "xw-state", dataset: { testid: "state" } });
  const error = h("div", { class: "xw-error", dataset: { testid: "error" } });
  const bar = colorbar("colorbar", "each heatmap scaled to its own largest |value|");
  let epochs = [];
  scrubber.addEventListener("input", () => {
    const i = Number(scrubber.value);
    // the last position follows new epochs while training; any other holds its epoch
    setView("epoch", i >= epochs.length - 1 ? -1 : epochs[i]);
  });
  follow.addEventListener("change", () => setView("epoch", follow.checked ? -1 : epochs[Number(scrubber.value)] ?? -1));
  opacity.addEventListener("input", () => setView("opacity", Number(opacity.value)));
  colormap.addEventListener("change", () => setView("colormap", colormap.value));
  stopButton.addEventListener("click", () => { stopButton.disabled = true; stop(); });
  const el = h("div", { class: "xw-controls" }, [
    h("div", { class: "xw-toolbar" }, [stopButton, status]),
    error,
    h("label", { class: "xw-row xw-scrub" }, [h("span", { text: "Epoch" }), scrubber, epochLabel]),
    h("div", { class: "xw-toolbar" }, [
      h("label", { class: "xw-row" }, [follow, h("span", { text: "follow the latest" })]),
      h("label", { class: "xw-row" }, [h("span", { text: "Opacity" }), opacity]),
      h("label", { class: "xw-row" }, [h("span", { text: "Colormap" }), colormap]),
    ]),
    bar.box,
  ]);
  return {
    el,
    /** state: {epochs, index, epoch, total, statusText, running, error, opacity, colormap, signed, method} */
    render(state) {
      epochs = state.epochs;
      scrubber.max = String(Math.max(epochs.length - 1, 0));
      scrubber.value = String(Math.max(state.index, 0));
      scrubber.disabled = epochs.length < 2;
      const shown = state.index >= 0 ? epochs[state.index] : null;
      epochLabel.textContent = shown === null ? "none yet"
        : shown === 0 ? "0 (before training)" : `${shown} of ${state.live ? state.total : state.done}`;
      follow.checked = state.epoch === -1;
      opacity.value = String(state.opacity);
      colormap.value = state.colormap;
      status.textContent = state.statusText;
      stopButton.disabled = !state.running;
      stopButton.hidden = !state.live;
      error.textContent = state.error;
      error.hidden = !state.error;
      const cmap = resolveColormap(state.colormap, state.signed);
      drawColorbar(bar, cmap, state.signed ? -1 : 0, 1, !state.signed && isDiverging(cmap));
    },
    destroy() {},
  };
}
