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


# ----------------------------------------------------------------------------------------------
# textbook linear programs: independent references written from the definitions, sharing no
# code with implicit_bias (scipy's HiGHS on the plain formulations with all variables)
# ----------------------------------------------------------------------------------------------
def textbook_basis_pursuit(A, y):
    """min ||x||_1 s.t. A x = y, as an LP in (x+, x-) >= 0."""
    import scipy.optimize

    A = np.asarray(A, dtype=float)
    n = A.shape[1]
    res = scipy.optimize.linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=y,
                                 bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return res.x[:n] - res.x[n:]


def textbook_varrho_nullspace(A, support, signs):
    """varrho by the null-space LP: max <signs, h_S> s.t. A h = 0, ||h_{S^c}||_1 <= 1.

    The LP dual of the certificate LP min{||A_{S^c}^T lam||_inf : A_S^T lam = signs} that
    implicit_bias.l1.varrho solves, written here in the variables (h_S, h_{S^c}^+, h_{S^c}^-).
    """
    import scipy.optimize

    A = np.asarray(A, dtype=float)
    N = A.shape[1]
    S = np.asarray(support)
    C = np.setdiff1d(np.arange(N), S)
    s, k = S.size, C.size
    c = np.concatenate([-np.asarray(signs, dtype=float), np.zeros(2 * k)])
    A_eq = np.hstack([A[:, S], A[:, C], -A[:, C]])
    A_ub = np.concatenate([np.zeros(s), np.ones(2 * k)])[None, :]
    bounds = [(None, None)] * s + [(0, None)] * (2 * k)
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=[1.0], A_eq=A_eq, b_eq=np.zeros(A.shape[0]),
                                 bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -res.fun


def coordinate_ranges_are_points(A, y, value):
    """Independent uniqueness test: min and max of every coordinate over the l1 solution set."""
    import scipy.optimize

    N = A.shape[1]
    # variables p, q >= 0, x = p - q, A x = y, sum(p + q) <= value (+ tiny slack)
    A_eq = np.hstack([A, -A])
    A_ub = np.ones((1, 2 * N))
    spread = 0.0
    for i in range(N):
        c = np.zeros(2 * N)
        c[i], c[N + i] = 1.0, -1.0
        lo = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=[value + 1e-10], A_eq=A_eq, b_eq=y,
                                    bounds=(0, None), method="highs").fun
        hi = -scipy.optimize.linprog(-c, A_ub=A_ub, b_ub=[value + 1e-10], A_eq=A_eq, b_eq=y,
                                     bounds=(0, None), method="highs").fun
        spread = max(spread, hi - lo)
    return spread < 1e-6
