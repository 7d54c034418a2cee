// One image with a heatmap over it on a canvas. Recolouring (threshold, colormap, absolute)
// happens at the heatmap's resolution; opacity only re-composites. Both are synchronous, so a
// slider redraws in the same frame with no kernel round trip.
import { decodeArray } from "./binary.js";
import { colorize, isDiverging, resolveColormap } from "./colormap.js";
import { percentileCutoff, sortedMagnitudes, symmetricMax } from "./threshold.js";

/** Decode a heatmap trait ({view, dtype, shape} scaled by info.scale) once. */
export function prepareHeatmap(payload, info) {
  const { data, shape } = decodeArray(payload);
  const scale = info && info.scale ? info.scale : 1;
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = data[i] * scale;
  return heatmapFromValues(values, shape[0], shape[1], info);
}

/** A heatmap for OverlayPanel from true values already in the browser (height x width). */
export function heatmapFromValues(values, height, width, info) {
  info = info || {};
  // The kernel sends the percentiles 0..100 of |value| (`cutoffs`): no sort of a 512x512
  // map in the browser (~25 ms), and the same cut-offs as to_png(). Otherwise sort once.
  const cutoffs = info.cutoffs && info.cutoffs.view ? decodeArray(info.cutoffs).data : null;
  return {
    values,
    height,
    width,
    info,
    cutoffs,
    sorted: cutoffs ? null : sortedMagnitudes(values),
    vmax: symmetricMax(values),
  };
}

/** |value| below which `pct` percent of a heatmap's values lie (hidden with a strict <). */
export function thresholdCutoff(heat, pct) {
  if (!(pct > 0)) return 0;
  if (!heat.cutoffs) return percentileCutoff(heat.sorted, pct);
  if (pct >= 100) return Infinity;
  const i = Math.floor(pct);
  const f = pct - i;
  return heat.cutoffs[i] + f * (heat.cutoffs[i + 1] - heat.cutoffs[i]);
}

/** The colour settings a view state implies for a heatmap. */
export function colourSettings(heat, view) {
  const signed = Boolean(heat.info.signed) && !view.absolute;
  // One resolved name for both the heatmap and its colorbar. Magnitudes on a diverging map
  // use its upper half (0 stays at its centre): `half` tells the colorbar.
  const cmap = resolveColormap(view.colormap, signed);
  const cutoff = thresholdCutoff(heat, view.threshold);
  // Over the image, opacity follows |value|; alone ("heatmap only") every pixel is opaque.
  return { signed, cmap, cutoff, vmax: heat.vmax, absolute: !signed, fade: !view.heatmap_only,
    half: !signed && isDiverging(cmap) };
}

export class OverlayPanel {
  constructor(canvas) {
    this.canvas = canvas;
    this.heatCanvas = document.createElement("canvas");
    this.base = null; // ImageBitmap of the input image
    this.heat = null;
    this.lastRedrawMs = 0;
  }

  setBase(bitmap) {
    this.base = bitmap;
  }

  /** The superpixel methods' segment borders (a uint8 0/1 payload at the image's size), drawn
   *  over the picture when the view asks for them (show_segments); null: none. */
  setBorders(payload) {
    this.borders = null;
    if (!payload || !payload.view) return;
    const { data, shape } = decodeArray(payload);
    const [height, width] = shape;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      if (data[i] > 0) rgba.set([255, 255, 255, 235], 4 * i);
    }
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
    this.borders = canvas;
  }

  setHeatmap(heat) {
    this.heat = heat;
    this.heatCanvas.width = heat.width;
    this.heatCanvas.height = heat.height;
  }

  /**
   * Display size: fit (width x height) into `box` pixels keeping the aspect ratio: small maps
   * grow by whole pixels, maps larger than the box shrink to fit it. The size comes from the
   * heatmap (default), or with from = "base" from the image when there is one, so a
   * low-resolution map (a layer's channel) is drawn stretched over the full image.
   */
  resize(box, from = "heat") {
    const src = from === "base" && this.base ? this.base : this.heat || this.base;
    const w = src ? src.width : 1;
    const h = src ? src.height : 1;
    const fit = Math.min(box / w, box / h);
    const scale = fit >= 1 ? Math.floor(fit) : fit > 0 ? fit : 1;
    const ratio = globalThis.devicePixelRatio || 1;
    this.canvas.style.width = `${Math.round(w * scale)}px`;
    this.canvas.style.height = `${Math.round(h * scale)}px`;
    this.canvas.width = Math.round(w * scale * ratio);
    this.canvas.height = Math.round(h * scale * ratio);
  }

  /** Recompute the heatmap's colours (threshold, colormap, absolute changed). */
  recolor(view) {
    if (!this.heat) return;
    const rgba = colorize(this.heat.values, colourSettings(this.heat, view));
    const ctx = this.heatCanvas.getContext("2d");
    ctx.putImageData(new ImageData(rgba, this.heat.width, this.heat.height), 0, 0);
  }

  /** Draw base image and heatmap (opacity, heatmap-only changed). */
  composite(view) {
    const t0 = performance.now();
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    const small = this.heat && Math.max(this.heat.width, this.heat.height) < 64;
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = false;
    if (this.base && !view.heatmap_only) ctx.drawImage(this.base, 0, 0, width, height);
    if (this.heat) {
      ctx.imageSmoothingEnabled = !small;
      ctx.globalAlpha = view.heatmap_only ? 1 : view.opacity;
      ctx.drawImage(this.heatCanvas, 0, 0, width, height);
      ctx.globalAlpha = 1;
    }
    if (this.borders && view.show_segments) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.borders, 0, 0, width, height);
    }
    this.lastRedrawMs = performance.now() - t0;
  }

  redraw(view) {
    const t0 = performance.now();
    this.recolor(view);
    this.composite(view);
    this.lastRedrawMs = performance.now() - t0;
  }
}
