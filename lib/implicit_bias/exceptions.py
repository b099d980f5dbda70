"""Every exception and warning class raised by :mod:`implicit_bias`, in one place.

Bad input raises the built-in ``ValueError`` or ``TypeError`` with a message that names the
argument and the fix. Everything else the library raises is one of the classes here, so
``except implicit_bias.exceptions.ImplicitBiasError`` catches every failure of a computation.
They also derive from the built-in class a caller would expect (``RuntimeError``,
``FloatingPointError``), so existing ``except RuntimeError`` code keeps working.

The failure policy (``CONTRIBUTING.md``):

* a method that must converge for its answer to mean anything (``flow_limit``,
  ``basis_pursuit``, ``error_constant``, the integrators when they fail or exceed their
  evaluation budget) raises :class:`NotConvergedError`;
* an iterative method that merely stopped early (iteration cap, finite horizon, float64
  floor too high) returns its result with ``converged=False`` and a ``message`` and, where
  the caller asked for convergence, issues a :class:`ConvergenceWarning`;
* divergence (overflow, NaN, a blown-up loss) raises :class:`DivergenceError` (gradient
  descent of the deep linear network flags it instead when called with
  ``on_divergence="flag"``, for studies of divergence);
* failed trials of a parameter sweep raise :class:`SweepError`, which carries the table and
  the tracebacks.
"""

__all__ = [
    "ImplicitBiasError",
    "ConvergenceWarning",
    "DivergenceError",
    "NotConvergedError",
    "SweepError",
]


class ImplicitBiasError(Exception):
    """Base class of the errors raised by computations of :mod:`implicit_bias`."""


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before reaching its tolerance; see the result's flags."""


class DivergenceError(ImplicitBiasError, FloatingPointError):
    """Gradient descent diverged (overflow, NaN, or a loss that blew up); use a smaller step."""


class NotConvergedError(ImplicitBiasError, RuntimeError):
    """A solver that must converge to give a meaningful answer did not."""


class SweepError(ImplicitBiasError, RuntimeError):
    """One or more trials of :func:`implicit_bias.sweeps.run_sweep` raised.

    Attributes
    ----------
    table : pandas.DataFrame
        The complete table: one row per trial, results of the successful trials, and the
        message of the exception in the ``error`` column of the failed ones.
    failures : list of dict
        One entry per failed trial with keys ``params``, ``trial``, ``seed``, ``error`` (the
        message) and ``traceback`` (the formatted traceback from the worker).
    """

    def __init__(self, message, table=None, failures=None):
        super().__init__(message)
        self.table = table
        self.failures = [] if failures is None else failures
