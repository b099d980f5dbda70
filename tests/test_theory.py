"""Tests of implicit_bias.theory against the exact flow limit and independent computations."""

import doctest
import math

import implicit_bias.theory as theory_module
import mpmath
import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from conftest import textbook_basis_pursuit, textbook_varrho_nullspace
from implicit_bias.diagonal import flow_limit, h, potential
from implicit_bias.examples import gaussian_instance, nonunique_example, one_by_two
from implicit_bias.l1 import basis_pursuit, solution_on_support, varrho
from implicit_bias.theory import (
    error_constant,
    error_constant_certificate,
    fit_loglog_slope,
    l1_distance,
    l1_gap_bound,
    rate_exponent,
    selected_minimizer,
)


def test_doctests():
    res = doctest.testmod(theory_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 5


# ----------------------------------------------------------------------------------------------
# D = 2: the rate 1 - varrho
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 3])
def test_depth2_slope_matches_one_minus_varrho(seed):
    inst = gaussian_instance(40, 100, 4, rng=seed)
    A, y = inst.A, inst.y
    x_l1 = basis_pursuit(A, y).x
    alphas = np.logspace(-12, -6, 7)
    errs = [l1_distance(flow_limit(A, y, 2, a).x, x_l1) for a in alphas]
    predicted = rate_exponent(A, y, 2)
    # independent: 1 - varrho with varrho from the null-space LP written in conftest (the LP
    # dual of the certificate LP the library solves), on the support of a textbook LP solution
    x_ref = textbook_basis_pursuit(A, y)
    S = np.flatnonzero(np.abs(x_ref) > 1e-9 * np.max(np.abs(x_ref)))
    assert predicted == pytest.approx(1 - textbook_varrho_nullspace(A, S, np.sign(x_ref[S])),
                                      abs=1e-9)
    assert fit_loglog_slope(alphas, errs) == pytest.approx(predicted, abs=0.02)


def test_depth2_slope_in_extended_precision():
    """Far below float64 (alpha down to 1e-60, exact data): slope -> 1 - varrho."""
    inst = gaussian_instance(6, 12, 2, rng=0, exact=True)
    A, y = inst.A, inst.y
    ref = solution_on_support(A, y, inst.support, digits=30)
    alphas = [1e-40, 1e-50, 1e-60]
    errs = [l1_distance(flow_limit(A, y, 2, a, digits=30).x_mp, ref) for a in alphas]
    assert isinstance(errs[0], mpmath.mpf) and errs[-1] < 1e-25
    assert fit_loglog_slope(alphas, errs) == pytest.approx(rate_exponent(A, y, 2), abs=0.005)


def test_rate_exponent_depth_ge3_and_errors():
    ex = one_by_two(0.3)
    assert rate_exponent(ex.A, ex.y, 2) == pytest.approx(0.7)
    assert rate_exponent(ex.A, ex.y, 5) == 1.0
    nu = nonunique_example()
    with pytest.raises(ValueError, match="not unique"):
        rate_exponent(nu.A, nu.y, 2)
    with pytest.raises(ValueError, match="not unique"):
        error_constant(nu.A, nu.y, 3)
    with pytest.raises(ValueError):
        rate_exponent(ex.A, ex.y, 1)
    with pytest.raises(ValueError):
        rate_exponent(ex.A, np.zeros(1), 2)


# ----------------------------------------------------------------------------------------------
# D >= 3: the constant
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", [0.0, 0.4, 0.9])
@pytest.mark.parametrize("depth", [3, 4, 7])
def test_error_constant_one_by_two_closed_form(c, depth):
    ex = one_by_two(c)
    expected = (1 + c) * float(h(c, depth))
    assert error_constant(ex.A, ex.y, depth) == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("depth, alpha", [(3, 1e-9), (4, 1e-8), (5, 1e-8)])
def test_error_constant_matches_flow_limit(depth, alpha):
    inst = gaussian_instance(40, 100, 4, rng=2)
    A, y = inst.A, inst.y
    res = error_constant_certificate(A, y, depth)
    x_l1 = basis_pursuit(A, y).x
    x = flow_limit(A, y, depth, alpha).x
    assert l1_distance(x, x_l1) / alpha == pytest.approx(res.value, rel=0.01)
    # componentwise: (x_inf - x_l1) / alpha -> offsupport_limit
    np.testing.assert_allclose((x - x_l1) / alpha, res.error_limit,
                               atol=0.02 * np.abs(res.error_limit).max())
    np.testing.assert_allclose(x[res.offsupport] / alpha, res.offsupport_limit,
                               atol=0.02 * np.abs(res.offsupport_limit).max())
    assert np.abs(res.error_limit).sum() == pytest.approx(res.value, rel=1e-12)
    assert np.max(np.abs(res.w)) >= varrho(A, x_l1) - 1e-12


