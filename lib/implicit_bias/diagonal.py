r"""Diagonal linear networks: gradient descent, gradient flow and the exact flow limit.

The model is the depth-:math:`D` diagonal linear network

.. math::

    x = u^{\odot D} - v^{\odot D}, \qquad
    L(u, v) = \tfrac12 \|A x - y\|_2^2, \qquad
    u(0) = v(0) = \alpha^{1/D}\mathbf 1,

so that :math:`\alpha` is the **end-to-end** initial scale (each coordinate of
:math:`u^{\odot D}` starts at :math:`\alpha`). Use :func:`end_to_end_scale` and
:func:`per_layer_scale` to convert from and to the per-layer scale :math:`\alpha^{1/D}`.

Gradient flow keeps :math:`u` and :math:`v` functions of the integrated residual
:math:`\zeta(t) = \int_0^t (y - A x(\tau))\,d\tau \in \mathbb R^m`:

.. math::

    x(t) = \alpha\, g_D\big(c_D\, A^\top \zeta(t)\big), \qquad
    g_2(z) = 2\sinh z,\ c_2 = 4, \qquad
    g_D = h_D,\ c_D = D(D-2)\alpha^{(D-2)/D}\ (D \ge 3),

with :math:`h_D(z) = (1-z)^{-D/(D-2)} - (1+z)^{-D/(D-2)}`. So the flow is a mirror flow in
:math:`\mathbb R^m`, and its limit is the minimizer of the potential
:math:`Q_\alpha^D(x) = \alpha \sum_i q_D(x_i/\alpha)`, :math:`q_D' = g_D^{-1}`, subject to
:math:`Ax = y`. This closed form, in the book's units, is derived in chapter 2; cf. Woodworth
et al. 2020, whose :math:`\alpha` is the per-layer scale (theirs is
:math:`\alpha_{\rm book}^{1/D}`). :func:`flow_limit` computes that minimizer by damped
Newton on the smooth convex dual, in float64 or in extended precision (mpmath).

**The D-factor form.** With :math:`D` separate factors,
:math:`x = u_1\odot\cdots\odot u_D - v_1\odot\cdots\odot v_D`, and all :math:`u_k(0)` equal
(and all :math:`v_k(0)` equal), the factors stay equal for all time and
:math:`\dot u_k = u_k^{\odot(D-1)}\odot A^\top(y - Ax)`: the same path as the shared form,
run :math:`D` times slower (time :math:`t` of the factor form is time :math:`t/D` of the
shared form). Gradient descent with step :math:`\eta` on the factor form equals gradient
descent with step :math:`\eta/D` on the shared form. :func:`gradient_descent` accepts
arbitrary (unbalanced, random) factor initializations through ``factors=``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import mpmath
import numpy as np
import scipy.integrate
import scipy.linalg

from . import _link
from ._link import G as _G
from ._link import g as _g
from ._link import gprime as _gprime
from ._validation import (
    as_real_array,
    check_alpha,
    check_depth,
    check_int,
    check_pair,
    check_positive,
    check_system,
    pow2_scale,
)
from .exceptions import ConvergenceWarning, DivergenceError, NotConvergedError

__all__ = [
    "end_to_end_scale",
    "per_layer_scale",
    "h",
    "link",
    "link_derivative",
    "inverse_link",
    "potential",
    "potential_gradient",
    "flow_time_scale",
    "flow_limit",
    "gradient_flow",
    "gradient_descent",
    "default_step",
    "FlowLimitResult",
    "GradientFlowResult",
    "GradientDescentResult",
]


# ----------------------------------------------------------------------------------------------
# scales
# ----------------------------------------------------------------------------------------------
_LOG_HUGE = math.log(np.finfo(float).max)
_LOG_TINY = math.log(np.finfo(float).tiny)


def end_to_end_scale(per_layer, depth):
    """End-to-end initial scale :math:`\\alpha` from the per-layer scale :math:`\\alpha^{1/D}`.

    Parameters
    ----------
    per_layer : float
        Initial value of every entry of :math:`u` and :math:`v` (the per-layer scale).
    depth : int
        Depth :math:`D \\ge 2`.

    Returns
    -------
    float
        :math:`\\alpha = (\\text{per\\_layer})^D`, the initial value of :math:`u_i^D`.

    Examples
    --------
    >>> end_to_end_scale(0.1, 3)
    0.0010000000000000002
    """
    per_layer = check_positive(per_layer, "per_layer")
    depth = check_depth(depth)
    log_alpha = depth * math.log(per_layer)
    if not _LOG_TINY < log_alpha < _LOG_HUGE:
        raise ValueError(
            f"per_layer={per_layer!r} ** depth={depth} is outside the float64 range (about "
            "1e-308 to 1e308); use a per-layer scale closer to 1.")
    return per_layer**depth


def per_layer_scale(alpha, depth):
    """Per-layer scale :math:`\\alpha^{1/D}` from the end-to-end scale :math:`\\alpha`.

    Parameters
    ----------
    alpha : float
        End-to-end initial scale.
    depth : int
        Depth :math:`D \\ge 2`.

    Returns
    -------
    float
        :math:`\\alpha^{1/D}`, the initial value of every entry of :math:`u` and :math:`v`.

    Examples
    --------
    >>> round(per_layer_scale(1e-3, 3), 12)
    0.1
    """
    return check_alpha(alpha) ** (1.0 / check_depth(depth))


# ----------------------------------------------------------------------------------------------
# link functions (float64 and mpmath)
# ----------------------------------------------------------------------------------------------
def _finite(values, name):
    arr = as_real_array(values, name, "an array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries; pass finite values only.")
    return arr


def h(z, depth):
    """The function :math:`h_D(z) = (1-z)^{-D/(D-2)} - (1+z)^{-D/(D-2)}` on :math:`(-1, 1)`.

    Parameters
    ----------
    z : array_like
        Points in the open interval :math:`(-1, 1)`.
    depth : int
        Depth :math:`D \\ge 3`.

    Returns
    -------
    ndarray
        :math:`h_D(z)`, odd and strictly increasing, with :math:`h_D'(0) = 2D/(D-2)`.

    Raises
    ------
    ValueError
        If ``depth < 3`` or some ``|z| >= 1`` (where :math:`h_D` is not defined).

    Examples
    --------
    >>> round(float(h(0.5, 4)), 12)  # 0.5^-2 - 1.5^-2 = 32/9
    3.555555555556
    """
    depth = check_depth(depth, minimum=3)
    z = _finite(z, "z")
    if np.any(np.abs(z) >= 1):
        raise ValueError("h_D is defined only on the open interval (-1, 1); got |z| >= 1.")
    return _g(z, depth)


def _link_args(z, depth, alpha):
    """Validate (z, depth, alpha) for the link and its derivative."""
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    z = _finite(z, "z")
    if depth >= 3 and np.any(np.abs(z) >= 1):
        raise ValueError(f"for depth >= 3 the link is defined only for |z| < 1; z has entries "
                         f"up to |z| = {np.max(np.abs(z)):.17g}.")
    return depth, alpha, z


def link(z, depth, alpha=1.0):
    """The link :math:`z \\mapsto \\alpha\\, g_D(z)` mapping dual variables to weights.

    For :math:`D = 2` it is :math:`2\\alpha\\sinh z`; for :math:`D \\ge 3` it is
    :math:`\\alpha h_D(z)` (see :func:`h`). The limit of gradient flow is
    ``link(A.T @ lam, depth, alpha)`` for the dual solution ``lam``.

    Parameters
    ----------
    z : array_like
        Dual coordinates; in :math:`(-1, 1)` when ``depth >= 3``.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float, optional
        End-to-end initial scale (default 1).

    Returns
    -------
    ndarray
        :math:`\\alpha g_D(z)`.

    Examples
    --------
    >>> float(link(0.0, 2, alpha=0.1))
    0.0
    """
    depth, alpha, z = _link_args(z, depth, alpha)
    return alpha * _g(z, depth)


def link_derivative(z, depth, alpha=1.0):
    """Derivative :math:`\\alpha g_D'(z)` of :func:`link` with respect to ``z``.

    Parameters
    ----------
    z : array_like
        Dual coordinates; in :math:`(-1, 1)` when ``depth >= 3``.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float, optional
        End-to-end initial scale (default 1).

    Returns
    -------
    ndarray
        :math:`\\alpha g_D'(z) > 0`.

    Examples
    --------
    >>> float(link_derivative(0.0, 2))
    2.0
    """
    depth, alpha, z = _link_args(z, depth, alpha)
    return alpha * _gprime(z, depth)


def inverse_link(x, depth, alpha=1.0):
    """Inverse of :func:`link`: the dual coordinate :math:`z` with :math:`\\alpha g_D(z) = x`.

    This is also the gradient of the potential, ``potential_gradient(x, depth, alpha)``.

    Parameters
    ----------
    x : array_like
        Weights.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float, optional
        End-to-end initial scale (default 1).

    Returns
    -------
    ndarray
        :math:`g_D^{-1}(x/\\alpha)`; in :math:`(-1, 1)` for ``depth >= 3``.

    Examples
    --------
    >>> z = inverse_link([0.3, -2.0], 3, alpha=0.01)
    >>> bool(np.allclose(link(z, 3, alpha=0.01), [0.3, -2.0]))
    True
    """
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    v = _finite(x, "x") / alpha
    return _link.ginv(v, depth)


def potential(x, depth, alpha=1.0):
    """The mirror potential :math:`Q_\\alpha^D(x) = \\alpha\\sum_i q_D(x_i/\\alpha)`.

    :math:`q_D` is the convex function with :math:`q_D(0) = 0` and :math:`q_D' = g_D^{-1}`
    (the Fenchel conjugate of the dual potential). For :math:`D = 2`,
    :math:`q_2(v) = 2 - \\sqrt{4 + v^2} + v\\,\\operatorname{arcsinh}(v/2)` (the hyperbolic
    entropy; cf. Woodworth et al. 2020, whose :math:`\\alpha` is per-layer, i.e.
    :math:`\\alpha_{\\rm book}^{1/D}`). Gradient flow from end-to-end scale ``alpha`` converges to
    :math:`\\arg\\min\\{Q_\\alpha^D(x) : Ax = y\\}`.

    Parameters
    ----------
    x : array_like
        Point (1-D) at which to evaluate the potential.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float, optional
        End-to-end initial scale (default 1).

    Returns
    -------
    float
        :math:`Q_\\alpha^D(x) \\ge 0`.

    Examples
    --------
    >>> round(float(potential([1.0, 0.0], 2, alpha=1e-6)), 6)  # ~ log(1/alpha) |x|_1 - 1
    12.815513
    """
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    with np.errstate(over="ignore"):
        v = np.abs(_finite(x, "x")) / alpha
        value = float(np.sum(alpha * _link.q(v, depth)))
    if not math.isfinite(value):
        raise ValueError(
            f"potential: Q overflows float64 for |x|/alpha up to {np.max(v):.3g}; rescale x "
            "and alpha by the same factor (Q_{c alpha}(c x) = c Q_alpha(x)).")
    return value


def potential_gradient(x, depth, alpha=1.0):
    """Gradient of :func:`potential`: :math:`\\nabla Q_\\alpha^D(x) = g_D^{-1}(x/\\alpha)`.

    Parameters
    ----------
    x : array_like
        Point at which to evaluate the gradient.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float, optional
        End-to-end initial scale (default 1).

    Returns
    -------
    ndarray
        The gradient, entrywise :math:`g_D^{-1}(x_i/\\alpha)`.

    Examples
    --------
    >>> potential_gradient([0.0], 2)
    array([0.])
    """
    return inverse_link(x, depth, alpha)


def flow_time_scale(depth, alpha):
    """The constant :math:`c_D` in :math:`x(t) = \\alpha g_D(c_D A^\\top\\zeta(t))`.

    :math:`c_2 = 4` and :math:`c_D = D(D-2)\\alpha^{(D-2)/D}` for :math:`D\\ge3`; its inverse
    sets the time scale of gradient flow (long plateaus for small ``alpha``).

    Parameters
    ----------
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale.

    Returns
    -------
    float
        :math:`c_D`.

    Examples
    --------
    >>> flow_time_scale(2, 1e-3)
    4.0
    """
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    if depth == 2:
        return 4.0
    return depth * (depth - 2) * alpha ** ((depth - 2) / depth)


# ----------------------------------------------------------------------------------------------
# the exact limit: damped Newton on the dual, with continuation in alpha
# ----------------------------------------------------------------------------------------------
@dataclass
class FlowLimitResult:
    """Result of :func:`flow_limit`.

    Attributes
    ----------
    x : ndarray
        The limit :math:`x_\\infty(\\alpha)` in float64.
    dual : ndarray
        Dual variable :math:`\\lambda` with ``x = link(A.T @ dual, depth, alpha)``.
    primal_residual : float
        KKT residual :math:`\\|Ax - y\\|_2 / \\|y\\|_2` (the stationarity condition
        :math:`\\nabla Q(x) = A^\\top\\lambda` holds by construction).
    dual_feasibility : float
        :math:`\\max_i |(A^\\top\\lambda)_i|` (must be < 1 for ``depth >= 3``).
    n_iter : int
        Total number of Newton iterations over all continuation steps.
    n_continuation : int
        Number of values of :math:`\\alpha` visited by the continuation.
    converged : bool
        Whether Newton converged: the relative residual reached ``rtol``, or (float64
        only) it reached the rounding floor of float64, below which no float64 dual
        variable can do better (for :math:`D \\ge 3` and tiny :math:`\\alpha` the link is
        so steep that the rounding of :math:`A^\\top\\lambda` dominates). Which of the two
        happened is in ``message``; ``primal_residual`` is the achieved level, and the
        error of ``x`` is of that relative size (checked against mpmath in the tests).
        When the floor itself is above ``1e-6`` (D >= 3 at astronomically small alpha),
        the result is returned with ``converged`` False and a
        :class:`~implicit_bias.exceptions.ConvergenceWarning`; use ``digits=`` there. A
        failure of Newton above the floor raises
        :class:`~implicit_bias.exceptions.NotConvergedError`.
    depth, alpha, digits :
        The inputs; ``digits`` is None for float64.
    x_mp : ndarray of mpmath.mpf or None
        The limit at ``digits`` significant digits (object array) when ``digits`` is given.
    dual_mp : ndarray of mpmath.mpf or None
        The dual variable in extended precision.
    """

    x: np.ndarray
    dual: np.ndarray
    primal_residual: float
    dual_feasibility: float
    n_iter: int
    n_continuation: int
    converged: bool
    depth: int
    alpha: float
    digits: int | None = None
    x_mp: np.ndarray | None = field(default=None, repr=False)
    dual_mp: np.ndarray | None = field(default=None, repr=False)
    message: str = ""


class _F64:
    """float64 arithmetic for the dual Newton solver."""

    eps = np.finfo(float).eps

    def __init__(self, A, y, depth):
        self.A, self.y, self.depth = A, y, depth
        self.ynorm = float(np.linalg.norm(y))
        self.AT = np.ascontiguousarray(A.T)
        self.row_norms = np.linalg.norm(A, axis=0)

    def z(self, lam):
        return self.AT @ lam

    def g(self, z):
        return _g(z, self.depth)

    def gp(self, z):
        return _gprime(z, self.depth)

    def G(self, z):
        return _G(z, self.depth)

    def sum(self, v):
        return float(np.sum(v))

    def norm(self, v):
        return float(np.linalg.norm(v))

    def maxabs(self, v):
        return float(np.max(np.abs(v)))

    def hess_factor(self, weights):
        """Return a function solving A diag(weights) A^T d = rhs.

        numpy's LAPACK only: mixing numpy's and scipy's OpenBLAS thread pools in a tight
        loop makes both spin and costs a factor ~10 on small machines.
        """
        B = self.A * np.sqrt(weights)
        H = B @ B.T  # numpy uses a symmetric rank-k update for B @ B.T (half a GEMM)

        def solve(rhs):
            try:
                d = np.linalg.solve(H, rhs)
            except np.linalg.LinAlgError:
                d = None
            if d is None or not np.all(np.isfinite(d)):
                # weights spanning many orders of magnitude (tiny alpha, D >= 3) can make H
                # numerically singular: a relative ridge of a few ulps keeps the Newton
                # direction a descent direction (the line search does the rest)
                ridge = 64 * self.eps * float(np.max(np.diag(H)))
                d = np.linalg.solve(H + ridge * np.eye(H.shape[0]), rhs)
            return d

        return solve

    def floor(self, alpha, z, lam):
        """Residual level below which float64 rounding of z = A^T lam dominates."""
        dz = self.eps * (np.abs(z) + self.row_norms * np.linalg.norm(lam))
        return 4.0 * float(np.linalg.norm(self.A @ (alpha * _gprime(z, self.depth) * dz)))

    def dot(self, a, b):
        return float(a @ b)

    def scalar(self, v):
        return float(v)


class _MP:
    """mpmath arithmetic (object arrays of mpf) for the dual Newton solver."""

    def __init__(self, A, y, depth, dps):
        self.dps = dps
        self.depth = depth
        with mpmath.workdps(dps):
            self.A = np.array([[mpmath.mpf(float(v)) for v in row] for row in A], dtype=object)
            self.y = np.array([mpmath.mpf(float(v)) for v in y], dtype=object)
            self.ynorm = mpmath.sqrt(sum(v * v for v in self.y))
        self.eps = mpmath.mpf(10) ** (-dps)

    def z(self, lam):
        return self.A.T @ lam

    def _map(self, f, z):
        return np.array([f(v) for v in z], dtype=object)

    def g(self, z):
        return self._map(lambda t: _link.g_mp(t, self.depth), z)

    def gp(self, z):
        return self._map(lambda t: _link.gprime_mp(t, self.depth), z)

    def G(self, z):
        return self._map(lambda t: _link.G_mp(t, self.depth), z)

    def sum(self, v):
        return mpmath.fsum(v)

    def norm(self, v):
        return mpmath.sqrt(mpmath.fsum(t * t for t in v))

    def maxabs(self, v):
        return max(abs(t) for t in v)

    def hess_factor(self, weights):
        H = mpmath.matrix(((self.A * weights) @ self.A.T).tolist())
        L = mpmath.cholesky(H)

        def solve(rhs):
            n = len(rhs)
            w = list(rhs)
            for i in range(n):  # forward substitution L w = rhs
                w[i] = (w[i] - mpmath.fsum(L[i, k] * w[k] for k in range(i))) / L[i, i]
            for i in reversed(range(n)):  # back substitution L^T d = w
                w[i] = (w[i] - mpmath.fsum(L[k, i] * w[k] for k in range(i + 1, n))) / L[i, i]
            return np.array(w, dtype=object)

        return solve

    def floor(self, alpha, z, lam):
        return mpmath.mpf(0)

    def dot(self, a, b):
        return mpmath.fsum(s * t for s, t in zip(a, b, strict=True))

    def scalar(self, v):
        return mpmath.mpf(v)


def _newton(ops, alpha, lam, rtol, max_iter):
    """Damped Newton on phi(lam) = alpha * sum G(A^T lam) - y^T lam.

    Returns ``(lam, iterations, converged, solve)`` where ``solve`` applies the inverse of the
    last factored Hessian (used for the tangent predictor of the continuation).
    """
    depth = ops.depth
    alpha = ops.scalar(alpha)
    z = ops.z(lam)
    if depth >= 3 and ops.maxabs(z) >= 1:
        raise NotConvergedError("internal error: infeasible starting point for the dual Newton.")
    phi = alpha * ops.sum(ops.G(z)) - ops.dot(ops.y, lam)
    target = rtol * ops.ynorm
    solve = None
    it = 0
    while True:
        x = alpha * ops.g(z)
        r = ops.A @ x - ops.y
        rn = ops.norm(r)
        floor = ops.floor(alpha, z, lam)
        if not (abs(rn) < math.inf and abs(floor) < math.inf):
            # the start (a continuation predictor) overflowed the link in float64: an
            # infinite rounding floor must not pass for convergence; the caller retries
            # with a shorter continuation step
            return lam, it, False, solve
        if rn <= target or (rn <= floor and it > 0):
            if solve is None:
                solve = ops.hess_factor(alpha * ops.gp(z))
            return lam, it, True, solve
        if it == max_iter:
            return lam, it, False, solve
        solve = ops.hess_factor(alpha * ops.gp(z))
        d = solve(-r)
        slope = ops.dot(r, d)  # directional derivative of phi, < 0
        if not slope < 0:
            return lam, it, bool(rn <= 8 * floor), solve
        t = 1.0
        for _ in range(60):
            lam_new = lam + ops.scalar(t) * d
            z_new = ops.z(lam_new)
            if depth >= 3 and ops.maxabs(z_new) >= 1:
                t *= 0.5
                continue
            Gsum = alpha * ops.sum(ops.G(z_new))  # G >= 0
            ylam = ops.dot(ops.y, lam_new)
            phi_new = Gsum - ylam
            slack = 64 * ops.eps * (abs(phi) + Gsum + abs(ylam) + 1)
            if phi_new <= phi + 1e-4 * t * slope + slack:
                break
            t *= 0.5
        else:
            return lam, it, bool(rn <= 8 * floor), solve
        lam, z, phi = lam_new, z_new, phi_new
        it += 1


_DEBUG = False


def _tau(alpha, depth):
    """Continuation variable in which the dual solution is close to affine for small alpha."""
    if depth == 2:
        return math.log(alpha)
    return alpha ** ((depth - 2) / depth)


_FIRST_RATIO = 1e-2
_LOOSE = 1e-6


def _continuation(ops, depth, alpha, lam, solve, alpha0, rtol, max_iter):
    """Follow the dual solution from alpha0 (solved: lam, Hessian solve) down to alpha.

    Predictor: the tangent d lam / d log(alpha) = -H^{-1} y, extrapolated linearly in
    tau = log(alpha) (D = 2) or tau = alpha^((D-2)/D) (D >= 3), in which the solution path
    is asymptotically affine. Corrector: damped Newton. Step lengths adapt to the
    corrector's iteration count.
    """
    total = steps = 0
    cur_alpha = alpha0
    log_ratio = math.log(_FIRST_RATIO)
    while cur_alpha > alpha:
        next_alpha = max(alpha, cur_alpha * math.exp(log_ratio))
        tangent = -solve(ops.y)  # d lam / d log(alpha)
        if depth == 2:
            factor = math.log(next_alpha / cur_alpha)
        else:
            q = (depth - 2) / depth
            factor = ((next_alpha / cur_alpha) ** q - 1.0) / q
        guess = lam + ops.scalar(factor) * tangent
        if depth >= 3:
            shrink = 0
            while ops.maxabs(ops.z(guess)) >= 1 and shrink < 30:
                factor *= 0.5
                guess = lam + ops.scalar(factor) * tangent
                shrink += 1
            if shrink == 30:
                guess = lam
        step_rtol = rtol if next_alpha == alpha else max(rtol, _LOOSE)
        new_lam, it, ok, new_solve = _newton(ops, next_alpha, guess, step_rtol, max_iter)
        if _DEBUG:
            print(f"  step {cur_alpha:.1e} -> {next_alpha:.1e}: {it} its, ok={ok}")
        total += it
        if not ok:
            if log_ratio > -0.01:
                return lam, total, steps, False
            log_ratio /= 4.0  # shorter continuation step, retry from the last solution
            continue
        steps += 1
        lam, solve, cur_alpha = new_lam, new_solve, next_alpha
        if it <= 3:
            log_ratio = max(log_ratio * 2.0, math.log(1e-12))
        elif it >= 6:
            log_ratio /= 2.0
    return lam, total, steps, True


#: Largest ``digits`` accepted by :func:`flow_limit` (each Newton step costs O(m^2 N) mpmath
#: operations at that precision: 1000 digits take minutes on a 10 x 20 problem).
_MAX_DIGITS = 1000

#: Largest relative residual :math:`\|Ax - y\|/\|y\|` accepted as converged when float64
#: stops at its rounding floor above ``rtol`` (for D >= 3 and astronomically small alpha).
_FLOOR_ACCEPT = 1e-6


def flow_limit(A, y, depth, alpha, digits=None, *, rtol=None, max_iter=100):
    """The limit :math:`x_\\infty(\\alpha) = \\lim_{t\\to\\infty} x(t)` of gradient flow.

    Computed exactly (no time stepping) as the minimizer of the mirror potential
    :math:`Q_\\alpha^D` subject to :math:`Ax = y` (derived in chapter 2 with the end-to-end
    :math:`\\alpha`; cf. Woodworth et al. 2020, whose :math:`\\alpha` is per-layer), through damped
    Newton on the smooth, strictly convex dual
    :math:`\\min_\\lambda\\ \\alpha\\sum_i G_D(a_i^\\top\\lambda) - y^\\top\\lambda`, with a
    continuation in :math:`\\alpha` (from :math:`\\alpha = 1` downwards, with an
    extrapolated warm start) when ``alpha < 1``.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Measurement matrix with linearly independent rows.
    y : array_like, shape (m,)
        Observations.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale :math:`\\alpha > 0` (:math:`u(0) = \\alpha^{1/D}`).
    digits : int, optional
        ``None`` (default) computes in float64. An integer ``k`` computes with mpmath so that
        ``x_mp`` has about ``k`` correct significant digits (guard digits are added
        internally to absorb cancellation near :math:`|z| = 1`).
    rtol : float, optional
        Stopping tolerance on :math:`\\|Ax - y\\|/\\|y\\|` (default ``1e-12`` in float64,
        ``10**-(digits + 2)`` in extended precision).
    max_iter : int, optional
        Maximum Newton iterations per continuation step.

    Returns
    -------
    FlowLimitResult
        With fields ``x``, ``dual``, ``primal_residual``, ``dual_feasibility``, ``n_iter``,
        ``converged`` and, for ``digits``, ``x_mp``.

    Raises
    ------
    ValueError
        For malformed input, a ``y`` outside the range of ``A``, or rank-deficient ``A``.
    NotConvergedError
        If Newton cannot reach the tolerance (the result would not be the limit).

    Examples
    --------
    >>> A = np.array([[1.0, 0.5]]); y = np.array([1.0])
    >>> res = flow_limit(A, y, depth=3, alpha=1e-6)
    >>> res.x.round(6).tolist()
    [0.999996, 7e-06]
    """
    A, y = check_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    max_iter = check_int(max_iter, "max_iter", 1)
    if digits is not None:
        digits = check_int(digits, "digits", 8)
        if digits > _MAX_DIGITS:
            raise ValueError(
                f"digits={digits} is beyond what flow_limit can reach in reasonable time "
                f"(at most {_MAX_DIGITS}); float64 limits are exact to ~1e-12, use digits <= "
                f"{_MAX_DIGITS}.")
    if rtol is not None:
        rtol = check_positive(rtol, "rtol")
        if rtol >= 1:
            raise ValueError(f"rtol must be a relative tolerance below 1, got {rtol!r}.")
    # x_inf is the same for (cA, cy): solve the system scaled to max|A| = O(1) (exact power of
    # two) and scale the dual back (lam -> lam / c)
    scale = pow2_scale(A)
    A, y = A / scale, y / scale
    if not np.any(y):  # the flow never leaves x = 0
        m, n = A.shape
        zeros_mp = (None, None) if digits is None else (
            np.array([mpmath.mpf(0)] * n, dtype=object), np.array([mpmath.mpf(0)] * m,
                                                                   dtype=object))
        return FlowLimitResult(np.zeros(n), np.zeros(m), 0.0, 0.0, 0, 0, True, depth, alpha,
                               digits, *zeros_mp, message="y = 0: the limit is x = 0")

    # float64 pass (also the warm start for extended precision)
    ops = _F64(A, y, depth)
    f64_rtol = 1e-12 if (rtol is None or digits is not None) else rtol
    alpha0 = max(alpha, 1.0)
    f64_alpha = alpha if digits is None else max(alpha, 1e-8)
    # trial points of the line search and of the continuation's predictor may overflow the
    # link (D = 2 at small alpha); _newton rejects them, so the float64 warnings are noise
    with np.errstate(over="ignore", invalid="ignore"):
        lam, n_iter, ok, solve = _newton(ops, alpha0, np.zeros(A.shape[0]), f64_rtol,
                                         max_iter)
        steps = 1
        if ok and f64_alpha < alpha0:
            lam, it, st, ok = _continuation(ops, depth, f64_alpha, lam, solve, alpha0,
                                            f64_rtol, max_iter)
            n_iter += it
            steps += st
    if not ok and digits is None:
        raise NotConvergedError(
            f"flow_limit: dual Newton did not converge (depth={depth}, alpha={alpha:.3g}); "
            "the problem may be badly scaled (normalize A and y) or alpha below float64's "
            "reach; try digits=30."
        )

    x_mp = lam_mp = None
    if digits is not None:
        guard = 10 + int(math.ceil(math.log10(max(1.0, 1.0 / alpha))))
        dps = digits + guard
        with mpmath.workdps(dps):
            mops = _MP(A, y, depth, dps)
            lam_mp = np.array([mpmath.mpf(float(v)) for v in lam], dtype=object)
            mp_rtol = mpmath.mpf(10) ** (-digits - 2) if rtol is None else mpmath.mpf(rtol)
            lam_mp, it, ok, solve = _newton(mops, mpmath.mpf(f64_alpha), lam_mp, mp_rtol,
                                            max_iter)
            n_iter += it
            if ok and alpha < f64_alpha:
                lam_mp, it, st, ok = _continuation(
                    mops, depth, alpha, lam_mp, solve, f64_alpha, mp_rtol, max_iter
                )
                n_iter += it
                steps += st
            if not ok:
                raise NotConvergedError(
                    f"flow_limit: extended-precision Newton did not converge (depth={depth}, "
                    f"alpha={alpha:.3g}, digits={digits}); increase digits or max_iter."
                )
            a_mp = mpmath.mpf(alpha)
            x_mp = a_mp * mops.g(mops.z(lam_mp))
            res_mp = mops.norm(mops.A @ x_mp - mops.y) / mops.ynorm
            feas = mops.maxabs(mops.z(lam_mp))
            x = np.array([float(v) for v in x_mp])
            lam = np.array([float(v) for v in lam_mp])
            primal = float(res_mp)
            feas = float(feas)
    else:
        z = A.T @ lam
        x = alpha * _g(z, depth)
        primal = float(np.linalg.norm(A @ x - y) / np.linalg.norm(y))
        feas = float(np.max(np.abs(z)))
    if not (np.all(np.isfinite(x)) and math.isfinite(primal)):
        # never report an overflowed limit as converged (e.g. D = 2 at astronomically small alpha)
        raise NotConvergedError(
            f"flow_limit: the limit overflowed in float64 (depth={depth}, alpha={alpha:.3g}); "
            "use digits= (extended precision) for this alpha."
        )
    wanted = (10.0 ** (-digits - 2) if rtol is None else rtol) if digits else f64_rtol
    if primal <= wanted * (1 + 1e-6):
        message = f"the relative residual {primal:.1e} reached rtol = {wanted:.0e}"
    elif primal <= _FLOOR_ACCEPT:
        message = (f"stopped at the float64 rounding floor: relative residual {primal:.1e} > "
                   f"rtol = {wanted:.0e}, the best float64 can do here; use digits= for more")
    else:
        ok = False
        message = (f"not converged: the float64 rounding floor is too high here (relative "
                   f"residual {primal:.1e} > {_FLOOR_ACCEPT:.0e}); x is not the limit to any "
                   "useful accuracy, use digits= (extended precision)")
        warnings.warn(f"flow_limit (depth={depth}, alpha={alpha:.3g}): {message}.",
                      ConvergenceWarning, stacklevel=2)
    if lam_mp is not None:
        shift = -int(round(math.log2(scale)))  # exact: scale is a power of two
        lam_mp = np.array([mpmath.ldexp(v, shift) for v in lam_mp], dtype=object)
    return FlowLimitResult(
        x=x, dual=lam / scale, primal_residual=primal, dual_feasibility=feas, n_iter=n_iter,
        n_continuation=steps, converged=bool(ok), depth=depth, alpha=alpha, digits=digits,
        x_mp=x_mp, dual_mp=lam_mp, message=message,
    )


# ----------------------------------------------------------------------------------------------
# gradient flow: the mirror flow in R^m, or the direct (u, v) ODE
# ----------------------------------------------------------------------------------------------
@dataclass
class GradientFlowResult:
    """Result of :func:`gradient_flow`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Times (gradient-flow time of the shared ``u, v`` parametrization).
    x : ndarray, shape (T, N)
        The network's weights :math:`x(t)` at those times.
    loss : ndarray, shape (T,)
        :math:`\\tfrac12\\|Ax(t) - y\\|^2`.
    converged : bool
        Whether the path reached the limit by its final time: the residual
        :math:`\\|Ax - y\\|` fell below ``tol`` or below the float64 rounding floor of the
        state (see ``t_stationary``). With an explicit ``t_max`` that is too short it is
        False (no warning: a finite horizon is a legitimate request).
    method : str
        ``"mirror"`` (reduced ODE in :math:`\\mathbb R^m`) or ``"parameters"`` (direct ODE).
    n_fev, n_jev : int
        Right-hand-side and Jacobian evaluations of the integrator.
    message : str
        What stopped the integration.
    t_stationary : float or None
        The time at which the residual reached the float64 rounding floor of the state, if it
        did before ``t_max``: from then on the state is the limit to working precision, so
        the integration stops and later requested times repeat the final state.
    n_iter : int
        Accepted integrator steps.
    """

    t: np.ndarray
    x: np.ndarray
    loss: np.ndarray
    converged: bool
    method: str
    n_fev: int
    n_jev: int
    message: str
    t_stationary: float | None = None
    n_iter: int = 0


_EPS = float(np.finfo(float).eps)


def _flow_tolerance(y):
    return 1e-10 * float(np.linalg.norm(y))  # relative: the same stop for any scale of y


_BIG = math.sqrt(np.finfo(float).max)


def _finite_jacobian(J):
    """Replace overflowed (inf/NaN) Jacobian entries by large finite ones for LAPACK."""
    if np.all(np.isfinite(J)):
        return J
    return np.nan_to_num(J, nan=_BIG, posinf=_BIG, neginf=-_BIG)


def _mirror_system(A, y, depth, alpha):
    """State, map to x, right-hand side, Jacobian and rounding floor of the mirror flow."""
    c = flow_time_scale(depth, alpha)
    AT = np.ascontiguousarray(A.T)
    col_norms = np.linalg.norm(A, axis=0)

    def x_of(zeta):
        return alpha * _g(c * (AT @ zeta), depth)

    def rhs(_t, zeta):
        return y - A @ x_of(zeta)

    def jac(_t, zeta):
        w = alpha * c * _gprime(c * (AT @ zeta), depth)
        # a trial state of an implicit step may overflow the link: keep the Jacobian finite
        # (LAPACK refuses inf), the non-finite right-hand side then rejects the step
        return _finite_jacobian(-(A * w) @ AT)

    def floor(zeta):
        # rounding of z = c A^T zeta, propagated through the link to the residual
        z = c * (AT @ zeta)
        dz = _EPS * (np.abs(z) + c * col_norms * np.linalg.norm(zeta))
        return 4.0 * float(np.linalg.norm(A @ (alpha * _gprime(z, depth) * dz)))

    return np.zeros(A.shape[0]), x_of, rhs, jac, floor, 1e-14


def _parameter_system(A, y, depth, alpha):
    """The same for the direct 2N-dimensional ODE in (u, v)."""
    n = A.shape[1]
    s0 = alpha ** (1.0 / depth)
    AtA = A.T @ A
    Aty = A.T @ y

    def x_of(state):
        u, v = state[:n], state[n:]
        return u**depth - v**depth

    def rhs(_t, state):
        u, v = state[:n], state[n:]
        grad = AtA @ (u**depth - v**depth) - Aty
        return np.concatenate([-depth * u ** (depth - 1) * grad,
                               depth * v ** (depth - 1) * grad])

    def jac(_t, state):
        u, v = state[:n], state[n:]
        grad = AtA @ (u**depth - v**depth) - Aty
        du = depth * u ** (depth - 1)
        dv = depth * v ** (depth - 1)
        J = np.empty((2 * n, 2 * n))
        J[:n, :n] = -(du[:, None] * AtA * du[None, :])
        J[:n, n:] = du[:, None] * AtA * dv[None, :]
        J[n:, :n] = dv[:, None] * AtA * du[None, :]
        J[n:, n:] = -(dv[:, None] * AtA * dv[None, :])
        k = depth * (depth - 1)
        J[np.arange(n), np.arange(n)] -= k * u ** (depth - 2) * grad
        J[n + np.arange(n), n + np.arange(n)] += k * v ** (depth - 2) * grad
        return _finite_jacobian(J)

    def floor(state):
        u, v = state[:n], state[n:]
        dx = depth * _EPS * (np.abs(u) ** depth + np.abs(v) ** depth)
        return 4.0 * float(np.linalg.norm(A @ dx))

    return np.full(2 * n, s0), x_of, rhs, jac, floor, 1e-14 * s0


class _BudgetExceeded(Exception):
    pass


def gradient_flow(A, y, depth, alpha, t_max=None, t_eval=None, *, method="mirror",
                  rtol=1e-10, atol=None, tol=None, max_nfev=200_000):
    """Integrate gradient flow on the depth-``depth`` diagonal network from scale ``alpha``.

    With ``method="mirror"`` (default) the flow is integrated **exactly** in its reduced
    form: :math:`\\dot\\zeta = y - A x(\\zeta)` in :math:`\\mathbb R^m` with
    :math:`x(\\zeta) = \\alpha g_D(c_D A^\\top\\zeta)` (see :func:`flow_time_scale`), by the
    stiff Radau IIA integrator with the analytic Jacobian
    :math:`-\\alpha c_D A\\,\\mathrm{diag}(g_D')A^\\top`. Adaptive implicit steps grow along
    the long plateaus of small :math:`\\alpha`, so incremental (saddle-to-saddle) learning
    is resolved in a few hundred to a few thousand steps. ``method="parameters"`` integrates
    the :math:`2N`-dimensional ODE in :math:`(u, v)` directly (an independent check; use it
    for small :math:`N`).

    The integration also stops once the residual :math:`\\|Ax - y\\|` reaches the float64
    rounding floor of the state (for small :math:`\\alpha` and :math:`D \\ge 3` the link is
    so steep near :math:`|z| = 1` that rounding of :math:`\\zeta` dominates, and an
    integrator would only chase noise); the state is then the limit to working precision
    and later requested times repeat it (``t_stationary`` in the result).

    Parameters
    ----------
    A : array_like, shape (m, N)
        Measurement matrix with linearly independent rows.
    y : array_like, shape (m,)
        Observations.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale.
    t_max : float, optional
        Final time. By default (and when ``t_eval`` is not given) the horizon is automatic:
        the flow is integrated until :math:`\\|Ax - y\\| \\le` ``tol`` (or the rounding
        floor). With ``t_eval`` and no ``t_max`` the horizon is ``t_eval[-1]``.
    t_eval : array_like, optional
        Increasing times at which to report the path (default: the integrator's steps).
        Values come from the integrator's dense output (accurate to about ``rtol``).
    method : {"mirror", "parameters"}
        Reduced mirror-flow ODE or direct parameter ODE.
    rtol, atol : float, optional
        Integrator tolerances (``atol`` defaults to 1e-14 on :math:`\\zeta` (for A scaled to
        :math:`\\max|A_{ij}| \\approx 1`, see Notes), or
        1e-14 times the initial per-layer scale on :math:`(u, v)`).
    tol : float, optional
        Residual norm at which the automatic horizon stops; default
        :math:`10^{-10}\\|y\\|`. The distance to the limit is then about
        ``tol`` times a condition number of the problem (measured ~10x on small random
        instances).
    max_nfev : int, optional
        Budget of right-hand-side evaluations; exceeding it raises
        :class:`~implicit_bias.exceptions.NotConvergedError` instead of running for a very
        long time.

    Returns
    -------
    GradientFlowResult
        With ``t``, ``x`` of shape ``(len(t), N)``, ``loss`` and diagnostics.

    Raises
    ------
    ValueError
        For malformed input, or ``t_eval`` that is not increasing and non-negative.
    NotConvergedError
        If the integrator fails or exceeds ``max_nfev``.

    Warns
    -----
    ConvergenceWarning
        If the automatic horizon ends without reaching the tolerance.

    Notes
    -----
    The flow of :math:`(cA, cy)` is the flow of :math:`(A, y)` run :math:`c^2` times faster,
    to the same :math:`x`. The integration uses this: it runs on :math:`(A, y)/s`, with
    :math:`s` the power of two nearest to :math:`\\max|A_{ij}|`, in the time
    :math:`s^2 t`, so that results do not depend on the scale of the data (times, ``t_eval``,
    ``t_max``, ``tol`` and a given ``atol`` are in the units of the caller's data).

    For :math:`D \\ge 3`, small :math:`\\alpha` and a sparse solution with fewer nonzeros
    than rows, the last approach to the limit is a slow power law in :math:`t`
    (off-support weights still growing), integrated with very long steps. The rounding
    noise of :math:`y - Ax(\\zeta)`, multiplied by those steps, then exceeds ``rtol`` and
    Radau's Newton iterations stall (measured on a 4 x 8 instance, :math:`D = 3`,
    :math:`\\alpha = 10^{-9}`: from :math:`t \\approx 2\\cdot10^8`, at residual 2e-7). A stall
    detector then restarts the integration from the current state with a 100 times looser
    ``rtol`` (at most 1e-6; the ``message`` says when), which reaches the limit (there
    to 7e-10). If even that stalls, or ``max_nfev`` is exceeded,
    :class:`~implicit_bias.exceptions.NotConvergedError` is raised instead of running for
    hours.

    Examples
    --------
    >>> A = np.array([[1.0, 0.5]]); y = np.array([1.0])
    >>> path = gradient_flow(A, y, depth=2, alpha=1e-3, t_eval=[0.0, 1.0, 50.0])
    >>> path.x.shape
    (3, 2)
    >>> bool(gradient_flow(A, y, depth=2, alpha=1e-3).converged)
    True
    """
    A, y = check_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    if method not in ("mirror", "parameters"):
        raise ValueError(f"method must be 'mirror' or 'parameters', got {method!r}.")
    rtol = check_positive(rtol, "rtol")
    max_nfev = check_int(max_nfev, "max_nfev", 1)
    tol = _flow_tolerance(y) if tol is None else check_positive(tol, "tol")
    if t_eval is not None:
        t_eval = as_real_array(t_eval, "t_eval", "a 1-D array")
        if t_eval.ndim != 1 or t_eval.size == 0 or not np.all(np.isfinite(t_eval)) or np.any(
            t_eval < 0
        ) or np.any(np.diff(t_eval) <= 0):
            raise ValueError("t_eval must be a non-empty, strictly increasing array of times >= 0.")
        if t_max is None:
            t_max = float(t_eval[-1])
    auto = t_max is None
    if not auto:
        t_max = 0.0 if (not isinstance(t_max, bool) and t_max == 0) else check_positive(
            t_max, "t_max")
        if t_eval is not None and t_eval[-1] > t_max * (1 + 1e-12):
            raise ValueError("t_eval extends beyond t_max; drop the late times or raise t_max.")
    if atol is not None:
        atol = check_positive(atol, "atol")
    # integrate the rescaled system (A, y) / s in the time tau = s^2 t, s the power of two
    # nearest to max|A_ij|: an exact reparametrization (the flow of (sA, sy) is the flow of
    # (A, y) run s^2 times faster, to the same x), so that the integrator's absolute
    # tolerances act relative to the data
    A_in, y_in, s = A, y, pow2_scale(A)
    A, y, tol, time_scale = A / s, y / s, tol / s, s * s
    if t_eval is not None:
        t_eval = t_eval * time_scale
    if not auto:
        t_max = t_max * time_scale
    n = A.shape[1]
    system = _mirror_system if method == "mirror" else _parameter_system
    state0, x_of, rhs, jac, floor, default_atol = system(A, y, depth, alpha)
    if atol is None:
        atol = default_atol
    elif method == "mirror":
        atol = atol * s  # zeta of the rescaled system is s zeta
    ynorm = float(np.linalg.norm(y))

    steps, segments = [0], [0]  # event evaluations and solve_ivp segments, for n_iter

    def finish(ts, xs, converged, nfev, njev, message, t_stat=None):
        n_iter = max(steps[0] - segments[0], 0)
        res = A_in @ xs.T - y_in[:, None]
        loss = 0.5 * np.sum(res**2, axis=0)
        return GradientFlowResult(np.asarray(ts, dtype=float) / time_scale, xs, loss, converged,
                                  method, nfev, njev, message,
                                  None if t_stat is None else t_stat / time_scale, n_iter)

    # trivial horizons: nothing to integrate (steps, segments = 0)
    if (auto and ynorm <= tol) or not np.any(y) or t_max == 0:
        ts = np.zeros(1) if auto else (t_eval if t_eval is not None else
                                       np.array([0.0, t_max]) if t_max > 0 else np.zeros(1))
        xs = np.zeros((len(ts), n))
        done = ynorm <= tol
        return finish(ts, xs, done, 0, 0,
                      "y = 0: the flow stays at x = 0" if ynorm == 0 else (
                          "the initial residual is below tol" if done else "t_max = 0"),
                      0.0 if ynorm == 0 else None)

    level = tol if auto else 0.0

    def stop_event(_t, state):
        res = float(np.linalg.norm(A @ x_of(state) - y))
        return res - max(level, floor(state))

    stop_event.terminal = True
    stop_event.direction = -1
    count = [0]

    def step_counter(_t, _state):
        # solve_ivp evaluates every event once at the start and once after each accepted
        # step (root finding only on a sign change, which a constant never has)
        steps[0] += 1
        return 1.0

    def counted_rhs(t, state):
        count[0] += 1
        if count[0] > max_nfev:
            raise _BudgetExceeded
        return rhs(t, state)

    t_end = 1e30 if auto else t_max
    t0, s0, cur_rtol = 0.0, state0, rtol
    t_parts, y_parts, notes = [], [], []
    nfev = njev = 0
    while True:
        stall = _StallDetector(count)
        te = None if t_eval is None else t_eval[t_eval >= t0] if t0 == 0 else t_eval[
            t_eval > t0]
        if te is not None and te.size == 0:
            te = np.array([t_end])  # only the end point is still needed (dropped below)
        try:
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                # trial stages of the implicit steps may leave the domain |z| < 1 (D >= 3):
                # the resulting NaNs make the integrator reject and shorten the step
                sol = scipy.integrate.solve_ivp(
                    counted_rhs, (t0, t_end), s0, method="Radau", jac=jac, t_eval=te,
                    rtol=cur_rtol, atol=atol, events=[stop_event, stall, step_counter],
                )
            segments[0] += 1
        except _BudgetExceeded:
            raise NotConvergedError(
                f"gradient_flow: more than max_nfev={max_nfev} right-hand-side evaluations "
                "without reaching the end; give a finite t_max, a larger tol or max_nfev."
            ) from None
        if sol.status < 0:
            raise NotConvergedError(f"gradient_flow: the integrator failed: {sol.message}")
        nfev += int(sol.nfev)
        njev += int(sol.njev)
        # (with t_eval and an early terminal event solve_ivp may return no points at all)
        seg_t = np.asarray(sol.t, dtype=float)
        seg_y = np.asarray(sol.y, dtype=float).reshape(len(state0), -1)
        if t0 > 0 and t_eval is None and seg_t.size:  # the start was the previous end
            seg_t, seg_y = seg_t[1:], seg_y[:, 1:]
        if te is not None and t_eval is not None:
            keep = np.isin(seg_t, t_eval)
            seg_t, seg_y = seg_t[keep], seg_y[:, keep]
        t_parts.append(seg_t)
        y_parts.append(seg_y)
        if sol.status == 1 and sol.t_events[1].size and not sol.t_events[0].size:
            # Newton stalls: the rounding noise of y - A x(zeta), amplified by the long
            # steps of the slow tail, exceeds the tolerance; continue with a looser one
            if cur_rtol >= _MAX_FLOW_RTOL:
                raise NotConvergedError(
                    "gradient_flow: the integrator stalls at t = "
                    f"{sol.t_events[1][-1] / time_scale:.3g} "
                    f"even with rtol = {cur_rtol:.0e}; use flow_limit for the limit.")
            t0, s0 = float(sol.t_events[1][-1]), sol.y_events[1][-1]
            cur_rtol = min(100 * cur_rtol, _MAX_FLOW_RTOL)
            notes.append(f"rtol loosened to {cur_rtol:.0e} at t = {t0 / time_scale:.3g}")
            continue
        break
    ts = np.concatenate(t_parts)
    states = np.hstack(y_parts)
    t_stat = None
    message = str(sol.message)
    if sol.status == 1:  # the stopping event fired
        t_stop = float(sol.t_events[0][-1])
        s_stop = sol.y_events[0][-1]
        at_floor = floor(s_stop) >= level  # the floor, not tol, was the active threshold
        if at_floor:
            t_stat = t_stop
            message = "the residual reached the float64 rounding floor: the state is stationary"
        else:
            message = "the residual reached tol"
        if auto and t_eval is None and (ts.size == 0 or ts[-1] < t_stop):
            ts = np.append(ts, t_stop)
            states = np.hstack([states, s_stop[:, None]])
        if not auto:  # repeat the stationary state at the requested later times
            last = ts[-1] if ts.size else 0.0
            later = t_eval[t_eval > last] if t_eval is not None else np.array(
                [t_max] if t_max > last else [])
            ts = np.concatenate([ts, later])
            states = np.hstack([states, np.repeat(s_stop[:, None], len(later), axis=1)])
    if notes:
        message += " (" + "; ".join(notes) + ")"
    xs = np.array([x_of(states[:, k]) for k in range(states.shape[1])]).reshape(-1, n)
    if not np.all(np.isfinite(xs)):
        raise NotConvergedError("gradient_flow: the integrated path is not finite.")
    final_res = float(np.linalg.norm(A @ xs[-1] - y))
    converged = sol.status == 1 or final_res <= tol
    if auto and not converged:
        warnings.warn("gradient_flow: the residual did not reach the tolerance.",
                      ConvergenceWarning, stacklevel=2)
    return finish(ts, xs, bool(converged), nfev, njev, message, t_stat)


_MAX_FLOW_RTOL = 1e-6


class _StallDetector:
    """Terminal event that fires when Radau's steps stop making progress.

    Called by ``solve_ivp`` once per accepted step (and again during root finding, at
    earlier times, where it only reports its state). A stall is at least 15 right-hand-side
    evaluations per step over a window of 80 steps during which the time grew by less than a
    factor 2 -- the signature of Newton iterations failing on rounding noise (normal steps
    take 4-8 evaluations, plateaus are crossed with growing steps).
    """

    terminal = True
    direction = -1
    window = 80

    def __init__(self, count):
        self.count = count
        self.history = []
        self.t_stall = math.inf

    def __call__(self, t, _state):
        if self.t_stall == math.inf and (not self.history or t > self.history[-1][0]):
            self.history.append((t, self.count[0]))
            if len(self.history) > self.window:
                t_old, n_old = self.history[-self.window - 1]
                if (self.count[0] - n_old > 15 * self.window and t_old > 0
                        and t < 2 * t_old):
                    self.t_stall = t
        # a step function of t, so that the root finding of solve_ivp sees a sign change
        return -1.0 if t >= self.t_stall else 1.0


# ----------------------------------------------------------------------------------------------
# gradient descent
# ----------------------------------------------------------------------------------------------
@dataclass
class GradientDescentResult:
    """Result of :func:`gradient_descent`.

    Attributes
    ----------
    x : ndarray, shape (N,)
        The final weights :math:`u^D - v^D` (or the product of the factors).
    loss : ndarray
        :math:`\\tfrac12\\|Ax_k - y\\|^2` at every iteration ``k = 0, ..., n_iter``.
    n_iter : int
        Number of iterations performed.
    converged : bool
        Whether :math:`\\|Ax - y\\| \\le` ``tol`` :math:`\\cdot\\|y\\|` was reached.
    step : float
        The step size used.
    u, v : ndarray
        Final parameters; shape (N,) for the shared form, (D, N) for the factor form.
    message : str
        What stopped the iteration, in words.
    """

    x: np.ndarray
    loss: np.ndarray
    n_iter: int
    converged: bool
    step: float
    u: np.ndarray
    v: np.ndarray
    message: str = ""


def default_step(A, y, depth, alpha):
    """A heuristic constant step size for :func:`gradient_descent` from the local smoothness.

    The Hessian of the loss in :math:`(u, v)` has norm at most about
    :math:`D^2 M^{2-2/D}\\|A\\|_2^2 + D(D-1) M^{1-2/D}\\|A^\\top y\\|_\\infty` when the weights
    stay below :math:`M`. We take :math:`M = \\max(\\alpha, \\sqrt{N/m}\\,\\|A^+y\\|_2)`: the
    minimum-norm interpolator :math:`A^+y` sees only an :math:`m/N` share of a generic
    interpolator's energy, so this estimates the size of the weights the flow reaches. The
    step is half the inverse of that bound.

    This is a **heuristic**, not a guarantee: :math:`M` is an estimate, and transients of
    gradient descent may exceed it. The tests check that it converges with a monotonically
    decreasing loss on Gaussian instances (normalized and unnormalized :math:`A`,
    :math:`\\|y\\|` from 0.01 to 30, :math:`\\alpha` from 0.1 to 10 for
    :math:`D = 2, 3, 4`, and 1e-3 for :math:`D = 2`).
    If it is too large for a problem, :func:`gradient_descent` raises
    :class:`~implicit_bias.exceptions.DivergenceError` suggesting a smaller step; it never
    returns NaN. Gradient descent ends :math:`O(\\eta)` away from the gradient-flow limit,
    so for quantitative comparisons with :func:`flow_limit` use a fraction of this step.

    Parameters
    ----------
    A, y : array_like
        The system.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale.

    Returns
    -------
    float
        The step size.

    Examples
    --------
    >>> round(default_step(np.eye(2), np.ones(2), 2, 1e-3), 4)
    0.0653
    """
    A, y = check_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    x_l2 = np.linalg.lstsq(A, y, rcond=None)[0]
    m, n = A.shape
    M = max(alpha, math.sqrt(n / m) * float(np.linalg.norm(x_l2)))
    normA = float(np.linalg.norm(A, 2))
    # in logarithms: M ** (2 - 2/D) overflows for alpha ~ 1e300
    t1 = 2 * math.log(depth) + (2 - 2 / depth) * math.log(M) + 2 * math.log(normA)
    aty = float(np.max(np.abs(A.T @ y)))
    t2 = (math.log(depth * (depth - 1)) + (1 - 2 / depth) * math.log(M) + math.log(aty)
          if aty > 0 else -math.inf)
    log_smooth = max(t1, t2) + math.log1p(math.exp(min(t1, t2) - max(t1, t2)))
    step = 0.5 * math.exp(-log_smooth) if -log_smooth < _LOG_HUGE else math.inf
    if not 0.0 < step < math.inf:
        raise ValueError(
            f"default_step: the heuristic step for alpha={alpha:.3g} and this data is outside the "
            "float64 range; rescale the problem (alpha and the size of A and y) towards 1.")
    return step


def gradient_descent(A, y, depth, alpha, step=None, max_iter=200_000, tol=1e-10, *,
                     factors=None, init=None, record_every=1):
    """Gradient descent on the loss :math:`\\tfrac12\\|A(u^D - v^D) - y\\|^2`.

    Starts from :math:`u = v = \\alpha^{1/D}` (shared form). With ``factors=(U, V)``, arrays
    of shape ``(depth, N)``, it instead runs on the factor form
    :math:`x = \\prod_k u_k - \\prod_k v_k` from that (possibly unbalanced or random)
    initialization; ``alpha`` is then ignored except for the default step. With identical
    factors the factor form with step :math:`\\eta` equals the shared form with
    :math:`\\eta/D`.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Measurement matrix with linearly independent rows.
    y : array_like, shape (m,)
        Observations.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale.
    step : float, optional
        Step size; default :func:`default_step`.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when :math:`\\|Ax - y\\| \\le` ``tol`` :math:`\\cdot\\|y\\|` (relative, so
        that rescaling y does not change when the iteration stops).
    factors : tuple of ndarray, optional
        ``(U, V)`` initial factors, each of shape ``(depth, N)``.
    init : tuple of ndarray, optional
        ``(u, v)`` initial parameters of the shared form, each of shape ``(N,)``, instead
        of :math:`\\alpha^{1/D}\\mathbf 1` (e.g. ``(res.u, res.v)`` to continue a run).
        Not combinable with ``factors``.
    record_every : int
        Record the loss every this many iterations.

    Returns
    -------
    GradientDescentResult
        With ``x``, ``loss`` history, ``n_iter``, ``converged`` and ``step``. When the
        tolerance is not reached within ``max_iter`` a
        :class:`~implicit_bias.exceptions.ConvergenceWarning` is issued and ``converged`` is
        False.

    Raises
    ------
    DivergenceError
        If the iterates overflow, become NaN, or the loss grows by a factor 1e4: the step is
        too large; the message suggests a smaller one.

    Examples
    --------
    >>> A = np.array([[1.0, 0.5]]); y = np.array([1.0])
    >>> res = gradient_descent(A, y, depth=2, alpha=1e-4)
    >>> bool(res.converged), res.x.round(2)
    (True, array([0.99, 0.01]))
    """
    A, y = check_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    max_iter = check_int(max_iter, "max_iter", 1)
    record_every = check_int(record_every, "record_every", 1)
    tol = check_positive(tol, "tol")
    n = A.shape[1]
    if step is None:
        step = default_step(A, y, depth, alpha)
        if factors is not None:
            step *= depth
    step = check_positive(step, "step")
    target = tol * float(np.linalg.norm(y))  # relative: right for any scale of y
    if factors is not None and init is not None:
        raise ValueError("pass either factors= (factor form) or init= (shared form), not both.")
    if factors is None and init is not None:
        u, v = (f.copy() for f in check_pair(init, "init", "(u, v)"))
        if u.shape != (n,) or v.shape != (n,):
            raise ValueError(f"init must be a pair (u, v) of arrays of shape (N,) = ({n},); "
                             f"got {u.shape} and {v.shape}.")
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            raise ValueError("init contains NaN or infinite entries.")
        x = u**depth - v**depth
    elif factors is None:
        u = np.full(n, alpha ** (1.0 / depth))
        v = u.copy()
        x = u**depth - v**depth
    else:
        U, V = (f.copy() for f in check_pair(factors, "factors", "(U, V)"))
        if U.shape != (depth, n) or V.shape != (depth, n):
            raise ValueError(
                f"factors must be a pair (U, V) of arrays of shape (depth, N) = ({depth}, {n}); "
                f"got {U.shape} and {V.shape}."
            )
        if not (np.all(np.isfinite(U)) and np.all(np.isfinite(V))):
            raise ValueError("factors contain NaN or infinite entries.")
        x = np.prod(U, axis=0) - np.prod(V, axis=0)
    r = A @ x - y
    loss0 = 0.5 * float(r @ r)
    losses = [loss0]
    converged = bool(np.sqrt(2 * loss0) <= target)
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while not converged and k < max_iter:
            g = A.T @ r
            if factors is None:
                gu = depth * u ** (depth - 1) * g
                gv = depth * v ** (depth - 1) * g
                u = u - step * gu
                v = v + step * gv
                x = u**depth - v**depth
            else:
                U = U - step * _others_product(U) * g
                V = V + step * _others_product(V) * g
                x = np.prod(U, axis=0) - np.prod(V, axis=0)
            r = A @ x - y
            k += 1
            loss = 0.5 * float(r @ r)
            if not np.isfinite(loss) or loss > 1e4 * max(loss0, 1e-300):
                raise DivergenceError(
                    f"gradient_descent diverged at iteration {k} (loss {loss:.3g}, step "
                    f"{step:.3g}); use a smaller step, e.g. step={step / 4:.3g}."
                )
            if k % record_every == 0:
                losses.append(loss)
            converged = bool(np.sqrt(2 * loss) <= target)
    message = (f"the residual reached tol={tol:g} (relative)" if converged else
               f"max_iter={max_iter} iterations reached before tol={tol:g}")
    if not converged:
        warnings.warn(
            f"gradient_descent did not reach tol={tol:g} in {max_iter} iterations "
            f"(residual {np.linalg.norm(r):.3g}); increase max_iter or the step.",
            ConvergenceWarning, stacklevel=2,
        )
    if factors is None:
        return GradientDescentResult(x, np.array(losses), k, converged, step, u, v, message)
    return GradientDescentResult(x, np.array(losses), k, converged, step, U, V, message)


def _others_product(F):
    """For each row k, the entrywise product of all other rows of F (no division)."""
    D = F.shape[0]
    prefix = np.ones_like(F)
    suffix = np.ones_like(F)
    for k in range(1, D):
        prefix[k] = prefix[k - 1] * F[k - 1]
        suffix[D - 1 - k] = suffix[D - k] * F[D - k]
    return prefix * suffix
