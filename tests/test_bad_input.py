"""A battery of bad and extreme inputs over every public function of the library.

Every call must end in exactly one of three ways:

* a correct result (finite where it must be, checked against the mathematics: the same
  problem rescaled gives the same or the predictably scaled answer);
* a ``ValueError``/``TypeError`` whose message names the offending argument;
* a library error from :mod:`implicit_bias.exceptions` (a computation that cannot be done).

Never a silent NaN/inf, an accepted invalid input, a raw numpy/mpmath/Python error, or a hang
(each call runs under a 60 s alarm). ``test_battery_summary`` prints the outcome counts.
"""

from __future__ import annotations

import collections
import math
import signal
import warnings

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import pytest
from implicit_bias import deep_linear as dl
from implicit_bias import diagonal, examples, l1, noisy, plotting, recovery, sweeps, theory
from implicit_bias.exceptions import ImplicitBiasError

# the issue's instance: A, y = gaussian_instance(4, 8, 1, rng=1)
_INST = examples.gaussian_instance(4, 8, 1, rng=1)
A, Y = _INST.A, _INST.y
X_L1 = l1.basis_pursuit(A, Y).x
S = [int(np.flatnonzero(X_L1)[0])]
XR, YR = dl.regression_data(12, 3, rng=0)
W0 = dl.gaussian_init(3, 2, 0.5, rng=0)
OUTCOMES: collections.Counter = collections.Counter()
TIMEOUT = 60


_X_TR = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
_OK_TR = [False, False, True, False, True, True]


def _trial(a, rng):
    return {"v": float(a)}


# ----------------------------------------------------------------------------------------------
# every public function: a good call (keyword arguments) and the kind of each argument
# ----------------------------------------------------------------------------------------------
OPT_POS, OPT_INT1 = "opt_pos", "opt_int1"  # optional arguments: None is valid
M, V_ROWS, V_COLS, DEPTH, DEPTH3, DEPTH1, POS, ALPHA, INT1, INT0, BOOL, DIGITS, SUPPORT = (
    "matrix", "rows", "cols", "depth", "depth3", "depth1", "pos", "alpha", "int1", "int0",
    "bool", "digits", "support")

