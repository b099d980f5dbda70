"""Tests of implicit_bias.l1: basis pursuit, certificates, varrho, null-space constants."""

import doctest
import itertools

import implicit_bias.l1 as l1_module
import mpmath
import numpy as np
import pytest
import scipy.linalg
from conftest import coordinate_ranges_are_points
from implicit_bias.examples import gaussian_instance, nonunique_example, one_by_two
from implicit_bias.exceptions import NotConvergedError
from implicit_bias.l1 import (
    DEFAULT_METHOD,
    basis_pursuit,
    is_unique,
    nsp_constant,
    nsp_constant_order,
    solution_on_support,
    varrho,
    varrho_certificate,
)


def test_doctests():
    res = doctest.testmod(l1_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 5


def _check_certificate(A, y, res, tol=1e-9):
    lam = res.certificate
    assert np.max(np.abs(A.T @ lam)) <= 1 + tol
    np.testing.assert_allclose(A[:, res.support].T @ lam, np.sign(res.x[res.support]),
                               atol=tol)
    assert res.objective == pytest.approx(float(y @ lam), abs=1e-8)  # strong duality


INSTANCES = [(20, 50, 3, 0), (20, 50, 9, 1), (15, 40, 8, 2), (30, 60, 4, 3)]


# ----------------------------------------------------------------------------------------------
# basis pursuit
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, N, s, seed", INSTANCES)
def test_basis_pursuit_solvers_agree(m, N, s, seed):
    inst = gaussian_instance(m, N, s, rng=seed)
    a = basis_pursuit(inst.A, inst.y, method="linprog")
    b = basis_pursuit(inst.A, inst.y, method="clarabel")
    c = basis_pursuit(inst.A, inst.y, method="highs")
    assert a.unique and b.unique and c.unique
    np.testing.assert_allclose(a.x, b.x, atol=1e-7)
    np.testing.assert_allclose(a.x, c.x, atol=1e-7)
    assert a.objective == pytest.approx(b.objective, abs=1e-7)
    for res in (a, b, c):
        _check_certificate(inst.A, inst.y, res)
        assert abs(res.duality_gap) < 1e-8
        assert res.primal_residual < 1e-10


def test_basis_pursuit_optimality_against_kernel_directions():
    """No feasible direction in ker A decreases the l1 norm (independent of any solver)."""
    inst = gaussian_instance(15, 40, 8, rng=2)  # recovery fails: x_l1 != x_star
    res = basis_pursuit(inst.A, inst.y)
    assert np.abs(res.x - inst.x_star).max() > 1e-3
    assert res.objective < np.abs(inst.x_star).sum()
    K = scipy.linalg.null_space(inst.A)
    rng = np.random.default_rng(0)
    for _ in range(200):
        d = K @ rng.standard_normal(K.shape[1])
        for t in (1e-6, 1e-3, 1e-1):
            assert np.abs(res.x + t * d).sum() >= res.objective - 1e-12


def test_basis_pursuit_recovers_sparse_vector_and_support():
    inst = gaussian_instance(40, 100, 5, rng=7)
    res = basis_pursuit(inst.A, inst.y)
    np.testing.assert_allclose(res.x, inst.x_star, atol=1e-12)
    np.testing.assert_array_equal(res.support, inst.support)
    np.testing.assert_array_equal(res.signs, np.sign(inst.x_star[inst.support]))
    assert res.method == DEFAULT_METHOD and res.status == "optimal" and res.unique


def test_basis_pursuit_rank_deficient_but_consistent():
    inst = gaussian_instance(10, 30, 2, rng=4)
    A = np.vstack([inst.A, inst.A[:2] + inst.A[2:4]])  # dependent rows
    y = A @ inst.x_star
    res = basis_pursuit(A, y)
    np.testing.assert_allclose(res.x, basis_pursuit(inst.A, inst.y).x, atol=1e-9)
    _check_certificate(A, y, res)


def test_basis_pursuit_zero_data_and_unpolished():
    res = basis_pursuit(np.eye(2, 4), np.zeros(2))
    assert not np.any(res.x) and res.support.size == 0 and res.objective == 0
    inst = gaussian_instance(20, 50, 3, rng=0)
    raw = basis_pursuit(inst.A, inst.y, method="clarabel", polish=False)
    assert np.abs(raw.x - inst.x_star).max() < 1e-6
    np.testing.assert_array_equal(raw.support, inst.support)


def test_basis_pursuit_bad_input(monkeypatch):
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])  # rank 1
    with pytest.raises(ValueError, match="inconsistent"):
        basis_pursuit(A, [1.0, 0.0])
    with pytest.raises(ValueError, match="unknown"):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0], method="gurobi-ish")
    with pytest.raises(TypeError):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0], method=3)
    with pytest.raises(ValueError, match="shape mismatch"):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError):
        basis_pursuit(np.eye(2, 3), [1.0, np.nan])
    with pytest.raises(ValueError):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0], support_tol=-1.0)
    import cvxpy

    monkeypatch.setattr(cvxpy, "installed_solvers", lambda: ["SCS"])
    with pytest.raises(ValueError, match="not installed"):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0], method="clarabel")


