import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeArray, float16ToFloat32 } from "../src/common/binary.js";

test("float16ToFloat32 on known bit patterns", () => {
  assert.equal(float16ToFloat32(0x3c00), 1);
  assert.equal(float16ToFloat32(0xc000), -2);
  assert.equal(float16ToFloat32(0x3555), 0.333251953125);
  assert.equal(float16ToFloat32(0x7bff), 65504); // largest finite half
  assert.equal(float16ToFloat32(0x0001), 2 ** -24); // smallest subnormal, 5.96e-8
  assert.ok(Math.abs(float16ToFloat32(0x0001) - 5.96e-8) < 1e-10);
  assert.equal(float16ToFloat32(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(float16ToFloat32(0x0400), 2 ** -14); // smallest normal
  assert.ok(Object.is(float16ToFloat32(0x0000), 0));
  assert.ok(Object.is(float16ToFloat32(0x8000), -0));
  assert.equal(float16ToFloat32(0x7c00), Infinity);
  assert.equal(float16ToFloat32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  assert.ok(Number.isNaN(float16ToFloat32(0xfc01)));
});

test("float32 from a DataView at an odd offset inside a larger buffer", () => {
  const values = [1.5, -2.25, 3e-8, 65536.5, -0, 7];
  const buf = new ArrayBuffer(3 + values.length * 4 + 5);
  const dv = new DataView(buf, 3, values.length * 4);
  values.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  new Uint8Array(buf).fill(0xff, 0, 3); // junk around the view must be ignored
  const { data, shape } = decodeArray({ view: dv, dtype: "float32", shape: [2, 3] });
  assert.deepEqual(shape, [2, 3]);
  assert.ok(data instanceof Float32Array);
  assert.deepEqual(Array.from(data), values.map(Math.fround));
});

test("float32 at an aligned offset is a view, not a copy", () => {
  const f = new Float32Array([0, 1, 2, 3, 4, 5]);
  const dv = new DataView(f.buffer, 8, 12);
  const { data } = decodeArray({ view: dv, dtype: "float32", shape: [3] });
  assert.equal(data.buffer, f.buffer);
  assert.deepEqual(Array.from(data), [2, 3, 4]);
});

test("float16 from an odd offset, a TypedArray and an ArrayBuffer", () => {
  const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00];
  const expected = [1, -2, 65504, 2 ** -24, -0, Infinity];
  const buf = new ArrayBuffer(1 + bits.length * 2);
  const dv = new DataView(buf, 1);
  bits.forEach((b, i) => dv.setUint16(2 * i, b, true));
  assert.deepEqual(Array.from(decodeArray({ view: dv, dtype: "float16", shape: [6] }).data), expected);
  const u16 = new Uint16Array(bits);
  assert.deepEqual(Array.from(decodeArray({ view: u16, dtype: "float16", shape: [3, 2] }).data), expected);
  assert.deepEqual(Array.from(decodeArray({ view: u16.buffer, dtype: "float16", shape: [6] }).data), expected);
  const nan = decodeArray({ view: new Uint16Array([0x7e00]), dtype: "float16", shape: [1] }).data;
  assert.ok(Number.isNaN(nan[0]));
});

test("uint8 keeps raw 0..255 values", () => {
  const bytes = new Uint8Array([9, 0, 128, 255, 7]);
  const { data } = decodeArray({ view: new DataView(bytes.buffer, 1, 3), dtype: "uint8", shape: [3] });
  assert.deepEqual(Array.from(data), [0, 128, 255]);
});

test("empty and scalar shapes", () => {
  assert.equal(decodeArray({ view: new ArrayBuffer(0), dtype: "float32", shape: [0, 4] }).data.length, 0);
  assert.deepEqual(Array.from(decodeArray({ view: new Float32Array([5]), dtype: "float32", shape: [] }).data), [5]);
});

test("clear errors on length mismatch, unknown dtype and bad input", () => {
  assert.throws(() => decodeArray({ view: new ArrayBuffer(10), dtype: "float32", shape: [3] }), /needs 12 bytes, got 10/);
  assert.throws(() => decodeArray({ view: new Uint8Array(4), dtype: "float16", shape: [2, 2] }), /float16.*\[2, 2\].*needs 8 bytes, got 4/);
  assert.throws(() => decodeArray({ view: new ArrayBuffer(8), dtype: "float64", shape: [1] }), /unknown dtype "float64"/);
  assert.throws(() => decodeArray({ view: [1, 2], dtype: "uint8", shape: [2] }), /view must be/);
  assert.throws(() => decodeArray({ view: new ArrayBuffer(2), dtype: "uint8", shape: [-2] }), /shape/);
});
