"""How fast the ImageExplainer widget is in a real browser (JupyterLab + headless Chromium).

    .venv/bin/python benchmarks/bench_widget.py                  # ~1-1.5 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_widget.py --json out.json  # also write the raw numbers

It reuses the browser test harness (tests/browser/browser_harness.py): a JupyterLab server on
a free port with this venv's kernel, Debian's ``chromium`` driven by Playwright, and the kernel
websocket spy. One notebook shows two ImageExplainers on small random-weight Keras CNNs
(224x224x3 and 512x512x3 inputs, seeded; heatmaps at input resolution). Then:

1. View-only redraws. Each slider / select is driven like a user: set its value and dispatch
   the ``input`` (sliders) or ``change`` (colormap) event, inside the page, ``WARMUP`` untimed
   then ``MOVES`` timed moves from an ordinary task, then ``MOVES`` more at the start of a
   frame (inside a requestAnimationFrame callback, where Chrome delivers drag input). Per move:
   * ``redraw``: the root's ``data-redraw-ms`` after the move (the widget measures its own
     synchronous redraw with performance.now());
   * ``redraws``: how many times the widget wrote ``data-redraw-ms`` during the one event
     (a MutationObserver), and ``all redraws``: the sum of all those writes;
   * ``handler``: dispatchEvent() start to return, i.e. all synchronous work of the event;
   * ``->rAF``: dispatch to the next requestAnimationFrame callback; ``->painted``: to a task
     posted from that callback, which runs after the frame's style/layout/paint. Both include
     the wait for the next frame tick (the ``baseline`` rows dispatch nothing);
   * frame-aligned moves: ``frame work`` (dispatch to after that frame's paint) and the time to
     the next rAF callback, ~16.7 ms when the frame fitted (else a frame was dropped);
   * Chrome's main-thread counters (DevTools ``Performance.getMetrics``) per aligned move:
     script, layout, style and the rest.
   The websocket spy then checks that nothing but the debounced view-state ``update`` went to
   the kernel, and that no heatmap came back.
2. Bytes per heatmap: the kernel->browser frame that carries a new heatmap (binary buffer vs
   everything else), against ``len(json.dumps(heatmap.tolist()))`` computed in the kernel.
3. Method-change round trip: select another method, time from the ``change`` event to the
   caption showing the new method (set right after the synchronous redraw of the new heatmap),
   minus the compute time ``w.explanation.seconds``. Arrival times of the kernel frames in the
   page (a listener added to the page's WebSocket by an init script) split the overhead into
   request (change -> "busy" status back), kernel (busy -> heatmap frame, minus compute) and
   browser (heatmap frame -> drawn). A repeat of an earlier request comes from the widget's
   cache (compute 0) and is reported as such.

Progress goes to stderr, the tables to stdout. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _cells import BENCH_MODEL  # noqa: E402
from browser_harness import KernelWebSocketSpy, LabNotebook, lab_and_browser  # noqa: E402

SIZES = (224, 512)
MOVES = 30  # timed moves per control
WARMUP = 3  # untimed moves first (JIT, first colormap tables, ...)
FRAME_MS = 1000 / 60
VIEW_KEYS = {"opacity", "threshold", "colormap", "absolute", "heatmap_only"}
# saliency is shown first; each method's first request computes, the repeats hit the cache
METHOD_SEQUENCE = ("gradient_x_input", "gradcam", "saliency", "gradient_x_input", "gradcam")
CACHE_ROUNDS = 3  # then this many more rounds of saliency -> gradient_x_input -> gradcam (cached)
ROOT_SELECTOR = "[data-testid=image-explainer]"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the notebook
SETUP_CELL = '''
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import json
import numpy as np
import keras
import xai_widgets as xw

''' + BENCH_MODEL + '''
def bench_images(size):
    return np.random.default_rng(size).random((1, size, size, 3), dtype=np.float32)

NAMES = [f"class {i}" for i in range(10)]
'''


def widget_cell(size: int) -> str:
    return (f'w{size} = xw.ImageExplainer(bench_model({size}), bench_images({size}), '
            f'class_names=NAMES, method="saliency")\nw{size}')


# --------------------------------------------------------------------------- page scripts
# Added before Lab loads: records when each kernel websocket frame arrives in the page (a
# 'message' listener registered in the constructor runs before Lab's onmessage handler).
INIT_SCRIPT = """
(() => {
  const Native = window.WebSocket;
  window.__xwFrames = [];
  class TimedWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const u = String(url);
      if (u.includes('/api/kernels/') && u.includes('/channels')) {
        this.addEventListener('message', (e) => window.__xwFrames.push({t: performance.now(), data: e.data}));
      }
    }
  }
  window.WebSocket = TimedWebSocket;
})();
"""

# One view-only move: set the control's value, dispatch its event, count the widget's redraws
# (writes of data-redraw-ms) and time the synchronous handler and the frames after it.
# aligned = false: dispatched from an ordinary task (page.evaluate), then -> next rAF callback
#   and -> a task posted from it, which runs after that frame's style/layout/paint.
# aligned = true: dispatched inside a rAF callback, where Chrome delivers drag input
#   (continuous events are aligned to the frame start), then -> after this frame's paint
#   ("frame work") and -> the next rAF callback (~16.7 ms when the frame fitted, ~33 ms when
#   one frame was dropped).
MOVE_JS = """
async (root, [testid, value, eventType, aligned]) => {
  const input = testid ? root.querySelector(`[data-testid=${testid}]`) : null;
  if (input) input.value = String(value);
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const afterPaint = () => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(0);
  });
  const records = [];
  const observer = new MutationObserver((list) => records.push(...list));
  observer.observe(root, {attributes: true, attributeFilter: ['data-redraw-ms'], attributeOldValue: true});
  let t0 = 0, t1 = 0, tRaf = 0, tPaint = 0;
  const fire = () => {
    t0 = performance.now();
    if (input) input.dispatchEvent(new Event(eventType, {bubbles: true}));
    t1 = performance.now();
  };
  if (aligned) {
    await new Promise((resolve) => requestAnimationFrame(() => { fire(); resolve(); }));
    tPaint = await afterPaint(); // posted before this frame's paint, runs after it
    tRaf = await nextFrame();
  } else {
    fire();
    tRaf = await nextFrame();
    tPaint = await afterPaint();
  }
  records.push(...observer.takeRecords());
  observer.disconnect();
  // every value written: each record's oldValue is the previous write's new value
  const writes = records.slice(1).map((r) => Number(r.oldValue))
    .concat(records.length ? [Number(root.dataset.redrawMs)] : []);
  return {
    redraw: records.length ? Number(root.dataset.redrawMs) : null,
    redraws: records.length,
    allRedraws: writes.reduce((a, b) => a + b, 0),
    handler: t1 - t0,
    raf: tRaf - t0,
    painted: tPaint - t0,
  };
}
"""

# Decode a v1.kernel.websocket.jupyter.org frame's header and content (what we need of them).
DECODE_FRAME_JS = """
(data) => {
  const text = (bytes) => new TextDecoder().decode(bytes);
  let header = {}, content = {}, buffers = [], bytes = 0;
  try {
    if (typeof data === 'string') {
      const m = JSON.parse(data); header = m.header || {}; content = m.content || {}; bytes = data.length;
    } else {
      const dv = new DataView(data);
      const n = Number(dv.getBigUint64(0, true));
      const offsets = [];
      for (let i = 0; i < n; i++) offsets.push(Number(dv.getBigUint64(8 * (i + 1), true)));
      if (offsets[offsets.length - 1] !== data.byteLength) offsets.push(data.byteLength);
      const part = (i) => new Uint8Array(data, offsets[i], offsets[i + 1] - offsets[i]);
      header = JSON.parse(text(part(1)));
      const c = part(4);
      content = c.length ? JSON.parse(text(c)) : {};
      for (let i = 5; i < offsets.length - 1; i++) buffers.push(offsets[i + 1] - offsets[i]);
      bytes = data.byteLength;
    }
  } catch (err) { return {msgType: null, bytes, error: String(err)}; }
  const state = (content.data && content.data.state) || {};
  return {msgType: header.msg_type, bytes, buffers, stateKeys: Object.keys(state),
          status: state.status === undefined ? null : state.status};
}
"""

# Select another method; wait until the caption names it (the caption is updated right after
# the synchronous redraw of the new heatmap). Returns page-side times relative to the event.
METHOD_JS = """
async (root, [method, timeoutMs]) => {
  const decode = (%s);
  const select = root.querySelector('select[data-testid=method]');
  const caption = root.querySelector('[data-testid=caption]');
  const label = [...select.options].find((o) => o.value === method).text;
  const shows = () => caption.textContent.startsWith(`${label} for class`);
  if (shows()) throw new Error(`already showing ${method}`);
  const mark = window.__xwFrames.length;
  let t0 = 0;
  const drawn = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (shows()) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(caption, {childList: true, characterData: true, subtree: true});
    setTimeout(() => {
      observer.disconnect();
      reject(new Error(`no ${method} heatmap in ${timeoutMs} ms`));
    }, timeoutMs);
  });
  select.value = method;
  t0 = performance.now();
  select.dispatchEvent(new Event('change', {bubbles: true}));
  const tDrawn = await drawn;
  const tRaf = await new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const frames = window.__xwFrames.slice(mark).filter((f) => f.t <= tDrawn)
    .map((f) => ({t: f.t - t0, ...decode(f.data)}));
  return {label, total: tDrawn - t0, frame: tRaf - t0, redraw: Number(root.dataset.redrawMs), frames};
}
""" % DECODE_FRAME_JS.strip()


# --------------------------------------------------------------------------- helpers
def stats(values) -> dict:
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    if not v.size:
        return {"median": None, "p95": None, "max": None}
    return {"median": float(np.median(v)), "p95": float(np.percentile(v, 95)), "max": float(v.max())}


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.{digits}f}"


def table(headers, rows) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in cells])


def new_page(browser, timeout_ms: int, *init_scripts) -> tuple:
    """A fresh 1280x900 page (device scale 1) with the widget benchmarks' init scripts and its
    page errors collected: (context, page, page_errors)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    for script in (INIT_SCRIPT, *init_scripts):
        page.add_init_script(script)
    return context, page, page_errors