def test_basis_pursuit_failed_solve_is_raised(monkeypatch):
    class Failed:
        status = 4
        message = "numerical difficulties"

    monkeypatch.setattr(l1_module.scipy.optimize, "linprog", lambda *a, **k: Failed())
    with pytest.raises(NotConvergedError, match="numerical difficulties"):
        basis_pursuit(np.eye(2, 3), [1.0, 1.0])


def test_basis_pursuit_wrong_certificate_is_caught(monkeypatch):
    # a solver returning the wrong dual (sign flipped), through scipy's public linprog
    import scipy.optimize

    real = scipy.optimize.linprog

    def flipped(*args, **kwargs):
        res = real(*args, **kwargs)
        res.eqlin.marginals = -np.asarray(res.eqlin.marginals)
        return res

    monkeypatch.setattr(scipy.optimize, "linprog", flipped)
    with pytest.raises(NotConvergedError, match="certificate"):
        inst = gaussian_instance(20, 50, 3, rng=0)
        basis_pursuit(inst.A, inst.y)


# ----------------------------------------------------------------------------------------------
# varrho
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, N, s, seed", INSTANCES + [(40, 100, 4, 2), (10, 30, 4, 5)])
def test_varrho_primal_equals_nullspace_dual(m, N, s, seed):
    inst = gaussian_instance(m, N, s, rng=seed)
    A = inst.A
    x = basis_pursuit(A, inst.y).x
    r = varrho_certificate(A, x)
    assert r.value == pytest.approx(r.dual_value, abs=1e-8)
    assert 0 <= r.value < 1 and r.is_unique
    S, comp = r.support, np.setdiff1d(np.arange(N), r.support)
    # the certificate attains the minimum
    np.testing.assert_allclose(A[:, S].T @ r.lam, r.signs, atol=1e-9)
    assert np.max(np.abs(A[:, comp].T @ r.lam)) == pytest.approx(r.value, abs=1e-9)
    # the direction is extremal in the null-space form
    h = r.direction
    np.testing.assert_allclose(A @ h, 0, atol=1e-9)
    assert np.abs(h[comp]).sum() == pytest.approx(1, abs=1e-9)
    assert r.signs @ h[S] == pytest.approx(r.value, abs=1e-9)
    # weak duality against random kernel vectors: <sign, h_S> <= varrho ||h_Sc||_1
    K = scipy.linalg.null_space(A)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        g = K @ rng.standard_normal(K.shape[1])
        assert r.signs @ g[S] <= r.value * np.abs(g[comp]).sum() + 1e-9
    # signed <= unsigned null-space constant (estimate mode for the larger supports)
    method = "exact" if S.size <= 8 else "estimate"
    assert r.value <= nsp_constant(A, S, method=method) + 1e-9


def test_varrho_one_by_two_and_nonunique():
    for c in (0.0, 0.3, 0.99):
        ex = one_by_two(c)
        assert varrho(ex.A, ex.x_l1) == pytest.approx(c, abs=1e-12)
        assert is_unique(ex.A, ex.x_l1)
    ex = nonunique_example()
    for t in ex.t_range:
        x = ex.point(t)
        r = varrho_certificate(ex.A, x)
        assert r.value == pytest.approx(1.0, abs=1e-12) and not r.is_unique
    assert not is_unique(ex.A, ex.point(0.0))  # interior point: A_S not injective


def test_uniqueness_matches_independent_check():
    cases = []
    ex = nonunique_example()
    cases.append((ex.A, ex.y))
    c = one_by_two(0.5)
    cases.append((c.A, c.y))
    inst = gaussian_instance(5, 10, 2, rng=3)
    cases.append((inst.A, inst.y))
    # duplicated column: mass can be split between the twins -> not unique
    B = np.hstack([inst.A, inst.A[:, inst.support[:1]]])
    cases.append((B, inst.y))
    for A, y in cases:
        bp = basis_pursuit(A, y)
        assert bp.unique == coordinate_ranges_are_points(A, y, bp.objective)
        assert is_unique(A, bp.x) == bp.unique


def test_varrho_bad_input():
    inst = gaussian_instance(20, 50, 3, rng=0)
    with pytest.raises(ValueError, match="not a basis-pursuit solution"):
        varrho(inst.A, inst.x_star + 0.1 * np.ones(50))
    with pytest.raises(ValueError, match="empty support"):
        varrho(inst.A, np.zeros(50))
    with pytest.raises(ValueError, match="shape mismatch"):
        varrho(inst.A, np.ones(3))
    with pytest.raises(ValueError, match="not a basis-pursuit solution"):
        # x_star of a failed-recovery instance
        bad = gaussian_instance(15, 40, 8, rng=2)
        varrho(bad.A, bad.x_star)


