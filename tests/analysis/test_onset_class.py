"""Excitability class from an F–I curve: the onset power-law fit on analytic data."""
from types import SimpleNamespace

import numpy as np
import pytest

from analysis import excitability_class, fit_onset_power_law


def curve(currents, rates, name="synthetic"):
    return SimpleNamespace(currents=np.asarray(currents, float), rate_up=np.asarray(rates, float), model_name=name)


def test_square_root_law_is_recovered_exactly():
    I_c, a = 0.16, 95.0
    currents = np.array([0.15, 0.1605, 0.162, 0.165, 0.17, 0.18])
    rates = np.where(currents > I_c, a * np.sqrt(np.clip(currents - I_c, 0, None)), 0.0)
    result = excitability_class(curve(currents, rates))
    assert result.excitability_class == 1
    assert result.exponent == pytest.approx(0.5, abs=1e-6)
    assert result.I_c == pytest.approx(I_c, abs=1e-8)
    assert result.amplitude == pytest.approx(a, rel=1e-5)
    assert result.onset_bracket == (0.15, 0.1605)
    assert "class 1" in result.message


def test_a_jump_to_a_finite_rate_is_class_2():
    currents = np.arange(5.0, 15.5, 0.5)
    rates = np.where(currents >= 10.0, 68.0 + 1.5 * (currents - 10.0), 0.0)
    result = excitability_class(curve(currents, rates))
    assert result.excitability_class == 2 and result.lowest_rate_hz == pytest.approx(68.0)
    assert result.onset_bracket == (9.5, 10.0)


def test_bad_curves():
    with pytest.raises(ValueError, match="no current .* fires"):
        excitability_class(curve([0, 1, 2], [0, 0, 0]))
    with pytest.raises(ValueError, match="start it below the onset"):
        excitability_class(curve([0, 1, 2], [3, 4, 5]))
    with pytest.raises(ValueError, match="bracket"):
        fit_onset_power_law([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], (1.5, 2.0))
