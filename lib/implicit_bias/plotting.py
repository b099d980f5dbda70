"""The book's one plotting style: colours, sizes and small helpers shared by every chapter.

Use it at the top of a notebook::

    from implicit_bias.plotting import use_book_style, depth_color
    use_book_style()

The style is applied through ``matplotlib.rcParams`` only; the backend is never touched (the
book's figures need the inline backend that Jupyter chooses).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from ._validation import check_depth

__all__ = ["BOOK_STYLE", "COLORS", "use_book_style", "depth_color", "add_slope", "new_figure"]

#: Colour-blind-safe palette (Okabe & Ito) used throughout the book.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7f7f7f",
}

_DEPTH_COLORS = {
    1: COLORS["grey"],
    2: COLORS["blue"],
    3: COLORS["orange"],
    4: COLORS["green"],
    5: COLORS["red"],
    6: COLORS["purple"],
}

#: rcParams of the book's style.
BOOK_STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "axes.prop_cycle": mpl.cycler(color=[COLORS[k] for k in
                                         ("blue", "orange", "green", "red", "purple", "sky")]),
}


def use_book_style():
    """Apply the book's matplotlib style (rcParams only; the backend is left alone).

    Returns
    -------
    None
        Nothing, so that a notebook cell ending with this call prints nothing; the style is
        in :data:`BOOK_STYLE`.

    Examples
    --------
    >>> use_book_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.grid"]
    True
    """
    mpl.rcParams.update(BOOK_STYLE)


def depth_color(depth):
    """The colour used for networks of depth ``depth`` in every figure of the book.

    Parameters
    ----------
    depth : int
        Network depth (1 to 6 have fixed colours; others cycle).

    Returns
    -------
    str
        A hex colour.

    Examples
    --------
    >>> depth_color(2)
    '#0072B2'
    """
    depth = check_depth(depth, minimum=1)
    if depth in _DEPTH_COLORS:
        return _DEPTH_COLORS[depth]
    palette = list(_DEPTH_COLORS.values())
    return palette[depth % len(palette)]


def new_figure(ncols=1, nrows=1, width=None, height=None, **kwargs):
    """Create a figure and axes with the book's default size per panel.

    Parameters
    ----------
    ncols, nrows : int
        Grid of panels.
    width, height : float, optional
        Overall size in inches (default 4.2 per column and 3.6 per row, at most 10 wide).
    **kwargs
        Passed on to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    (Figure, Axes or array of Axes)

    Examples
    --------
    >>> fig, ax = new_figure()
    """
    import matplotlib.pyplot as plt

    if width is None:
        width = min(10.0, 4.2 * ncols + 0.6)
    if height is None:
        height = 3.6 * nrows
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)


def add_slope(ax, x0, y0, slope, decades=2.0, label=None, **kwargs):
    """Draw a reference line of the given log-log slope through ``(x0, y0)``.

    Parameters
    ----------
    ax : matplotlib Axes
        Axes with logarithmic scales.
    x0, y0 : float
        A point on the line (data coordinates).
    slope : float
        Slope in log-log coordinates.
    decades : float
        How many decades of ``x`` the line spans, starting at ``x0`` towards smaller ``x``.
    label : str, optional
        Legend label.
    **kwargs
        Line properties (default: dashed grey).

    Returns
    -------
    matplotlib.lines.Line2D

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); ax.set_xscale("log"); ax.set_yscale("log")
    >>> line = add_slope(ax, 1e-2, 1e-3, 1.0)
    """
    kwargs.setdefault("color", COLORS["grey"])
    kwargs.setdefault("linestyle", "--")
    kwargs.setdefault("linewidth", 1.2)
    xs = np.array([x0 * 10.0 ** (-decades), x0])
    ys = y0 * (xs / x0) ** slope
    (line,) = ax.plot(xs, ys, label=label, **kwargs)
    return line
