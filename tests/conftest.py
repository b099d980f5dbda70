"""Shared fixtures for the unit tests (not for the notebooks, which keep the inline backend)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # unit tests only; never set MPLBACKEND for notebook kernels


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


def gaussian_instance(m, n, s, seed):
    """A small seeded Gaussian sparse instance (independent of implicit_bias.examples)."""
    g = np.random.default_rng(seed)
    A = g.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    idx = g.choice(n, s, replace=False)
    x[idx] = g.choice([-1.0, 1.0], s) * (1.0 + g.random(s))
    return A, A @ x, x
