"""Tests of implicit_bias.diagonal against independent methods.

Independent references used here (none of them calls the code under test):

* a direct stiff integration of the 2N-dimensional (u, v) gradient-flow ODE written in this
  file (scipy's LSODA with its own right-hand side and Jacobian);
* scipy.optimize.linprog for basis pursuit, the pseudo-inverse for the minimum-l2
  interpolator, scipy.optimize.minimize (SLSQP) for the constrained potential minimization;
* mpmath linear solves on the support of the l1 solution (extended-precision reference);
* finite differences and quadrature for derivatives and antiderivatives.
"""

import warnings

import mpmath
import numpy as np
import pytest
from conftest import gaussian_instance
from conftest import textbook_basis_pursuit as basis_pursuit
from implicit_bias.diagonal import (
    default_step,
    end_to_end_scale,
    flow_limit,
    flow_time_scale,
    gradient_descent,
    gradient_flow,
    h,
    inverse_link,
    link,
    link_derivative,
    per_layer_scale,
    potential,
    potential_gradient,
)
from implicit_bias.examples import gaussian_instance as library_instance
from implicit_bias.exceptions import ConvergenceWarning, DivergenceError, NotConvergedError
from scipy.integrate import quad, solve_ivp
from scipy.optimize import minimize

DEPTHS = (2, 3, 4)


# ----------------------------------------------------------------------------------------------
# independent references
# ----------------------------------------------------------------------------------------------
def uv_flow(A, y, depth, alpha, *, t_eval=None, t_max=None, res_tol=1e-12, rtol=1e-12):
    """Gradient flow on (u, v) integrated directly (LSODA, own RHS and Jacobian).

    Without ``t_max`` it stops when ||Ax - y|| <= res_tol * ||y||. Measured on the random
    instances below: the end point is then within ~1e-11 (relative) of the limit, against
    ~1e-9 with res_tol = 1e-10 (the tail of the flow converges slowly).
    """
    n = A.shape[1]
    G, b = A.T @ A, A.T @ y

    def rhs(_t, s):
        u, v = s[:n], s[n:]
        r = G @ (u**depth - v**depth) - b
        return np.concatenate([-depth * u ** (depth - 1) * r, depth * v ** (depth - 1) * r])

    def jac(_t, s):
        u, v = s[:n], s[n:]
        r = G @ (u**depth - v**depth) - b
        du, dv = depth * u ** (depth - 1), depth * v ** (depth - 1)
        J = np.block([[-np.outer(du, du) * G, np.outer(du, dv) * G],
                      [np.outer(dv, du) * G, -np.outer(dv, dv) * G]])
        J[:n, :n] -= np.diag(depth * (depth - 1) * u ** (depth - 2) * r)
        J[n:, n:] += np.diag(depth * (depth - 1) * v ** (depth - 2) * r)
        return J

    event = None
    if t_max is None:
        def event(_t, s):
            return np.linalg.norm(A @ (s[:n] ** depth - s[n:] ** depth) - y) - res_tol * (
                np.linalg.norm(y))
        event.terminal = True
        t_max = 1e12
    s0 = np.full(2 * n, alpha ** (1.0 / depth))
    sol = solve_ivp(rhs, (0.0, t_max), s0, method="LSODA", jac=jac, rtol=rtol,
                    atol=1e-15 * s0[0], events=event, t_eval=t_eval)
    assert sol.status >= 0, sol.message
    return sol.t, (sol.y[:n] ** depth - sol.y[n:] ** depth).T


def random_system(rng, m_range=(2, 4), extra=(1, 4)):
    m = int(rng.integers(*m_range))
    n = m + int(rng.integers(*extra))
    return rng.standard_normal((m, n)), rng.standard_normal(m)


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


# ----------------------------------------------------------------------------------------------
# the exact limit against the direct (u, v) integration
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_limit_matches_direct_uv_integration(depth):
    rng = np.random.default_rng(100 + depth)
    for _ in range(3):
        A, y = random_system(rng)
        alpha = 10 ** rng.uniform(-3, 0)
        fl = flow_limit(A, y, depth, alpha)
        assert fl.converged
        _, X = uv_flow(A, y, depth, alpha)
        assert rel(fl.x, X[-1]) < 1e-8, (alpha, rel(fl.x, X[-1]))