@pytest.mark.parametrize("depth", [3, 4])
def test_error_constant_extended_precision(depth):
    """Exact data, alpha = 1e-16 with 30 digits: err / alpha matches to 1e-4."""
    inst = gaussian_instance(6, 12, 2, rng=0, exact=True)
    A, y = inst.A, inst.y
    ref = solution_on_support(A, y, inst.support, digits=30)
    alpha = 1e-16
    err = l1_distance(flow_limit(A, y, depth, alpha, digits=30).x_mp, ref)
    assert float(err / alpha) == pytest.approx(error_constant(A, y, depth), rel=1e-4)


def test_error_constant_certificate_is_optimal():
    """KKT of min sum H_D(a_j^T lam) s.t. A_S^T lam = sigma, and comparison with SLSQP."""
    inst = gaussian_instance(12, 30, 3, rng=4)
    A, y = inst.A, inst.y
    depth = 3
    res = error_constant_certificate(A, y, depth)
    S = res.support
    comp = np.setdiff1d(np.arange(30), S)
    sigma = np.sign(inst.x_star[S])
    np.testing.assert_allclose(A[:, S].T @ res.lam, sigma, atol=1e-10)
    grad = A[:, comp] @ h(res.w, depth)
    # the gradient must lie in range(A_S): its projection on ker(A_S^T) vanishes
    Q, _ = np.linalg.qr(A[:, S])
    assert np.linalg.norm(grad - Q @ (Q.T @ grad)) < 1e-8 * max(1, np.linalg.norm(grad))
    p = depth / (depth - 2)

    def H(lam):
        z = A[:, comp].T @ lam
        return np.sum(((1 - z) ** (1 - p) + (1 + z) ** (1 - p) - 2) / (p - 1))

    # no feasible perturbation (A_S^T d = 0) decreases the convex objective
    Z = scipy.linalg.null_space(A[:, S].T)
    rng = np.random.default_rng(0)
    f0 = H(res.lam)
    for _ in range(200):
        d = Z @ rng.standard_normal(Z.shape[1])
        for eps in (1e-4, 1e-2):
            lam = res.lam + eps * d / np.linalg.norm(d)
            if np.max(np.abs(A[:, comp].T @ lam)) < 1:
                assert H(lam) >= f0 - 1e-12


def test_error_constant_blows_up_as_varrho_to_one():
    vals = [error_constant(one_by_two(c).A, [1.0], 3) for c in (0.5, 0.9, 0.99)]
    assert np.all(np.diff(vals) > 0) and vals[-1] > 1e5


def test_error_constant_bad_depth():
    ex = one_by_two(0.5)
    with pytest.raises(ValueError):
        error_constant(ex.A, ex.y, 2)


# ----------------------------------------------------------------------------------------------
# selection among several minimizers
# ----------------------------------------------------------------------------------------------
def _face_optimum(ex, depth):
    """Independent: 1-D bounded minimization along the segment."""
    if depth == 2:
        def f(t):
            x = np.abs(ex.point(t))
            return float(np.sum(x * np.log(np.where(x > 0, x, 1))))
    else:
        def f(t):
            return -float(np.sum(np.abs(ex.point(t)) ** (2 / depth)))
    lo, hi = ex.t_range
    return scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                          options={"xatol": 1e-12}).x


# values predicted in the research notes (stoger_matt.md section 6)
NOTES_T = {2: 0.051742, 3: 0.052371, 4: 0.052694, 6: 0.053021}


@pytest.mark.parametrize("depth", [2, 3, 4, 6])
def test_selected_minimizer_nonunique_example(depth):
    ex = nonunique_example()
    x = selected_minimizer(ex.A, ex.y, depth)
    t = ex.coordinate(x)
    np.testing.assert_allclose(x, ex.point(t), atol=1e-13)
    assert t == pytest.approx(_face_optimum(ex, depth), abs=1e-8)
    assert round(t, 6) == NOTES_T[depth]
    # the flow limit at small alpha (float64 suffices here: errors ~ alpha^((D-2)/D) or less)
    alpha = 1e-12
    xf = flow_limit(ex.A, ex.y, depth, alpha).x
    assert np.abs(xf - x).max() < 1e-5


def test_selected_minimizer_duplicated_column_splits_equally():
    inst = gaussian_instance(20, 40, 3, rng=6)
    j = inst.support[0]
    A = np.hstack([inst.A, inst.A[:, [j]]])
    y = inst.y
    # off the face the flow converges like alpha^(1 - varrho) for D = 2 (varrho = 0.48 here)
    for depth, alpha in ((2, 1e-14), (3, 1e-10)):
        x = selected_minimizer(A, y, depth)
        assert x[j] == pytest.approx(x[-1], abs=1e-10)
        assert x[j] + x[-1] == pytest.approx(inst.x_star[j], abs=1e-10)
        xf = flow_limit(A, y, depth, alpha).x
        assert np.abs(xf - x).max() < 1e-5


