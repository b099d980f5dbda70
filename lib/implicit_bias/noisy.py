r"""Noisy data: the training trajectory, the lasso path, and early stopping.

With noisy observations :math:`y = Ax^\star + \varepsilon` the limit of gradient flow
interpolates the noise, and what helps is to stop early. This module provides what the book
needs to compare the trajectory :math:`x(t)` of a diagonal linear network with the lasso
regularization path

.. math::

    \hat x(\lambda) = \arg\min_x\ \tfrac12\|Ax - y\|_2^2 + \lambda\|x\|_1

(the book's normalization: the same squared loss as the network, without a factor
:math:`1/m`):

* :func:`noisy_instance` draws a seeded noisy sparse-regression problem with a held-out
  validation set;
* :func:`trajectory` samples the gradient-flow path at prescribed times (or at the times
  that correspond to prescribed :math:`\lambda`), through the exact mirror-flow ODE of
  :func:`implicit_bias.diagonal.gradient_flow`, and optionally its running time average;
* :func:`time_lambda_constant`, :func:`lambda_of_time` and :func:`time_of_lambda` implement
  the correspondence :math:`\lambda = \kappa_D(\alpha)/t` derived in the book, with
  :math:`\kappa_2(\alpha) = \log(1/\alpha)/4` and
  :math:`\kappa_D(\alpha) = 1/(D(D-2)\alpha^{(D-2)/D})` for :math:`D \ge 3`;
* :func:`lasso_path` wraps scikit-learn's LARS solver (``sklearn.linear_model.lars_path``
  with ``method="lasso"``) and evaluates the exact, piecewise-linear path at any
  :math:`\lambda`; :func:`sklearn_alpha` and :func:`book_lambda` convert between the book's
  :math:`\lambda` and scikit-learn's ``alpha`` (scikit-learn minimizes
  :math:`\frac1{2m}\|y - Ax\|^2 + \mathtt{alpha}\|x\|_1`, so :math:`\lambda = m\,\mathtt{alpha}`);
* :func:`oracle_stop` and :func:`validation_stop` pick a point on any path of estimates (a
  trajectory or a lasso path) by the true risk or by the error on held-out data;
  :func:`entry_times` records when coordinates of a trajectory become active.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.integrate

from ._validation import (
    check_alpha,
    check_depth,
    check_int,
    check_matrix,
    check_positive,
    check_random_state,
    check_system,
    check_vector,
)
from .diagonal import flow_time_scale, gradient_flow

__all__ = [
    "NoisyInstance",
    "noisy_instance",
    "time_lambda_constant",
    "lambda_of_time",
    "time_of_lambda",
    "TrajectoryResult",
    "trajectory",
    "sklearn_alpha",
    "book_lambda",
    "LassoPathResult",
    "lasso_path",
    "StoppingResult",
    "oracle_stop",
    "validation_stop",
    "entry_times",
]


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _positive_array(values, name, *, allow_zero=False):
    """A finite 1-D float array of positive (or non-negative) values, or raise."""
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be an array of real numbers, got {type(values).__name__}.")
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc}).") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}.")
    bad = arr < 0 if allow_zero else arr <= 0
    if not np.all(np.isfinite(arr)) or np.any(bad):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must contain finite {kind} numbers only.")
    return arr


def _path_estimates(estimates, name="estimates"):
    X = check_matrix(estimates, name)
    return X


# ----------------------------------------------------------------------------------------------
# noisy instances
# ----------------------------------------------------------------------------------------------
@dataclass
class NoisyInstance:
    """A noisy sparse-regression problem, returned by :func:`noisy_instance`.

    Attributes
    ----------
    A : ndarray, shape (m, N)
        Training design, i.i.d. :math:`\\mathcal N(0, 1/m)` entries.
    y : ndarray, shape (m,)
        Training observations :math:`Ax^\\star + \\varepsilon`.
    x_star : ndarray, shape (N,)
        The sparse ground truth.
    support : ndarray of int
        Sorted support of ``x_star``.
    noise : float
        Standard deviation :math:`\\sigma` of the noise entries.
    A_val : ndarray, shape (m_val, N)
        Held-out design drawn like ``A`` (empty when ``m_val = 0``).
    y_val : ndarray, shape (m_val,)
        Held-out observations :math:`A_{\\mathrm{val}}x^\\star + \\varepsilon_{\\mathrm{val}}`.
    """

    A: np.ndarray
    y: np.ndarray
    x_star: np.ndarray
    support: np.ndarray
    noise: float
    A_val: np.ndarray
    y_val: np.ndarray


def noisy_instance(m, N, s, noise, *, m_val=0, rng=None):
    """A seeded noisy sparse-regression instance :math:`y = Ax^\\star + \\varepsilon`.

    Draws, in this order, :math:`A` with i.i.d. :math:`\\mathcal N(0, 1/m)` entries, a
    uniformly random support of size ``s``, independent uniform signs and magnitudes
    :math:`|x^\\star_i| \\sim U[1, 2]` on it, the noise
    :math:`\\varepsilon \\sim \\mathcal N(0, \\sigma^2 I_m)`, and then a held-out set of
    ``m_val`` rows drawn the same way (same :math:`x^\\star`, independent noise).

    Parameters
    ----------
    m, N : int
        Number of training rows and of unknowns, ``1 <= m <= N``.
    s : int
        Sparsity of :math:`x^\\star`, ``0 <= s <= N``.
    noise : float
        Noise standard deviation :math:`\\sigma \\ge 0`.
    m_val : int, optional
        Number of held-out rows (default 0).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness; an int is a seed (default None: fresh entropy).

    Returns
    -------
    NoisyInstance
        With fields ``A``, ``y``, ``x_star``, ``support``, ``noise``, ``A_val``, ``y_val``.

    Raises
    ------
    ValueError
        For ``m > N``, ``s > N`` or a negative ``noise``.
    TypeError
        For an ``rng`` that is not None, an int or a Generator.

    Examples
    --------
    >>> inst = noisy_instance(20, 50, 3, 0.1, m_val=10, rng=0)
    >>> inst.A.shape, inst.A_val.shape, inst.support.size
    ((20, 50), (10, 50), 3)
    >>> bool(np.allclose(noisy_instance(20, 50, 3, 0.1, m_val=10, rng=0).y, inst.y))
    True
    """
    m = check_int(m, "m", 1)
    N = check_int(N, "N", 1)
    s = check_int(s, "s", 0)
    m_val = check_int(m_val, "m_val", 0)
    if m > N:
        raise ValueError(f"m={m} exceeds N={N}: the book's noisy problems are underdetermined.")
    if s > N:
        raise ValueError(f"the sparsity s={s} exceeds the number of columns N={N}.")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not (
            math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    gen = check_random_state(rng)
    A = gen.standard_normal((m, N)) / math.sqrt(m)
    support = np.sort(gen.choice(N, s, replace=False)).astype(int)
    x_star = np.zeros(N)
    x_star[support] = gen.choice([-1.0, 1.0], s) * gen.uniform(1.0, 2.0, s)
    y = A @ x_star + noise * gen.standard_normal(m)
    A_val = gen.standard_normal((m_val, N)) / math.sqrt(m)
    y_val = A_val @ x_star + noise * gen.standard_normal(m_val)
    return NoisyInstance(A, y, x_star, support, float(noise), A_val, y_val)


# ----------------------------------------------------------------------------------------------
# the time <-> lambda correspondence
# ----------------------------------------------------------------------------------------------
def time_lambda_constant(depth, alpha):
    """The constant :math:`\\kappa_D(\\alpha)` of the correspondence :math:`\\lambda = \\kappa_D/t`.

    The mirror form of gradient flow, :math:`\\nabla Q_\\alpha^D(x(t)) = c_D A^\\top\\zeta(t)`
    with :math:`\\zeta(t) = \\int_0^t (y - Ax)`, divided by the size
    :math:`\\nu_D(\\alpha)` that :math:`\\nabla Q_\\alpha^D` takes on entries of order one
    (:math:`\\nu_2 = \\log(1/\\alpha)`, :math:`\\nu_D = 1` for :math:`D \\ge 3`), gives
    :math:`\\kappa_D(\\alpha) = \\nu_D(\\alpha)/c_D`, with :math:`c_D` from
    :func:`implicit_bias.diagonal.flow_time_scale`:

    .. math::

        \\kappa_2(\\alpha) = \\frac{\\log(1/\\alpha)}{4}, \\qquad
        \\kappa_D(\\alpha) = \\frac{1}{D(D-2)\\,\\alpha^{(D-2)/D}}\\quad(D \\ge 3).

    Parameters
    ----------
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale, ``0 < alpha < 1`` (for ``alpha >= 1`` there is no
        small-:math:`\\alpha` regime and :math:`\\kappa_2` would not be positive).

    Returns
    -------
    float
        :math:`\\kappa_D(\\alpha) > 0`.

    Examples
    --------
    >>> round(time_lambda_constant(2, 1e-8), 6)  # log(1e8) / 4
    4.60517
    >>> round(time_lambda_constant(3, 1e-6), 6)  # 1 / (3 * 1e-2)
    33.333333
    """
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    if alpha >= 1:
        raise ValueError(f"alpha must be < 1 for the time-lambda correspondence, got {alpha!r}.")
    size = math.log(1.0 / alpha) if depth == 2 else 1.0
    return size / flow_time_scale(depth, alpha)


def lambda_of_time(t, depth, alpha):
    """The regularization :math:`\\lambda = \\kappa_D(\\alpha)/t` that corresponds to time ``t``.

    Parameters
    ----------
    t : array_like
        Positive times (gradient-flow time of the shared ``u, v`` parametrization).
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale, ``0 < alpha < 1``.

    Returns
    -------
    ndarray
        :math:`\\kappa_D(\\alpha)/t`, see :func:`time_lambda_constant`.

    Examples
    --------
    >>> lambda_of_time([1.0, 2.0], 2, np.exp(-4.0))
    array([1. , 0.5])
    """
    return time_lambda_constant(depth, alpha) / _positive_array(t, "t")


def time_of_lambda(lam, depth, alpha):
    """The time :math:`t = \\kappa_D(\\alpha)/\\lambda` that corresponds to ``lam``.

    Parameters
    ----------
    lam : array_like
        Positive regularization parameters (book normalization, see :func:`lasso_path`).
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale, ``0 < alpha < 1``.

    Returns
    -------
    ndarray
        :math:`\\kappa_D(\\alpha)/\\lambda`, the inverse of :func:`lambda_of_time`.

    Examples
    --------
    >>> time_of_lambda([1.0, 0.5], 2, np.exp(-4.0))
    array([1., 2.])
    """
    return time_lambda_constant(depth, alpha) / _positive_array(lam, "lam")


# ----------------------------------------------------------------------------------------------
# trajectory sampling
# ----------------------------------------------------------------------------------------------
@dataclass
class TrajectoryResult:
    """Result of :func:`trajectory`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        The requested times, increasing.
    lambdas : ndarray, shape (T,)
        The corresponding :math:`\\lambda = \\kappa_D(\\alpha)/t` (decreasing).
    x : ndarray, shape (T, N)
        The network's weights :math:`x(t)`.
    x_mean : ndarray, shape (T, N) or None
        The running time average :math:`\\bar x(t) = \\frac1t\\int_0^t x(s)\\,ds` when
        requested (``average=True``), else None.
    depth, alpha : int, float
        The inputs.
    converged : bool
        Whether the integrator reached the last requested time (or the limit before it).
    message : str
        The integrator's message.
    n_iter : int
        Accepted integrator steps.
    n_fev : int
        Right-hand-side evaluations of the integrator (its work).
    """

    t: np.ndarray
    lambdas: np.ndarray
    x: np.ndarray
    x_mean: np.ndarray | None
    depth: int
    alpha: float
    converged: bool
    message: str
    n_iter: int
    n_fev: int = 0


def trajectory(A, y, depth, alpha, *, times=None, lambdas=None, average=False,
               n_average=4000, rtol=1e-8):
    """Sample the gradient-flow trajectory at prescribed times or regularization levels.

    The path is integrated by :func:`implicit_bias.diagonal.gradient_flow` (the exact
    mirror-flow ODE, Radau with dense output) and reported at ``times``, or at
    :math:`t = \\kappa_D(\\alpha)/\\lambda` for the given ``lambdas``.

    With ``average=True`` the running average :math:`\\bar x(t) = \\frac1t\\int_0^t x` is
    computed too, by the trapezoidal rule on the requested times merged with ``n_average``
    geometrically spaced times (from :math:`10^{-3}` times the first requested time on;
    before that :math:`x` is of the order of :math:`\\alpha` and its contribution is
    neglected).

    Parameters
    ----------
    A : array_like, shape (m, N)
        Design with linearly independent rows (``m <= N``).
    y : array_like, shape (m,)
        Observations.
    depth : int
        Depth :math:`D \\ge 2`.
    alpha : float
        End-to-end initial scale, ``0 < alpha < 1``.
    times : array_like, optional
        Strictly increasing positive times. Exactly one of ``times`` and ``lambdas``.
    lambdas : array_like, optional
        Strictly decreasing positive regularization levels (book normalization).
    average : bool, optional
        Also return the running average ``x_mean`` (default False).
    n_average : int, optional
        Number of extra quadrature nodes for the average (default 4000).
    rtol : float, optional
        Relative tolerance of the integrator (default 1e-8).

    Returns
    -------
    TrajectoryResult
        With ``t``, ``lambdas``, ``x`` (and ``x_mean``) and the integrator's diagnostics.

    Raises
    ------
    ValueError
        If both or neither of ``times`` and ``lambdas`` are given, or they are not strictly
        monotone and positive.

    Examples
    --------
    >>> A = np.array([[1.0, 0.5]]); y = np.array([1.0])
    >>> tr = trajectory(A, y, 2, 1e-6, lambdas=[0.8, 0.4, 0.2])
    >>> tr.x.shape, bool(np.allclose(tr.t * tr.lambdas, time_lambda_constant(2, 1e-6)))
    ((3, 2), True)
    """
    A, y = check_system(A, y)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    kappa = time_lambda_constant(depth, alpha)
    if (times is None) == (lambdas is None):
        raise ValueError("give exactly one of times= and lambdas=.")
    if times is not None:
        t = _positive_array(times, "times")
        if np.any(np.diff(t) <= 0):
            raise ValueError("times must be strictly increasing.")
    else:
        lam = _positive_array(lambdas, "lambdas")
        if np.any(np.diff(lam) >= 0):
            raise ValueError("lambdas must be strictly decreasing.")
        t = kappa / lam
    n_average = check_int(n_average, "n_average", 2)
    if average:
        extra = np.geomspace(t[0] * 1e-3, t[-1], n_average)
        grid = np.union1d(np.concatenate([[0.0], extra]), t)
    else:
        grid = t
    flow = gradient_flow(A, y, depth, alpha, t_eval=grid, rtol=check_positive(rtol, "rtol"))
    keep = np.isin(grid, t)
    x_mean = None
    if average:
        integral = scipy.integrate.cumulative_trapezoid(flow.x, grid, axis=0, initial=0.0)
        x_mean = integral[keep] / t[:, None]
    reached = flow.x.shape[0] == grid.size
    return TrajectoryResult(t=t, lambdas=kappa / t, x=flow.x[keep], x_mean=x_mean, depth=depth,
                            alpha=alpha, converged=bool(reached), message=flow.message,
                            n_iter=int(flow.n_iter), n_fev=int(flow.n_fev))


# ----------------------------------------------------------------------------------------------
# the lasso path (scikit-learn's LARS in the book's normalization)
# ----------------------------------------------------------------------------------------------
def sklearn_alpha(lam, m):
    """scikit-learn's ``alpha`` for the book's :math:`\\lambda`: ``alpha = lam / m``.

    The book's lasso minimizes :math:`\\tfrac12\\|Ax - y\\|^2 + \\lambda\\|x\\|_1`;
    scikit-learn's ``sklearn.linear_model.Lasso`` and
    ``sklearn.linear_model.lars_path`` minimize
    :math:`\\tfrac1{2m}\\|y - Ax\\|^2 + \\mathtt{alpha}\\|x\\|_1` (``m`` samples), which is
    the book's objective divided by :math:`m` when :math:`\\lambda = m\\,\\mathtt{alpha}`.

    Parameters
    ----------
    lam : float or array_like
        The book's regularization parameter(s), :math:`\\lambda \\ge 0`.
    m : int
        Number of rows of :math:`A` (samples).

    Returns
    -------
    float or ndarray
        ``lam / m``.

    Examples
    --------
    >>> sklearn_alpha(3.0, 30)
    0.1
    """
    m = check_int(m, "m", 1)
    lam_arr = _positive_array(lam, "lam", allow_zero=True)
    out = lam_arr / m
    return float(out[0]) if np.ndim(lam) == 0 else out


def book_lambda(alpha_sk, m):
    """The book's :math:`\\lambda` for scikit-learn's ``alpha``: ``lam = m * alpha``.

    Parameters
    ----------
    alpha_sk : float or array_like
        scikit-learn's regularization parameter(s), ``>= 0``.
    m : int
        Number of rows of :math:`A` (samples).

    Returns
    -------
    float or ndarray
        ``m * alpha_sk``, the inverse of :func:`sklearn_alpha`.

    Examples
    --------
    >>> book_lambda(0.1, 30)
    3.0
    """
    m = check_int(m, "m", 1)
    arr = _positive_array(alpha_sk, "alpha_sk", allow_zero=True)
    out = arr * m
    return float(out[0]) if np.ndim(alpha_sk) == 0 else out


@dataclass
class LassoPathResult:
    """Result of :func:`lasso_path`.

    Attributes
    ----------
    breakpoints : ndarray, shape (K,)
        The kinks :math:`\\lambda_0 > \\lambda_1 > \\dots` of the path (book normalization);
        :math:`\\lambda_0 = \\|A^\\top y\\|_\\infty`, where the path leaves zero.
    breakpoint_coefs : ndarray, shape (K, N)
        The lasso solution at each breakpoint; in between, the path is linear in
        :math:`\\lambda`.
    lambdas : ndarray, shape (L,)
        The requested :math:`\\lambda` (empty if none were requested).
    coefs : ndarray, shape (L, N)
        The lasso solution :math:`\\hat x(\\lambda)` at ``lambdas``.
    refit : ndarray, shape (L, N)
        The least-squares fit restricted to the active set of :math:`\\hat x(\\lambda)`,
        :math:`\\hat x(\\lambda) - \\lambda\\,\\frac{d\\hat x}{d\\lambda}` on each linear piece.
    entry_order : ndarray of int
        Coordinates in the order in which they first become active as :math:`\\lambda`
        decreases.
    entry_lambdas : ndarray
        The :math:`\\lambda` at which each of them enters.
    exits : list of (int, float)
        Every event where an active coordinate returns to zero, as (coordinate,
        :math:`\\lambda`), in path order.
    monotone : bool
        True when the path is **coordinatewise monotone**: every :math:`|\\hat x_j(\\lambda)|`
        is non-decreasing as :math:`\\lambda` decreases (then no coordinate ever leaves).
    monotone_until : float
        The smallest :math:`\\lambda` such that the path is coordinatewise monotone on
        :math:`[\\lambda, \\infty)`: the start of the first linear piece on which some
        :math:`|\\hat x_j|` decreases (the last breakpoint for a monotone path).
    consistent_until : float
        The smallest :math:`\\lambda` such that on :math:`[\\lambda, \\infty)` no
        coordinate leaves the active set and, on every linear piece, the least-squares refit
        has the signs of :math:`\\hat x(\\lambda)` (the condition under which the book's
        derivation identifies the small-:math:`\\alpha` trajectory with the refit). A
        coordinatewise monotone stretch is sign-consistent, so
        ``consistent_until <= monotone_until``.
    converged : bool
        Whether the path reached :math:`\\lambda = 0` (or a fit with zero correlation).
    message : str
        Summary.
    n_iter : int
        Number of LARS steps.
    """

    breakpoints: np.ndarray
    breakpoint_coefs: np.ndarray
    lambdas: np.ndarray
    coefs: np.ndarray
    refit: np.ndarray
    entry_order: np.ndarray
    entry_lambdas: np.ndarray
    exits: list
    monotone: bool
    monotone_until: float
    consistent_until: float
    converged: bool
    message: str
    n_iter: int

    def first_exit(self):
        """The :math:`\\lambda` of the first exit event, or None for a monotone path.

        Returns
        -------
        float or None
            The largest :math:`\\lambda` at which an active coordinate returns to zero.

        Examples
        --------
        >>> lasso_path(np.eye(2), [1.0, -2.0]).first_exit() is None
        True
        """
        return self.exits[0][1] if self.exits else None


def _interpolate_path(bp, coefs, lam):
    """The piecewise-linear path at the values ``lam`` (bp decreasing)."""
    x = np.empty((lam.size, coefs.shape[1]))
    for k, value in enumerate(lam):
        if value >= bp[0]:
            x[k] = 0.0
            continue
        if value <= bp[-1]:
            x[k] = coefs[-1]
            continue
        j = int(np.searchsorted(-bp, -value, side="right"))  # bp[j-1] > value >= bp[j]
        w = (bp[j - 1] - value) / (bp[j - 1] - bp[j])
        x[k] = (1.0 - w) * coefs[j - 1] + w * coefs[j]
        # exact zeros: a coordinate that is zero at both ends stays zero
        x[k][(coefs[j - 1] == 0) & (coefs[j] == 0)] = 0.0
    return x


def _refit(A, y, X):
    out = np.zeros_like(X)
    for k, xk in enumerate(X):
        S = np.flatnonzero(xk)
        if S.size:
            out[k, S] = np.linalg.lstsq(A[:, S], y, rcond=None)[0]
    return out


def lasso_path(A, y, lambdas=None):
    """The lasso regularization path in the book's normalization, computed by scikit-learn.

    The lasso is :math:`\\hat x(\\lambda) = \\arg\\min_x \\tfrac12\\|Ax - y\\|^2 +
    \\lambda\\|x\\|_1` (the loss of the network, no factor :math:`1/m`). The whole path is
    computed by ``sklearn.linear_model.lars_path`` (``method="lasso"``, no intercept),
    whose ``alphas`` are converted with :func:`book_lambda`; the path is piecewise linear
    between its breakpoints, so its value at any :math:`\\lambda` is an exact
    interpolation. The library does not re-implement the lasso.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Design.
    y : array_like, shape (m,)
        Observations.
    lambdas : array_like, optional
        Non-negative regularization levels at which to evaluate the path.

    Returns
    -------
    LassoPathResult
        Breakpoints, the path at ``lambdas``, the least-squares refit on the active sets,
        the entry order and the exit events (non-monotone paths).

    Examples
    --------
    >>> A = np.eye(2); y = np.array([3.0, -1.0])
    >>> path = lasso_path(A, y, lambdas=[2.0, 0.5])
    >>> path.coefs  # soft thresholding for an orthogonal design
    array([[ 1. ,  0. ],
           [ 2.5, -0.5]])
    >>> path.entry_order.tolist(), path.monotone
    ([0, 1], True)
    """
    from sklearn.linear_model import lars_path as _lars_path

    A = check_matrix(A)
    y = check_vector(y, A.shape[0])
    m = A.shape[0]
    lam = (np.zeros(0) if lambdas is None
           else _positive_array(lambdas, "lambdas", allow_zero=True))
    alphas, _active, coefs, n_iter = _lars_path(A, y, method="lasso", alpha_min=0.0,
                                                return_n_iter=True)
    bp = book_lambda(np.asarray(alphas, dtype=float), m)
    C = np.asarray(coefs, dtype=float).T  # (K, N)
    active = C != 0
    entry_order, entry_lambdas, seen = [], [], np.zeros(A.shape[1], dtype=bool)
    exits = []
    for k in range(1, C.shape[0]):
        new = np.flatnonzero(active[k] & ~seen)
        # coordinates that enter on the segment (bp[k-1], bp[k]) enter at bp[k-1]
        for j in new[np.argsort(-np.abs(C[k, new]))]:
            entry_order.append(int(j))
            entry_lambdas.append(float(bp[k - 1]))
        seen |= active[k]
        for j in np.flatnonzero(active[k - 1] & ~active[k]):
            exits.append((int(j), float(bp[k])))
    # first linear piece on which some |x_j| decreases (relative tolerance for LARS rounding)
    scale = max(float(np.max(np.abs(C))), 1e-300) if C.size else 1.0
    shrinks = np.any(np.abs(C[1:]) < np.abs(C[:-1]) - 1e-10 * scale, axis=1)
    monotone_until = float(bp[int(np.argmax(shrinks))]) if np.any(shrinks) else float(bp[-1])
    consistent_until = float(bp[-1])
    for k in range(C.shape[0] - 1):
        mid = 0.5 * (C[k] + C[k + 1])
        lost = np.any((C[k] != 0) & (C[k + 1] == 0))
        fit = _refit(A, y, mid[None, :])[0]
        S = mid != 0
        if lost or np.any(np.sign(fit[S]) != np.sign(mid[S])):
            consistent_until = float(bp[k])
            break
    residual_corr = float(np.max(np.abs(A.T @ (y - A @ C[-1])))) if C.size else 0.0
    converged = bool(bp[-1] <= 1e-12 * max(bp[0], 1.0) or residual_corr <= 1e-10 * max(
        bp[0], 1.0))
    X = _interpolate_path(bp, C, lam) if lam.size else np.zeros((0, A.shape[1]))
    message = (f"LARS-lasso path with {bp.size} breakpoints, "
               f"{'coordinatewise monotone' if not np.any(shrinks) else 'monotone down to '}"
               f"{'' if not np.any(shrinks) else f'lambda = {monotone_until:.4g}'}"
               f", {len(exits)} exit event(s)")
    return LassoPathResult(
        breakpoints=bp, breakpoint_coefs=C, lambdas=lam, coefs=X, refit=_refit(A, y, X),
        entry_order=np.array(entry_order, dtype=int), entry_lambdas=np.array(entry_lambdas),
        exits=exits, monotone=not np.any(shrinks), monotone_until=monotone_until,
        consistent_until=consistent_until, converged=converged, message=message,
        n_iter=int(n_iter))


# ----------------------------------------------------------------------------------------------
# early stopping
# ----------------------------------------------------------------------------------------------
@dataclass
class StoppingResult:
    """Result of :func:`oracle_stop` and :func:`validation_stop`.

    Attributes
    ----------
    index : int
        The selected position on the path.
    criterion : ndarray, shape (T,)
        The criterion along the path (risk, or validation error), minimized at ``index``.
    value : float
        ``criterion[index]``.
    """

    index: int
    criterion: np.ndarray
    value: float


def oracle_stop(estimates, x_star):
    """The oracle stopping point: the estimate on a path closest to the truth.

    Parameters
    ----------
    estimates : array_like, shape (T, N)
        A path of estimates, one per row (a trajectory, or a lasso path).
    x_star : array_like, shape (N,)
        The ground truth.

    Returns
    -------
    StoppingResult
        ``criterion`` is the risk :math:`\\|x_k - x^\\star\\|_2` along the path; ``index``
        its first minimizer.

    Examples
    --------
    >>> oracle_stop([[0.0, 0.0], [0.9, 0.1], [1.2, 0.5]], [1.0, 0.0]).index
    1
    """
    X = _path_estimates(estimates)
    x_star = check_vector(x_star, None, "x_star")
    if x_star.size != X.shape[1]:
        raise ValueError(f"x_star has {x_star.size} entries but the estimates have "
                         f"{X.shape[1]} columns.")
    risk = np.linalg.norm(X - x_star, axis=1)
    k = int(np.argmin(risk))
    return StoppingResult(index=k, criterion=risk, value=float(risk[k]))


def validation_stop(estimates, A_val, y_val):
    """Stopping by held-out data: the estimate with the smallest validation error.

    Parameters
    ----------
    estimates : array_like, shape (T, N)
        A path of estimates, one per row.
    A_val : array_like, shape (m_val, N)
        Held-out design.
    y_val : array_like, shape (m_val,)
        Held-out observations.

    Returns
    -------
    StoppingResult
        ``criterion`` is the validation error :math:`\\|A_{\\mathrm{val}}x_k -
        y_{\\mathrm{val}}\\|_2^2/(2 m_{\\mathrm{val}})`; ``index`` its first minimizer.

    Examples
    --------
    >>> validation_stop([[0.0], [1.0], [2.0]], [[1.0], [1.0]], [1.1, 0.9]).index
    1
    """
    X = _path_estimates(estimates)
    A_val = check_matrix(A_val, "A_val")
    y_val = check_vector(y_val, A_val.shape[0], "y_val")
    if A_val.shape[1] != X.shape[1]:
        raise ValueError(f"A_val has {A_val.shape[1]} columns but the estimates have "
                         f"{X.shape[1]}.")
    err = np.sum((X @ A_val.T - y_val) ** 2, axis=1) / (2 * A_val.shape[0])
    k = int(np.argmin(err))
    return StoppingResult(index=k, criterion=err, value=float(err[k]))


def entry_times(t, x, threshold):
    """The first time at which each coordinate of a trajectory reaches a threshold.

    Parameters
    ----------
    t : array_like, shape (T,)
        Increasing times.
    x : array_like, shape (T, N)
        The trajectory at those times.
    threshold : float or array_like, shape (N,)
        Level that :math:`|x_j(t)|` must reach, ``> 0`` (one level, or one per coordinate).

    Returns
    -------
    ndarray, shape (N,)
        The first sampled time with :math:`|x_j(t)| \\ge` ``threshold`` (``inf`` if never).

    Examples
    --------
    >>> entry_times([1.0, 2.0, 3.0], [[0.0, 0.0], [0.5, 0.0], [0.7, 0.2]], 0.4)
    array([ 2., inf])
    >>> entry_times([1.0, 2.0, 3.0], [[0.0, 0.0], [0.5, 0.0], [0.7, 0.2]], [0.6, 0.1])
    array([3., 3.])
    """
    t = check_vector(t, None, "t")
    if np.any(np.diff(t) < 0):
        raise ValueError("t must list the sampled times in increasing order (the first time "
                         "at which an entry reaches the threshold is read off in that order).")
    X = check_matrix(x, "x")
    if X.shape[0] != t.size:
        raise ValueError(f"x has {X.shape[0]} rows but t has {t.size} entries.")
    if np.ndim(threshold) == 0:
        threshold = check_positive(threshold, "threshold")
    else:
        threshold = _positive_array(threshold, "threshold")
        if threshold.size != X.shape[1]:
            raise ValueError(f"threshold has {threshold.size} entries but x has {X.shape[1]} "
                             "columns.")
    reached = np.abs(X) >= threshold
    first = np.argmax(reached, axis=0)
    return np.where(reached.any(axis=0), t[first], np.inf)
