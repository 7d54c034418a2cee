"""LRP's speed against its bound: at most 3 forward+backward passes' worth of time.

    .venv/bin/python benchmarks/bench_lrp.py            # ~2-4 min on 2 busy cores
    .venv/bin/python benchmarks/bench_lrp.py --quick    # fewer repeats, no MobileNetV2

The reference is one compiled forward+backward pass: the gradient of the target score with
respect to the input, batched like LRP (same images, targets and batch size), as a
``tf.function`` with a ``None`` batch dimension. Each LRP rule (composite) is timed after a
warm-up (its first call, then ``adapter.compile_pending()``): the median of ``exp.seconds``
over the repeats (the compiled calls only; ``wall`` adds input validation). The ratio
``lrp / reference``, taken per repeat (reference and rules timed in turn, in a shuffled
order, so that a change of load on a shared machine hits both) and reported as the median,
is the number of forward+backward passes LRP costs; the bound is 3. The same ratio of the
process's CPU time (``time.process_time``: every thread's) is reported too: a busy machine
makes wall time wait, CPU time much less.

Models: the demo digits CNN (64 test images), the demo shapes CNN (64 test images) and
MobileNetV2 with random weights (4 random 224x224 images; depthwise convolutions, folded
BatchNorm, ReLU6, residual Add, zero padding). No weights or data are downloaded.

MobileNetV2's BatchNorm statistics are set from one batch of random images (moving mean and
variance := that batch's, as one training step with momentum 0 would), so that activations
keep their scale through the 52 layers. Without it (moving mean 0, variance 1) the explained
score is ~1e-11 and every relevance falls under the stabiliser: the maps were all zero and
the timing was of a degenerate computation.
"""

from __future__ import annotations

import argparse
import os
import random
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


def reference_function(adapter, x, targets, batch_size):
    """A callable running one compiled forward+backward pass over ``x`` in batches."""
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
    return run


def calibrate_batchnorm(model, x):
    """Every BatchNormalization's moving statistics := those of ``x`` (one training-mode
    call with momentum 0, each layer seeing the previous ones' normalised output)."""
    import keras

    layers = [layer for layer in model.layers
              if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum


def bench_model(name, model, x, rules, batch_size, repeats):
    """Each repeat times the reference and every rule, in a shuffled order (seeded): the
    ratios are taken per repeat (the load of a shared machine changes between repeats) and
    their median reported, for wall time and for the process's CPU time (all its threads),
    which a busy machine disturbs less."""
    import xai_widgets as xw

    adapter = xw.adapt(model)
    targets = adapter.scores(x).argmax(axis=1).astype(np.int32)
    reference = reference_function(adapter, x, targets, batch_size)
    warm, traces = {}, {}
    for rule in rules:
        start = time.perf_counter()
        xw.explain(model, x, method="lrp", rule=rule, target=targets, batch_size=batch_size)
        adapter.compile_pending()
        warm[rule] = time.perf_counter() - start
    traces = adapter.trace_count
    refs, compute, wall = [], {r: [] for r in rules}, {r: [] for r in rules}
    ref_cpu, cpu = [], {r: [] for r in rules}
    order = [None] + list(rules)  # None: the reference
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(order)
        for rule in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            if rule is None:
                reference()
                refs.append(time.perf_counter() - start)
                ref_cpu.append(time.process_time() - start_cpu)
                continue
            exp = xw.explain(model, x, method="lrp", rule=rule, target=targets,
                             batch_size=batch_size)
            wall[rule].append(time.perf_counter() - start)
            cpu[rule].append(time.process_time() - start_cpu)
            compute[rule].append(exp.seconds)
    rows = []
    sums = xw.explain(model, x, method="lrp", rule="epsilon", target=targets,
                      batch_size=batch_size).attributions.reshape(len(x), -1).sum(axis=1)
    log(f"{name}: epsilon relevance sums {np.round(sums[:4], 3)}... (not all 0: a live model)")
    for rule in rules:
        ratio = statistics.median(c / r for c, r in zip(compute[rule], refs))
        seconds = statistics.median(compute[rule])
        cpu_ratio = statistics.median(c / r for c, r in zip(cpu[rule], ref_cpu))
        rows.append((rule, warm[rule], seconds, statistics.median(wall[rule]), ratio,
                     cpu_ratio))
        log(f"{name} {rule}: {seconds:.4f} s = {ratio:.2f} x forward+backward "
            f"(CPU time {cpu_ratio:.2f})")
    return statistics.median(refs), rows, adapter.trace_count - traces


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
        calibrate_batchnorm(mobilenet, np.random.default_rng(1).uniform(
            -1, 1, (8, 224, 224, 3)).astype(np.float32))
        xm = np.random.default_rng(0).uniform(-1, 1, (4, 224, 224, 3)).astype(np.float32)
        models.append(("MobileNetV2 (random weights), 4 images", mobilenet, xm, 4))

    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    out = [f"# LRP against its bound ({BOUND:g} forward+backward passes)", "",
           f"load average before: {' '.join(load_before)} (2 CPU cores shared; measured "
           "under load)", ""]
    for name, model, x, batch_size in models:
        log(f"-- {name}")
        ref, rows, retraces = bench_model(name, model, x, rules, batch_size, repeats)
        out += [f"## {name}, batch_size {batch_size}", "",
                f"one forward+backward pass (reference): {ref:.4f} s; retraces over the timed "
                f"repeats: {retraces}", "",
                "| rule | warm-up s | s (compute) | s (wall) | x forward+backward | within "
                f"{BOUND:g} | x forward+backward, CPU time |", "|---|---|---|---|---|---|---|"]
        for rule, warm, seconds, wall, ratio, cpu_ratio in rows:
            out.append(f"| {rule} | {warm:.2f} | {seconds:.4f} | {wall:.4f} | {ratio:.2f} | "
                       f"{'yes' if ratio <= BOUND else 'NO'} | {cpu_ratio:.2f} |")
        out.append("")
    with open("/proc/loadavg") as f:
        out.append(f"load average after: {' '.join(f.read().split()[:3])}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
