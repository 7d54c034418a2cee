"""Shapley values from a coalition game's values, whoever the players are (a table's
features, a text's words, an image's superpixels): pure numpy, no model.

* ``all_coalitions`` / ``exact_shapley``: every coalition (code c: bit j = player j present)
  and the Shapley values by enumeration;
* ``kernel_coalitions`` / ``kernel_fit``: KernelSHAP, paired coalitions sampled from the
  Shapley kernel's distribution, a least-squares fit under sum(phi) = v(all) - v(none) and
  bootstrap standard errors (no more model calls).

The caller turns coalitions into model inputs and values (``tabular``, ``text``,
``superpixels``).
"""

from __future__ import annotations

import math

import numpy as np

BOOTSTRAP = 32  # re-fits over resampled coalition pairs, for the standard errors


def all_coalitions(n: int) -> np.ndarray:
    """All 2^n coalitions of n players as (2^n, n) bools; row c is coalition code c."""
    codes = np.arange(2 ** n)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)


def exact_shapley(v: np.ndarray, n: int) -> np.ndarray:
    """Shapley values from v over all 2^n coalitions (coalition code c: bit j = player j)."""
    codes = np.arange(2 ** n)
    sizes = np.array([bin(c).count("1") for c in codes])
    # weight of a coalition S (not containing j) in phi_j: |S|! (n - |S| - 1)! / n!
    weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
                        if s < n else 0.0 for s in range(n + 1)])
    phi = np.empty(n)
    for j in range(n):
        without = codes[(codes >> j) & 1 == 0]
        phi[j] = (weights[sizes[without]] * (v[without | (1 << j)] - v[without])).sum()
    return phi


def kernel_coalitions(n: int, samples: int, seed: int) -> np.ndarray:
    """``samples`` (at least 2, even) coalitions of n players as (2 * half, n) bools: a size
    from the Shapley kernel's distribution, then a uniformly random subset of that size (the
    players whose random rank is below the size), each followed by its complement (which
    halves the variance). Seeded."""
    rng = np.random.default_rng(seed)
    sizes = np.arange(1, n)
    p = (n - 1) / (sizes * (n - sizes))
    p /= p.sum()
    half = max(1, samples // 2)
    size = rng.choice(sizes, size=half, p=p)
    ranks = rng.random((half, n)).argsort(axis=1).argsort(axis=1)
    chosen = ranks < size[:, None]
    masks = np.empty((2 * half, n), bool)
    masks[0::2], masks[1::2] = chosen, ~chosen
    return masks


def _constrained_fit(design, response, delta) -> np.ndarray:
    """phi with sum(phi) = delta, least squares through the (n-1) x (n-1) normal equations
    (the paired design is well conditioned; ~50x faster than an SVD of the full design)."""
    try:
        head = np.linalg.solve(design.T @ design, design.T @ response)
    except np.linalg.LinAlgError:  # too few samples to pin every player down
        head, *_ = np.linalg.lstsq(design, response, rcond=None)
    return np.append(head, delta - head.sum())


def kernel_fit(masks, v_s, v_empty: float, v_full: float,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """KernelSHAP's fit of the values ``v_s`` of the paired coalitions ``masks`` (from
    ``kernel_coalitions``): (phi, standard errors of phi).

    Sampling from the kernel's distribution makes the weights uniform; sum(phi) = v_full -
    v_empty is imposed by eliminating the last player. The standard errors are the spread of
    ``BOOTSTRAP`` re-fits on coalition pairs drawn with replacement (seed + 1), NaN when a
    resample is too thin to pin every player down."""
    n = masks.shape[1]
    delta = v_full - v_empty
    z = np.asarray(masks, np.float64)
    design = z[:, :-1] - z[:, -1:]
    response = (v_s - v_empty) - z[:, -1] * delta
    phi = _constrained_fit(design, response, delta)
    # A refit only needs the normal equations, so each pair's share of them is computed
    # once and every refit is a weighted sum of those.
    half, m = len(z) // 2, design.shape[1]
    pairs = design.reshape(half, 2, m)
    per_pair_gram = np.einsum("pki,pkj->pij", pairs, pairs).reshape(half, m * m)
    per_pair_rhs = np.einsum("pki,pk->pi", pairs, response.reshape(half, 2))
    picks = np.random.default_rng(seed + 1).integers(0, half, size=(BOOTSTRAP, half))
    counts = np.stack([np.bincount(p, minlength=half) for p in picks]).astype(np.float64)
    grams = (counts @ per_pair_gram).reshape(BOOTSTRAP, m, m)
    try:
        heads = np.linalg.solve(grams, (counts @ per_pair_rhs)[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a resample too thin to pin every player down
        return phi, np.full(n, np.nan)
    refits = np.concatenate([heads, (delta - heads.sum(axis=1))[:, None]], axis=1)
    return phi, refits.std(axis=0)
