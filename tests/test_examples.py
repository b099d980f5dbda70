"""Tests of implicit_bias.examples against independent computations."""

import doctest
import math
from fractions import Fraction

import implicit_bias.examples as examples_module
import mpmath
import numpy as np
import pytest
from implicit_bias.diagonal import flow_limit, h
from implicit_bias.examples import (
    gaussian_instance,
    nonunique_example,
    one_by_two,
)
from implicit_bias.l1 import basis_pursuit, varrho


def test_doctests():
    res = doctest.testmod(examples_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 5


# ----------------------------------------------------------------------------------------------
# gaussian_instance
# ----------------------------------------------------------------------------------------------
def test_gaussian_instance_shapes_and_seed():
    a = gaussian_instance(30, 80, 5, rng=3)
    b = gaussian_instance(30, 80, 5, rng=3)
    c = gaussian_instance(30, 80, 5, rng=4)
    assert a.A.shape == (30, 80) and a.y.shape == (30,) and a.x_star.shape == (80,)
    np.testing.assert_array_equal(a.A, b.A)
    np.testing.assert_array_equal(a.x_star, b.x_star)
    assert not np.array_equal(a.A, c.A)
    assert np.array_equal(a.support, np.sort(a.support)) and a.sparsity == 5
    np.testing.assert_array_equal(np.flatnonzero(a.x_star), a.support)
    np.testing.assert_allclose(a.A @ a.x_star, a.y, rtol=0, atol=1e-14)
    mags = np.abs(a.x_star[a.support])
    assert np.all((mags >= 1) & (mags <= 2))
    assert a.shape == (30, 80) and a.seed == 3


def test_gaussian_instance_normalization():
    inst = gaussian_instance(400, 300, 3, rng=0)
    # entries N(0, 1/m): column norms^2 have mean 1 and sd sqrt(2/m) ~ 0.07
    col = np.sum(inst.A**2, axis=0)
    assert abs(col.mean() - 1) < 0.02
    raw = gaussian_instance(400, 300, 3, rng=0, normalize=False)
    np.testing.assert_allclose(raw.A / math.sqrt(400), inst.A)


def test_gaussian_instance_options():
    pos = gaussian_instance(10, 20, 6, rng=1, signs="positive", magnitudes="ones")
    np.testing.assert_array_equal(pos.x_star[pos.support], np.ones(6))
    g = gaussian_instance(10, 20, 6, rng=1, magnitudes="gaussian")
    assert g.support.size == 6
    z = gaussian_instance(10, 20, 0, rng=1)
    assert not np.any(z.y)


def test_gaussian_instance_exact_data():
    inst = gaussian_instance(40, 100, 6, rng=5, exact=True)
    for i in range(40):
        exact = sum(Fraction(float(inst.A[i, j])) * Fraction(float(inst.x_star[j]))
                    for j in inst.support)
        assert Fraction(float(inst.y[i])) == exact


@pytest.mark.parametrize("kwargs, err", [
    (dict(m=5, N=10, s=11), ValueError),
    (dict(m=0, N=10, s=1), ValueError),
    (dict(m=5, N=10, s=2, signs="mixed"), ValueError),
    (dict(m=5, N=10, s=2, magnitudes="big"), ValueError),
    (dict(m=5.5, N=10, s=2), TypeError),
])
def test_gaussian_instance_bad_input(kwargs, err):
    with pytest.raises(err):
        gaussian_instance(**kwargs)


# ----------------------------------------------------------------------------------------------
# the [1, c] example
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.parametrize("alpha", [1e-2, 1e-5, 1e-9])
def test_one_by_two_limit_matches_flow_limit(depth, alpha):
    ex = one_by_two(0.6)
    x = ex.limit(depth, alpha)
    ref = flow_limit(ex.A, ex.y, depth, alpha).x
    np.testing.assert_allclose(x, ref, rtol=1e-9, atol=1e-14)
    assert abs(ex.A @ x - ex.y)[0] < 1e-15
    assert ex.error(depth, alpha) == pytest.approx(np.abs(x - ex.x_l1).sum(), rel=1e-12)


@pytest.mark.parametrize("depth", [2, 3])
def test_one_by_two_limit_matches_extended_precision(depth):
    ex = one_by_two(0.3)
    alpha = 1e-25
    res = flow_limit(ex.A, ex.y, depth, alpha, digits=30)
    assert ex.limit(depth, alpha)[1] == pytest.approx(float(res.x_mp[1]), rel=1e-10)


@pytest.mark.parametrize("c", [0.2, 0.6, 0.9])
def test_one_by_two_closed_form_asymptotics(c):
    ex = one_by_two(c)
    # D = 2: the ratio tends to 1 (exactly (1 + c) alpha^(1-c) up to O(alpha^(2c)) corrections)
    assert ex.error(2, 1e-200) / ex.error_asymptotic(2, 1e-200) == pytest.approx(1, abs=1e-6)
    for depth in (3, 4, 6):
        ratio = ex.error(depth, 1e-60) / ex.error_asymptotic(depth, 1e-60)
        assert ratio == pytest.approx(1, abs=1e-6)
        expected = (1 + c) * 1e-60 * float(h(c, depth))
        assert ex.error_asymptotic(depth, 1e-60) == pytest.approx(expected, rel=1e-14)
    assert ex.varrho == c
    assert varrho(ex.A, ex.x_l1) == pytest.approx(c, abs=1e-12)


def test_one_by_two_slope_is_one_minus_c():
    ex = one_by_two(0.45)
    alphas = np.logspace(-40, -20, 5)
    errs = [ex.error(2, a) for a in alphas]
    slope = np.polyfit(np.log(alphas), np.log(errs), 1)[0]
    assert slope == pytest.approx(0.55, abs=1e-4)


def test_one_by_two_c_zero_and_bad_c():
    ex = one_by_two(0)
    assert ex.error(2, 1e-3) == 0.0 and ex.error_asymptotic(2, 1e-3) == 0.0
    for bad in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError):
            one_by_two(bad)
    with pytest.raises(TypeError):
        one_by_two("0.5")
    with pytest.raises(ValueError):
        ex.limit(1, 1e-3)
    with pytest.raises(ValueError):
        ex.limit(2, -1.0)


