r"""Problem instances of the book: random sparse systems and small exact examples.

* :func:`gaussian_instance` draws a seeded compressed-sensing instance
  :math:`A_{ij}\sim\mathcal N(0, 1/m)`, :math:`y = Ax^\star` with an :math:`s`-sparse
  :math:`x^\star`.
* :func:`one_by_two` is the :math:`1\times 2` system :math:`[1, c]\,x = 1` on which both rates
  are attained exactly: :math:`\varrho = c`, the depth-2 error is
  :math:`\sim(1+c)\alpha^{1-c}` and the depth-:math:`D\ge3` error is
  :math:`\sim(1+c)\alpha h_D(c)`. Its gradient-flow limit reduces to one scalar equation.
* :func:`nonunique_example` is a :math:`2\times 3` system whose basis-pursuit solutions form a
  segment, on which gradient flow selects a depth-dependent point.

The phase-transition code of Chapter 8, including the statistical-dimension bound, lives in
``implicit_bias.recovery``.

All these are our own constructions (the papers' own example matrices were not available).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.optimize

from . import _link
from ._validation import check_alpha, check_depth, check_int, check_random_state

__all__ = [
    "SparseInstance",
    "gaussian_instance",
    "TwoCoordinateExample",
    "one_by_two",
    "NonuniqueExample",
    "nonunique_example",
]


# ----------------------------------------------------------------------------------------------
# Gaussian sparse instances
# ----------------------------------------------------------------------------------------------
@dataclass
class SparseInstance:
    """A sparse recovery instance ``y = A @ x_star`` (see :func:`gaussian_instance`).

    Attributes
    ----------
    A : ndarray, shape (m, N)
        Measurement matrix.
    y : ndarray, shape (m,)
        Observations ``A @ x_star`` (rounded in float64).
    x_star : ndarray, shape (N,)
        The s-sparse ground truth.
    support : ndarray of int, shape (s,)
        Sorted indices of the non-zero entries of ``x_star``.
    seed : int or None
        The int seed that reproduces the instance (``gaussian_instance(..., rng=seed)``);
        None when it was drawn from a Generator or from fresh entropy.
    """

    A: np.ndarray
    y: np.ndarray
    x_star: np.ndarray
    support: np.ndarray
    seed: int | None

    @property
    def shape(self):
        """``(m, N)``, the shape of ``A``."""
        return self.A.shape

    @property
    def sparsity(self):
        """``s``, the number of non-zero entries of ``x_star``."""
        return int(self.support.size)


_SIGNS = ("random", "positive")
_MAGNITUDES = ("uniform", "gaussian", "ones")


def gaussian_instance(m, N, s, rng=None, *, signs="random", magnitudes="uniform", normalize=True,
                      exact=False):
    r"""A seeded Gaussian sparse-recovery instance.

    Draws, from ``numpy.random.default_rng(rng)`` and in this order, the matrix
    :math:`A` with i.i.d. :math:`\mathcal N(0, 1/m)` entries (:math:`\mathcal N(0,1)` when
    ``normalize=False``), a uniformly random support of size :math:`s`, the signs and the
    magnitudes of :math:`x^\star`; then :math:`y = Ax^\star`.

    Parameters
    ----------
    m, N : int
        Number of rows (measurements) and columns (unknowns), ``1 <= m``, ``1 <= N``.
    s : int
        Sparsity of the ground truth, ``0 <= s <= N``.
    rng : None, int or numpy.random.Generator, optional
        Randomness: an int is a seed (``gaussian_instance(m, N, s, k)`` is the same instance
        for the same ``k``), a Generator is drawn from (its state advances), None draws fresh
        entropy (default).
    signs : {"random", "positive"}, optional
        Independent uniform signs (default) or all positive.
    magnitudes : {"uniform", "gaussian", "ones"}, optional
        ``|x_i| ~ U[1, 2]`` (default), ``x_i ~ N(0, 1)`` (then ``signs`` is ignored, the sign
        is the Gaussian's own), or ``|x_i| = 1``.
    normalize : bool, optional
        Scale ``A`` by :math:`1/\sqrt m` so that its columns have expected squared norm 1
        (default True).
    exact : bool, optional
        Round the entries of ``A`` to multiples of :math:`2^{-20}` and those of ``x_star`` to
        multiples of :math:`2^{-10}` (default False), so that ``y = A @ x_star`` is computed
        **without rounding** (checked with exact rational arithmetic). Then ``y`` lies exactly
        in the range of :math:`A_S`, and ``x_star`` is exactly the :math:`\ell^1` solution of
        the float data whenever basis pursuit recovers it. Use this to measure
        :math:`\|x_\infty - x_{\ell^1}\|` below about 1e-15 with
        ``flow_limit(..., digits=k)``: with rounded ``y`` the exact :math:`\ell^1` solution of
        the float data has extra entries of size about 1e-16 off the support.

    Returns
    -------
    SparseInstance
        With fields ``A``, ``y``, ``x_star``, ``support`` (sorted) and ``seed`` (the int
        ``rng``, None when ``rng`` was None or a Generator).

    Raises
    ------
    ValueError
        For non-positive sizes, ``s > N``, or an unknown ``signs``/``magnitudes`` option.

    Examples
    --------
    >>> inst = gaussian_instance(20, 50, 3, rng=1)
    >>> inst.A.shape, inst.support.size
    ((20, 50), 3)
    >>> bool(np.allclose(inst.A @ inst.x_star, inst.y))
    True
    """
    m = check_int(m, "m", 1)
    N = check_int(N, "N", 1)
    s = check_int(s, "s", 0)
    rng_in, rng = rng, check_random_state(rng)
    seed = int(rng_in) if isinstance(rng_in, numbers.Integral) else None
    if s > N:
        raise ValueError(f"the sparsity s={s} exceeds the number of columns N={N}.")
    if signs not in _SIGNS:
        raise ValueError(f"signs must be one of {_SIGNS}, got {signs!r}.")
    if magnitudes not in _MAGNITUDES:
        raise ValueError(f"magnitudes must be one of {_MAGNITUDES}, got {magnitudes!r}.")
    A = rng.standard_normal((m, N))
    if normalize:
        A /= math.sqrt(m)
    support = np.sort(rng.choice(N, s, replace=False)).astype(int)
    sgn = rng.choice([-1.0, 1.0], s) if signs == "random" else np.ones(s)
    if magnitudes == "uniform":
        vals = sgn * rng.uniform(1.0, 2.0, s)
    elif magnitudes == "gaussian":
        vals = rng.standard_normal(s)
    else:
        vals = sgn
    x_star = np.zeros(N)
    x_star[support] = vals
    if exact:
        A = np.round(A * 2.0**20) / 2.0**20
        x_star = np.round(x_star * 2.0**10) / 2.0**10
        y = A @ x_star
        fr = [sum((Fraction(float(A[i, j])) * Fraction(float(x_star[j])) for j in support),
                  Fraction(0)) for i in range(m)]
        if any(Fraction(float(y[i])) != fr[i] for i in range(m)):
            raise ValueError("exact=True: A @ x_star is not exact in float64 for these sizes "
                             "(magnitudes too large); use exact=False.")
    else:
        y = A @ x_star
    return SparseInstance(A=A, y=y, x_star=x_star, support=support, seed=seed)


# ----------------------------------------------------------------------------------------------
# the 1 x 2 example [1, c]
# ----------------------------------------------------------------------------------------------
def _check_c(c):
    if isinstance(c, bool) or not isinstance(c, numbers.Real):
        raise TypeError(f"c must be a real number in [0, 1), got {type(c).__name__}.")
    c = float(c)
    if not (0.0 <= c < 1.0):
        raise ValueError(
            f"c must lie in [0, 1) (then x_l1 = (1, 0) is the unique l1 solution), got {c!r}."
        )
    return c


@dataclass
class TwoCoordinateExample:
    r"""The system :math:`x_1 + c\,x_2 = 1` (see :func:`one_by_two`).

    Attributes
    ----------
    A : ndarray, shape (1, 2)
        ``[[1, c]]``.
    y : ndarray, shape (1,)
        ``[1]``.
    c : float
        The second entry, in ``[0, 1)``.
    x_l1 : ndarray, shape (2,)
        The unique basis-pursuit solution ``(1, 0)``.
    varrho : float
        :math:`\varrho = c` (the certificate :math:`\lambda = 1` is forced).
    """

    A: np.ndarray
    y: np.ndarray
    c: float
    x_l1: np.ndarray
    varrho: float

    def _mu(self, depth, alpha):
        """Solve the scalar dual equation; returns (mu, x2) with x = alpha g(mu (1, c))."""
        c = self.c
        if alpha >= 1.0:
            # then mu <= g_D^{-1}(1/alpha) < 0.9: solve in nu = alpha mu with the stable link
            # (the forms below, in log(alpha) or in e = 1 - mu, cancel for large alpha)
            if alpha > 1e150:  # g_D(z) = g_D'(0) z (1 + O(z^2)), O(z^2) < 1e-300: linear
                slope = float(_link.gprime(0.0, depth))
                nu = 1.0 / (slope * (1.0 + c * c))
                return nu / alpha, c * slope * nu

            def f_nu(nu):
                mu = nu / alpha
                return alpha * float(_link.g(mu, depth) + c * _link.g(c * mu, depth)) - 1.0

            nu = scipy.optimize.brentq(f_nu, 0.0, 0.9 * alpha, xtol=1e-300,
                                       rtol=4 * np.finfo(float).eps, maxiter=500)
            return nu / alpha, alpha * float(_link.g(c * nu / alpha, depth))
        if depth == 2:
            la = math.log(alpha)

            def f(mu):  # alpha*2 sinh(mu) + c*alpha*2 sinh(c mu) - 1, overflow-free
                return (math.exp(mu + la) - math.exp(la - mu)
                        + c * (math.exp(c * mu + la) - math.exp(la - c * mu)) - 1.0)

            hi = max(1.0, -la + 1.0)
            while f(hi) < 0:
                hi *= 2.0
            mu = scipy.optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                                       maxiter=500)
            x2 = math.exp(c * mu + la) - math.exp(la - c * mu)
            return mu, x2
        p = depth / (depth - 2)

        # variable e = 1 - mu in (0, 1]: alpha*h(1 - e) + c*alpha*h(c (1 - e)) = 1
        def f(e):
            return alpha * (e ** (-p) - (2.0 - e) ** (-p)) + c * alpha * _link.g(c * (1.0 - e),
                                                                            depth) - 1.0

        # f(1) = -1 < 0 (mu = 0) and f -> +inf as e -> 0 (mu -> 1); e ~ alpha^(1/p) can be
        # tiny, so bracket and solve in log(e)
        lo = 0.5 * min(1.0, alpha ** (1.0 / p))
        while f(lo) < 0:
            lo *= 0.5
        le = scipy.optimize.brentq(lambda s: f(math.exp(s)), math.log(lo), 0.0, xtol=1e-15,
                                   rtol=4 * np.finfo(float).eps, maxiter=500)
        e = math.exp(le)
        mu = 1.0 - e
        return mu, alpha * float(_link.g(c * mu, depth))

    def limit(self, depth, alpha):
        r"""The exact gradient-flow limit :math:`x_\infty(\alpha)`.

        :math:`x_\infty = \alpha\,g_D(\mu\,(1, c))` where :math:`\mu > 0` is the root of the
        scalar equation :math:`\alpha g_D(\mu) + c\,\alpha g_D(c\mu) = 1`
        (:math:`g_2 = 2\sinh`, :math:`g_D = h_D`), found by bracketing (Brent). The first
        entry is returned as :math:`1 - c\,x_{\infty,2}` (exact, no cancellation).

        Parameters
        ----------
        depth : int
            Depth :math:`D \ge 2`.
        alpha : float
            End-to-end initial scale.

        Returns
        -------
        ndarray, shape (2,)

        Examples
        --------
        >>> ex = one_by_two(0.5)
        >>> ex.limit(2, 1e-6).round(4)
        array([0.9995, 0.001 ])
        """
        depth = check_depth(depth)
        alpha = check_alpha(alpha)
        _, x2 = self._mu(depth, alpha)
        return np.array([1.0 - self.c * x2, x2])

    def error(self, depth, alpha):
        r"""The exact :math:`\ell^1` error :math:`\|x_\infty(\alpha) - x_{\ell^1}\|_1`.

        Since :math:`x_{\infty,1} = 1 - c\,x_{\infty,2}` and :math:`x_{\infty,2} > 0`, the
        error is :math:`(1 + c)\,x_{\infty,2}`, computed without cancellation for any
        ``alpha`` representable in float64.

        Parameters
        ----------
        depth : int
            Depth :math:`D \ge 2`.
        alpha : float
            End-to-end initial scale.

        Returns
        -------
        float

        Examples
        --------
        >>> ex = one_by_two(0.5)
        >>> round(ex.error(3, 1e-12) / ex.error_asymptotic(3, 1e-12), 3)
        1.0
        """
        depth = check_depth(depth)
        alpha = check_alpha(alpha)
        _, x2 = self._mu(depth, alpha)
        return (1.0 + self.c) * x2

    def error_asymptotic(self, depth, alpha):
        r"""Leading term of :meth:`error` as :math:`\alpha \to 0`.

        :math:`(1+c)\,\alpha^{1-c}` for :math:`D = 2` (and 0 for :math:`c = 0`, where the
        error vanishes identically), :math:`(1+c)\,\alpha\,h_D(c)` for :math:`D \ge 3`.

        Parameters
        ----------
        depth : int
            Depth :math:`D \ge 2`.
        alpha : float
            End-to-end initial scale.

        Returns
        -------
        float

        Examples
        --------
        >>> one_by_two(0.5).error_asymptotic(2, 1e-4)
        0.015
        """
        depth = check_depth(depth)
        alpha = check_alpha(alpha)
        c = self.c
        if depth == 2:
            return (1.0 + c) * alpha ** (1.0 - c) if c > 0 else 0.0
        return (1.0 + c) * alpha * float(_link.g(c, depth))


def one_by_two(c):
    r"""The :math:`1\times2` example :math:`A = [1, c]`, :math:`y = 1`, with :math:`\varrho = c`.

    For :math:`0 \le c < 1` the unique basis-pursuit solution is :math:`x_{\ell^1} = (1, 0)`,
    its support is :math:`S = \{1\}`, the certificate is forced to :math:`\lambda = 1`, so
    :math:`\varrho = \|A_{S^c}^\top\lambda\|_\infty = c`. Our derivation gives the exact
    errors :math:`\|x_\infty - x_{\ell^1}\|_1 \sim (1+c)\alpha^{1-c}` (:math:`D = 2`) and
    :math:`\sim(1+c)\,\alpha\,h_D(c)` (:math:`D\ge3`), so the rate exponent :math:`1-\varrho`
    and the constant's blow-up as :math:`\varrho\to1` are both attained.

    Parameters
    ----------
    c : float
        The second entry of :math:`A`, in ``[0, 1)``.

    Returns
    -------
    TwoCoordinateExample
        With ``A``, ``y``, ``c``, ``x_l1``, ``varrho`` and the methods ``limit``, ``error``,
        ``error_asymptotic``.

    Raises
    ------
    ValueError
        If ``c`` is outside ``[0, 1)``.

    Examples
    --------
    >>> ex = one_by_two(0.6)
    >>> ex.varrho, ex.x_l1
    (0.6, array([1., 0.]))
    >>> round(ex.error(2, 1e-10) / ex.error_asymptotic(2, 1e-10), 4)
    1.0
    """
    c = _check_c(c)
    return TwoCoordinateExample(A=np.array([[1.0, c]]), y=np.array([1.0]), c=c,
                                x_l1=np.array([1.0, 0.0]), varrho=c)


# ----------------------------------------------------------------------------------------------
# a 2 x 3 example with a segment of l1 solutions
# ----------------------------------------------------------------------------------------------
@dataclass
class NonuniqueExample:
    r"""A system whose basis-pursuit solutions form a segment (see :func:`nonunique_example`).

    Attributes
    ----------
    A : ndarray, shape (2, 3)
    y : ndarray, shape (2,)
    face_point : ndarray, shape (3,)
        A point of the solution segment.
    face_direction : ndarray, shape (3,)
        Its direction (spans :math:`\ker A`).
    t_range : tuple of float
        The segment is ``face_point + t * face_direction`` for ``t`` in ``t_range``.
    l1_value : float
        The minimal :math:`\ell^1` norm (1).
    """

    A: np.ndarray
    y: np.ndarray
    face_point: np.ndarray
    face_direction: np.ndarray
    t_range: tuple
    l1_value: float = 1.0

    def point(self, t):
        """The point ``face_point + t * face_direction`` of the segment.

        Parameters
        ----------
        t : float
            Position on the segment, in ``t_range``.

        Returns
        -------
        ndarray, shape (3,)

        Examples
        --------
        >>> nonunique_example().point(0.0)
        array([0.2, 0.5, 0.3])
        """
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
            raise TypeError(f"t must be a finite real number in {self.t_range}, got {t!r}.")
        t = float(t)
        lo, hi = self.t_range
        if not (lo - 1e-12 <= t <= hi + 1e-12):
            raise ValueError(f"t={t!r} is outside the solution segment {self.t_range}.")
        return self.face_point + t * self.face_direction

    def coordinate(self, x):
        """The position ``t`` of a point ``x`` along the segment (least squares).

        Parameters
        ----------
        x : array_like, shape (3,)

        Returns
        -------
        float

        Examples
        --------
        >>> ex = nonunique_example()
        >>> round(ex.coordinate(ex.point(0.05)), 12)
        0.05
        """
        x = np.asarray(x, dtype=float)
        d = self.face_direction
        return float((x - self.face_point) @ d / (d @ d))


def nonunique_example():
    r"""A :math:`2\times3` system with a whole segment of :math:`\ell^1` minimizers.

    :math:`A = \begin{pmatrix}1&1&1\\3&1&0\end{pmatrix}`, :math:`y = A(0.2, 0.5, 0.3)^\top
    = (1, 1.1)`. The kernel is spanned by :math:`(1,-3,2)`, whose entries sum to 0, and
    :math:`\lambda = (1, 0)` gives :math:`A^\top\lambda = (1,1,1)`; so every non-negative
    solution :math:`(0.2,0.5,0.3) + t(1,-3,2)`, :math:`t\in[-0.15, 1/6]`, has
    :math:`\|x\|_1 = \lambda^\top y = 1` and is a basis-pursuit solution. Gradient flow picks a
    depth-dependent interior point of this segment (see
    :func:`implicit_bias.theory.selected_minimizer`).

    Returns
    -------
    NonuniqueExample

    Examples
    --------
    >>> ex = nonunique_example()
    >>> ex.y
    array([1. , 1.1])
    >>> bool(np.allclose(ex.A @ ex.face_direction, 0))
    True
    """
    A = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 0.0]])
    point = np.array([0.2, 0.5, 0.3])
    return NonuniqueExample(A=A, y=A @ point, face_point=point,
                            face_direction=np.array([1.0, -3.0, 2.0]),
                            t_range=(-0.15, 1.0 / 6.0))