def finish(text: str, results: dict, page_errors: list, json_path) -> int:
    """Print the report and any page errors, write the raw results (``--json``); the exit
    status: 1 when the page threw."""
    print(text)
    if page_errors:
        print("\npage errors:\n" + "\n".join(page_errors))
    log(f"done in {results['seconds']:.0f} s")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1))
        log(f"wrote {json_path}")
    return 1 if page_errors else 0


def move_values(control: str, n: int) -> list:
    """Deterministic values that change at every move."""
    if control == "opacity":
        return [round(0.05 + (i * 0.37) % 0.9, 2) for i in range(n)]
    if control == "threshold":
        return [(5 + i * 37) % 99 for i in range(n)]
    cycle = ["viridis", "cividis", "inferno", "RdBu", "PuOr", "auto"]
    return [cycle[i % len(cycle)] for i in range(n)]


CONTROLS = (
    # (row label, data-testid of the control, the event a user's change fires)
    ("opacity", "opacity", "input"),
    ("threshold", "threshold", "input"),
    ("colormap", "colormap", "change"),
)


# --------------------------------------------------------------------------- measurements
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def main_thread_ms(cdp) -> dict:
    """Chrome's cumulative main-thread times (DevTools Performance.getMetrics), in ms."""
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: got.get(k, 0.0) * 1000 for k in METRICS}