def test_selected_minimizer_unique_case_is_basis_pursuit():
    inst = gaussian_instance(20, 50, 3, rng=0)
    np.testing.assert_allclose(selected_minimizer(inst.A, inst.y, 3), inst.x_star, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# the l1 gap bound
# ----------------------------------------------------------------------------------------------
def test_potential_sandwich_inequalities():
    """The inequalities the bound is derived from, checked on a wide grid."""
    v = np.logspace(-3, 8, 300)
    slack = 1e-12 * np.maximum(1, v)
    for depth in (3, 4, 5, 8):
        q = np.array([potential([t], depth, 1.0) for t in v])
        assert np.all(q <= v + slack)
        assert np.all(q >= v - 0.5 * depth * v ** (2 / depth) - slack)
    q = np.array([potential([t], 2, 1.0) for t in v])
    assert np.all(q >= v * np.log(v) - v - slack)
    assert np.all(q <= (1 + v) * np.log1p(v) - v + slack)
    # log-sum inequality used for D = 2
    rng = np.random.default_rng(0)
    for _ in range(100):
        u = rng.exponential(size=20) * rng.integers(0, 2, 20)
        G = u.sum()
        if G > 0:
            assert np.sum(u[u > 0] * np.log(u[u > 0])) >= G * np.log(G / 20) - 1e-12


@pytest.mark.parametrize("seed", [0, 1])
def test_l1_gap_bound_holds(seed):
    inst = gaussian_instance(20, 50, 3, rng=seed)
    A, y = inst.A, inst.y
    B = basis_pursuit(A, y).objective
    for depth in (2, 3, 4):
        for alpha in (0.5, 1e-2, 1e-5, 1e-9):
            gap = np.abs(flow_limit(A, y, depth, alpha).x).sum() - B
            assert -1e-9 <= gap <= l1_gap_bound(A, y, depth, alpha)


def test_l1_gap_bound_holds_nonunique():
    ex = nonunique_example()
    for depth in (2, 3):
        for alpha in (1e-1, 1e-4):
            gap = np.abs(flow_limit(ex.A, ex.y, depth, alpha).x).sum() - 1.0
            assert gap <= l1_gap_bound(ex.A, ex.y, depth, alpha)


def test_l1_gap_bound_rates():
    inst = gaussian_instance(20, 50, 3, rng=0)
    A, y = inst.A, inst.y
    for depth in (3, 4):
        b1, b2 = l1_gap_bound(A, y, depth, 1e-12), l1_gap_bound(A, y, depth, 1e-16)
        assert math.log(b1 / b2) / math.log(1e4) == pytest.approx((depth - 2) / depth, abs=0.01)
    b1, b2 = l1_gap_bound(A, y, 2, 1e-50), l1_gap_bound(A, y, 2, 1e-100)
    assert b1 / b2 == pytest.approx(2, rel=0.05)  # ~ 1/log(1/alpha)
    assert l1_gap_bound(A, y, 2, 1.5) == math.inf


# ----------------------------------------------------------------------------------------------
# utilities
# ----------------------------------------------------------------------------------------------
def test_l1_distance_float_and_mp():
    assert l1_distance([1.0, -2.0], [0.0, 0.0]) == 3.0
    with mpmath.workdps(40):
        a = np.array([mpmath.mpf(1) + mpmath.mpf(10) ** -30, mpmath.mpf(2)], dtype=object)
    d = l1_distance(a, np.array([1.0, 2.0]))  # computed at the inputs' precision
    assert isinstance(d, mpmath.mpf)
    assert abs(d - mpmath.mpf(10) ** -30) < mpmath.mpf(10) ** -38
    with pytest.raises(ValueError):
        l1_distance([1.0, 2.0], [1.0])


def test_fit_loglog_slope():
    a = np.logspace(-10, -2, 9)
    assert fit_loglog_slope(a, 5 * a**0.37) == pytest.approx(0.37, abs=1e-12)
    tiny = [mpmath.mpf(10) ** -400 * mpmath.mpf(t) ** 2 for t in (1e-3, 1e-2, 1e-1)]
    assert fit_loglog_slope([1e-3, 1e-2, 1e-1], tiny) == pytest.approx(2, abs=1e-12)
    with pytest.raises(ValueError):
        fit_loglog_slope([1e-3, 1e-2], [1.0, 0.0])
    with pytest.raises(ValueError):
        fit_loglog_slope([1e-3], [1.0])
    with pytest.raises(ValueError):
        fit_loglog_slope([1e-3, 1e-2, 1e-1], [1.0, 2.0])
