r"""The sparse-recovery experiment of Chapter 8: trials, phase-transition fits, the ℓ¹ bound.

* :func:`recovery_trial` draws one seeded Gaussian instance and solves it by basis pursuit,
  by the exact gradient-flow limit of a diagonal network, or by gradient descent;
  :func:`phase_trial` is the same trial parameterized by the sparsity ratio :math:`s/m`, and
  :func:`gd_versus_flow` runs gradient descent and the flow limit on one instance.
  All three have the signature ``func(..., rng=...)`` expected by
  :func:`implicit_bias.sweeps.run_sweep` (which passes each trial's int seed as ``rng``).
* :data:`RECOVERY_CONFIGS` holds the grids of the chapter (``"default"``) and of the documented
  larger run (``"full"``); :data:`RECOVERY_TOL` is the success threshold.
* :func:`fit_transition` fits a logistic curve to Bernoulli outcomes (with an explicit answer
  for perfectly separated data) and :func:`transition_bootstrap` gives a resampling interval
  for its 50% point or for the difference of two paired 50% points.
* :func:`statistical_dimension` is the Amelunxen-Lotz-McCoy-Tropp **upper bound**
  :math:`N\psi(s/N)` on the statistical dimension of the :math:`\ell^1` descent cone, and
  :func:`statistical_dimension_mc` a Monte Carlo estimate of the exact statistical dimension.

The experiment's design (sizes, distributions, threshold) is the book's own; the setup of the
experiments of Chou, Maly & Rauhut (2023) is not known to us beyond their abstract.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.special

from ._validation import (
    check_alpha,
    check_depth,
    check_int,
    check_positive,
    check_random_state,
)
from .diagonal import flow_limit, gradient_descent
from .examples import gaussian_instance
from .exceptions import ConvergenceWarning, DivergenceError
from .l1 import basis_pursuit

__all__ = [
    "RECOVERY_CONFIGS",
    "RECOVERY_TOL",
    "recovery_trial",
    "phase_trial",
    "gd_versus_flow",
    "TransitionFit",
    "fit_transition",
    "transition_bootstrap",
    "statistical_dimension",
    "statistical_dimension_mc",
]

#: The chapter's "default" configuration and the documented "full" one (same code, finer grid,
#: more trials). ``curves``: success versus m at fixed (N, s) (the flow limits at every depth and
#: scale see the same instances as basis pursuit); ``phase``: the (m/N, s/m) diagram, on a grid
#: where every ``rho * m`` is an integer so that each cell sits at its actual ratio s/m;
#: ``gd``: gradient descent at a realistic constant step on a small grid.
RECOVERY_CONFIGS = {
    "default": {
        "curves": {"N": 100, "s": 5, "m": list(range(8, 61, 4)), "n_trials": 30,
                   "bp_s": [5, 10], "alphas": [1e-4, 1e-8], "depths": [2, 3, 4],
                   "alpha_small_d2": 1e-16},
        "phase": {"N": 40, "m": list(range(5, 36, 5)), "rho": [0.2, 0.4, 0.6, 0.8],
                  "n_trials": 8, "alpha": 1e-6, "depths": [2, 4]},
        "gd": {"N": 100, "s": 5, "m": [16, 24, 32, 40], "n_trials": 6, "depth": 2,
               "alpha": 1e-6, "step": 0.05, "max_iter": 20_000},
    },
    "full": {
        "curves": {"N": 100, "s": 5, "m": list(range(6, 65, 2)), "n_trials": 100,
                   "bp_s": [5, 10, 15], "alphas": [1e-4, 1e-8], "depths": [2, 3, 4],
                   "alpha_small_d2": 1e-16},
        "phase": {"N": 100, "m": list(range(10, 100, 10)),
                  "rho": [round(0.1 * k, 1) for k in range(1, 10)], "n_trials": 100,
                  "alpha": 1e-6, "depths": [2, 4]},
        "gd": {"N": 100, "s": 5, "m": list(range(12, 53, 4)), "n_trials": 100, "depth": 2,
               "alpha": 1e-6, "step": 0.05, "max_iter": 20_000},
    },
}

#: Relative l2 error below which a trial counts as exact recovery.
RECOVERY_TOL = 1e-2

_METHODS = ("bp", "flow", "gd")


# ----------------------------------------------------------------------------------------------
# trials
# ----------------------------------------------------------------------------------------------
def _check_sizes(m, N, s):
    m = check_int(m, "m", 1)
    N = check_int(N, "N", 1)
    s = check_int(s, "s", 1)
    if s > N:
        raise ValueError(f"s must be <= N={N}, got s={s}.")
    return m, N, s


def _solve(inst, method, depth, alpha, step, max_iter):
    """Solve one instance; returns (x, extra results)."""
    if method == "bp":
        return basis_pursuit(inst.A, inst.y, check_unique=False).x, {}
    if method == "flow":
        # overflowing trial steps of the continuation are rejected inside flow_limit
        with np.errstate(over="ignore", invalid="ignore"):
            return flow_limit(inst.A, inst.y, depth, alpha).x, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = gradient_descent(inst.A, inst.y, depth, alpha, step=step, max_iter=max_iter,
                               tol=1e-4, record_every=max_iter)
    return res.x, {"n_iter": int(res.n_iter), "converged": bool(res.converged)}


def _relative_error(x, inst, method, context):
    if not np.all(np.isfinite(x)):
        raise DivergenceError(f"{method} returned a non-finite solution ({context}); for "
                              "'gd' use a smaller step.")
    return float(np.linalg.norm(x - inst.x_star) / np.linalg.norm(inst.x_star))


def recovery_trial(m, N, s, method, depth=2, alpha=1e-6, rng=None, *, tol=RECOVERY_TOL,
                   step=None, max_iter=20_000):
    """One sparse-recovery trial: draw a Gaussian instance, solve it, measure the error.

    The instance is :func:`implicit_bias.examples.gaussian_instance` ``(m, N, s, rng)``
    (``A`` with i.i.d. :math:`\\mathcal N(0, 1/m)` entries, an ``s``-sparse :math:`x^\\star`
    with random signs and magnitudes in [1, 2]). It is solved by

    * ``method="bp"``: basis pursuit (:func:`implicit_bias.l1.basis_pursuit`);
    * ``method="flow"``: the exact limit of gradient flow on the depth-``depth`` diagonal
      network from scale ``alpha`` (:func:`implicit_bias.diagonal.flow_limit`);
    * ``method="gd"``: gradient descent with constant ``step`` for at most ``max_iter``
      iterations (:func:`implicit_bias.diagonal.gradient_descent`, stopping at a relative
      residual of 1e-4).

    Parameters
    ----------
    m, N, s : int
        Measurements, unknowns and sparsity (``s >= 1``: the error is relative to
        :math:`\\|x^\\star\\|_2`).
    method : {"bp", "flow", "gd"}
        The recovery method.
    depth : int
        Network depth (ignored for ``"bp"``).
    alpha : float
        End-to-end initial scale (ignored for ``"bp"``).
    rng : None, int or numpy.random.Generator
        Randomness of the instance; methods called with the same ``(m, N, s)`` and the same
        int ``rng`` see the same problem (None: fresh entropy).
    tol : float
        Success threshold on :math:`\\|\\hat x - x^\\star\\|_2 / \\|x^\\star\\|_2`.
    step : float, optional
        Step size for ``"gd"`` (default: the library's heuristic ``default_step``).
    max_iter : int
        Iteration budget for ``"gd"``.

    Returns
    -------
    dict
        ``rel_error`` (float), ``success`` (bool) and, for ``"gd"``, ``n_iter`` and
        ``converged``.

    Raises
    ------
    ValueError, TypeError
        For an unknown method or invalid sizes (and whatever the solvers raise on failure).
    implicit_bias.exceptions.DivergenceError
        If a solver returns a non-finite point (gradient descent with too large a step).

    Examples
    --------
    >>> out = recovery_trial(40, 60, 3, "bp", rng=1)
    >>> out["success"]
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method must be 'bp', 'flow' or 'gd', got {method!r}.")
    m, N, s = _check_sizes(m, N, s)
    tol = check_positive(tol, "tol")
    if method != "bp":
        depth = check_depth(depth)
        alpha = check_alpha(alpha)
    if method == "gd":
        max_iter = check_int(max_iter, "max_iter", 1)
        if step is not None:
            step = check_positive(step, "step")
    inst = gaussian_instance(m, N, s, rng)
    return _solve_trial(inst, method, depth, alpha, step, max_iter, tol)


def _solve_trial(inst, method, depth, alpha, step, max_iter, tol):
    x, extra = _solve(inst, method, depth, alpha, step, max_iter)
    m, N = inst.A.shape
    context = (f"m={m}, N={N}, s={inst.support.size}, depth={depth}, alpha={alpha}, "
               f"seed={inst.seed}")
    err = _relative_error(x, inst, method, context)
    return {"rel_error": err, "success": bool(err <= tol)} | extra


def phase_trial(m, rho, N, method, depth=2, alpha=1e-6, rng=None, *, tol=RECOVERY_TOL):
    """A :func:`recovery_trial` parameterized by the sparsity ratio ``rho = s/m``.

    This is the trial of a Donoho-Tanner phase diagram over ``(m/N, s/m)``. The sparsity is
    an integer, so the trial's actual ratio ``s/m`` differs from ``rho`` when ``rho * m`` is
    not an integer; it is returned (``ratio``) so that a diagram can be drawn at the actual
    ratios, or the grid chosen with integer ``rho * m``.

    Parameters
    ----------
    m, N : int
        Measurements and unknowns.
    rho : float
        Sparsity ratio; the sparsity is ``s = max(1, round(rho * m))``.
    method, depth, alpha, rng, tol :
        As in :func:`recovery_trial`.

    Returns
    -------
    dict
        ``s``, ``ratio`` (``s / m``) and the entries returned by :func:`recovery_trial`.

    Examples
    --------
    >>> out = phase_trial(20, 0.1, 40, "bp", rng=0)
    >>> out["s"], out["ratio"]
    (2, 0.1)
    """
    m = check_int(m, "m", 1)
    rho = check_positive(rho, "rho")
    s = max(1, int(round(rho * m)))
    return {"s": s, "ratio": s / m} | recovery_trial(m, N, s, method, depth, alpha, rng,
                                                     tol=tol)


def gd_versus_flow(m, N, s, depth=2, alpha=1e-6, rng=None, *, step=0.05, max_iter=20_000,
                   tol=RECOVERY_TOL):
    """Gradient descent and the exact gradient-flow limit on the same instance.

    Parameters
    ----------
    m, N, s : int
        Measurements, unknowns and sparsity of the instance ``gaussian_instance(m, N, s, rng)``.
    depth : int
        Network depth.
    alpha : float
        End-to-end initial scale.
    rng : None, int or numpy.random.Generator
        Randomness of the instance (drawn once; both methods solve it).
    step : float
        Constant step of gradient descent.
    max_iter : int
        Iteration budget of gradient descent.
    tol : float
        Success threshold, as in :func:`recovery_trial`.

    Returns
    -------
    dict
        ``gd_error``, ``gd_success``, ``n_iter``, ``converged`` (gradient descent reached the
        relative residual 1e-4 within the budget), ``flow_error`` and ``flow_success``.

    Examples
    --------
    >>> out = gd_versus_flow(24, 40, 2, depth=2, alpha=1e-3, rng=1, max_iter=5000)
    >>> out["gd_success"] == out["flow_success"]
    True
    """
    m, N, s = _check_sizes(m, N, s)
    depth = check_depth(depth)
    alpha = check_alpha(alpha)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", 1)
    if step is not None:
        step = check_positive(step, "step")
    inst = gaussian_instance(m, N, s, rng)
    gd = _solve_trial(inst, "gd", depth, alpha, step, max_iter, tol)
    flow = _solve_trial(inst, "flow", depth, alpha, step, max_iter, tol)
    return {"gd_error": gd["rel_error"], "gd_success": gd["success"],
            "n_iter": gd["n_iter"], "converged": gd["converged"],
            "flow_error": flow["rel_error"], "flow_success": flow["success"]}


# ----------------------------------------------------------------------------------------------
# phase transitions
# ----------------------------------------------------------------------------------------------
@dataclass
class TransitionFit:
    """Result of :func:`fit_transition`.

    Attributes
    ----------
    center : float
        The 50% point: where the fitted success probability equals 1/2. For separated data
        (``separated=True``), the midpoint of the gap between the largest ``x`` with a
        failure and the smallest ``x`` with a success.
    width : float
        Scale of the logistic curve ``p(x) = 1 / (1 + exp(-(x - center) / width))``; the
        probability goes from 12% to 88% over ``[center - 2 width, center + 2 width]``.
        ``0.0`` for separated data (a step).
    n_trials : int
        Number of Bernoulli observations used.
    separated : bool
        True if every success lies at a larger ``x`` than every failure. Then the
        maximum-likelihood width is 0 (no finite maximizer exists) and every center in the
        gap fits equally well; ``center`` is the gap's midpoint and ``gap`` the gap.
    gap : tuple of float or None
        ``(largest x with a failure, smallest x with a success)`` for separated data.
    """

    center: float
    width: float
    n_trials: int
    separated: bool = False
    gap: tuple | None = None

    def probability(self, x):
        """Fitted success probability at ``x`` (a step at ``center`` if ``width == 0``)."""
        x = np.asarray(x, dtype=float)
        if self.width == 0.0:
            return np.where(x > self.center, 1.0, np.where(x < self.center, 0.0, 0.5))
        return scipy.special.expit((x - self.center) / self.width)


def _check_outcomes(success, name="success"):
    """Bernoulli outcomes as a bool array: bools, or numbers that are exactly 0 or 1."""
    arr = np.asarray(success)
    if arr.dtype == bool:
        return arr.ravel()
    if arr.dtype.kind in "iuf":
        flat = arr.ravel()
        if not np.all(np.isin(flat, (0, 1))):
            bad = flat[~np.isin(flat, (0, 1))][0]
            raise ValueError(f"{name} must contain booleans or the numbers 0 and 1, found "
                             f"{bad!r}.")
        return flat.astype(bool)
    if arr.dtype == object:
        flat = arr.ravel()
        for v in flat:
            if isinstance(v, (bool, np.bool_)):
                continue
            if isinstance(v, numbers.Real) and v in (0, 1):
                continue
            raise TypeError(f"{name} must contain booleans or the numbers 0 and 1, found "
                            f"{v!r} of type {type(v).__name__}.")
        return flat.astype(bool)
    raise TypeError(f"{name} must contain booleans or the numbers 0 and 1, got an array of "
                    f"dtype {arr.dtype} (e.g. strings like 'yes'/'no' are not accepted; "
                    "convert them first).")


def _binomial_logistic(z, k, n):
    """Batched maximum likelihood of P(success | z) = expit(a + b z) from binomial counts.

    ``z`` (shape (L,)) are the distinct standardized control values, ``k`` and ``n`` (shape
    (B, L)) the successes and trials at each value for ``B`` data sets, none of them
    separated. Damped Newton on the strictly convex negative log-likelihood. Returns ``a``
    and ``b`` of shape (B,).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    B = k.shape[0]
    frac = np.clip(k.sum(1) / n.sum(1), 1e-3, 1 - 1e-3)
    theta = np.column_stack([scipy.special.logit(frac), np.zeros(B)])

    def nll(th):
        eta = th[:, :1] + th[:, 1:] * z
        return np.sum(n * np.logaddexp(0.0, eta) - k * eta, axis=1)

    f = nll(theta)
    active = np.ones(B, dtype=bool)
    for _ in range(100):
        eta = theta[:, :1] + theta[:, 1:] * z
        p = scipy.special.expit(eta)
        r = n * p - k
        w = n * p * (1 - p)
        g = np.column_stack([r.sum(1), (r * z).sum(1)])
        h00, h01, h11 = w.sum(1), (w * z).sum(1), (w * z * z).sum(1)
        det = h00 * h11 - h01 * h01
        det = np.where(det > 0, det, np.inf)
        d = np.column_stack([(h11 * g[:, 0] - h01 * g[:, 1]) / det,
                             (h00 * g[:, 1] - h01 * g[:, 0]) / det])
        d[~active] = 0.0
        step = np.ones(B)
        decrease = np.sum(g * d, axis=1)
        for _ in range(40):  # backtracking, per data set
            cand = theta - step[:, None] * d
            fc = nll(cand)
            bad = fc > f - 1e-4 * step * decrease
            if not bad.any():
                break
            step = np.where(bad, step / 2, step)
        moved = np.abs(step[:, None] * d).max(axis=1)
        theta, f = cand, np.minimum(fc, f)
        active &= moved > 1e-11
        if not active.any():
            break
    return theta[:, 0], theta[:, 1]


def _counts(x, ok):
    """Distinct x values, successes and trials at each."""
    xv, inv = np.unique(x, return_inverse=True)
    n = np.bincount(inv, minlength=xv.size)
    k = np.bincount(inv, weights=ok.astype(float), minlength=xv.size)
    return xv, k, n


def _fit_counts(xv, k, n):
    """Centers, widths and status of logistic fits of B count vectors k (B, L) out of n (B, L).

    status: 0 fitted, 1 separated (center = gap midpoint, width 0), 2 no transition (all
    successes, all failures, or success decreasing with x).
    """
    k = np.atleast_2d(np.asarray(k, dtype=float))
    n = np.broadcast_to(np.asarray(n, dtype=float), k.shape)
    B = k.shape[0]
    center, width = np.full(B, np.nan), np.full(B, np.nan)
    status = np.zeros(B, dtype=int)
    has_fail, has_ok = k < n, k > 0
    big = np.inf
    last_fail = np.where(has_fail, xv, -big).max(1)
    first_ok = np.where(has_ok, xv, big).min(1)
    last_ok = np.where(has_ok, xv, -big).max(1)
    first_fail = np.where(has_fail, xv, big).min(1)
    degenerate = ~has_fail.any(1) | ~has_ok.any(1) | (last_ok <= first_fail)
    separated = ~degenerate & (last_fail <= first_ok)
    status[degenerate] = 2
    status[separated] = 1
    center[separated] = 0.5 * (last_fail[separated] + first_ok[separated])
    width[separated] = 0.0
    todo = status == 0
    if todo.any():
        w_all = n[todo][0] if n.ndim == 2 else n
        mu = float(np.sum(xv * w_all) / np.sum(w_all))
        sd = float(np.sqrt(np.sum(w_all * (xv - mu) ** 2) / np.sum(w_all)))
        a, b = _binomial_logistic((xv - mu) / sd, k[todo], n[todo])
        ok = b > 0
        idx = np.flatnonzero(todo)
        center[idx[ok]] = mu - a[ok] * sd / b[ok]
        width[idx[ok]] = sd / b[ok]
        status[idx[~ok]] = 2
    return center, width, status


def fit_transition(x, success):
    """Fit a logistic curve to Bernoulli outcomes and locate the 50% point.

    Maximum likelihood for ``P(success | x) = 1 / (1 + exp(-(x - center) / width))``, a
    standard summary of a phase transition from a finite number of trials (more robust than
    interpolating noisy empirical frequencies).

    If the data are **separated** (every success at a larger ``x`` than every failure, ties
    allowed at one value), the likelihood has no maximizer: it increases as the width tends
    to 0 with the center anywhere in the gap. This case is detected and answered explicitly:
    ``separated=True``, ``width=0``, ``center`` the midpoint of the gap, ``gap`` the gap.

    Parameters
    ----------
    x : array_like
        The control variable of every trial (e.g. the number of measurements ``m``).
    success : array_like of bool
        Outcome of every trial: booleans, or numbers equal to 0 or 1 (strings are rejected).

    Returns
    -------
    TransitionFit

    Raises
    ------
    ValueError
        If the lengths differ, ``x`` is not finite, there are fewer than two distinct ``x``,
        the outcomes are all successes or all failures (no transition in range), or success
        decreases with ``x`` (the fitted curve would be decreasing).
    TypeError
        If ``success`` holds anything but booleans or 0/1.

    Examples
    --------
    >>> x = np.repeat(np.arange(10.0), 20)
    >>> ok = np.random.default_rng(0).random(x.size) < 1 / (1 + np.exp(-(x - 4.5)))
    >>> round(fit_transition(x, ok).center)
    5
    >>> fit = fit_transition([1, 2, 3, 4], [False, False, True, True])
    >>> fit.separated, fit.center, fit.width
    (True, 2.5, 0.0)
    """
    ok = _check_outcomes(success)
    x = np.asarray(x)
    if x.dtype.kind not in "iuf" or x.dtype == bool:
        raise TypeError(f"x must be an array of real numbers, got dtype {x.dtype}.")
    x = x.astype(float).ravel()
    if x.shape != ok.shape:
        raise ValueError(f"x and success must have the same length, got {x.size} and "
                         f"{ok.size}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values.")
    if np.unique(x).size < 2:
        raise ValueError("x must take at least two distinct values to locate a transition.")
    if ok.all() or not ok.any():
        state = "succeeded" if ok.all() else "failed"
        raise ValueError(f"all {ok.size} trials {state}: the transition lies outside the "
                         "range of x; widen the range.")
    xv, k, n = _counts(x, ok)
    center, width, status = _fit_counts(xv, k[None], n[None])
    if status[0] == 2:
        raise ValueError("success decreases with x; fit_transition fits an increasing "
                         "success curve.")
    if status[0] == 1:
        gap = (float(x[~ok].max()), float(x[ok].min()))
        return TransitionFit(center=float(center[0]), width=0.0, n_trials=int(ok.size),
                             separated=True, gap=gap)
    return TransitionFit(center=float(center[0]), width=float(width[0]),
                         n_trials=int(ok.size))


def transition_bootstrap(x, success, *, reference=None, n_resamples=1000, confidence=0.95,
                         rng=None):
    """Percentile bootstrap interval for a 50% point, or for a paired shift of 50% points.

    Trials are resampled with replacement **within each value of x** (the design fixes how
    many trials each ``x`` gets). With ``reference`` (the outcomes of a second method on the
    *same* trials, e.g. basis pursuit on the same instances), the statistic is the shift
    ``center(success) - center(reference)`` and the same resampled trials enter both fits
    (a paired bootstrap). The logistic fit depends on the data only through the number of
    successes at each ``x``, so a resample is drawn as multinomial counts of the outcome
    patterns at each ``x`` and all resamples are fitted at once.

    Parameters
    ----------
    x : array_like
        Control variable of every trial.
    success : array_like of bool
        Outcomes of the method.
    reference : array_like of bool, optional
        Outcomes of the reference method on the same trials (same order).
    n_resamples : int
        Number of bootstrap resamples.
    confidence : float
        Confidence level of the percentile interval.
    rng : None, int or numpy.random.Generator
        Randomness of the resampling.

    Returns
    -------
    dict
        ``estimate`` (the statistic on the data), ``low``, ``high`` (the interval),
        ``n_separated`` (resamples with a separated fit: their center is the gap's midpoint)
        and ``n_failed`` (resamples with all successes or all failures, or a decreasing fit;
        they are left out, and the interval is computed from the others).

    Raises
    ------
    ValueError
        If the statistic cannot be computed on the data, or more than 5% of the resamples
        fail.

    Examples
    --------
    >>> x = np.repeat(np.arange(10.0), 20)
    >>> ok = np.random.default_rng(0).random(x.size) < 1 / (1 + np.exp(-(x - 4.5)))
    >>> ci = transition_bootstrap(x, ok, n_resamples=200, rng=1)
    >>> bool(ci["low"] < 4.5 < ci["high"])
    True
    """
    ok = _check_outcomes(success)
    x = np.asarray(x, dtype=float).ravel()
    if x.shape != ok.shape:
        raise ValueError(f"x and success must have the same length, got {x.size} and "
                         f"{ok.size}.")
    ref = np.zeros_like(ok) if reference is None else _check_outcomes(reference, "reference")
    if ref.shape != ok.shape:
        raise ValueError("reference must have the same length as success.")
    n_resamples = check_int(n_resamples, "n_resamples", 10)
    confidence = check_positive(confidence, "confidence")
    if not confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}.")
    rng = check_random_state(rng)

    estimate = fit_transition(x, ok).center
    if reference is not None:
        estimate -= fit_transition(x, ref).center
    xv, inv = np.unique(x, return_inverse=True)
    pattern = 2 * ok.astype(int) + ref.astype(int)           # 0..3
    table = np.zeros((xv.size, 4))
    np.add.at(table, (inv, pattern), 1.0)
    n = table.sum(1)
    draws = np.stack([rng.multinomial(int(n[j]), table[j] / n[j], size=n_resamples)
                      for j in range(xv.size)], axis=1)      # (B, L, 4)
    k_ok = draws[:, :, 2] + draws[:, :, 3]
    c_ok, _, s_ok = _fit_counts(xv, k_ok, n)
    values, status = c_ok, s_ok
    if reference is not None:
        k_ref = draws[:, :, 1] + draws[:, :, 3]
        c_ref, _, s_ref = _fit_counts(xv, k_ref, n)
        values = c_ok - c_ref
        status = np.maximum(s_ok, s_ref)
    good = status < 2
    n_failed = int(np.sum(~good))
    if n_failed > 0.05 * n_resamples:
        raise ValueError(f"{n_failed} of {n_resamples} bootstrap resamples could not be "
                         "fitted (all successes or failures); use more trials or a wider "
                         "range of x.")
    lo, hi = np.quantile(values[good], [(1 - confidence) / 2, (1 + confidence) / 2])
    return {"estimate": float(estimate), "low": float(lo), "high": float(hi),
            "n_separated": int(np.sum(status == 1)), "n_failed": n_failed}


# ----------------------------------------------------------------------------------------------
# statistical dimension of the l1 descent cone
# ----------------------------------------------------------------------------------------------
def _tail_second_moment(tau):
    """E[(|g| - tau)_+^2] = 2[(1 + tau^2) Phi_bar(tau) - tau phi(tau)] for g ~ N(0, 1)."""
    phi = math.exp(-0.5 * tau * tau) / math.sqrt(2.0 * math.pi)
    Phibar = 0.5 * scipy.special.erfc(tau / math.sqrt(2.0))
    return 2.0 * ((1.0 + tau * tau) * Phibar - tau * phi)


def _check_sparsity(s, N):
    N = check_int(N, "N", 1)
    if isinstance(s, bool) or not isinstance(s, numbers.Real):
        raise TypeError(f"s must be a real number in [0, N], got {type(s).__name__}.")
    s = float(s)
    if not (0.0 <= s <= N):
        raise ValueError(f"s must lie in [0, N={N}], got {s!r}.")
    return s, N


def statistical_dimension(s, N):
    r"""The upper bound :math:`N\psi(s/N)` on the statistical dimension of the ℓ¹ descent cone.

    Amelunxen, Lotz, McCoy & Tropp (2014) bound the statistical dimension
    :math:`\delta(\mathcal D(\|\cdot\|_1, x))` of the descent cone of the :math:`\ell^1` norm
    at an :math:`s`-sparse vector :math:`x\in\mathbb R^N` from above by

    .. math::

        N\psi(s/N) = \inf_{\tau \ge 0}\ \Big\{ s(1 + \tau^2)
            + (N - s)\,\mathbb E\big[(|g| - \tau)_+^2\big] \Big\},
        \qquad g \sim \mathcal N(0, 1),

    (the exact value exchanges the expectation and the infimum, see
    :func:`statistical_dimension_mc`), and show that the bound is tight up to an additive
    error of order :math:`\sqrt N`. Here
    :math:`\mathbb E[(|g|-\tau)_+^2] = 2[(1+\tau^2)\bar\Phi(\tau) - \tau\varphi(\tau)]`.
    Basis pursuit with an :math:`m\times N` Gaussian matrix recovers a fixed :math:`s`-sparse
    vector with probability close to 1 when :math:`m` exceeds the statistical dimension by a
    few :math:`\sqrt N` and close to 0 below it. The infimum is attained at the unique root of
    :math:`s\tau = 2(N - s)\,[\varphi(\tau) - \tau\bar\Phi(\tau)]`.

    Parameters
    ----------
    s : float
        Sparsity, ``0 <= s <= N`` (real values are allowed, for smooth curves).
    N : int
        Ambient dimension, ``N >= 1``.

    Returns
    -------
    float
        :math:`N\psi(s/N) \in [s, N]`.

    Raises
    ------
    ValueError
        If ``s`` is outside ``[0, N]``.

    See Also
    --------
    statistical_dimension_mc : Monte Carlo estimate of the exact statistical dimension.

    Examples
    --------
    >>> round(statistical_dimension(10, 100), 3)
    32.879
    >>> statistical_dimension(0, 100), statistical_dimension(100, 100)
    (0.0, 100.0)
    """
    s, N = _check_sparsity(s, N)
    if s == 0.0:
        return 0.0
    if s == N:
        return float(N)

    def stationarity(tau):
        phi = math.exp(-0.5 * tau * tau) / math.sqrt(2.0 * math.pi)
        Phibar = 0.5 * scipy.special.erfc(tau / math.sqrt(2.0))
        return s * tau - 2.0 * (N - s) * (phi - tau * Phibar)

    hi = 1.0
    while stationarity(hi) < 0:
        hi *= 2.0
    tau = scipy.optimize.brentq(stationarity, 0.0, hi, xtol=1e-14, rtol=1e-14)
    return float(s * (1.0 + tau * tau) + (N - s) * _tail_second_moment(tau))


def statistical_dimension_mc(s, N, n_samples=20_000, rng=None):
    r"""Monte Carlo estimate of the exact statistical dimension of the ℓ¹ descent cone.

    The statistical dimension of the descent cone at an :math:`s`-sparse :math:`x` is the
    expected squared distance of a standard Gaussian vector to the polar cone, the cone
    generated by the subdifferential :math:`\partial\|x\|_1` (Amelunxen et al. 2014):

    .. math::

        \delta = \mathbb E\,\min_{\tau\ge0}\Big\{\sum_{i\in S}(g_i - \tau)^2
            + \sum_{i\notin S}(|g_i| - \tau)_+^2\Big\}

    (by symmetry the signs of :math:`x` do not matter). Each sample's minimum over
    :math:`\tau` is computed exactly: the derivative is increasing and piecewise linear in
    :math:`\tau`. Exchanging expectation and minimum gives :func:`statistical_dimension`,
    an upper bound.

    Parameters
    ----------
    s : int
        Sparsity, ``1 <= s <= N``.
    N : int
        Ambient dimension.
    n_samples : int
        Number of Gaussian samples.
    rng : None, int or numpy.random.Generator
        Source of the samples.

    Returns
    -------
    estimate : float
        The sample mean.
    stderr : float
        Its standard error.

    Examples
    --------
    >>> est, se = statistical_dimension_mc(5, 100, 20_000, rng=0)
    >>> est < statistical_dimension(5, 100)
    True
    """
    s_float, N = _check_sparsity(s, N)
    s = check_int(s, "s", 1)
    n_samples = check_int(n_samples, "n_samples", 2)
    rng = check_random_state(rng)
    total = np.empty(n_samples)
    chunk = max(1, 2_000_000 // N)
    for start in range(0, n_samples, chunk):
        k = min(chunk, n_samples - start)
        g = rng.standard_normal((k, N))
        on, off = g[:, :s], np.sort(np.abs(g[:, s:]), axis=1)[:, ::-1]  # off: decreasing
        c = on.sum(axis=1)
        # F'(tau)/2 = s tau - c - sum_j (a_j - tau)_+ ; on (a_{j+1}, a_j] it is
        # (s + j) tau - c - P_j with P_j the sum of the j largest a. The root is the
        # candidate tau_j = (c + P_j)/(s + j) that lies in its own piece (and tau >= 0).
        P = np.concatenate([np.zeros((k, 1)), np.cumsum(off, axis=1)], axis=1)
        j = np.arange(N - s + 1)
        cand = (c[:, None] + P) / (s + j)
        upper = np.concatenate([np.full((k, 1), np.inf), off], axis=1)       # a_j (a_0 = inf)
        lower = np.concatenate([off, np.zeros((k, 1))], axis=1)              # a_{j+1}
        valid = (cand <= upper) & (cand >= lower)
        tau = np.where(valid.any(axis=1), cand[np.arange(k), valid.argmax(axis=1)], 0.0)
        tau = np.maximum(tau, 0.0)
        val = (np.sum((on - tau[:, None]) ** 2, axis=1)
               + np.sum(np.maximum(off - tau[:, None], 0.0) ** 2, axis=1))
        total[start:start + k] = val
    return float(total.mean()), float(total.std(ddof=1) / math.sqrt(n_samples))
