// Numbers as the views print them: one implementation for every widget.

const UNITS = [[1e3, "k"], [1e6, "M"], [1e9, "G"]];

// Drop trailing fraction zeros: "2.0e-4" -> "2e-4", "1.50" -> "1.5".
const trim = (s) => s.replace(/(\.\d*?)0+(?=e|$)/, "$1").replace(/\.(?=e|$)/, "").replace("e+", "e");

/**
 * `digits` significant digits (3 by default): 0.931, 12.3, 1.23k, 25M, 2.5e-4, 0.
 * Exponent form below 0.001 and from 1e12; k/M/G suffixes in between 1000 and 1e12.
 */
export function formatShort(v, digits = 3) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  const sign = v < 0 ? "-" : "";
  if (a < 1e-3 || a >= 1e12) return sign + trim(a.toExponential(digits - 1));
  if (a < 1000) return sign + String(Number(a.toPrecision(digits)));
  for (let i = 0; i < UNITS.length; i++) {
    const [scale, suffix] = UNITS[i];
    const x = Number((a / scale).toPrecision(digits));
    if (x < 1000 || i === UNITS.length - 1) return sign + String(x) + suffix; // 999.6k -> 1M
  }
  return String(v);
}

/** formatShort with an explicit sign, for contributions and changes: +0.53, -12, 0. */
export function formatSigned(v, digits = 3) {
  const text = formatShort(v, digits);
  return v > 0 && Number.isFinite(v) ? `+${text}` : text;
}

/** A probability in a list: "0.931", "<0.001", ">0.999" (not 1.42e-18 or 1). */
export function formatProbability(p) {
  if (!Number.isFinite(p)) return String(p);
  if (p > 0 && p < 1e-3) return "<0.001";
  if (p < 1 && p > 0.999) return ">0.999";
  return formatShort(p);
}

/** A probability as a percentage, one decimal: "93.1%", "70.0%", "<0.1%", ">99.9%". */
export function formatPercent(p) {
  if (!Number.isFinite(p)) return String(p);
  if (p > 0 && p < 1e-3) return "<0.1%";
  if (p < 1 && p > 0.999) return ">99.9%";
  return `${(p * 100).toFixed(1)}%`;
}

/**
 * One of a head's outputs, printed by what it is (`value_kind`, sent with it by the kernel):
 * "probability" -> "93.1%"; "score" (logits: no softmax) and "value" (a regression head's
 * prediction) -> a number, "12.3", "-1.88", "54.2". Never a percentage of a non-probability.
 */
export function formatOutput(value, kind) {
  return kind === "probability" ? formatPercent(value) : formatShort(value);
}

/** A `top_classes` entry {name, value, value_kind} as a class button: "cow 93.1%",
 *  "cow 12.3" (a score: the button row says "scores:"). Entries of older kernels carried
 *  only `probability`. */
export function outputLabel(entry) {
  const kind = entry.value_kind ?? "probability";
  return `${entry.name} ${formatOutput(entry.value ?? entry.probability, kind)}`;
}

/** A head with one unit, in words (no class buttons): "Predicted value of 'age': 54.2"
 *  (regression), "Probability of class 'dog': 23.1%" (one sigmoid unit: class 1). */
export function outputSentence(entry) {
  const kind = entry.value_kind ?? "probability";
  const value = formatOutput(entry.value ?? entry.probability, kind);
  if (kind === "value") return `Predicted value of '${entry.name}': ${value}`;
  if (kind === "probability") return `Probability of class '${entry.name}': ${value}`;
  return `Score of class '${entry.name}': ${value}`;
}

/** Parameter counts: "0", "950", "1.2k", "12k", "1.5M", "24M", "3.1G". */
export function formatCount(n) {
  if (!Number.isFinite(n)) return "";
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  const units = [...UNITS, [1e12, "T"]];
  for (let i = 0; i < units.length; i++) {
    const [scale, suffix] = units[i];
    const x = a / scale;
    const text = x < 10 ? x.toFixed(1).replace(/\.0$/, "") : x.toFixed(0);
    // 999_950 would print "1000k": roll over to the next unit instead
    if (Number(text) < 1000 || i === units.length - 1) return (n < 0 ? "-" : "") + text + suffix;
  }
  return String(n);
}
