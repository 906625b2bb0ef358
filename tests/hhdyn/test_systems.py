"""Derived systems (hhdyn.systems) integrated by hhdyn.simulate, checked on a linear system against
the matrix exponential: x(t) = e^{At} x0, Φ(t, 0) = e^{At}, Z(t) = e^{−Aᵀ(t − T)} Z(T)."""
import numpy as np
import pytest
from scipy.linalg import expm

from hhdyn.protocol import ODEModel
from hhdyn.simulation import simulate
from hhdyn.systems import AdjointAlong, Reversed, Stacked, Variational

A = np.array([[-0.3, 1.2], [-0.8, -0.1]])


class Linear(ODEModel):
    state_names = ("x", "y")

    def __init__(self):
        super().__init__({"I_ext": 0.0})

    def rhs(self, y, params=None):
        return np.tensordot(A, y, axes=1)

    def jacobian(self, y, params=None):
        return A.copy()


TOL = dict(method="DOP853", rtol=1e-11, atol=1e-12, t_eval=np.empty(0))


def test_variational_gives_the_fundamental_matrix():
    model, x0, T = Linear(), np.array([1.0, -0.5]), 3.0
    system = Variational(model)
    x, Phi = system.split(simulate(system, T, y0=system.initial(x0), **TOL).y_final)
    np.testing.assert_allclose(Phi, expm(A * T), atol=1e-9)
    np.testing.assert_allclose(x, expm(A * T) @ x0, atol=1e-9)


def test_reversed_runs_back_to_the_start():
    model, x0, T = Linear(), np.array([1.0, -0.5]), 2.0
    xT = simulate(model, T, y0=x0, **TOL).y_final
    back = simulate(Reversed(model), T, y0=xT, **TOL).y_final
    np.testing.assert_allclose(back, x0, atol=1e-9)
    np.testing.assert_allclose(Reversed(model).jacobian(x0), -A)


def test_adjoint_along_an_orbit_backward():
    model, x0, T = Linear(), np.array([1.0, -0.5]), 2.0
    orbit = simulate(model, T, y0=x0, dense_output=True, **TOL).sol
    ZT = np.array([0.7, 0.2])
    z = simulate(Reversed(AdjointAlong(model, orbit)), T, y0=np.concatenate([[T], ZT]), **TOL).y_final
    assert z[0] == pytest.approx(0.0, abs=1e-12)  # the carried time ran from T back to 0
    np.testing.assert_allclose(z[1:], expm(A.T * T) @ ZT, atol=1e-9)  # Z(0) = e^{AᵀT} Z(T)


def test_stacked_copies_and_bad_input():
    model = Linear()
    stacked = Stacked(model, 3)
    Y = np.arange(6.0)
    np.testing.assert_allclose(stacked.rhs(Y).reshape(2, 3), A @ Y.reshape(2, 3))
    J = stacked.jacobian(Y)
    np.testing.assert_allclose(J[np.ix_([0, 3], [0, 3])], A)
    with pytest.raises(ValueError, match="K"):
        Stacked(model, 0)

    class NoJacobian:
        name, state_names, n_states, params = "bare", ("x",), 1, {}

    with pytest.raises(ValueError, match="no jacobian"):
        Variational(NoJacobian())
    with pytest.raises(ValueError, match="callable"):
        AdjointAlong(model, None)
