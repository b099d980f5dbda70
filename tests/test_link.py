"""Every variant of the link functions against 50-digit mpmath on |z| in [1e-12, 1 - 1e-12].

The references are the textbook formulas evaluated at 80 digits (so their own cancellation,
up to ~24 digits at |z| = 1e-12, leaves 50 correct digits); they share no code with
``implicit_bias._link``.
"""

import mpmath
import numpy as np
import pytest
from implicit_bias import _link
from implicit_bias.diagonal import h, inverse_link, link, link_derivative, potential

EPS = np.finfo(float).eps
DEPTHS = [2, 3, 4, 5, 6]
# |z| from 1e-12 to 1 - 1e-12, both signs (D = 2 has no singularity but the same range)
_MAG = np.concatenate([np.logspace(-12, np.log10(0.5), 25), 1.0 - np.logspace(-12, -0.5, 20)])
Z = np.concatenate([_MAG, -_MAG])


def _reference(kind, z, depth):
    with mpmath.workdps(80):
        t = mpmath.mpf(float(z))
        if depth == 2:
            val = {"g": 2 * mpmath.sinh(t), "gprime": 2 * mpmath.cosh(t),
                   "G": 2 * mpmath.cosh(t) - 2}[kind]
        else:
            p = mpmath.mpf(depth) / (depth - 2)
            val = {"g": (1 - t) ** (-p) - (1 + t) ** (-p),
                   "gprime": p * ((1 - t) ** (-p - 1) + (1 + t) ** (-p - 1)),
                   "G": ((1 - t) ** (1 - p) + (1 + t) ** (1 - p) - 2) / (p - 1)}[kind]
        return +val


F64 = {"g": _link.g, "gprime": _link.gprime, "G": _link.G}
MP = {"g": _link.g_mp, "gprime": _link.gprime_mp, "G": _link.G_mp}


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["g", "gprime", "G"])
def test_float64_variant_is_accurate_to_a_few_ulps(kind, depth):
    values = F64[kind](Z, depth)
    for z, v in zip(Z, values, strict=True):
        ref = _reference(kind, z, depth)
        rel = abs((mpmath.mpf(float(v)) - ref) / ref)
        # a few ulps, times the number of ulps the logarithm of 1 - |z| carries near |z| = 1
        # (log(1e-12) ~ 28, times p + 1 <= 4: at most ~110; measured <= 65)
        allowed = 8 * EPS * (1.0 + (_link.p_of(depth) + 1 if depth > 2 else 1)
                             * abs(float(mpmath.log(1 - abs(mpmath.mpf(float(z)))))))
        assert rel <= allowed, (kind, depth, z, float(rel) / EPS)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["g", "gprime", "G"])
def test_extended_precision_variant_has_fifty_digits(kind, depth):
    with mpmath.workdps(50):
        for z in Z:
            val = MP[kind](mpmath.mpf(float(z)), depth)
            ref = _reference(kind, z, depth)
            assert abs((val - ref) / ref) < mpmath.mpf(10) ** -48, (kind, depth, z)


def test_the_naive_forms_fail_where_the_stable_ones_do_not():
    # the bug that motivated one home: the naive dual potential at z = 1e-9, D = 3 has the
    # wrong sign; the stable one is right to a few ulps
    z, depth = 1e-9, 3
    p = depth / (depth - 2)
    naive = ((1.0 - z) ** (1 - p) + (1.0 + z) ** (1 - p) - 2.0) / (p - 1)
    ref = float(_reference("G", z, depth))
    assert abs(naive - ref) > 10 * abs(ref)
    assert abs(float(_link.G(z, depth)) - ref) <= 4 * EPS * ref


@pytest.mark.parametrize("depth", DEPTHS)
def test_inverse_link_and_potential_against_mpmath(depth):
    # v = g(z) over the whole range, back to z, and q(v) = v z - G(z) at 50 digits
    for z in _MAG[::3]:
        with mpmath.workdps(80):
            t = mpmath.mpf(float(z))
            v = _reference("g", z, depth)
            q_ref = v * t - _reference("G", z, depth)
        vf = float(v)
        z_back = float(_link.ginv(vf, depth))
        # the inverse is well conditioned except near |z| = 1, where dz/dv ~ (1 - z)/(p v)
        assert abs(z_back - z) <= 8 * EPS * max(abs(z), 1e-300), (depth, z)
        q = float(_link.q(vf, depth))
        assert abs((q - float(q_ref)) / float(q_ref)) <= 1e-12, (depth, z, q, float(q_ref))


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_public_wrappers_use_the_one_home(depth):
    z = np.array([-0.7, -1e-9, 0.0, 1e-9, 0.3, 0.999])
    np.testing.assert_array_equal(link(z, depth, 2.0), 2.0 * _link.g(z, depth))
    np.testing.assert_array_equal(link_derivative(z, depth), _link.gprime(z, depth))
    if depth >= 3:
        np.testing.assert_array_equal(h(z, depth), _link.g(z, depth))
    np.testing.assert_array_equal(inverse_link(link(z, depth), depth), _link.ginv(
        _link.g(z, depth), depth))


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_potential_is_finite_and_scales_at_extreme_alpha(depth):
    # Q >= 0 and finite at any alpha; for D = 2 it is ~ |x|_1 log(1/alpha) for tiny alpha
    for alpha in [1e-300, 1e-160, 1e-8, 1.0, 1e8, 1e300]:
        val = potential([1.0, -0.5], depth, alpha=alpha)
        assert np.isfinite(val) and val >= 0, (alpha, val)
    val = potential([1.0], 2, alpha=1e-160)
    assert abs(val - (np.log(1e160) - 1.0)) < 1e-9 * val
