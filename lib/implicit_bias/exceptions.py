"""Exceptions and warnings raised by :mod:`implicit_bias`."""

__all__ = ["ConvergenceWarning", "DivergenceError", "NotConvergedError"]


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before reaching its tolerance; see the result's flags."""


class DivergenceError(FloatingPointError):
    """Gradient descent diverged (overflow, NaN, or a loss that blew up); use a smaller step."""


class NotConvergedError(RuntimeError):
    """A solver that must converge to give a meaningful answer did not."""
