"""Tests of implicit_bias.recovery: the sparse-recovery experiment of Chapter 8.

Trials against an independent LP, the logistic fit against a brute-force likelihood and on
separated data, the bootstrap, and the statistical-dimension bound against quadrature and a
Monte Carlo estimate of the exact value.
"""

import doctest
import math

import implicit_bias.recovery as recovery_module
import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.optimize
from implicit_bias.examples import gaussian_instance
from implicit_bias.l1 import basis_pursuit
from implicit_bias.recovery import (
    RECOVERY_CONFIGS,
    fit_transition,
    gd_versus_flow,
    phase_trial,
    recovery_trial,
    statistical_dimension,
    statistical_dimension_mc,
    transition_bootstrap,
)
from implicit_bias.sweeps import run_sweep
from scipy.stats import norm


def test_doctests():
    res = doctest.testmod(recovery_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted >= 8


# ----------------------------------------------------------------------------------------------
# fit_transition
# ----------------------------------------------------------------------------------------------
def _brute_force_logistic(x, ok):
    """Independent check: maximize the likelihood on a fine grid of (center, width)."""
    best = (-np.inf, None, None)
    for c in np.linspace(x.min(), x.max(), 401):
        for w in np.geomspace(0.05, 20, 161):
            z = (x - c) / w
            ll = -np.sum(np.where(ok, np.logaddexp(0, -z), np.logaddexp(0, z)))
            if ll > best[0]:
                best = (ll, c, w)
    return best[1], best[2]


def test_fit_transition_matches_brute_force_likelihood():
    rng = np.random.default_rng(1)
    x = np.repeat(np.arange(10.0, 40.0, 3.0), 15)
    ok = rng.random(x.size) < 1 / (1 + np.exp(-(x - 24.3) / 2.5))
    fit = fit_transition(x, ok)
    c, w = _brute_force_logistic(x, ok)
    step = (x.max() - x.min()) / 400
    assert not fit.separated
    assert abs(fit.center - c) <= 2 * step
    assert math.isclose(fit.width, w, rel_tol=0.05)
    assert abs(fit.center - 24.3) < 2.0
    assert fit.probability(fit.center) == pytest.approx(0.5)


def test_fit_transition_is_equivariant_under_affine_changes_of_x():
    rng = np.random.default_rng(3)
    x = np.repeat(np.arange(8.0), 12)
    ok = rng.random(x.size) < 1 / (1 + np.exp(-(x - 3.3)))
    a = fit_transition(x, ok)
    b = fit_transition(1e6 + 1e3 * x, ok)
    assert b.center == pytest.approx(1e6 + 1e3 * a.center, rel=1e-9)
    assert b.width == pytest.approx(1e3 * a.width, rel=1e-6)


@pytest.mark.parametrize("fails, succs, gap", [
    ([1, 2, 2], [3, 4, 4], (2.0, 3.0)),   # complete separation
    ([1, 2, 3], [3, 4], (3.0, 3.0)),      # quasi-complete: a tie at x = 3
])
def test_fit_transition_separated_data_is_answered_explicitly(fails, succs, gap):
    x = np.array(fails + succs, dtype=float)
    ok = np.array([False] * len(fails) + [True] * len(succs))
    fit = fit_transition(x, ok)
    assert fit.separated and fit.width == 0.0 and fit.gap == gap
    assert fit.center == pytest.approx(sum(gap) / 2)
    # the likelihood increases without bound towards a step at any point of the gap: a finite
    # logistic fit with the center in the gap does better as its width shrinks
    def nll(c, w):
        z = (x - c) / w
        return np.sum(np.where(ok, np.logaddexp(0, -z), np.logaddexp(0, z)))
    assert nll(fit.center, 0.01) < nll(fit.center, 0.1) < nll(fit.center, 1.0)
    p = fit.probability([gap[0] - 1, fit.center, gap[1] + 1])
    assert list(p) == [0.0, 0.5, 1.0]


def test_fit_transition_accepts_zero_one_numbers_and_pandas():
    x = np.repeat([1.0, 2.0, 3.0, 4.0], 4)
    ok = np.array([0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1])
    a = fit_transition(x, ok)
    b = fit_transition(pd.Series(x), pd.Series(ok.astype(bool)))
    c = fit_transition(x, ok.astype(float))
    d = fit_transition(x, np.array(list(ok.astype(bool)), dtype=object))
    assert a == b == c == d


@pytest.mark.parametrize("x, ok, exc, words", [
    ([1, 2, 3], [True, False], ValueError, "same length"),
    ([1, 1, 1], [True, False, True], ValueError, "two distinct"),
    ([1, 2, 3], [True, True, True], ValueError, "all 3 trials succeeded"),
    ([1, 2, 3], [False, False, False], ValueError, "all 3 trials failed"),
    ([1, np.nan, 3], [True, False, True], ValueError, "NaN"),
    ([1, 2, 3, 4], ["no", "no", "yes", "no"], TypeError, "booleans"),
    ([1, 2, 3, 4], np.array([False, "no", True, True], dtype=object), TypeError, "'no'"),
    ([1, 2, 3, 4], [0, 0.5, 1, 1], ValueError, "0 and 1"),
    ([1, 2, 3, 4], [0, 2, 1, 1], ValueError, "0 and 1"),
    ([1, 2, 3, 4], [True, True, False, False], ValueError, "decreases"),
    ([1, 2, 3, 4, 5], [True, False, True, False, False], ValueError, "decreas"),
    (["a", "b", "c"], [True, False, True], TypeError, "real numbers"),
])
def test_fit_transition_bad_input(x, ok, exc, words):
    with pytest.raises(exc, match=words):
        fit_transition(x, ok)


# ----------------------------------------------------------------------------------------------
# transition_bootstrap
# ----------------------------------------------------------------------------------------------
def test_bootstrap_interval_covers_the_true_center_at_the_nominal_rate():
    """Coverage over 40 simulated experiments: a 90% interval must not miss too often."""
    x = np.repeat(np.arange(10.0, 31.0, 2.0), 12)
    misses = 0
    for rep in range(40):
        rng = np.random.default_rng(100 + rep)
        ok = rng.random(x.size) < 1 / (1 + np.exp(-(x - 20.0) / 2.0))
        ci = transition_bootstrap(x, ok, n_resamples=200, confidence=0.9, rng=rep)
        assert ci["low"] <= ci["estimate"] <= ci["high"]
        misses += not (ci["low"] <= 20.0 <= ci["high"])
    # expected 4 misses; P(Binomial(40, 0.1) >= 12) < 1e-3 (percentile intervals undercover a
    # little in small samples, so the band is generous)
    assert misses < 12


def test_paired_bootstrap_of_a_shift():
    x = np.repeat(np.arange(10.0, 31.0, 2.0), 20)
    rng = np.random.default_rng(7)
    u = rng.random(x.size)  # common random numbers: the same instance for both methods
    ref = u < 1 / (1 + np.exp(-(x - 18.0) / 2.0))
    ok = u < 1 / (1 + np.exp(-(x - 22.0) / 2.0))
    ci = transition_bootstrap(x, ok, reference=ref, n_resamples=300, rng=1)
    single = fit_transition(x, ok).center - fit_transition(x, ref).center
    assert ci["estimate"] == pytest.approx(single)
    assert ci["low"] < 4.0 < ci["high"] and ci["high"] - ci["low"] < 3.0


def test_bootstrap_is_seeded_and_reports_failures():
    x = np.repeat([1.0, 2.0, 3.0], 3)
    ok = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    a = transition_bootstrap(x, ok, n_resamples=50, rng=3)
    assert a == transition_bootstrap(x, ok, n_resamples=50, rng=3)
    assert a["n_separated"] > 0  # many resamples of so few trials are separated
    with pytest.raises(ValueError, match="resamples"):
        # the stratum x = 2 resamples to all failures with probability 1/4
        transition_bootstrap([1.0, 1.0, 2.0, 2.0], [False, False, False, True],
                             n_resamples=50, rng=0)


# ----------------------------------------------------------------------------------------------
# the sparse-recovery trials
# ----------------------------------------------------------------------------------------------
def _independent_bp(A, y):
    """Basis pursuit as the LP min 1'(p + q) s.t. A(p - q) = y, p, q >= 0 (scipy, dense)."""
    n = A.shape[1]
    res = scipy.optimize.linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=y,
                                 bounds=(0, None), method="highs-ds")
    assert res.status == 0
    return res.x[:n] - res.x[n:]


