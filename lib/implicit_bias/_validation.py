"""Input validation shared by the public functions of :mod:`implicit_bias`.

Every public function validates its arguments here, at the boundary, and raises a
``ValueError`` or ``TypeError`` whose message names the argument and says how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_real_array",
    "pow2_scale",
    "check_matrix",
    "check_vector",
    "check_system",
    "check_depth",
    "check_alpha",
    "check_positive",
    "check_int",
    "check_bool",
    "check_pair",
    "check_random_state",
]


def as_real_array(value, name: str, what: str) -> np.ndarray:
    """``value`` as a float64 array; refuse strings, None, complex and non-numeric entries.

    Complex input is refused (not cut to its real part): the library's problems are real.
    ``what`` describes the expected object in the message (e.g. "a 2-D array").
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what} of real numbers, got {type(value).__name__}.")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"{name} must be {what} of real numbers ({exc}).") from None
    if np.iscomplexobj(raw) or (raw.dtype == object and any(
            isinstance(v, complex) or type(v).__name__ in ("mpc",) for v in raw.ravel())):
        raise TypeError(
            f"{name} is complex; pass {what} of real numbers (the library does not cut complex "
            "input to its real part: pass x.real explicitly if that is what you mean).")
    if raw.dtype == object and any(v is None or isinstance(v, (str, bytes))
                                   for v in raw.ravel()):
        raise TypeError(f"{name} must be {what} of real numbers; it contains None or strings.")
    if raw.dtype.kind in "USV":
        raise TypeError(f"{name} must be {what} of real numbers, got dtype {raw.dtype}.")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be {what} of real numbers ({exc}).") from None


def pow2_scale(arr) -> float:
    """The power of two nearest to ``max |arr|`` (1.0 for an all-zero array).

    Dividing by it is exact in binary floating point, so functions that rescale their input
    internally (to make absolute solver tolerances relative) change no digits of a
    well-scaled problem.
    """
    top = float(np.max(np.abs(arr))) if np.size(arr) else 0.0
    if top == 0.0 or not np.isfinite(top):
        return 1.0
    return float(2.0 ** round(np.log2(top)))


def check_matrix(A, name: str = "A") -> np.ndarray:
    """Return ``A`` as a finite, 2-D float64 array or raise a clear error."""
    arr = as_real_array(A, name, "a 2-D array")
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


def check_vector(y, length: int | None = None, name: str = "y", *,
                 length_of: str = "rows of A") -> np.ndarray:
    """Return ``y`` as a finite 1-D float64 array (of the given length) or raise.

    ``length_of`` names what ``length`` counts, for the message (e.g. "columns of A",
    "rows of X", "entries of x").
    """
    arr = as_real_array(y, name, "a 1-D array")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}.")
    if length is not None and arr.shape[0] != length:
        raise ValueError(
            f"shape mismatch: {name} has {arr.shape[0]} entries but needs {length}, one for "
            f"each of the {length} {length_of}."
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
    # decide on the row-normalized system, so that the verdict does not depend on the scale
    # of A, of y or of single rows
    scale = np.linalg.norm(A, axis=1)
    An, yn = A / scale[:, None], y / scale
    x, *_ = np.linalg.lstsq(An, yn, rcond=None)
    res = float(np.linalg.norm(An @ x - yn))
    sv = np.linalg.svd(An, compute_uv=False)
    rank = int(np.sum(sv > max(An.shape) * np.finfo(float).eps * sv[0]))
    if res > 1e-8 * float(np.linalg.norm(yn)):
        raise ValueError(
            f"y is not in the range of A (relative least-squares residual "
            f"{res / float(np.linalg.norm(yn)):.3g} after normalizing the rows of A): no "
            "interpolator x with A x = y exists, so the gradient flow cannot reach zero loss. "
            "Check the data or use a matrix with linearly independent rows."
        )
    if rank == A.shape[0]:
        raise ValueError(
            f"A is ill-conditioned: its rows are linearly independent but nearly dependent "
            f"(condition number {sv[0] / sv[-1]:.3g} after normalizing the rows, above the "
            "limit 1e6 of the dual solvers). Drop or combine the nearly dependent rows of A "
            "(and the matching entries of y)."
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


def check_pair(value, name: str, what: str) -> tuple:
    """Unpack a pair of real arrays ``(a, b)`` (e.g. ``init=(u, v)``) or raise naming ``name``."""
    if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, (tuple, list)) \
            or len(value) != 2:
        raise TypeError(f"{name} must be a pair {what} (a tuple of two arrays), got "
                        f"{type(value).__name__}" + (f" of length {len(value)}" if isinstance(
                            value, (tuple, list)) else "") + ".")
    return tuple(as_real_array(v, f"{name}[{k}]", "an array") for k, v in enumerate(value))


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool (``True``/``False`` or numpy bools only) or raise."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__}).")


def check_random_state(rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from None, a non-negative int seed or a Generator.

    As scikit-learn's ``check_random_state``: None gives fresh entropy, an int ``k`` gives
    ``numpy.random.default_rng(k)`` (so an int reproduces the draws of the old ``seed=k``
    arguments), a Generator is returned as it is (draws advance its state). Anything else
    (booleans, floats, strings, legacy ``RandomState``) raises ``TypeError`` naming ``name``;
    a negative int raises ``ValueError``.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative int seed, got {rng}.")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be None, a non-negative int seed or a numpy.random.Generator, "
                    f"got {rng!r} ({type(rng).__name__}).")
