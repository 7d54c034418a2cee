"""The ImageExplainer's cold start in a real browser: constructor to first heatmap drawn, then
the first click on each method of its menu (issue 12).

    .venv/bin/python benchmarks/bench_widget_cold.py                  # ~2-3 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_widget_cold.py --rounds 3 --json out.json

Each round opens a new notebook in JupyterLab (so a fresh kernel) in headless Chromium (the
browser test harness, tests/browser/browser_harness.py). Its first cell imports TensorFlow and
xai_widgets, builds ``keras.applications.MobileNetV2(weights=None)`` (224x224x3, 1000 classes,
seeded) and calls it once on the image, as any user has before explaining (the model's own
first call is not ours to count; ``bench_explainers.py --cold`` times it). The second cell is
timed::

    t0 = time.time(); w = xw.ImageExplainer(model, x, class_names=NAMES); t1 = time.time(); w

* ``constructor``: t1 - t0 (validation, the class scores, the first heatmap: the widget
  opens on saliency);
* ``first heatmap drawn``: t0 to the moment the page's widget root first gets its
  ``data-redraw-ms`` attribute (written right after the heatmap is drawn on the canvas),
  read in the page with ``Date.now()`` (same machine, same clock), so it includes the
  display message, the frontend module's load, the image decode and the first draw.

Then every other method of the menu is selected once, in menu order, like a user: from the
``change`` event to the caption naming the new method (ms, in the page), and the compute time
the kernel reports (``w.explanation.seconds``). Between clicks the benchmark waits
``THINK_S`` seconds, as a user reading the map would: the kernel compiles what ran eagerly
while it is idle (``xai_widgets._idle``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_widget import METHOD_JS, finish, log, new_page, table  # noqa: E402
from browser_harness import LabNotebook, lab_and_browser  # noqa: E402

THINK_S = 2.0
SETUP_CELL = '''
import os, time, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import xai_widgets as xw
keras.utils.set_random_seed(0)
model = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype("float32")
model(x)  # the model's own first call: any user has made it before explaining
NAMES = [f"class {i}" for i in range(1000)]
'''
TIMED_CELL = ('t0 = time.time(); w = xw.ImageExplainer(model, x, class_names=NAMES); '
              't1 = time.time()\nw')

# Records, in the page, when a widget root first gets data-redraw-ms (the first heatmap
# drawn), on the clock the kernel's time.time() uses.
FIRST_DRAW_SCRIPT = """
(() => {
  window.__xwFirstDraw = null;
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.attributeName === 'data-redraw-ms' && window.__xwFirstDraw === null) {
        window.__xwFirstDraw = Date.now();
        observer.disconnect();
      }
    }
  });
  const start = () => observer.observe(document.documentElement,
    {subtree: true, attributes: true, attributeFilter: ['data-redraw-ms']});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""


def one_round(browser, lab, index: int) -> dict:
    context, page, errors = new_page(browser, 120_000, FIRST_DRAW_SCRIPT)
    name = f"cold_{index}.ipynb"
    lab.write_notebook(name, [SETUP_CELL, TIMED_CELL])
    nb = LabNotebook.open(page, lab, name, timeout=180)
    load = os.getloadavg()[0]
    nb.run_all(timeout=300)
    root = page.locator("[data-testid=image-explainer]").first
    page.wait_for_function("() => window.__xwFirstDraw !== null", timeout=120_000)
    drawn_ms = page.evaluate("() => window.__xwFirstDraw")
    t = json.loads(nb.execute("print(json.dumps({'t0': t0, 't1': t1, "
                              "'method': w.explanation.method, "
                              "'seconds': w.explanation.seconds, 'menu': list(w.methods)}))"))
    row = {"round": index, "load": load, "constructor_ms": (t["t1"] - t["t0"]) * 1000,
           "first_drawn_ms": drawn_ms - t["t0"] * 1000, "first_method": t["method"],
           "first_compute_ms": t["seconds"] * 1000, "clicks": []}
    log(f"round {index}: constructor {row['constructor_ms']:.0f} ms, first heatmap drawn "
        f"{row['first_drawn_ms']:.0f} ms ({t['method']})")
    handle = root.element_handle()
    for method in t["menu"]:
        if method == t["method"]:
            continue
        time.sleep(THINK_S)
        root.locator("[data-testid=status][data-state=idle]").wait_for(timeout=120_000)
        r = handle.evaluate(METHOD_JS, [method, 300_000])
        root.locator("[data-testid=status][data-state=idle]").wait_for(timeout=120_000)
        info = json.loads(nb.execute("print(json.dumps({'m': w.explanation.method, "
                                     "'s': w.explanation.seconds}))"))
        assert info["m"] == method, (info, method)
        row["clicks"].append({"method": method, "total_ms": r["total"],
                              "compute_ms": info["s"] * 1000})
        log(f"  {method}: {r['total']:.0f} ms (compute {info['s'] * 1000:.0f} ms)")
    row["page_errors"] = errors
    nb.execute("w.close()")
    context.close()
    lab.shutdown_kernels()
    return row


def report(results: dict) -> str:
    env = results["environment"]
    rounds = results["rounds"]
    out = [f"ImageExplainer cold start in JupyterLab {env['jupyterlab']}, {env['chromium']} "
           f"(headless), {env['cpus']} CPU cores, TF {env['tensorflow']}, Keras {env['keras']}.",
           "MobileNetV2(weights=None) 224x224x3, 1000 classes, 1 image; a fresh kernel per "
           "round, the model called once before; 1-minute load average at each round's start: "
           + ", ".join(f"{r['load']:.2f}" for r in rounds), ""]

    def med(values):
        v = np.asarray(values, float)
        return f"{np.median(v):.0f} [{v.min():.0f}-{v.max():.0f}]"

    out.append(table(["step", "ms: median [min-max]"], [
        ["constructor (cell: ImageExplainer(...))", med([r["constructor_ms"] for r in rounds])],
        [f"first heatmap drawn ({rounds[0]['first_method']})",
         med([r["first_drawn_ms"] for r in rounds])],
        ["  of which the explanation's compute", med([r["first_compute_ms"] for r in rounds])],
    ]))
    out.append(f"\nFirst click on each method, in menu order, {THINK_S:.0f} s apart (ms: change "
               "event -> caption names the method; compute = w.explanation.seconds)")
    rows = []
    for i, click in enumerate(rounds[0]["clicks"]):
        totals = [r["clicks"][i]["total_ms"] for r in rounds]
        computes = [r["clicks"][i]["compute_ms"] for r in rounds]
        rows.append([click["method"], med(totals), med(computes)])
    out.append(table(["method", "first click", "compute"], rows))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    import importlib.metadata as md

    t_start = time.monotonic()
    with lab_and_browser("xw-bench-cold-") as (lab, browser):
        results = {"environment": {
            "python": platform.python_version(), "jupyterlab": md.version("jupyterlab"),
            "chromium": browser.version and f"Chromium {browser.version}",
            "tensorflow": md.version("tensorflow"), "keras": md.version("keras"),
            "cpus": os.cpu_count(), "think_s": THINK_S}, "rounds": []}
        for i in range(args.rounds):
            results["rounds"].append(one_round(browser, lab, i))
    results["seconds"] = time.monotonic() - t_start
    errors = [e for r in results["rounds"] for e in r["page_errors"]]
    return finish(report(results), results, errors, args.json)


if __name__ == "__main__":
    sys.exit(main())