@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_limit_matches_uv_integration_sparse_instance(depth):
    # sparse ground truth, s < m: slow tail (small off-support weights)
    A, y, _ = gaussian_instance(4, 8, 2, seed=depth)
    for alpha in (1e-3, 0.3):
        fl = flow_limit(A, y, depth, alpha)
        _, X = uv_flow(A, y, depth, alpha)
        assert rel(fl.x, X[-1]) < 1e-8
        lib = gradient_flow(A, y, depth, alpha, method="parameters")
        assert lib.converged and rel(fl.x, lib.x[-1]) < 1e-8


@pytest.mark.parametrize("depth", DEPTHS)
def test_gradient_flow_path_matches_uv_integration(depth):
    A, y, _ = gaussian_instance(4, 8, 2, seed=10 + depth)
    alpha = 1e-2
    auto = gradient_flow(A, y, depth, alpha)
    assert auto.converged and auto.t_stationary is None
    T = auto.t[-1]
    t_eval = np.concatenate([[0.0], np.geomspace(1e-3 * T, T, 25)])
    path = gradient_flow(A, y, depth, alpha, t_eval=t_eval)
    _, X = uv_flow(A, y, depth, alpha, t_eval=t_eval, t_max=T)
    scale = np.abs(X).max()
    np.testing.assert_array_equal(path.t, t_eval)
    assert path.x.shape == (len(t_eval), A.shape[1])
    assert np.abs(path.x - X).max() < 1e-8 * scale
    # the path really moves (plateaus and jumps), it is not just the end point
    assert np.abs(X[len(X) // 2] - X[-1]).max() > 1e-3 * scale
    np.testing.assert_allclose(path.loss, 0.5 * np.sum((X @ A.T - y) ** 2, axis=1),
                               rtol=1e-6, atol=1e-12 * path.loss[0])
    # the automatic horizon ends at the limit
    assert rel(auto.x[-1], flow_limit(A, y, depth, alpha).x) < 1e-8


def test_gradient_flow_time_scale_of_mirror_form():
    # x(t) = alpha g_D(c_D A^T zeta(t)) with zeta' = y - Ax: at small t, zeta ~ t y, so
    # x(t) ~ alpha g_D'(0) c_D t A^T y: compare with the (u, v) ODE at a short time
    A, y, _ = gaussian_instance(3, 6, 1, seed=3)
    for depth in DEPTHS:
        alpha, t = 0.5, 1e-8
        xt = gradient_flow(A, y, depth, alpha, t_eval=[0.0, t]).x[-1]
        gp0 = 2.0 if depth == 2 else 2 * depth / (depth - 2)
        lin = alpha * gp0 * flow_time_scale(depth, alpha) * t * (A.T @ y)
        np.testing.assert_allclose(xt, lin, rtol=1e-5)
        _, X = uv_flow(A, y, depth, alpha, t_eval=[0.0, t], t_max=t)
        np.testing.assert_allclose(xt, X[-1], rtol=1e-6)  # u^D - v^D cancels here


def test_gradient_flow_explicit_horizon_and_trivial_cases():
    A, y, _ = gaussian_instance(3, 6, 1, seed=4)
    short = gradient_flow(A, y, 2, 1e-3, t_max=1.0)
    assert short.t[0] == 0.0 and short.t[-1] == pytest.approx(1.0)
    assert not short.converged  # the horizon is too short, and that is reported
    assert np.all(np.diff(short.loss) <= 1e-12)  # the loss decreases along the flow
    zero = gradient_flow(A, np.zeros(3), 3, 1e-3, t_eval=[0.0, 5.0, 10.0])
    assert zero.converged and np.all(zero.x == 0) and zero.x.shape == (3, 6)
    start = gradient_flow(A, y, 3, 1e-3, t_max=0)
    assert start.x.shape == (1, 6) and np.all(start.x == 0)


def test_gradient_flow_stops_at_rounding_floor_for_tiny_alpha():
    # D = 4, alpha = 1e-12: near |z| = 1 rounding of zeta dominates the residual; the
    # integration must stop there (stationary state) instead of chasing noise.
    A, y, _ = gaussian_instance(4, 8, 2, seed=1)
    fl = flow_limit(A, y, 4, 1e-12)
    res = gradient_flow(A, y, 4, 1e-12)
    assert res.converged
    assert rel(res.x[-1], fl.x) < 1e-6
    later = gradient_flow(A, y, 4, 1e-12, t_eval=[0.0, 1e3, 10 * res.t[-1]])
    assert later.t_stationary is not None and later.converged
    np.testing.assert_allclose(later.x[-1], res.x[-1], rtol=0, atol=1e-6)


def test_gradient_flow_recovers_from_stalls_in_the_slow_tail():
    # D = 3, alpha = 1e-9, s < m: Radau stalls in the power-law tail at rtol = 1e-10 (it used
    # to hang); the integration continues with a looser rtol and reaches the limit
    A, y, _ = gaussian_instance(4, 8, 2, seed=1)
    res = gradient_flow(A, y, 3, 1e-9)
    assert res.converged and "loosened" in res.message
    assert res.t[-1] > 1e10
    assert rel(res.x[-1], flow_limit(A, y, 3, 1e-9).x) < 1e-8


def test_gradient_flow_budget_raises_instead_of_hanging():
    A, y, _ = gaussian_instance(4, 8, 2, seed=1)
    with pytest.raises(NotConvergedError, match="max_nfev"):
        gradient_flow(A, y, 3, 1e-3, max_nfev=50)


# ----------------------------------------------------------------------------------------------
# gradient descent
# ----------------------------------------------------------------------------------------------
def test_gradient_descent_error_is_first_order_in_step():
    A, y, _ = gaussian_instance(3, 6, 1, seed=5)
    depth, alpha = 2, 0.3
    limit = flow_limit(A, y, depth, alpha).x
    eta0 = default_step(A, y, depth, alpha)
    errs = []
    for k in (1, 2, 4):
        res = gradient_descent(A, y, depth, alpha, step=eta0 / k, tol=1e-13, max_iter=400_000)
        assert res.converged
        errs.append(np.linalg.norm(res.x - limit))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert errs[-1] < errs[0]
    np.testing.assert_allclose(ratios, 2.0, rtol=0.1)  # error ~ C * step
    slope = np.polyfit(np.log([1, 0.5, 0.25]), np.log(errs), 1)[0]
    assert 0.9 < slope < 1.1


@pytest.mark.parametrize("depth", DEPTHS)
def test_default_step_is_safe(depth):
    # unnormalized A (entries N(0, 1)), large and small y, small and large alpha
    rng = np.random.default_rng(7)
    for scale_y in (0.01, 1.0, 30.0):
        A = rng.standard_normal((5, 12))
        y = scale_y * rng.standard_normal(5)
        for alpha in (0.1, 1.0, 10.0):
            res = gradient_descent(A, y, depth, alpha, tol=1e-8, max_iter=200_000)
            assert res.converged, (scale_y, alpha)
            assert np.all(np.diff(res.loss) <= 1e-12 * res.loss[0]), "loss must decrease"


def test_factor_form_equals_shared_form_with_step_over_depth():
    A, y, _ = gaussian_instance(3, 6, 1, seed=6)
    for depth in DEPTHS:
        alpha, eta = 0.2, 0.01
        s0 = per_layer_scale(alpha, depth)
        U = np.full((depth, 6), s0)
        fac = gradient_descent(A, y, depth, alpha, step=eta, tol=1e-9, factors=(U, U.copy()))
        shared = gradient_descent(A, y, depth, alpha, step=eta / depth, tol=1e-9)
        assert fac.converged and shared.converged
        assert fac.n_iter == shared.n_iter
        np.testing.assert_allclose(fac.x, shared.x, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(fac.loss, shared.loss, rtol=1e-8, atol=1e-12 * fac.loss[0])
        assert fac.u.shape == (depth, 6) and np.allclose(fac.u, fac.u[0])


def test_gradient_descent_continues_from_init():
    A, y, _ = gaussian_instance(3, 6, 1, seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = gradient_descent(A, y, 3, 0.1, step=0.01, max_iter=300)
    rest = gradient_descent(A, y, 3, 0.1, step=0.01, tol=1e-9, init=(first.u, first.v))
    full = gradient_descent(A, y, 3, 0.1, step=0.01, tol=1e-9)
    assert first.n_iter + rest.n_iter == full.n_iter
    np.testing.assert_allclose(rest.x, full.x, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="init must be a pair"):
        gradient_descent(A, y, 3, 0.1, init=(np.ones(5), np.ones(5)))
    with pytest.raises(ValueError, match="not both"):
        gradient_descent(A, y, 3, 0.1, init=(first.u, first.v),
                         factors=(np.ones((3, 6)), np.ones((3, 6))))


def test_factor_form_random_unbalanced_initializations_interpolate():
    A, y, _ = gaussian_instance(3, 6, 1, seed=8)
    rng = np.random.default_rng(8)
    for depth in DEPTHS:
        U = 0.3 * (1 + rng.random((depth, 6)))
        V = 0.3 * (1 + rng.random((depth, 6)))
        V[0] *= 2.0  # unbalanced layers
        res = gradient_descent(A, y, depth, 1.0, factors=(U, V), tol=1e-8, max_iter=300_000)
        assert res.converged
        assert np.linalg.norm(A @ res.x - y) <= 1e-8 * max(1, np.linalg.norm(y))
        x_fac = np.prod(res.u, axis=0) - np.prod(res.v, axis=0)
        np.testing.assert_allclose(res.x, x_fac)


def test_gradient_descent_small_alpha_tracks_flow_limit():
    # small alpha: plateaus (incremental learning); GD with the default step ends O(step)
    # away from the flow limit, which is itself near basis pursuit
    A, y, x_star = gaussian_instance(5, 10, 1, seed=2)
    x_bp = basis_pursuit(A, y)
    np.testing.assert_allclose(x_bp, x_star, atol=1e-9)
    res = gradient_descent(A, y, 2, 1e-3, tol=1e-8)
    limit = flow_limit(A, y, 2, 1e-3).x
    assert res.converged
    assert np.abs(res.x - limit).max() < 5e-3
    assert np.abs(res.x - x_bp).max() < 0.1


def test_gradient_descent_non_convergence_is_flagged():
    A, y, _ = gaussian_instance(3, 6, 1, seed=10)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = gradient_descent(A, y, 2, 1e-3, max_iter=10)
    assert not res.converged and res.n_iter == 10 and len(res.loss) == 11


def test_gradient_descent_divergence_raises():
    A, y, _ = gaussian_instance(3, 6, 1, seed=10)
    with pytest.raises(DivergenceError, match="smaller step"):
        gradient_descent(A, y, 2, 1.0, step=50.0)
    with pytest.raises(DivergenceError, match="smaller step"):
        gradient_descent(A, 1e3 * y, 3, 1.0, step=1.0)


# ----------------------------------------------------------------------------------------------
# extended precision
# ----------------------------------------------------------------------------------------------
def _mp_l1_reference(A, y, support, dps=60):
    """x_l1 in mpmath: solve A_S x_S = y exactly on the (square) support of basis pursuit."""
    with mpmath.workdps(dps):
        AS = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in A[:, support]])
        ym = mpmath.matrix([mpmath.mpf(float(v)) for v in y])
        xs = mpmath.lu_solve(AS, ym)
        x = [mpmath.mpf(0)] * A.shape[1]
        for k, i in enumerate(support):
            x[i] = xs[k]
    return x


def test_extended_precision_agrees_with_float64():
    rng = np.random.default_rng(11)
    A, y = rng.standard_normal((3, 7)), rng.standard_normal(3)
    for depth in DEPTHS:
        f64 = flow_limit(A, y, depth, 1e-3)
        mp = flow_limit(A, y, depth, 1e-3, digits=30)
        assert mp.converged and mp.digits == 30 and len(mp.x_mp) == 7
        assert isinstance(mp.x_mp[0], mpmath.mpf)
        assert rel(f64.x, mp.x) < 1e-12
        assert mp.primal_residual < 1e-30


@pytest.mark.parametrize("depth", [3, 4])
def test_extended_precision_error_is_linear_in_alpha(depth):
    # generic y: basis pursuit has a square support (m nonzeros), so x_l1 = A_S^{-1} y
    rng = np.random.default_rng(12)
    A, y = rng.standard_normal((3, 7)), rng.standard_normal(3)
    x_bp = basis_pursuit(A, y)
    support = np.flatnonzero(np.abs(x_bp) > 1e-9)
    assert len(support) == 3
    ref = _mp_l1_reference(A, y, support)
    errs = []
    alphas = (1e-20, 1e-24)
    for alpha in alphas:
        res = flow_limit(A, y, depth, alpha, digits=40)
        assert res.converged
        with mpmath.workdps(60):
            diff = [a - b for a, b in zip(res.x_mp, ref, strict=True)]
            errs.append(float(mpmath.sqrt(mpmath.fsum(d * d for d in diff))))
    # far below float64 rounding, and proportional to alpha
    assert errs[0] < 1e-15
    assert errs[1] < 1e-19
    np.testing.assert_allclose(errs[0] / errs[1], alphas[0] / alphas[1], rtol=1e-2)


def test_float64_floor_is_honest():
    # where float64 stops at its rounding floor (D = 4, alpha = 1e-12), the reported
    # residual is within a small factor of the true error measured against mpmath
    A, y, _ = gaussian_instance(6, 15, 2, seed=13)
    f64 = flow_limit(A, y, 4, 1e-12)
    mp = flow_limit(A, y, 4, 1e-12, digits=25)
    assert f64.converged and "rounding floor" in f64.message
    assert "reached rtol" in mp.message
    assert "reached rtol" in flow_limit(A, y, 4, 1e-3).message
    err = rel(f64.x, mp.x)
    assert err < 100 * max(f64.primal_residual, 1e-15)
    assert f64.primal_residual < 1e-6


# ----------------------------------------------------------------------------------------------
# the two regimes
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", DEPTHS)
def test_large_alpha_approaches_minimum_l2_interpolator(depth):
    A, y, _ = gaussian_instance(4, 10, 2, seed=14)
    x_l2 = np.linalg.pinv(A) @ y
    e1 = rel(flow_limit(A, y, depth, 1e2).x, x_l2)
    e2 = rel(flow_limit(A, y, depth, 1e3).x, x_l2)
    assert e2 < 1e-6
    assert 50 < e1 / e2 < 200  # the deviation decays like alpha^-2
    huge = flow_limit(A, y, depth, 1e12)
    assert huge.converged and rel(huge.x, x_l2) < 1e-12


@pytest.mark.parametrize("depth", DEPTHS)
def test_small_alpha_approaches_basis_pursuit(depth):
    A, y, x_star = gaussian_instance(10, 30, 2, seed=16)
    x_bp = basis_pursuit(A, y)
    np.testing.assert_allclose(x_bp, x_star, atol=1e-7)
    errs = [np.abs(flow_limit(A, y, depth, a).x - x_bp).max() for a in (1e-3, 1e-6, 1e-9)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < (1e-4 if depth == 2 else 1e-7)


def test_flow_limit_of_zero_observations():
    A, _, _ = gaussian_instance(3, 6, 1, seed=16)
    for digits in (None, 20):
        res = flow_limit(A, np.zeros(3), 3, 1e-3, digits=digits)
        assert res.converged and np.all(res.x == 0) and np.all(res.dual == 0)
    assert all(v == 0 for v in flow_limit(A, np.zeros(3), 2, 1e-3, digits=20).x_mp)


# ----------------------------------------------------------------------------------------------
# the potential and the link
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_limit_satisfies_kkt_and_minimizes_potential(depth):
    rng = np.random.default_rng(17)
    A, y = rng.standard_normal((2, 4)), rng.standard_normal(2)
    alpha = 0.05
    fl = flow_limit(A, y, depth, alpha)
    # KKT: grad Q(x) lies in range(A^T), equal to A^T dual
    grad = potential_gradient(fl.x, depth, alpha)
    np.testing.assert_allclose(grad, A.T @ fl.dual, rtol=1e-9, atol=1e-12)
    proj = grad - np.linalg.pinv(A) @ (A @ grad)
    assert np.linalg.norm(proj) < 1e-9 * np.linalg.norm(grad)
    # an independent constrained minimizer (SLSQP) of the same potential
    opt = minimize(lambda x: potential(x, depth, alpha) / alpha, np.linalg.pinv(A) @ y,
                   jac=lambda x: potential_gradient(x, depth, alpha) / alpha, method="SLSQP",
                   constraints={"type": "eq", "fun": lambda x: A @ x - y, "jac": lambda x: A},
                   options={"ftol": 1e-14, "maxiter": 500})
    assert opt.success
    np.testing.assert_allclose(opt.x, fl.x, atol=1e-5 * np.abs(fl.x).max())
    # and the limit has the smaller potential among interpolators
    assert potential(fl.x, depth, alpha) <= potential(opt.x, depth, alpha) + 1e-12


@pytest.mark.parametrize("depth", DEPTHS)
def test_link_and_inverse_link_round_trip(depth):
    alpha = 1e-3
    x = np.array([0.0, 1e-15, -1e-9, 1e-5, -0.3, 1.0, 7.0, -1e2, 1e3])
    z = inverse_link(x, depth, alpha)
    np.testing.assert_allclose(link(z, depth, alpha), x, rtol=1e-12, atol=0)
    zz = np.linspace(-0.95, 0.95, 11) * (3 if depth == 2 else 1)
    np.testing.assert_allclose(inverse_link(link(zz, depth, alpha), depth, alpha), zz,
                               rtol=1e-12, atol=1e-15)
    if depth >= 3:
        assert np.all(np.abs(z) < 1)


@pytest.mark.parametrize("depth", DEPTHS)
def test_potential_gradient_matches_finite_differences_and_quadrature(depth):
    alpha = 0.1
    x = np.array([0.05, -0.4, 1.3, -3.0, 0.0])
    grad = potential_gradient(x, depth, alpha)
    for i in range(len(x)):
        e = np.zeros_like(x)
        hstep = 1e-6 * max(1.0, abs(x[i]))
        e[i] = hstep
        fd = (potential(x + e, depth, alpha) - potential(x - e, depth, alpha)) / (2 * hstep)
        assert fd == pytest.approx(grad[i], rel=1e-6, abs=1e-8)
    # Q(x) = sum_i int_0^{x_i} grad Q(t) dt (Q(0) = 0)
    total = sum(quad(lambda t: float(potential_gradient([t], depth, alpha)[0]), 0.0, xi,
                     epsabs=1e-13, epsrel=1e-12)[0] for xi in x)
    assert potential(x, depth, alpha) == pytest.approx(total, rel=1e-9)
    assert potential(np.zeros(3), depth, alpha) == 0.0
    # convexity: Q(x) >= 0 and the l1 asymptotics for D = 2 (Woodworth et al. 2020)
    if depth == 2:
        a = 1e-8
        q = potential([1.0, -2.0], 2, a)
        l1 = 3.0 * np.log(1 / a) + (1 * np.log(1) - 1) + (2 * np.log(2) - 2)
        assert q == pytest.approx(l1, rel=1e-6)


def test_h_and_link_derivative():
    z = np.linspace(-0.9, 0.9, 13)
    for depth in (3, 4, 5):
        p = depth / (depth - 2)
        np.testing.assert_allclose(h(z, depth), (1 - z) ** (-p) - (1 + z) ** (-p),
                                   rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(h(-z, depth), -h(z, depth))
        fd = (h(z + 1e-6, depth) - h(z - 1e-6, depth)) / 2e-6
        np.testing.assert_allclose(link_derivative(z, depth), fd, rtol=1e-7)
        assert float(link_derivative(0.0, depth)) == pytest.approx(2 * depth / (depth - 2))
        # small |z|: no cancellation (h(z) ~ h'(0) z)
        assert float(h(1e-12, depth)) == pytest.approx(2 * p * 1e-12, rel=1e-10)
    np.testing.assert_allclose(link(z, 2, 0.5), 2 * 0.5 * np.sinh(z))
    fd = (link(z + 1e-6, 2, 0.5) - link(z - 1e-6, 2, 0.5)) / 2e-6
    np.testing.assert_allclose(link_derivative(z, 2, 0.5), fd, rtol=1e-8)
    with pytest.raises(ValueError, match="open interval"):
        h(1.0, 3)
    with pytest.raises(ValueError, match=">= 3"):
        h(0.5, 2)
    with pytest.raises(ValueError, match=r"\|z\| < 1"):
        link(1.5, 3)
    for func in (h, link, link_derivative, inverse_link, potential, potential_gradient):
        with pytest.raises(ValueError, match="NaN or infinite"):
            func([0.1, np.nan], 3)


def test_scales_and_flow_time_scale():
    for depth in DEPTHS:
        assert end_to_end_scale(per_layer_scale(1e-6, depth), depth) == pytest.approx(1e-6)
        assert per_layer_scale(end_to_end_scale(0.3, depth), depth) == pytest.approx(0.3)
        # u(0) = alpha^(1/D): the gradient-descent parameters start at the per-layer scale
        res = gradient_descent(np.eye(2), np.zeros(2), depth, 1e-3)
        np.testing.assert_allclose(res.u, per_layer_scale(1e-3, depth))
    assert flow_time_scale(2, 1e-5) == 4.0
    assert flow_time_scale(4, 1e-4) == pytest.approx(8 * 1e-2)
    with pytest.raises(ValueError, match="per_layer"):
        end_to_end_scale(0.0, 2)


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
GOOD_A = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]])
GOOD_Y = np.array([1.0, -1.0])


@pytest.mark.parametrize("func", [flow_limit, gradient_flow, gradient_descent])
def test_bad_matrix_and_vector(func):
    with pytest.raises(ValueError, match="2-D"):
        func(np.ones(3), GOOD_Y, 2, 0.1)
    with pytest.raises(ValueError, match="shape mismatch"):
        func(GOOD_A, np.ones(3), 2, 0.1)
    bad = GOOD_A.copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        func(bad, GOOD_Y, 2, 0.1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        func(GOOD_A, np.array([1.0, np.inf]), 2, 0.1)
    with pytest.raises(TypeError, match="2-D array"):
        func("A", GOOD_Y, 2, 0.1)


@pytest.mark.parametrize("func", [flow_limit, gradient_flow, gradient_descent])
def test_bad_alpha_and_depth(func):
    for alpha in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="alpha must be a positive"):
            func(GOOD_A, GOOD_Y, 2, alpha)
    with pytest.raises(TypeError, match="alpha"):
        func(GOOD_A, GOOD_Y, 2, "0.1")
    with pytest.raises(ValueError, match="depth must be an integer >= 2"):
        func(GOOD_A, GOOD_Y, 1, 0.1)
    for depth in (2.5, "3", True, None):
        with pytest.raises(TypeError, match="depth must be an integer"):
            func(GOOD_A, GOOD_Y, depth, 0.1)


@pytest.mark.parametrize("func", [flow_limit, gradient_flow, gradient_descent, default_step])
def test_inconsistent_or_rank_deficient_systems(func):
    # y outside the range of A (more equations than unknowns)
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="not in the range of A"):
        func(A, np.array([1.0, 1.0, 3.0]), 2, 0.1)
    # dependent rows, consistent y: rank-deficient
    B = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    with pytest.raises(ValueError, match="rank-deficient"):
        func(B, np.array([1.0, 2.0]), 2, 0.1)
    # dependent rows, inconsistent y
    with pytest.raises(ValueError, match="not in the range of A"):
        func(B, np.array([1.0, 0.0]), 2, 0.1)
    with pytest.raises(ValueError, match="all-zero row"):
        func(np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([1.0, 0.0]), 2, 0.1)


