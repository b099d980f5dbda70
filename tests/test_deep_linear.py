"""Tests of implicit_bias.deep_linear against independent computations.

Independent references: central finite differences of the risk and of the gradient, a
Gauss-Newton Hessian built from a finite-difference Jacobian, numpy's least squares, the closed
form of the balanced rank-one minimizer, a hand-written one-network gradient-descent loop, and
gradient descent with a tiny step against the DOP853 gradient flow.
"""

import numpy as np
import pytest
from implicit_bias import deep_linear as dl
from implicit_bias.exceptions import ConvergenceWarning, DivergenceError


@pytest.fixture(scope="module")
def data():
    return dl.regression_data(50, 5, rng=0)


def small_data(seed=3, n=12, d=3):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d))
    y = X @ g.standard_normal(d) + 0.3 * g.standard_normal(n)
    return X, y


def fd_gradient(fun, theta, eps=1e-6):
    out = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        out.append((fun(theta + e) - fun(theta - e)) / (2 * eps))
    return np.array(out)


def net_funs(weights, X, y, head=None):
    shapes = [W.shape for W in weights]

    def loss(t):
        return dl.risk(X, y, dl.unflatten(t, shapes), head)

    def grad(t):
        return dl.flatten(dl.risk_gradient(X, y, dl.unflatten(t, shapes), head)[1])

    return shapes, loss, grad


NETWORKS = [
    ("depth1", lambda d: (dl.gaussian_init(d, 1, 0.7, rng=1), None)),
    ("depth2-wide", lambda d: (dl.gaussian_init(d, 2, 0.7, width=4, rng=2), None)),
    ("depth4", lambda d: (dl.gaussian_init(d, 4, 0.8, rng=3), None)),
    ("residual3", lambda d: dl.residual_init(d, 3, 0.8, rng=4)),
]


# ----------------------------------------------------------------------------------------------
# constants and bound
# ----------------------------------------------------------------------------------------------
def test_regression_constants_against_lstsq(data):
    X, y = data
    c = dl.regression_constants(X, y)
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.allclose(c.w_star, w_ls, atol=1e-12)
    assert np.isclose(np.linalg.norm(c.w_star), 1.0)  # normalized data
    ev = np.linalg.eigvalsh(X.T @ X / 50)
    assert np.isclose(c.lam_min, ev[0]) and np.isclose(c.lam_max, ev[-1])
    assert c.lam_min <= c.a <= c.lam_max
    assert np.isclose(c.min_risk, np.mean((y - X @ w_ls) ** 2))


def test_lower_bound_formula_and_depth1(data):
    X, y = data
    c = dl.regression_constants(X, y)
    for L in (1, 2, 5, 10):
        assert np.isclose(dl.sharpness_lower_bound(X, y, L), 2 * L * c.a)  # ||w*|| = 1
        assert np.isclose(dl.critical_step(X, y, L), 1 / (L * c.a))
    # unnormalized data: the ||w*||^(2 - 2/L) factor
    Xs, ys = small_data()
    cs = dl.regression_constants(Xs, ys)
    nrm = np.linalg.norm(cs.w_star)
    assert np.isclose(dl.sharpness_lower_bound(Xs, ys, 3), 6 * cs.a * nrm ** (4 / 3))
    # depth 1: the risk is quadratic with Hessian 2 Sigma, whose top eigenvalue is >= 2a
    W = [cs.w_star[None, :]]
    assert np.isclose(dl.sharpness(Xs, ys, W), 2 * cs.lam_max)
    assert dl.sharpness(Xs, ys, W) >= dl.sharpness_lower_bound(Xs, ys, 1)


# ----------------------------------------------------------------------------------------------
# gradient, Hessian-vector products, Hessian: finite differences
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,make", NETWORKS, ids=[n for n, _ in NETWORKS])
def test_gradient_matches_finite_differences(name, make):
    X, y = small_data()
    weights, head = make(X.shape[1])
    shapes, loss, grad = net_funs(weights, X, y, head)
    theta = dl.flatten(weights)
    g = grad(theta)
    assert np.allclose(g, fd_gradient(loss, theta), rtol=1e-6, atol=1e-7 * np.abs(g).max())


