"""A text demo with a known truth: short movie reviews generated from templates, offline.

A review holds one adjective, maybe negated by "not" right before it (or before its
intensifier), maybe intensified ("very good"), inside neutral filler. The adjective is
positive, negative or neutral ("long", "french"). The label follows a stated rule:

    neutral   <=>  the adjective is neutral, or missing (whatever "not" and the
                   intensifier say: "the plot was not very")
    positive  <=>  the adjective is positive XOR it is negated; negative otherwise

so the words that decide are known: the sentiment word, and "not" when it is there
(``decisive``; empty for neutral reviews). Three classes, so that neither sentiment is the
model's default: a positive review needs its positive word as much as a negative one. ``reviews_model()`` trains a small Embedding + Conv1D classifier on them in
seconds (seeded) and caches it like the other demos.
"""

from __future__ import annotations

import numpy as np

NEUTRAL = ("long", "short", "french", "new", "old", "quiet", "loud", "slow", "fast",
           "familiar")
POSITIVE = ("good", "great", "excellent", "wonderful", "superb", "enjoyable", "brilliant",
            "lovely", "fun", "moving")
NEGATIVE = ("bad", "awful", "terrible", "boring", "dull", "poor", "weak", "tedious",
            "messy", "bland")
INTENSIFIERS = ("very", "really", "truly", "so", "quite")
SUBJECTS = ("the movie", "this film", "the plot", "the acting", "the story", "the ending",
            "the cast", "the music", "the script", "the second half")
OPENERS = ("", "honestly", "overall", "i think", "to me", "in the end", "after all that",
           "for a friday night")
CLOSERS = ("", "and the popcorn was fine", "as far as i can tell", "if you ask me",
           "from start to finish", "in my opinion", "for most of the time")
CLASS_NAMES = ("negative", "neutral", "positive")
SEQUENCE_LENGTH = 24


def reviews_dataset(n: int = 4000, seed: int = 0):
    """``texts`` (list of str), ``y`` (N,) int64 (0 negative, 1 neutral, 2 positive) and
    ``decisive``: for each text, the indices of its decisive words in ``text.split()`` (the
    sentiment word, and "not" if present; none for a neutral review)."""
    rng = np.random.default_rng(seed)
    texts, labels, decisive = [], [], []
    for _ in range(n):
        kind = int(rng.choice(3, p=(0.4, 0.2, 0.4)))  # negative, neutral, positive word
        negated = rng.random() < 0.35
        intensified = rng.random() < 0.4
        word = str(rng.choice((NEGATIVE, NEUTRAL, POSITIVE)[kind]))
        if kind == 1 and rng.random() < 0.5:
            word = ""  # no adjective at all ("the plot was not very"): neutral too
        core = []
        if negated:
            core.append("not")
        if intensified:
            core.append(str(rng.choice(INTENSIFIERS)))
        if word:
            core.append(word)
        verb = "is" if rng.random() < 0.5 else "was"
        words = []
        opener = str(rng.choice(OPENERS))
        words += opener.split()
        words += str(rng.choice(SUBJECTS)).split() + [verb]
        start = len(words)
        words += core
        words += str(rng.choice(CLOSERS)).split()
        idx = [start + len(core) - 1]
        if negated:
            idx.insert(0, start)
        texts.append(" ".join(words))
        labels.append(1 if kind == 1 else 2 * int((kind == 2) != negated))
        decisive.append([] if kind == 1 else idx)
    return texts, np.array(labels, np.int64), decisive


def reviews_model(seed: int = 0):
    """An Embedding + Conv1D review classifier that takes strings (a TextVectorization
    inside), ending in softmax over ("negative", "neutral", "positive"); >= 98 % held-out
    accuracy. The embeddings are L2-regularised: filler words, which carry no information,
    get small vectors.

    Returns ``model, (texts_test, y_test), class_names``."""
    import keras
    from keras import layers

    from .demo import _cached

    texts, y, _ = reviews_dataset(seed=seed)
    cut = int(len(texts) * 0.8)

    def train():
        vectorize = layers.TextVectorization(
            max_tokens=200, output_sequence_length=SEQUENCE_LENGTH, name="vectorize")
        vectorize.adapt(texts[:cut])
        model = keras.Sequential([
            keras.Input((1,), dtype="string", name="text"),
            vectorize,
            layers.Embedding(200, 16, name="embedding",
                             embeddings_regularizer=keras.regularizers.L2(1e-2)),
            layers.Conv1D(32, 3, padding="same", activation="relu", name="conv"),
            layers.GlobalMaxPooling1D(name="pool"),
            layers.Dense(3, activation="softmax", name="probabilities"),
        ], name="reviews_cnn")
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices((tf.constant(texts[:cut])[:, None], y[:cut]))
        model.fit(data.shuffle(cut, seed=seed).batch(64), epochs=8, shuffle=False, verbose=0)
        return model

    model = _cached("reviews_cnn", seed, train)
    return model, (texts[cut:], y[cut:]), list(CLASS_NAMES)