FUNCTIONS = {
    # diagonal
    "diagonal.end_to_end_scale": (diagonal.end_to_end_scale, dict(per_layer=0.1, depth=3),
                                  dict(per_layer=POS, depth=DEPTH)),
    "diagonal.per_layer_scale": (diagonal.per_layer_scale, dict(alpha=1e-3, depth=3),
                                 dict(alpha=ALPHA, depth=DEPTH)),
    "diagonal.h": (diagonal.h, dict(z=[0.1, -0.5], depth=3), dict(z="z", depth=DEPTH3)),
    "diagonal.link": (diagonal.link, dict(z=[0.1, -0.5], depth=3, alpha=0.1),
                      dict(z="z", depth=DEPTH, alpha=ALPHA)),
    "diagonal.link_derivative": (diagonal.link_derivative, dict(z=[0.1], depth=2, alpha=0.1),
                                 dict(z="z", depth=DEPTH, alpha=ALPHA)),
    "diagonal.inverse_link": (diagonal.inverse_link, dict(x=[0.3, -2.0], depth=3, alpha=0.01),
                              dict(x="free", depth=DEPTH, alpha=ALPHA)),
    "diagonal.potential": (diagonal.potential, dict(x=[1.0, 0.0], depth=2, alpha=1e-6),
                           dict(x="free", depth=DEPTH, alpha=ALPHA)),
    "diagonal.potential_gradient": (diagonal.potential_gradient, dict(x=[1.0], depth=2),
                                    dict(x="free", depth=DEPTH)),
    "diagonal.flow_time_scale": (diagonal.flow_time_scale, dict(depth=3, alpha=1e-3),
                                 dict(depth=DEPTH, alpha=ALPHA)),
    "diagonal.flow_limit": (diagonal.flow_limit, dict(A=A, y=Y, depth=3, alpha=1e-3),
                            dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA, digits=DIGITS,
                                 rtol=OPT_POS, max_iter=INT1)),
    "diagonal.gradient_flow": (diagonal.gradient_flow, dict(A=A, y=Y, depth=2, alpha=1e-2),
                               dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA, t_max="opt_nonneg",
                                    rtol=POS, max_nfev=INT1)),
    "diagonal.gradient_descent": (diagonal.gradient_descent,
                                  dict(A=A, y=Y, depth=2, alpha=1e-2, max_iter=20_000,
                                       tol=1e-6),
                                  dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA, step=OPT_POS,
                                       max_iter=INT1, tol=POS, record_every=INT1)),
    "diagonal.default_step": (diagonal.default_step, dict(A=A, y=Y, depth=2, alpha=1e-3),
                              dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA)),
    # l1
    "l1.basis_pursuit": (l1.basis_pursuit, dict(A=A, y=Y),
                         dict(A=M, y=V_ROWS, support_tol=OPT_POS, polish=BOOL, check_unique=BOOL)),
    "l1.varrho": (l1.varrho, dict(A=A, x=X_L1), dict(A=M, x=V_COLS, support_tol=OPT_POS)),
    "l1.varrho_certificate": (l1.varrho_certificate, dict(A=A, x=X_L1),
                              dict(A=M, x=V_COLS, support_tol=OPT_POS)),
    "l1.is_unique": (l1.is_unique, dict(A=A, x=X_L1), dict(A=M, x=V_COLS, support_tol=OPT_POS)),
    "l1.nsp_constant": (l1.nsp_constant, dict(A=A, support=S),
                        dict(A=M, support=SUPPORT, n_starts=INT1, rng="rng")),
    "l1.nsp_constant_order": (l1.nsp_constant_order, dict(A=A[:, :5], s=1),
                              dict(A=M, s=INT1)),
    "l1.solution_on_support": (l1.solution_on_support, dict(A=A, y=Y, support=S),
                               dict(A=M, y=V_ROWS, support=SUPPORT, digits=DIGITS)),
    # theory
    "theory.rate_exponent": (theory.rate_exponent, dict(A=A, y=Y, depth=2),
                             dict(A=M, y=V_ROWS, depth=DEPTH)),
    "theory.error_constant": (theory.error_constant, dict(A=A, y=Y, depth=3),
                              dict(A=M, y=V_ROWS, depth=DEPTH3)),
    "theory.error_constant_certificate": (theory.error_constant_certificate,
                                          dict(A=A, y=Y, depth=3),
                                          dict(A=M, y=V_ROWS, depth=DEPTH3)),
    "theory.l1_gap_bound": (theory.l1_gap_bound, dict(A=A, y=Y, depth=3, alpha=1e-6),
                            dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA)),
    "theory.selected_minimizer": (theory.selected_minimizer, dict(A=A, y=Y, depth=2),
                                  dict(A=M, y=V_ROWS, depth=DEPTH)),
    "theory.l1_distance": (theory.l1_distance, dict(x=[1.0, 2.0], x_ref=[0.5, 2.5]),
                           dict(x="free", x_ref="free")),
    "theory.fit_loglog_slope": (theory.fit_loglog_slope,
                                dict(alphas=[1e-8, 1e-6, 1e-4], errors=[1e-4, 1e-3, 1e-2]),
                                dict(alphas="positive_vector", errors="positive_vector")),
    # examples
    "examples.gaussian_instance": (examples.gaussian_instance, dict(m=4, N=8, s=2, rng=0),
                                   dict(m=INT1, N=INT1, s=INT0, rng="rng")),
    "examples.one_by_two": (examples.one_by_two, dict(c=0.5), dict(c="unit")),
    "examples.one_by_two.limit": (examples.one_by_two(0.5).limit, dict(depth=2, alpha=1e-3),
                                  dict(depth=DEPTH, alpha=ALPHA)),
    "examples.one_by_two.error": (examples.one_by_two(0.5).error, dict(depth=3, alpha=1e-3),
                                  dict(depth=DEPTH, alpha=ALPHA)),
    "examples.one_by_two.error_asymptotic": (examples.one_by_two(0.5).error_asymptotic,
                                             dict(depth=3, alpha=1e-3),
                                             dict(depth=DEPTH, alpha=ALPHA)),
    "examples.nonunique_example.point": (examples.nonunique_example().point, dict(t=0.0),
                                         dict(t="finite")),
    # deep_linear
    "dl.regression_constants": (dl.regression_constants, dict(X=XR, y=YR),
                                dict(X=M, y=V_ROWS)),
    "dl.regression_data": (dl.regression_data, dict(n=12, d=3, rng=0),
                           dict(n=INT1, d=INT1, noise="nonneg", rng="rng")),
    "dl.sharpness_lower_bound": (dl.sharpness_lower_bound, dict(X=XR, y=YR, n_layers=2),
                                 dict(X=M, y=V_ROWS, n_layers=DEPTH1)),
    "dl.critical_step": (dl.critical_step, dict(X=XR, y=YR, n_layers=2),
                         dict(X=M, y=V_ROWS, n_layers=DEPTH1)),
    "dl.gaussian_init": (dl.gaussian_init, dict(d=3, n_layers=2, scale=0.5, rng=0),
                         dict(d=INT1, n_layers=DEPTH1, scale=POS, width=OPT_INT1, rng="rng")),
    "dl.residual_init": (dl.residual_init, dict(d=3, n_layers=2, scale=0.5, rng=0),
                         dict(d=INT1, n_layers=DEPTH1, scale="nonneg", rng="rng")),
    "dl.balanced_rank_one": (dl.balanced_rank_one, dict(w=[3.0, 4.0], n_layers=3),
                             dict(w="free", n_layers=DEPTH1, width=OPT_INT1)),
    "dl.balanced_rank_one_sharpness": (dl.balanced_rank_one_sharpness,
                                       dict(X=XR, y=YR, n_layers=2),
                                       dict(X=M, y=V_ROWS, n_layers=DEPTH1)),
    "dl.end_to_end": (dl.end_to_end, dict(weights=W0), dict(weights="weights")),
    "dl.risk": (dl.risk, dict(X=XR, y=YR, weights=W0),
                dict(X=M, y=V_ROWS, weights="weights")),
    "dl.risk_gradient": (dl.risk_gradient, dict(X=XR, y=YR, weights=W0),
                         dict(X=M, y=V_ROWS, weights="weights")),
    "dl.hessian": (dl.hessian, dict(X=XR, y=YR, weights=W0),
                   dict(X=M, y=V_ROWS, weights="weights")),
    "dl.sharpness": (dl.sharpness, dict(X=XR, y=YR, weights=W0),
                     dict(X=M, y=V_ROWS, weights="weights", tol=POS)),
    "dl.singular_value_ratios": (dl.singular_value_ratios, dict(weights=W0),
                                 dict(weights="weights")),
    "dl.alignment": (dl.alignment, dict(weights=W0), dict(weights="weights")),
    "dl.flatten": (dl.flatten, dict(weights=W0), dict(weights="weights")),
    "dl.gradient_descent": (dl.gradient_descent, dict(X=XR, y=YR, weights=W0,
                                                      step=0.05, max_iter=300),
                            dict(X=M, y=V_ROWS, weights="weights", step=POS,
                                 max_iter=INT0, tol=POS, record_every=INT1,
                                 on_divergence="on_divergence")),
    "dl.gradient_flow": (dl.gradient_flow, dict(X=XR, y=YR, weights=W0, t_max=5.0),
                         dict(X=M, y=V_ROWS, weights="weights", t_max=POS, n_eval=INT1,
                              rtol=POS, max_nfev=INT1)),
    "dl.step_sweep": (dl.step_sweep,
                      dict(X=XR, y=YR, n_layers=2, steps=[0.01, 0.1], n_repeats=1, n_iter=50,
                           rng=0),
                      dict(X=M, y=V_ROWS, n_layers=DEPTH1, steps="positive_vector",
                           n_repeats=INT1, n_iter=INT1, scale=POS, rng="rng")),
    # sweeps
    "sweeps.grid_cells": (sweeps.grid_cells, dict(grid={"a": [1, 2]}), dict(grid="grid")),
    "sweeps.trial_seed": (sweeps.trial_seed, dict(params={"a": 1}, trial=0),
                          dict(trial=INT0, seed=INT0)),
    "sweeps.run_sweep": (sweeps.run_sweep, dict(func=_trial, grid={"a": [1, 2]}, n_trials=2,
                                                n_jobs=1, progress=False),
                         dict(grid="grid", n_trials=INT1, seed=INT0, n_jobs="n_jobs")),
    "sweeps.library_hash": (sweeps.library_hash, dict(), dict(directory="path")),
    # plotting
    "plotting.depth_color": (plotting.depth_color, dict(depth=3), dict(depth=DEPTH1)),
    # recovery
    "recovery.recovery_trial": (recovery.recovery_trial,
                                dict(m=8, N=12, s=1, method="gd", alpha=1e-3, rng=0,
                                     max_iter=200),
                                dict(m=INT1, N=INT1, s=INT1, method="method", depth=DEPTH,
                                     alpha=ALPHA, rng="rng", tol=POS, step=OPT_POS,
                                     max_iter=INT1)),
    "recovery.phase_trial": (recovery.phase_trial,
                             dict(m=10, rho=0.2, N=12, method="bp", rng=0),
                             dict(m=INT1, rho=POS, N=INT1, method="method", rng="rng",
                                  tol=POS)),
    "recovery.gd_versus_flow": (recovery.gd_versus_flow,
                                dict(m=8, N=12, s=1, alpha=1e-3, rng=0, max_iter=200),
                                dict(m=INT1, N=INT1, s=INT1, depth=DEPTH, alpha=ALPHA,
                                     rng="rng", step=OPT_POS, max_iter=INT1, tol=POS)),
    "recovery.fit_transition": (recovery.fit_transition, dict(x=_X_TR, success=_OK_TR),
                                dict(x="free", success="outcomes")),
    "recovery.transition_bootstrap": (recovery.transition_bootstrap,
                                      dict(x=_X_TR, success=_OK_TR, n_resamples=20, rng=0),
                                      dict(x="free", success="outcomes", n_resamples=INT1,
                                           confidence="unit", rng="rng")),
    "recovery.statistical_dimension": (recovery.statistical_dimension, dict(s=3, N=20),
                                       dict(s="nonneg", N=INT1)),
    "recovery.statistical_dimension_mc": (recovery.statistical_dimension_mc,
                                          dict(s=3, N=20, n_samples=100, rng=0),
                                          dict(s=INT1, N=INT1, n_samples=INT1, rng="rng")),
    # noisy
    "noisy.noisy_instance": (noisy.noisy_instance, dict(m=8, N=12, s=2, noise=0.1, rng=0),
                             dict(m=INT1, N=INT1, s=INT0, noise="nonneg", m_val=INT0,
                                  rng="rng")),
    "noisy.time_lambda_constant": (noisy.time_lambda_constant, dict(depth=3, alpha=1e-3),
                                   dict(depth=DEPTH, alpha=ALPHA)),
    "noisy.lambda_of_time": (noisy.lambda_of_time, dict(t=[1.0, 2.0], depth=2, alpha=1e-3),
                             dict(t="positive_vector", depth=DEPTH, alpha=ALPHA)),
    "noisy.time_of_lambda": (noisy.time_of_lambda, dict(lam=[0.1, 0.2], depth=2, alpha=1e-3),
                             dict(lam="positive_vector", depth=DEPTH, alpha=ALPHA)),
    "noisy.trajectory": (noisy.trajectory, dict(A=A, y=Y, depth=2, alpha=1e-3,
                                                times=[1.0, 10.0]),
                         dict(A=M, y=V_ROWS, depth=DEPTH, alpha=ALPHA, rtol=POS)),
    "noisy.sklearn_alpha": (noisy.sklearn_alpha, dict(lam=[0.1], m=4),
                            dict(lam="positive_vector", m=INT1)),
    "noisy.book_lambda": (noisy.book_lambda, dict(alpha_sk=[0.1], m=4),
                          dict(alpha_sk="positive_vector", m=INT1)),
    "noisy.lasso_path": (noisy.lasso_path, dict(A=A, y=Y), dict(A=M, y=V_ROWS)),
    "noisy.oracle_stop": (noisy.oracle_stop, dict(estimates=np.ones((3, 8)), x_star=np.ones(8)),
                          dict(x_star="free")),
    "noisy.entry_times": (noisy.entry_times,
                          dict(t=[1.0, 2.0, 3.0], x=np.outer([0.0, 0.5, 1.0], np.ones(4)),
                               threshold=0.1),
                          dict(t="positive_vector", threshold=POS)),
}

