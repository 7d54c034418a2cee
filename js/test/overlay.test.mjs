// The browser's side of the shared overlay fixture: js/test/overlay_cases.json holds the cases
// and xai_widgets.overlay's answers (written by tests/test_overlay.py); the browser's code
// must give the same pixels within 1/255 per channel, and the same tables and settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { evaluate, parseCases } from "./overlay_fixture.mjs";

const { cases, expected } = parseCases(readFileSync(new URL("./overlay_cases.json", import.meta.url), "utf8"));
const answers = evaluate(cases);
const bytes = (hex) => Buffer.from(hex, "hex");

test("the shared cases cover every colormap x signed x absolute x fade x cut-off", () => {
  const combos = new Set(cases.colorize.filter((c) => "absolute" in c.options).map(({ options: o }) =>
    [o.cmap, o.signed, o.absolute, o.fade, o.cutoff > 0 && o.cutoff < Infinity].join()));
  assert.equal(combos.size, 7 * 2 * 2 * 2 * 2); // auto, 5 maps, an unknown name
  const values = cases.colorize.flatMap((c) => c.values);
  assert.ok(values.some(Number.isNaN) && values.includes(Infinity) && values.includes(-Infinity));
});

test("colorize gives Python's RGBA within 1/255 in every case", () => {
  assert.equal(answers.colorize.length, expected.colorize.length);
  answers.colorize.forEach((got, i) => {
    const a = bytes(got);
    const b = bytes(expected.colorize[i]);
    assert.equal(a.length, b.length, `case ${i}`);
    for (let j = 0; j < a.length; j++) {
      if (Math.abs(a[j] - b[j]) > 1) {
        const p = j >> 2;
        assert.fail(`case ${i} ${JSON.stringify(cases.colorize[i].options)} value ${cases.colorize[i].values[p]}: ` +
          `browser ${[...a.subarray(4 * p, 4 * p + 4)]} python ${[...b.subarray(4 * p, 4 * p + 4)]}`);
      }
    }
  });
});

test("LUTs, colorbars, view settings and threshold cut-offs equal Python's", () => {
  assert.deepEqual(answers.luts, expected.luts);
  assert.deepEqual(answers.colorbars, expected.colorbars);
  assert.deepEqual(answers.settings, expected.settings);
  assert.deepEqual(answers.cutoffs, expected.cutoffs);
});
