"""xw.explain_dataset: images per second in one process and on 2 Dask workers, the cost of
a chunk, the store's size per image, and the client's memory as N grows.

    .venv/bin/python benchmarks/bench_dataset.py            # ~6-8 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_dataset.py --quick    # ~2 min (smaller N, no MobileNetV2)

Sections (the tables go to stdout, progress to stderr):

* throughput: integrated gradients (steps=32, zero baseline, batch_size=32) of the digits
  CNN on N augmented test images (shifted by up to one pixel, plus noise), chunk=256; and of
  MobileNetV2 (random seeded weights, 224x224x3) on a few random images, chunk=16. Each in
  one process (client=None) and on a LocalCluster of 2 worker processes with 1 thread each;
  both after a warm-up run on other rows (tracing, and on the cluster the workers' TensorFlow
  import and model load, are reported apart as the warm-up time).
* chunk overhead: saliency of a tiny tabular model (4 features -> 2) on 4,096 rows, cut
  into 1 chunk and into 8, 64 and 256 chunks: (time - time of 1 chunk) / (chunks - 1) is what
  one chunk adds (a store write of every array, a done flag, a forward pass; on the cluster
  also a task's round trip).
* client memory: the resident set (VmRSS, sampled every 20 ms) of a fresh process that
  explains N rows of a Dask array generated block by block (64x64x3, saliency of a small
  CNN, chunk=256, no cluster), before and at its peak during the run (after a warm-up run of
  512 rows), for growing N: flat when the client holds neither the inputs nor the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def du(path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    return total


def augmented_digits(n: int):
    import xai_widgets as xw

    model, _, _ = xw.demo.digits_cnn()
    x, _, _ = xw.demo.digits_augmented(n, source="test", noise=0.03)
    return model, x


def mobilenet():
    import keras

    keras.utils.set_random_seed(0)
    return keras.applications.MobileNetV2(weights=None)


def _one_tf_thread():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def throughput(name, model, x, warm, chunk, client, tmp, steps=32, label=""):
    import xai_widgets as xw

    where = "2 Dask workers" if client is not None else "one process"
    model_path = os.path.join(tmp, f"{name}.keras")
    kwargs = dict(chunk=chunk, steps=steps, client=client, progress=False)
    if client is not None:
        kwargs["model_path"] = model_path
        if os.path.exists(model_path):
            os.remove(model_path)
    _, warm_s = timed(lambda: xw.explain_dataset(
        model, warm, store=os.path.join(tmp, f"{name}-warm-{client is not None}{label}.zarr"),
        **kwargs))
    path = os.path.join(tmp, f"{name}-{client is not None}{label}.zarr")
    store, seconds = timed(lambda: xw.explain_dataset(model, x, store=path, **kwargs))
    size = du(path)
    assert store.complete and store.meta["n"] == len(x)
    log(f"  {name} {where}: {len(x)} images in {seconds:.1f} s (warm-up {warm_s:.1f} s)")
    return {"model": name, "where": where, "n": len(x), "chunk": chunk, "seconds": seconds,
            "images_per_s": len(x) / seconds, "warmup_s": warm_s, "store_bytes": size,
            "store_bytes_per_image": size / len(x), "load": load()}


def chunk_overhead(client, tmp):
    import keras

    import xai_widgets as xw

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(4096, 4)).astype(np.float32)
    kw = dict(method="saliency", client=client, progress=False)
    if client is not None:
        kw["model_path"] = os.path.join(tmp, "tiny.keras")
    xw.explain_dataset(model, x[:256], store=os.path.join(tmp, f"tiny-warm-{client}.zarr"),
                       chunk=64, **kw)
    rows = []
    for chunks in (1, 8, 64, 256):
        path = os.path.join(tmp, f"tiny-{chunks}-{client is not None}.zarr")
        _, seconds = timed(lambda: xw.explain_dataset(model, x, store=path,
                                                      chunk=4096 // chunks, **kw))
        rows.append({"chunks": chunks, "seconds": seconds})
    base = rows[0]["seconds"]
    for row in rows[1:]:
        row["per_chunk_ms"] = 1000 * (row["seconds"] - base) / (row["chunks"] - 1)
    log(f"  chunk overhead ({'cluster' if client else 'one process'}): "
        + ", ".join(f"{r['chunks']}: {r['seconds']:.2f} s" for r in rows))
    return rows


MEMORY_CHILD = r'''
import os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, {root!r})
import numpy as np, keras, dask.array as da
import xai_widgets as xw
n, size, path = {n}, 64, {path!r}
keras.utils.set_random_seed(0)
inputs = keras.Input((size, size, 3)); h = inputs
for i, f in enumerate((8, 16, 32)):
    h = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)
h = keras.layers.GlobalAveragePooling2D()(h)
model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(h))
def block(b, block_info=None):  # rows made on demand, block by block
    start = block_info[None]["array-location"][0][0]
    rng = np.random.default_rng(start)
    return rng.random(b.shape, dtype=np.float32)
x = da.zeros((n, size, size, 3), chunks=(256, size, size, 3), dtype=np.float32)
x = x.map_blocks(block, dtype=np.float32)
import threading
def rss():  # the resident set now, MB
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
xw.explain_dataset(model, x[:512], method="saliency", store=path + ".warm", chunk=256,
                   progress=False)  # traced, as after the first chunk of any run
before, peak, running = rss(), [0.0], True
def sample():
    while running:
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)
thread = threading.Thread(target=sample); thread.start()
t = time.perf_counter()
xw.explain_dataset(model, x, method="saliency", store=path, chunk=256, progress=False)
seconds = time.perf_counter() - t
running = False; thread.join()
print("RESULT", n, round(before, 1), round(peak[0], 1), round(seconds, 2))
'''


def client_memory(sizes, tmp):
    rows = []
    for n in sizes:
        path = os.path.join(tmp, f"mem-{n}.zarr")
        code = MEMORY_CHILD.format(root=str(ROOT), n=n, path=path)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        line = [l for l in out.stdout.splitlines() if l.startswith("RESULT")]
        if not line:
            raise RuntimeError(out.stderr[-2000:])
        _, n_, before, peak, seconds = line[0].split()
        size = du(path)
        shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(path + ".warm", ignore_errors=True)
        held = n * 64 * 64 * 3 * 4 * 2 + n * 64 * 64 * 4  # inputs + attributions + heatmaps
        rows.append({"n": n, "rss_before_mb": float(before), "peak_rss_mb": float(peak),
                     "seconds": float(seconds), "store_mb": size / 2**20,
                     "all_in_memory_mb": held / 2**20})
        log(f"  memory N={n}: peak {peak} MB ({seconds} s)")
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the client memory section")
    args = parser.parse_args()

    import xai_widgets as xw  # noqa: F401
    import keras

    n_digits = 1000 if args.quick else 4000
    from distributed import Client, LocalCluster

    def start_cluster(one_tf_thread=False):
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
        if one_tf_thread:  # before the workers' TensorFlow starts its thread pools
            client.run(_one_tf_thread)
        return cluster, client, time.perf_counter() - start

    tmp = tempfile.mkdtemp(prefix="bench-dataset-")
    results = {"python": platform.python_version(), "keras": keras.__version__,
               "cpus": os.cpu_count(), "load_start": open("/proc/loadavg").read().strip()}
    if args.memory_only:
        results["memory"] = client_memory((1024, 4096, 16384), tmp)
        results["load_end"] = open("/proc/loadavg").read().strip()
        shutil.rmtree(tmp, ignore_errors=True)
        report_memory(results)
        return
    try:
        log("throughput: digits CNN")
        model, x = augmented_digits(n_digits + 1024)
        # the warm-up: 4 chunks, so that each worker has loaded the model and traced
        rows = [throughput("digits_cnn", model, x[1024:], x[:1024], 256, None, tmp)]
        cluster, client, start_s = start_cluster(one_tf_thread=True)
        rows.append(throughput("digits_cnn", model, x[1024:], x[:1024], 256, client, tmp,
                               label="-1thread"))
        rows[-1]["where"] += "*"
        client.close()
        cluster.close(timeout=20)
        cluster, client, start_s = start_cluster()
        results["cluster_start_s"] = start_s
        rows.append(throughput("digits_cnn", model, x[1024:], x[:1024], 256, client, tmp))
        if not args.quick:
            log("throughput: MobileNetV2")
            net = mobilenet()
            images = np.random.default_rng(0).uniform(-1, 1, (64 + 32, 224, 224, 3)).astype(
                np.float32)
            rows.append(throughput("mobilenet_v2", net, images[32:], images[:32], 16, None,
                                   tmp))
            rows.append(throughput("mobilenet_v2", net, images[32:], images[:32], 16, client,
                                   tmp))
        results["throughput"] = rows
        log("chunk overhead")
        results["overhead_local"] = chunk_overhead(None, tmp)
        results["overhead_cluster"] = chunk_overhead(client, tmp)
        client.close()
        cluster.close(timeout=20)
        log("client memory")
        results["memory"] = client_memory((1024, 4096) if args.quick
                                          else (1024, 4096, 16384), tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["load_end"] = open("/proc/loadavg").read().strip()
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def report(r):
    print(f"xw.explain_dataset, {r['cpus']} CPU cores, Python {r['python']}, Keras "
          f"{r['keras']}; /proc/loadavg at start: {r['load_start']}, at end: {r['load_end']} "
          "(other engineers' work shared the cores: numbers under load)")
    print(f"LocalCluster(n_workers=2, threads_per_worker=1, processes=True) start: "
          f"{r['cluster_start_s']:.1f} s")
    print("\nthroughput: integrated gradients, steps=32, batch_size=32, after a warm-up run of "
          "other rows (2 chunks per worker; the warm-up includes tracing, and on a cluster the "
          "workers' TensorFlow import and model load). *: each worker's TensorFlow limited to "
          "1 thread (intra- and inter-op); otherwise each of the 2 processes uses both cores")
    print(f"{'model':<13} {'where':<15} {'N':>6} {'chunk':>5} {'s':>8} {'images/s':>9} "
          f"{'warm-up s':>9} {'store KB/img':>12} {'load':>5}")
    for t in r["throughput"]:
        print(f"{t['model']:<13} {t['where']:<15} {t['n']:>6} {t['chunk']:>5} "
              f"{t['seconds']:>8.1f} {t['images_per_s']:>9.1f} {t['warmup_s']:>9.1f} "
              f"{t['store_bytes_per_image'] / 1024:>12.1f} {t['load']:>5}")
    print("\nchunk overhead: saliency of Dense(4 -> 2) on 4,096 rows")
    print(f"{'where':<12} {'chunks':>6} {'s':>7} {'ms per extra chunk':>19}")
    for where, key in (("one process", "overhead_local"), ("2 workers", "overhead_cluster")):
        for row in r[key]:
            extra = f"{row['per_chunk_ms']:.1f}" if "per_chunk_ms" in row else "-"
            print(f"{where:<12} {row['chunks']:>6} {row['seconds']:>7.2f} {extra:>19}")
    report_memory(r)


def report_memory(r):
    print(f"\nclient memory (/proc/loadavg at the end: {r['load_end']}): saliency of a small "
          "CNN on N rows of 64x64x3 generated block by block (Dask), chunk=256, one process; "
          "resident set (VmRSS) before the run and its peak during it, in a fresh process")
    print(f"{'N':>6} {'RSS before MB':>13} {'peak RSS MB':>11} {'s':>7} {'store MB':>9} "
          f"{'all rows in memory would be MB':>31}")
    for m in r["memory"]:
        print(f"{m['n']:>6} {m['rss_before_mb']:>13.0f} {m['peak_rss_mb']:>11.0f} "
              f"{m['seconds']:>7.1f} {m['store_mb']:>9.0f} {m['all_in_memory_mb']:>31.0f}")


if __name__ == "__main__":
    main()
