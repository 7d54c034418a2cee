// Pure helpers of the TextExplainer view (no DOM): word colours, the text colour that stays
// readable on them, what hovering a word says, and the text request lane.
import { colorize, resolveColormap } from "../common/colormap.js";
import { formatShort, formatSigned } from "../common/format.js";

/** The colour scale of a row: symmetric around 0 for signed values, [0, vmax] otherwise. */
export function rowRange(row) {
  const vmax = row && row.vmax > 0 ? row.vmax : 1;
  return row && row.signed ? [-vmax, vmax] : [0, vmax];
}

/** One CSS colour per value ("rgb(r, g, b)") on the map `cmap` ("auto": diverging for signed
 *  values, centred at 0; sequential for magnitudes), scaled to the row's largest |value|. */
export function wordColours(values, { cmap = "auto", signed = true, vmax } = {}) {
  const rgba = colorize(Float32Array.from(values, (v) => (Number.isFinite(v) ? v : 0)), { cmap, signed, vmax });
  const out = [];
  for (let i = 0; i < values.length; i++) out.push(`rgb(${rgba[4 * i]}, ${rgba[4 * i + 1]}, ${rgba[4 * i + 2]})`);
  return out;
}

/** Black or white text, whichever reads better on an "rgb(r, g, b)" background. */
export function inkFor(colour) {
  const [r, g, b] = colour.match(/\d+/g).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000" : "#fff";
}

/** The map a row is drawn with (for its legend). */
export function rowColormap(cmap, row) {
  return resolveColormap(cmap, Boolean(row && row.signed));
}

/** What hovering a word says: the word, its exact value and what the value is. */
export function hoverText(word, value, row, index, errors = null) {
  const exact = Number.isFinite(value) ? value.toPrecision(6).replace(/\.?0+$/, "").replace(/\.?0+e/, "e") : String(value);
  const sign = value > 0 ? "+" : "";
  const error = errors && Number.isFinite(errors[index]) ? ` ± ${formatShort(errors[index])} (standard error)` : "";
  return `“${word}”: ${sign}${exact}${error} — ${row.label}${row.signed ? "" : " (unsigned)"}`;
}

/** The short number printed on a row's legend ends. */
export function legendEnds(row) {
  const [lo, hi] = rowRange(row);
  return [row.signed ? formatSigned(lo) : formatShort(lo), row.signed ? formatSigned(hi) : formatShort(hi)];
}

/**
 * The text lane: one request (a text) in flight at a time; while one is in flight only the
 * newest other text waits, sent when the answer comes (answered(shownText)), the kernel stops
 * without one (failed()) or timeoutMs passes. send(text) does the write.
 */
export function textRequests(send, { timeoutMs = 15000, setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  let inFlight = null;
  let pending = null;
  let timer = null;
  const stop = () => { if (timer !== null) clearTimer(timer); timer = null; };
  const dispatch = (text) => {
    stop();
    inFlight = text;
    timer = setTimer(() => { timer = null; next(); }, timeoutMs);
    send(text);
  };
  const next = () => {
    inFlight = null;
    stop();
    if (pending !== null) {
      const text = pending;
      pending = null;
      dispatch(text);
    }
  };
  return {
    request(text) {
      if (inFlight === null) return dispatch(text);
      pending = text === inFlight ? null : text;
    },
    answered(text) { if (inFlight !== null && text === inFlight) next(); },
    failed() { if (inFlight !== null) next(); },
    busy: () => inFlight !== null,
    pendingText: () => pending,
    clear() { inFlight = null; pending = null; stop(); },
  };
}
