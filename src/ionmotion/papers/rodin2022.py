"""rodin2022 (microscopic theory of ionic motion): the paper's choices for the mobility study.

rodin2022's Methods evaluate the "temperature-free" mobility of Eq. (47) over the region a
mobile ion can reach, the grid points farther than r_min from every framework ion, with r_min a
fixed fraction of the lattice constant per structure type. :func:`accessible_rmin` returns it
for :func:`ionmotion.mobility.distance_mask`. The derivation of Secs. II-IV itself is checked in
:mod:`ionmotion.derivation`; the drag and mobility tools are :mod:`ionmotion.mobility` and
:func:`ionmotion.lattice.isotropic_drag` (Eq. (43)).
"""
from .._validate import choice, positive

ACCESSIBLE_RMIN_FRACTION = {"rock-salt": 1.0 / 3.0, "alpha-AgI": 5.0 / 12.0}
"""r_min / a of rodin2022 Methods: a/3 for rock salts, 5a/12 for α-AgI."""


def accessible_rmin(structure, a):
    """The exclusion radius r_min (Å) of rodin2022 Methods for a structure with lattice
    constant a (Å).

    Parameters
    ----------
    structure : {"rock-salt", "alpha-AgI"}
    a : float
        Lattice constant in Å, > 0.

    Returns
    -------
    float
        r_min in Å, for :func:`ionmotion.mobility.distance_mask`.
    """
    choice("structure", structure, set(ACCESSIBLE_RMIN_FRACTION))
    return ACCESSIBLE_RMIN_FRACTION[structure] * positive("a", a)
