"""Tests of implicit_bias.noisy against independent methods.

* the sampled trajectory against scipy's solve_ivp on the (u, v) ODE, written here;
* the running average against the exact identity A^T(y - A xbar(t)) = grad Q(x(t)) / (c_D t);
* the lasso wrapper against LassoLars, against coordinate descent (Lasso) and a KKT check;
* the time <-> lambda map against the measured trajectory (1-D closed form of the lasso, and a
  Gaussian instance as alpha decreases).
"""

import numpy as np
import pytest
import scipy.integrate
from implicit_bias.diagonal import flow_time_scale, potential_gradient
from implicit_bias.noisy import (
    book_lambda,
    entry_times,
    lambda_of_time,
    lasso_path,
    noisy_instance,
    oracle_stop,
    sklearn_alpha,
    time_lambda_constant,
    time_of_lambda,
    trajectory,
    validation_stop,
)
from sklearn.linear_model import Lasso, LassoLars


def uv_flow(A, y, depth, alpha, t_eval):
    """Gradient flow of L = |Ax - y|^2 / 2 in (u, v), x = u^D - v^D, integrated directly."""
    n = A.shape[1]
    s0 = alpha ** (1.0 / depth)

    def rhs(_t, w):
        u, v = w[:n], w[n:]
        g = A.T @ (A @ (u**depth - v**depth) - y)
        return np.concatenate([-depth * u ** (depth - 1) * g, depth * v ** (depth - 1) * g])

    sol = scipy.integrate.solve_ivp(rhs, (0, t_eval[-1]), np.full(2 * n, s0), method="LSODA",
                                    t_eval=t_eval, rtol=1e-10, atol=1e-14 * s0)
    u, v = sol.y[:n].T, sol.y[n:].T
    return u**depth - v**depth


@pytest.fixture(scope="module")
def small():
    return noisy_instance(6, 12, 2, 0.1, m_val=5, rng=3)


# ------------------------------------------------------------------------------ instances
def test_noisy_instance_reproducible_and_rng_kinds():
    a = noisy_instance(10, 30, 3, 0.2, m_val=4, rng=7)
    b = noisy_instance(10, 30, 3, 0.2, m_val=4, rng=np.random.default_rng(7))
    assert np.array_equal(a.A, b.A) and np.array_equal(a.y_val, b.y_val)
    assert np.allclose(a.y - a.A @ a.x_star, a.y - a.A @ a.x_star)
    assert np.count_nonzero(a.x_star) == 3 and np.array_equal(np.flatnonzero(a.x_star), a.support)
    assert np.all((np.abs(a.x_star[a.support]) >= 1) & (np.abs(a.x_star[a.support]) <= 2))
    clean = noisy_instance(10, 30, 3, 0.0, rng=7)
    assert np.allclose(clean.y, clean.A @ clean.x_star)


@pytest.mark.parametrize("kwargs, exc", [
    (dict(m=5, N=3, s=1, noise=0.1), ValueError),
    (dict(m=3, N=5, s=6, noise=0.1), ValueError),
    (dict(m=3, N=5, s=1, noise=-1.0), ValueError),
    (dict(m=3, N=5, s=1, noise=0.1, rng="seed"), TypeError),
    (dict(m=3, N=5, s=1, noise=0.1, rng=-1), ValueError),
])
def test_noisy_instance_validation(kwargs, exc):
    with pytest.raises(exc):
        noisy_instance(**kwargs)


# ------------------------------------------------------------------------------ time <-> lambda
def test_time_lambda_constant_formula():
    assert time_lambda_constant(2, 1e-8) == pytest.approx(np.log(1e8) / 4)
    for D in (3, 4):
        a = 1e-6
        assert time_lambda_constant(D, a) == pytest.approx(1 / (D * (D - 2) * a ** ((D - 2) / D)))
        assert time_lambda_constant(D, a) == pytest.approx(1 / flow_time_scale(D, a))
    t = np.array([0.5, 2.0, 7.0])
    assert np.allclose(time_of_lambda(lambda_of_time(t, 3, 1e-4), 3, 1e-4), t)
    with pytest.raises(ValueError, match="alpha"):
        time_lambda_constant(2, 2.0)
    with pytest.raises(ValueError, match="t"):
        lambda_of_time([1.0, -1.0], 2, 1e-3)
    with pytest.raises(TypeError):
        time_lambda_constant(2.5, 1e-3)


