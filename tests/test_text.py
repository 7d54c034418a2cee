"""Text explainers against what is true: analytic linear models, brute-force Shapley values,
score drops computed directly from the model on edited strings, IG completeness, and the
demo's planted decisive words."""

import itertools
import math

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError

L, D = 12, 4
VOCAB = ["[PAD]", "[UNK]", "good", "bad", "movie", "the", "not", "play", "##ing", "fun"]


@pytest.fixture(scope="module")
def linear(keras):
    """A linear bag-of-embeddings model with known weights: score_k = sum over positions of
    E[id] . W[:, k] / L + b_k (average pooling over L positions; the padding row of E is
    zero, so padding adds nothing). Ends in logits."""
    from keras import layers

    rng = np.random.default_rng(0)
    E = rng.normal(size=(len(VOCAB), D)).astype(np.float32)
    E[0] = 0.0
    W = rng.normal(size=(D, 2)).astype(np.float32)
    b = np.array([0.3, -0.2], np.float32)
    model = keras.Sequential([
        keras.Input((L,), dtype="int32"),
        layers.Embedding(len(VOCAB), D, name="emb"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2, name="out"),
    ])
    model.get_layer("emb").set_weights([E])
    model.get_layer("out").set_weights([W, b])
    contribution = E @ W / L  # (V, 2): what one occurrence of a token adds to each score
    return model, contribution, b


def _ids(words):
    return [VOCAB.index(w) for w in words]


@pytest.mark.parametrize("method", ["integrated_gradients", "gradient_x_input"])
def test_linear_model_each_word_gets_its_analytic_contribution(linear, method):
    model, c, _ = linear
    text = "the movie not good the movie"  # repeated words: each occurrence gets its own
    exp = xw.explain(model, [text, "bad"], method=method, target=1, vocabulary=VOCAB)
    assert exp.tokens == [text.split(), ["bad"]]
    for words, values in zip(exp.tokens, exp.attributions):
        assert values.dtype == np.float32 and values.shape == (len(words),)
        np.testing.assert_allclose(values, c[_ids(words), 1], rtol=1e-4, atol=1e-6)
    if method == "integrated_gradients":
        assert np.abs(exp.completeness_delta).max() < 1e-5


def test_subword_pieces_are_merged_into_their_word_and_padding_is_never_shown(linear):
    model, c, _ = linear

    def tokenizer(word):  # a WordPiece-like tokenizer: "playing" -> "play", "##ing"
        if word == "playing":
            return [VOCAB.index("play"), VOCAB.index("##ing")]
        return [VOCAB.index(word) if word in VOCAB else 1]

    exp = xw.explain(model, "playing not fun", method="integrated_gradients", target=0,
                     tokenizer=tokenizer)
    assert exp.tokens == [["playing", "not", "fun"]]
    expected = [c[7, 0] + c[8, 0], c[6, 0], c[9, 0]]
    np.testing.assert_allclose(exp.attributions[0], expected, rtol=1e-4, atol=1e-6)
    assert exp.inputs.shape == (1, L) and (exp.inputs[0, 4:] == 0).all()  # padding sent
    # the L2 option is unsigned: each word's value is the norm of its contribution vector
    l2 = xw.explain(model, "playing not fun", method="integrated_gradients", target=0,
                    tokenizer=tokenizer, reduce="l2")
    assert (l2.attributions[0] >= 0).all() and not l2.signed


def test_kernel_shap_is_exact_on_an_additive_game_beyond_eleven_words(linear):
    model, c, _ = linear
    words = "good bad movie the not fun good bad movie the not fun".split()  # 12 words
    exp = xw.explain(model, " ".join(words), method="kernel_shap", target=1,
                     vocabulary=VOCAB, missing="pad", samples=512)
    assert exp.params["exact"] is False
    # masking a word with the zero padding row removes exactly its contribution
    np.testing.assert_allclose(exp.attributions[0], c[_ids(words), 1], atol=1e-4)
    assert exp.standard_errors[0].max() < 1e-4