@pytest.mark.parametrize("m, expect", [(8, False), (30, True)])
def test_recovery_trial_bp_matches_an_independent_lp(m, expect):
    out = recovery_trial(m, 40, 3, "bp", rng=4)
    inst = gaussian_instance(m, 40, 3, 4)
    x = _independent_bp(inst.A, inst.y)
    err = np.linalg.norm(x - inst.x_star) / np.linalg.norm(inst.x_star)
    assert out["success"] is expect
    assert out["rel_error"] == pytest.approx(err, rel=1e-6, abs=1e-9)


def test_recovery_trial_flow_and_gd_agree_with_bp_when_alpha_is_small():
    bp = recovery_trial(24, 40, 2, "bp", rng=1)
    flow = recovery_trial(24, 40, 2, "flow", depth=3, alpha=1e-8, rng=1)
    assert bp["success"] and flow["success"] and flow["rel_error"] < 1e-5
    gd = recovery_trial(24, 40, 2, "gd", depth=2, alpha=1e-3, rng=1, step=0.05,
                        max_iter=5000)
    flow2 = recovery_trial(24, 40, 2, "flow", depth=2, alpha=1e-3, rng=1)
    assert gd["rel_error"] == pytest.approx(flow2["rel_error"], rel=0.2)
    assert 0 < gd["n_iter"] <= 5000 and isinstance(gd["converged"], bool)


