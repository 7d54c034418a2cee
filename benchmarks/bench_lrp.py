"""LRP's speed against its bound: at most 3 forward+backward passes' worth of time.

    .venv/bin/python benchmarks/bench_lrp.py            # ~2-4 min on 2 busy cores
    .venv/bin/python benchmarks/bench_lrp.py --quick    # fewer repeats, no MobileNetV2

The reference is one compiled forward+backward pass: the gradient of the target score with
respect to the input, batched like LRP (same images, targets and batch size), as a
``tf.function`` with a ``None`` batch dimension. Each LRP rule (composite) is timed after a
warm-up (its first call, then ``adapter.compile_pending()``): the median of ``exp.seconds``
over the repeats (the compiled calls only; ``wall`` adds input validation). The ratio
``lrp / reference`` is the number of forward+backward passes LRP costs; the bound is 3.

Models: the demo digits CNN (64 test images), the demo shapes CNN (64 test images) and
MobileNetV2 with random weights (4 random 224x224 images; depthwise convolutions, folded
BatchNorm, ReLU6, residual Add, zero padding). No weights or data are downloaded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

BOUND = 3.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def reference_seconds(adapter, x, targets, batch_size, repeats):
    """Median seconds of one compiled forward+backward pass over ``x`` in batches."""
    import tensorflow as tf

    @tf.function(input_signature=[adapter.input_spec(), tf.TensorSpec((None,), tf.int32)])
    def grad(xb, tb):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(xb)
            out, _ = adapter.forward(xb)
            score = tf.gather(tf.cast(out, tf.float32), tb, batch_dims=1)
        return tape.gradient(score, xb)

    def run():
        for i in range(0, len(x), batch_size):
            grad(x[i:i + batch_size], targets[i:i + batch_size]).numpy()

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_model(name, model, x, rules, batch_size, repeats):
    import xai_widgets as xw

    adapter = xw.adapt(model)
    targets = adapter.scores(x).argmax(axis=1).astype(np.int32)
    ref = reference_seconds(adapter, x, targets, batch_size, repeats)
    rows = []
    for rule in rules:
        start = time.perf_counter()
        xw.explain(model, x, method="lrp", rule=rule, target=targets, batch_size=batch_size)
        adapter.compile_pending()
        warm = time.perf_counter() - start
        traces = adapter.trace_count
        compute, wall = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            exp = xw.explain(model, x, method="lrp", rule=rule, target=targets,
                             batch_size=batch_size)
            wall.append(time.perf_counter() - start)
            compute.append(exp.seconds)
        seconds = statistics.median(compute)
        rows.append((rule, warm, seconds, statistics.median(wall), seconds / ref,
                     adapter.trace_count - traces))
        log(f"{name} {rule}: {seconds:.4f} s = {seconds / ref:.2f} x forward+backward")
    return ref, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    import keras

    import xai_widgets as xw
    from xai_widgets.explainers.lrp import COMPOSITES

    repeats = 3 if args.quick else 7
    rules = list(COMPOSITES)
    models = []
    digits, (xd, _), _ = xw.demo.digits_cnn()
    models.append(("digits CNN, 64 images", digits, xd[:64], 32))
    shapes, (xs, _, _), _ = xw.demo.shapes_cnn()
    models.append(("shapes CNN, 64 images", shapes, xs[:64], 32))
    if not args.quick:
        keras.utils.set_random_seed(0)
        mobilenet = keras.applications.MobileNetV2(weights=None)
        xm = np.random.default_rng(0).uniform(-1, 1, (4, 224, 224, 3)).astype(np.float32)
        models.append(("MobileNetV2 (random weights), 4 images", mobilenet, xm, 4))

    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    out = [f"# LRP against its bound ({BOUND:g} forward+backward passes)", "",
           f"load average before: {' '.join(load_before)} (2 CPU cores shared; measured "
           "under load)", ""]
    for name, model, x, batch_size in models:
        log(f"-- {name}")
        ref, rows = bench_model(name, model, x, rules, batch_size, repeats)
        out += [f"## {name}, batch_size {batch_size}", "",
                f"one forward+backward pass (reference): {ref:.4f} s", "",
                "| rule | warm-up s | s (compute) | s (wall) | x forward+backward | within "
                f"{BOUND:g} | retraces |", "|---|---|---|---|---|---|---|"]
        for rule, warm, seconds, wall, ratio, retraces in rows:
            out.append(f"| {rule} | {warm:.2f} | {seconds:.4f} | {wall:.4f} | {ratio:.2f} | "
                       f"{'yes' if ratio <= BOUND else 'NO'} | {retraces} |")
        out.append("")
    with open("/proc/loadavg") as f:
        out.append(f"load average after: {' '.join(f.read().split()[:3])}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