def _direct_scores(model, texts, target):
    import tensorflow as tf

    return model(tf.constant(texts)[:, None], training=False).numpy()[:, target]


@pytest.mark.slow
def test_occlusion_equals_the_score_drop_computed_directly(reviews):
    model, (texts, _), _ = reviews
    text = texts[3]
    words = text.split()
    exp = xw.explain(model, text, method="occlusion", output="probability")
    target = int(exp.targets[0])
    without = [" ".join(words[:j] + words[j + 1:]) for j in range(len(words))]
    expected = _direct_scores(model, [text], target)[0] - _direct_scores(model, without, target)
    np.testing.assert_allclose(exp.attributions[0], expected, atol=1e-5)


@pytest.mark.slow
def test_kernel_shap_equals_brute_force_shapley_values(reviews):
    model, (texts, _), _ = reviews
    text = next(t for t in texts if 8 <= len(t.split()) <= 9)
    words = text.split()
    n = len(words)
    exp = xw.explain(model, text, method="kernel_shap", output="probability")
    assert exp.params["exact"] is True
    target = int(exp.targets[0])
    subsets = list(itertools.product([0, 1], repeat=n))
    strings = [" ".join(w for w, keep in zip(words, s) if keep) for s in subsets]
    v = dict(zip(subsets, _direct_scores(model, strings, target)))
    phi = np.zeros(n)
    for s, value in v.items():
        size = sum(s)
        for j in range(n):
            if s[j]:
                without = s[:j] + (0,) + s[j + 1:]
                weight = math.factorial(size - 1) * math.factorial(n - size) / math.factorial(n)
                phi[j] += weight * (value - v[without])
    np.testing.assert_allclose(exp.attributions[0], phi, atol=2e-5)
    assert exp.standard_errors[0].max() == 0


@pytest.mark.slow
@pytest.mark.parametrize("method", ["integrated_gradients", "occlusion"])
def test_planted_decisive_words_are_in_the_top_two(reviews, reviews_truth, method):
    model, (texts, _), _ = reviews
    # reviews with a sentiment word (neutral ones have no decisive word), negated or not
    chosen = [i for i, decisive in enumerate(reviews_truth) if decisive][:200]
    assert sum(len(reviews_truth[i]) == 2 for i in chosen) > 40  # negations are in the set
    exp = xw.explain(model, [texts[i] for i in chosen], method=method)
    hits = [set(reviews_truth[i]) <= set(np.argsort(-np.abs(values), kind="stable")[:2])
            for values, i in zip(exp.attributions, chosen)]
    assert np.mean(hits) >= 0.95, np.mean(hits)


@pytest.mark.slow
def test_demo_reviews_model_learned_the_rule(reviews):
    import tensorflow as tf

    model, (texts, y), names = reviews
    assert names == ["negative", "neutral", "positive"]
    predicted = model(tf.constant(texts)[:, None], training=False).numpy().argmax(axis=1)
    assert (predicted == y).mean() >= 0.98


@pytest.mark.slow
def test_integrated_gradients_completeness_within_five_percent(reviews):
    model, (texts, _), _ = reviews
    exp = xw.explain(model, texts[:64], method="integrated_gradients")
    assert exp.params["steps"] == 32
    gap = exp.scores - exp.params["baseline_scores"]
    assert (np.abs(exp.completeness_delta) <= 0.05 * np.abs(gap)).all()
    # the target is fixed along the path: explaining the other class gives other values
    other = xw.explain(model, texts[:2], method="integrated_gradients",
                       target=((exp.targets[:2] + 1) % 3).astype(int))
    assert not np.allclose(other.attributions[0], exp.attributions[0])


