r"""Basis pursuit, dual certificates, :math:`\varrho` and null-space-property constants.

Basis pursuit is the linear program

.. math::

    x_{\ell^1} \in \arg\min\{\|x\|_1 : Ax = y\}, \qquad
    \text{dual: } \max\{y^\top\lambda : \|A^\top\lambda\|_\infty \le 1\}.

A feasible :math:`x` with support :math:`S` and signs :math:`\sigma = \operatorname{sign}(x_S)`
is optimal exactly when a **dual certificate** exists: :math:`\lambda` with
:math:`A_S^\top\lambda = \sigma` and :math:`\|A_{S^c}^\top\lambda\|_\infty \le 1`. The smallest
achievable off-support value

.. math::

    \varrho = \min\{\|A_{S^c}^\top\lambda\|_\infty : A_S^\top\lambda = \sigma\}
            = \max\{\langle\sigma, h_S\rangle : h \in \ker A,\ \|h_{S^c}\|_1 \le 1\}

(the two linear programs are dual to each other) decides uniqueness: for :math:`A_S` injective,
:math:`x` is the unique solution iff :math:`\varrho < 1` (the classical null-space
characterization of uniqueness, see Foucart & Rauhut 2013). :math:`\varrho` is the exponent
parameter of the depth-2 rate :math:`\alpha^{1-\varrho}` (see :mod:`implicit_bias.theory`).
The unsigned version
:math:`\rho_S = \sup_{h\in\ker A\setminus\{0\}}\|h_S\|_1/\|h_{S^c}\|_1` is the
null-space constant of the support, and its maximum over :math:`|S| = s` the null-space-property
constant of order :math:`s`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np
import scipy.optimize

from ._validation import (
    check_bool,
    check_int,
    check_matrix,
    check_positive,
    check_random_state,
    check_vector,
    pow2_scale,
)
from .exceptions import ConvergenceWarning, NotConvergedError

__all__ = [
    "BasisPursuitResult",
    "basis_pursuit",
    "VarrhoResult",
    "varrho",
    "varrho_certificate",
    "is_unique",
    "nsp_constant",
    "nsp_constant_order",
    "solution_on_support",
    "METHODS",
    "DEFAULT_METHOD",
    "SUPPORT_TOL",
    "CERTIFICATE_TOL",
    "UNIQUENESS_TOL",
]

#: Methods (solvers) accepted by :func:`basis_pursuit`. ``"linprog"`` is
#: ``scipy.optimize.linprog(method="highs")`` on the split LP over :math:`[A, -A]`; the others
#: are cvxpy solvers applied to the model ``Minimize(norm1(x))`` subject to ``A @ x == y``.
METHODS = ("linprog", "highs", "clarabel", "scs", "osqp", "scipy")

#: The default method, the fastest one reaching 1e-8 accuracy on the seeded 200 x 1000, s = 20
#: instance (measured in ``benchmarks/bench_l1.py``).
DEFAULT_METHOD = "linprog"

#: Relative tolerance of the certificate checks; ``|A_S^T lam - sign(x_S)|`` and
#: ``||A^T lam||_inf - 1`` must be below ``CERTIFICATE_TOL`` (after polishing).
CERTIFICATE_TOL = 1e-7

#: ``varrho`` values within this of 1 count as 1 (not unique).
UNIQUENESS_TOL = 1e-9


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _check_consistent(A, y):
    """Raise a clear ValueError if ``A x = y`` has no solution.

    Full row rank (checked by a Cholesky factorization of the row Gram matrix, cheap) implies
    consistency; otherwise the least-squares residual decides.
    """
    m, N = A.shape
    if m <= N:
        scale = np.linalg.norm(A, axis=1)
        if np.all(scale > 0):
            An = A / scale[:, None]
            try:
                d = np.diag(np.linalg.cholesky(An @ An.T)) ** 2
                if d.min() > 1e-10 * d.max():
                    return
            except np.linalg.LinAlgError:
                pass
    x_ls, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = float(np.linalg.norm(A @ x_ls - y))
    if res > 1e-9 * max(1.0, float(np.linalg.norm(y)), float(np.linalg.norm(A))
                        * float(np.linalg.norm(x_ls))):
        raise ValueError(
            f"the system A x = y is inconsistent (least-squares residual {res:.3g}): y is not "
            "in the range of A, so basis pursuit has no feasible point. Check the data."
        )


#: Default relative support tolerances (times ``max(1, ||x||_inf)``) per solver: simplex
#: solvers return exact zeros up to rounding noise (~1e-11 with HiGHS's feasibility tolerances
#: set to 1e-10); interior-point and first-order solvers leave off-support entries of the order
#: of their accuracy.
SUPPORT_TOL = {"linprog": 1e-9, "highs": 1e-9, "scipy": 1e-9, "clarabel": 1e-6,
               "osqp": 1e-4, "scs": 1e-4}

_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def _default_support_tol(x, method="linprog"):
    return SUPPORT_TOL[method] * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)


def _support(x, support_tol, method="linprog"):
    tol = _default_support_tol(x, method) if support_tol is None else support_tol
    return np.flatnonzero(np.abs(x) > tol)


def _bp_value(A, y):
    """Optimal value of basis pursuit (linprog/HiGHS), without the certificate checks."""
    N = A.shape[1]
    res = scipy.optimize.linprog(np.ones(2 * N), A_eq=np.hstack([A, -A]), b_eq=y,
                                 bounds=(0, None), method="highs", options=_HIGHS_OPTIONS)
    if res.status != 0:
        raise NotConvergedError(f"basis pursuit (linprog/HiGHS) failed: {res.message}")
    return float(res.fun)


def _full_column_rank(M):
    if M.shape[1] == 0:
        return True
    if M.shape[1] > M.shape[0]:
        return False
    sv = np.linalg.svd(M, compute_uv=False)
    return bool(sv[-1] > 1e-10 * sv[0])


def _resolve_method(method):
    if method is None:
        return DEFAULT_METHOD
    if not isinstance(method, str):
        raise TypeError(f"method must be a string such as {METHODS}, got {type(method).__name__}.")
    name = method.lower()
    if name not in METHODS:
        raise ValueError(f"unknown basis-pursuit method {method!r}; choose one of {METHODS}.")
    if name != "linprog":
        import cvxpy as cp

        if name.upper() not in cp.installed_solvers():
            raise ValueError(
                f"the cvxpy solver {name.upper()!r} is not installed (installed: "
                f"{cp.installed_solvers()}); install it or use method='linprog'."
            )
    return name


def _solve_linprog(A, y):
    m, N = A.shape
    res = scipy.optimize.linprog(np.ones(2 * N), A_eq=np.hstack([A, -A]), b_eq=y,
                                 bounds=(0, None), method="highs", options=_HIGHS_OPTIONS)
    if res.status != 0:
        raise NotConvergedError(f"basis pursuit (linprog/HiGHS) failed: {res.message}")
    x = res.x[:N] - res.x[N:]
    # eqlin.marginals = d(objective)/d(b_eq) = the dual variable lam of max y^T lam
    lam = np.asarray(res.eqlin.marginals, dtype=float)
    return x, lam, "optimal"


def _solve_cvxpy(A, y, name):
    import cvxpy as cp

    N = A.shape[1]
    x = cp.Variable(N)
    con = A @ x == y
    prob = cp.Problem(cp.Minimize(cp.norm1(x)), [con])
    try:
        prob.solve(solver=name.upper())
    except cp.error.SolverError as exc:
        raise NotConvergedError(f"basis pursuit (cvxpy/{name.upper()}) failed: {exc}") from None
    if prob.status not in ("optimal", "optimal_inaccurate") or x.value is None:
        raise NotConvergedError(
            f"basis pursuit (cvxpy/{name.upper()}) ended with status {prob.status!r}."
        )
    # cvxpy's Lagrangian is ||x||_1 + nu^T (A x - y), so the certificate is lam = -nu
    lam = -np.asarray(con.dual_value, dtype=float).ravel()
    return np.asarray(x.value, dtype=float), lam, prob.status


def _polish_x(A, y, x, support):
    """Least squares on the support, kept if it is feasible and sign-consistent."""
    AS = A[:, support]
    if not _full_column_rank(AS):
        return x, False
    xs, *_ = np.linalg.lstsq(AS, y, rcond=None)
    if np.any(np.sign(xs) != np.sign(x[support])):
        return x, False
    if np.linalg.norm(AS @ xs - y) > np.linalg.norm(A @ x - y) + 1e-12 * max(1.0,
                                                                             np.linalg.norm(y)):
        return x, False
    out = np.zeros_like(x)
    out[support] = xs
    return out, True


def _polish_certificate(A, lam, support, signs):
    """Correct lam by the least-norm change that makes A_S^T lam = signs hold exactly."""
    if support.size == 0:
        return lam
    AS = A[:, support]
    r = signs - AS.T @ lam
    d, *_ = np.linalg.lstsq(AS.T, r, rcond=None)
    return lam + d


# ----------------------------------------------------------------------------------------------
# basis pursuit
# ----------------------------------------------------------------------------------------------
@dataclass
class BasisPursuitResult:
    r"""Result of :func:`basis_pursuit`.

    Attributes
    ----------
    x : ndarray, shape (N,)
        A minimizer of :math:`\|x\|_1` subject to :math:`Ax = y` (entries below the support
        tolerance set to 0; polished by least squares on the support when possible).
    certificate : ndarray, shape (m,)
        A dual certificate :math:`\lambda`: :math:`\|A^\top\lambda\|_\infty \le 1` and
        :math:`A_S^\top\lambda = \operatorname{sign}(x_S)` (both checked).
    support : ndarray of int
        Sorted indices :math:`S` with :math:`|x_i| >` ``support_tol``.
    signs : ndarray
        :math:`\operatorname{sign}(x_S)`.
    objective : float
        :math:`\|x\|_1`.
    method : str
        The method (solver) used.
    status : str
        The solver's word: ``"optimal"`` or ``"optimal_inaccurate"``.
    converged : bool
        True when the solver reported ``"optimal"``; False for ``"optimal_inaccurate"`` (the
        certificate still passed the checks, to :data:`CERTIFICATE_TOL`).
    message : str
        What the solver reported, in words.
    unique : bool or None
        Whether :math:`x` is the unique minimizer (:math:`A_S` injective and
        :math:`\varrho < 1`); None when not checked (``check_unique=False``).
    primal_residual : float
        :math:`\|Ax - y\|_2`.
    certificate_error : float
        :math:`\max(\|A_S^\top\lambda - \sigma\|_\infty, \|A^\top\lambda\|_\infty - 1, 0)`.
    duality_gap : float
        :math:`\|x\|_1 - y^\top\lambda` (0 up to rounding at an optimum).
    """

    x: np.ndarray
    certificate: np.ndarray
    support: np.ndarray
    signs: np.ndarray
    objective: float
    method: str
    status: str
    unique: bool | None
    primal_residual: float = 0.0
    certificate_error: float = 0.0
    duality_gap: float = 0.0
    converged: bool = True
    message: str = "optimal: certificate checked"


def basis_pursuit(A, y, method=None, support_tol=None, *, polish=True, check_unique=True):
    r"""Solve basis pursuit :math:`\min\{\|x\|_1 : Ax = y\}` with a checked dual certificate.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix (any rank).
    y : array_like, shape (m,)
        Right-hand side; ``A x = y`` must be consistent.
    method : str, optional
        ``"linprog"`` (default: ``scipy.optimize.linprog`` with HiGHS on the LP over
        :math:`[A, -A]`, the fastest accurate choice, see ``benchmarks/bench_l1.py``),
        ``"highs"`` or ``"clarabel"`` (the cvxpy model ``Minimize(norm1(x))``, ``A @ x == y``
        with that solver), or another installed cvxpy solver from :data:`METHODS`.
    support_tol : float, optional
        Entries with :math:`|x_i| \le` ``support_tol`` are set to zero and excluded from the
        support. Default: ``SUPPORT_TOL[method] * max(1, ||x||_inf)``, i.e. relative 1e-9 for
        the simplex solvers (``linprog``, ``highs``: exact zeros up to rounding noise of about
        1e-11) and 1e-6 for ``clarabel`` (interior point: off-support entries of the order of
        its accuracy, about 1e-8).
    polish : bool, optional
        Replace :math:`x_S` by the least-squares solution on the support when :math:`A_S` is
        injective and the result keeps the signs (default True; this brings interior-point
        solutions to machine precision). The certificate is always corrected so that
        :math:`A_S^\top\lambda = \sigma` holds to machine precision.
    check_unique : bool, optional
        Decide uniqueness with the :math:`\varrho` linear program (default True; one more LP).

    Returns
    -------
    BasisPursuitResult
        With ``x``, ``certificate``, ``support``, ``signs``, ``objective``, ``method``,
        ``status``, ``converged``, ``message``, ``unique``.

    Raises
    ------
    ValueError
        If the system is inconsistent (no feasible point), or the solver is unknown or not
        installed.
    NotConvergedError
        If the solver fails or its certificate violates the optimality conditions by more than
        :data:`CERTIFICATE_TOL`.

    Notes
    -----
    The certificate comes from the LP duals: ``linprog``'s ``eqlin.marginals`` are
    :math:`\partial(\text{optimal value})/\partial y = \lambda`; cvxpy's equality dual
    :math:`\nu` enters its Lagrangian as :math:`+\nu^\top(Ax - y)`, so :math:`\lambda = -\nu`.

    Examples
    --------
    >>> A = np.array([[1.0, 0.5, 0.2], [0.0, 1.0, 1.0]])
    >>> res = basis_pursuit(A, A @ np.array([1.0, 0.0, 0.0]))
    >>> res.x.round(12), res.support, res.unique
    (array([1., 0., 0.]), array([0]), True)
    >>> bool(np.max(np.abs(A.T @ res.certificate)) <= 1 + 1e-9)
    True
    """
    A = check_matrix(A)
    y = check_vector(y, A.shape[0])
    name = _resolve_method(method)
    if support_tol is not None:
        support_tol = check_positive(support_tol, "support_tol")
    check_bool(polish, "polish")
    check_bool(check_unique, "check_unique")
    m, N = A.shape
    # solve the problem rescaled to max|A| ~ max|y| ~ 1 (exact powers of two): the solvers'
    # and our own tolerances are then relative, and (cA, cy) gives the same x for any c
    a, b = pow2_scale(A), pow2_scale(y)
    As, ys = A / a, y / b
    _check_consistent(As, ys)
    if not np.any(y):
        return BasisPursuitResult(np.zeros(N), np.zeros(m), np.zeros(0, dtype=int), np.zeros(0),
                                  0.0, name, "optimal", True)
    tol_s = None if support_tol is None else support_tol * a / b
    xs, lams, status, cert_err, unique = _basis_pursuit_scaled(As, ys, name, tol_s, polish,
                                                               check_unique)
    x, lam = xs * (b / a), lams / a
    objective = float(np.sum(np.abs(x)))
    support = np.flatnonzero(x)
    return BasisPursuitResult(
        x=x, certificate=lam, support=support, signs=np.sign(x[support]), objective=objective,
        method=name, status=status, unique=unique,
        converged=status == "optimal",
        message=(f"{name}: {status}; certificate checked to {cert_err:.2g}"),
        primal_residual=float(np.linalg.norm(A @ x - y)), certificate_error=cert_err,
        duality_gap=(b / a) * (float(np.sum(np.abs(xs))) - float(ys @ lams)),
    )


def _basis_pursuit_scaled(A, y, name, support_tol, polish, check_unique):
    """Basis pursuit on a well-scaled system; returns (x, lam, status, cert_err, unique)."""
    N = A.shape[1]
    if name == "linprog":
        x, lam, status = _solve_linprog(A, y)
    else:
        x, lam, status = _solve_cvxpy(A, y, name)
    support = _support(x, support_tol, name)
    x = np.where(np.isin(np.arange(N), support), x, 0.0)
    if polish:
        x, _ = _polish_x(A, y, x, support)
    support = np.flatnonzero(x)
    signs = np.sign(x[support])
    lam = _polish_certificate(A, lam, support, signs)
    cert_err = max(float(np.max(np.abs(A[:, support].T @ lam - signs), initial=0.0)),
                   float(np.max(np.abs(A.T @ lam))) - 1.0, 0.0)
    if cert_err > CERTIFICATE_TOL:
        raise NotConvergedError(
            f"basis pursuit ({name}): the dual certificate violates the optimality conditions "
            f"by {cert_err:.3g} > {CERTIFICATE_TOL}; the solve was inaccurate (try another "
            "method, e.g. method='linprog')."
        )
    unique = None
    if check_unique:
        unique = bool(_full_column_rank(A[:, support])
                      and _varrho_primal(A, support, signs)[0] < 1.0 - UNIQUENESS_TOL)
    return x, lam, status, cert_err, unique


# ----------------------------------------------------------------------------------------------
# varrho
# ----------------------------------------------------------------------------------------------
def _varrho_primal_full(A, support, signs):
    """min t s.t. A_S^T lam = signs, |A_Sc^T lam| <= t, in the variables (lam, t).
    Returns (value, lam)."""
    m, N = A.shape
    comp = np.setdiff1d(np.arange(N), support)
    AS, AC = A[:, support], A[:, comp]
    k = comp.size
    if k == 0:  # no off-support columns: the minimum over an empty set of |.| is 0
        lam, *_ = np.linalg.lstsq(AS.T, signs, rcond=None)
        return 0.0, lam
    c = np.zeros(m + 1)
    c[-1] = 1.0
    A_ub = np.block([[AC.T, -np.ones((k, 1))], [-AC.T, -np.ones((k, 1))]])
    b_ub = np.zeros(2 * k)
    A_eq = np.hstack([AS.T, np.zeros((support.size, 1))])
    bounds = [(None, None)] * m + [(0, None)]
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=signs, bounds=bounds,
                                 method="highs", options=_HIGHS_OPTIONS)
    if res.status == 2:
        raise ValueError(_NO_CERTIFICATE)
    if res.status != 0:
        raise NotConvergedError(f"varrho: the primal LP failed: {res.message}")
    return float(res.x[-1]), res.x[:m]


def _varrho_dual_full(A, support, signs):
    """max <signs, h_S> s.t. A h = 0, ||h_Sc||_1 <= 1, in the variables (h_S, h_Sc^+, h_Sc^-).
    Returns (value, h) (value inf if unbounded)."""
    m, N = A.shape
    comp = np.setdiff1d(np.arange(N), support)
    s, k = support.size, comp.size
    AS, AC = A[:, support], A[:, comp]
    # variables: h_S (free, s), p (k, >= 0), q (k, >= 0); h_Sc = p - q
    c = np.concatenate([-signs, np.zeros(2 * k)])
    A_eq = np.hstack([AS, AC, -AC])
    A_ub = np.concatenate([np.zeros(s), np.ones(2 * k)])[None, :]
    bounds = [(None, None)] * s + [(0, None)] * (2 * k)
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=[1.0], A_eq=A_eq, b_eq=np.zeros(m),
                                 bounds=bounds, method="highs", options=_HIGHS_OPTIONS)
    if res.status == 3:
        return math.inf, None
    if res.status != 0:
        raise NotConvergedError(f"varrho: the null-space LP failed: {res.message}")
    h = np.zeros(N)
    h[support] = res.x[:s]
    h[comp] = res.x[s:s + k] - res.x[s + k:]
    return float(-res.fun), h


_NO_CERTIFICATE = (
    "no lambda satisfies A_S^T lambda = sign(x_S): the support's sign pattern admits "
    "no certificate, so x is not a basis-pursuit solution (if x carries solver noise "
    "off its support, pass a larger support_tol or use basis_pursuit(A, y).x)."
)


def _varrho_primal(A, support, signs):
    """min ||A_Sc^T lam||_inf s.t. A_S^T lam = signs.  Returns (value, lam).

    The equality constraints are eliminated, lam = lam0 + Z t with Z an orthonormal basis of
    ker A_S^T, which makes the LP 3x to 5x faster than :func:`_varrho_primal_full` on
    200 x 1000 instances (HiGHS interior point with crossover).
    """
    m, N = A.shape
    comp = np.setdiff1d(np.arange(N), support)
    AS, AC = A[:, support], A[:, comp]
    if comp.size == 0 or not _full_column_rank(AS):
        return _varrho_primal_full(A, support, signs)
    lam0 = np.linalg.lstsq(AS.T, signs, rcond=None)[0]
    if np.max(np.abs(AS.T @ lam0 - signs)) > 1e-9:
        raise ValueError(_NO_CERTIFICATE)
    _, _, vt = np.linalg.svd(AS.T)
    Z = vt[support.size:].T
    w0 = AC.T @ lam0
    if Z.shape[1] == 0:
        return float(np.max(np.abs(w0))), lam0
    B = AC.T @ Z
    k, r = B.shape
    c = np.zeros(r + 1)
    c[-1] = 1.0
    A_ub = np.block([[B, -np.ones((k, 1))], [-B, -np.ones((k, 1))]])
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=np.concatenate([-w0, w0]),
                                 bounds=[(None, None)] * r + [(0, None)], method="highs-ipm",
                                 options=_HIGHS_OPTIONS)
    if res.status != 0:
        raise NotConvergedError(f"varrho: the certificate LP failed: {res.message}")
    lam = lam0 + Z @ res.x[:r]
    return float(np.max(np.abs(AC.T @ lam))), lam


def _varrho_dual(A, support, signs):
    """max <signs, h_S> s.t. A h = 0, ||h_Sc||_1 <= 1.  Returns (value, h) (inf if unbounded).

    For injective A_S, h_S = -A_S^+ A_Sc h_Sc is eliminated and A h = 0 becomes
    U^T A_Sc h_Sc = 0 with U an orthonormal basis of range(A_S)^perp (3x to 6x faster than
    :func:`_varrho_dual_full` on 200 x 1000 instances).
    """
    m, N = A.shape
    comp = np.setdiff1d(np.arange(N), support)
    s, k = support.size, comp.size
    AS, AC = A[:, support], A[:, comp]
    if k == 0 or not _full_column_rank(AS):
        return _varrho_dual_full(A, support, signs)
    u, _, _ = np.linalg.svd(AS)
    U = u[:, s:]
    M = -np.linalg.lstsq(AS, AC, rcond=None)[0]  # h_S = M h_Sc
    g = M.T @ signs
    kwargs = {}
    if U.shape[1]:
        Bc = U.T @ AC
        kwargs = dict(A_eq=np.hstack([Bc, -Bc]), b_eq=np.zeros(U.shape[1]))
    res = scipy.optimize.linprog(np.concatenate([-g, g]), A_ub=np.ones((1, 2 * k)), b_ub=[1.0],
                                 bounds=(0, None), method="highs-ipm", options=_HIGHS_OPTIONS,
                                 **kwargs)
    if res.status != 0:
        raise NotConvergedError(f"varrho: the null-space LP failed: {res.message}")
    h = np.zeros(N)
    h[comp] = res.x[:k] - res.x[k:]
    h[support] = M @ h[comp]
    return float(signs @ h[support]), h


@dataclass
class VarrhoResult:
    r"""Result of :func:`varrho_certificate`.

    Attributes
    ----------
    value : float
        :math:`\varrho = \min\{\|A_{S^c}^\top\lambda\|_\infty : A_S^\top\lambda = \sigma\}`
        (primal LP).
    lam : ndarray, shape (m,)
        A certificate attaining the minimum.
    direction : ndarray, shape (N,)
        An extremal null-space vector :math:`h \in \ker A` with :math:`\|h_{S^c}\|_1 = 1`
        (when :math:`\varrho > 0`) and :math:`\langle\sigma, h_S\rangle = \varrho`; None if
        the null-space LP is unbounded (:math:`A_S` not injective).
    dual_value : float
        :math:`\max\{\langle\sigma, h_S\rangle : h\in\ker A,\ \|h_{S^c}\|_1\le 1\}`, equal to
        ``value`` by LP duality (both are computed; they agree to about 1e-12).
    support : ndarray of int
        The support :math:`S` of ``x``.
    signs : ndarray
        :math:`\sigma = \operatorname{sign}(x_S)`.
    is_unique : bool
        ``x`` is the unique basis-pursuit solution: :math:`A_S` injective and
        :math:`\varrho < 1`.
    """

    value: float
    lam: np.ndarray
    direction: np.ndarray | None
    dual_value: float
    support: np.ndarray
    signs: np.ndarray
    is_unique: bool


def _check_bp_solution(A, x, support_tol):
    """Validate that x is a basis-pursuit solution of A z = A x; return (support, signs)."""
    y = A @ x
    support = _support(x, support_tol)
    if support.size == 0:
        raise ValueError(
            "x has empty support (x = 0): the certificate problem A_S^T lam = sign(x_S) is "
            "empty and varrho is undefined. Pass a nonzero basis-pursuit solution."
        )
    best = _bp_value(A, y)
    l1 = float(np.sum(np.abs(x)))
    if l1 > best * (1.0 + 1e-8):
        raise ValueError(
            f"x is not a basis-pursuit solution: ||x||_1 = {l1:.10g} exceeds the minimum "
            f"{best:.10g} of ||z||_1 over A z = A x. Pass basis_pursuit(A, y).x."
        )
    return support, np.sign(x[support])


def varrho(A, x, *, support_tol=None):
    r"""The parameter :math:`\varrho` of a basis-pursuit solution ``x``.

    .. math::

        \varrho = \min\{\|A_{S^c}^\top\lambda\|_\infty : A_S^\top\lambda = \sigma\}
                = \max\{\langle\sigma, h_S\rangle : h\in\ker A,\ \|h_{S^c}\|_1 \le 1\},

    with :math:`S = \operatorname{supp}(x)` and :math:`\sigma = \operatorname{sign}(x_S)`.
    Both linear programs are solved (HiGHS through ``scipy.optimize.linprog``); the second is
    the LP dual of the first, so the two values agree (a ``ConvergenceWarning`` is issued if
    they differ by more than 1e-8). :math:`\varrho \le 1` for every basis-pursuit solution, and,
    when :math:`A_S` is injective, :math:`\varrho < 1` iff ``x`` is the unique solution.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix.
    x : array_like, shape (N,)
        A basis-pursuit solution for the data ``A @ x`` (checked against
        :func:`basis_pursuit`'s optimal value, relative tolerance 1e-8).
    support_tol : float, optional
        Support tolerance, as in :func:`basis_pursuit`.

    Returns
    -------
    float
        :math:`\varrho` (the primal LP value); :func:`varrho_certificate` returns the
        certificate, the extremal direction and the dual value with it.

    Raises
    ------
    ValueError
        If ``x`` is zero (empty support) or not a basis-pursuit solution.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]])
    >>> varrho(A, [1.0, 0.0])
    0.6
    """
    return _varrho(A, x, support_tol, full=False)


def varrho_certificate(A, x, *, support_tol=None):
    r"""The parameter :math:`\varrho` of :func:`varrho` with its certificate and direction.

    Solves both linear programs of :func:`varrho` (the certificate LP and the null-space LP)
    and issues a ``ConvergenceWarning`` if their values differ by more than 1e-8.

    Parameters
    ----------
    A : array_like, shape (m, N)
        Matrix.
    x : array_like, shape (N,)
        A basis-pursuit solution for the data ``A @ x``, as in :func:`varrho`.
    support_tol : float, optional
        Support tolerance, as in :func:`basis_pursuit`.

    Returns
    -------
    VarrhoResult

    Raises
    ------
    ValueError
        If ``x`` is zero (empty support) or not a basis-pursuit solution.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]])
    >>> r = varrho_certificate(A, [1.0, 0.0])
    >>> r.value, r.lam, r.direction.round(3), r.is_unique
    (0.6, array([1.]), array([ 0.6, -1. ]), True)
    """
    return _varrho(A, x, support_tol, full=True)


def _varrho(A, x, support_tol, full):
    A = check_matrix(A)
    x = check_vector(x, A.shape[1], name="x", length_of="columns of A")
    if support_tol is not None:
        support_tol = check_positive(support_tol, "support_tol")
    # varrho depends on A and x only through directions: rescale both to max entry ~ 1
    # (exact powers of two) so that the LP and support tolerances are relative
    xscale, ascale = pow2_scale(x), pow2_scale(A)
    A, x = A / ascale, x / xscale
    if support_tol is not None:
        support_tol = support_tol / xscale
    support, signs = _check_bp_solution(A, x, support_tol)
    value, lam = _varrho_primal(A, support, signs)
    if not full:
        return value
    dual_value, h = _varrho_dual(A, support, signs)
    injective = _full_column_rank(A[:, support])
    if injective and abs(dual_value - value) > 1e-8 * max(1.0, abs(value)):
        warnings.warn(
            f"varrho: primal LP value {value!r} and null-space LP value {dual_value!r} differ "
            "by more than 1e-8 (ill-conditioned instance).", ConvergenceWarning, stacklevel=2)
    return VarrhoResult(value=value, lam=lam / ascale, direction=h, dual_value=dual_value,
                        support=support, signs=signs,
                        is_unique=bool(injective and value < 1.0 - UNIQUENESS_TOL))


def is_unique(A, x, *, support_tol=None):
    r"""Whether the basis-pursuit solution ``x`` is the unique one.

    True iff :math:`A_S` is injective and :math:`\varrho < 1` (up to
    :data:`UNIQUENESS_TOL`), with :math:`S = \operatorname{supp}(x)`.

    Parameters
    ----------
    A : array_like, shape (m, N)
    x : array_like, shape (N,)
        A basis-pursuit solution (validated as in :func:`varrho`).
    support_tol : float, optional
        Support tolerance, as in :func:`basis_pursuit`.

    Returns
    -------
    bool

    Examples
    --------
    >>> A = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 0.0]])
    >>> is_unique(A, [0.2, 0.5, 0.3]), is_unique(np.array([[1.0, 0.5]]), [1.0, 0.0])
    (False, True)
    """
    return varrho_certificate(A, x, support_tol=support_tol).is_unique


# ----------------------------------------------------------------------------------------------
# null-space constants
# ----------------------------------------------------------------------------------------------
def _check_support_arg(support, N):
    if isinstance(support, (str, bytes)) or support is None:
        raise TypeError("support must be a sequence of column indices.")
    try:
        S = np.asarray(support)
    except (TypeError, ValueError):
        raise TypeError("support must be a 1-D sequence of column indices.") from None
    if S.ndim > 1:
        raise ValueError(f"support must be 1-D (column indices or a boolean mask), got shape "
                         f"{S.shape}.")
    if S.dtype == bool:
        if S.shape != (N,):
            raise ValueError(f"a boolean support mask must have length N={N}.")
        S = np.flatnonzero(S)
    if S.size and not np.issubdtype(S.dtype, np.integer):
        raise TypeError("support must contain integer column indices.")
    S = np.unique(S.astype(int).ravel())
    if S.size == 0:
        raise ValueError("support is empty; pass at least one column index.")
    if S[0] < 0 or S[-1] >= N:
        raise ValueError(f"support indices must lie in [0, {N - 1}], got {S.tolist()}.")
    return S


_MAX_EXACT_PATTERNS = 2 ** 11  # 2048 LPs: seconds, not minutes


def nsp_constant(A, support, method="exact", *, n_starts=50, rng=None):
    r"""Null-space constant :math:`\rho_S = \sup_{h\in\ker A\setminus\{0\}}
    \|h_S\|_1/\|h_{S^c}\|_1` of a support :math:`S` (unsigned).

    Since :math:`\|h_S\|_1 = \max_{\varepsilon\in\{\pm1\}^S}\langle\varepsilon, h_S\rangle`,
    :math:`\rho_S` is the maximum over sign patterns :math:`\varepsilon` of the null-space LP
    of :func:`varrho`; :math:`\varepsilon` and :math:`-\varepsilon` give the same value, so
    ``method="exact"`` solves :math:`2^{|S|-1}` LPs (allowed up to :math:`|S| = 12`, a few
    seconds). Always
    :math:`\varrho \le \rho_S`, and :math:`\rho_S < 1` means every vector supported on
    :math:`S` is the unique :math:`\ell^1` solution of its data.

    Parameters
    ----------
    A : array_like, shape (m, N)
    support : array_like of int (or boolean mask)
        The set :math:`S`.
    method : {"exact", "estimate"}, optional
        ``"exact"``: all sign patterns. ``"estimate"``: a **lower bound** from ``n_starts``
        random sign patterns, each improved by the fixed-point iteration
        :math:`\varepsilon \leftarrow \operatorname{sign}(h_S)` (usually the exact value).
    n_starts : int, optional
        Number of random starts for ``"estimate"``.
    rng : None, int or numpy.random.Generator, optional
        Randomness of ``"estimate"`` (an int is a seed; None: fresh entropy; see
        ``numpy.random.default_rng``). Unused by ``"exact"``.

    Returns
    -------
    float
        :math:`\rho_S` (``inf`` if :math:`A_S` is not injective).

    Raises
    ------
    ValueError
        For an empty or out-of-range support, an unknown method, or ``method="exact"`` with
        :math:`|S| > 12`.

    Examples
    --------
    >>> A = np.array([[1.0, 0.6]])
    >>> nsp_constant(A, [0])
    0.6
    """
    A = check_matrix(A)
    A = A / pow2_scale(A)  # rho_S is invariant under A -> cA; keep the LP tolerances relative
    S = _check_support_arg(support, A.shape[1])
    if not isinstance(method, str) or method not in ("exact", "estimate"):
        raise ValueError(f"method must be 'exact' or 'estimate', got {method!r}.")
    n_starts = check_int(n_starts, "n_starts", 1)
    rng = check_random_state(rng)
    s = S.size
    if method == "exact" and 2 ** (s - 1) > _MAX_EXACT_PATTERNS:
        raise ValueError(
            f"method='exact' needs 2^{s - 1} linear programs for |S| = {s}; use "
            "method='estimate' (a lower bound) for |S| > 12."
        )
    if not _full_column_rank(A[:, S]):
        return math.inf
    if method == "exact":
        best = 0.0
        for tail in itertools.product((1.0, -1.0), repeat=s - 1):
            eps = np.array((1.0,) + tail)
            best = max(best, _varrho_dual(A, S, eps)[0])
        return best
    best = 0.0
    for _ in range(n_starts):
        eps = rng.choice([-1.0, 1.0], s)
        val = -math.inf
        for _ in range(50):
            new_val, h = _varrho_dual(A, S, eps)
            new_eps = np.where(h[S] != 0, np.sign(h[S]), eps)
            if new_val <= val + 1e-14 or np.array_equal(new_eps, eps):
                val = max(val, new_val)
                break
            val, eps = new_val, new_eps
        best = max(best, val)
    return best


_MAX_ORDER_LPS = 50_000


def nsp_constant_order(A, s):
    r"""Null-space-property constant of order :math:`s` by **exhaustive search** (tiny problems).

    :math:`\rho_s = \max_{|S| = s}\rho_S` (see :func:`nsp_constant`); since :math:`\rho_S`
    grows with :math:`S`, this is also the maximum over :math:`|S| \le s`. :math:`A` has the
    null-space property of order :math:`s` with constant :math:`\rho_s` when
    :math:`\rho_s < 1`: then every :math:`s`-sparse vector is the unique :math:`\ell^1`
    solution of its data. The search solves :math:`\binom{N}{s}2^{s-1}` LPs and refuses more
    than 50 000.

    Parameters
    ----------
    A : array_like, shape (m, N)
    s : int
        Order, ``1 <= s <= N``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``s`` is out of range or the search is too large.

    Examples
    --------
    >>> A = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 0.0]])  # kernel spanned by (1, -3, 2)
    >>> round(nsp_constant_order(A, 1), 12)
    1.0
    """
    A = check_matrix(A)
    N = A.shape[1]
    s = check_int(s, "s", 1)
    if s > N:
        raise ValueError(f"s={s} exceeds the number of columns N={N}.")
    count = math.comb(N, s) * 2 ** (s - 1)
    if count > _MAX_ORDER_LPS:
        raise ValueError(
            f"exhaustive search needs {count} LPs (C({N},{s}) * 2^{s - 1}) > {_MAX_ORDER_LPS}; "
            "nsp_constant_order is meant for tiny problems only."
        )
    return max(nsp_constant(A, list(S)) for S in itertools.combinations(range(N), s))


# ----------------------------------------------------------------------------------------------
# the interpolator on a given support, in extended precision
# ----------------------------------------------------------------------------------------------
#: Largest ``digits`` accepted by :func:`solution_on_support` (as in ``flow_limit``).
_MAX_DIGITS = 1000


def solution_on_support(A, y, support, digits=None):
    r"""The interpolator supported on ``support``: least squares on :math:`A_S`.

    Returns :math:`x` with :math:`x_{S^c} = 0` and :math:`x_S = A_S^\dagger y`, which solves
    :math:`Ax = y` when :math:`y \in \operatorname{range}(A_S)`. With ``digits`` the solve
    is done in mpmath (QR, ``digits + 10`` working digits) treating the float64 entries of
    ``A`` and ``y`` as exact, which is the same problem :func:`implicit_bias.diagonal.flow_limit`
    solves with ``digits``; use it as the reference :math:`x_{\ell^1}` when measuring
    :math:`\|x_\infty - x_{\ell^1}\|` below float64 rounding (``y = A @ x_star`` is rounded,
    so ``x_star`` itself is only float64-close to the exact solution).

    .. warning::

       This is the exact :math:`\ell^1` solution of the float data only if ``y`` lies
       **exactly** in the range of :math:`A_S`, i.e. for :math:`|S| = m` or for data built
       without rounding (``gaussian_instance(..., exact=True)``). For ``y = A @ x_star``
       rounded in float64 and :math:`|S| < m`, the exact solution of the float data has
       additional entries of size about 1e-16 off :math:`S`, and ``flow_limit`` converges to
       it: distances below about 1e-15 are then meaningless.

    Parameters
    ----------
    A : array_like, shape (m, N)
    y : array_like, shape (m,)
    support : array_like of int (or boolean mask)
        The support :math:`S`; :math:`A_S` must be injective.
    digits : int, optional
        Significant digits (>= 8) for an mpmath result; None for float64.

    Returns
    -------
    ndarray
        float64 array, or object array of ``mpmath.mpf`` when ``digits`` is given.

    Raises
    ------
    ValueError
        If :math:`A_S` is not injective or :math:`y` is not in its range (relative residual
        above 1e-8).

    Examples
    --------
    >>> A = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]])
    >>> solution_on_support(A, [1.0, 2.0], [1])
    array([0., 2., 0.])
    >>> x = solution_on_support(A, [1.0, 2.0], [1], digits=30)
    >>> type(x[1]).__name__, float(x[1])
    ('mpf', 2.0)
    """
    A = check_matrix(A)
    y = check_vector(y, A.shape[0])
    S = _check_support_arg(support, A.shape[1])
    AS = A[:, S]
    if not _full_column_rank(AS):
        raise ValueError(
            f"A restricted to the support ({AS.shape[0]} x {AS.shape[1]}) is not injective; the "
            "interpolator on this support is not unique."
        )
    xs, *_ = np.linalg.lstsq(AS, y, rcond=None)
    ynorm = max(float(np.linalg.norm(y)), 1e-300)
    if np.linalg.norm(AS @ xs - y) > 1e-8 * ynorm:
        raise ValueError(
            "y is not in the range of A_S: no interpolator is supported on this support "
            f"(relative least-squares residual {np.linalg.norm(AS @ xs - y) / ynorm:.3g})."
        )
    if digits is None:
        out = np.zeros(A.shape[1])
        out[S] = xs
        return out
    digits = check_int(digits, "digits", 8)
    if digits > _MAX_DIGITS:
        raise ValueError(f"digits={digits} is more than solution_on_support computes in "
                         f"reasonable time (at most {_MAX_DIGITS}); use digits <= {_MAX_DIGITS}.")
    with mpmath.workdps(digits + 10):
        M = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in AS])
        b = mpmath.matrix([mpmath.mpf(float(v)) for v in y])
        sol, _ = mpmath.qr_solve(M, b)
        out = np.array([mpmath.mpf(0)] * A.shape[1], dtype=object)
        for k, i in enumerate(S):
            out[i] = +sol[k]
    return out