# ----------------------------------------------------------------------------------------------
# null-space constants
# ----------------------------------------------------------------------------------------------
def test_nsp_constant_one_dimensional_kernel_closed_form():
    ex = nonunique_example()  # kernel spanned by k = (1, -3, 2)
    k = np.abs(ex.face_direction)
    for r in (1, 2):
        for S in itertools.combinations(range(3), r):
            comp = [j for j in range(3) if j not in S]
            expected = k[list(S)].sum() / k[comp].sum()
            assert nsp_constant(ex.A, list(S)) == pytest.approx(expected, rel=1e-10)
    assert nsp_constant_order(ex.A, 1) == pytest.approx(1.0)
    assert nsp_constant_order(ex.A, 2) == pytest.approx(5.0)


def test_nsp_constant_exact_vs_estimate_and_sampling():
    inst = gaussian_instance(12, 30, 4, rng=1)
    S = inst.support
    exact = nsp_constant(inst.A, S)
    est = nsp_constant(inst.A, S, method="estimate", n_starts=10)
    assert est <= exact + 1e-10 and est == pytest.approx(exact, rel=1e-6)
    K = scipy.linalg.null_space(inst.A)
    g = K @ np.random.default_rng(0).standard_normal((K.shape[1], 2000))
    comp = np.setdiff1d(np.arange(30), S)
    ratios = np.abs(g[S]).sum(0) / np.abs(g[comp]).sum(0)
    assert ratios.max() <= exact + 1e-12
    # the maximum over sign patterns of the signed constant
    for eps in itertools.product((1.0, -1.0), repeat=4):
        val = l1_module._varrho_dual(inst.A, S, np.array(eps))[0]
        assert val <= exact + 1e-12


def test_nsp_constant_order_small():
    inst = gaussian_instance(6, 9, 1, rng=0)
    rho2 = nsp_constant_order(inst.A, 2)
    assert rho2 == pytest.approx(max(nsp_constant(inst.A, list(S))
                                     for S in itertools.combinations(range(9), 2)))
    assert nsp_constant_order(inst.A, 1) <= rho2


def test_nsp_bad_input():
    A = gaussian_instance(10, 40, 1, rng=0).A
    with pytest.raises(ValueError, match="empty"):
        nsp_constant(A, [])
    with pytest.raises(ValueError, match="lie in"):
        nsp_constant(A, [0, 40])
    with pytest.raises(ValueError, match="method"):
        nsp_constant(A, [0], method="fast")
    with pytest.raises(ValueError, match="estimate"):
        nsp_constant(A, list(range(16)))
    with pytest.raises(ValueError, match="tiny"):
        nsp_constant_order(A, 5)
    assert nsp_constant(A, list(range(12))) == np.inf  # A_S not injective


# ----------------------------------------------------------------------------------------------
# solution_on_support
# ----------------------------------------------------------------------------------------------
def test_solution_on_support_float_and_mp():
    inst = gaussian_instance(12, 30, 3, rng=0, exact=True)
    x = solution_on_support(inst.A, inst.y, inst.support)
    np.testing.assert_allclose(x, inst.x_star, atol=1e-14)
    xm = solution_on_support(inst.A, inst.y, inst.support, digits=40)
    assert xm.dtype == object and isinstance(xm[inst.support[0]], mpmath.mpf)
    with mpmath.workdps(50):
        err = max(abs(xm[i] - mpmath.mpf(float(inst.x_star[i]))) for i in range(30))
        Am = [[mpmath.mpf(float(v)) for v in row] for row in inst.A]
        res = max(abs(mpmath.fsum(Am[i][j] * xm[j] for j in range(30))
                      - mpmath.mpf(float(inst.y[i]))) for i in range(12))
    assert err < mpmath.mpf(10) ** -38 and res < mpmath.mpf(10) ** -38
    # boolean mask accepted
    mask = np.zeros(30, dtype=bool)
    mask[inst.support] = True
    np.testing.assert_allclose(solution_on_support(inst.A, inst.y, mask), x)


def test_solution_on_support_bad_input():
    inst = gaussian_instance(12, 30, 3, rng=0)
    with pytest.raises(ValueError, match="range"):
        solution_on_support(inst.A, inst.y, inst.support[:2])
    with pytest.raises(ValueError, match="injective"):
        solution_on_support(inst.A, inst.y, np.arange(13))
    with pytest.raises(ValueError):
        solution_on_support(inst.A, inst.y, inst.support, digits=3)


@pytest.mark.parametrize("m, N, s, seed", INSTANCES)
def test_varrho_reduced_lps_match_full_formulations(m, N, s, seed):
    """The eliminated (fast) LPs against the textbook formulations with all variables."""
    inst = gaussian_instance(m, N, s, rng=seed)
    x = basis_pursuit(inst.A, inst.y, check_unique=False).x
    S = np.flatnonzero(x)
    sig = np.sign(x[S])
    vals = [f(inst.A, S, sig)[0] for f in (l1_module._varrho_primal, l1_module._varrho_primal_full,
                                          l1_module._varrho_dual, l1_module._varrho_dual_full)]
    assert max(vals) - min(vals) < 1e-8
