"""The Shapley arithmetic shared by the tabular, text and superpixel KernelSHAP
(xai_widgets/explainers/shapley.py), on games whose answers are known: no model."""

import itertools
import math

import numpy as np
import pytest

from xai_widgets.explainers.shapley import (
    all_coalitions,
    exact_shapley,
    kernel_coalitions,
    kernel_fit,
)


def brute_force(v, n):
    """The definition: each player's marginal contribution averaged over all orders."""
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        code = 0
        for j in order:
            phi[j] += v[code | (1 << j)] - v[code]
            code |= 1 << j
    return phi / math.factorial(n)


def test_exact_shapley_is_the_average_marginal_contribution_over_all_orders():
    rng = np.random.default_rng(0)
    n = 5
    masks = all_coalitions(n)
    assert masks.shape == (32, 5) and masks.dtype == bool
    assert masks[0b10110].tolist() == [False, True, True, False, True]  # row c is code c
    v = rng.normal(size=2 ** n)  # an arbitrary game, interactions everywhere
    np.testing.assert_allclose(exact_shapley(v, n), brute_force(v, n), atol=1e-12)


def additive_game(masks, weights, constant):
    return constant + masks.astype(np.float64) @ weights


def test_kernel_fit_recovers_an_additive_game_exactly_with_zero_standard_errors():
    rng = np.random.default_rng(1)
    n = 14
    weights = rng.normal(size=n)
    masks = kernel_coalitions(n, 256, seed=0)
    assert masks.shape == (256, n)
    np.testing.assert_array_equal(masks[0::2], ~masks[1::2])  # each with its complement
    assert (masks.sum(axis=1) > 0).all() and (masks.sum(axis=1) < n).all()
    v = additive_game(masks, weights, 0.5)
    phi, errors = kernel_fit(masks, v, 0.5, 0.5 + weights.sum(), seed=0)
    np.testing.assert_allclose(phi, weights, atol=1e-9)
    np.testing.assert_allclose(errors, 0.0, atol=1e-9)


def test_kernel_fit_keeps_efficiency_approaches_the_exact_values_and_is_seeded():
    """A game with interactions of every order (paired sampling is exact up to pairs):
    sum(phi) = v(all) - v(none) exactly; the estimate lies within 4 standard errors of the
    exact Shapley values for nearly every player."""
    rng = np.random.default_rng(2)
    n = 12
    weights = rng.normal(size=n)
    game = lambda m: np.sin(m.astype(np.float64) @ weights)  # noqa: E731
    truth = exact_shapley(game(all_coalitions(n)), n)
    v_none, v_all = 0.0, float(np.sin(weights.sum()))
    run = lambda seed: kernel_fit(masks := kernel_coalitions(n, 512, seed),  # noqa: E731
                                  game(masks), v_none, v_all, seed)
    (phi, errors), (again, _), (other, _) = run(0), run(0), run(1)
    assert phi.sum() == pytest.approx(v_all - v_none, abs=1e-9)
    np.testing.assert_array_equal(phi, again)
    assert not np.allclose(phi, other)
    assert (errors > 0).all()
    assert (np.abs(phi - truth) / errors < 4).mean() >= 0.9


def test_too_few_coalitions_give_nan_standard_errors_never_a_false_zero():
    n = 14
    masks = kernel_coalitions(n, 2, seed=0)  # one pair: nothing pins 13 unknowns down
    v = additive_game(masks, np.arange(n, dtype=np.float64), 0.0)
    phi, errors = kernel_fit(masks, v, 0.0, float(np.arange(n).sum()), seed=0)
    assert phi.sum() == pytest.approx(np.arange(n).sum())  # efficiency still holds
    assert np.isnan(errors).all()
