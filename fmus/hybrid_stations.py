"""The resolved hybrid cooler's actors on cold stations whose temperatures change (a cool-down):
the Stirling stage, the buffer volumes and the exchangers of Nellis & Maddocks, Cryogenics 43
(2003) 31-43 (seed 001) with their cold-end temperatures as inputs, and the heat each puts on its
station as an output.

Each is a subclass of the fixed-temperature actor (``fmus/stirling_stage.py``,
``fmus/buffer_volume.py``, ``fmus/hybrid_exchangers.py``), registered under its own model name,
so the scenarios that use those actors run exactly as before (``scenarios/hybrid_*.toml``): a new
input on the fixed-temperature actors would have to be connected or be noted as unconnected in
every one of them.  ``scenarios/hybrid_cooldown_resolved.toml`` couples them to two thermal
masses; ``fmus/hybrid_cooler.py`` is the cycle-averaged cooler they check.

Heat at a station whose temperature changes.  The paper's spaces are isothermal: a space at T
whose ports pass gas at T absorbs q = -V dp/dt (the stage's docstring).  With T changing, the
energy balance of such a space gains m c_p dT/dt, the sensible heat of its own gas; these actors
leave it out, as the cycle-averaged model does (its cyclic steady state has none): at a change of
T between steps the pressure follows the gas law at constant mass (p = m / C), and the heat over
the step is the isothermal one at the new T.  The gas's heat capacity (the cool-down scenarios'
charge is 0.34 g of helium: 1.8 J/K at constant pressure) is the error of both models against a
station that holds it.

The station temperatures are taken at the start of each step and held over it (also under a
coupling order above 0, where the parents take their flows as polynomials: a station's
temperature moves little over a step of the gas's).
"""
from __future__ import annotations

import math

from cryocosim import Input, Local, ModelError, Output, Parameter

from .buffer_volume import BufferVolume
from .hybrid_cooler import dead_temperature
from .hybrid_exchangers import HybridExchangers
from .properties.ideal_gas import ideal_gas
from .stirling_stage import StirlingStage

__all__ = ["StationStirlingStage", "StationBufferVolume", "StationHybridExchangers"]


def _variables(parent: tuple, replace: dict, drop: tuple = (), add: tuple = ()) -> tuple:
    """``parent``'s variables with those named in ``replace`` replaced, ``drop`` left out and
    ``add`` appended."""
    return tuple(replace.get(v.name, v) for v in parent if v.name not in drop) + add


def _temperature(actor, name: str, T: float) -> float:
    if not (T > 0.0 and math.isfinite(T)):
        raise ModelError(f"actor '{actor.name}': input '{name}' = {T!r} K must be positive")
    return T


class StationStirlingStage(StirlingStage):
    """The 2-piston isothermal Stirling stage (``stirling_stage``: seed eq. 1-12, 33-35) with its
    expansion space on a cold station at the temperature ``T_station`` (T_E, an input), its
    dead volume at T_D = 2 T_C T_E / (T_C + T_E) (:func:`cryocosim.fmus.hybrid_cooler.
    dead_temperature`, the rule that gives the paper's Fig. 5 set 135 K at 270 K / 90 K).

    The gas is charged at ``p_charge`` with T_E = ``T_expansion`` (at crank angle
    ``crank_angle_start``); then, at the start of each step, T_E takes the input's value, the
    capacity C(phi) = V_e/(R T_E) + V_c/(R T_C) + V_D/(R T_D) follows, and the pressure is
    p = m / C(phi) for the gas m in the stage, which changes only through the valves (eq. 11).
    ``heat_expansion``, the heat absorbed at T_E over the step, -V_e dp/dt at the step's T_E
    (the pressure's jump at a change of T_E is not heat: the module docstring), is what the
    stage takes from its station; its mean over a cycle at constant T_E is Q_E (eq. 33-34).
    """

    summary = "Stirling stage on a cold station: T_E an input, T_D by the rule, heat at T_E an output"
    variables = _variables(
        StirlingStage.variables,
        replace={"T_expansion": Parameter(
            "T_expansion", "K", 300.0, "expansion space temperature T_E at the charge (then the "
            "input T_station)", min=1e-3)},
        drop=("T_dead",),
        add=(Input("T_station", "K", 300.0, "temperature T_E of the cold station: expansion space, "
                   "valve ports, the regenerator's cold end"),
             Local("T_dead", "K", 200.0, "dead volume temperature T_D = 2 T_C T_E / (T_C + T_E)")))
    state_attributes = StirlingStage.state_attributes + ("_T", "_ce", "_c0")

    def setup(self) -> None:
        self.T_dead = dead_temperature(self.T_compression, self.T_expansion)
        super().setup()
        self._T = self.T_expansion

    def _retemper(self, T: float) -> None:
        """Expansion space (and dead volume) at T from now on: capacity and pressure at the
        stage's gas."""
        if T == self._T:
            return
        R = self._R
        T_D = dead_temperature(self.T_compression, _temperature(self, "T_station", T))
        self._ce = 0.5 * self.swept_volume_expansion / (R * T)
        self._c0 = self._ce + self._cc + self.dead_volume / (R * T_D)
        self.T_dead, self._T = T_D, T
        self._publish_state(self.mass)

    def initialize_outputs(self, t: float) -> None:
        self._retemper(self.T_station)

    def do_step(self, t: float, h: float) -> None:
        self._retemper(self.T_station)
        super().do_step(t, h)


