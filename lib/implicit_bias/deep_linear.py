r"""Deep linear networks for univariate regression: risk, exact Hessians, sharpness, training.

The network maps :math:`x \in \mathbb R^d` to :math:`f_W(x) = W_L \cdots W_1 x` with weights
``weights = [W_1, ..., W_L]``, ``W_1`` of shape ``(width, d)``, ``W_k`` of shape
``(width, width)`` and ``W_L`` of shape ``(1, width)``. Its **end-to-end vector** is
:math:`w_W = (W_L \cdots W_1)^\top \in \mathbb R^d`. The **residual form** has a fixed,
untrained unit row vector ``head`` :math:`u^\top` of shape ``(1, d)`` and ``L`` square
trainable matrices: :math:`f_W(x) = u^\top W_L \cdots W_1 x`; every function below accepts
``head=`` for it.

On data :math:`X \in \mathbb R^{n\times d}`, :math:`y \in \mathbb R^n` the risk is the mean
squared error **without a factor 1/2**,

.. math::

    R(W) = \frac1n \|y - X w_W\|_2^2 ,

(as in the experiments of Marion & Chizat 2024). With :math:`\Sigma = X^\top X / n`, the
least-squares solution :math:`w^\star` (``n >= d`` and :math:`\Sigma` invertible) and
:math:`a = w^{\star\top}\Sigma w^\star / \|w^\star\|^2`, every minimizer of a depth-``L``
network has sharpness (largest Hessian eigenvalue) at least

.. math::

    S_{\min} = 2 L\, a\, \|w^\star\|^{2 - 2/L}

(:func:`sharpness_lower_bound`). The sharpness itself is computed exactly from Hessian-vector
products of the product chain (:func:`hessian_vector_product`): densely for small models,
by Lanczos (``scipy.sparse.linalg.eigsh``) otherwise.

Hessian-vector products. With prefix products :math:`B_k = W_{k-1}\cdots W_1`
(:math:`B_1 = I`), suffix rows :math:`A_k = u^\top W_L\cdots W_{k+1}` and
:math:`g = \partial R/\partial w^\top = 2(w^\top\Sigma - b^\top)`, :math:`b = X^\top y/n`,
the gradient is :math:`\partial R/\partial W_k = A_k^\top g B_k^\top`. Differentiating along
a direction :math:`V = (V_1, \dots, V_L)`,

.. math::

    \nabla^2 R[V]_k = \dot A_k^\top g B_k^\top + A_k^\top \dot g B_k^\top
    + A_k^\top g \dot B_k^\top, \qquad \dot g = 2\,\dot w^\top \Sigma,

where :math:`\dot B_{k+1} = V_k B_k + W_k \dot B_k`, :math:`\dot A_{k} = \dot A_{k+1}W_{k+1}
+ A_{k+1}V_{k+1}` and :math:`\dot w^\top = u^\top \dot B_{L+1}`: two passes of matrix
products, batched over many directions at once (numpy broadcasting).
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.integrate
import scipy.sparse.linalg

from ._validation import (
    as_real_array,
    check_depth,
    check_int,
    check_matrix,
    check_positive,
    check_random_state,
    check_vector,
)
from .exceptions import ConvergenceWarning, DivergenceError, NotConvergedError

__all__ = [
    "RegressionConstants",
    "regression_data",
    "regression_constants",
    "sharpness_lower_bound",
    "critical_step",
    "gaussian_init",
    "residual_init",
    "balanced_rank_one",
    "balanced_rank_one_sharpness",
    "end_to_end",
    "risk",
    "risk_gradient",
    "hessian_vector_product",
    "hessian",
    "sharpness",
    "flatten",
    "unflatten",
    "singular_value_ratios",
    "alignment",
    "TrainingResult",
    "gradient_descent",
    "gradient_flow",
    "StepSweep",
    "step_sweep",
]

#: Largest number of parameters for which :func:`sharpness` (``method="auto"``) forms the
#: dense Hessian. Beyond it Lanczos on Hessian-vector products is cheaper, and it avoids
#: multi-threaded LAPACK calls, which are slow on a loaded machine.
DENSE_MAX_PARAMS = 100


# ----------------------------------------------------------------------------------------------
# data and constants
# ----------------------------------------------------------------------------------------------
@dataclass
class RegressionConstants:
    """Constants of an overdetermined regression problem (see :func:`regression_constants`).

    Attributes
    ----------
    w_star : ndarray, shape (d,)
        Least-squares solution :math:`(X^\\top X)^{-1}X^\\top y`.
    Sigma : ndarray, shape (d, d)
        Empirical covariance :math:`X^\\top X / n`.
    a : float
        :math:`w^{\\star\\top}\\Sigma w^\\star/\\|w^\\star\\|^2`, in :math:`[\\lambda, \\Lambda]`.
    lam_min, lam_max : float
        Smallest and largest eigenvalues :math:`\\lambda`, :math:`\\Lambda` of ``Sigma``.
    kappa : float
        Condition number :math:`\\Lambda/\\lambda`.
    min_risk : float
        :math:`R(w^\\star) = \\|y - Xw^\\star\\|^2/n`, the smallest achievable risk.
    """

    w_star: np.ndarray
    Sigma: np.ndarray
    a: float
    lam_min: float
    lam_max: float
    kappa: float
    min_risk: float


def _check_data(X, y, *, overdetermined=True):
    X = check_matrix(X, "X")
    y = check_vector(y, X.shape[0], "y", length_of="rows of X")
    n, d = X.shape
    if overdetermined and n < d:
        raise ValueError(
            f"X has n = {n} rows and d = {d} columns; the sharpness results need the "
            "overdetermined setting n >= d (more samples than features). Add samples or "
            "reduce the dimension."
        )
    return X, y


def regression_constants(X, y):
    """Least-squares solution and covariance constants of overdetermined data.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs, with ``n >= d`` and :math:`X^\\top X` invertible.
    y : array_like, shape (n,)
        Targets.

    Returns
    -------
    RegressionConstants

    Raises
    ------
    ValueError
        If ``n < d`` or :math:`X^\\top X` is singular (condition number above 1e12), or
        :math:`w^\\star = 0` (then every minimizer is the zero function and the bound is void).

    Examples
    --------
    >>> c = regression_constants(np.eye(2), [1.0, 2.0])
    >>> c.w_star, c.a, c.kappa
    (array([1., 2.]), 0.5, 1.0)
    """
    X, y = _check_data(X, y)
    n, _ = X.shape
    Sigma = X.T @ X / n
    evals = np.linalg.eigvalsh(Sigma)
    lam_min, lam_max = float(evals[0]), float(evals[-1])
    if lam_max == 0 or lam_min <= 1e-12 * lam_max:
        raise ValueError(
            "X^T X is singular or numerically singular (eigenvalues of X^T X / n between "
            f"{lam_min:.3g} and {lam_max:.3g}): the least-squares solution is not unique. "
            "Remove linearly dependent columns of X."
        )
    w_star = np.linalg.solve(Sigma, X.T @ y / n)
    nrm2 = float(w_star @ w_star)
    if nrm2 == 0:
        raise ValueError("the least-squares solution is w* = 0 (y is orthogonal to the "
                         "columns of X); there is nothing to learn.")
    r = y - X @ w_star
    return RegressionConstants(
        w_star=w_star, Sigma=Sigma, a=float(w_star @ Sigma @ w_star) / nrm2,
        lam_min=lam_min, lam_max=lam_max, kappa=lam_max / lam_min,
        min_risk=float(r @ r) / n,
    )


def regression_data(n=50, d=5, noise=1.0, rng=None, *, normalize=True):
    """Gaussian regression data :math:`y = Xw + \\sigma\\varepsilon` (all entries N(0,1)).

    Parameters
    ----------
    n, d : int
        Number of samples and of features (``n >= d``).
    noise : float
        Standard deviation :math:`\\sigma \\ge 0` of the label noise.
    rng : numpy.random.Generator or int, optional
        Random generator or seed (default seed 0).
    normalize : bool
        Divide ``y`` by :math:`\\|w^\\star\\|` so that the least-squares solution has unit norm.

    Returns
    -------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)

    Examples
    --------
    >>> X, y = regression_data(50, 5, rng=0)
    >>> round(float(np.linalg.norm(regression_constants(X, y).w_star)), 12)
    1.0
    """
    n = check_int(n, "n", 1)
    d = check_int(d, "d", 1)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number >= 0, got {type(noise).__name__}.")
    if noise < 0 or not np.isfinite(noise):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    rng = check_random_state(0 if rng is None else rng)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + noise * rng.standard_normal(n)
    if normalize:
        y = y / np.linalg.norm(regression_constants(X, y).w_star)
    return X, y


def sharpness_lower_bound(X, y, n_layers):
    """The lower bound :math:`S_{\\min} = 2La\\|w^\\star\\|^{2-2/L}` on the sharpness of minimizers.

    For the risk :math:`R(W) = \\|y - Xw_W\\|^2/n` of a depth-``L`` linear network (any
    width, plain or residual with a unit ``head``), every global minimizer has largest Hessian
    eigenvalue at least this value.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (``n >= d``, :math:`X^\\top X` invertible).
    y : array_like, shape (n,)
        Targets.
    n_layers : int
        Number of trainable layers :math:`L \\ge 1`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`regression_constants`, or if ``n_layers < 1``.

    Examples
    --------
    >>> sharpness_lower_bound(np.eye(2), [1.0, 0.0], n_layers=3)
    3.0
    """
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    c = regression_constants(X, y)
    return 2.0 * n_layers * c.a * float(np.linalg.norm(c.w_star)) ** (2.0 - 2.0 / n_layers)


def critical_step(X, y, n_layers):
    """The step size :math:`2/S_{\\min}` above which no minimizer is stable for GD.

    Parameters
    ----------
    X, y, n_layers
        As in :func:`sharpness_lower_bound`.

    Returns
    -------
    float
        :math:`2/S_{\\min} = 1/(La\\|w^\\star\\|^{2-2/L})`.

    Examples
    --------
    >>> critical_step(np.eye(2), [1.0, 0.0], n_layers=4)
    0.5
    """
    return 2.0 / sharpness_lower_bound(X, y, n_layers)


# ----------------------------------------------------------------------------------------------
# initializations
# ----------------------------------------------------------------------------------------------
def gaussian_init(d, n_layers, scale, width=None, rng=None):
    """Small-scale Gaussian initialization: every entry i.i.d. :math:`\\mathcal N(0, s^2)`.

    Parameters
    ----------
    d : int
        Input dimension.
    n_layers : int
        Number of layers :math:`L \\ge 1`.
    scale : float
        Standard deviation :math:`s` of every entry.
    width : int, optional
        Hidden width (default ``d``).
    rng : numpy.random.Generator or int, optional
        Random generator or seed.

    Returns
    -------
    list of ndarray
        ``[W_1, ..., W_L]`` with shapes ``(width, d), (width, width), ..., (1, width)``
        (``(1, d)`` when ``n_layers == 1``).

    Examples
    --------
    >>> [W.shape for W in gaussian_init(5, 3, 0.1, rng=0)]
    [(5, 5), (5, 5), (1, 5)]
    """
    d = check_int(d, "d", 1)
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    scale = check_positive(scale, "scale")
    width = d if width is None else check_int(width, "width", 1)
    rng = check_random_state(rng)
    dims = [d] + [width] * (n_layers - 1) + [1]
    return [scale * rng.standard_normal((dims[k + 1], dims[k])) for k in range(n_layers)]


def residual_init(d, n_layers, scale, rng=None):
    """Residual initialization :math:`W_k = I_d + \\frac{s}{\\sqrt{Ld}}G_k` with a fixed unit head.

    Parameters
    ----------
    d : int
        Input dimension (all layers are ``d x d``).
    n_layers : int
        Number of trainable layers :math:`L \\ge 1`.
    scale : float
        :math:`s \\ge 0`; ``0`` gives exactly the identity.
    rng : numpy.random.Generator or int, optional
        Random generator or seed.

    Returns
    -------
    weights : list of ndarray
        ``L`` matrices of shape ``(d, d)``.
    head : ndarray, shape (1, d)
        The fixed, untrained projection :math:`u^\\top` (Gaussian, normalized to unit norm).

    Examples
    --------
    >>> weights, head = residual_init(3, 4, 0.0, rng=0)
    >>> bool(np.allclose(weights[0], np.eye(3))), round(float(np.linalg.norm(head)), 12)
    (True, 1.0)
    """
    d = check_int(d, "d", 1)
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale >= 0 \
            or not np.isfinite(scale):
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}.")
    rng = check_random_state(rng)
    head = rng.standard_normal((1, d))
    head /= np.linalg.norm(head)
    c = scale / math.sqrt(n_layers * d)
    weights = [np.eye(d) + c * rng.standard_normal((d, d)) for _ in range(n_layers)]
    return weights, head


def balanced_rank_one(w, n_layers, width=None, directions=None):
    """The balanced rank-one network :math:`W_k = \\|w\\|^{1/L} v_{k+1}v_k^\\top` (product ``w``).

    :math:`v_1 = w/\\|w\\|`, :math:`v_{L+1} = 1` and :math:`v_2, \\dots, v_L` unit vectors of
    :math:`\\mathbb R^{\\rm width}` (default: the first basis vector). All layers have the
    same Frobenius norm :math:`\\|w\\|^{1/L}`, are rank one, and consecutive singular
    vectors are aligned. With ``w`` the least-squares solution this is a global minimizer
    whose sharpness is :func:`balanced_rank_one_sharpness`.

    Parameters
    ----------
    w : array_like, shape (d,)
        Target end-to-end vector (non-zero).
    n_layers : int
        Number of layers :math:`L \\ge 1`.
    width : int, optional
        Hidden width (default ``d``).
    directions : sequence of array_like, optional
        ``n_layers - 1`` hidden unit directions :math:`v_2, \\dots, v_L` (normalized here).

    Returns
    -------
    list of ndarray

    Examples
    --------
    >>> weights = balanced_rank_one([3.0, 4.0], n_layers=3)
    >>> end_to_end(weights).round(12)
    array([3., 4.])
    """
    w = check_vector(w, name="w")
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    d = w.shape[0]
    width = d if width is None else check_int(width, "width", 1)
    nrm = float(np.linalg.norm(w))
    if nrm == 0:
        raise ValueError("w must be non-zero (the rank-one factorization of 0 is not unique).")
    if directions is not None and (isinstance(directions, (str, bytes)) or not hasattr(
            directions, "__len__")):
        raise TypeError("directions must be a sequence of n_layers - 1 vectors, got "
                        f"{type(directions).__name__}.")
    if directions is None:
        e = np.zeros(width)
        e[0] = 1.0
        directions = [e] * (n_layers - 1)
    if len(directions) != n_layers - 1:
        raise ValueError(f"directions must hold n_layers - 1 = {n_layers - 1} vectors, "
                         f"got {len(directions)}.")
    vs = [w / nrm]
    for j, v in enumerate(directions):
        v = check_vector(v, width, name=f"directions[{j}]", length_of="units of the width")
        if np.linalg.norm(v) == 0:
            raise ValueError(f"directions[{j}] is zero; pass non-zero vectors.")
        vs.append(v / np.linalg.norm(v))
    vs.append(np.ones(1))
    c = nrm ** (1.0 / n_layers)
    return [c * np.outer(vs[k + 1], vs[k]) for k in range(n_layers)]


def balanced_rank_one_sharpness(X, y, n_layers):
    """Closed-form sharpness of the balanced rank-one minimizer (:func:`balanced_rank_one`).

    At that minimizer the Hessian is :math:`2J^\\top\\Sigma J` with
    :math:`JJ^\\top = \\|w^\\star\\|^{2-2/L}(I + (L-1)v_1v_1^\\top)`, so

    .. math::

        S_{\\rm bal} = 2\\|w^\\star\\|^{2-2/L}\\lambda_{\\max}\\big(\\Sigma^{1/2}(I + (L-1)
        v_1v_1^\\top)\\Sigma^{1/2}\\big) \\in [S_{\\min}, S_{\\min} + 2\\Lambda
        \\|w^\\star\\|^{2-2/L}],

    independent of the width and of the hidden directions.

    Parameters
    ----------
    X, y, n_layers
        As in :func:`sharpness_lower_bound`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(balanced_rank_one_sharpness(np.eye(2), [1.0, 0.0], n_layers=3), 12)  # Sigma = I/2
    3.0
    """
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    c = regression_constants(X, y)
    nrm = float(np.linalg.norm(c.w_star))
    v1 = c.w_star / nrm
    evals, evecs = np.linalg.eigh(c.Sigma)
    root = (evecs * np.sqrt(evals)) @ evecs.T
    M = root @ (np.eye(v1.size) + (n_layers - 1) * np.outer(v1, v1)) @ root
    return 2.0 * nrm ** (2.0 - 2.0 / n_layers) * float(np.linalg.eigvalsh(M)[-1])


# ----------------------------------------------------------------------------------------------
# the product chain: forward, gradient, Hessian-vector products (batched over leading axes)
# ----------------------------------------------------------------------------------------------
def _check_weights(weights, d=None, head=None, *, scalar_output=True):
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError("weights must be a list [W_1, ..., W_L] of 2-D arrays.")
    if len(weights) < 1:
        raise ValueError("weights is empty; a network needs at least one layer.")
    Ws = [check_matrix(W, f"weights[{k}]") for k, W in enumerate(weights)]
    if d is not None and Ws[0].shape[1] != d:
        raise ValueError(f"shape mismatch: weights[0] (W_1) has {Ws[0].shape[1]} columns but "
                         f"X has d = {d} columns; W_1 must have shape (width, d).")
    for k in range(1, len(Ws)):
        if Ws[k].shape[1] != Ws[k - 1].shape[0]:
            raise ValueError(
                f"shape mismatch: weights[{k}] has shape {Ws[k].shape} but weights[{k - 1}] "
                f"has {Ws[k - 1].shape[0]} rows; consecutive layers must chain "
                "(W_{k+1}.shape[1] == W_k.shape[0]).")
    if not scalar_output:
        return Ws, None
    if head is None:
        if Ws[-1].shape[0] != 1:
            raise ValueError(f"the last layer has shape {Ws[-1].shape}; it must have one row "
                             "(shape (1, width)), or pass a head of shape (1, width).")
        return Ws, None
    head = np.asarray(check_matrix(head, "head"))
    if head.shape != (1, Ws[-1].shape[0]):
        raise ValueError(f"head must have shape (1, {Ws[-1].shape[0]}) to match the last "
                         f"layer, got {head.shape}.")
    return Ws, head


def _forward(Ws, head):
    """Prefix products B[k] = W_k ... W_1 (B[0] = I) and suffix rows A[k] (batched)."""
    L = len(Ws)
    d = Ws[0].shape[-1]
    B = [np.eye(d)]
    for k in range(L):
        B.append(Ws[k] @ B[k])
    A = [None] * (L + 1)  # A[k] = head W_L ... W_{k+1}, row of width h_k (k = 1..L)
    A[L] = np.ones((1, 1)) if head is None else head
    for k in range(L - 1, 0, -1):
        A[k] = A[k + 1] @ Ws[k]
    P = B[L] if head is None else head @ B[L]
    return B, A, P


def _grad_from(B, A, g, L):
    return [np.swapaxes(A[k + 1], -1, -2) @ g @ np.swapaxes(B[k], -1, -2) for k in range(L)]


def _hvp(Ws, head, Vs, Sigma, g, B, A):
    """Hessian-vector products; Vs may carry extra leading (batch) axes."""
    L = len(Ws)
    dB = [None]
    dB.append(Vs[0])  # dB[1] = V_1 B_0 = V_1
    for k in range(1, L):
        dB.append(Vs[k] @ B[k] + Ws[k] @ dB[k])
    dP = dB[L] if head is None else head @ dB[L]
    dg = 2.0 * dP @ Sigma
    dA = [None] * (L + 1)
    dA[L] = None
    for k in range(L - 1, 0, -1):
        term = A[k + 1] @ Vs[k]
        dA[k] = term if dA[k + 1] is None else dA[k + 1] @ Ws[k] + term
    out = []
    T = np.swapaxes
    for k in range(L):
        # layer index k corresponds to W_{k+1}: A[k+1], B[k], dA[k+1], dB[k]
        Ak = T(A[k + 1], -1, -2)
        Bk = T(B[k], -1, -2)
        H = Ak @ dg @ Bk
        if dA[k + 1] is not None:
            H = H + T(dA[k + 1], -1, -2) @ g @ Bk
        if dB[k] is not None:
            H = H + Ak @ g @ T(dB[k], -1, -2)
        out.append(H)
    return out


def _stats(X, y):
    n = X.shape[0]
    return X.T @ X / n, X.T @ y / n


def end_to_end(weights, head=None):
    """The end-to-end vector :math:`w_W = (u^\\top W_L\\cdots W_1)^\\top` of a network.

    Parameters
    ----------
    weights : list of ndarray
        ``[W_1, ..., W_L]``.
    head : array_like, shape (1, width), optional
        Fixed head of the residual form.

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> end_to_end([np.eye(2), np.array([[1.0, 2.0]])])
    array([1., 2.])
    """
    Ws, head = _check_weights(weights, head=head)
    return _forward(Ws, head)[2][0]


def risk(X, y, weights, head=None):
    """The risk :math:`R(W) = \\frac1n\\|y - Xw_W\\|^2` (mean squared error, no 1/2).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    weights : list of ndarray
        ``[W_1, ..., W_L]``.
    head : array_like, shape (1, width), optional

    Returns
    -------
    float

    Examples
    --------
    >>> risk(np.eye(2), [1.0, 1.0], [np.array([[1.0, 0.0]])])
    0.5
    """
    X, y = _check_data(X, y, overdetermined=False)
    Ws, head = _check_weights(weights, X.shape[1], head)
    r = y - X @ _forward(Ws, head)[2][0]
    return float(r @ r) / X.shape[0]


def risk_gradient(X, y, weights, head=None):
    """Risk and its exact gradient with respect to every layer.

    Parameters
    ----------
    X, y, weights, head
        As in :func:`risk`.

    Returns
    -------
    loss : float
    grads : list of ndarray
        :math:`\\partial R/\\partial W_k = A_k^\\top g B_k^\\top`, same shapes as ``weights``.

    Examples
    --------
    >>> loss, grads = risk_gradient(np.eye(2), [1.0, 1.0], [np.array([[1.0, 0.0]])])
    >>> grads[0]
    array([[ 0., -1.]])
    """
    X, y = _check_data(X, y, overdetermined=False)
    Ws, head = _check_weights(weights, X.shape[1], head)
    B, A, P = _forward(Ws, head)
    r = y - X @ P[0]
    g = (-2.0 / X.shape[0]) * (X.T @ r)[None, :]
    return float(r @ r) / X.shape[0], _grad_from(B, A, g, len(Ws))


def hessian_vector_product(X, y, weights, directions, head=None):
    """Exact Hessian-vector product :math:`\\nabla^2R(W)[V]` (second derivative of the chain).

    Parameters
    ----------
    X, y
        As in :func:`risk`.
    weights : list of ndarray
        ``[W_1, ..., W_L]``.
    directions : list of ndarray
        ``[V_1, ..., V_L]`` with the shapes of ``weights``; each may carry the same extra
        leading axes (a batch of directions, e.g. shape ``(m, *W_k.shape)``).
    head
        As in :func:`risk`.

    Returns
    -------
    list of ndarray
        The product, with the shapes of ``directions``.

    Examples
    --------
    >>> W = [np.array([[1.0, 0.0]])]   # one layer: Hessian 2 Sigma
    >>> hessian_vector_product(np.eye(2), [1.0, 1.0], W, [np.array([[1.0, 0.0]])])[0]
    array([[1., 0.]])
    """
    X, y = _check_data(X, y, overdetermined=False)
    Ws, head = _check_weights(weights, X.shape[1], head)
    if isinstance(directions, np.ndarray) or not isinstance(directions, (list, tuple)):
        raise TypeError("directions must be a list of arrays, one per layer (shaped like "
                        f"weights), got {type(directions).__name__}.")
    if len(directions) != len(Ws):
        raise ValueError(f"directions must hold {len(Ws)} arrays (one per layer), "
                         f"got {len(directions)}.")
    Vs = [as_real_array(V, f"directions[{k}]", "an array") for k, V in enumerate(directions)]
    for k, (V, W) in enumerate(zip(Vs, Ws, strict=True)):
        if V.shape[-2:] != W.shape or V.shape[:-2] != Vs[0].shape[:-2]:
            raise ValueError(f"directions[{k}] has shape {V.shape}; expected {W.shape} "
                             "(with the same leading batch axes for every layer).")
    return _hvp_data(Ws, head, Vs, X, y)


def _hvp_data(Ws, head, Vs, X, y):
    Sigma, b = _stats(X, y)
    B, A, P = _forward(Ws, head)
    g = 2.0 * (P @ Sigma - b[None, :])
    return _hvp(Ws, head, Vs, Sigma, g, B, A)


def flatten(weights):
    """Concatenate the layers (row-major) into one parameter vector.

    Parameters
    ----------
    weights : list of ndarray

    Returns
    -------
    ndarray, shape (p,)

    Examples
    --------
    >>> flatten([np.eye(2), np.ones((1, 2))])
    array([1., 0., 0., 1., 1., 1.])
    """
    Ws, _ = _check_weights(weights, scalar_output=False)
    return np.concatenate([W.ravel() for W in Ws])


def unflatten(vector, shapes):
    """Inverse of :func:`flatten` for the given layer shapes.

    Parameters
    ----------
    vector : array_like, shape (..., p)
        One or a batch of parameter vectors.
    shapes : list of tuple
        Layer shapes.

    Returns
    -------
    list of ndarray
        Layers of shape ``(..., *shape)``.

    Examples
    --------
    >>> [W.shape for W in unflatten(np.arange(6.0), [(2, 2), (1, 2)])]
    [(2, 2), (1, 2)]
    """
    vector = as_real_array(vector, "vector", "an array")
    if vector.ndim == 0:
        raise ValueError("vector must have at least one dimension (the parameters).")
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, (list, tuple)) or not all(
            isinstance(s, (tuple, list)) and all(isinstance(k, numbers.Integral) and k >= 0
                                                 for k in s) for s in shapes):
        raise TypeError("shapes must be a list of shape tuples of non-negative integers, e.g. "
                        f"[(2, 3), (1, 2)], got {shapes!r}.")
    sizes = [int(np.prod(s)) for s in shapes]
    if vector.shape[-1] != sum(sizes):
        raise ValueError(f"vector has {vector.shape[-1]} entries but the shapes need "
                         f"{sum(sizes)}.")
    out, start = [], 0
    for s, size in zip(shapes, sizes, strict=True):
        out.append(vector[..., start:start + size].reshape(vector.shape[:-1] + tuple(s)))
        start += size
    return out


def hessian(X, y, weights, head=None):
    """The dense Hessian of the risk in the flattened parameters (see :func:`flatten`).

    Built column by column from exact Hessian-vector products, all columns in one batched pass.

    Parameters
    ----------
    X, y, weights, head
        As in :func:`risk`.

    Returns
    -------
    ndarray, shape (p, p)
        Symmetric matrix.

    Examples
    --------
    >>> hessian(np.eye(2), [1.0, 1.0], [np.array([[1.0, 0.0]])])  # 2 Sigma
    array([[1., 0.],
           [0., 1.]])
    """
    X, y = _check_data(X, y, overdetermined=False)
    Ws, head = _check_weights(weights, X.shape[1], head)
    shapes = [W.shape for W in Ws]
    p = sum(W.size for W in Ws)
    Hcols = _hvp_data(Ws, head, unflatten(np.eye(p), shapes), X, y)
    H = np.concatenate([h.reshape(p, -1) for h in Hcols], axis=1)
    return 0.5 * (H + H.T)


def sharpness(X, y, weights, head=None, *, method="auto", tol=1e-12):
    """The sharpness :math:`S(W) = \\lambda_{\\max}(\\nabla^2 R(W))` (largest, not largest-modulus).

    Parameters
    ----------
    X, y, weights, head
        As in :func:`risk`.
    method : {"auto", "dense", "lanczos"}
        ``"dense"`` forms the Hessian (:func:`hessian`) and calls ``numpy.linalg.eigvalsh``;
        ``"lanczos"`` runs ``scipy.sparse.linalg.eigsh`` (implicitly restarted Lanczos,
        ``which="LA"``) on exact Hessian-vector products; ``"auto"`` uses dense for at most
        ``DENSE_MAX_PARAMS`` parameters.
    tol : float
        Relative tolerance of the Lanczos eigenvalue.

    Returns
    -------
    float

    Examples
    --------
    >>> X, y = regression_data(20, 3, rng=1)
    >>> W = balanced_rank_one(regression_constants(X, y).w_star, n_layers=4)
    >>> bool(np.isclose(sharpness(X, y, W), balanced_rank_one_sharpness(X, y, 4)))
    True
    """
    X, y = _check_data(X, y, overdetermined=False)
    tol = check_positive(tol, "tol")
    Ws, head = _check_weights(weights, X.shape[1], head)
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}.")
    p = sum(W.size for W in Ws)
    if method == "dense" or (method == "auto" and p <= DENSE_MAX_PARAMS) or p < 3:
        return float(np.linalg.eigvalsh(hessian(X, y, Ws, head))[-1])
    shapes = [W.shape for W in Ws]
    Sigma, b = _stats(X, y)
    B, A, P = _forward(Ws, head)
    g = 2.0 * (P @ Sigma - b[None, :])

    def matvec(v):
        return flatten(_hvp(Ws, head, unflatten(np.ravel(v), shapes), Sigma, g, B, A))

    op = scipy.sparse.linalg.LinearOperator((p, p), matvec=matvec, dtype=float)
    v0 = np.random.default_rng(0).standard_normal(p)
    try:
        val = scipy.sparse.linalg.eigsh(op, k=1, which="LA", tol=tol, v0=v0,
                                        return_eigenvectors=False)
    except scipy.sparse.linalg.ArpackNoConvergence:
        if method == "lanczos":
            raise
        return float(np.linalg.eigvalsh(hessian(X, y, Ws, head))[-1])
    return float(val[0])


# ----------------------------------------------------------------------------------------------
# diagnostics
# ----------------------------------------------------------------------------------------------
def singular_value_ratios(weights):
    """Ratio :math:`s_2/s_1` of the two largest singular values of every layer.

    A small ratio means the layer is nearly rank one. Layers with a single row or column
    (rank one by shape, such as the last layer) get ratio 0.

    Parameters
    ----------
    weights : list of ndarray
        Layers of a plain or residual network.

    Returns
    -------
    ndarray, shape (L,)

    Examples
    --------
    >>> singular_value_ratios([np.diag([2.0, 1.0]), np.ones((1, 2))])
    array([0.5, 0. ])
    """
    Ws, _ = _check_weights(weights, scalar_output=False)
    out = []
    for W in Ws:
        s = np.linalg.svd(W, compute_uv=False)
        out.append(float(s[1] / s[0]) if s.size > 1 and s[0] > 0 else 0.0)
    return np.array(out)


def alignment(weights):
    """Alignment :math:`|\\langle v_{k+1}, u_k\\rangle|` of consecutive top singular vectors.

    :math:`u_k` is the top left singular vector of :math:`W_k` and :math:`v_{k+1}` the top
    right singular vector of :math:`W_{k+1}`; a value 1 means the output direction of layer
    :math:`k` is the input direction of layer :math:`k+1`.

    Parameters
    ----------
    weights : list of ndarray

    Returns
    -------
    ndarray, shape (L - 1,)
        Values in :math:`[0, 1]`.

    Examples
    --------
    >>> alignment(balanced_rank_one([1.0, 2.0, 2.0], n_layers=3)).round(12)
    array([1., 1.])
    """
    Ws, _ = _check_weights(weights, scalar_output=False)
    svds = [np.linalg.svd(W) for W in Ws]
    return np.array([abs(float(svds[k + 1][2][0] @ svds[k][0][:, 0]))
                     for k in range(len(Ws) - 1)])


# ----------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------
@dataclass
class TrainingResult:
    """Result of :func:`gradient_descent` and :func:`gradient_flow`.

    Attributes
    ----------
    weights : list of ndarray
        Final layers.
    head : ndarray or None
        The fixed head (residual form) or None.
    w : ndarray, shape (d,)
        Final end-to-end vector.
    steps : ndarray
        Iterations (gradient descent) or times (gradient flow) at which ``loss`` and
        ``distance`` were recorded.
    loss : ndarray
        Risk :math:`R(W)` at ``steps``.
    distance : ndarray
        :math:`\\|w_W - w^\\star\\|_2` at ``steps``.
    sharpness_steps : ndarray
        Iterations (or times) at which the sharpness was computed.
    sharpness : ndarray
        :math:`S(W)` at ``sharpness_steps``.
    n_iter : int
        Iterations performed (gradient descent) or accepted integrator steps (gradient flow).
    converged : bool
        Whether the excess risk :math:`R(W) - R(w^\\star)` fell below the tolerance.
    diverged : bool
        Whether the iterates blew up (gradient descent only; training then stopped).
    step : float or None
        Step size (None for gradient flow).
    n_fev : int
        Risk-gradient evaluations: ``n_iter + 1`` for gradient descent (one per step and the
        final point), the integrator's right-hand-side evaluations for gradient flow.
    message : str
        What stopped the run.
    """

    weights: list
    head: np.ndarray | None
    w: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    distance: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray
    n_iter: int
    converged: bool
    diverged: bool
    step: float | None
    n_fev: int = 0
    message: str = ""


def _excess(P, Sigma, w_star):
    e = P[..., 0, :] - w_star
    return np.einsum("...i,ij,...j->...", e, Sigma, e)


def gradient_descent(X, y, weights, step, max_iter=10_000, head=None, *, tol=1e-12,
                     record_every=1, sharpness_every=0, stop_at_convergence=True,
                     on_divergence="raise"):
    """Full-batch gradient descent :math:`W_k \\leftarrow W_k - \\eta\\,\\partial R/\\partial W_k`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (``n >= d``, :math:`X^\\top X` invertible).
    y : array_like, shape (n,)
        Targets.
    weights : list of ndarray
        Initial layers ``[W_1, ..., W_L]`` (not modified).
    step : float
        Step size :math:`\\eta`.
    max_iter : int
        Maximum number of steps.
    head : array_like, shape (1, width), optional
        Fixed head of the residual form.
    tol : float
        Converged when the excess risk :math:`R(W) - R(w^\\star) =
        (w_W - w^\\star)^\\top\\Sigma(w_W - w^\\star)` is at most ``tol``.
    record_every : int
        Record loss and distance every this many steps.
    sharpness_every : int
        Compute the exact sharpness every this many steps (0: only at the start and the end).
    stop_at_convergence : bool
        Stop as soon as converged (else run all ``max_iter`` steps). When True and the
        excess risk has not reached ``tol`` after ``max_iter`` steps, a
        :class:`~implicit_bias.exceptions.ConvergenceWarning` is issued.
    on_divergence : {"raise", "flag"}
        ``"raise"`` (default): raise :class:`~implicit_bias.exceptions.DivergenceError` when
        the iterates blow up; ``"flag"``: stop and return the result with ``diverged=True``
        (for studies of divergence, e.g. the edge of stability).

    Returns
    -------
    TrainingResult

    Examples
    --------
    >>> X, y = regression_data(50, 5, rng=0)
    >>> res = gradient_descent(X, y, gaussian_init(5, 3, 0.5, rng=0), 0.05, 5000)
    >>> bool(res.converged), bool(res.sharpness[-1] >= sharpness_lower_bound(X, y, 3))
    (True, True)
    """
    c = regression_constants(X, y)
    X, y = _check_data(X, y)
    Ws, head = _check_weights(weights, X.shape[1], head)
    lr = check_positive(step, "step")
    max_iter = check_int(max_iter, "max_iter", 0)
    if on_divergence not in ("raise", "flag"):
        raise ValueError(f"on_divergence must be 'raise' or 'flag', got {on_divergence!r}.")
    tol = check_positive(tol, "tol")
    record_every = check_int(record_every, "record_every", 1)
    sharpness_every = check_int(sharpness_every, "sharpness_every", 0)
    Sigma, b = _stats(X, y)
    Ws = [W.copy() for W in Ws]
    L = len(Ws)
    steps, losses, dists, s_steps, s_vals = [], [], [], [], []
    diverged = converged = False
    loss0 = None
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            B, A, P = _forward(Ws, head)
            excess = float(_excess(P, Sigma, c.w_star))
            loss = c.min_risk + excess
            if loss0 is None:
                loss0 = loss
            if not np.isfinite(loss) or loss > 1e8 * max(loss0, 1.0):
                diverged = True
                if on_divergence == "raise":
                    raise DivergenceError(
                        f"gradient descent diverged at step {k} (risk {loss:.3g}, step "
                        f"{lr:.3g}); use a smaller step, e.g. step={lr / 2:.3g}, or "
                        "on_divergence='flag' to study the divergence.")
                steps.append(k)
                losses.append(loss)
                dists.append(float(np.linalg.norm(P[0] - c.w_star)))
                break
            converged = excess <= tol
            done = k >= max_iter or (converged and stop_at_convergence)
            if k % record_every == 0 or done:
                steps.append(k)
                losses.append(loss)
                dists.append(float(np.linalg.norm(P[0] - c.w_star)))
            if (sharpness_every and k % sharpness_every == 0) or k == 0 or done:
                s_steps.append(k)
                s_vals.append(sharpness(X, y, Ws, head))
            if done:
                break
            g = 2.0 * (P @ Sigma - b[None, :])
            grads = _grad_from(B, A, g, L)
            for j in range(L):
                Ws[j] -= lr * grads[j]
            k += 1
    if diverged:
        s_steps.append(k)
        s_vals.append(np.nan)
    P = _forward(Ws, head)[2]
    if diverged:
        message = f"diverged at step {k} (risk {losses[-1]:.3g}); use a smaller step"
    elif converged:
        message = f"the excess risk reached tol = {tol:g} after {k} steps"
    else:
        message = f"the excess risk did not reach tol = {tol:g} in max_iter = {max_iter} steps"
        if stop_at_convergence:
            warnings.warn(f"gradient_descent: {message}; increase max_iter or the step.",
                          ConvergenceWarning, stacklevel=2)
    return TrainingResult(Ws, head, P[0].copy(), np.array(steps), np.array(losses),
                          np.array(dists), np.array(s_steps), np.array(s_vals), k,
                          bool(converged and not diverged), diverged, lr, n_fev=k + 1,
                          message=message)


class _BudgetExceeded(Exception):
    pass


def gradient_flow(X, y, weights, t_max, head=None, *, n_eval=200, rtol=1e-9, atol=1e-12,
                  tol=1e-12, sharpness_points=5, max_nfev=100_000):
    """Gradient flow :math:`\\dot W_k = -\\partial R/\\partial W_k`, integrated by DOP853.

    Parameters
    ----------
    X, y : array_like
        Data (``n >= d``, :math:`X^\\top X` invertible).
    weights : list of ndarray
        Initial layers.
    t_max : float
        Final time.
    head : array_like, shape (1, width), optional
        Fixed head of the residual form.
    n_eval : int
        Number of (log-spaced after ``t = 0``) recording times.
    rtol, atol : float
        Tolerances of ``scipy.integrate.solve_ivp``.
    tol : float
        ``converged`` is set when the final excess risk is at most ``tol``.
    sharpness_points : int
        Number of recording times (evenly spread, including the last) at which the sharpness
        is computed.
    max_nfev : int
        Budget of right-hand-side evaluations; exceeding it raises
        :class:`~implicit_bias.exceptions.NotConvergedError` instead of running for a very
        long time (e.g. a large ``t_max`` past the edge of stability of the explicit
        integrator).

    Returns
    -------
    TrainingResult
        ``steps`` holds the times; ``n_iter`` the number of accepted integrator steps,
        ``n_fev`` the number of right-hand-side evaluations.

    Raises
    ------
    NotConvergedError
        If the integrator fails or exceeds ``max_nfev``.

    Examples
    --------
    >>> X, y = regression_data(20, 2, rng=0)
    >>> res = gradient_flow(X, y, gaussian_init(2, 2, 0.3, rng=0), t_max=200.0)
    >>> bool(res.converged)
    True
    """
    c = regression_constants(X, y)
    X, y = _check_data(X, y)
    Ws, head = _check_weights(weights, X.shape[1], head)
    t_max = check_positive(t_max, "t_max")
    n_eval = check_int(n_eval, "n_eval", 2)
    sharpness_points = check_int(sharpness_points, "sharpness_points", 1)
    rtol = check_positive(rtol, "rtol")
    atol = check_positive(atol, "atol")
    tol = check_positive(tol, "tol")
    max_nfev = check_int(max_nfev, "max_nfev", 1)
    count = [0]
    Sigma, b = _stats(X, y)
    shapes = [W.shape for W in Ws]
    L = len(Ws)

    def rhs(_t, theta):
        count[0] += 1
        if count[0] > max_nfev:
            raise _BudgetExceeded
        Wt = unflatten(theta, shapes)
        B, A, P = _forward(Wt, head)
        g = 2.0 * (P @ Sigma - b[None, :])
        return -flatten(_grad_from(B, A, g, L))

    t_eval = np.concatenate([[0.0], np.geomspace(t_max * 1e-4, t_max, n_eval - 1)])
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            sol = scipy.integrate.solve_ivp(rhs, (0.0, t_max), flatten(Ws), method="DOP853",
                                            t_eval=t_eval, rtol=rtol, atol=atol,
                                            dense_output=True)
    except _BudgetExceeded:
        raise NotConvergedError(
            f"gradient_flow: more than max_nfev={max_nfev} right-hand-side evaluations before "
            f"t_max={t_max:g}; use a smaller t_max, or raise max_nfev.") from None
    if sol.status != 0:
        raise NotConvergedError(f"gradient_flow: the integration failed: {sol.message}")
    if not np.all(np.isfinite(sol.y)):
        raise NotConvergedError("gradient_flow: the integrated path is not finite.")
    losses, dists = [], []
    for theta in sol.y.T:
        P = _forward(unflatten(theta, shapes), head)[2]
        losses.append(c.min_risk + float(_excess(P, Sigma, c.w_star)))
        dists.append(float(np.linalg.norm(P[0] - c.w_star)))
    idx = np.unique(np.linspace(0, len(sol.t) - 1, sharpness_points + 1).round().astype(int)[1:])
    idx = np.concatenate([[0], idx]) if 0 not in idx else idx
    s_vals = [sharpness(X, y, unflatten(sol.y[:, i], shapes), head) for i in idx]
    final = unflatten(sol.y[:, -1], shapes)
    P = _forward(final, head)[2]
    return TrainingResult(final, head, P[0].copy(), sol.t, np.array(losses), np.array(dists),
                          sol.t[idx], np.array(s_vals), _accepted_steps(sol),
                          bool(losses[-1] - c.min_risk <= tol), False, None,
                          n_fev=int(sol.nfev), message=str(sol.message))


def _accepted_steps(sol):
    """Accepted steps of the integrator (the breakpoints of its dense output)."""
    return int(len(sol.sol.ts) - 1)


# ----------------------------------------------------------------------------------------------
# step-size sweep (batched over step sizes and repetitions)
# ----------------------------------------------------------------------------------------------
@dataclass
class StepSweep:
    """Result of :func:`step_sweep` for one number of layers.

    Attributes
    ----------
    n_layers : int
    steps : ndarray, shape (k,)
        The ``k`` step sizes.
    distance : ndarray, shape (k, n_repeats)
        Final :math:`\\|w_W - w^\\star\\|` (``inf`` for diverged runs).
    diverged : ndarray of bool, shape (k, n_repeats)
    success : ndarray of bool, shape (k, n_repeats)
        Final excess risk at most ``tol`` (training found a minimizer).
    critical_step : float
        :math:`2/S_{\\min}` for this number of layers.
    """

    n_layers: int
    steps: np.ndarray
    distance: np.ndarray
    diverged: np.ndarray
    success: np.ndarray
    critical_step: float


def step_sweep(X, y, n_layers, steps, *, init="residual", scale=0.25, n_repeats=4, n_iter=1000,
               tol=1e-8, rng=None):
    """Run gradient descent for every step size and repetition at once (batched).

    Parameters
    ----------
    X, y : array_like
        Data (``n >= d``).
    n_layers : int
        Number of layers :math:`L \\ge 1`.
    steps : array_like
        Positive step sizes.
    init : {"residual", "gaussian"}
        Initialization (:func:`residual_init` or :func:`gaussian_init` with width ``d``).
    scale : float
        Its scale parameter.
    n_repeats : int
        Independent initializations per step size (the same ones for every step size).
    n_iter : int
        Number of iterations (no early stop).
    tol : float
        A run succeeds when its final excess risk is at most ``tol``.
    rng : None, int or numpy.random.Generator, optional
        Randomness of the initializations (an int is a seed; None: fresh entropy).

    Returns
    -------
    StepSweep

    Examples
    --------
    >>> X, y = regression_data(50, 5, rng=0)
    >>> sw = step_sweep(X, y, 4, [0.05, 0.5], n_repeats=2, n_iter=400, rng=0)
    >>> sw.success.all(axis=1).tolist()
    [True, False]
    """
    c = regression_constants(X, y)
    X, y = _check_data(X, y)
    n_layers = check_depth(n_layers, minimum=1, name="n_layers")
    lrs = np.atleast_1d(as_real_array(steps, "steps", "a 1-D array"))
    if lrs.ndim != 1 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError("steps must be a 1-D array of positive finite numbers.")
    if init not in ("residual", "gaussian"):
        raise ValueError(f"init must be 'residual' or 'gaussian', got {init!r}.")
    n_repeats = check_int(n_repeats, "n_repeats", 1)
    n_iter = check_int(n_iter, "n_iter", 1)
    scale = check_positive(scale, "scale")
    tol = check_positive(tol, "tol")
    rng = check_random_state(rng)
    d = X.shape[1]
    inits = []
    for _ in range(n_repeats):
        if init == "residual":
            inits.append(residual_init(d, n_layers, scale, rng))
        else:
            inits.append((gaussian_init(d, n_layers, scale, rng=rng), None))
    nl = lrs.size
    # batch axes: (number of step sizes, n_repeats)
    Ws = [np.broadcast_to(np.stack([w[k] for w, _ in inits]), (nl, n_repeats)
                          + inits[0][0][k].shape).copy() for k in range(n_layers)]
    head = None
    if init == "residual":
        head = np.stack([h for _, h in inits])[None]  # (1, n_repeats, 1, d)
    Sigma, b = _stats(X, y)
    eta = lrs[:, None, None, None]
    alive = np.ones((nl, n_repeats), dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_iter):
            B, A, P = _forward(Ws, head)
            g = 2.0 * (P @ Sigma - b)
            bad = ~np.all(np.isfinite(P), axis=(-1, -2)) | (np.abs(P).max(axis=(-1, -2)) > 1e6)
            alive &= ~bad
            g = np.where(alive[..., None, None], g, 0.0)
            grads = _grad_from(B, A, g, n_layers)
            for j in range(n_layers):
                Ws[j] -= eta * np.nan_to_num(grads[j])
        P = _forward(Ws, head)[2]
        excess = _excess(P, Sigma, c.w_star)
        alive &= np.isfinite(excess) & (np.abs(P).max(axis=(-1, -2)) <= 1e6)
        dist = np.where(alive, np.linalg.norm(P[..., 0, :] - c.w_star, axis=-1), np.inf)
    success = alive & (np.nan_to_num(excess, nan=np.inf) <= tol)
    return StepSweep(n_layers, lrs, dist, ~alive, success,
                             2.0 / sharpness_lower_bound(X, y, n_layers))
