"""Input validation shared by the public functions of :mod:`implicit_bias`.

Every public function validates its arguments here, at the boundary, and raises a
``ValueError`` or ``TypeError`` whose message names the argument and says how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_matrix",
    "check_vector",
    "check_system",
    "check_depth",
    "check_alpha",
    "check_positive",
    "check_int",
]


def check_matrix(A, name: str = "A") -> np.ndarray:
    """Return ``A`` as a finite, 2-D float64 array or raise a clear error."""
    if isinstance(A, (str, bytes)) or A is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {type(A).__name__}.")
    try:
        arr = np.asarray(A, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 2-D array of real numbers ({exc}).") from None
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (a matrix of shape (m, N)), got an array with {arr.ndim} "
            f"dimension(s) and shape {arr.shape}; use np.atleast_2d for a single row."
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); it needs at least one row and column."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries; pass finite values only.")
    return arr


def check_vector(y, length: int | None = None, name: str = "y") -> np.ndarray:
    """Return ``y`` as a finite 1-D float64 array (of the given length) or raise."""
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be a 1-D array of real numbers, got {type(y).__name__}.")
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of real numbers ({exc}).") from None
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}.")
    if length is not None and arr.shape[0] != length:
        raise ValueError(
            f"shape mismatch: {name} has {arr.shape[0]} entries but A has {length} rows; "
            f"{name} must have one entry per row of A."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries; pass finite values only.")
    return arr


def check_system(A, y, *, require_full_row_rank: bool = True):
    """Validate a linear system ``A x = y`` that must have solutions.

    Returns ``(A, y)`` as float arrays. Raises ``ValueError`` if ``y`` is outside the range
    of ``A`` (no interpolator exists) or, when ``require_full_row_rank``, if ``A`` has
    linearly dependent rows.
    """
    A = check_matrix(A)
    y = check_vector(y, A.shape[0])
    m, n = A.shape
    if require_full_row_rank:
        # Cholesky of the row Gram matrix: cheap and detects dependent rows.
        scale = np.linalg.norm(A, axis=1)
        if np.any(scale == 0):
            raise ValueError(
                "A has an all-zero row; remove it (and the matching entry of y) or fix the data."
            )
        G = (A / scale[:, None]) @ (A / scale[:, None]).T
        ok = m <= n
        if ok:
            try:
                L = np.linalg.cholesky(G)  # numpy's LAPACK: see diagonal._F64.hess_factor
                d = np.diag(L) ** 2
                ok = d.min() > 1e-12 * d.max()
            except np.linalg.LinAlgError:
                ok = False
        if not ok:
            _raise_rank_error(A, y)
    return A, y


def _raise_rank_error(A, y):
    x, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = np.linalg.norm(A @ x - y)
    rank = np.linalg.matrix_rank(A)
    if res > 1e-8 * max(1.0, np.linalg.norm(y)):
        raise ValueError(
            f"y is not in the range of A (least-squares residual {res:.3g}): no interpolator "
            "x with A x = y exists, so the gradient flow cannot reach zero loss. Check the data "
            "or use a matrix with linearly independent rows."
        )
    raise ValueError(
        f"A is rank-deficient (rank {rank} < {A.shape[0]} rows). The system is consistent, "
        "but the dual problem is not strictly convex; drop the linearly dependent rows of A "
        "(and the matching entries of y), e.g. with scipy.linalg.qr(A.T, pivoting=True)."
    )


def check_depth(depth, *, minimum: int = 2, name: str = "depth") -> int:
    """Return ``depth`` as an int >= ``minimum`` or raise."""
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        if (not isinstance(depth, bool) and isinstance(depth, numbers.Real)
                and float(depth).is_integer()):
            depth = int(depth)
        else:
            raise TypeError(
                f"{name} must be an integer >= {minimum}, got {depth!r} "
                f"({type(depth).__name__}); non-integer depths are not supported."
            )
    depth = int(depth)
    if depth < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {depth}.")
    return depth


def check_alpha(alpha, name: str = "alpha") -> float:
    """Return the initialization scale as a positive finite float or raise."""
    return check_positive(alpha, name)


def check_positive(value, name: str) -> float:
    """Return ``value`` as a positive finite float or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
    return value


def check_int(value, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)