@pytest.mark.parametrize("depth", [2, 3])
def test_time_lambda_map_one_dimensional(depth):
    """1-D: the lasso is (|ab| - lam)_+ / a^2; the flow's entry time approaches kappa/|ab|."""
    a, b = 0.8, 1.5
    A, y = np.array([[a]]), np.array([b])
    lam1 = abs(a * b)
    errs, dists = [], []
    for alpha in ([1e-4, 1e-8, 1e-16, 1e-32] if depth == 2 else [1e-3, 1e-6, 1e-9]):
        kappa = time_lambda_constant(depth, alpha)
        lams = np.geomspace(3 * lam1, lam1 / 20, 3000)  # spacing 0.1 %: below the errors
        tr = trajectory(A, y, depth, alpha, lambdas=lams, average=True)
        # measured entry time: x reaches half its limit b/a
        t_half = entry_times(tr.t, tr.x, 0.5 * b / a)[0]
        errs.append(abs(t_half * lam1 / kappa - 1))
        lasso = np.maximum(lam1 - lams, 0) / a**2 * np.sign(a * b)
        dists.append(np.max(np.abs(tr.x_mean[:, 0] - lasso)))
    assert np.all(np.diff(errs) < 0) and np.all(np.diff(dists) < 0), (errs, dists)
    # D = 2 converges like 1/log(1/alpha), D = 3 like alpha^(1/3)
    assert errs[-1] < (0.05 if depth == 2 else 0.01) and dists[-1] < (0.05 if depth == 2 else 0.01)


# ------------------------------------------------------------------------------ trajectory
@pytest.mark.parametrize("depth, alpha", [(2, 1e-3), (3, 1e-3)])
def test_trajectory_matches_uv_ode(small, depth, alpha):
    lams = np.geomspace(2.0, 0.05, 25)
    tr = trajectory(small.A, small.y, depth, alpha, lambdas=lams, rtol=1e-10)
    ref = uv_flow(small.A, small.y, depth, alpha, tr.t)
    assert tr.converged and np.max(np.abs(tr.x - ref)) < 1e-6
    assert np.allclose(tr.lambdas, lams)


@pytest.mark.parametrize("depth, alpha", [(2, 1e-6), (3, 1e-4)])
def test_running_average_identity(small, depth, alpha):
    """A^T (y - A xbar(t)) = grad Q(x(t)) / (c_D t): quadrature against the inverse link."""
    lams = np.geomspace(3.0, 0.1, 30)
    tr = trajectory(small.A, small.y, depth, alpha, lambdas=lams, average=True, rtol=1e-10)
    lhs = (small.y - tr.x_mean @ small.A.T) @ small.A
    rhs = np.array([potential_gradient(x, depth, alpha) for x in tr.x]) / (
        flow_time_scale(depth, alpha) * tr.t[:, None])
    # trapezoid error with 4000 geometric nodes over 4.5 decades: relative ~1e-5
    assert np.max(np.abs(lhs - rhs)) < 1e-3 * np.max(np.abs(rhs))


def test_trajectory_validation(small):
    with pytest.raises(ValueError, match="exactly one"):
        trajectory(small.A, small.y, 2, 1e-3)
    with pytest.raises(ValueError, match="decreasing"):
        trajectory(small.A, small.y, 2, 1e-3, lambdas=[0.1, 0.2])
    with pytest.raises(ValueError, match="increasing"):
        trajectory(small.A, small.y, 2, 1e-3, times=[2.0, 1.0])
    with pytest.raises(ValueError, match="alpha"):
        trajectory(small.A, small.y, 2, 1.5, times=[1.0])
    with pytest.raises(ValueError, match="shape mismatch"):
        trajectory(small.A, small.y[:-1], 2, 1e-3, times=[1.0])