# ----------------------------------------------------------------------------------------------
# the non-unique example
# ----------------------------------------------------------------------------------------------
def test_nonunique_example_face():
    ex = nonunique_example()
    np.testing.assert_allclose(ex.A @ ex.face_direction, 0, atol=1e-15)
    bp = basis_pursuit(ex.A, ex.y)
    assert bp.objective == pytest.approx(ex.l1_value, abs=1e-12)
    assert bp.unique is False
    for t in np.linspace(*ex.t_range, 7):
        x = ex.point(t)
        np.testing.assert_allclose(ex.A @ x, ex.y, atol=1e-14)
        assert np.abs(x).sum() == pytest.approx(1.0, abs=1e-14)
        assert np.all(x >= -1e-15)
    lo, hi = ex.t_range
    assert min(ex.point(lo)) == pytest.approx(0, abs=1e-15)
    assert min(ex.point(hi)) == pytest.approx(0, abs=1e-15)
    # just outside the segment the l1 norm grows
    d = ex.face_direction
    assert np.abs(ex.face_point + (hi + 0.01) * d).sum() > 1 + 1e-3
    assert np.abs(ex.face_point + (lo - 0.01) * d).sum() > 1 + 1e-3
    with pytest.raises(ValueError):
        ex.point(0.5)


def test_mpmath_context_untouched():
    """Every extended-precision path restores the caller's mpmath precision (self-contained:
    it runs them itself, at a sentinel precision, instead of relying on earlier tests)."""
    from implicit_bias.diagonal import flow_limit as fl
    from implicit_bias.l1 import solution_on_support
    from implicit_bias.theory import fit_loglog_slope, l1_distance

    ex = one_by_two(0.5)
    before = (mpmath.mp.dps, mpmath.mp.prec)
    with mpmath.workdps(23):
        sentinel = mpmath.mp.prec
        res = fl(ex.A, ex.y, 3, 1e-12, digits=20)
        ref = solution_on_support(ex.A, ex.y, [0], digits=30)
        l1_distance(res.x_mp, ref)
        fit_loglog_slope([1e-3, 1e-6], [mpmath.mpf("1e-40"), mpmath.mpf("1e-50")])
        ex.limit(2, 1e-300)
        assert mpmath.mp.prec == sentinel
    assert (mpmath.mp.dps, mpmath.mp.prec) == before


@pytest.mark.parametrize("depth", [2, 3, 5, 10])
def test_one_by_two_extreme_alphas(depth):
    ex = one_by_two(0.7)
    np.testing.assert_allclose(ex.limit(depth, 10.0), flow_limit(ex.A, ex.y, depth, 10.0).x,
                               atol=1e-13)
    for alpha in (1e-100, 1e-300):
        assert ex.error(depth, alpha) / ex.error_asymptotic(depth, alpha) == pytest.approx(
            1, abs=1e-8)
