"""The interactive explorer, driven headless by synthetic matplotlib events."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import KeyEvent, MouseEvent  # noqa: E402

import hhdyn  # noqa: E402
from analysis.explorer import Explorer  # noqa: E402
from analysis.equilibria import fixed_points  # noqa: E402
from reductions import FitzHughNagumo, h_plus_n  # noqa: E402


def _mouse(canvas, kind, ax, x, y, button=1):
    px, py = ax.transData.transform((x, y))
    event = MouseEvent(kind, canvas, px, py, button=button)
    canvas.callbacks.process(kind, event)
    return event


@pytest.fixture
def explorer():
    ex = Explorer(h_plus_n(hhdyn.HodgkinHuxley()), xlim=(-85, 50), ylim=(0.25, 0.8), sliders={"gK": (20, 50)},
                  t_end=30.0)
    ex.figure.canvas.draw()
    yield ex
    plt.close(ex.figure)


def test_slider_drag_changes_I_ext_and_the_fixed_point(explorer):
    canvas = explorer.figure.canvas
    before = explorer.fixed_point_positions.copy()
    np.testing.assert_allclose(before, [[fixed_points(explorer.model)[0]["V"], fixed_points(explorer.model)[0]["n"]]])
    slider = explorer.sliders["I_ext"]
    _mouse(canvas, "button_press_event", slider.ax, 12.0, 0.5)
    _mouse(canvas, "button_release_event", slider.ax, 12.0, 0.5)
    assert explorer.params["I_ext"] == pytest.approx(12.0, abs=0.05)
    after = explorer.fixed_point_positions
    expected = fixed_points(explorer.model, {"I_ext": explorer.params["I_ext"]})[0]
    np.testing.assert_allclose(after, [[expected["V"], expected["n"]]], rtol=1e-12)
    assert after[0, 0] > before[0, 0] + 5.0  # rest depolarized by ~6 mV
    # the marker switched from filled (stable) to open (unstable): Hopf passed at I ≈ 8.9
    assert explorer.fixed_point_artists[0].get_fillstyle() == "none"
    assert "unstable focus" in explorer.ax_phase.get_title()


def test_second_slider_changes_its_parameter(explorer):
    explorer.sliders["gK"].set_val(30.0)
    assert explorer.params["gK"] == 30.0
    expected = fixed_points(explorer.model, {"gK": 30.0})[0]
    np.testing.assert_allclose(explorer.fixed_point_positions, [[expected["V"], expected["n"]]], rtol=1e-12)


def test_click_launches_a_trajectory_from_the_clicked_point(explorer):
    canvas = explorer.figure.canvas
    _mouse(canvas, "button_press_event", explorer.ax_phase, -50.0, 0.4)
    assert len(explorer.trajectories) == 1
    start, orbit = explorer.trajectories[0]
    assert start == pytest.approx((-50.0, 0.4), abs=1e-9)
    line, _ = explorer.trajectory_lines[0]
    assert line in explorer.ax_phase.lines
    assert line.get_xdata()[0] == pytest.approx(-50.0, abs=1e-9)
    assert line.get_ydata()[0] == pytest.approx(0.4, abs=1e-9)
    tline = explorer.time_lines[0]
    assert tline in explorer.ax_time.lines and tline.get_ydata()[0] == pytest.approx(-50.0, abs=1e-9)
    assert max(tline.get_ydata()) > 20.0  # from -50 mV at n = 0.4 the reduction fires
    # clicks outside the phase plane or with another button do nothing
    _mouse(canvas, "button_press_event", explorer.ax_time, 10.0, 0.0)
    _mouse(canvas, "button_press_event", explorer.ax_phase, -60.0, 0.5, button=3)
    assert len(explorer.trajectories) == 1
    # 'c' clears
    canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", canvas, "c"))
    assert explorer.trajectories == [] and not explorer.ax_time.lines


def test_slider_move_clears_stale_trajectories(explorer):
    explorer.launch(-50.0, 0.4)
    explorer.set_param("I_ext", 3.0)
    assert explorer.trajectories == []
    assert explorer.sliders["I_ext"].val == 3.0


def test_planar_non_conductance_model():
    ex = Explorer(FitzHughNagumo(), sliders=("a",))
    assert set(ex.sliders) == {"I_ext", "a"}
    ex.set_param("I_ext", 0.5)
    assert ex.fixed_point_artists[0].get_fillstyle() == "none"  # above the Hopf point
    plt.close(ex.figure)


def test_bad_input():
    model = h_plus_n(hhdyn.HodgkinHuxley())
    with pytest.raises(ValueError, match="sliders"):
        Explorer(model, sliders=("gX",))
    with pytest.raises(ValueError, match="sliders"):
        Explorer(model, sliders={"gK": (50, 20)})
    with pytest.raises(ValueError, match="others"):
        Explorer(hhdyn.HodgkinHuxley())
    with pytest.raises(ValueError, match="xlim"):
        Explorer(model, xlim=(0, 0))
    plt.close("all")


def test_invalid_slider_value_is_reported_not_raised():
    ex = Explorer(h_plus_n(hhdyn.HodgkinHuxley()), sliders={"C": (0.0, 2.0)})
    ex.sliders["C"].set_val(0.0)
    assert ex.params["C"] == 1.0  # unchanged
    assert "invalid C" in ex.ax_phase.get_title()
    plt.close(ex.figure)