def per_move(cdp, run) -> tuple[list, dict]:
    """run() -> list of moves; also the main-thread time per move it cost (ms)."""
    before = main_thread_ms(cdp)
    moves = run()
    after = main_thread_ms(cdp)
    return moves, {k: (after[k] - before[k]) / len(moves) for k in METRICS}


def measure_redraws(page, cdp, root, spy: KernelWebSocketSpy, size: int) -> dict:
    """Part 1 for one widget: every view control MOVES times, then what reached the kernel."""
    root.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    handle = root.element_handle()
    spy.settle()
    mark = spy.mark()
    out = {"controls": {}}
    # baseline: no event at all, to show how long waiting for the next frame takes by itself
    aligned, main = per_move(cdp, lambda: [
        handle.evaluate(MOVE_JS, [None, None, None, True]) for _ in range(MOVES)])
    out["controls"]["baseline"] = {
        "moves": [handle.evaluate(MOVE_JS, [None, None, None, False]) for _ in range(MOVES)],
        "aligned": aligned, "main_thread": main,
    }
    for name, testid, event in CONTROLS:
        values = move_values(name, WARMUP + 2 * MOVES)
        moves = [handle.evaluate(MOVE_JS, [testid, v, event, False]) for v in values[:WARMUP + MOVES]]
        aligned, main = per_move(cdp, lambda: [
            handle.evaluate(MOVE_JS, [testid, v, event, True]) for v in values[WARMUP + MOVES:]])
        out["controls"][name] = {"first": moves[0], "moves": moves[WARMUP:], "aligned": aligned,
                                 "main_thread": main}
        missing = [m for m in moves + aligned if not m["redraws"]]
        if missing:
            raise AssertionError(f"{size}: {len(missing)} {name} moves did not redraw")
    # What went to the kernel during the moves (before the 400 ms debounce fires), then after
    during = spy.requests(since=mark)
    spy.settle(quiet_ms=1000)
    sent = spy.requests(since=mark)
    updates = [f.message["content"]["data"] for f in sent if f.msg_type == "comm_msg"]
    others = [f for f in sent if f.msg_type != "comm_msg"]
    bad = [d for d in updates if d.get("method") != "update" or not set(d.get("state", {})) <= VIEW_KEYS]
    back = [c["data"].get("state", {}) for c in spy.received_comm_msgs(since=mark)]
    heatmaps_back = [s for s in back if "heatmap" in s or s.get("status") == "busy"]
    out["kernel"] = {
        "sent_during_moves": len(during),
        "view_updates": len(updates),
        "view_update_keys": sorted({k for d in updates for k in d.get("state", {})}),
        "other_requests": [f.msg_type for f in others] + [json.dumps(d)[:120] for d in bad],
        "heatmaps_or_busy_back": len(heatmaps_back),
    }
    assert not others and not bad, f"kernel requests during view-only moves:\n{spy.describe(mark)}"
    assert not heatmaps_back, f"the kernel computed during view-only moves: {heatmaps_back}"
    return out