def test_gd_versus_flow_is_the_two_trials_on_one_instance():
    out = gd_versus_flow(24, 40, 2, depth=2, alpha=1e-3, rng=1, step=0.05, max_iter=5000)
    gd = recovery_trial(24, 40, 2, "gd", 2, 1e-3, 1, step=0.05, max_iter=5000)
    flow = recovery_trial(24, 40, 2, "flow", 2, 1e-3, 1)
    assert out == {"gd_error": gd["rel_error"], "gd_success": gd["success"],
                   "n_iter": gd["n_iter"], "converged": gd["converged"],
                   "flow_error": flow["rel_error"], "flow_success": flow["success"]}


def test_gd_versus_flow_runs_in_a_sweep_with_its_options_as_grid_values():
    grid = {"m": [24], "N": [40], "s": [2], "depth": [2], "alpha": [1e-3], "step": [0.05],
            "max_iter": [2000]}
    table = run_sweep(gd_versus_flow, grid, 2, n_jobs=1, progress=False)
    assert len(table) == 2 and (table.n_iter <= 2000).all()


def test_recovery_trial_bad_input_and_phase_trial_sparsity():
    with pytest.raises(ValueError, match="method"):
        recovery_trial(10, 20, 2, "lasso")
    with pytest.raises(ValueError, match="s must be >= 1"):
        recovery_trial(10, 20, 0, "bp")
    with pytest.raises(ValueError, match="s must be <= N"):
        recovery_trial(10, 20, 21, "bp")
    with pytest.raises(ValueError, match="tol"):
        recovery_trial(10, 20, 2, "bp", tol=-1.0)
    out = phase_trial(20, 0.26, 40, "bp", rng=0)
    assert out["s"] == 5 and out["ratio"] == 0.25
    assert phase_trial(4, 0.1, 40, "bp", rng=0)["s"] == 1


def test_recovery_configs_full_is_a_refinement_of_default():
    d, f = RECOVERY_CONFIGS["default"], RECOVERY_CONFIGS["full"]
    assert set(d) == set(f) == {"curves", "phase", "gd"}
    for part in d:
        assert f[part]["n_trials"] >= 100 >= d[part]["n_trials"]
        assert len(f[part]["m"]) >= len(d[part]["m"])
        assert set(d[part]) == set(f[part])
    for config in (d, f):
        phase = config["phase"]
        # every cell of the phase diagram sits at its actual ratio s/m
        for m in phase["m"]:
            for rho in phase["rho"]:
                assert abs(rho * m - round(rho * m)) < 1e-9, (m, rho)


# ----------------------------------------------------------------------------------------------
# statistical dimension
# ----------------------------------------------------------------------------------------------
def _delta_by_quadrature(s, N):
    def f(tau):
        tail = scipy.integrate.quad(lambda g: 2 * (g - tau) ** 2 * norm.pdf(g), tau, np.inf)[0]
        return s * (1 + tau**2) + (N - s) * tail

    return scipy.optimize.minimize_scalar(f, bounds=(0, 10), method="bounded",
                                          options={"xatol": 1e-10}).fun


