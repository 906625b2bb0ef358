"""hhdyn — a dynamical-systems workbench for the Hodgkin–Huxley model and its reductions."""
from .channels import Channel
from .gates import Gate
from .model import ConductanceModel, Instantaneous, LinearInGate
from .params import Params
from .protocol import ODEModel, finite_difference_jacobian
from .rates import ConstantRate, ExpLinearRate, ExpRate, FunctionRate, InfTauRate, SechRate, SigmoidRate, TanhRate
from .neurons import MORRIS_LECAR_SETS, MorrisLecar, WangBuzsaki
from .squid import HodgkinHuxley, HodgkinHuxley1952, squid_gates, to_1952_voltage, to_modern_voltage
from .simulation import SimulationError, Trajectory, UnstableStartWarning, simulate
from .spikes import SpikeDetector, VoltageConvention
from .batch import BatchResult, simulate_batch
from . import stimuli

from .equations import EquationError, EquationModel, equations
from .xpp import OdeFileError, read_ode, to_ode
from .model_files import ModelFileError, load_model, save_model

__version__ = "0.1.0"  # the one place of the version (pyproject.toml reads it)