def test_newton_non_convergence_is_raised():
    A, y, _ = gaussian_instance(5, 12, 2, seed=18)
    with pytest.raises(NotConvergedError, match="did not converge"):
        flow_limit(A, y, 3, 1e-6, max_iter=1)
    with pytest.raises(NotConvergedError, match="did not converge"):
        flow_limit(A, y, 2, 1e-12, digits=20, max_iter=1)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="digits"):
        flow_limit(GOOD_A, GOOD_Y, 2, 0.1, digits=3)
    with pytest.raises(TypeError, match="digits"):
        flow_limit(GOOD_A, GOOD_Y, 2, 0.1, digits=30.5)
    with pytest.raises(ValueError, match="method"):
        gradient_flow(GOOD_A, GOOD_Y, 2, 0.1, method="euler")
    with pytest.raises(ValueError, match="t_eval"):
        gradient_flow(GOOD_A, GOOD_Y, 2, 0.1, t_eval=[1.0, 0.5])
    with pytest.raises(ValueError, match="t_eval extends beyond t_max"):
        gradient_flow(GOOD_A, GOOD_Y, 2, 0.1, t_max=1.0, t_eval=[0.0, 2.0])
    with pytest.raises(ValueError, match="t_max"):
        gradient_flow(GOOD_A, GOOD_Y, 2, 0.1, t_max=-1.0)
    with pytest.raises(ValueError, match="step"):
        gradient_descent(GOOD_A, GOOD_Y, 2, 0.1, step=-0.1)
    with pytest.raises(ValueError, match="factors"):
        gradient_descent(GOOD_A, GOOD_Y, 3, 0.1, factors=(np.ones((2, 3)), np.ones((2, 3))))
    with pytest.raises(ValueError, match="NaN"):
        gradient_descent(GOOD_A, GOOD_Y, 2, 0.1,
                         factors=(np.full((2, 3), np.nan), np.ones((2, 3))))
    with pytest.raises(TypeError, match="max_iter"):
        gradient_descent(GOOD_A, GOOD_Y, 2, 0.1, max_iter=1.5)


