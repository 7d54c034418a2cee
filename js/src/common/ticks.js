// Round axis ticks for colorbars.

/**
 * Ticks inside [min, max] at a step of 1, 2 or 5 x 10^k giving about `count` intervals.
 * Ticks are multiples of the step, so 0 is included whenever min <= 0 <= max.
 */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = Math.floor(Math.log10(raw));
  const err = raw / 10 ** power;
  const m = err >= 7.07 ? 10 : err >= 3.16 ? 5 : err >= 1.41 ? 2 : 1; // nearest in log scale
  // tick = i * m * 10^power, computed as an integer divided by an exact power of ten so that
  // 0.1 + 0.2 style rounding noise never shows up (3 * 0.1 -> 0.3, not 0.30000000000000004).
  const toValue = power < 0 ? (i) => (i * m) / 10 ** -power : (i) => i * m * 10 ** power;
  const step = m * 10 ** power;
  const ticks = [];
  // The small slack keeps ends such as 0.3 / 0.05 = 5.999... in range.
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(toValue(i) || 0); // `|| 0` turns -0 into 0
  return ticks;
}

const SUFFIX = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];

// Drop trailing fraction zeros (never integer zeros): "1.500" -> "1.5", "2.00e-4" -> "2e-4".
function trim(s) {
  return s.replace(/(\.\d*?)0+(?=e|$)/, "$1").replace(/\.(?=e|$)/, "").replace("e+", "e");
}

/**
 * Short tick label: "0"; up to 4 significant digits for 0.001 <= |v| < 1000 ("0.25", "-1.5");
 * k/M/G suffixes up to 1e12 ("1.2k", "25M"); exponent form beyond that and below 0.001
 * ("2e-4", "-2.5e-7", "1e15").
 */
export function formatTick(v) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e12) return trim(v.toExponential(2));
  for (const [scale, suffix] of SUFFIX) if (a >= scale) return trim((v / scale).toPrecision(3)) + suffix;
  return trim(v.toPrecision(4));
}