def test_text_registrations_and_clear_errors(linear, keras):
    model, _, _ = linear
    assert set(xw.methods(kind="text")) == {"gradient_x_input", "integrated_gradients",
                                            "occlusion", "kernel_shap"}
    assert xw.methods(kind="text")["integrated_gradients"]["options"]["baseline"][
        "choices"] == ["zeros", "pad"]
    with pytest.raises(ExplainError, match="vocabulary= .* or tokenizer="):
        xw.explain(model, np.zeros((1, L), np.int32), method="occlusion", tokenizer=None,
                   vocabulary=None)
    with pytest.raises(ExplainError, match="target 5 is out of range"):
        xw.explain(model, "good movie", target=5, vocabulary=VOCAB)
    with pytest.raises(ExplainError, match="unknown option"):
        xw.explain(model, "good movie", vocabulary=VOCAB, steps_per_word=3)
    with pytest.raises(ExplainError, match="no words"):
        xw.explain(model, ["good", "   "], vocabulary=VOCAB)
    with pytest.raises(ExplainError, match="token id 99"):
        xw.explain(model, "good", method="occlusion", vocabulary=VOCAB, replace=99)
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ExplainError, match="no Embedding layer"):
        xw.explain(dense, "good", vocabulary=VOCAB)


def test_occlusion_replacement_by_a_chosen_token(linear):
    model, c, _ = linear
    # replacing a word by the unknown token: the drop is its contribution minus [UNK]'s
    exp = xw.explain(model, "good movie", method="occlusion", target=0, vocabulary=VOCAB,
                     replace="unknown")
    np.testing.assert_allclose(exp.attributions[0], c[[2, 4], 0] - c[1, 0], atol=1e-5)
    # removing a word from an average-pooled model: exactly its contribution
    exp = xw.explain(model, "good movie", method="occlusion", target=0, vocabulary=VOCAB)
    np.testing.assert_allclose(exp.attributions[0], c[[2, 4], 0], atol=1e-5)


def _architectures(keras):
    """Embedding -> (Conv1D | BiGRU with a mask | LSTM with a mask | self-attention with a
    mask) -> Dense, on token ids of length 10; seeded random weights."""
    from keras import layers

    keras.utils.set_random_seed(1)
    V, dim = len(VOCAB), 8

    def ids_input():
        return keras.Input((10,), dtype="int32")

    conv = keras.Sequential([ids_input(), layers.Embedding(V, dim),
                             layers.Conv1D(6, 3, padding="same", activation="relu"),
                             layers.GlobalMaxPooling1D(), layers.Dense(3, activation="softmax")])
    gru = keras.Sequential([ids_input(), layers.Embedding(V, dim, mask_zero=True),
                            layers.Bidirectional(layers.GRU(5)), layers.Dense(3)])
    lstm = keras.Sequential([ids_input(), layers.Embedding(V, dim, mask_zero=True),
                             layers.LSTM(5), layers.Dense(1, activation="sigmoid")])
    i = ids_input()
    e = layers.Embedding(V, dim, mask_zero=True, name="words")(i)
    a = layers.MultiHeadAttention(2, 4)(e, e)
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(a))
    attention = keras.Model(i, out)
    return {"conv": conv, "bigru": gru, "lstm": lstm, "attention": attention}


@pytest.mark.parametrize("name", ["conv", "bigru", "lstm", "attention"])
def test_every_architecture_predicts_as_the_model_and_ig_is_complete(keras, name):
    model = _architectures(keras)[name]
    texts = ["the movie not good", "bad fun the movie the good play"]
    exp = xw.explain(model, texts, method="integrated_gradients", vocabulary=VOCAB, steps=64)
    # the graph run from the Embedding on (its mask included) predicts what the model does
    np.testing.assert_allclose(exp.outputs, model.predict(exp.inputs, verbose=0), atol=1e-5)
    gap = exp.scores - exp.params["baseline_scores"]
    assert (np.abs(exp.completeness_delta) <= 0.01 * np.abs(gap) + 1e-4).all(), (
        exp.completeness_delta, gap)
    # padding changes nothing for a masked model: its words keep their values
    if name != "conv":
        assert [len(a) for a in exp.attributions] == [4, 7]


