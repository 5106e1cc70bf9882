"""Heat in-leak into a gas stream from a warmer source through a fixed conductance: the law the
load exchanger uses for the cold box's in-leak and the screw expander for its bearing heat, its
conductance from a rated heat, and the check of those parameters."""
from __future__ import annotations

import math

from cryocosim import ParameterError


def conduction_inleak(conductance: float, mdot: float, cp: float, T_source: float,
                      T_gas: float) -> float:
    """Heat [W] a gas stream takes up from a source at ``T_source`` [K] through a thermal path of
    ``conductance`` [W/K] (the eps-NTU law of a stream and an isothermal source, C_r = 0)::

        Q = mdot cp (T_source - T_gas) (1 - exp(-G / (mdot cp)))

    -> G (T_source - T_gas) when the stream's capacity rate mdot cp is large against G, and
    -> mdot cp (T_source - T_gas) when it is small (the gas cannot leave warmer than the
    source).  Zero without forward flow (the stream cannot absorb anything; the heat then goes
    into metal this model has no thermal mass for).  Negative if the gas is warmer than the
    source.  ``cp`` [J/(kg K)], ``mdot`` [kg/s]."""
    if not (conductance > 0.0 and mdot > 0.0):
        return 0.0
    c = mdot * cp
    return c * (T_source - T_gas) * -math.expm1(-conductance / c)


def inleak_conductance(heat: float, T_source: float, T_ref: float) -> float:
    """Conductance [W/K] of an in-leak that carries ``heat`` [W] from ``T_source`` to gas at
    ``T_ref`` [K]; 0 when ``heat`` is 0."""
    return heat / (T_source - T_ref) if heat != 0.0 else 0.0


def check_inleak(actor, heat: str, T_source: str, T_ref: str) -> None:
    """ParameterError naming the actor and the parameter unless ``T_source > T_ref`` whenever the
    in-leak ``heat`` parameter is positive (``heat`` >= 0 is its declared bound, the engine's to
    check when the value is set)."""
    q, ts, tr = getattr(actor, heat), getattr(actor, T_source), getattr(actor, T_ref)
    if q > 0.0 and not ts > tr:
        raise ParameterError.of(actor.name, T_ref, f" = {tr:g} K must be below "
                             f"'{T_source}' = {ts:g} K when '{heat}' > 0")
