// Decoding of binary array traits: {view, dtype, shape} -> {data: Float32Array, shape}.
// ipywidgets hands buffers back as DataViews that may sit at any offset inside a larger
// ArrayBuffer, so we always honour byteOffset/byteLength.

const ITEMSIZE = { float16: 2, float32: 4, uint8: 1 };

// The wire format is little-endian; typed arrays use the host order (little-endian on every
// platform a browser or Node runs on today), with a DataView fallback just in case.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE 754 half-precision bits (0..0xFFFF) -> number (exact; handles subnormals, ±0, ±Inf, NaN). */
export function float16ToFloat32(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal: frac * 2^-14 / 1024
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// All 65536 half values, built on first use: decoding is then one table lookup per element.
let F16_TABLE = null;
function f16Table() {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_TABLE[i] = float16ToFloat32(i);
  }
  return F16_TABLE;
}

function asBytes(view) {
  if (view instanceof ArrayBuffer) return new Uint8Array(view);
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  throw new Error(`decodeArray: view must be a DataView, ArrayBuffer or TypedArray, got ${Object.prototype.toString.call(view)}`);
}

/** Decode a binary array payload into a Float32Array (uint8 values stay 0..255, not rescaled). */
export function decodeArray(payload) {
  const { view, dtype, shape } = payload ?? {};
  const size = ITEMSIZE[dtype];
  if (!size) throw new Error(`decodeArray: unknown dtype ${JSON.stringify(dtype)} (expected float16, float32 or uint8)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`decodeArray: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const bytes = asBytes(view);
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * size) {
    throw new Error(`decodeArray: ${dtype} array of shape [${shape.join(", ")}] needs ${n * size} bytes, got ${bytes.byteLength}`);
  }
  const out = { shape: shape.slice() };
  if (dtype === "uint8") {
    out.data = Float32Array.from(bytes);
  } else if (!LITTLE_ENDIAN) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    out.data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out.data[i] = dtype === "float32" ? dv.getFloat32(4 * i, true) : float16ToFloat32(dv.getUint16(2 * i, true));
    }
  } else {
    // A typed array view needs an aligned offset; otherwise copy the bytes to a fresh buffer.
    const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
    if (dtype === "float32") {
      out.data = new Float32Array(aligned.buffer, aligned.byteOffset, n); // no copy when aligned
    } else {
      const half = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const table = f16Table();
      out.data = new Float32Array(n);
      for (let i = 0; i < n; i++) out.data[i] = table[half[i]];
    }
  }
  return out;
}