def test_string_lookup_model_and_a_named_embedding(keras):
    from keras import layers

    lookup = layers.StringLookup(vocabulary=VOCAB[2:], mask_token="", name="lookup")
    model = keras.Sequential([keras.Input((6,), dtype="string"), lookup,
                              layers.Embedding(lookup.vocabulary_size(), 4, name="vectors"),
                              layers.GlobalAveragePooling1D(), layers.Dense(2)])
    exp = xw.explain(model, ["good movie", "not fun at all"], method="occlusion",
                     embedding_layer="vectors")
    assert exp.params["embedding_layer"] == "vectors" and exp.params["pad_id"] == 0
    import tensorflow as tf

    padded = [["good", "movie", "", "", "", ""], ["not", "fun", "at", "all", "", ""]]
    np.testing.assert_allclose(exp.outputs, model(tf.constant(padded)).numpy(), atol=1e-6)
    with pytest.raises(ExplainError, match="embedding_layer='nope' is not a layer"):
        xw.explain(model, "good", embedding_layer="nope")


def test_repeated_calls_do_not_retrace(linear):
    from xai_widgets.explainers.text import text_model

    model, _, _ = linear
    for texts in (["good movie"], ["bad", "the movie not good fun", "fun"] * 5):
        for method in ("integrated_gradients", "gradient_x_input", "occlusion"):
            xw.explain(model, texts, method=method, vocabulary=VOCAB, target=0)
    tm = text_model(model, vocabulary=VOCAB)
    counts = {k: fn.experimental_get_tracing_count() for k, fn in tm.functions.items()}
    assert counts == {"embed": 1, "scores": 1, "path_gradients": 1}, counts


def test_progress_and_cancel_between_batches(linear):
    model, _, _ = linear
    seen = []
    xw.explain(model, ["good movie"] * 3, method="integrated_gradients", vocabulary=VOCAB,
               steps=16, batch_size=8, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (48, 48) and len(seen) == 6
    with pytest.raises(xw.Cancelled):
        xw.explain(model, ["good movie"] * 3, method="integrated_gradients", vocabulary=VOCAB,
                   steps=16, batch_size=8, cancel=lambda: True)
    with pytest.raises(ExplainError, match="text methods take a string or a list of strings"):
        xw.explain(model, np.zeros((1, L), np.int32), vocabulary=VOCAB)
    with pytest.raises(ExplainError, match=r"'saliency' does not explain text inputs .*"
                                           r"methods for text inputs: \['gradient_x_input'"):
        xw.explain(model, ["good movie"], method="saliency")


@pytest.mark.slow
def test_randomising_the_weights_changes_the_explanation(reviews, keras):
    """Sanity check (Adebayo et al.): the words' values depend on what the model learned."""
    model, (texts, _), _ = reviews
    chosen = texts[:16]
    trained = xw.explain(model, chosen, method="integrated_gradients", target=2)
    from keras import layers

    # the same architecture around the trained vectorizer (a clone's TextVectorization would
    # have no vocabulary), every weight after it random
    copy = keras.Sequential([
        keras.Input((1,), dtype="string"), model.get_layer("vectorize"),
        layers.Embedding(200, 16, name="embedding"),
        layers.Conv1D(32, 3, padding="same", activation="relu", name="conv"),
        layers.GlobalMaxPooling1D(), layers.Dense(3, activation="softmax", name="probabilities")])
    rng = np.random.default_rng(0)
    for name in ("embedding", "conv", "probabilities"):
        layer = copy.get_layer(name)
        layer.set_weights([rng.normal(scale=0.3, size=w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    randomised = xw.explain(copy, chosen, method="integrated_gradients", target=2)
    a = np.concatenate(trained.attributions)
    b = np.concatenate(randomised.attributions)
    assert abs(np.corrcoef(np.abs(a), np.abs(b))[0, 1]) < 0.4  # 0.14 when written


def test_plot_draws_every_text(linear):
    model, _, _ = linear
    exp = xw.explain(model, ["good movie", "the bad fun"], method="occlusion", vocabulary=VOCAB)
    fig = exp.plot(["neg", "pos"])
    drawn = [t.get_text() for t in fig.axes[0].texts]
    for word in ["good", "movie", "the", "bad", "fun"]:
        assert word in drawn
    assert len(fig.axes) == 3  # the words, and a colorbar per text
