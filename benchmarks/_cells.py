"""Notebook cell text shared by the widget benchmarks (they run it in a kernel)."""

# A small CNN with random (seeded) weights, defined in the benchmark's kernel.
BENCH_MODEL = '''
def bench_model(size):
    """A small CNN with random (seeded) weights: 3 strided convs, GAP, Dense(10, softmax)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((size, size, 3))
    h = inputs
    for i, filters in enumerate((8, 16, 32)):
        h = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu",
                                name=f"conv{i}")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs, outputs, name=f"cnn{size}")
'''
