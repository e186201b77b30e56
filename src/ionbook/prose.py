"""Chapter output that is neither a figure nor a check: numbers glued into the prose and
equations displayed one per line.

The chapters are notebooks executed by papermill and rendered by myst-nb. A number computed in a
hidden cell reaches the text through ``{glue:text}`name:.3f```; :func:`put` stores it as a plain
Python float (myst-nb cannot format the repr of a ``numpy.float64`` with a format spec).
:func:`show` displays a list of equations aligned at their first ``&``, one per line, so that no
display is wider than the page.
"""


def put(name, value):
    """Glue a computed number for the prose of the chapter being executed.

    Parameters
    ----------
    name : str
        The glue key the text refers to (``{glue:text}`name```).
    value : float
        Any real number (Python, numpy scalar or 0-d array); stored as a Python float.

    Raises
    ------
    ValueError
        If `name` is empty or `value` is not a real number.
    """
    from myst_nb import glue

    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"value of {name!r} must be a real number, got {value!r}") from None
    glue(name, number, display=False)


def aligned(*lines):
    r"""LaTeX of an ``aligned`` block with one equation per line (the text of :func:`show`).

    Parameters
    ----------
    *lines : str
        LaTeX equations, each with at most one alignment point ``&``.

    Returns
    -------
    str
        ``\begin{aligned} line1 \\ line2 ... \end{aligned}``.

    Raises
    ------
    ValueError
        If no line is given.
    """
    if not lines:
        raise ValueError("lines: at least one equation is needed")
    return r"\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}"


def show(*lines):
    """Display equations one per line, aligned at their first ``&`` (see :func:`aligned`)."""
    from IPython.display import Math, display

    display(Math(aligned(*lines)))
