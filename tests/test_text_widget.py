"""TextExplainer state and messages: driven as the browser drives it (``set_state``), values
checked against the analytic linear model of test_text."""

import numpy as np
import pytest
import traitlets

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets._encode import decode_payload

L, D = 12, 4
VOCAB = ["[PAD]", "[UNK]", "good", "bad", "movie", "the", "not", "<b>bold</b>", "fun"]


@pytest.fixture(scope="module")
def linear(keras):
    """score_k = sum over positions E[id] . W[:, k] / L + b_k, softmax on top."""
    from keras import layers

    rng = np.random.default_rng(3)
    E = rng.normal(size=(len(VOCAB), D)).astype(np.float32)
    E[0] = 0.0
    W = rng.normal(size=(D, 2)).astype(np.float32)
    model = keras.Sequential([
        keras.Input((L,), dtype="int32"),
        layers.Embedding(len(VOCAB), D, name="emb"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2, activation="softmax", name="out"),
    ])
    model.get_layer("emb").set_weights([E])
    model.get_layer("out").set_weights([W, np.zeros(2, np.float32)])
    return model, E @ W / L


def values(row):
    return decode_payload(row["values"]).astype(np.float64)


def test_widget_shows_each_word_with_its_value_and_follows_the_text(linear):
    model, c = linear
    names = ["<i>neg</i>", "pos & more"]
    t = xw.TextExplainer(model, ["good movie", "not bad"], class_names=names,
                         vocabulary=VOCAB)
    row = t.rows[0]
    assert row["words"] == ["good", "movie"] and row["signed"]
    target = t.shown["class_index"]
    np.testing.assert_allclose(values(row), c[[2, 4], target], rtol=1e-4, atol=1e-6)
    assert row["values"]["dtype"] == "float32"  # binary, never a JSON list of floats
    assert "completeness delta" in row["caption"] and names[target] in row["caption"]
    # probabilities only because the model ends in softmax
    assert {e["value_kind"] for e in t.top_classes} == {"probability"}
    assert abs(sum(e["value"] for e in t.top_classes) - 1) < 1e-5

    t.set_state({"text": "the <b>bold</b> fun fun"})  # as the browser sends an edit
    t.wait(60)
    assert t.rows[0]["words"] == ["the", "<b>bold</b>", "fun", "fun"]  # markup stays text
    v = values(t.rows[0])
    assert v[2] == pytest.approx(v[3], rel=1e-5)  # a repeated word: its value at each place
    assert t.explanation.texts == ["the <b>bold</b> fun fun"]

    t.target = 1 - target  # choosing a class explains that class
    np.testing.assert_allclose(values(t.rows[0]), c[[5, 7, 8, 8], 1 - target], rtol=1e-4,
                               atol=1e-6)
    t.compare = ["occlusion", "kernel_shap"]
    assert [r["method"] for r in t.rows] == ["integrated_gradients", "occlusion",
                                             "kernel_shap"]
    assert xw.methods(kind="text").keys() == t.methods.keys()
    png = t.to_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    t.close()


def test_widget_errors_are_clear_and_the_view_keeps_what_it_shows(linear):
    model, _ = linear
    with pytest.raises(ExplainError, match="vocabulary= .* or tokenizer="):
        xw.TextExplainer(model, ["good"])
    with pytest.raises(ExplainError, match="does not explain text"):
        xw.TextExplainer(model, ["good"], vocabulary=VOCAB, method="gradcam")
    t = xw.TextExplainer(model, "good movie", vocabulary=VOCAB)
    with pytest.raises(traitlets.TraitError, match="out of range"):
        t.target = 7
    with pytest.raises(traitlets.TraitError, match="no words"):
        t.text = "   "
    t.method = "occlusion"
    with pytest.raises(ExplainError, match="token id 99"):
        t.options = {"replace": 99}
    # the failure is shown in the widget, and the request goes back to what is shown
    assert t.status == "error" and "token id 99" in t.error
    assert t.options == {} and "still showing" in t.notice
    t.close()


def test_a_logits_model_shows_scores_never_probabilities(keras):
    from keras import layers

    model = keras.Sequential([keras.Input((L,), dtype="int32"),
                              layers.Embedding(len(VOCAB), D), layers.GlobalAveragePooling1D(),
                              layers.Dense(3)])
    t = xw.TextExplainer(model, "good movie", vocabulary=VOCAB, method="occlusion")
    assert {e["value_kind"] for e in t.top_classes} == {"score"}
    assert "(score " in t.rows[0]["caption"] and "probability" not in t.rows[0]["caption"]
    t.close()