class StationBufferVolume(BufferVolume):
    """The isothermal buffer volume (``buffer_volume``: seed eq. 13-16) at the temperature of its
    station, ``T_station`` (T_E, an input): p = m R T / V with the gas m changing only through
    the flows; charged at ``p_start`` with T = ``temperature``.

    ``heat_rejected``: the heat the gas gives up on the station, mean over the step: V dp/dt at
    constant T = R T (mdot_in - mdot_out) (gas entering and leaving at T); zero over a cycle of
    the cyclic steady state, it is what the buffer's gas releases as the station cools and the
    buffer fills.
    """

    summary = "Buffer volume on a cold station: its temperature an input, the heat it rejects an output"
    headline = ("p", "heat_rejected")
    variables = _variables(
        BufferVolume.variables,
        replace={"temperature": Parameter(
            "temperature", "K", 300.0, "gas temperature at the charge (then the input T_station)",
            min=1e-3)},
        add=(Input("T_station", "K", 300.0, "temperature of the station the buffer is on (T_E)"),
             Output("heat_rejected", "W", 0.0, "heat rejected on the station, R T (mdot_in - mdot_out)")))
    state_attributes = BufferVolume.state_attributes + ("_k", "_T")

    def setup(self) -> None:
        super().setup()
        self._R = ideal_gas(self)[0]
        self._T = self.temperature
        self.heat_rejected = 0.0

    def _retemper(self, T: float) -> None:
        if T == self._T:
            return
        self._k = self._R * _temperature(self, "T_station", T) / self.volume
        self._T = T
        self.p = self.mass * self._k

    def initialize_outputs(self, t: float) -> None:
        self._retemper(self.T_station)

    def do_step(self, t: float, h: float) -> None:
        self._retemper(self.T_station)
        m0 = self.mass
        super().do_step(t, h)
        if h > 0.0:   # the step's mean, whether the flows were held or came as polynomials
            self.heat_rejected = self._R * self._T * (self.mass - m0) / h


class StationHybridExchangers(HybridExchangers):
    """The recuperator and load exchanger (``hybrid_exchangers``: seed eq. 41, 47-48) between two
    stations whose temperatures are inputs: ``T_warm`` (T_E, the buffers' station) and
    ``T_load`` (T_L, the load station).  ``heat_load`` is the refrigeration taken from the load
    station; with balanced flows the recuperator's warm end puts no heat on the T_E station."""

    summary = "Recuperator and load exchanger between two cold stations: T_E and T_L inputs"
    variables = _variables(
        HybridExchangers.variables,
        replace={"T_warm": Input("T_warm", "K", 300.0, "recuperator hot inlet: the buffers' station T_E"),
                 "T_load": Input("T_load", "K", 300.0, "load exchanger: the load station T_L")})