@pytest.mark.parametrize("name,make", NETWORKS, ids=[n for n, _ in NETWORKS])
def test_hvp_and_hessian_match_finite_differences(name, make):
    X, y = small_data()
    weights, head = make(X.shape[1])
    shapes, loss, grad = net_funs(weights, X, y, head)
    theta = dl.flatten(weights)
    p = theta.size
    H_fd = np.array([fd_gradient(lambda t, i=i: grad(t)[i], theta) for i in range(p)])
    H = dl.hessian(X, y, weights, head)
    scale = np.abs(H).max()
    assert np.allclose(H, H_fd, atol=1e-6 * scale)
    assert np.allclose(H, H.T, atol=1e-12 * scale)
    # batched HVP equals one-at-a-time HVPs equals H @ v
    V = np.random.default_rng(5).standard_normal((3, p))
    batched = np.concatenate([h.reshape(3, -1) for h in dl.hessian_vector_product(
        X, y, weights, dl.unflatten(V, shapes), head)], axis=1)
    for j in range(3):
        single = dl.flatten(dl.hessian_vector_product(X, y, weights,
                                                      dl.unflatten(V[j], shapes), head))
        assert np.allclose(single, H @ V[j], atol=1e-10 * scale * np.linalg.norm(V[j]))
        assert np.allclose(batched[j], single, atol=1e-12 * scale * np.linalg.norm(V[j]))


def test_sharpness_dense_lanczos_and_finite_differences(data):
    X, y = data
    weights = dl.gaussian_init(5, 4, 0.6, rng=7)
    shapes, loss, grad = net_funs(weights, X, y)
    theta = dl.flatten(weights)
    H_fd = np.array([fd_gradient(lambda t, i=i: grad(t)[i], theta) for i in range(theta.size)])
    s_fd = np.linalg.eigvalsh(0.5 * (H_fd + H_fd.T))[-1]
    s_dense = dl.sharpness(X, y, weights, method="dense")
    s_lanczos = dl.sharpness(X, y, weights, method="lanczos")
    assert np.isclose(s_dense, s_lanczos, rtol=1e-9)
    assert np.isclose(s_dense, s_fd, rtol=1e-6)


def test_sharpness_is_largest_not_largest_modulus():
    # Away from a minimizer the Hessian can have a negative eigenvalue of larger modulus.
    X, y = small_data()
    weights = dl.gaussian_init(3, 3, 0.3, rng=2)  # near the saddle at 0
    ev = np.linalg.eigvalsh(dl.hessian(X, y, weights))
    assert ev[0] < -1.1 * ev[-1] < 0  # a power iteration would return ev[0]
    for method in ("dense", "lanczos"):
        assert np.isclose(dl.sharpness(X, y, weights, method=method), ev[-1],
                          rtol=1e-8, atol=1e-12)


def test_lanczos_auto_for_large_models(data):
    X, y = data
    weights, head = dl.residual_init(5, 24, 0.5, rng=1)  # 600 parameters > DENSE_MAX_PARAMS
    assert sum(W.size for W in weights) > dl.DENSE_MAX_PARAMS
    s_auto = dl.sharpness(X, y, weights, head)
    s_dense = dl.sharpness(X, y, weights, head, method="dense")
    assert np.isclose(s_auto, s_dense, rtol=1e-9)
    # near the saddle at 0 the Hessian is tiny and its top eigenvalues cluster
    for scale in (0.05, 0.2):
        W = dl.gaussian_init(5, 10, scale, rng=2)
        assert np.isclose(dl.sharpness(X, y, W), dl.sharpness(X, y, W, method="dense"),
                          rtol=1e-8, atol=1e-14)


