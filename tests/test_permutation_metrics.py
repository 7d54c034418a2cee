"""Permutation importance with log-loss, a callable scorer and groups (issue 19), on a model
whose answer is known: class 1 iff x0 > 0.5 (a wide margin), x1 and its copy x3 add
confidence in the true class without ever flipping it, x2 is ignored."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers.tabular import permutation_importance

NAMES = ["decider", "hint", "ignored", "hint_copy"]


@pytest.fixture(scope="module")
def known(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax",
                                                                  name="dense")])
    kernel = np.zeros((4, 2), np.float32)
    kernel[:, 1] = [20.0, 2.0, 0.0, 2.0]  # logit1 - logit0 = 20 x0 - 10 + 2 (x1 + x3) - 2
    model.get_layer("dense").set_weights([kernel, np.array([0.0, -12.0], np.float32)])
    rng = np.random.default_rng(0)
    n = 200
    x0 = np.where(rng.uniform(size=n) < 0.5, rng.uniform(0.0, 0.35, n), rng.uniform(0.65, 1, n))
    y = (x0 > 0.5).astype(np.int64)
    X = np.stack([x0, y, rng.normal(size=n), y], axis=1).astype(np.float32)
    return model, X, y


def test_log_loss_baseline_equals_sklearn_and_sees_what_accuracy_cannot(known):
    from sklearn.metrics import log_loss

    model, X, y = known
    acc = permutation_importance(model, X, y, metric="accuracy", feature_names=NAMES)
    loss = permutation_importance(model, X, y, metric="log_loss", feature_names=NAMES)
    probs = model.predict(X, verbose=0)
    assert loss.metric == "log_loss"
    assert loss.baseline == pytest.approx(log_loss(y, probs, labels=[0, 1]), rel=1e-4)
    # |20 (x0 - 0.5)| >= 3 > 2 + 2: shuffling the hints never flips a prediction
    assert acc.baseline == 1.0 and acc.mean[1] == 0.0 and acc.mean[3] == 0.0
    # ... but it lowers the confidence in the true class: the log-loss rises
    assert loss.mean[1] > 1e-3 and loss.mean[3] > 1e-3 and loss.mean[0] > 1.0
    assert loss.mean[2] == 0.0 and acc.mean[2] == 0.0  # the ignored column, exactly


def test_a_callable_scorer_is_used_as_given(known):
    from sklearn.metrics import log_loss

    model, X, y = known

    def neg_log_loss(y_true, outputs):
        return -log_loss(y_true, outputs, labels=[0, 1])

    theirs = permutation_importance(model, X, y, metric=neg_log_loss)
    ours = permutation_importance(model, X, y, metric="log_loss")
    assert theirs.metric == "neg_log_loss"
    assert theirs.baseline == pytest.approx(-ours.baseline, rel=1e-4)
    np.testing.assert_allclose(theirs.drops, ours.drops, rtol=1e-3, atol=1e-6)


def test_a_group_of_copies_matters_more_than_each_copy(known):
    """x1 and x3 hold the same information; shuffling one leaves the other. Shuffled
    together, the whole hint is gone: the group's drop exceeds each member's."""
    model, X, y = known
    result = permutation_importance(model, X, y, metric="log_loss", feature_names=NAMES,
                                    groups={"hints": ["hint", "hint_copy"], "noise": [2]})
    assert result.group_names == ["hints", "noise"]
    assert result.group_members == [[1, 3], [2]]
    assert result.group_drops.shape == (2, 5)
    assert result.group_mean[0] > 1.5 * max(result.mean[1], result.mean[3])
    assert result.group_mean[1] == 0.0
    # a group of one column is that column (the same shuffles are not reused, so compare
    # the ignored one, exactly 0 both ways)
    assert result.mean[2] == 0.0


def test_bad_metric_and_groups_are_refused_before_computing(known):
    model, X, y = known
    with pytest.raises(ExplainError, match="unknown metric"):
        permutation_importance(model, X, y, metric="f1")
    with pytest.raises(ExplainError, match="unknown feature 'radius'"):
        permutation_importance(model, X, y, feature_names=NAMES, groups={"size": ["radius"]})
    with pytest.raises(ExplainError, match="out of range"):
        permutation_importance(model, X, y, groups={"size": [7]})
    with pytest.raises(ExplainError, match="probabilities"):
        permutation_importance(model, X, y, metric="log_loss", output="logit")


def test_the_widget_computes_and_sends_the_groups(known):
    from xai_widgets._encode import decode_payload

    model, X, y = known
    w = xw.FeatureImportance(model, X, y, feature_names=NAMES, metric="log_loss",
                             groups={"hints": ["hint", "hint_copy"]}, shap_rows=5,
                             background=5)
    g = w.global_importance
    assert g["metric"] == "log_loss" and g["group_names"] == ["hints"]
    assert g["group_mean"][0] > 1.5 * max(g["permutation_mean"][1], g["permutation_mean"][3])
    sent = w.importance["permutation"]["groups"]
    assert sent["names"] == ["hints"] and sent["members"] == [[1, 3]]
    np.testing.assert_allclose(decode_payload(sent["mean"]), g["group_mean"], rtol=1e-6)
    # the static figure (to_png) names the group and its drop too
    import xai_widgets.plotting as plotting

    drawn = []
    original = plotting.figure_png
    plotting.figure_png = lambda fig, path=None: drawn.append(fig) or original(fig, path)
    try:
        assert w.to_png()[:4] == b"\x89PNG"
    finally:
        plotting.figure_png = original
    assert "shuffled together: hints" in drawn[0].axes[0].get_xlabel()
    with pytest.raises(ExplainError, match="unknown feature 'radius'"):
        xw.FeatureImportance(model, X, y, feature_names=NAMES, groups={"size": ["radius"]})
    with pytest.raises(ExplainError, match="unknown metric"):
        xw.FeatureImportance(model, X, y, metric="f1")
