"""Kernel memory over repeated create / use / close cycles of a 224x224 ImageExplainer.

    .venv/bin/python benchmarks/bench_memory.py              # ~4 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_memory.py --cycles 20  # shorter
    .venv/bin/python benchmarks/bench_memory.py --pythonpath /tmp/old-checkout  # compare

Starts a real IPython kernel (jupyter_client, this venv's Python; no browser) and runs, as one
cell per cycle, what re-running a notebook cell does: make the widget, display it, use it
through its compute path (methods, a target, compare mode, ``explanation``, ``to_png``),
close it and drop it. After each cycle the kernel collects garbage and reports its resident
set size (RSS, psutil) and how many of the widgets and models made so far are still alive
(weak references). Three scenarios, each in a fresh kernel:

* ``same model``: the model is built once (a notebook whose model cell ran once). Goal: RSS
  after every cycle within 50 MB of the first cycle's;
* ``new model``: the cell builds its model too, so a closed widget's model must go as well;
* ``explain only``: a new model in each cell too, and the same explanations through
  ``xw.explain()`` alone, no widget: the control for ``new model`` (what tracing a new
  model's functions costs in a kernel anyway).

The model is a small random-weight CNN (seeded; 3 strided Conv2D + GAP + Dense(10, softmax),
as in bench_widget.py) on one 224x224x3 random image. Progress goes to stderr, the tables
to stdout; the exit status is 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _cells import BENCH_MODEL  # noqa: E402

LIMIT_MB = 50
SHOWN = (1, 2, 3, 5, 10, 20, 30, 40, 50, 75, 100)  # cycles printed in the table

SETUP = '''
import gc, os, weakref
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras, psutil
from IPython.display import display
import xai_widgets as xw

''' + BENCH_MODEL + '''
SIZE = {size}
images = np.random.default_rng(SIZE).random((1, SIZE, SIZE, 3), dtype=np.float32)
NAMES = [f"class {i}" for i in range(10)]
model = bench_model(SIZE)
refs, models = [], []
'''

WIDGET = '''
w = xw.ImageExplainer(model, images, class_names=NAMES, method="saliency")
display(w)
w.method = "gradcam"
w.target = 3
w.method = "integrated_gradients"
assert w.explanation.method == "integrated_gradients"
png = w.to_png()
w.compare = ["saliency", "gradcam"]
assert len(w.compared) == 2
refs.append(weakref.ref(w))
w.close()
del w, png
'''

EXPLAIN = '''
exps = [xw.explain(model, images, method=method, target=target) for method, target in
        (("saliency", None), ("gradcam", None), ("gradcam", 3), ("integrated_gradients", 3),
         ("saliency", 3))]
del exps
'''

CYCLE = '''
{build}
if not models or models[-1]() is not model:
    models.append(weakref.ref(model))
{use}
gc.collect()
print("RESULT", psutil.Process().memory_info().rss, sum(r() is not None for r in refs),
      len(refs), sum(r() is not None for r in models), len(models))
'''

# name -> (the cell's first line, what it does, whether the 50 MB goal applies)
SCENARIOS = {
    "same model": ("", WIDGET, True),
    "new model": ("model = bench_model(SIZE)", WIDGET, False),
    "explain only": ("model = bench_model(SIZE)", EXPLAIN, False),
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run_scenario(name: str, cycles: int, size: int, pythonpath: str) -> list[dict]:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory() as specs:
        spec = Path(specs) / "xw-bench"
        spec.mkdir()
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "xw-bench", "language": "python"}))
        km = KernelManager(kernel_name="xw-bench",
                           kernel_spec_manager=KernelSpecManager(kernel_dirs=[specs]))
        env = {**os.environ, "PYTHONPATH": pythonpath, "TF_CPP_MIN_LOG_LEVEL": "3"}
        km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        execute(kc, SETUP.replace("{size}", str(size)))
        rows = []
        for cycle in range(1, cycles + 1):
            t0 = time.perf_counter()
            build, use, _ = SCENARIOS[name]
            out = execute(kc, CYCLE.format(build=build, use=use))
            line = next(line for line in out.splitlines() if line.startswith("RESULT"))
            rss, alive, made, models, models_made = map(int, line.split()[1:])
            rows.append({"cycle": cycle, "rss": rss, "widgets_alive": alive,
                         "widgets_made": made, "models_alive": models,
                         "models_made": models_made, "seconds": time.perf_counter() - t0})
            if cycle in SHOWN or cycle == cycles:
                log(f"  {name}: cycle {cycle}: {rss / 2**20:.0f} MB, {alive} widgets and "
                    f"{models} models alive")
        return rows
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code: str) -> str:
    """Run ``code`` in the kernel; its stdout, or raise with its traceback."""
    out = []

    def hook(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            out.append("\n".join(content["traceback"]))

    reply = kc.execute_interactive(code, timeout=600, output_hook=hook)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("kernel error:\n" + "".join(out))
    return "".join(out)


def slope(rows, start: int) -> float:
    """Least-squares MB per cycle over the cycles from ``start`` on."""
    pts = [(r["cycle"], r["rss"] / 2**20) for r in rows if r["cycle"] >= start]
    if len(pts) < 2:
        return 0.0
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den


def table(name: str, rows: list[dict]) -> tuple[str, bool]:
    first = rows[0]["rss"]
    lines = [f"{'cycle':>5}  {'RSS MB':>7}  {'vs cycle 1 MB':>13}  {'widgets alive':>13}  "
             f"{'models alive':>12}  {'cycle s':>7}",
             f"{'-' * 5}  {'-' * 7}  {'-' * 13}  {'-' * 13}  {'-' * 12}  {'-' * 7}"]
    for r in rows:
        if r["cycle"] in SHOWN or r["cycle"] == len(rows):
            lines.append(f"{r['cycle']:>5}  {r['rss'] / 2**20:>7.1f}  "
                         f"{(r['rss'] - first) / 2**20:>+13.1f}  "
                         + (f"{r['widgets_alive']:>6} of {r['widgets_made']:<4}  "
                            if r["widgets_made"] else f"{'-':>13}  ")
                         + f"{r['models_alive']:>5} of {r['models_made']:<4}  "
                         f"{r['seconds']:>7.2f}")
    worst = max(r["rss"] - first for r in rows) / 2**20
    goal = SCENARIOS[name][2]
    ok = worst <= LIMIT_MB or not goal
    verdict = (f"(goal <= {LIMIT_MB} MB): {'PASS' if ok else 'FAIL'}" if goal
               else "(no goal: TensorFlow's own cost of tracing a new model, see the README)")
    start = min(10, len(rows))
    lines.append(f"largest growth over cycle 1: {worst:+.1f} MB {verdict}; growth from cycle "
                 f"{start} on: {slope(rows, start):+.2f} MB per cycle (least squares)")
    return f"{name}\n" + "\n".join(lines), ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, of: {', '.join(SCENARIOS)}")
    parser.add_argument("--pythonpath", default=str(ROOT),
                        help="where the kernel imports xai_widgets from (default: this checkout)")
    parser.add_argument("--json", help="also write the raw numbers here")
    args = parser.parse_args()
    import ipykernel
    import keras

    print(f"ImageExplainer create / use / close cycles in an IPython kernel "
          f"(ipykernel {ipykernel.__version__}, Keras {keras.__version__}, "
          f"Python {platform.python_version()}, {os.cpu_count()} CPU cores); "
          f"{args.size}x{args.size}x3 image, random-weight CNN; xai_widgets from "
          f"{args.pythonpath}.")
    print("A cycle (one cell): ImageExplainer(method='saliency'), display, method='gradcam', "
          "target=3, method='integrated_gradients', explanation, to_png(), compare=['saliency', "
          "'gradcam'], close(), del, gc.collect(); then the kernel's RSS. No widget: the same "
          "five explanations with xw.explain().")
    results, passed = {}, True
    for name in args.scenarios.split(","):
        log(f"{name}: {args.cycles} cycles")
        rows = run_scenario(name, args.cycles, args.size, args.pythonpath)
        results[name] = rows
        text, ok = table(name, rows)
        passed &= ok
        print()
        print(text, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
