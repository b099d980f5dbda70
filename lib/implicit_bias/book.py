"""Seeds for the book's notebooks: one root seed per chapter, overridable from the environment.

Every chapter draws its random instances from seeds returned here. Without the environment
variable ``BOOK_SEED`` a chapter gets its own fixed default, so the rendered book does not
change between builds. With ``BOOK_SEED=s`` (an integer ``s >= 0``) every chapter draws other
instances, and ``make test-seeds`` runs every notebook that way: the hidden checks must hold
for any seed, which is how the book makes sure that its claims are not properties of one
lucky draw.
"""

from __future__ import annotations

import os

__all__ = ["BOOK_SEED_VARIABLE", "book_seed", "book_seeds"]

BOOK_SEED_VARIABLE = "BOOK_SEED"

# With BOOK_SEED = s, the instance seeds are s * _STRIDE + k: disjoint sets for different s
# as long as a chapter draws fewer than _STRIDE instances.
_STRIDE = 1000


def _env_seed():
    raw = os.environ.get(BOOK_SEED_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"the environment variable {BOOK_SEED_VARIABLE}={raw!r} is not an integer; "
            f"set it to a non-negative integer such as {BOOK_SEED_VARIABLE}=1, or unset it."
        ) from None
    if value < 0:
        raise ValueError(
            f"the environment variable {BOOK_SEED_VARIABLE}={value} is negative; "
            "set it to a non-negative integer, or unset it."
        )
    return value


def _check_default(default, name):
    if isinstance(default, bool) or not isinstance(default, int) or default < 0:
        raise TypeError(f"{name} must be a non-negative int, got {default!r}.")
    return default


def book_seed(default):
    """Return the root seed of a chapter.

    Parameters
    ----------
    default : int
        The chapter's fixed seed, used when ``BOOK_SEED`` is not set (the rendered book).

    Returns
    -------
    int
        ``BOOK_SEED`` if it is set, else ``default``.

    Raises
    ------
    ValueError
        If ``BOOK_SEED`` is set but is not a non-negative integer.

    Examples
    --------
    >>> import os
    >>> os.environ.pop("BOOK_SEED", None) and None
    >>> book_seed(7)
    7
    """
    default = _check_default(default, "default")
    env = _env_seed()
    return default if env is None else env


def book_seeds(n, default_start=0):
    """Return the seeds of a chapter's ``n`` random instances.

    Parameters
    ----------
    n : int
        How many instances the chapter draws (at most 1000).
    default_start : int, optional
        Without ``BOOK_SEED`` the seeds are ``default_start, ..., default_start + n - 1``.

    Returns
    -------
    list of int
        ``n`` distinct seeds. With ``BOOK_SEED = s`` they are ``1000 s, ..., 1000 s + n - 1``,
        so different values of ``s`` give disjoint sets of instances.

    Examples
    --------
    >>> import os
    >>> os.environ.pop("BOOK_SEED", None) and None
    >>> book_seeds(3)
    [0, 1, 2]
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _STRIDE:
        raise ValueError(f"n must be an int from 1 to {_STRIDE}, got {n!r}.")
    default_start = _check_default(default_start, "default_start")
    env = _env_seed()
    start = default_start if env is None else env * _STRIDE
    return list(range(start, start + n))
