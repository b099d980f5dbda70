r"""The link functions of the diagonal network: the one home of their formulas.

With :math:`p = D/(D-2)` and :math:`q = p - 1 = 2/(D-2)`:

* the link :math:`g_D` (``g``): :math:`g_2(z) = 2\sinh z`,
  :math:`g_D(z) = h_D(z) = (1-z)^{-p} - (1+z)^{-p}` on :math:`(-1, 1)` for :math:`D \ge 3`;
* its derivative :math:`g_D'` (``gprime``);
* its antiderivative with :math:`G_D(0) = 0`, the dual potential (``G``; chapter 5 and
  :mod:`implicit_bias.theory` call it :math:`H_D`): :math:`G_2(z) = 4\sinh^2(z/2)`,
  :math:`G_D(z) = ((1-z)^{1-p} + (1+z)^{1-p} - 2)/q`;
* its inverse :math:`g_D^{-1}` (``ginv``) and the primal potential per coordinate
  :math:`q_D(v) = \int_0^v g_D^{-1}` (``q``).

The float64 versions are written without cancellation. With
:math:`s = \log(1 - z^2)` and :math:`a = \operatorname{artanh} z`,

.. math::

    h_D(z) = 2 e^{-ps/2}\sinh(pa), \qquad
    G_D(z) = \tfrac2q\big(\operatorname{expm1}(-qs/2)\cosh(qa) + 2\sinh^2(qa/2)\big),

sums of terms of one sign that are each computed to a few ulps, so the relative error is a
few ulps over all of :math:`(-1, 1)` (the naive forms lose about :math:`\log_{10}(1/|z|)`
digits: at :math:`z = 10^{-9}`, :math:`D = 3`, the naive :math:`G_D` even has the wrong
sign). The ``*_mp`` versions are the same formulas on one ``mpmath.mpf`` at the current
``mpmath.mp.dps``. ``tests/test_link.py`` checks every variant against 50-digit mpmath.

Private module: the public entry points are :func:`implicit_bias.diagonal.link`,
:func:`~implicit_bias.diagonal.link_derivative`, :func:`~implicit_bias.diagonal.h`,
:func:`~implicit_bias.diagonal.inverse_link` and :func:`~implicit_bias.diagonal.potential`,
which validate their input; the functions here do not.
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["p_of", "g", "gprime", "G", "ginv", "q", "g_mp", "gprime_mp", "G_mp"]


def p_of(depth):
    """The exponent :math:`p = D/(D-2)` (``depth >= 3``)."""
    return depth / (depth - 2)


def _log1m_z2(z):
    """log(1 - z^2) to full relative accuracy on (-1, 1)."""
    az = np.abs(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.log1p(-az) + np.log1p(az)  # accurate for |z| >= 1/2 (1 - |z| exact)
        small = np.log1p(-az * az)  # accurate for |z| < 1/2
    return np.where(az < 0.5, small, near)


def g(z, depth):
    """The link :math:`g_D(z)` in float64 (array in, array out)."""
    z = np.asarray(z, dtype=float)
    if depth == 2:
        return 2.0 * np.sinh(z)
    p = p_of(depth)
    return 2.0 * np.exp(-0.5 * p * _log1m_z2(z)) * np.sinh(p * np.arctanh(z))


def gprime(z, depth):
    """The derivative :math:`g_D'(z) > 0` in float64."""
    z = np.asarray(z, dtype=float)
    if depth == 2:
        return 2.0 * np.cosh(z)
    p = p_of(depth)
    return 2.0 * p * np.exp(-0.5 * (p + 1) * _log1m_z2(z)) * np.cosh((p + 1) * np.arctanh(z))


def G(z, depth):
    """The antiderivative :math:`G_D(z) \\ge 0` of the link with :math:`G_D(0) = 0`."""
    z = np.asarray(z, dtype=float)
    if depth == 2:
        return 4.0 * np.sinh(0.5 * z) ** 2
    q_ = p_of(depth) - 1.0
    v = q_ * np.arctanh(z)
    return (2.0 / q_) * (np.expm1(-0.5 * q_ * _log1m_z2(z)) * np.cosh(v)
                         + 2.0 * np.sinh(0.5 * v) ** 2)


def _h_inverse_w(v, depth):
    """For v >= 0 return w = (1 - z)^(-p) where h_D(z) = v (Newton on a bracket [v, v+1])."""
    p = p_of(depth)
    w = v + 1.0
    for _ in range(100):
        s = w ** (-1.0 / p)
        phi = (2.0 - s) ** (-p)
        f = w - phi - v
        fp = 1.0 + (2.0 - s) ** (-p - 1) * s / w
        w_new = np.clip(w - f / fp, np.maximum(v, 1.0), v + 1.0)
        if np.all(np.abs(w_new - w) <= 4e-16 * w_new):
            w = w_new
            break
        w = w_new
    return w


def _h_inverse(v, depth):
    """z in [0, 1) with h_D(z) = v >= 0, to full relative accuracy also for small v."""
    w = _h_inverse_w(v, depth)
    z = -np.expm1(-np.log(w) / p_of(depth))  # 1 - w^(-1/p)
    # w = (1 - z)^(-p) is close to 1 for small v, where 1 - w^(-1/p) loses relative
    # accuracy: polish there with Newton steps on h_D(z) = v (h_D is convex on [0, 1), so
    # Newton from the right of the root stays to the right and converges monotonically)
    small = v < 1.0
    if np.any(small):
        zs = np.where(small, np.minimum(z + 1e-3 * np.abs(z), 0.9), 0.0)
        for _ in range(6):
            zs = zs - (g(zs, depth) - np.where(small, v, 0.0)) / gprime(zs, depth)
        z = np.where(small, np.maximum(zs, 0.0), z)
    return z


def ginv(v, depth):
    """The inverse link :math:`g_D^{-1}(v)` in float64 (in :math:`(-1, 1)` for D >= 3)."""
    v = np.asarray(v, dtype=float)
    if depth == 2:
        return np.arcsinh(0.5 * v)
    return np.sign(v) * _h_inverse(np.abs(v), depth)


def q(v, depth):
    """The primal potential :math:`q_D(v) = \\int_0^v g_D^{-1} \\ge 0` in float64, entrywise.

    For D = 2, :math:`q_2(v) = v\\operatorname{arcsinh}(v/2) - v^2/(\\sqrt{4+v^2}+2)`
    (the same as :math:`2 - \\sqrt{4+v^2} + v\\operatorname{arcsinh}(v/2)`, without the
    overflow of :math:`v^2` and the cancellation near 0); for D >= 3,
    :math:`q_D(v) = v z - G_D(z)` with :math:`z = g_D^{-1}(v)`.
    """
    v = np.abs(np.asarray(v, dtype=float))
    if depth == 2:
        return v * np.arcsinh(0.5 * v) - v * (v / (np.hypot(2.0, v) + 2.0))
    p = p_of(depth)
    big = v >= 1.0
    out = np.empty_like(v)
    z = _h_inverse(np.where(big, 0.0, v), depth)
    out[...] = v * z - G(z, depth)
    if np.any(big):
        # for large v, z = 1 - e rounds to 1: use w = (1 - z)^(-p) and e = w^(-1/p) instead
        vb = v[big]
        w = _h_inverse_w(vb, depth)
        e = w ** (-1.0 / p)
        out[big] = vb * (1.0 - e) - (w ** ((p - 1.0) / p) + (2.0 - e) ** (1.0 - p) - 2.0) / (
            p - 1.0)
    return np.maximum(out, 0.0)


# ----------------------------------------------------------------------------------------------
# extended precision: the same formulas on one mpmath.mpf at the working precision
# ----------------------------------------------------------------------------------------------
def _mp_parts(t):
    """(log(1 - t^2), artanh t) for an mpf t in (-1, 1), both to full relative accuracy."""
    return mpmath.log1p(-t) + mpmath.log1p(t) if abs(t) >= 0.5 else mpmath.log1p(-t * t), \
        mpmath.atanh(t)


def g_mp(t, depth):
    """:math:`g_D(t)` for one ``mpmath.mpf``."""
    if depth == 2:
        return 2 * mpmath.sinh(t)
    p = mpmath.mpf(depth) / (depth - 2)
    s, a = _mp_parts(t)
    return 2 * mpmath.exp(-p * s / 2) * mpmath.sinh(p * a)


def gprime_mp(t, depth):
    """:math:`g_D'(t)` for one ``mpmath.mpf``."""
    if depth == 2:
        return 2 * mpmath.cosh(t)
    p = mpmath.mpf(depth) / (depth - 2)
    s, a = _mp_parts(t)
    return 2 * p * mpmath.exp(-(p + 1) * s / 2) * mpmath.cosh((p + 1) * a)


def G_mp(t, depth):
    """:math:`G_D(t)` for one ``mpmath.mpf``."""
    if depth == 2:
        return 4 * mpmath.sinh(t / 2) ** 2
    q_ = mpmath.mpf(2) / (depth - 2)
    s, a = _mp_parts(t)
    v = q_ * a
    return (2 / q_) * (mpmath.expm1(-q_ * s / 2) * mpmath.cosh(v) + 2 * mpmath.sinh(v / 2) ** 2)