def measure_methods(page, nb: LabNotebook, root, spy: KernelWebSocketSpy, size: int) -> list[dict]:
    """Parts 2 and 3 for one widget: the method switches of METHOD_SEQUENCE."""
    handle = root.element_handle()
    var = f"w{size}"
    rows = []
    current, seen = "saliency", {"saliency"}
    cycle = ("saliency", "gradient_x_input", "gradcam")
    for method in METHOD_SEQUENCE + cycle * CACHE_ROUNDS:
        root.scroll_into_view_if_needed()
        spy.settle()
        cache_before = int(nb.execute(f"print(len({var}._cache))"))  # widget's result cache
        mark = spy.mark()
        r = handle.evaluate(METHOD_JS, [method, 120_000])
        root.locator("[data-testid=status][data-state=idle]").wait_for(timeout=60_000)
        spy.settle()
        info = json.loads(nb.execute(
            f"print(json.dumps({{'seconds': {var}.explanation.seconds, "
            f"'method': {var}.explanation.method, 'cache': len({var}._cache), "
            f"'shape': list({var}.explanation.heatmaps[0].shape), "
            f"'dtype': str({var}.explanation.heatmaps[0].dtype), "
            # what the same heatmap would cost as a JSON list of numbers (new heatmaps only)
            f"'json_list': None if len({var}._cache) == {cache_before} else "
            f"len(json.dumps({var}.explanation.heatmaps[0].tolist()))}}))"))
        assert info["method"] == method, (info, method)
        cached = info["cache"] == cache_before
        assert cached == (method in seen), f"{method}: cache {cache_before} -> {info['cache']}"
        compute_ms = 0.0 if cached else info["seconds"] * 1000
        # page-side arrival times of the kernel's answers
        busy = next((f["t"] for f in r["frames"] if f.get("status") == "busy"), None)
        heat = next((f for f in r["frames"] if "heatmap" in (f.get("stateKeys") or [])), None)
        # the same heatmap frame as the websocket spy saw it (bytes on the wire)
        spied = [f for f in spy.received_messages(since=mark, msg_type="comm_msg")
                 if "heatmap" in f.message["content"].get("data", {}).get("state", {})]
        assert len(spied) == 1, f"{method}: {len(spied)} heatmap frames"
        frame = spied[0]
        buffer_bytes = sum(len(b) for b in frame.message["buffers"])
        rows.append({
            "size": size, "from": current, "to": method, "cached": cached,
            "total_ms": r["total"], "to_frame_ms": r["frame"], "compute_ms": compute_ms,
            "overhead_ms": r["total"] - compute_ms,
            "request_ms": busy,
            "kernel_extra_ms": (heat["t"] - busy - compute_ms) if heat and busy is not None else None,
            "browser_ms": (r["total"] - heat["t"]) if heat else None,
            "redraw_ms": r["redraw"],
            "frames_back": len(r["frames"]),
            "heatmap_frame_bytes": frame.size,
            "heatmap_buffer_bytes": buffer_bytes,
            "heatmap_other_bytes": frame.size - buffer_bytes,
            "heatmap_buffers": [len(b) for b in frame.message["buffers"]],
            "heatmap_shape": info["shape"], "heatmap_dtype": info["dtype"],
            "json_list_bytes": info["json_list"],
            "page_frames": r["frames"],
        })
        log(f"  {size}: {current} -> {method}{' (cache)' if cached else ''}: "
            f"{r['total']:.0f} ms, compute {compute_ms:.0f} ms")
        current = method
        seen.add(method)
    return rows