def test_no_silent_nan_anywhere():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy either
        for depth in DEPTHS:
            for alpha in (1e-12, 1e-6, 1.0, 1e6):
                res = flow_limit(GOOD_A, GOOD_Y, depth, alpha)
                assert res.converged and np.all(np.isfinite(res.x))


def test_docstring_examples_run():
    import doctest

    import implicit_bias.diagonal as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 15


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_flow_limit_never_reports_an_overflow_as_converged():
    """A non-finite limit must raise, whatever the Newton loop believed.

    D = 2 at alpha = 1e-300 with |y| = 1e5: the dual coordinate z = arcsinh(|x|/2 alpha) is
    about 702, where sinh overflows float64 during the Newton iterations.
    """
    A = np.array([[1.0, 0.5]])
    y = np.array([1e5])
    with pytest.raises(NotConvergedError, match="digits="):
        flow_limit(A, y, 2, 1e-300, max_iter=3)


def test_flow_limit_reports_an_unusable_float64_floor_as_not_converged():
    """D = 4 at alpha = 1e-30: float64 stops at a floor far above any useful accuracy; the
    result says so (converged False, a ConvergenceWarning), and extended precision works."""
    A, y, _ = gaussian_instance(6, 15, 2, seed=13)
    with pytest.warns(ConvergenceWarning, match="digits="):
        res = flow_limit(A, y, 4, 1e-30)
    assert not res.converged and res.primal_residual > 1e-6 and "not converged" in res.message
    good = flow_limit(A, y, 4, 1e-16)  # floor ~1e-8: accepted, and said to be the floor
    assert good.converged and good.primal_residual <= 1e-6


def test_flow_limit_survives_an_overflowing_continuation_step():
    """Regression: on this m = 60 instance the continuation's predictor from alpha = 1e-16 to
    1e-20 overflowed the link (|A^T lam| ~ 966); the infinite float64 rounding floor passed
    for convergence and flow_limit raised "the limit overflowed", though the limit is finite
    (flow_limit(..., digits=30) agrees with the float64 answer below to 2e-12)."""
    inst = library_instance(60, 100, 5, rng=8568954675747673726)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning escapes either
        res = flow_limit(inst.A, inst.y, 2, 1e-20)
    assert res.converged and np.all(np.isfinite(res.x))
    # independent check: at alpha = 1e-20 (D = 2, varrho ~ 0.22 here) the limit is the
    # basis-pursuit solution up to ~ alpha^(1 - varrho) ~ 1e-15 times a moderate constant;
    # the textbook LP gives that solution, 1e-8 leaves a wide margin
    x_l1 = basis_pursuit(inst.A, inst.y)
    assert np.max(np.abs(res.x - x_l1)) < 1e-8
