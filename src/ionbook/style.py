"""One look for every figure: a colour-blind-safe palette (Okabe–Ito), sizes that read in the
book's column, and sharp images.

:func:`use` is called once at the top of each chapter. In a notebook it also switches the inline
backend to "retina" PNGs: each figure is stored at twice its display resolution (200 dpi for
``figure.dpi`` = 100) with its display size in the output's metadata, so it is sharp on every
screen and in the PDF, shown at its intended size (never blown up), and the site links the image
to its full-resolution file (click to zoom). Figures are drawn on an opaque white background
(the inline backend's default is transparent), so they keep their contrast in dark mode and in
print.
"""
import matplotlib as mpl

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000"]

DISPLAY_DPI = 100
"""Display pixels per inch of a figure: a (6.4, 3.8) in figure is 640 px wide, about the column
of the book's pages at 1400 px; PNGs are written at twice this (retina)."""

RC = {
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": DISPLAY_DPI,
    "savefig.dpi": 2 * DISPLAY_DPI,
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    # sizes in points at 100 display px per inch: 10 pt labels are 14 px on screen and stay
    # above 10 px when a figure as wide as the column's 1.4 times is shrunk to fit
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "image.cmap": "cividis",
}


def _inline_retina():
    """Switch IPython's inline backend to retina PNGs (no-op outside a notebook kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    if ip is None or not hasattr(ip, "kernel"):
        return False
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return False
    set_matplotlib_formats("retina")
    return True


def use():
    """Apply the book's matplotlib style (call once at the top of a chapter)."""
    mpl.rcParams.update(RC)
    _inline_retina()