# --------------------------------------------------------------------------- report
def report(results: dict) -> str:
    out = []
    env = results["environment"]
    out.append(f"ImageExplainer in JupyterLab {env['jupyterlab']}, {env['chromium']} (headless, "
               f"--disable-gpu: software canvas), {env['cpus']} CPU cores, Python {env['python']}.")
    out.append(f"Models: random-weight CNNs (3 strided Conv2D + GAP + Dense(10, softmax)); "
               f"heatmaps at input resolution; {MOVES} timed moves per control after {WARMUP} "
               f"untimed ones.")

    out.append("\n1a. Synchronous work of one view-only event (ms; median / p95)")
    headers = ["input", "control", "redraws", "redraw", "p95", "all redraws", "p95",
               "handler", "p95", "max", "first move: handler"]
    rows = []
    for size in SIZES:
        for name, data in results["redraw"][str(size)]["controls"].items():
            if name == "baseline":
                continue
            moves = data["moves"] + data["aligned"]
            s = {k: stats([m[k] for m in moves]) for k in ("redraw", "allRedraws", "handler")}
            rows.append([
                f"{size}x{size}", name, "/".join(map(str, sorted({m["redraws"] for m in moves}))),
                s["redraw"]["median"], s["redraw"]["p95"],
                s["allRedraws"]["median"], s["allRedraws"]["p95"],
                s["handler"]["median"], s["handler"]["p95"], s["handler"]["max"],
                data["first"]["handler"],
            ])
    out.append(table(headers, rows))
    out.append("redraw = the root's data-redraw-ms after the event (the widget's last redraw); "
               "redraws = how many times the widget wrote it during the one event; all redraws = "
               "the sum of those writes; handler = dispatchEvent() start to return (all "
               f"synchronous work: redraws, colorbar, caption); {2 * MOVES} moves (both passes "
               "of 1b); first move = the first, untimed-warm-up move.")

    out.append(f"\n1b. Frames (ms; median / p95; one frame = {FRAME_MS:.1f} ms)")
    headers = ["input", "control", "->rAF", "p95", "->painted", "p95",
               "aligned: frame work", "p95", "max", "next rAF", "frames dropped"]
    rows = []
    for size in SIZES:
        for name, data in results["redraw"][str(size)]["controls"].items():
            free, aligned = data["moves"], data["aligned"]
            s = {k: stats([m[k] for m in free]) for k in ("raf", "painted")}
            work = stats([m["painted"] for m in aligned])
            nxt = stats([m["raf"] for m in aligned])
            dropped = sum(m["raf"] > 1.5 * FRAME_MS for m in aligned)
            rows.append([
                f"{size}x{size}", name, s["raf"]["median"], s["raf"]["p95"],
                s["painted"]["median"], s["painted"]["p95"],
                work["median"], work["p95"], work["max"], nxt["median"],
                f"{dropped}/{len(aligned)}",
            ])
    out.append(table(headers, rows))
    out.append("->rAF / ->painted: event dispatched from an ordinary task, to the next "
               "requestAnimationFrame callback / to a task posted from it (after that frame's "
               "paint); both include the wait for the next frame tick (baseline = no event). "
               "aligned: event dispatched at the start of a frame inside a rAF callback, as "
               "Chrome delivers drag input; frame work = to after that frame's paint (handler + "
               "style/layout/paint); next rAF = to the next frame's rAF callback; frames dropped "
               f"= moves whose next rAF came later than {1.5 * FRAME_MS:.0f} ms.")
    out.append("\n1c. Main-thread time per aligned move (ms, mean; Chrome's Performance.getMetrics)")
    rows = []
    for size in SIZES:
        for name, data in results["redraw"][str(size)]["controls"].items():
            m = data["main_thread"]
            rows.append([f"{size}x{size}", name, m["TaskDuration"], m["ScriptDuration"],
                         m["LayoutDuration"], m["RecalcStyleDuration"],
                         m["TaskDuration"] - m["ScriptDuration"] - m["LayoutDuration"]
                         - m["RecalcStyleDuration"]])
    out.append(table(["input", "control", "all tasks", "script", "layout", "style", "other"], rows))
    out.append("all tasks = main-thread task time; script = JavaScript, including the canvas "
               "calls it makes (and the benchmark's own evaluate: see baseline); other = the "
               "rest (paint, commit, GC, ...).")

    out.append("\nKernel traffic during the moves (websocket spy)")
    rows = []
    for size in SIZES:
        k = results["redraw"][str(size)]["kernel"]
        rows.append([f"{size}x{size}", 3 * (WARMUP + 2 * MOVES), k["sent_during_moves"], k["view_updates"],
                     ",".join(k["view_update_keys"]) or "-", len(k["other_requests"]),
                     k["heatmaps_or_busy_back"]])
    out.append(table(["input", "moves", "sent while moving", "view updates (after debounce)",
                      "keys", "other requests", "heatmaps/busy back"], rows))

    out.append("\n2. Bytes per heatmap (kernel -> browser frame carrying a new heatmap)")
    rows = []
    for size in SIZES:
        first = next(r for r in results["methods"][str(size)] if not r["cached"])
        other = sorted({r["heatmap_other_bytes"] for r in results["methods"][str(size)]})
        rows.append([
            f"{size}x{size}", "x".join(map(str, first["heatmap_shape"])),
            first["heatmap_frame_bytes"], first["heatmap_buffer_bytes"],
            f"{other[0]}-{other[-1]}" if len(other) > 1 else other[0],
            first["json_list_bytes"],
            f"{first['json_list_bytes'] / first['heatmap_frame_bytes']:.1f}x",
        ])
    out.append(table(["input", "heatmap", "frame bytes", "binary buffer", "JSON + framing",
                      "as JSON list of floats", "JSON list / frame"], rows))
    out.append("binary buffer = float16 heatmap (2 bytes/pixel) scaled to [-1, 1]; JSON + "
               "framing = channel, header, parent header, metadata, content (heatmap_info, ...) "
               "and the offset table; JSON list = len(json.dumps(heatmap.tolist())) of the "
               f"{first['heatmap_dtype']} heatmap in the kernel.")

    out.append("\n3. Method change round trip: change event -> new heatmap drawn (ms)")
    headers = ["input", "switch", "total", "compute", "overhead", "request", "kernel extra",
               "browser", "->rAF", "redraw"]
    rows = []
    for size in SIZES:
        for r in results["methods"][str(size)]:
            if not r["cached"]:
                rows.append([f"{size}x{size}", f"{r['from']} -> {r['to']}", r["total_ms"],
                             r["compute_ms"], r["overhead_ms"], r["request_ms"],
                             r["kernel_extra_ms"], r["browser_ms"], r["to_frame_ms"], r["redraw_ms"]])
    out.append("computed (the first request of each method; compute may include its tracing)")
    out.append(table(headers, rows))
    out.append(f"cache hits (repeats of earlier requests: no compute, all overhead); medians over "
               f"{1 + CACHE_ROUNDS} switches each, total also min-max")
    headers = ["input", "switch", "n", "total", "min", "max", "request", "kernel extra", "browser",
               "->rAF", "redraw"]
    rows = []
    for size in SIZES:
        hits = [r for r in results["methods"][str(size)] if r["cached"]]
        for switch in dict.fromkeys((r["from"], r["to"]) for r in hits):
            group = [r for r in hits if (r["from"], r["to"]) == switch]
            med = {k: stats([r[k] for r in group])["median"] for k in (
                "total_ms", "request_ms", "kernel_extra_ms", "browser_ms", "to_frame_ms", "redraw_ms")}
            totals = [r["total_ms"] for r in group]
            rows.append([f"{size}x{size}", " -> ".join(switch), len(group), med["total_ms"],
                         min(totals), max(totals), med["request_ms"], med["kernel_extra_ms"],
                         med["browser_ms"], med["to_frame_ms"], med["redraw_ms"]])
    out.append(table(headers, rows))
    out.append("total = change event to caption naming the new method (right after the "
               "synchronous redraw); compute = w.explanation.seconds (0 for a cache hit); "
               "overhead = total - compute; request = change -> the kernel's 'busy' status "
               "arrives; kernel extra = busy -> heatmap frame arrives, minus compute (target "
               "forward pass, encoding, sending; the busy status leaves from the worker thread "
               "and can trail the compute's start, so this can come out a few ms negative); "
               "browser = heatmap frame arrives -> drawn (Lab deserialises, widget decodes "
               "float16, sorts |values|, recolours); ->rAF = "
               "to the next animation frame.")
    return "\n".join(out)


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    import importlib.metadata as md
    import os

    t_start = time.monotonic()
    log("starting JupyterLab ...")
    with lab_and_browser("xw-bench-widget-") as (lab, browser):
        context, page, page_errors = new_page(browser, 60_000)
        spy = KernelWebSocketSpy(page)  # attached before the notebook opens
        cdp = context.new_cdp_session(page)  # Chrome's main-thread time counters
        cdp.send("Performance.enable")

        lab.write_notebook("bench_widget.ipynb", [SETUP_CELL] + [widget_cell(s) for s in SIZES])
        nb = LabNotebook.open(page, lab, "bench_widget.ipynb", timeout=120)
        log("running the notebook (TensorFlow import, models, first heatmaps) ...")
        nb.run_all(timeout=300)
        roots = page.locator(ROOT_SELECTOR)
        for i in range(len(SIZES)):
            roots.nth(i).locator("[data-testid=status][data-state=idle]").wait_for(timeout=60_000)
            roots.nth(i).locator("canvas[data-testid=overlay]").wait_for(timeout=60_000)
        page.wait_for_function(
            "(n) => [...document.querySelectorAll('[data-testid=image-explainer]')]"
            ".filter((r) => r.dataset.redrawMs !== undefined).length >= n", arg=len(SIZES))
        spy.settle()

        results = {
            "environment": {
                "python": platform.python_version(),
                "jupyterlab": md.version("jupyterlab"),
                "chromium": browser.version and f"Chromium {browser.version}",
                "playwright": md.version("playwright"),
                "cpus": os.cpu_count(),
                "moves": MOVES, "warmup": WARMUP,
            },
            "redraw": {}, "methods": {},
        }
        for i, size in enumerate(SIZES):
            log(f"{size}x{size}: view-only redraws ...")
            results["redraw"][str(size)] = measure_redraws(page, cdp, roots.nth(i), spy, size)
        for i, size in enumerate(SIZES):
            log(f"{size}x{size}: method changes ...")
            results["methods"][str(size)] = measure_methods(page, nb, roots.nth(i), spy, size)
        results["page_errors"] = page_errors
        results["seconds"] = time.monotonic() - t_start

    return finish(report(results), results, page_errors, args.json)


if __name__ == "__main__":
    sys.exit(main())