# bad values per kind (every one of them is invalid for that kind)
_NAN_M = A.copy()
_NAN_M[0, 0] = np.nan
_BAD_MATRIX = {
    "nan": _NAN_M, "inf": np.where(np.eye(*A.shape) > 0, np.inf, A), "1-D": A[0],
    "3-D": A[None], "empty": np.zeros((0, 3)), "complex": A + 0j, "str": "A",
    "None": None, "object": np.array([["a"] * 3] * 2, dtype=object), "ragged": [[1.0, 2.0],
                                                                               [3.0]],
}
_BAD_VECTOR = {
    "nan": np.array([np.nan, 1.0]), "inf": np.array([np.inf, 1.0]), "complex": np.array([1j, 1.0]),
    "str": "y", "None": None, "object": np.array([None, 1.0], dtype=object), "2-D": np.ones((3, 3)),
    "wrong length": np.ones(97),
}
_BAD_SCALAR_POS = {"zero": 0.0, "negative": -1.0, "nan": math.nan, "inf": math.inf, "str": "1",
                   "None": None, "complex": 1j, "list": [1.0]}
_BAD_INT = {"float": 2.5, "str": "3", "None": None, "complex": 3j, "list": [3], "negative": -1}
_BAD = {
    M: _BAD_MATRIX, V_ROWS: _BAD_VECTOR, V_COLS: _BAD_VECTOR,
    DEPTH: {**_BAD_INT, "one": 1, "zero": 0}, DEPTH3: {**_BAD_INT, "two": 2},
    DEPTH1: {**_BAD_INT, "zero": 0},
    POS: _BAD_SCALAR_POS, ALPHA: _BAD_SCALAR_POS,
    INT1: {**_BAD_INT, "zero": 0}, INT0: _BAD_INT,
    BOOL: {"str": "no", "None": None, "int": 2},
    OPT_POS: {k: v for k, v in _BAD_SCALAR_POS.items() if v is not None},
    OPT_INT1: {k: v for k, v in {**_BAD_INT, "zero": 0}.items() if v is not None},
    "opt_nonneg": {"negative": -1.0, "nan": math.nan, "inf": math.inf, "str": "1",
                   "complex": 1j},
    DIGITS: {"float": 20.5, "str": "20", "too few": 3, "too many": 10**6},
    SUPPORT: {"str": "0", "None": None, "float": [0.5], "out of range": [99], "empty": []},
    "z": {"nan": [np.nan], "complex": [0.1j], "str": "z", "None": None},
    "free": {"nan": [np.nan], "inf": [np.inf], "complex": [1j], "str": "x", "None": None},
    "positive_vector": {"negative": [1e-8, -1.0, 1e-4], "nan": [np.nan, 1.0, 2.0],
                        "str": "a", "None": None},
    "unit": {"negative": -0.1, "one": 1.0, "nan": math.nan, "str": "0.5", "None": None,
             "complex": 0.5j},
    "finite": {"nan": math.nan, "str": "0", "None": None, "complex": 1j},
    "nonneg": {"negative": -1.0, "nan": math.nan, "str": "1", "None": None, "complex": 1j},
    "rng": {"str": "0", "float": 0.5, "list": [0], "negative": -1, "bool": True,
            "legacy": np.random.RandomState(0)},
    "on_divergence": {"bool": False, "other": "warn", "None": None},
    "method": {"unknown": "lasso", "int": 3, "None": None},
    "outcomes": {"str": "yes", "None": None, "fraction": [0.5] * 6, "nan": [np.nan] * 6,
                 "word": ["no"] * 6, "short": [True, False]},
    "weights": {"array": np.ones((2, 2)), "empty": [], "str": "W", "None": None,
                "nan": [np.full((2, 3), np.nan), np.ones((1, 2))],
                "complex": [np.ones((2, 3)) * 1j, np.ones((1, 2))],
                "mismatch": [np.ones((2, 3)), np.ones((1, 4))]},
    "grid": {"empty": {}, "list": [("a", [1])], "scalar": {"a": 3}, "None": None},
    "n_jobs": {"zero": 0, "huge": 10**6, "float": 1.5, "str": "2"},
    "path": {"missing": "/nonexistent/dir", "int": 3},
}