@pytest.mark.parametrize("s, N", [(1, 50), (10, 100), (50, 100), (25.5, 200)])
def test_statistical_dimension_vs_quadrature(s, N):
    assert statistical_dimension(s, N) == pytest.approx(_delta_by_quadrature(s, N), rel=1e-8)


def _mc_by_grid(s, N, n, rng):
    """Exact statistical dimension by Monte Carlo, minimizing over a grid of tau."""
    g = rng.standard_normal((n, N))
    taus = np.linspace(0, 4, 401)  # grid error in dist^2 < 1e-3, far below the MC error
    gc = np.abs(g[:, s:])
    d2 = np.full(n, np.inf)
    for tau in taus:
        val = np.sum((g[:, :s] - tau) ** 2, 1) + np.sum(np.maximum(gc - tau, 0) ** 2, 1)
        d2 = np.minimum(d2, val)
    return d2


@pytest.mark.parametrize("s, N", [(5, 100), (10, 100), (30, 60)])
def test_statistical_dimension_is_an_upper_bound_tight_up_to_sqrt_n(s, N):
    # delta(C) = E dist(g, cone(subdifferential))^2 (Amelunxen et al. 2014); the inf-over-tau
    # formula is an upper bound (E min <= min E) that exceeds it by at most 2 sqrt(N/s)
    est, se = statistical_dimension_mc(s, N, 20_000, rng=0)
    bound = statistical_dimension(s, N)
    assert est <= bound + 4 * se
    assert bound - 2 * math.sqrt(N / s) - 4 * se <= est
    # the exact per-sample minimization agrees with a grid minimization on the same samples
    d2 = _mc_by_grid(s, N, 2000, np.random.default_rng(5))
    est2, _ = statistical_dimension_mc(s, N, 2000, rng=np.random.default_rng(5))
    assert est2 == pytest.approx(d2.mean(), abs=2e-3)


def test_statistical_dimension_mc_is_seeded():
    assert statistical_dimension_mc(5, 50, 500, rng=1) == statistical_dimension_mc(5, 50, 500,
                                                                                  rng=1)
    with pytest.raises(ValueError):
        statistical_dimension_mc(0, 50)


def test_statistical_dimension_properties():
    vals = [statistical_dimension(s, 100) for s in range(0, 101, 5)]
    assert np.all(np.diff(vals) > 0)
    assert vals[0] == 0.0 and vals[-1] == 100.0
    assert all(s <= v for s, v in zip(range(0, 101, 5), vals, strict=True))
    # known asymptotics: the bound ~ 2 s log(N/s) as s/N -> 0 (slowly: log log corrections),
    # and the upper bound 2 s log(N/s) + 5 s / 4 (Chandrasekaran et al. 2012)
    s = 10
    ratios = []
    for N in (10**3, 10**6, 10**9, 10**15):
        d = statistical_dimension(s, N)
        assert d <= 2 * s * math.log(N / s) + 1.25 * s
        ratios.append(d / (2 * s * math.log(N / s)))
    assert np.all(np.diff(ratios) > 0) and 0.85 < ratios[-1] < 1


def test_statistical_dimension_locates_the_phase_transition():
    """Basis pursuit succeeds rarely below delta and usually above it (50% crossing)."""
    N, s = 60, 6
    delta = statistical_dimension(s, N)
    rates = []
    for m in (round(delta) - 8, round(delta) + 8):
        ok = 0
        for trial in range(30):
            inst = gaussian_instance(m, N, s, rng=1000 * m + trial)
            x = basis_pursuit(inst.A, inst.y, check_unique=False).x
            ok += np.abs(x - inst.x_star).max() < 1e-6
        rates.append(ok / 30)
    assert rates[0] < 0.5 < rates[1]


def test_statistical_dimension_bad_input():
    with pytest.raises(ValueError):
        statistical_dimension(11, 10)
    with pytest.raises(ValueError):
        statistical_dimension(-1, 10)
    with pytest.raises(TypeError):
        statistical_dimension("3", 10)
    with pytest.raises(ValueError):
        statistical_dimension(1, 0)
