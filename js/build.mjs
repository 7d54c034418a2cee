// Bundles each widget's ESM view and CSS into ../xai_widgets/static/ (committed, shipped as
// package data, so installing the Python package never needs npm).
//   node build.mjs                 -> ../xai_widgets/static/<name>.{js,css}
//   node build.mjs --outdir DIR    -> DIR/<name>.{js,css} (the freshness test compares the two)
// anywidget loads the module from a Blob URL, so everything must be bundled: no imports remain.
import * as esbuild from "esbuild";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// One entry per widget: src/<folder>/<name>.js (and src/<folder>/<name>.css when present).
const ENTRIES = { image_explainer: "image", layer_browser: "layers", feature_importance: "importance", text_explainer: "text", training_monitor: "monitor", dataset_explorer: "dataset" };

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf("--outdir");
const outdir = at >= 0 ? resolve(args[at + 1] ?? "") : resolve(here, "../xai_widgets/static");
if (at >= 0 && !args[at + 1]) throw new Error("--outdir needs a directory");

const common = {
  absWorkingDir: here, // same output whatever the caller's cwd
  bundle: true,
  minify: true,
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
};

for (const [name, folder] of Object.entries(ENTRIES)) {
  await esbuild.build({
    ...common,
    entryPoints: [`src/${folder}/${name}.js`],
    outfile: resolve(outdir, `${name}.js`),
    format: "esm",
    platform: "browser",
    target: "es2022",
  });
  // The CSS is separate: Python hands it to anywidget as `_css` (the JS must not import it).
  if (existsSync(resolve(here, `src/${folder}/${name}.css`))) {
    await esbuild.build({ ...common, entryPoints: [`src/${folder}/${name}.css`], outfile: resolve(outdir, `${name}.css`) });
  }
}
console.log(`built ${Object.keys(ENTRIES).join(", ")} -> ${outdir}`);