class _Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Hang


def _run(func, kwargs):
    """Call with a time limit; return ("ok", value) or ("raised", exception)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return "ok", func(**kwargs)
    except _Hang:
        return "hang", None
    except Exception as exc:  # noqa: BLE001 - classified by the caller
        return "raised", exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        plt.close("all")


def _values(result):
    """All float numbers in a result (arrays, dataclass fields, tuples, lists, mpf)."""
    out = []
    if isinstance(result, (float, np.floating, int, np.integer)) and not isinstance(result,
                                                                                    bool):
        out.append(float(result))
    elif isinstance(result, mpmath.mpf):
        out.append(float(result) if mpmath.isfinite(result) else math.nan)
    elif isinstance(result, np.ndarray) and result.dtype.kind in "fiu":
        out.extend(result.ravel().astype(float).tolist())
    elif isinstance(result, (list, tuple)):
        for r in result:
            out.extend(_values(r))
    elif hasattr(result, "__dataclass_fields__"):
        for name in result.__dataclass_fields__:
            if name in ("sharpness", "distance", "loss", "critical_step"):
                continue  # legitimately inf/NaN for flagged divergent runs
            out.extend(_values(getattr(result, name)))
    return out


def _cases():
    for fname, (_func, _good, kinds) in FUNCTIONS.items():
        for arg, kind in kinds.items():
            for label, bad in _BAD.get(kind, {}).items():
                yield pytest.param(fname, arg, label, bad, id=f"{fname}-{arg}-{label}")


def _classify_bad(fname, arg, label, bad):
    func, good, _ = FUNCTIONS[fname]
    kwargs = {**good, arg: bad}
    how, out = _run(func, kwargs)
    if how == "hang":
        return "hang", f"{fname}({arg}={label}) did not return within {TIMEOUT} s"
    if how == "ok":
        vals = _values(out)
        if vals and not all(math.isfinite(v) for v in vals):
            return "silent nan", f"{fname}({arg}={label}) returned NaN/inf"
        return "accepted invalid", f"{fname}({arg}={label}) accepted the invalid input"
    exc = out
    text = str(exc)
    if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, ImplicitBiasError):
        if arg in text or arg.replace("_", " ") in text:
            return "clear error", ""
        return "unnamed error", f"{fname}({arg}={label}): {type(exc).__name__}: {text}"
    if isinstance(exc, ImplicitBiasError):
        return "library error", ""
    return "unhelpful", f"{fname}({arg}={label}): raw {type(exc).__name__}: {text}"


@pytest.mark.parametrize("fname, arg, label, bad", list(_cases()))
def test_bad_input_gives_a_clear_error(fname, arg, label, bad):
    outcome, detail = _classify_bad(fname, arg, label, bad)
    OUTCOMES[outcome] += 1
    assert outcome in ("clear error", "library error"), detail


@pytest.mark.parametrize("fname", list(FUNCTIONS))
def test_good_call_is_finite(fname):
    func, good, _ = FUNCTIONS[fname]
    how, out = _run(func, good)
    assert how == "ok", out
    vals = _values(out)
    OUTCOMES["correct"] += 1
    assert all(math.isfinite(v) for v in vals), f"{fname} returned NaN/inf on good input"


# ----------------------------------------------------------------------------------------------
# the same problem rescaled: (A, y) -> (cA, cy) for c from 1e-12 to 1e12
# ----------------------------------------------------------------------------------------------
SCALES = [1e-12, 1e-8, 1e-4, 1.0, 1e4, 1e8, 1e12]


def _close(a, b, rtol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= rtol * max(np.max(np.abs(b)), 1e-300)))


# name -> (f(c) computed on the rescaled problem, the c = 1 value mapped to scale c, rtol)
INVARIANTS = {
    "basis_pursuit x": (lambda c: l1.basis_pursuit(c * A, c * Y).x, lambda r, c: r, 1e-12),
    "basis_pursuit x (y only)": (lambda c: l1.basis_pursuit(A, c * Y, check_unique=False).x,
                                 lambda r, c: c * r, 1e-12),
    "basis_pursuit certificate": (lambda c: l1.basis_pursuit(c * A, c * Y).certificate,
                                  lambda r, c: r / c, 1e-9),
    "basis_pursuit unique": (lambda c: float(l1.basis_pursuit(c * A, c * Y).unique),
                             lambda r, c: r, 0.0),
    "varrho": (lambda c: l1.varrho(c * A, X_L1), lambda r, c: r, 1e-9),
    "varrho (x scaled)": (lambda c: l1.varrho(A, c * X_L1), lambda r, c: r, 1e-9),
    "is_unique": (lambda c: float(l1.is_unique(c * A, c * X_L1)), lambda r, c: r, 0.0),
    "nsp_constant": (lambda c: l1.nsp_constant(c * A, S), lambda r, c: r, 1e-9),
    "solution_on_support": (lambda c: l1.solution_on_support(c * A, c * Y, S),
                            lambda r, c: r, 1e-12),
    "flow_limit x (D=2)": (lambda c: diagonal.flow_limit(c * A, c * Y, 2, 1e-4).x,
                           lambda r, c: r, 1e-9),
    "flow_limit x (D=3)": (lambda c: diagonal.flow_limit(c * A, c * Y, 3, 1e-4).x,
                           lambda r, c: r, 1e-9),
    "flow_limit dual": (lambda c: diagonal.flow_limit(c * A, c * Y, 3, 1e-4).dual,
                        lambda r, c: r / c, 1e-9),
    "rate_exponent": (lambda c: theory.rate_exponent(c * A, c * Y, 2), lambda r, c: r, 1e-9),
    "error_constant": (lambda c: theory.error_constant(c * A, c * Y, 3), lambda r, c: r, 1e-9),
    "l1_gap_bound": (lambda c: theory.l1_gap_bound(c * A, c * Y, 3, 1e-6), lambda r, c: r,
                     1e-9),
    "selected_minimizer": (lambda c: theory.selected_minimizer(c * A, c * Y, 2),
                           lambda r, c: r, 1e-9),
    # GD on (cA, cy) with step / c^2 takes the same iterates (A^T r scales with c^2)
    "default_step": (lambda c: diagonal.default_step(c * A, c * Y, 2, 1e-3),
                     lambda r, c: r / c**2, 1e-9),
    "gradient_descent x": (lambda c: diagonal.gradient_descent(
        c * A, c * Y, 2, 1e-2, step=diagonal.default_step(A, Y, 2, 1e-2) / c**2,
        max_iter=50_000, tol=1e-8).x, lambda r, c: r, 1e-6),
    # gradient flow on (cA, cy) runs c^2 times faster to the same limit (tol is relative; the
    # distance to the limit is tol times a condition number, ~1e-10 here)
    "gradient_flow end point": (lambda c: diagonal.gradient_flow(c * A, c * Y, 2, 1e-2).x[-1],
                                lambda r, c: r, 1e-8),
    # deep linear regression: w* invariant, risk and curvature scale with c^2
    "regression w_star": (lambda c: dl.regression_constants(c * XR, c * YR).w_star,
                          lambda r, c: r, 1e-9),
    "sharpness_lower_bound": (lambda c: dl.sharpness_lower_bound(c * XR, c * YR, 3),
                              lambda r, c: c**2 * r, 1e-9),
    "critical_step": (lambda c: dl.critical_step(c * XR, c * YR, 3),
                               lambda r, c: r / c**2, 1e-9),
    "risk": (lambda c: dl.risk(c * XR, c * YR, W0), lambda r, c: c**2 * r, 1e-9),
    "sharpness": (lambda c: dl.sharpness(c * XR, c * YR, W0), lambda r, c: c**2 * r, 1e-8),
}
_REFERENCE = {}


@pytest.mark.parametrize("c", SCALES)
@pytest.mark.parametrize("name", list(INVARIANTS))
def test_rescaled_problem_gives_the_rescaled_answer(name, c):
    compute, expected, rtol = INVARIANTS[name]
    if name not in _REFERENCE:
        _REFERENCE[name] = compute(1.0)
    how, out = _run(lambda: compute(c), {})
    if how != "ok":
        OUTCOMES["scale: " + how] += 1
        pytest.fail(f"{name} at c = {c:g}: {how} {type(out).__name__}: {out}")
    ok = _close(out, expected(_REFERENCE[name], c), rtol) if rtol else (
        float(out) == float(_REFERENCE[name]))
    OUTCOMES["correct" if ok else "silent wrong"] += 1
    assert ok, (name, c, out, expected(_REFERENCE[name], c))


# ----------------------------------------------------------------------------------------------
# the cases named in issue 13 (A, y = gaussian_instance(4, 8, 1, rng=1))
# ----------------------------------------------------------------------------------------------
def test_issue_cases_are_right():
    x = l1.basis_pursuit(A, 1e-10 * Y, check_unique=False).x
    assert _close(x, 1e-10 * X_L1, 1e-12) and np.any(x)
    gap = theory.l1_gap_bound(1e-12 * A, 1e-12 * Y, 3, 1e-6)
    assert gap > 0 and gap == pytest.approx(theory.l1_gap_bound(A, Y, 3, 1e-6), rel=1e-12)
    assert l1.nsp_constant(1e-12 * A, S) == pytest.approx(l1.nsp_constant(A, S), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gd = diagonal.gradient_descent(A, 1e-10 * Y, 2, 0.1)
    assert not (gd.converged and not np.any(gd.x))
    np.testing.assert_allclose(examples.one_by_two(0.5).limit(2, 1e20), [0.8, 0.4], rtol=1e-12)
    assert 0 < diagonal.potential([1.0], 2, alpha=1e-160) < math.inf


@pytest.mark.parametrize("call, words", [
    (lambda: diagonal.end_to_end_scale(1e300, 3), "float64 range"),
    (lambda: diagonal.gradient_descent(A, Y, 3, 1e300), "float64 range"),
    (lambda: diagonal.flow_limit(A, Y, 3, 1e-3, digits=10**6), "digits"),
    (lambda: diagonal.flow_limit(A, Y, 3, 1e-3, digits=20, rtol=-1), "rtol"),
    (lambda: l1.solution_on_support(A, Y, S, digits=10**6), "digits"),
    (lambda: sweeps.run_sweep(_trial, {"a": [1]}, 10**9, n_jobs=1, progress=False),
     "n_trials"),
    (lambda: sweeps.run_sweep(_trial, {"a": [1]}, 2, n_jobs=10**6, progress=False), "n_jobs"),
    (lambda: l1.varrho(A, np.ones(3)), "columns of A"),
    (lambda: l1.is_unique(A, np.ones(3)), "columns of A"),
    (lambda: theory.l1_distance([1.0, 2.0], [1.0]), "entries of x"),
    (lambda: dl.regression_constants(XR, YR[:3]), "rows of X"),
    (lambda: dl.balanced_rank_one([1.0, 2.0], 3, width=4, directions=[np.ones(3)] * 2),
     "width"),
])
def test_issue_errors_are_clear(call, words):
    with pytest.raises(ValueError, match=words) as info:
        how, out = _run(call, {})
        assert how == "raised", how
        raise out
    assert "A has" not in str(info.value) or "columns" in str(info.value)


def test_scaled_or_ill_conditioned_matrix_messages():
    # consistent systems at any scale are not reported infeasible
    for c in (1e-12, 1e12):
        assert np.all(np.isfinite(diagonal.flow_limit(c * A, c * Y, 2, 1e-3).x))
    # full rank but ill-conditioned: "ill-conditioned", not "rank-deficient"
    B = np.array([[1.0, 0.0, 1.0], [1.0, 1e-9, 1.0]])
    with pytest.raises(ValueError, match="ill-conditioned"):
        diagonal.flow_limit(B, [1.0, 1.0], 2, 1e-3)
    # dependent rows: "rank-deficient"
    with pytest.raises(ValueError, match="rank-deficient"):
        diagonal.flow_limit(np.array([[1.0, 0.0, 1.0], [2.0, 0.0, 2.0]]), [1.0, 2.0], 2, 1e-3)


def test_deep_linear_flow_has_a_budget():
    with pytest.raises(ImplicitBiasError, match="max_nfev"):
        dl.gradient_flow(XR, YR, W0, t_max=1e5, max_nfev=2_000)


# ----------------------------------------------------------------------------------------------
# structured arguments: pairs, lists of arrays, shapes, keys (wrong tuples, wrong containers)
# ----------------------------------------------------------------------------------------------
STRUCTURED = {
    "gd factors=(1, 2)": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1, factors=(1, 2)),
                          "factors"),
    "gd factors=1": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1, factors=1), "factors"),
    "gd factors strings": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1, factors=("a", "b")),
                           "factors"),
    "gd init=(1,)": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1, init=(1,)), "init"),
    "gd init complex": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1,
                                                          init=(np.ones(8) * 1j, np.ones(8))),
                        "init"),
    "gd init (None, None)": (lambda: diagonal.gradient_descent(A, Y, 2, 0.1, init=(None, None)),
                             "init"),
    "gf t_eval str": (lambda: diagonal.gradient_flow(A, Y, 2, 0.1, t_eval="abc"), "t_eval"),
    "gf t_eval complex": (lambda: diagonal.gradient_flow(A, Y, 2, 0.1, t_eval=[1j, 2]),
                          "t_eval"),
    "gf t_eval decreasing": (lambda: diagonal.gradient_flow(A, Y, 2, 0.1, t_eval=[2.0, 1.0]),
                             "t_eval"),
    "gf method": (lambda: diagonal.gradient_flow(A, Y, 2, 0.1, method=3), "method"),
    "gf atol": (lambda: diagonal.gradient_flow(A, Y, 2, 0.1, atol=-1.0), "atol"),
    "bp method int": (lambda: l1.basis_pursuit(A, Y, method=3), "method"),
    "bp method unknown": (lambda: l1.basis_pursuit(A, Y, method="simplex"), "method"),
    "nsp method list": (lambda: l1.nsp_constant(A, S, method=["exact"]), "method"),
    "nsp support 2-D": (lambda: l1.nsp_constant(A, ((1, 2), (3, 4))), "support"),
    "nsp support mask length": (lambda: l1.nsp_constant(A, [True, False]), "mask"),
    "unflatten shapes str": (lambda: dl.unflatten(np.ones(6), [(2, "a")]), "shapes"),
    "unflatten shapes None": (lambda: dl.unflatten(np.ones(6), None), "shapes"),
    "unflatten vector str": (lambda: dl.unflatten("abc", [(2, 2)]), "vector"),
    "unflatten negative": (lambda: dl.unflatten(np.ones(6), [(-2, -3)]), "shapes"),
    "unflatten size": (lambda: dl.unflatten(np.ones(5), [(2, 3)]), "vector"),
    "hvp directions short": (lambda: dl.hessian_vector_product(XR, YR, W0, [np.ones(3)]),
                             "directions"),
    "hvp directions None": (lambda: dl.hessian_vector_product(XR, YR, W0, None), "directions"),
    "risk head str": (lambda: dl.risk(XR, YR, W0, head="h"), "head"),
    "sharpness method": (lambda: dl.sharpness(XR, YR, W0, method=1), "method"),
    "sweep init": (lambda: dl.step_sweep(XR, YR, 2, [0.1], init=3), "init"),
    "balanced directions int": (lambda: dl.balanced_rank_one([1.0, 2.0], 3, directions=5),
                                "directions"),
    "balanced directions str": (lambda: dl.balanced_rank_one([1.0, 2.0], 3, directions="ab"),
                                "directions"),
    "run_sweep on_error": (lambda: sweeps.run_sweep(_trial, {"a": [1]}, 1, n_jobs=1, on_error=3,
                                                    progress=False), "on_error"),
    "run_sweep seed_keys int": (lambda: sweeps.run_sweep(_trial, {"a": [1]}, 1, n_jobs=1,
                                                         seed_keys=3, progress=False),
                                "seed_keys"),
    "run_sweep cache int": (lambda: sweeps.run_sweep(_trial, {"a": [1]}, 1, n_jobs=1, cache=3,
                                                     progress=False), "cache"),
    "run_sweep func": (lambda: sweeps.run_sweep("f", {"a": [1]}, 1, n_jobs=1, progress=False),
                       "func"),
    "trial_seed params list": (lambda: sweeps.trial_seed([1, 2], 0), "params"),
    "trial_seed seed_keys missing": (lambda: sweeps.trial_seed({"a": 1}, 0, seed_keys=["b"]),
                                     "seed_keys"),
    "fit slope complex": (lambda: theory.fit_loglog_slope([1e-3, 1e-4], [1j, 2]), "errors"),
    "fit slope lengths": (lambda: theory.fit_loglog_slope([1e-3, 1e-4], [1.0]), "alphas"),
    "l1_distance object str": (lambda: theory.l1_distance(np.array(["a"], dtype=object),
                                                          np.array([1.0], dtype=object)),
                               "x and x_ref"),
    "l1_distance mp lengths": (lambda: theory.l1_distance(np.array([1.0, 2.0], dtype=object),
                                                          [1.0]), "x_ref"),
    "gaussian signs": (lambda: examples.gaussian_instance(4, 8, 1, signs=3), "signs"),
    "gaussian magnitudes": (lambda: examples.gaussian_instance(4, 8, 1, magnitudes="x"),
                            "magnitudes"),
    "gaussian s > N": (lambda: examples.gaussian_instance(4, 8, 9), "s"),
    "h outside (-1, 1)": (lambda: diagonal.h([1.5], 3), "z"),
    "link outside (-1, 1)": (lambda: diagonal.link([-1.0], 4), "z"),
    "nonunique point outside": (lambda: examples.nonunique_example().point(10.0), "t"),
}


@pytest.mark.parametrize("name", list(STRUCTURED))
def test_structured_arguments_give_a_clear_error(name):
    call, argname = STRUCTURED[name]
    how, out = _run(call, {})
    assert how == "raised", f"{name}: {how} {out!r}"
    assert isinstance(out, (ValueError, TypeError)), f"{name}: {type(out).__name__}: {out}"
    assert argname in str(out), f"{name}: the message does not name {argname!r}: {out}"
    OUTCOMES["clear error"] += 1


def test_battery_summary(capsys):
    """Runs last in this file: print the outcome counts of the battery (pytest -s shows them)."""
    with capsys.disabled():
        print("\nbattery outcomes:", dict(sorted(OUTCOMES.items())))
    bad = {k: v for k, v in OUTCOMES.items()
           if k not in ("correct", "clear error", "library error")}
    assert not bad, bad