# ------------------------------------------------------------------------------ lasso
def test_sklearn_normalization():
    """The book's objective equals m times scikit-learn's when lam = m * alpha."""
    rng = np.random.default_rng(0)
    A, y, x = rng.standard_normal((7, 11)), rng.standard_normal(7), rng.standard_normal(11)
    lam, m = 0.37, 7
    book = 0.5 * np.sum((A @ x - y) ** 2) + lam * np.sum(np.abs(x))
    sk = np.sum((y - A @ x) ** 2) / (2 * m) + sklearn_alpha(lam, m) * np.sum(np.abs(x))
    assert book == pytest.approx(m * sk)
    assert book_lambda(sklearn_alpha(lam, m), m) == pytest.approx(lam)
    assert np.allclose(book_lambda(sklearn_alpha([0.0, 1.0], 4), 4), [0.0, 1.0])
    with pytest.raises(ValueError):
        sklearn_alpha(-1.0, 3)
    with pytest.raises(TypeError):
        book_lambda(1.0, 2.5)


def test_lasso_path_against_lassolars_cd_and_kkt():
    inst = noisy_instance(25, 60, 4, 0.2, rng=11)
    A, y, m = inst.A, inst.y, 25
    lam_max = np.max(np.abs(A.T @ y))
    lams = lam_max * np.array([1.2, 0.9, 0.5, 0.2, 0.08, 0.03])
    path = lasso_path(A, y, lambdas=lams)
    assert path.breakpoints[0] == pytest.approx(lam_max) and path.converged
    for lam, x in zip(lams, path.coefs, strict=True):
        ll = LassoLars(alpha=sklearn_alpha(lam, m), fit_intercept=False).fit(A, y).coef_
        cd = Lasso(alpha=sklearn_alpha(lam, m), fit_intercept=False, tol=1e-12,
                   max_iter=200_000).fit(A, y).coef_
        assert np.max(np.abs(x - ll)) < 1e-8
        assert np.max(np.abs(x - cd)) < 1e-5
        # KKT of the book's lasso: A^T(y - Ax) = lam * sign on the support, |.| <= lam off it
        g = A.T @ (y - A @ x)
        S = x != 0
        assert np.all(np.abs(g) <= lam * (1 + 1e-9))
        assert np.allclose(g[S], lam * np.sign(x[S]), atol=1e-9 * lam_max)


def test_lasso_refit_is_extrapolation_of_the_linear_piece():
    inst = noisy_instance(20, 40, 3, 0.2, rng=5)
    path = lasso_path(inst.A, inst.y)
    bp = path.breakpoints
    lam = 0.5 * (bp[2] + bp[3])
    h = 1e-4 * (bp[2] - bp[3])
    p = lasso_path(inst.A, inst.y, lambdas=[lam + h, lam, lam - h])
    slope = (p.coefs[0] - p.coefs[2]) / (2 * h)
    assert np.allclose(p.refit[1], p.coefs[1] - lam * slope, atol=1e-7)


