"""NeuroML2 channels and single-compartment cells, read into and written from hhdyn models.

Needs libNeuroML (``pip install hhdyn[neuroml]``); it is imported only when these functions run.

Reading (:func:`read_channels`, :func:`read_neuroml`):

* ``ionChannelHH`` (or ``ionChannel``) with gates ``gateHHrates`` — forward/reverse rates of
  type ``HHExpRate`` r = rate·exp((V − midpoint)/scale), ``HHSigmoidRate``
  r = rate/(1 + exp(−(V − midpoint)/scale)), ``HHExpLinearRate`` r = rate·x/(1 − exp(−x)) with
  x = (V − midpoint)/scale — and ``gateHHtauInf`` — steady state ``HHSigmoidVariable``/
  ``HHExpVariable``/``HHExpLinearVariable`` and a ``fixedTimeCourse`` τ — become
  :class:`~hhdyn.gates.Gate` objects (``instances`` is the power); ``q10Settings`` of type
  ``q10ExpTemp`` set the gate's q10 and T_ref (experimentalTemp);
* ``ionChannelPassive`` (no gates) is a leak;
* a ``cell`` whose ``membraneProperties`` hold ``channelDensity`` elements (condDensity, erev)
  and a ``specificCapacitance`` becomes a :class:`~hhdyn.model.ConductanceModel` (a single
  compartment: densities are per area, so the morphology does not enter); the temperature is
  the first network's ``temperature`` (default 6.3 °C).

Units are converted to mV, ms, mS/cm², µF/cm², 1/ms. Anything else (other gate or rate types,
``q10Fixed``, Nernst/GHK densities, segment-specific values…) is refused with an error naming
the file, the line and the component.

Writing (:func:`write_neuroml`) uses libNeuroML's builders: each gated channel an
``ionChannelHH``, the leak an ``ionChannelPassive``, and a one-segment ``cell`` with the channel
densities, the capacitance and the resting potential, plus a network carrying the temperature.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["read_neuroml", "read_channels", "write_neuroml", "NeuroMLError"]


class NeuroMLError(ValueError):
    """A NeuroML file that cannot be imported; the message names the file, line and component."""


def _neuroml():
    try:
        import neuroml
        import neuroml.loaders
        import neuroml.writers
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("NeuroML support needs libNeuroML: pip install 'hhdyn[neuroml]'") from None
    return neuroml


# --------------------------------------------------------------------------- units
_UNITS = {
    "voltage": {"mV": 1.0, "V": 1000.0, "uV": 1e-3},
    "rate": {"per_ms": 1.0, "per_s": 1e-3, "Hz": 1e-3, "kHz": 1.0},
    "time": {"ms": 1.0, "s": 1000.0, "us": 1e-3},
    "density": {"mS_per_cm2": 1.0, "S_per_cm2": 1000.0, "S_per_m2": 0.1, "mS_per_m2": 1e-4, "uS_per_cm2": 1e-3},
    "capacitance": {"uF_per_cm2": 1.0, "F_per_m2": 100.0, "pF_per_um2": 100.0},
    "temperature": {"degC": 1.0},
    "none": {"": 1.0},
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z_0-9]*)\s*$")


class _Reader:
    def __init__(self, path):
        self.path = Path(path)
        self._lines = {}

    def locate(self, ident) -> str:
        line = self._lines.get(ident)
        return f"{self.path}:{line}" if line else f"{self.path}"

    def error(self, ident, message):
        return NeuroMLError(f"{self.locate(ident)}: {message}")

    def value(self, text, kind, ident, what):
        m = _QUANTITY.match(str(text)) if text is not None else None
        if m is None:
            raise self.error(ident, f"{what} of {ident!r}: cannot read the quantity {text!r}")
        number, unit = float(m.group(1)), m.group(2)
        scale = _UNITS[kind].get(unit)
        if scale is None:
            raise self.error(ident, f"{what} of {ident!r}: unit {unit!r} is not supported "
                             f"(use one of {', '.join(u or 'none' for u in _UNITS[kind])})")
        return number * scale

    def load(self):
        """(libNeuroML document); XML errors name the line."""
        from lxml import etree

        neuroml = _neuroml()
        try:
            tree = etree.parse(str(self.path))
        except OSError as exc:
            raise NeuroMLError(f"{self.path}: cannot read the file ({exc})") from None
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else "?"
            raise NeuroMLError(f"{self.path}:{line}: malformed XML ({exc.msg})") from None
        for el in tree.iter():
            ident = el.get("id")
            if ident is not None and ident not in self._lines:
                self._lines[ident] = el.sourceline
        root = tree.getroot()
        if not str(root.tag).endswith("neuroml"):
            raise NeuroMLError(f"{self.path}:{root.sourceline}: the root element is <{root.tag}>, not <neuroml>")
        try:
            return neuroml.loaders.read_neuroml2_file(str(self.path))
        except Exception as exc:  # libNeuroML raises many kinds; name the file
            raise NeuroMLError(f"{self.path}: libNeuroML cannot read the document ({exc})") from None

    # ------------------------------------------------------------------ channels
    def rate(self, r, chan, gate, what):
        from .rates import ExpLinearRate, ExpRate, SigmoidRate

        ident = f"{chan}/{gate}"
        families = {"HHExpRate": ExpRate, "HHSigmoidRate": SigmoidRate, "HHExpLinearRate": ExpLinearRate,
                    "HHExpVariable": ExpRate, "HHSigmoidVariable": SigmoidRate, "HHExpLinearVariable": ExpLinearRate}
        if r is None:
            raise self.error(chan, f"channel {chan!r} gate {gate!r}: no {what}")
        cls = families.get(r.type)
        if cls is None:
            raise self.error(chan, f"channel {chan!r} gate {gate!r}: {what} of type {r.type!r} is not supported "
                             f"(supported: {', '.join(families)})")
        kind = "none" if r.type.endswith("Variable") else "rate"
        A = self.value(r.rate, kind, ident, what)
        return cls(A, self.value(r.midpoint, "voltage", ident, what), self.value(r.scale, "voltage", ident, what))

    def q10(self, gate_el, chan):
        q = getattr(gate_el, "q10_settings", None)
        if q is None:
            return 1.0, 6.3
        if q.type != "q10ExpTemp":
            raise self.error(chan, f"channel {chan!r} gate {gate_el.id!r}: q10Settings of type {q.type!r} are not "
                             "supported (only q10ExpTemp)")
        return float(q.q10_factor), self.value(q.experimental_temp, "temperature", chan, "experimentalTemp")

    def channel(self, ch):
        """(gates with powers) of one ionChannel / ionChannelHH."""
        from .gates import Gate
        from .rates import ConstantRate

        chan = ch.id
        for attr in ("gate_h_hrates_taus", "gate_h_hrates_infs", "gate_h_hrates_tau_infs",
                     "gate_hh_instantaneouses", "gate_fractionals"):
            items = getattr(ch, attr, None) or []
            if items:
                raise self.error(chan, f"channel {chan!r}: gate {items[0].id!r} of type "
                                 f"{type(items[0]).__name__} is not supported (gateHHrates, gateHHtauInf)")
        gates = []
        for g in list(getattr(ch, "gate_hh_rates", None) or []) + [
                g for g in (getattr(ch, "gates", None) or []) if getattr(g, "type", "gateHHrates") == "gateHHrates"]:
            q10, T_ref = self.q10(g, chan)
            gate = Gate(g.id, self.rate(g.forward_rate, chan, g.id, "forwardRate"),
                        self.rate(g.reverse_rate, chan, g.id, "reverseRate"), q10=q10, T_ref=T_ref)
            gates.append((gate, float(g.instances)))
        taus = list(getattr(ch, "gate_hh_tau_infs", None) or []) + [
            g for g in (getattr(ch, "gates", None) or []) if getattr(g, "type", None) == "gateHHtauInf"]
        for g in taus:
            q10, T_ref = self.q10(g, chan)
            tc = g.time_course
            if tc is None or tc.type != "fixedTimeCourse":
                raise self.error(chan, f"channel {chan!r} gate {g.id!r}: timeCourse of type "
                                 f"{getattr(tc, 'type', None)!r} is not supported (only fixedTimeCourse)")
            tau = self.value(tc.tau, "time", f"{chan}/{g.id}", "tau")
            gate = Gate.from_inf_tau(g.id, self.rate(g.steady_state, chan, g.id, "steadyState"), ConstantRate(tau),
                                     q10=q10, T_ref=T_ref)
            gates.append((gate, float(g.instances)))
        other = [g for g in (getattr(ch, "gates", None) or []) if getattr(g, "type", None) not in
                 ("gateHHrates", "gateHHtauInf")]
        if other:
            raise self.error(chan, f"channel {chan!r}: gate {other[0].id!r} of type {other[0].type!r} is not "
                             "supported (gateHHrates, gateHHtauInf)")
        return tuple(gates)

    def all_channels(self, doc):
        out = {}
        for ch in list(doc.ion_channel_hhs) + list(doc.ion_channel):
            kind = getattr(ch, "type", None)
            if kind not in (None, "ionChannelHH", "ionChannelPassive", "ionChannel"):
                raise self.error(ch.id, f"ion channel {ch.id!r} of type {kind!r} is not supported")
            out[ch.id] = self.channel(ch)
        unsupported = [a for a in ("ion_channel_v_shifts", "ion_channel_kses") if getattr(doc, a, None)]
        if unsupported:
            item = getattr(doc, unsupported[0])[0]
            raise self.error(item.id, f"ion channel {item.id!r} ({type(item).__name__}) is not supported")
        return out


def _identifier(name: str) -> str:
    out = re.sub(r"\W", "_", str(name))
    return out if out and not out[0].isdigit() else f"c_{out}"


def read_channels(path) -> dict:
    """The ion channels of a NeuroML2 file as ``{id: Channel}`` with g_max = 0 and E_rev = 0 (a
    channel's density and reversal potential belong to a cell; see :func:`read_neuroml`)."""
    from .channels import Channel

    reader = _Reader(path)
    doc = reader.load()
    return {cid: Channel(_identifier(cid), 0.0, 0.0, gates) for cid, gates in reader.all_channels(doc).items()}


def read_neuroml(path, cell: str | None = None):
    """The single-compartment :class:`~hhdyn.model.ConductanceModel` of a NeuroML2 ``cell``.

    ``cell`` picks one by id (default: the only/first). Channel names are the channel densities'
    ids (parameters ``g<id>``, ``E<id>``); a gate name used by two different gates is prefixed
    with its channel density's id.
    """
    from .channels import Channel
    from .gates import Gate
    from .model import ConductanceModel

    reader = _Reader(path)
    doc = reader.load()
    channels = reader.all_channels(doc)
    cells = list(doc.cells)
    if not cells:
        raise NeuroMLError(f"{reader.path}: no <cell> in the file (use hhdyn.neuroml.read_channels for channels)")
    if cell is not None:
        found = [c for c in cells if c.id == cell]
        if not found:
            raise NeuroMLError(f"{reader.path}: no cell {cell!r}; cells are {', '.join(c.id for c in cells)}")
        c = found[0]
    else:
        c = cells[0]
    bp = c.biophysical_properties
    mp = getattr(bp, "membrane_properties", None) if bp is not None else None
    if mp is None:
        raise reader.error(c.id, f"cell {c.id!r} has no biophysicalProperties/membraneProperties")
    for attr in ("channel_populations", "channel_density_v_shifts", "channel_density_nernsts",
                 "channel_density_ghks", "channel_density_ghk2s", "channel_density_non_uniforms",
                 "channel_density_non_uniform_nernsts", "channel_density_non_uniform_ghks"):
        items = getattr(mp, attr, None) or []
        if items:
            raise reader.error(items[0].id, f"cell {c.id!r}: {type(items[0]).__name__} {items[0].id!r} is not "
                               "supported (only channelDensity with a fixed erev)")
    caps = list(mp.specific_capacitances or [])
    if len(caps) > 1 or (caps and caps[0].segment_groups not in (None, "all")):
        raise reader.error(c.id, f"cell {c.id!r}: one specificCapacitance for all segments is needed")
    C = reader.value(caps[0].value, "capacitance", c.id, "specificCapacitance") if caps else 1.0
    T = 6.3
    nets = list(getattr(doc, "networks", None) or [])
    if nets and getattr(nets[0], "temperature", None):
        T = reader.value(nets[0].temperature, "temperature", nets[0].id, "temperature")
    used: dict[str, Gate] = {}
    built = []
    for d in mp.channel_densities or []:
        if d.segment_groups not in (None, "all") or d.segments:
            raise reader.error(d.id, f"channel density {d.id!r} applies to part of the cell "
                               "(segmentGroup/segment); only uniform single-compartment cells are supported")
        if d.ion_channel not in channels:
            raise reader.error(d.id, f"channel density {d.id!r} refers to ion channel {d.ion_channel!r}, "
                               "which the file does not define")
        gates = []
        for gate, power in channels[d.ion_channel]:
            if gate.name in used and used[gate.name] != gate:
                gate = Gate(f"{_identifier(d.id)}_{gate.name}", gate.alpha, gate.beta, gate.q10, gate.T_ref)
            used[gate.name] = gate
            gates.append((gate, power))
        g = reader.value(d.cond_density, "density", d.id, "condDensity")
        E = reader.value(d.erev, "voltage", d.id, "erev")
        built.append(Channel(_identifier(d.id), g, E, tuple(gates)))
    if not built:
        raise reader.error(c.id, f"cell {c.id!r} has no channelDensity")
    return ConductanceModel(built, C=C, T=T, name=c.id)


# --------------------------------------------------------------------------- writing
def _q(value: float, unit: str) -> str:
    return f"{float(value)!r}{unit}"


def _rate_element(neuroml, rate, cls, variable: bool, where: str):
    from .rates import ExpLinearRate, ExpRate, SigmoidRate

    names = {ExpRate: "HHExp", SigmoidRate: "HHSigmoid", ExpLinearRate: "HHExpLinear"}
    kind = names.get(type(rate))
    if kind is None:
        raise ValueError(f"{where}: rate {rate!r} has no NeuroML form (HHExpRate, HHSigmoidRate, HHExpLinearRate)")
    return cls(type=kind + ("Variable" if variable else "Rate"), rate=repr(float(rate.A)) if variable
               else _q(rate.A, "per_ms"), midpoint=_q(rate.V_half, "mV"), scale=_q(rate.k, "mV"))


def write_neuroml(model, path, *, cell_id: str | None = None) -> Path:
    """Write a :class:`~hhdyn.model.ConductanceModel` (all gates dynamic) as a NeuroML2 file.

    The file is written under a temporary name and moved into place (nothing half-written).
    """
    from .model import ConductanceModel
    from .rates import ConstantRate

    neuroml = _neuroml()
    if not isinstance(model, ConductanceModel):
        raise ValueError(f"write_neuroml writes ConductanceModel models, not {type(model).__name__}")
    if model.gate_forms:
        raise ValueError(f"{model.name}: gates {', '.join(model.gate_forms)} are not dynamic (a reduced model); "
                         "NeuroML export needs every gate as a state")
    p = model.params
    cell_id = cell_id or _identifier(model.name)
    doc = neuroml.NeuroMLDocument(id=cell_id)
    densities = []
    for ch in model.channels:
        if ch.gates:
            chan = neuroml.IonChannelHH(id=ch.name, conductance="10pS", species=ch.name.lower())
            for gate, power in ch.gates:
                where = f"channel {ch.name!r} gate {gate.name!r}"
                if gate.rate_scale is not None:
                    raise ValueError(f"{where}: its rates are scaled by parameter {gate.rate_scale!r}, which "
                                     "NeuroML's q10ExpTemp cannot say; fold the factor into the rates to export")
                if not float(power).is_integer():
                    raise ValueError(f"{where}: power {power} is not a whole number of instances")
                q10 = neuroml.Q10Settings(type="q10ExpTemp", q10_factor=repr(float(gate.q10)),
                                          experimental_temp=_q(gate.T_ref, "degC"))
                a = gate.alpha
                if hasattr(a, "x_inf") and hasattr(a, "tau"):
                    if type(a.tau) is not ConstantRate:
                        raise ValueError(f"{where}: only a constant tau has a NeuroML form (fixedTimeCourse)")
                    chan.gate_hh_tau_infs.append(neuroml.GateHHTauInf(
                        id=gate.name, instances=int(power), q10_settings=q10,
                        time_course=neuroml.HHTime(type="fixedTimeCourse", tau=_q(a.tau.A, "ms")),
                        steady_state=_rate_element(neuroml, a.x_inf, neuroml.HHVariable, True, where)))
                else:
                    chan.gate_hh_rates.append(neuroml.GateHHRates(
                        id=gate.name, instances=int(power), q10_settings=q10,
                        forward_rate=_rate_element(neuroml, gate.alpha, neuroml.HHRate, False, where),
                        reverse_rate=_rate_element(neuroml, gate.beta, neuroml.HHRate, False, where)))
            doc.ion_channel_hhs.append(chan)
        else:
            doc.ion_channel.append(neuroml.IonChannel(id=ch.name, type="ionChannelPassive", conductance="10pS"))
        densities.append(neuroml.ChannelDensity(id=ch.name, ion_channel=ch.name, cond_density=_q(p[ch.g_param], "mS_per_cm2"),
                                                erev=_q(p[ch.E_param], "mV"), ion=ch.name.lower()))
    rest = model.resting_state()
    soma = neuroml.Segment(id=0, name="soma", proximal=neuroml.Point3DWithDiam(x=0, y=0, z=0, diameter=10.0),
                           distal=neuroml.Point3DWithDiam(x=0, y=0, z=10.0, diameter=10.0))
    membrane = neuroml.MembraneProperties(
        channel_densities=densities,
        specific_capacitances=[neuroml.SpecificCapacitance(value=_q(p["C"], "uF_per_cm2"), segment_groups="all")],
        init_memb_potentials=[neuroml.InitMembPotential(value=_q(rest[0], "mV"), segment_groups="all")],
        spike_threshes=[neuroml.SpikeThresh(value="0mV", segment_groups="all")])
    intra = neuroml.IntracellularProperties(resistivities=[neuroml.Resistivity(value="0.03 kohm_cm",
                                                                               segment_groups="all")])
    cell = neuroml.Cell(id=cell_id, morphology=neuroml.Morphology(id="morphology", segments=[soma]),
                        biophysical_properties=neuroml.BiophysicalProperties(
                            id="biophys", membrane_properties=membrane, intracellular_properties=intra))
    doc.cells.append(cell)
    net = neuroml.Network(id="net", type="networkWithTemperature", temperature=_q(p["T"], "degC"))
    net.populations.append(neuroml.Population(id="pop", component=cell_id, size=1))
    doc.networks.append(net)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        neuroml.writers.NeuroMLWriter.write(doc, str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
