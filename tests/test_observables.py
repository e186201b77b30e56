"""Envelope of an oscillation: exact on a damped cosine, errors on bad input."""
import numpy as np
import pytest

from ionmotion.observables import envelope_mismatch, window_max


def test_envelope_of_a_damped_cosine_is_its_decay():
    t = np.linspace(0.0, 30.0, 30001)
    x = np.exp(-t / 10.0) * np.cos(2 * np.pi * t)      # period 1: each 2-unit window holds peaks
    c, env = window_max(t, x, 2.0)
    assert c.size == 15
    # the largest |x| of a window is at its first peak (t = window start), to sampling precision
    np.testing.assert_allclose(env, np.exp(-(c - 1.0) / 10.0), rtol=1e-6)


def test_mismatch_measures_a_relative_amplitude_error():
    t = np.linspace(0.0, 20.0, 4001)
    ref = np.exp(-t / 8.0) * np.sin(3 * t)
    assert envelope_mismatch(t, ref, t, ref, 2.0) == 0.0
    assert envelope_mismatch(t, ref, t, 1.1 * ref, 2.0) == pytest.approx(0.1, rel=1e-9)
    late = np.where(t >= 10.0, 1.3, 1.0) * ref
    assert envelope_mismatch(t, ref, t, late, 2.0, t_from=10.0) == pytest.approx(0.3, rel=1e-9)
    assert envelope_mismatch(t, ref, t, late, 2.0, t_from=0.0) < 0.3


@pytest.mark.parametrize("args, match", [
    ((np.arange(5.0), np.arange(4.0), 1.0), "same length"),
    ((np.array([0.0, 2.0, 1.0]), np.zeros(3), 0.5), "increasing"),
    ((np.arange(5.0), np.zeros(5), 10.0), "at most the time span"),
    ((np.arange(5.0), np.zeros(5), 0.5), "sampling interval"),
    ((np.arange(5.0), np.zeros(5), -1.0), "width"),
])
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        window_max(*args)


def test_window_average_of_a_line_is_its_midpoint_value():
    from ionmotion.observables import window_average
    t = np.linspace(0.0, 10.0, 1001)
    assert window_average(t, 3.0 + 2.0 * t, 2.0, 4.0) == pytest.approx(3.0 + 2.0 * 2.995, rel=1e-12)
    for args in ((t, t[:-1], 0.0, 1.0), (t, t, 2.0, 2.0), (t, t, 20.0, 30.0)):
        with pytest.raises(ValueError):
            window_average(*args)


def test_max_log_slope_of_a_power_law_with_a_jump():
    from ionmotion.observables import max_log_slope
    x = np.geomspace(1.0, 10.0, 30)
    assert max_log_slope(x, x**3) == pytest.approx(3.0, rel=1e-10)
    y = x**3 * np.where(x > 5, 100.0, 1.0)
    assert max_log_slope(x, y) > 20
    with pytest.raises(ValueError):
        max_log_slope(x, -y)
