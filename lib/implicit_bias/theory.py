r"""Predicted rates, constants and selection rules for the gradient-flow limit as alpha -> 0.

For a unique basis-pursuit solution :math:`x_{\ell^1}` with support :math:`S`, signs
:math:`\sigma` and parameter :math:`\varrho` (:func:`implicit_bias.l1.varrho`), the limit
:math:`x_\infty(\alpha)` of gradient flow on the depth-:math:`D` diagonal network satisfies
(our derivation, checked numerically in the tests; the rates agree with the abstract of
Matt & Stöger 2025):

* :math:`D = 2`: :math:`\|x_\infty(\alpha) - x_{\ell^1}\|_1 \asymp \alpha^{1-\varrho}`
  (:func:`rate_exponent`);
* :math:`D \ge 3`: :math:`\|x_\infty(\alpha) - x_{\ell^1}\|_1 / \alpha \to C_D(A, y)`
  (:func:`error_constant`).

Without uniqueness, :func:`selected_minimizer` gives the :math:`\ell^1` minimizer that the flow
approaches, and :func:`l1_gap_bound` is a rigorous, instance-uniform bound on the
:math:`\ell^1` gap :math:`\|x_\infty\|_1 - \|x_{\ell^1}\|_1` at every :math:`\alpha`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import scipy.optimize

from . import _link
from . import l1 as _l1
from ._validation import (
    check_alpha,
    check_depth,
    check_system,
    check_vector,
    pow2_scale,
)
from .diagonal import h as _h_public
from .diagonal import link_derivative
from .exceptions import NotConvergedError

__all__ = [
    "rate_exponent",
    "ErrorConstantResult",
    "error_constant",
    "error_constant_certificate",
    "l1_gap_bound",
    "selected_minimizer",
    "l1_distance",
    "fit_loglog_slope",
]


def _scaled_system(A, y):
    """Validate and rescale (A, y) -> (A, y) / c, c a power of two near max|A|.

    Everything in this module (limits, rates, constants, the selected minimizer, the gap
    bound) is invariant under (A, y) -> (cA, cy); solving the scaled system keeps the solver
    tolerances relative. Returns (A, y, c).
    """
    A, y = check_system(A, y)
    c = pow2_scale(A)
    return A / c, y / c, c


def _unique_bp(A, y):
    bp = _l1.basis_pursuit(A, y)
    if bp.support.size == 0:
        raise ValueError("y = 0: the l1 solution is x = 0 and the flow limit is exactly 0.")
    if not bp.unique:
        raise ValueError(
            "the basis-pursuit solution is not unique (varrho = 1 or A_S not injective), so "
            "the rate and constant of convergence to it are undefined; use "
            "selected_minimizer(A, y, depth) for the point the flow approaches."
        )
    return bp


def rate_exponent(A, y, depth):
    r"""The :math:`\alpha`-exponent of :math:`\|x_\infty(\alpha) - x_{\ell^1}\|` as
    :math:`\alpha\to0`.

    :math:`1 - \varrho` for :math:`D = 2` and :math:`1` for :math:`D \ge 3` (where the depth
    shows up in the constant instead, see :func:`error_constant`).

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix with linearly independent rows.
    y : array_like, shape (m,)
        Data.
    depth : int
        Depth :math:`D \ge 2`.

    Returns
    -------
    float
        The exponent, in :math:`(0, 1]`.

    Raises
    ------
    ValueError
        If the basis-pursuit solution is not unique, or for malformed input.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]]); y = np.array([1.0])
    >>> round(rate_exponent(A, y, 2), 12), rate_exponent(A, y, 3)
    (0.4, 1.0)
    """
    A, y, _ = _scaled_system(A, y)
    depth = check_depth(depth)
    bp = _unique_bp(A, y)
    if depth >= 3:
        return 1.0
    return 1.0 - _l1._varrho_primal(A, bp.support, bp.signs)[0]


# ----------------------------------------------------------------------------------------------
# the D >= 3 constant
# ----------------------------------------------------------------------------------------------
def _null_space(M, rtol=1e-12):
    """Orthonormal basis of ker M (numpy SVD)."""
    if M.shape[0] == 0:
        return np.eye(M.shape[1])
    u, sv, vt = np.linalg.svd(M)
    rank = int(np.sum(sv > rtol * (sv[0] if sv.size else 1.0)))
    return vt[rank:].T


def _newton_affine(fun, x0, Z, feasible, max_iter=200, tol=1e-24):
    """Minimize a smooth convex fun(x) -> (f, grad, hess) over x0 + range(Z), staying in
    ``feasible``. Damped Newton with backtracking; returns (x, iterations, converged, message)."""
    x = x0.copy()
    f, g, H = fun(x)
    for it in range(max_iter):
        gr = Z.T @ g
        Hr = Z.T @ H @ Z
        try:
            d = -np.linalg.solve(Hr, gr)
        except np.linalg.LinAlgError:
            d = -np.linalg.lstsq(Hr, gr, rcond=None)[0]
        dec = float(-gr @ d)  # Newton decrement squared
        if dec <= tol * max(1.0, abs(f)):
            return x, it, True, f"Newton decrement below {tol:g} (relative)"
        step = Z @ d
        t = 1.0
        for _ in range(80):
            xn = x + t * step
            if feasible(xn):
                fn, gn, Hn = fun(xn)
                if fn <= f - 0.25 * t * dec + 1e-15 * abs(f):
                    break
            t *= 0.5
        else:
            return x, it, False, ("the line search stalled (float64 floor) with Newton "
                                  f"decrement {dec:.3g}")
        x, f, g, H = xn, fn, gn, Hn
    raise NotConvergedError("Newton on the affine subspace did not converge.")


@dataclass
class ErrorConstantResult:
    r"""Result of :func:`error_constant_certificate`.

    Attributes
    ----------
    value : float
        :math:`C_D = \|h_D(w)\|_1 + \|A_S^\dagger A_{S^c} h_D(w)\|_1`.
    lam : ndarray, shape (m,)
        The flow's certificate :math:`\lambda_D` (minimizer of
        :math:`\sum_{j\notin S}H_D(a_j^\top\lambda)` over :math:`A_S^\top\lambda = \sigma`).
    w : ndarray, shape (N - s,)
        :math:`w = A_{S^c}^\top\lambda_D`, with :math:`\|w\|_\infty \ge \varrho`.
    offsupport_limit : ndarray, shape (N - s,)
        :math:`\lim_{\alpha\to0}x_{\infty,S^c}(\alpha)/\alpha = h_D(w)`, aligned with
        ``w`` and ``offsupport``.
    error_limit : ndarray, shape (N,)
        :math:`\lim_{\alpha\to0}(x_\infty(\alpha) - x_{\ell^1})/\alpha`: :math:`h_D(w)` off the
        support and :math:`-A_S^\dagger A_{S^c}h_D(w)` on it; ``value`` is its
        :math:`\ell^1` norm.
    support : ndarray of int
        :math:`S`.
    offsupport : ndarray of int
        :math:`S^c` (sorted).
    depth : int
    n_iter : int
        Newton iterations.
    converged : bool
        Whether Newton's stopping test (decrement below 1e-24, relative) was met; False when
        the line search stalled at the float64 floor first (``value`` is then the last iterate's).
    message : str
        What stopped Newton, in words.
    """

    value: float
    lam: np.ndarray
    w: np.ndarray
    offsupport_limit: np.ndarray
    error_limit: np.ndarray
    support: np.ndarray
    offsupport: np.ndarray
    depth: int
    n_iter: int
    converged: bool = True
    message: str = ""


def error_constant(A, y, depth):
    r"""The limit :math:`C_D = \lim_{\alpha\to0}\|x_\infty(\alpha) - x_{\ell^1}\|_1/\alpha`
    for :math:`D \ge 3`.

    The book's derivation (matched asymptotics, chapter 5), not a quoted theorem: as
    :math:`\alpha\to0` the dual variable of the flow limit converges to the certificate

    .. math::

        \lambda_D = \arg\min\Big\{\sum_{j\notin S} H_D(a_j^\top\lambda) :
            A_S^\top\lambda = \sigma\Big\},\qquad
        H_D(z) = \frac{(1-z)^{1-p} + (1+z)^{1-p} - 2}{p - 1},\ p = \frac{D}{D-2},

    (:math:`H_D' = h_D`, strictly convex, infinite at :math:`|z| = 1`), so that
    :math:`x_{\infty,S^c}/\alpha \to h_D(w)` with :math:`w = A_{S^c}^\top\lambda_D`, and the
    exact identity :math:`x_{\infty,S} - x_{\ell^1,S} = -A_S^\dagger A_{S^c}x_{\infty,S^c}`
    gives

    .. math::

        C_D = \|h_D(w)\|_1 + \|A_S^\dagger A_{S^c}\,h_D(w)\|_1 .

    :math:`\lambda_D` is computed by damped Newton on the affine subspace
    :math:`\lambda = \lambda_0 + Zt` (:math:`Z` an orthonormal basis of
    :math:`\ker A_S^\top`), started from the :math:`\varrho` certificate (where
    :math:`\|w\|_\infty = \varrho < 1`).

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix with linearly independent rows.
    y : array_like, shape (m,)
        Data with a unique basis-pursuit solution.
    depth : int
        Depth :math:`D \ge 3`.

    Returns
    -------
    float
        :math:`C_D`; :func:`error_constant_certificate` returns the certificate and the
        limit direction with it.

    Raises
    ------
    ValueError
        If ``depth < 3``, the basis-pursuit solution is not unique, or for malformed input.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]]); y = np.array([1.0])
    >>> round(error_constant(A, y, 3), 6)  # (1 + c) h_3(c) for the [1, c] example
    24.609375
    """
    return _error_constant(A, y, depth).value


def error_constant_certificate(A, y, depth):
    r"""The constant :math:`C_D` of :func:`error_constant` with its certificate.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix with linearly independent rows.
    y : array_like, shape (m,)
        Data with a unique basis-pursuit solution.
    depth : int
        Depth :math:`D \ge 3`.

    Returns
    -------
    ErrorConstantResult
        With ``value`` (:math:`C_D`), the certificate ``lam``, ``w``, the limit direction
        ``error_limit`` and Newton's ``n_iter``, ``converged``, ``message``.

    Raises
    ------
    ValueError
        If ``depth < 3``, the basis-pursuit solution is not unique, or for malformed input.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]]); y = np.array([1.0])
    >>> r = error_constant_certificate(A, y, 3)
    >>> round(r.value, 6), r.error_limit.round(6)
    (24.609375, array([-9.228516, 15.380859]))
    """
    return _error_constant(A, y, depth)


def _error_constant(A, y, depth):
    A, y, a_scale = _scaled_system(A, y)
    depth = check_depth(depth, minimum=3)
    bp = _unique_bp(A, y)
    S, sigma = bp.support, bp.signs
    N = A.shape[1]
    comp = np.setdiff1d(np.arange(N), S)
    AS, AC = A[:, S], A[:, comp]
    lam0 = np.linalg.lstsq(AS.T, sigma, rcond=None)[0]
    Z = _null_space(AS.T)
    n_iter, converged, message = 0, True, "closed form (no free direction for the certificate)"
    if comp.size and Z.shape[1]:
        _, lam_start = _l1._varrho_primal(A, S, sigma)

        def fun(lam):
            w = AC.T @ lam
            f = float(np.sum(_link.G(w, depth)))  # H_D = G_D, the dual potential
            g = AC @ _h_public(w, depth)
            H = (AC * link_derivative(w, depth)) @ AC.T
            return f, g, H

        def feasible(lam):
            return bool(np.max(np.abs(AC.T @ lam)) < 1.0)

        start = lam0 + Z @ (Z.T @ (lam_start - lam0))
        lam, n_iter, converged, message = _newton_affine(fun, start, Z, feasible)
    else:
        lam = lam0
    w = AC.T @ lam
    if w.size and np.max(np.abs(w)) >= 1.0:
        raise NotConvergedError("error_constant: the certificate left the domain |w| < 1.")
    hw = _h_public(w, depth) if w.size else np.zeros(0)
    on = -np.linalg.lstsq(AS, AC @ hw, rcond=None)[0]
    value = float(np.sum(np.abs(hw)) + np.sum(np.abs(on)))
    lim = np.zeros(N)
    lim[comp] = hw
    lim[S] = on
    return ErrorConstantResult(value=value, lam=lam / a_scale, w=w, offsupport_limit=hw,
                               error_limit=lim, support=S, offsupport=comp, depth=depth,
                               n_iter=n_iter, converged=converged, message=message)


# ----------------------------------------------------------------------------------------------
# the l1 gap bound
# ----------------------------------------------------------------------------------------------
def _largest_root(f, lo):
    """Largest root of a convex f with f(lo) <= 0 and f -> +inf; returns the upper end of a
    bracket of width <= 1e-13 relative (so the returned value is >= the root)."""
    if f(lo) > 0:  # only by rounding (f(lo) <= 0 mathematically): the root is lo
        return lo * (1.0 + 1e-12)
    hi = max(2.0 * lo, 1.0)
    while f(hi) <= 0:
        hi *= 2.0
    root = scipy.optimize.brentq(f, lo, hi, xtol=1e-300, rtol=1e-14)
    return root * (1.0 + 1e-13) + 1e-300


def l1_gap_bound(A, y, depth, alpha):
    r"""A rigorous upper bound on the :math:`\ell^1` gap
    :math:`\|x_\infty(\alpha)\|_1 - \|x_{\ell^1}\|_1`.

    Valid for every :math:`\alpha` (for :math:`D = 2`, every :math:`\alpha < 1`) and every
    instance, unique or not. Write :math:`G = \|x_\infty\|_1`, :math:`B = \|x_{\ell^1}\|_1`,
    :math:`Q = Q_\alpha^D` the flow's potential (:func:`implicit_bias.diagonal.potential`).
    Since :math:`x_\infty` minimizes :math:`Q` over :math:`Ax = y`,
    :math:`Q(x_\infty) \le Q(x_{\ell^1})`; the bound follows from a sandwich of :math:`Q`
    (the book's derivation, not a quoted theorem; the abstract of Chou, Maly & Rauhut 2023
    says they analyze the flow through "a certain Bregman divergence").

    **D >= 3.** :math:`q_D(v) = \int_0^{|v|}h_D^{-1}` satisfies
    :math:`|v| - \tfrac D2|v|^{2/D} \le q_D(v) \le |v|`: the upper bound because
    :math:`h_D^{-1} < 1`, the lower one because :math:`h_D(z) \le (1-z)^{-D/(D-2)}` gives
    :math:`1 - h_D^{-1}(u) \le u^{-(D-2)/D}`, integrated from 0 to :math:`|v|`. With
    :math:`Q(x) = \alpha\sum q_D(x_i/\alpha)` and Hölder,
    :math:`\sum|x_i|^{2/D} \le N^{1-2/D}\|x\|_1^{2/D}`:

    .. math::

        G - c\,G^{2/D} \le Q(x_\infty) \le Q(x_{\ell^1}) \le B, \qquad
        c = \tfrac D2\,\alpha^{(D-2)/D} N^{1-2/D}.

    The left side is convex in :math:`G` and tends to :math:`+\infty`, so :math:`G \le G^*`,
    the largest root of :math:`G - cG^{2/D} = B`, and the bound is
    :math:`G^* - B = c\,(G^*)^{2/D} \approx \tfrac D2 N^{1-2/D}B^{2/D}\alpha^{(D-2)/D}`.

    **D = 2.** With :math:`q_2' = \operatorname{arcsinh}(\cdot/2)` and
    :math:`\log u \le \operatorname{arcsinh}(u/2) \le \log(1+u)`, integration gives
    :math:`u\log u - u \le q_2(u) \le (1+u)\log(1+u) - u` for :math:`u \ge 0`. With
    :math:`L = \log(1/\alpha) > 0`, the lower bound summed over :math:`x_\infty` and the
    log-sum inequality :math:`\sum|x_i|\log|x_i| \ge G\log(G/N)` give
    :math:`Q(x_\infty) \ge LG + G\log(G/N) - G`; the upper bound at :math:`x_{\ell^1}` gives
    :math:`Q(x_{\ell^1}) \le L(B + N\alpha) + \Psi` with
    :math:`\Psi = \sum_i[(|x_{\ell^1,i}| + \alpha)\log(|x_{\ell^1,i}| + \alpha) -
    |x_{\ell^1,i}|]`. Hence :math:`G \le G^*`, the largest root of the convex function

    .. math::

        f(G) = (L - 1 - \log N)\,G + G\log G - L(B + N\alpha) - \Psi,

    and the bound is :math:`G^* - B \approx [B(1 + \log(N/B)) + \Psi]/\log(1/\alpha)`. It
    decays only like :math:`1/\log(1/\alpha)`; for :math:`\alpha \ge 1` it is ``inf``.

    Both bounds depend on the instance only through :math:`N` and :math:`x_{\ell^1}`; when
    basis pursuit has several solutions the argument holds for each of them, and
    :math:`\Psi` is evaluated at the one :func:`implicit_bias.l1.basis_pursuit` returns.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix with linearly independent rows.
    y : array_like, shape (m,)
        Data.
    depth : int
        Depth :math:`D \ge 2`.
    alpha : float
        End-to-end initial scale.

    Returns
    -------
    float
        An upper bound on :math:`\|x_\infty(\alpha)\|_1 - \min\{\|x\|_1 : Ax = y\}`.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]]); y = np.array([1.0])
    >>> b3 = l1_gap_bound(A, y, 3, 1e-6)   # ~ (3/2) 2^(1/3) alpha^(1/3)
    >>> 0.018 < b3 < 0.020
    True
    >>> l1_gap_bound(A, y, 2, 1e-6) < 0.25
    True
    """
    A, y, _ = _scaled_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    bp = _l1.basis_pursuit(A, y, check_unique=False)
    B = bp.objective
    N = A.shape[1]
    if B == 0.0:
        return 0.0
    if depth >= 3:
        q = 2.0 / depth
        c = 0.5 * depth * alpha ** ((depth - 2) / depth) * N ** (1.0 - q)

        def f(G):
            return G - c * G ** q - B

        G = _largest_root(f, B)
        return max(G - B, 0.0)
    if alpha >= 1.0:
        return math.inf
    L = -math.log(alpha)
    t = np.abs(bp.x)
    Psi = float(np.sum((t + alpha) * np.log(t + alpha) - t))
    rhs = L * (B + N * alpha) + Psi
    coef = L - 1.0 - math.log(N)

    def f(G):
        return coef * G + G * math.log(G) - rhs

    # f is convex, decreasing on (0, N alpha], and f(B) <= 0 (log-sum inequality applied to
    # Psi), so f(max(B, N alpha)) <= 0 and the largest root lies to its right
    G = _largest_root(f, max(B, N * alpha))
    return max(G - B, 0.0)


# ----------------------------------------------------------------------------------------------
# selection among several l1 minimizers
# ----------------------------------------------------------------------------------------------
def _face(A, y, bp):
    """The face of l1 minimizers: indices E, signs and a relative-interior point u > 0 with
    x_E = signs * u, A_E diag(signs) u = y."""
    lam = bp.certificate
    z = A.T @ lam
    E = np.flatnonzero(np.abs(z) >= 1.0 - 1e-9)
    sig = np.sign(z[E])
    M = A[:, E] * sig
    k, m = E.size, A.shape[0]
    # max sum v  s.t.  M u - tau y = 0,  v <= u,  0 <= v <= 1,  u >= 0,  tau >= 0
    c = np.concatenate([np.zeros(k), -np.ones(k), [0.0]])
    A_eq = np.hstack([M, np.zeros((m, k)), -y[:, None]])
    A_ub = np.hstack([-np.eye(k), np.eye(k), np.zeros((k, 1))])
    bounds = [(0, None)] * k + [(0, 1)] * k + [(0, None)]
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=np.zeros(k), A_eq=A_eq, b_eq=np.zeros(m),
                                 bounds=bounds, method="highs")
    if res.status != 0 or res.x[-1] <= 0:
        raise NotConvergedError("selected_minimizer: could not find a relative-interior point "
                                "of the face of l1 minimizers.")
    v = res.x[k:2 * k]
    keep = v > 0.5
    u = res.x[:k][keep] / res.x[-1]
    return E[keep], sig[keep], u


def selected_minimizer(A, y, depth):
    r"""The basis-pursuit solution that gradient flow approaches as :math:`\alpha \to 0`.

    If basis pursuit has a unique solution, that solution. Otherwise the solutions form a face
    :math:`\Xi = \{x : Ax = y,\ x_i = 0 \ (i\notin E),\ \sigma_i x_i \ge 0\ (i \in E)\}` of
    the :math:`\ell^1` ball (:math:`E`, :math:`\sigma` read off any dual certificate:
    :math:`E = \{i : |a_i^\top\lambda| = 1\}`), and the expansion of the potential
    (the book's derivation, chapters 4 and 6),
    :math:`Q_\alpha^2(x) = \log(1/\alpha)\|x\|_1 + \sum_i(|x_i|\log|x_i| - |x_i|) + O(\alpha)`
    and :math:`Q_\alpha^D(x) = \|x\|_1 - \tfrac D2\alpha^{(D-2)/D}\sum_i|x_i|^{2/D} + O(\alpha)`,
    selects

    .. math::

        \arg\min_{x\in\Xi}\sum_i |x_i|\log|x_i| \quad (D = 2), \qquad
        \arg\max_{x\in\Xi}\sum_i |x_i|^{2/D} \quad (D \ge 3).

    Both are strictly convex problems with an infinite slope at :math:`x_i = 0`, so the
    solution is in the relative interior of :math:`\Xi`; it is found by damped Newton on the
    affine hull, started from a relative-interior point computed by one LP.

    Parameters
    ----------
    A : array_like, shape (m, N)
    y : array_like, shape (m,)
    depth : int
        Depth :math:`D \ge 2`.

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> from implicit_bias.examples import nonunique_example
    >>> ex = nonunique_example()
    >>> x = selected_minimizer(ex.A, ex.y, 2)
    >>> round(ex.coordinate(x), 6)
    0.051742
    """
    A, y, _ = _scaled_system(A, y)
    depth = check_depth(depth)
    bp = _l1.basis_pursuit(A, y)
    if bp.unique or bp.support.size == 0:
        return bp.x.copy()
    E, sig, u0 = _face(A, y, bp)
    M = A[:, E] * sig
    Z = _null_space(M)
    if Z.shape[1]:
        if depth == 2:
            def fun(u):
                lu = np.log(u)
                return float(u @ lu), lu + 1.0, np.diag(1.0 / u)
        else:
            q = 2.0 / depth

            def fun(u):
                uq = u ** q
                return (-float(np.sum(uq)), -q * uq / u,
                        np.diag(q * (1.0 - q) * uq / (u * u)))

        u, *_ = _newton_affine(fun, u0, Z, lambda u: bool(np.all(u > 0)), tol=1e-28)
    else:
        u = u0
    x = np.zeros(A.shape[1])
    x[E] = sig * u
    return x


# ----------------------------------------------------------------------------------------------
# small utilities
# ----------------------------------------------------------------------------------------------
def _bits(v):
    """Number of mantissa bits of an mpf (53 for anything else)."""
    mpf_tuple = getattr(v, "_mpf_", None)
    return int(mpf_tuple[3]) if mpf_tuple is not None else 53


def _is_mp(v):
    return isinstance(v, np.ndarray) and v.dtype == object


def l1_distance(x, x_ref):
    r""":math:`\|x - x_{\mathrm{ref}}\|_1`, in extended precision if either argument is.

    Parameters
    ----------
    x, x_ref : array_like, shape (N,)
        float arrays, or object arrays of ``mpmath.mpf`` (e.g. ``flow_limit(...).x_mp`` and
        :func:`implicit_bias.l1.solution_on_support` with ``digits``).

    Returns
    -------
    float or mpmath.mpf
        An ``mpf`` when either argument is an object array (computed at the precision of the
        most precise entry plus 64 bits, whatever the current mpmath context), else a float.

    Examples
    --------
    >>> l1_distance([1.0, 2.0], [0.5, 2.5])
    1.0
    """
    mp = _is_mp(x) or _is_mp(x_ref)
    if mp:
        a = np.asarray(x, dtype=object).ravel()
        b = np.asarray(x_ref, dtype=object).ravel()
        if a.shape != b.shape:
            raise ValueError(f"shape mismatch: x has {a.size} entries, x_ref has {b.size}.")
        # work at the precision of the most precise input (mpf() rounds to the context's)
        prec = max([_bits(v) for v in a] + [_bits(v) for v in b] + [53]) + 64
        with mpmath.workprec(prec):
            try:
                return mpmath.fsum(abs(mpmath.mpf(s) - mpmath.mpf(t))
                                   for s, t in zip(a, b, strict=True))
            except (TypeError, ValueError):
                raise TypeError("x and x_ref must contain real numbers (floats or "
                                "mpmath.mpf); complex, strings and None are refused.") from None
    a = check_vector(x, name="x")
    b = check_vector(x_ref, a.size, name="x_ref", length_of="entries of x")
    return float(np.sum(np.abs(a - b)))


def fit_loglog_slope(alphas, errors):
    r"""Least-squares slope of :math:`\log(\text{error})` against :math:`\log\alpha`.

    Parameters
    ----------
    alphas : array_like
        Positive scales (at least two distinct values).
    errors : array_like
        Positive errors, floats or ``mpmath.mpf`` (logs taken in mpmath, so errors below the
        float64 range are fine).

    Returns
    -------
    float
        The fitted exponent :math:`k` in :math:`\text{error} \approx C\alpha^k`.

    Raises
    ------
    ValueError
        If lengths differ, fewer than two points, or a non-positive value.

    Examples
    --------
    >>> a = np.array([1e-8, 1e-6, 1e-4])
    >>> round(fit_loglog_slope(a, 3 * a**0.5), 12)
    0.5
    """
    la = [_log_positive(v, "alphas") for v in np.asarray(alphas, dtype=object).ravel()]
    le = [_log_positive(v, "errors") for v in np.asarray(errors, dtype=object).ravel()]
    if len(la) != len(le):
        raise ValueError(f"alphas and errors differ in length ({len(la)} vs {len(le)}).")
    if len(la) < 2 or np.ptp(la) == 0:
        raise ValueError("need at least two distinct alphas to fit a slope.")
    return float(np.polyfit(np.array(la), np.array(le), 1)[0])


def _log_positive(v, name):
    try:
        val = mpmath.mpf(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must contain real numbers, got {v!r}.") from None
    if not mpmath.isfinite(val) or val <= 0:
        raise ValueError(f"{name} must be positive and finite for a log-log fit, got {v!r}.")
    return float(mpmath.log(val))