# ----------------------------------------------------------------------------------------------
# minimizers: closed form, Gauss-Newton, symmetries, the lower bound
# ----------------------------------------------------------------------------------------------
def fd_jacobian(weights, head=None, eps=1e-6):
    shapes = [W.shape for W in weights]
    theta = dl.flatten(weights)
    cols = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        cols.append((dl.end_to_end(dl.unflatten(theta + e, shapes), head)
                     - dl.end_to_end(dl.unflatten(theta - e, shapes), head)) / (2 * eps))
    return np.array(cols).T  # (d, p)


@pytest.mark.parametrize("depth,width", [(1, None), (2, None), (3, 7), (6, None), (10, 2)])
def test_balanced_rank_one_closed_form(data, depth, width):
    X, y = data
    c = dl.regression_constants(X, y)
    dirs = None
    if width is not None and depth > 1:
        dirs = list(np.random.default_rng(depth).standard_normal((depth - 1, width)))
    weights = dl.balanced_rank_one(c.w_star, depth, width=width, directions=dirs)
    assert np.allclose(dl.end_to_end(weights), c.w_star, atol=1e-13)
    _, grads = dl.risk_gradient(X, y, weights)
    assert max(np.abs(G).max() for G in grads) < 1e-12
    S = dl.sharpness(X, y, weights, method="dense")
    S_closed = dl.balanced_rank_one_sharpness(X, y, depth)
    assert np.isclose(S, S_closed, rtol=1e-10)
    # Gauss-Newton with a finite-difference Jacobian (residual term vanishes at a minimizer)
    J = fd_jacobian(weights)
    S_gn = np.linalg.eigvalsh(2 * J.T @ c.Sigma @ J)[-1]
    assert np.isclose(S, S_gn, rtol=1e-7)
    S_min = dl.sharpness_lower_bound(X, y, depth)
    assert S_min <= S + 1e-12 <= S_min + 2 * c.lam_max + 1e-9
    assert np.allclose(dl.alignment(weights), 1.0)
    assert np.allclose(dl.singular_value_ratios(weights), 0.0, atol=1e-12)


def test_balanced_rank_one_tightness_is_order_one(data):
    X, y = data
    gaps = [dl.balanced_rank_one_sharpness(X, y, L) - dl.sharpness_lower_bound(X, y, L)
            for L in (2, 5, 10, 40)]
    assert all(0 <= g <= 2 * dl.regression_constants(X, y).lam_max for g in gaps)


def test_rescaling_symmetry_makes_minimizers_arbitrarily_sharp(data):
    X, y = data
    c = dl.regression_constants(X, y)
    base = dl.balanced_rank_one(c.w_star, 4)
    values = []
    for s in (1.0, 2.0, 4.0, 8.0):
        W = [W.copy() for W in base]
        W[0] *= s
        W[1] /= s
        assert np.allclose(dl.end_to_end(W), c.w_star, atol=1e-12)
        assert np.isclose(dl.risk(X, y, W), c.min_risk, rtol=1e-12)
        values.append(dl.sharpness(X, y, W))
    assert np.all(np.diff(values) > 0) and values[-1] > 10 * values[0]


def test_orthogonal_invariance_and_random_minimizers_obey_bound(data):
    X, y = data
    c = dl.regression_constants(X, y)
    g = np.random.default_rng(11)
    S_min = dl.sharpness_lower_bound(X, y, 5)
    for _ in range(5):
        # a random minimizer: random first layers, last layer solving the least-squares problem
        W = dl.gaussian_init(5, 5, 0.7, rng=g)
        M = np.linalg.multi_dot(W[-2::-1])  # W_4 ... W_1, shape (5, 5)
        W[-1] = np.linalg.solve(M.T, c.w_star)[None, :]
        assert np.allclose(dl.end_to_end(W), c.w_star, atol=1e-9)
        S = dl.sharpness(X, y, W)
        assert S >= S_min
        # an orthogonal change of basis between layers 2 and 3 changes nothing
        Q = np.linalg.qr(g.standard_normal((5, 5)))[0]
        W2 = [W[0], Q @ W[1], W[2] @ Q.T, W[3], W[4]]
        assert np.isclose(dl.sharpness(X, y, W2), S, rtol=1e-9)