def test_lasso_path_orthogonal_and_exit_events():
    y = np.array([3.0, -1.0, 2.0])
    path = lasso_path(np.eye(3), y, lambdas=[2.5, 1.5, 0.5, 0.0])
    soft = np.sign(y) * np.maximum(np.abs(y)[None, :] - np.array([2.5, 1.5, 0.5, 0.0])[:, None],
                                   0)
    assert np.allclose(path.coefs, soft)
    assert path.entry_order.tolist() == [0, 2, 1] and path.monotone
    assert path.consistent_until == path.monotone_until == path.breakpoints[-1]
    assert np.allclose(path.entry_lambdas, [3.0, 2.0, 1.0])
    assert np.allclose(path.refit[1], [3.0, 0.0, 2.0])
    # a non-monotone path: some seeded instance has an exit; the exit is real
    for seed in range(50):
        inst = noisy_instance(10, 20, 3, 0.3, rng=seed)
        p = lasso_path(inst.A, inst.y)
        if p.exits:
            break
    assert not p.monotone
    j, lam_exit = p.exits[0]
    # the exit coordinate shrinks on the piece before its exit: monotone only above it
    assert p.monotone_until > lam_exit
    # sign consistency fails at the latest on the piece that ends at the exit
    assert lam_exit < p.consistent_until <= p.monotone_until
    k = int(np.flatnonzero(np.isclose(p.breakpoints, lam_exit))[0])
    assert p.consistent_until >= p.breakpoints[k - 1]
    assert np.isclose(p.monotone_until, p.breakpoints).any()
    assert p.first_exit() == lam_exit
    before = lasso_path(inst.A, inst.y, lambdas=[lam_exit * 1.001, lam_exit]).coefs
    assert before[0, j] != 0 and abs(before[1, j]) < 1e-12


# ------------------------------------------------------------------------------ trajectory vs lasso
def test_averaged_trajectory_approaches_lasso_on_monotone_range():
    """Book derivation: on the monotone range of the path, xbar(kappa/lam) -> lasso(lam)."""
    inst = noisy_instance(15, 30, 2, 0.05, rng=2)
    path = lasso_path(inst.A, inst.y)
    lam_lo = max(path.consistent_until, path.breakpoints[0] / 8)
    lams = np.geomspace(path.breakpoints[0] * 1.5, lam_lo * 1.01, 300)
    ref = lasso_path(inst.A, inst.y, lambdas=lams).coefs
    dist = []
    for alpha in [1e-4, 1e-8, 1e-16, 1e-32]:
        tr = trajectory(inst.A, inst.y, 2, alpha, lambdas=lams, average=True, rtol=1e-8)
        dist.append(np.max(np.linalg.norm(tr.x_mean - ref, axis=1)))
    assert np.all(np.diff(dist) < 0), dist
    # the distance decays like 1/log(1/alpha): halving log(1/alpha) roughly doubles it
    assert dist[-1] < 0.7 * dist[-2] and dist[-1] < 0.1 * np.max(np.linalg.norm(ref, axis=1))


# ------------------------------------------------------------------------------ stopping
def test_stopping_rules():
    X = np.array([[0.0, 0.0], [0.9, 0.1], [1.5, 0.0]])
    o = oracle_stop(X, [1.0, 0.0])
    assert o.index == 1 and o.value == pytest.approx(np.hypot(0.1, 0.1))
    Av = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = validation_stop(X, Av, [1.4, 0.0])
    assert v.index == 2 and np.allclose(v.criterion, np.sum((X @ Av.T - [1.4, 0.0]) ** 2, 1) / 4)
    with pytest.raises(ValueError, match="x_star"):
        oracle_stop(X, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="A_val"):
        validation_stop(X, np.ones((2, 3)), [1.0, 1.0])
    with pytest.raises(ValueError, match="y_val"):
        validation_stop(X, Av, [1.0])
    with pytest.raises(TypeError):
        oracle_stop("path", [1.0, 0.0])


def test_entry_times():
    t = np.array([1.0, 2.0, 4.0])
    x = np.array([[0.0, 0.1], [-0.6, 0.2], [-0.9, 0.3]])
    assert np.array_equal(entry_times(t, x, 0.5), [2.0, np.inf])
    assert np.array_equal(entry_times(t, x, [0.7, 0.15]), [4.0, 2.0])
    with pytest.raises(ValueError, match="threshold"):
        entry_times(t, x, 0.0)
    with pytest.raises(ValueError, match="threshold"):
        entry_times(t, x, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="rows"):
        entry_times(t[:2], x, 0.5)