def test_residual_minimizer_obeys_bound(data):
    X, y = data
    weights, head = dl.residual_init(5, 6, 0.5, rng=3)
    res = dl.gradient_descent(X, y, weights, 0.05, 5000, head=head)
    assert res.converged and not res.diverged
    assert res.sharpness[-1] >= dl.sharpness_lower_bound(X, y, 6)
    J = fd_jacobian(res.weights, head)
    S_gn = np.linalg.eigvalsh(2 * J.T @ dl.regression_constants(X, y).Sigma @ J)[-1]
    assert np.isclose(res.sharpness[-1], S_gn, rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------
def test_gradient_descent_matches_hand_written_loop(data):
    X, y = data
    W0 = dl.gaussian_init(5, 3, 0.4, rng=2)
    lr, steps = 0.03, 50
    res = dl.gradient_descent(X, y, W0, lr, steps, tol=1e-300, stop_at_convergence=False)
    # independent loop: explicit chain-rule gradient written out for depth 3
    W1, W2, W3 = (W.copy() for W in W0)
    n = X.shape[0]
    for _ in range(steps):
        w = (W3 @ W2 @ W1).ravel()
        g = (-2 / n) * (X.T @ (y - X @ w))[None, :]  # dR/dw^T, row
        G1 = (W3 @ W2).T @ g
        G2 = W3.T @ g @ W1.T
        G3 = g @ (W2 @ W1).T
        W1, W2, W3 = W1 - lr * G1, W2 - lr * G2, W3 - lr * G3
    assert np.allclose(res.weights[0], W1) and np.allclose(res.weights[2], W3)
    assert res.n_iter == steps and np.isclose(res.loss[-1], dl.risk(X, y, [W1, W2, W3]))
    assert np.all(W0[0] == dl.gaussian_init(5, 3, 0.4, rng=2)[0])  # input not modified


def test_gradient_descent_tracks_gradient_flow():
    X, y = small_data()
    W0 = dl.gaussian_init(3, 3, 0.5, rng=4)
    T = 3.0
    flow = dl.gradient_flow(X, y, W0, T, n_eval=20, sharpness_points=2)
    lr = 1e-3
    gd = dl.gradient_descent(X, y, W0, lr, int(T / lr), tol=1e-300,
                             stop_at_convergence=False)
    assert np.linalg.norm(gd.w - flow.w) < 5e-3 * np.linalg.norm(flow.w)
    # the flow decreases the risk monotonically
    assert np.all(np.diff(flow.loss) <= 1e-12)


def test_gradient_descent_small_init_finds_flat_aligned_minimizer(data):
    X, y = data
    res = dl.gradient_descent(X, y, dl.gaussian_init(5, 4, 0.05, rng=0), 0.1, 5000)
    assert res.converged and res.distance[-1] < 1e-5
    S_min = dl.sharpness_lower_bound(X, y, 4)
    assert S_min <= res.sharpness[-1] <= 1.05 * S_min
    assert dl.singular_value_ratios(res.weights).max() < 0.3
    assert dl.alignment(res.weights).min() > 0.99


def test_divergence_flagged_or_raised(data):
    X, y = data
    W0 = dl.gaussian_init(5, 4, 0.3, rng=0)
    res = dl.gradient_descent(X, y, W0, 2.0, 500, on_divergence="flag")
    assert res.diverged and not res.converged and np.isnan(res.sharpness[-1])
    with pytest.raises(DivergenceError, match="smaller step"):
        dl.gradient_descent(X, y, W0, 2.0, 500)  # on_divergence="raise" is the default
    with pytest.raises(ValueError, match="on_divergence"):
        dl.gradient_descent(X, y, W0, 2.0, 500, on_divergence=False)


def test_unconverged_gradient_descent_warns(data):
    X, y = data
    W0 = dl.gaussian_init(5, 3, 0.4, rng=2)
    with pytest.warns(ConvergenceWarning, match="max_iter = 5"):
        res = dl.gradient_descent(X, y, W0, 0.03, 5)
    assert not res.converged and not res.diverged and res.n_iter == 5


def test_step_sweep_matches_single_runs(data):
    X, y = data
    lrs = [0.05, 0.1, 0.5]
    sw = dl.step_sweep(X, y, 4, lrs, n_repeats=2, n_iter=300, rng=5, tol=1e-8)
    rng = np.random.default_rng(5)
    inits = [dl.residual_init(5, 4, 0.25, rng) for _ in range(2)]
    for i, lr in enumerate(lrs):
        for r, (W0, head) in enumerate(inits):
            res = dl.gradient_descent(X, y, W0, lr, 300, head=head, stop_at_convergence=False,
                                      on_divergence="flag")
            if res.diverged:
                assert sw.diverged[i, r]
            else:
                assert np.isclose(sw.distance[i, r], res.distance[-1], rtol=1e-6, atol=1e-12)
                excess = res.loss[-1] - dl.regression_constants(X, y).min_risk
                assert sw.success[i, r] == (excess <= 1e-8)
    assert sw.success[0].all() and not sw.success[-1].any()


def test_diagnostics_on_known_matrices():
    W1 = np.diag([3.0, 1.0, 0.0])
    W2 = np.array([[0.0, 2.0, 0.0]])
    assert np.allclose(dl.singular_value_ratios([W1, W2]), [1 / 3, 0.0])
    # top left singular vector of W1 is e1, top right singular vector of W2 is e2: orthogonal
    assert np.allclose(dl.alignment([W1, W2]), [0.0])
    R = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    A = np.outer([1.0, 0.0], [1.0, 1.0])
    assert np.allclose(dl.alignment([A, np.array([[1.0, 0.0]]) @ R.T]), [np.cos(0.3)])


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
def test_bad_input_errors(data):
    X, y = data
    W = dl.gaussian_init(5, 3, 0.3, rng=0)
    with pytest.raises(ValueError, match="overdetermined"):
        dl.sharpness_lower_bound(X[:4], y[:4], 3)
    Xs = X.copy()
    Xs[:, 1] = Xs[:, 0]
    with pytest.raises(ValueError, match="singular"):
        dl.sharpness_lower_bound(Xs, y, 3)
    with pytest.raises(ValueError, match="n_layers"):
        dl.sharpness_lower_bound(X, y, 0)
    with pytest.raises(TypeError, match="n_layers"):
        dl.gaussian_init(5, 2.5, 0.1)
    with pytest.raises(ValueError, match="shape mismatch"):
        dl.sharpness(X[:, :4], y, W)
    with pytest.raises(ValueError, match="shape mismatch"):
        dl.sharpness(X, y, [W[0], W[1][:, :3], W[2]])
    with pytest.raises(ValueError, match="one row"):
        dl.risk(X, y, W[:2])
    with pytest.raises(ValueError, match="head must have shape"):
        dl.risk(X, y, W[:2], head=np.ones((1, 3)))
    with pytest.raises(ValueError, match="shape mismatch"):
        dl.risk(X, y[:10], W)
    with pytest.raises(TypeError, match="list"):
        dl.risk(X, y, np.ones((1, 5)))
    with pytest.raises(ValueError, match="directions"):
        dl.hessian_vector_product(X, y, W, W[:2])
    with pytest.raises(ValueError, match="method"):
        dl.sharpness(X, y, W, method="power")
    with pytest.raises(ValueError, match="step"):
        dl.gradient_descent(X, y, W, -0.1)
    with pytest.raises(ValueError, match="non-zero"):
        dl.balanced_rank_one(np.zeros(3), 2)
    with pytest.raises(ValueError, match="NaN"):
        dl.risk(X, y, [np.full((1, 5), np.nan)])
    with pytest.raises(ValueError, match="steps"):
        dl.step_sweep(X, y, 3, [0.1, -1.0])
    with pytest.raises(ValueError, match="w\\* = 0"):
        dl.regression_constants(np.eye(2), np.zeros(2))
